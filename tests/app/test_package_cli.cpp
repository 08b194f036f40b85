// The real `lunette` binary's packaging commands (PACKAGING.md): `lunette package SITE -o OUT`
// makes a bundle of itself plus the site, `--list-bundle` and `--extract-bundle` inspect it, and
// the bundle, started, unpacks its site into the user's cache folder and serves it (player mode).

#include <QDir>
#include <QFile>
#include <QProcess>
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

Run runLunette(
    const QStringList& arguments, const QString& program = QStringLiteral(LUNETTE_APP_BINARY))
{
    QProcess process;
    process.start(program, arguments);
    Run run;
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished();
        run.err = u"did not finish"_s;
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

} // namespace

class TestPackageCli final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_site;
    QString m_bundle;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_site = m_dir.filePath(u"adder"_s);
        QVERIFY(lunette::test::copyTree(lunette::test::sourceDir() + u"/sites/adder"_s, m_site));
        m_bundle = m_dir.filePath(u"adder-app"_s);
    }

    void packageMakesABundle()
    {
        const Run run = runLunette({ u"package"_s, m_site, u"-o"_s, m_bundle });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QCOMPARE(run.out.trimmed(), m_bundle);
        QVERIFY(QFileInfo(m_bundle).isExecutable());
        auto found = lunette::package::findBundle(m_bundle);
        QVERIFY(found && *found);
        // The player part is the lunette binary itself.
        QCOMPARE((*found)->archiveOffset, QFileInfo(QStringLiteral(LUNETTE_APP_BINARY)).size());
    }

    void listAndExtract()
    {
        const Run listed = runLunette({ u"--list-bundle"_s, m_bundle });
        QVERIFY2(listed.exitCode == 0, qPrintable(listed.err));
        QCOMPARE(listed.out.split(u'\n', Qt::SkipEmptyParts),
            QStringList({ u"README.md"_s, u"lua/main.lua"_s, u"lunette.json"_s,
                u"viewdefs/Adder.DEFAULT.html"_s }));

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

    void badPackageRequests()
    {
        const Run deb = runLunette({ u"package"_s, m_site, u"--format"_s, u"deb"_s });
        QCOMPARE(deb.exitCode, 2);
        QVERIFY2(deb.err.contains(u"--format deb: only bundle can be made so far"_s),
            qPrintable(deb.err));
        const Run missing = runLunette(
            { u"package"_s, m_dir.filePath(u"nope"_s), u"-o"_s, m_dir.filePath(u"x"_s) });
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains(u"is not a folder"_s), qPrintable(missing.err));
        QVERIFY(!QFile::exists(m_dir.filePath(u"x"_s)));
    }

    // Started, the bundle unpacks its site into the cache folder and serves it as the app.
    void theBundleRunsItsSite()
    {
        QProcess app;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"XDG_CACHE_HOME"_s, m_dir.filePath(u"cache"_s));
        env.insert(u"XDG_DATA_HOME"_s, m_dir.filePath(u"userdata"_s));
        app.setProcessEnvironment(env);
        app.setProcessChannelMode(QProcess::MergedChannels);
        app.start(m_bundle, {});
        QVERIFY(app.waitForStarted());
        QString output;
        const bool serving = lunette::test::spinUntil(
            [&] {
                output += QString::fromUtf8(app.readAll());
                return output.contains(u"serving "_s) || app.state() == QProcess::NotRunning;
            },
            60000);
        app.kill();
        app.waitForFinished();
        QVERIFY2(serving && output.contains(u"serving "_s), qPrintable(output));
        const QString cache = m_dir.filePath(u"cache"_s) + u"/lunette/bundles/"_s;
        QVERIFY2(output.contains(cache), qPrintable(output));
        const QStringList unpacked = QDir(cache).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(unpacked.size(), 1);
        QVERIFY(QFile::exists(cache + unpacked.first() + u"/lua/main.lua"_s));
        QVERIFY(QFile::exists(cache + unpacked.first() + u"/.complete"_s));
    }
};

QTEST_GUILESS_MAIN(TestPackageCli)
#include "test_package_cli.moc"
