// The bundle format (engine/package/Bundle, PACKAGING.md): player + site archive (libarchive) +
// footer; what goes in (backup files, data/ and VCS folders left out; links kept, escaping and
// absolute links refused), listing and extracting, re-bundling a bundle, damaged footers, and no
// half-written output on failure.

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "package/Bundle.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using namespace lunette::package;

namespace {

using lunette::test::writeFile;

using lunette::test::readFile;

} // namespace

class TestBundle final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_site;
    QString m_player;

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_site = m_dir.filePath(u"site"_s);
        QDir(m_site).removeRecursively();
        QVERIFY(writeFile(m_site + u"/lua/main.lua"_s, "print('hi')\n"));
        QVERIFY(writeFile(m_site + u"/lua/util.lua"_s, "return {}\n"));
        QVERIFY(writeFile(
            m_site + u"/viewdefs/App.DEFAULT.html"_s, "<template><p>app</p></template>\n"));
        QVERIFY(writeFile(m_site + u"/lunette.json"_s, R"({"name": "site"})"));
        // Left out: backups, lock files, the site's data, version control, generated stubs.
        QVERIFY(writeFile(m_site + u"/lua/main.lua~"_s, "old"));
        QVERIFY(writeFile(m_site + u"/lua/.#main.lua"_s, "lock"));
        QVERIFY(writeFile(m_site + u"/lua/.main.lua.swp"_s, "swap"));
        QVERIFY(writeFile(m_site + u"/data/storage.json"_s, "{}"));
        QVERIFY(writeFile(m_site + u"/.git/HEAD"_s, "ref"));
        QVERIFY(writeFile(m_site + u"/.lunette/meta/json.lua"_s, "---@meta"));
        // A link inside the site is kept as a link.
        QVERIFY(QFile::link(u"util.lua"_s, m_site + u"/lua/alias.lua"_s));
        m_player = m_dir.filePath(u"player"_s);
        QVERIFY(writeFile(m_player,
            QByteArray("\x7f"
                       "ELF pretend player binary",
                26)));
    }

    void siteFilesFollowTheRules()
    {
        auto entries = collectSite(m_site);
        QVERIFY2(entries, entries ? "" : qPrintable(entries.error()));
        QStringList paths;
        for (const SiteEntry& e : *entries)
            paths << (e.isLink ? e.path + u" -> "_s + e.linkTarget : e.path);
        QCOMPARE(paths,
            QStringList({ u"lua/alias.lua -> util.lua"_s, u"lua/main.lua"_s, u"lua/util.lua"_s,
                u"lunette.json"_s, u"viewdefs/App.DEFAULT.html"_s }));
    }

    void roundTrip()
    {
        const QString out = m_dir.filePath(u"app"_s);
        int calls = 0;
        auto written = writeBundle(m_player, m_site, out, [&](int done, int total) {
            ++calls;
            QCOMPARE(total, 5);
            QVERIFY(done >= 1 && done <= total);
        });
        QVERIFY2(written, written ? "" : qPrintable(written.error()));
        QCOMPARE(calls, 5);
        QVERIFY(QFileInfo(out).isExecutable());
        // The player comes first, unchanged; the footer last.
        const QByteArray bytes = readFile(out);
        QVERIFY(bytes.startsWith(readFile(m_player)));
        QVERIFY(bytes.endsWith(QByteArray(kBundleMagic, 16)));
        auto found = findBundle(out);
        QVERIFY(found && *found);
        QCOMPARE((*found)->archiveOffset, QFileInfo(m_player).size());
        QCOMPARE(
            (*found)->archiveOffset + (*found)->archiveSize + kFooterSize, QFileInfo(out).size());

        auto listed = listBundle(out);
        QVERIFY2(listed, listed ? "" : qPrintable(listed.error()));
        QCOMPARE(*listed,
            QStringList({ u"lua/alias.lua -> util.lua"_s, u"lua/main.lua"_s, u"lua/util.lua"_s,
                u"lunette.json"_s, u"viewdefs/App.DEFAULT.html"_s }));

        const QString unpacked = m_dir.filePath(u"unpacked"_s);
        auto extracted = extractBundle(out, unpacked);
        QVERIFY2(extracted, extracted ? "" : qPrintable(extracted.error()));
        QCOMPARE(readFile(unpacked + u"/lua/main.lua"_s), QByteArray("print('hi')\n"));
        QCOMPARE(readFile(unpacked + u"/viewdefs/App.DEFAULT.html"_s),
            QByteArray("<template><p>app</p></template>\n"));
        QVERIFY(QFileInfo(unpacked + u"/lua/alias.lua"_s).isSymLink());
        QCOMPARE(readFile(unpacked + u"/lua/alias.lua"_s), QByteArray("return {}\n"));
        QVERIFY(!QFile::exists(unpacked + u"/data/storage.json"_s));
    }

    // A bundle used as the player: its old archive goes, the new one replaces it.
    void rebundlingStripsTheOldArchive()
    {
        const QString first = m_dir.filePath(u"first"_s);
        QVERIFY(writeBundle(m_player, m_site, first));
        QVERIFY(QFile::remove(m_site + u"/lua/util.lua"_s)
            && QFile::remove(m_site + u"/lua/alias.lua"_s));
        const QString second = m_dir.filePath(u"second"_s);
        auto written = writeBundle(first, m_site, second);
        QVERIFY2(written, written ? "" : qPrintable(written.error()));
        auto found = findBundle(second);
        QVERIFY(found && *found);
        QCOMPARE((*found)->archiveOffset, QFileInfo(m_player).size());
        QCOMPARE(*listBundle(second),
            QStringList({ u"lua/main.lua"_s, u"lunette.json"_s, u"viewdefs/App.DEFAULT.html"_s }));
    }

    void escapingAndAbsoluteLinksAreRefused()
    {
        QVERIFY(writeFile(m_dir.filePath(u"secret.txt"_s), "secret"));
        QVERIFY(QFile::link(u"../../secret.txt"_s, m_site + u"/lua/leak.txt"_s));
        const QString out = m_dir.filePath(u"leaky"_s);
        auto written = writeBundle(m_player, m_site, out);
        QVERIFY(!written);
        QVERIFY2(written.error().contains(u"the link lua/leak.txt points outside the site"_s),
            qPrintable(written.error()));
        QVERIFY(!QFile::exists(out)); // nothing half-written
        QVERIFY(QFile::remove(m_site + u"/lua/leak.txt"_s));

        QVERIFY(QFile::link(m_site + u"/lua/util.lua"_s, m_site + u"/lua/absolute.lua"_s));
        auto absolute = writeBundle(m_player, m_site, out);
        QVERIFY(!absolute);
        QVERIFY2(absolute.error().contains(u"the link lua/absolute.lua is absolute"_s),
            qPrintable(absolute.error()));
        QVERIFY(!QFile::exists(out));
    }

    void badInputsAreClearErrors()
    {
        QVERIFY(!*findBundle(m_player)); // a plain binary has no bundle
        QCOMPARE(listBundle(m_player).error(), m_player + u" is not a Lunette bundle"_s);
        QCOMPARE(writeBundle(m_player, m_dir.filePath(u"nope"_s), m_dir.filePath(u"x"_s)).error(),
            m_dir.filePath(u"nope"_s) + u" is not a folder"_s);
        QVERIFY(writeFile(m_dir.filePath(u"empty/readme"_s), "x"));
        QVERIFY(writeBundle(m_player, m_dir.filePath(u"empty"_s), m_dir.filePath(u"x"_s))
                    .error()
                    .endsWith(u"is not a site: it has no lua/main.lua"_s));
        // An output folder that cannot exist (a file is in the way): an error, nothing written.
        auto blocked = writeBundle(m_player, m_site, m_player + u"/app"_s);
        QVERIFY(!blocked);
        QVERIFY2(blocked.error().startsWith(u"cannot write"_s), qPrintable(blocked.error()));

        // A footer whose numbers do not fit the file.
        const QString out = m_dir.filePath(u"damaged"_s);
        QVERIFY(writeBundle(m_player, m_site, out));
        QByteArray bytes = readFile(out);
        bytes[bytes.size() - 32] = '\x7f'; // the archive offset's low byte
        QVERIFY(writeFile(out, bytes));
        QCOMPARE(findBundle(out).error(), out + u" has a damaged bundle footer"_s);
    }
};

QTEST_GUILESS_MAIN(TestBundle)
#include "test_bundle.moc"
