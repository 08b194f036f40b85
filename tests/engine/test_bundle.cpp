// The bundle format (engine/package/Bundle, PACKAGING.md): player + site archive (libarchive) +
// footer; what goes in (backup files, data/ and VCS folders left out; links kept, escaping and
// absolute links refused), listing and extracting, re-bundling a bundle, damaged footers, and no
// half-written output on failure.

#include <cstring>
#include <limits>
#include <utility>

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

#include "package/Bundle.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using namespace lunette::package;

namespace {

using lunette::test::writeFile;

using lunette::test::readFile;

// One ustar entry, written by hand as a hostile packer would (writeBundle refuses to write what the
// tests below need): type '0' a file, '2' a symbolic link.
QByteArray tarEntry(const QByteArray& name, char type, const QByteArray& content = {})
{
    QByteArray header(512, '\0');
    const auto put = [&](int offset, const QByteArray& field) {
        std::memcpy(header.data() + offset, field.constData(), static_cast<size_t>(field.size()));
    };
    put(0, name);
    put(100, "0000644");
    put(108, "0000000");
    put(116, "0000000");
    const QByteArray data = type == '0' ? content : QByteArray();
    put(124, QByteArray::number(data.size(), 8).rightJustified(11, '0'));
    put(136, "00000000000");
    header[156] = type;
    if (type == '2')
        put(157, content); // the link's target
    put(257,
        QByteArray("ustar\0"
                   "00",
            8));
    std::memset(header.data() + 148, ' ', 8);
    unsigned sum = 0;
    for (const char c : std::as_const(header))
        sum += static_cast<unsigned char>(c);
    put(148, QByteArray::number(sum, 8).rightJustified(6, '0') + QByteArray("\0 ", 2));
    return header + data + QByteArray((512 - data.size() % 512) % 512, '\0');
}

// A bundle (empty player) of the archive made of `entries`.
QByteArray bundleOf(const QList<QByteArray>& entries)
{
    const QByteArray archive = entries.join() + QByteArray(1024, '\0');
    QByteArray footer(kFooterSize, '\0');
    qToLittleEndian<qint64>(0, footer.data());
    qToLittleEndian<qint64>(archive.size(), footer.data() + 8);
    std::memcpy(footer.data() + 16, kBundleMagic, 16);
    return archive + footer;
}

// Whether a file or link under `dir` resolves outside it (links are not followed on the walk).
QString entryResolvingOutside(const QString& dir)
{
    const QString root = QFileInfo(dir).canonicalFilePath();
    QDirIterator it(dir, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
        QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QString canonical = QFileInfo(path).canonicalFilePath();
        if (!canonical.isEmpty() && canonical != root && !canonical.startsWith(root + u'/'))
            return path + u" -> "_s + canonical;
    }
    return {};
}

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

    // Extraction never writes through a link, and never leaves a link that leads outside: a link
    // target is checked as text when unpacked, which a link named on the way could turn around.
    // Found while writing fuzz_bundle, whose oracle flags both (docs/RELIABILITY.md, Fuzzing).
    void extractionNeverFollowsLinks()
    {
        const QString bundle = m_dir.filePath(u"hostile"_s);
        const QString base = m_dir.filePath(u"hostile-out"_s);
        const QString out = base + u"/a/b/out"_s;

        // A link to the top, a link below it that climbs out, a file written through both.
        QVERIFY(writeFile(bundle,
            bundleOf({ tarEntry("d", '2', "."), tarEntry("d/x/y/up", '2', "../../.."),
                tarEntry("d/x/y/up/escaped.txt", '0', "outside\n") })));
        auto through = extractBundle(bundle, out);
        QVERIFY(!through);
        QVERIFY2(through.error().contains(u"through the link 'd'"_s), qPrintable(through.error()));
        QVERIFY(!QFileInfo::exists(base + u"/a/b/escaped.txt"_s));
        QVERIFY(!QFileInfo::exists(base + u"/a/escaped.txt"_s));
        QCOMPARE(entryResolvingOutside(out), QString());
        QVERIFY(QDir(base).removeRecursively());

        // A target that reads as inside, "s/x/../..", but goes through s -> "." and so leads to
        // the folder above.
        QVERIFY(writeFile(bundle,
            bundleOf({ tarEntry("x/keep.txt", '0', "keep\n"), tarEntry("l", '2', "s/x/../.."),
                tarEntry("s", '2', ".") })));
        auto around = extractBundle(bundle, out);
        QVERIFY(!around);
        QVERIFY2(around.error().contains(u"the bundle's link 'l' points outside it"_s),
            qPrintable(around.error()));
        QCOMPARE(entryResolvingOutside(out), QString());
        QVERIFY(QDir(base).removeRecursively());

        // Links through links that stay inside are fine, as writeBundle packs them.
        QVERIFY(writeFile(bundle,
            bundleOf({ tarEntry("v2/logo.txt", '0', "logo\n"), tarEntry("current", '2', "v2"),
                tarEntry("html/logo.txt", '2', "../current/logo.txt") })));
        auto inside = extractBundle(bundle, out);
        QVERIFY2(inside, inside ? "" : qPrintable(inside.error()));
        QCOMPARE(readFile(out + u"/html/logo.txt"_s), QByteArray("logo\n"));
    }

    // Footer numbers near the limits of qint64 are damage too, not an overflow (UBSan aborts on
    // one). Found by fuzz_bundle (docs/RELIABILITY.md, Fuzzing).
    void hugeFooterNumbersAreDamage()
    {
        const QString out = m_dir.filePath(u"huge"_s);
        const qint64 max = std::numeric_limits<qint64>::max();
        for (const auto& [offset, size] : { std::pair { max, max }, std::pair { qint64(1), max },
                 std::pair { max, qint64(1) }, std::pair { max - 1, qint64(2) } }) {
            QByteArray footer(kFooterSize, '\0');
            qToLittleEndian<qint64>(offset, footer.data());
            qToLittleEndian<qint64>(size, footer.data() + 8);
            std::memcpy(footer.data() + 16, kBundleMagic, 16);
            QVERIFY(writeFile(out, "player and archive" + footer));
            const auto found = findBundle(out);
            QVERIFY(!found);
            QCOMPARE(found.error(), out + u" has a damaged bundle footer"_s);
        }
    }
};

QTEST_GUILESS_MAIN(TestBundle)
#include "test_bundle.moc"
