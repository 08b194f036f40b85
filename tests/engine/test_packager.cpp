// makePackage (engine/package/Packager, PACKAGING.md) with the real tools: what the manifest
// gives a package (names, defaults, id, icon), the deb's control fields and files as dpkg-deb
// reads them, progress, cancelling, and failures that leave nothing behind. The player here is
// this test's own executable (any ELF program does); test_package_cli packages with the real
// lunette binary and starts the packages.

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

#include "package/AppInfo.h"
#include "package/Bundle.h"
#include "package/Packager.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using namespace lunette::package;

namespace {

using lunette::test::writeFile;

// The first 24 bytes of a PNG: signature, then the IHDR chunk's length, type, width, height.
QByteArray pngHeader(quint32 width, quint32 height)
{
    QByteArray bytes("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
    char size[8];
    qToBigEndian(width, size);
    qToBigEndian(height, size + 4);
    return bytes + QByteArray(size, 8) + QByteArray(16, '\0');
}

QString run(const QString& program, const QStringList& arguments)
{
    QProcess process;
    process.start(program, arguments);
    process.waitForFinished(60000);
    return QString::fromUtf8(process.readAllStandardOutput());
}

QStringList entries(const QString& dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
}

} // namespace

class TestPackager final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_out;

    // A site folder named folderName with the given lunette.json ("" = none).
    QString makeSite(const QString& folderName, const QByteArray& manifest = {})
    {
        const QString site = m_dir.filePath(folderName);
        QDir(site).removeRecursively();
        writeFile(site + u"/lua/main.lua"_s, "App = session:prototype('App', {})\n");
        writeFile(site + u"/viewdefs/App.DEFAULT.html"_s, "<template><p>app</p></template>\n");
        if (!manifest.isEmpty())
            writeFile(site + u"/lunette.json"_s, manifest);
        return site;
    }

