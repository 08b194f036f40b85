// The real `lunette` binary's packaging commands (PACKAGING.md) on sites/contacts, in the three
// formats, each package then started the way a user would start it and checked with
// `--self-test` (the page rendered with the manifest's title, no docks, no menu bar):
//   bundle    `lunette package SITE -o OUT`, --list-bundle / --extract-bundle, the bundle run
//   deb       dpkg-deb --info / --contents, desktop-file-validate, appstreamcli validate; as root,
//             a real `dpkg -i`, /usr/bin/<name> started, then `dpkg --purge`
//   portable  the folder's layout, ldd (no Qt library from outside it), the .tar.zst unpacked and
//             started with the system's Qt hidden (a private mount namespace when root)
// and bad requests: clear errors, nothing written, no staging folder left.

#include <unistd.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "package/Bundle.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

Run runProgram(const QString& program, const QStringList& arguments,
    const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment(),
    int timeoutMs = 300000)
{
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(program, arguments);
    Run run;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        run.err = u"did not finish: "_s + QString::fromUtf8(process.readAllStandardError());
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

Run runLunette(const QStringList& arguments)
{
    return runProgram(QStringLiteral(LUNETTE_APP_BINARY), arguments);
}

// The entries of a folder, for "nothing was written" checks.
QStringList entries(const QString& dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
}

bool isRoot()
{
    return ::geteuid() == 0;
}

// Hides the system's Qt from what runs after it: in a private mount namespace, every Qt library
// file is covered with /dev/null and Qt's plugin, libexec and data folders with empty tmpfs.
const char kHideSystemQt[] = R"(set -e
for f in /usr/lib/*-linux-gnu/libQt6*; do
    if [ -f "$f" ] && [ ! -L "$f" ]; then mount --bind /dev/null "$f"; fi
done
for d in /usr/lib/*-linux-gnu/qt6 /usr/lib/qt6 /usr/share/qt6; do
    if [ -d "$d" ]; then mount -t tmpfs none "$d"; fi
done
exec "$@"
)";

} // namespace

class TestPackageCli final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_site;
    QString m_out; // where packages are written
    QString m_bundle;
    QString m_deb;

    // The environment a user's session would give: its own cache, data and config folders.
    QProcessEnvironment userEnvironment(const QString& name) const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"XDG_CACHE_HOME"_s, m_dir.filePath(name + u"/cache"_s));
        env.insert(u"XDG_DATA_HOME"_s, m_dir.filePath(name + u"/data"_s));
        env.insert(u"XDG_CONFIG_HOME"_s, m_dir.filePath(name + u"/config"_s));
        return env;
    }

    // Start program --self-test and return its report (an empty object when it failed).
    QJsonObject selfTest(
        const QString& program, const QString& userName, const QStringList& wrapper = {})
    {
        const QStringList arguments = QStringList(wrapper.mid(1)) << program << u"--self-test"_s;
        const Run run = runProgram(wrapper.isEmpty() ? program : wrapper.first(),
            wrapper.isEmpty() ? QStringList { u"--self-test"_s } : arguments,
            userEnvironment(userName), 120000);
        const QJsonObject report = QJsonDocument::fromJson(run.out.toUtf8()).object();
        if (run.exitCode != 0 || report.isEmpty())
            qWarning().noquote() << "self-test of" << program << "exit" << run.exitCode << run.out
                                 << run.err.right(2000);
        return report;
    }

    // What every started package must show: the site's page with the manifest's title, as an
    // app (player mode: no docks, no menu bar).
    static void verifyRenderedAsApp(const QJsonObject& report)
    {
        QVERIFY2(report.value(u"ok"_s).toBool(), qPrintable(report.value(u"error"_s).toString()));
        QCOMPARE(report.value(u"windowTitle"_s).toString(), u"Contact Manager"_s);
        QCOMPARE(report.value(u"player"_s).toBool(), true);
        QCOMPARE(report.value(u"visibleDocks"_s).toArray().size(), 0);
        QCOMPARE(report.value(u"menuBar"_s).toBool(), false);
        const QString text = report.value(u"pageText"_s).toString();
        QVERIFY2(
            text.contains(u"Alice Smith"_s) && text.contains(u"Add Contact"_s), qPrintable(text));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_site = m_dir.filePath(u"contacts"_s);
        QVERIFY(lunette::test::copyTree(lunette::test::sourceDir() + u"/sites/contacts"_s, m_site));
        m_out = m_dir.filePath(u"out"_s);
        QVERIFY(QDir().mkpath(m_out));
    }

    // ---- bundle ----

    void packageMakesABundle()
    {
        m_bundle = m_out + u"/contacts-app"_s;
        const Run run = runLunette({ u"package"_s, m_site, u"-o"_s, m_bundle });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QCOMPARE(run.out.trimmed(), m_bundle);
        QVERIFY(QFileInfo(m_bundle).isExecutable());
        auto found = lunette::package::findBundle(m_bundle);
        QVERIFY(found && *found);
        // The player part is an ELF executable, stripped: smaller than the build's binary.
        QFile bundle(m_bundle);
        QVERIFY(bundle.open(QIODevice::ReadOnly));
        QCOMPARE(bundle.read(4),
            QByteArray("\x7f"
                       "ELF"));
        QVERIFY((*found)->archiveOffset < QFileInfo(QStringLiteral(LUNETTE_APP_BINARY)).size());
        QCOMPARE(entries(m_out), QStringList { u"contacts-app"_s }); // no staging folder left
    }

    void listAndExtract()
    {
        const Run listed = runLunette({ u"--list-bundle"_s, m_bundle });
        QVERIFY2(listed.exitCode == 0, qPrintable(listed.err));
        const QStringList names = listed.out.split(u'\n', Qt::SkipEmptyParts);
        QVERIFY2(names.contains(u"lua/main.lua"_s) && names.contains(u"lunette.json"_s)
                && names.contains(u"viewdefs/ContactApp.DEFAULT.html"_s),
            qPrintable(listed.out));

        const QString dir = m_dir.filePath(u"unpacked"_s);
        const Run extracted = runLunette({ u"--extract-bundle"_s, m_bundle, dir });
        QVERIFY2(extracted.exitCode == 0, qPrintable(extracted.err));
        QFile original(m_site + u"/lua/main.lua"_s);
        QFile copy(dir + u"/lua/main.lua"_s);
        QVERIFY(original.open(QIODevice::ReadOnly) && copy.open(QIODevice::ReadOnly));
        QCOMPARE(copy.readAll(), original.readAll());

        const Run notABundle = runLunette({ u"--list-bundle"_s, m_site + u"/lunette.json"_s });
        QCOMPARE(notABundle.exitCode, 1);
        QCOMPARE(notABundle.err.trimmed(),
            u"lunette: "_s + m_site + u"/lunette.json is not a Lunette bundle"_s);
    }

    // Started, the bundle unpacks its site into the user's cache folder and runs it as the app.
    void theBundleRunsAsTheApp()
    {
        const QJsonObject report = selfTest(m_bundle, u"bundle-user"_s);
        verifyRenderedAsApp(report);
        const QString cache = m_dir.filePath(u"bundle-user/cache/lunette/bundles/"_s);
        QVERIFY2(report.value(u"site"_s).toString().startsWith(cache),
            qPrintable(report.value(u"site"_s).toString()));
        const QStringList unpacked = QDir(cache).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(unpacked.size(), 1);
        QVERIFY(QFile::exists(cache + unpacked.first() + u"/.complete"_s));
    }

    // ---- deb ----

    void packageMakesADeb()
    {
        const Run run = runLunette(
            { u"package"_s, m_site, u"--format"_s, u"deb"_s, u"-o"_s, m_out + u"/contacts.deb"_s });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        m_deb = m_out + u"/contacts.deb"_s;
        QCOMPARE(run.out.trimmed(), m_deb);

        const Run info = runProgram(u"dpkg-deb"_s, { u"--info"_s, m_deb });
        QVERIFY2(info.exitCode == 0, qPrintable(info.err));
        for (const QString& line : { u" Package: contacts"_s, u" Version: 0.1.0"_s,
                 u" Description: Contact Manager, a Lunette app"_s,
                 u" Maintainer: Contact Manager maintainers <nobody@localhost>"_s })
            QVERIFY2(info.out.contains(line + u'\n'), qPrintable(line + u" in\n"_s + info.out));
        // Depends: from dpkg-shlibdeps (Qt, Lua, libarchive) plus the renderer process.
        const Run depends = runProgram(u"dpkg-deb"_s, { u"--field"_s, m_deb, u"Depends"_s });
        for (const QString& package : { u"libqt6webenginecore6"_s, u"libqt6widgets6"_s,
                 u"liblua5.4-0"_s, u"libarchive13"_s, u"libqt6webenginecore6-bin"_s, u"libc6"_s })
            QVERIFY2(depends.out.contains(package), qPrintable(package + u": "_s + depends.out));

        const Run contents = runProgram(u"dpkg-deb"_s, { u"--contents"_s, m_deb });
        QVERIFY2(contents.exitCode == 0, qPrintable(contents.err));
        for (const QString& file : { u"-rwxr-xr-x root/root"_s, u"./usr/bin/contacts\n"_s,
                 u"./usr/share/applications/org.lunette.app.contacts.desktop\n"_s,
                 u"./usr/share/icons/hicolor/scalable/apps/org.lunette.app.contacts.svg\n"_s,
                 u"./usr/share/metainfo/org.lunette.app.contacts.metainfo.xml\n"_s })
            QVERIFY2(contents.out.contains(file), qPrintable(file + u" in\n"_s + contents.out));

        // The desktop entry and metainfo pass the freedesktop and AppStream validators.
        const QString tree = m_dir.filePath(u"deb-tree"_s);
        QCOMPARE(runProgram(u"dpkg-deb"_s, { u"-x"_s, m_deb, tree }).exitCode, 0);
        const QString desktop
            = tree + u"/usr/share/applications/org.lunette.app.contacts.desktop"_s;
        const Run validDesktop = runProgram(u"desktop-file-validate"_s, { desktop });
        QVERIFY2(validDesktop.exitCode == 0, qPrintable(validDesktop.out + validDesktop.err));
        QFile entry(desktop);
        QVERIFY(entry.open(QIODevice::ReadOnly));
        const QByteArray entryText = entry.readAll();
        QVERIFY(entryText.contains("\nName=Contact Manager\n"));
        QVERIFY(entryText.contains("\nExec=contacts %U\n"));
        QVERIFY(entryText.contains("\nIcon=org.lunette.app.contacts\n"));
        const Run validMetainfo = runProgram(u"appstreamcli"_s,
            { u"validate"_s, u"--no-net"_s,
                tree + u"/usr/share/metainfo/org.lunette.app.contacts.metainfo.xml"_s });
        QVERIFY2(validMetainfo.exitCode == 0, qPrintable(validMetainfo.out + validMetainfo.err));
    }

    // As root: the real dpkg -i, the installed command started, then purged.
    void theDebInstallsAndRuns()
    {
        QVERIFY(!m_deb.isEmpty());
        if (!isRoot())
            QSKIP("dpkg -i needs root; run the tests as root to install and start the .deb");
        if (runProgram(u"dpkg-query"_s, { u"-W"_s, u"contacts"_s }).exitCode == 0
            || QFile::exists(u"/usr/bin/contacts"_s))
            QSKIP("a package or command named contacts is already installed here");

        const Run install = runProgram(u"dpkg"_s, { u"-i"_s, m_deb });
        auto purge = qScopeGuard([] { runProgram(u"dpkg"_s, { u"--purge"_s, u"contacts"_s }); });
        QVERIFY2(install.exitCode == 0, qPrintable(install.out + install.err));
        QVERIFY(QFileInfo(u"/usr/bin/contacts"_s).isExecutable());
        QVERIFY(QFile::exists(u"/usr/share/applications/org.lunette.app.contacts.desktop"_s));
        verifyRenderedAsApp(selfTest(u"/usr/bin/contacts"_s, u"deb-user"_s));

        purge.dismiss();
        const Run purged = runProgram(u"dpkg"_s, { u"--purge"_s, u"contacts"_s });
        QVERIFY2(purged.exitCode == 0, qPrintable(purged.err));
        QVERIFY(!QFile::exists(u"/usr/bin/contacts"_s));
    }

    // ---- portable ----

    void packageMakesAPortableFolder()
    {
        const QString folder = m_out + u"/contacts-portable"_s;
        const Run run
            = runLunette({ u"package"_s, m_site, u"--format"_s, u"portable"_s, u"-o"_s, folder });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QCOMPARE(run.out.split(u'\n', Qt::SkipEmptyParts),
            QStringList({ folder, folder + u".tar.zst"_s }));

        QVERIFY(QFileInfo(folder + u"/contacts"_s).isExecutable()); // the launcher
        QVERIFY(QFileInfo(folder + u"/bin/contacts"_s).isExecutable());
        QVERIFY(QFileInfo(folder + u"/libexec/QtWebEngineProcess"_s).isExecutable());
        for (const QString& file :
            { u"bin/qt.conf"_s, u"libexec/qt.conf"_s, u"lib/libQt6Core.so.6"_s,
                u"lib/libQt6WebEngineCore.so.6"_s, u"plugins/platforms/libqxcb.so"_s,
                u"resources/qtwebengine_resources.pak"_s, u"qml/QtQuick/Controls/qmldir"_s })
            QVERIFY2(QFile::exists(folder + u'/' + file), qPrintable(file));
        // Only en-US, no DevTools pak, no glibc or GL.
        QCOMPARE(entries(folder + u"/translations/qtwebengine_locales"_s),
            QStringList { u"en-US.pak"_s });
        QVERIFY(!QFile::exists(folder + u"/resources/qtwebengine_devtools_resources.pak"_s));
        QVERIFY(!QFile::exists(folder + u"/lib/libc.so.6"_s));
        QVERIFY(!QFile::exists(folder + u"/lib/libGL.so.1"_s));

        // ldd: no Qt library resolves outside the folder.
        for (const QString& file : { u"bin/contacts"_s, u"libexec/QtWebEngineProcess"_s,
                 u"plugins/platforms/libqxcb.so"_s, u"lib/libQt6WebEngineCore.so.6"_s }) {
            const Run ldd = runProgram(u"ldd"_s, { folder + u'/' + file });
            QVERIFY2(ldd.exitCode == 0, qPrintable(ldd.err));
            QVERIFY2(!ldd.out.contains(u"not found"_s), qPrintable(ldd.out));
            int qtLibraries = 0;
            // "\tlibQt6Core.so.6 => /…/bin/../lib/libQt6Core.so.6 (0x…)"
            static const QRegularExpression qtLine(u"^\\s*(libQt6\\S*) => (\\S+) \\(0x"_s);
            for (const QString& line : ldd.out.split(u'\n')) {
                const QRegularExpressionMatch match = qtLine.match(line);
                if (!match.hasMatch())
                    continue;
                ++qtLibraries;
                QCOMPARE(
                    QDir::cleanPath(match.captured(2)), folder + u"/lib/"_s + match.captured(1));
            }
            QVERIFY2(qtLibraries > 0, qPrintable(ldd.out));
        }
        const qint64 compressed = QFileInfo(folder + u".tar.zst"_s).size();
        qInfo("portable: %lld bytes compressed", compressed);
        QVERIFY2(compressed <= 85'000'000, "PACKAGING.md: portable ≤ 85 MB compressed");
        QCOMPARE(entries(m_out).filter(u".lunette-package"_s), QStringList());
    }

    // The .tar.zst, unpacked somewhere else, starts with the system's Qt out of reach.
    void thePortableArchiveRunsWithoutSystemQt()
    {
        const QString unpacked = m_dir.filePath(u"elsewhere"_s);
        QVERIFY(QDir().mkpath(unpacked));
        const Run untar = runProgram(u"tar"_s,
            { u"--zstd"_s, u"-xf"_s, m_out + u"/contacts-portable.tar.zst"_s, u"-C"_s, unpacked });
        QVERIFY2(untar.exitCode == 0, qPrintable(untar.err));
        const QString folder = unpacked + u"/contacts-portable"_s;
        const QString launcher = folder + u"/contacts"_s;
        QVERIFY(QFileInfo(launcher).isExecutable());

        QStringList wrapper;
        if (isRoot() && runProgram(u"unshare"_s, { u"-m"_s, u"true"_s }).exitCode == 0) {
            wrapper = { u"unshare"_s, u"-m"_s, u"sh"_s, u"-c"_s, QString::fromLatin1(kHideSystemQt),
                u"hide-system-qt"_s };
            qInfo("the system's Qt is hidden in a private mount namespace");
        } else {
            qInfo("not root: the system's Qt stays visible; the report says where Qt came from");
        }
        const QJsonObject report = selfTest(launcher, u"portable-user"_s, wrapper);
        verifyRenderedAsApp(report);
        // Every Qt library the process mapped, and every child process, came from the folder.
        const QJsonArray libraries = report.value(u"qtLibraries"_s).toArray();
        QVERIFY(libraries.size() > 5);
        for (const QJsonValue& library : libraries)
            QVERIFY2(
                library.toString().startsWith(folder + u"/lib/"_s), qPrintable(library.toString()));
        const QJsonArray children = report.value(u"rendererProcesses"_s).toArray();
        QVERIFY(!children.isEmpty());
        for (const QJsonValue& child : children)
            QCOMPARE(child.toString(), folder + u"/libexec/QtWebEngineProcess"_s);
    }

    // ---- bad requests ----

    void badPackageRequests()
    {
        const QStringList before = entries(m_out);

        const Run format = runLunette({ u"package"_s, m_site, u"--format"_s, u"rpm"_s });
        QCOMPARE(format.exitCode, 2);
        QVERIFY2(format.err.contains(u"--format rpm: expected bundle, deb or portable"_s),
            qPrintable(format.err));

        const Run missing
            = runLunette({ u"package"_s, m_dir.filePath(u"nope"_s), u"-o"_s, m_out + u"/x"_s });
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains(m_dir.filePath(u"nope"_s) + u": no such folder"_s),
            qPrintable(missing.err));

        // A link out of the site stops packaging and names the link.
        const QString escaping = m_dir.filePath(u"escaping"_s);
        QVERIFY(lunette::test::copyTree(m_site, escaping));
        QVERIFY(QFile::link(u"../../contacts/lunette.json"_s, escaping + u"/html/secret"_s)
            || QFile::link(u"../../contacts/lunette.json"_s, escaping + u"/lua/secret"_s));
        for (const QString& format : { u"bundle"_s, u"deb"_s, u"portable"_s }) {
            const Run link = runLunette({ u"package"_s, escaping, u"--format"_s, format, u"-o"_s,
                m_out + u"/escaping-"_s + format });
            QCOMPARE(link.exitCode, 1);
            QVERIFY2(link.err.contains(u"points outside the site"_s), qPrintable(link.err));
        }

        // Outputs that cannot be written, for root too: a missing folder, a folder that is a
        // file.
        const Run noFolder = runLunette({ u"package"_s, m_site, u"--format"_s, u"deb"_s, u"-o"_s,
            m_out + u"/missing/contacts.deb"_s });
        QCOMPARE(noFolder.exitCode, 1);
        QVERIFY2(noFolder.err.contains(u"the folder "_s + m_out + u"/missing does not exist"_s),
            qPrintable(noFolder.err));
        const Run underFile
            = runLunette({ u"package"_s, m_site, u"-o"_s, m_bundle + u"/inside"_s });
        QCOMPARE(underFile.exitCode, 1);
        QVERIFY2(underFile.err.contains(m_bundle), qPrintable(underFile.err));

        // Inside the site it packages: refused.
        const Run inside = runLunette({ u"package"_s, m_site, u"-o"_s, m_site + u"/app"_s });
        QCOMPARE(inside.exitCode, 1);
        QVERIFY2(inside.err.contains(u"cannot go inside the site"_s), qPrintable(inside.err));
        QVERIFY(!QFile::exists(m_site + u"/app"_s));

        QCOMPARE(entries(m_out), before); // nothing written, no staging folder left
    }
};

QTEST_GUILESS_MAIN(TestPackageCli)
#include "test_package_cli.moc"