    Options options(const QString& site, Format format, const QString& output)
    {
        Options o;
        o.siteFolder = site;
        o.format = format;
        o.output = output;
        o.playerFile = QCoreApplication::applicationFilePath();
        return o;
    }

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_out = m_dir.filePath(u"out"_s);
        QDir(m_out).removeRecursively();
        QVERIFY(QDir().mkpath(m_out));
    }

    void defaultsWithoutManifest()
    {
        const auto info = appInfo(makeSite(u"My Site!"_s));
        QVERIFY2(info, info ? "" : qPrintable(info.error()));
        QCOMPARE(info->name, u"my-site"_s);
        QCOMPARE(info->version, u"0.1.0"_s);
        QCOMPARE(info->title, u"My Site!"_s);
        QCOMPARE(info->summary, u"My Site!, a Lunette app"_s);
        QCOMPARE(info->appId, u"org.lunette.app.my_site"_s);
        QCOMPARE(info->maintainer, u"My Site! maintainers <nobody@localhost>"_s);
        QVERIFY(info->iconFile.isEmpty());
    }

    void valuesFromTheManifest()
    {
        const QString site = makeSite(u"notes"_s,
            R"({"name": "Quick Notes", "version": "2.1~beta1", "description": "Notes, quickly",
                "author": "Ada <ada@example.org>", "id": "org.example.QuickNotes",
                "window": {"title": "Notes", "icon": "icon.png"}})");
        const auto info = appInfo(site);
        QVERIFY2(info, info ? "" : qPrintable(info.error()));
        QCOMPARE(info->name, u"quick-notes"_s);
        QCOMPARE(info->version, u"2.1~beta1"_s);
        QCOMPARE(info->title, u"Notes"_s);
        QCOMPARE(info->summary, u"Notes, quickly"_s);
        QCOMPARE(info->maintainer, u"Ada <ada@example.org>"_s);
        QCOMPARE(info->appId, u"org.example.QuickNotes"_s);
        QCOMPARE(info->iconFile, QDir(site).canonicalPath() + u"/icon.png"_s);
    }

    void badManifestValues()
    {
        const auto id = appInfo(makeSite(u"a"_s, R"({"name": "abc", "id": "nodots"})"));
        QVERIFY(!id);
        QVERIFY2(
            id.error().contains(u"\"id\" must be a reverse-DNS name"_s), qPrintable(id.error()));
        const auto name = appInfo(makeSite(u"b"_s, R"({"name": "!"})"));
        QVERIFY(!name);
        QVERIFY2(
            name.error().contains(u"too short for a package name"_s), qPrintable(name.error()));
        const auto missing = appInfo(m_dir.filePath(u"nowhere"_s));
        QVERIFY(!missing);
    }

    void defaultOutputs()
    {
        const QString site = makeSite(u"notes"_s, R"({"name": "notes", "version": "1.2"})");
        const QString arch = run(u"dpkg"_s, { u"--print-architecture"_s }).trimmed();
        QVERIFY(!arch.isEmpty());
        QCOMPARE(*defaultOutput(site, Format::Bundle, m_out), m_out + u"/notes"_s);
        QCOMPARE(
            *defaultOutput(site, Format::Deb, m_out), m_out + u"/notes_1.2_"_s + arch + u".deb"_s);
        QCOMPARE(*defaultOutput(site, Format::Portable, m_out), m_out + u"/notes-1.2-portable"_s);
        QCOMPARE(formatFromName(u"deb"_s), Format::Deb);
        QVERIFY(!formatFromName(u"rpm"_s));
    }

    void bundleWithProgress()
    {
        const QString site = makeSite(u"notes"_s, R"({"name": "notes"})");
        const QString out = m_out + u"/notes"_s;
        QList<int> percents;
        const auto made = makePackage(options(site, Format::Bundle, out),
            [&](const QString&, int percent) { percents << percent; });
        QVERIFY2(made, made ? "" : qPrintable(made.error()));
        QCOMPARE(made->written, QStringList { out });
        QVERIFY(percents.size() >= 3);
        QCOMPARE(percents.first(), 0);
        QCOMPARE(percents.last(), 100);
        for (qsizetype i = 1; i < percents.size(); ++i)
            QVERIFY2(percents.at(i) >= percents.at(i - 1), "progress never goes back");
        // The player is stripped: smaller than this (unstripped or not) test binary, still ELF.
        auto found = findBundle(out);
        QVERIFY(found && *found);
        QVERIFY(
            (*found)->archiveOffset <= QFileInfo(QCoreApplication::applicationFilePath()).size());
        QCOMPARE(*listBundle(out),
            QStringList({ u"lua/main.lua"_s, u"lunette.json"_s, u"viewdefs/App.DEFAULT.html"_s }));

        // Packaging again replaces the file.
        writeFile(site + u"/lua/more.lua"_s, "return 1\n");
        QVERIFY(makePackage(options(site, Format::Bundle, out)));
        QVERIFY(listBundle(out)->contains(u"lua/more.lua"_s));
        QCOMPARE(entries(m_out), QStringList { u"notes"_s });
    }

    void debControlAndFiles()
    {
        const QString site = makeSite(u"notes"_s,
            R"({"name": "notes", "version": "1.2", "description": "Notes, quickly",
                "author": "Ada <ada@example.org>", "window": {"title": "Notes", "icon": "icon.png"}})");
        QVERIFY(writeFile(site + u"/icon.png"_s, pngHeader(48, 48)));
        const QString out = m_out + u"/notes.deb"_s;
        const auto made = makePackage(options(site, Format::Deb, out));
        QVERIFY2(made, made ? "" : qPrintable(made.error()));

        auto field = [&](const QString& name) {
            return run(u"dpkg-deb"_s, { u"--field"_s, out, name }).trimmed();
        };
        QCOMPARE(field(u"Package"_s), u"notes"_s);
        QCOMPARE(field(u"Version"_s), u"1.2"_s);
        QCOMPARE(field(u"Maintainer"_s), u"Ada <ada@example.org>"_s);
        QCOMPARE(field(u"Architecture"_s), run(u"dpkg"_s, { u"--print-architecture"_s }).trimmed());
        QVERIFY(field(u"Description"_s).startsWith(u"Notes, quickly\n"_s));
        // This player links QtTest and QtCore: dpkg-shlibdeps names their packages.
        QVERIFY2(field(u"Depends"_s).contains(u"libqt6core6"_s), qPrintable(field(u"Depends"_s)));
        QVERIFY2(field(u"Depends"_s).contains(u"libqt6test6"_s), qPrintable(field(u"Depends"_s)));
        QVERIFY(field(u"Installed-Size"_s).toInt() > 0);

        const QString contents = run(u"dpkg-deb"_s, { u"--contents"_s, out });
        QVERIFY2(contents.contains(u"./usr/bin/notes\n"_s), qPrintable(contents));
        QVERIFY2(contents.contains(
                     u"./usr/share/icons/hicolor/48x48/apps/org.lunette.app.notes.png\n"_s),
            qPrintable(contents));
        QVERIFY(contents.contains(u"./usr/share/applications/org.lunette.app.notes.desktop\n"_s));
        QVERIFY(contents.contains(u"./usr/share/metainfo/org.lunette.app.notes.metainfo.xml\n"_s));
        QCOMPARE(entries(m_out), QStringList { u"notes.deb"_s });
    }

    // Text from the manifest is escaped for each file's syntax.
    void debEscapesManifestText()
    {
        const QString site = makeSite(u"notes"_s,
            "{\"name\": \"notes\", \"description\": \"Tags <b> & \\\"quotes\\\"\",\n"
            " \"window\": {\"title\": \"A\\nB\"}}");
        const QString out = m_out + u"/notes.deb"_s;
        const auto made = makePackage(options(site, Format::Deb, out));
        QVERIFY2(made, made ? "" : qPrintable(made.error()));
        const QString tree = m_dir.filePath(u"tree"_s);
        QDir(tree).removeRecursively();
        run(u"dpkg-deb"_s, { u"-x"_s, out, tree });
        QFile metainfo(tree + u"/usr/share/metainfo/org.lunette.app.notes.metainfo.xml"_s);
        QVERIFY(metainfo.open(QIODevice::ReadOnly));
        QVERIFY(metainfo.readAll().contains(
            "<summary>Tags &lt;b&gt; &amp; &quot;quotes&quot;</summary>"));
        QFile desktop(tree + u"/usr/share/applications/org.lunette.app.notes.desktop"_s);
        QVERIFY(desktop.open(QIODevice::ReadOnly));
        QVERIFY(desktop.readAll().contains("\nName=A\\nB\n"));
    }

    void badIconsAndVersions_data()
    {
        QTest::addColumn<QByteArray>("manifest");
        QTest::addColumn<QByteArray>("icon");
        QTest::addColumn<QString>("error");
        QTest::newRow("png not square")
            << QByteArray(R"({"name": "notes", "window": {"icon": "icon.png"}})")
            << pngHeader(300, 200) << u"is 300×200: a PNG icon must be square"_s;
        QTest::newRow("not a png")
            << QByteArray(R"({"name": "notes", "window": {"icon": "icon.png"}})")
            << QByteArray("GIF89a") << u"is not a PNG image"_s;
        QTest::newRow("other format")
            << QByteArray(R"({"name": "notes", "window": {"icon": "icon.ico"}})") << QByteArray()
            << u"must be a .png or an .svg file"_s;
        QTest::newRow("debian version")
            << QByteArray(R"({"name": "notes", "version": "v1"})") << QByteArray()
            << u"\"version\" is \"v1\"; a Debian version starts with a digit"_s;
    }

    void badIconsAndVersions()
    {
        QFETCH(QByteArray, manifest);
        QFETCH(QByteArray, icon);
        QFETCH(QString, error);
        const QString site = makeSite(u"notes"_s, manifest);
        if (!icon.isEmpty())
            QVERIFY(writeFile(site + u"/icon.png"_s, icon));
        const auto made = makePackage(options(site, Format::Deb, m_out + u"/notes.deb"_s));
        QVERIFY(!made);
        QVERIFY2(made.error().contains(error), qPrintable(made.error()));
        QCOMPARE(entries(m_out), QStringList()); // no package, no staging folder
    }

    void cancelLeavesNothing()
    {
        const QString site = makeSite(u"notes"_s, R"({"name": "notes"})");
        std::atomic_bool cancel = false;
        const auto made = makePackage(
            options(site, Format::Deb, m_out + u"/notes.deb"_s),
            [&](const QString&, int) { cancel = true; }, &cancel);
        QVERIFY(!made);
        QCOMPARE(made.error(), u"cancelled"_s);
        QCOMPARE(entries(m_out), QStringList());
    }

    void unwritableOutputs()
    {
        const QString site = makeSite(u"notes"_s, R"({"name": "notes"})");
        const auto noFolder = makePackage(options(site, Format::Bundle, m_out + u"/no/notes"_s));
        QVERIFY(!noFolder);
        QVERIFY2(noFolder.error().contains(u"the folder "_s + m_out + u"/no does not exist"_s),
            qPrintable(noFolder.error()));
        const auto inside = makePackage(options(site, Format::Bundle, site + u"/notes"_s));
        QVERIFY(!inside);
        QVERIFY2(
            inside.error().contains(u"cannot go inside the site"_s), qPrintable(inside.error()));
        // A folder where the deb should go: the folder stays, nothing else appears.
        QVERIFY(QDir().mkpath(m_out + u"/notes.deb/keep"_s));
        const auto onFolder = makePackage(options(site, Format::Deb, m_out + u"/notes.deb"_s));
        QVERIFY(!onFolder);
        QVERIFY2(onFolder.error().contains(u"it is a folder"_s), qPrintable(onFolder.error()));
        QCOMPARE(entries(m_out), QStringList { u"notes.deb"_s });
        QVERIFY(QFileInfo(m_out + u"/notes.deb/keep"_s).isDir());
    }
};

QTEST_GUILESS_MAIN(TestPackager)
#include "test_packager.moc"
