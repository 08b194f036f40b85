// `lunette [options] [SITE]` (app/gui/CommandLine): what each option sets, and clear errors.

#include <QCoreApplication>
#include <QtTest>

#include "CommandLine.h"

using namespace Qt::StringLiterals;

class TestCommandLine final : public QObject
{
    Q_OBJECT

private:
    static CommandLine parse(const QStringList& arguments)
    {
        return CommandLine::parse(QStringList { u"lunette"_s } + arguments);
    }

private slots:
    void initTestCase() { QCoreApplication::setApplicationVersion(u"9.8.7"_s); }

    void noSiteReopensTheLast()
    {
        const CommandLine c = parse({});
        QVERIFY(!c.exit);
        QVERIFY(c.window.sitePath.isEmpty());
        QVERIFY(c.window.reopenLast);
        QCOMPARE(c.window.port, -1);
        QVERIFY(!c.window.noHotload && !c.window.player && !c.window.inspect);
    }

    void everyOption()
    {
        const CommandLine c
            = parse({ u"--port"_s, u"8123"_s, u"--no-hotload"_s, u"sites/contacts"_s });
        QVERIFY2(!c.exit, qPrintable(c.output));
        QCOMPARE(c.window.sitePath, u"sites/contacts"_s);
        QVERIFY(!c.window.reopenLast);
        QCOMPARE(c.window.port, 8123);
        QVERIFY(c.window.noHotload);

        const CommandLine player = parse({ u"--player"_s, u"--inspect"_s, u"site"_s });
        QVERIFY2(!player.exit, qPrintable(player.output));
        QVERIFY(player.window.player && player.window.inspect);
    }

    // Qt's own options are left to QApplication, in either spelling.
    void qtOptionsAreLeftToQt()
    {
        const CommandLine c = parse({ u"-platform"_s, u"offscreen"_s, u"--style=Fusion"_s,
            u"-reverse"_s, u"--port"_s, u"0"_s, u"site"_s });
        QVERIFY2(!c.exit, qPrintable(c.output));
        QCOMPARE(c.window.sitePath, u"site"_s);
        QCOMPARE(c.window.port, 0);
    }

    void packageAndBundleCommands()
    {
        const CommandLine package = parse({ u"package"_s, u"site"_s, u"-o"_s, u"out"_s });
        QVERIFY2(!package.exit, qPrintable(package.output));
        QCOMPARE(package.packageSite, u"site"_s);
        QCOMPARE(package.packageFormat, lunette::package::Format::Bundle);
        QCOMPARE(package.packageOutput, u"out"_s);
        const CommandLine deb = parse({ u"package"_s, u"site"_s, u"--format"_s, u"deb"_s });
        QVERIFY2(!deb.exit, qPrintable(deb.output));
        QCOMPARE(deb.packageFormat, lunette::package::Format::Deb);
        const CommandLine portable = parse(
            { u"package"_s, u"site"_s, u"--format"_s, u"portable"_s, u"--with-devtools"_s });
        QCOMPARE(portable.packageFormat, lunette::package::Format::Portable);
        QVERIFY(portable.packageWithDevtools);
        const CommandLine rpm = parse({ u"package"_s, u"site"_s, u"--format"_s, u"rpm"_s });
        QVERIFY(rpm.exit);
        QCOMPARE(rpm.exitCode, 2);
        QVERIFY(rpm.output.contains(u"expected bundle, deb or portable"_s));
        const CommandLine devtools
            = parse({ u"package"_s, u"site"_s, u"--format"_s, u"deb"_s, u"--with-devtools"_s });
        QCOMPARE(devtools.exitCode, 2);
        QVERIFY(parse({ u"site"_s, u"--self-test"_s }).selfTest);
        QCOMPARE(parse({ u"--list-bundle"_s, u"app"_s }).listBundle, u"app"_s);
        const CommandLine extract = parse({ u"--extract-bundle"_s, u"app"_s, u"dir"_s });
        QCOMPARE(extract.extractBundle, u"app"_s);
        QCOMPARE(extract.extractTo, u"dir"_s);
        QVERIFY(parse({ u"--extract-bundle"_s, u"app"_s }).exit);
    }

    void typesSubcommand()
    {
        const CommandLine c = parse({ u"types"_s, u"sites/x"_s });
        QVERIFY2(!c.exit, qPrintable(c.output));
        QCOMPARE(c.typesFor, u"sites/x"_s);
        const CommandLine bad = parse({ u"types"_s });
        QVERIFY(bad.exit);
        QCOMPARE(bad.output, u"lunette: usage: lunette types SITE\nTry 'lunette --help'.\n"_s);
    }

    void evalSubcommand()
    {
        const CommandLine code = parse({ u"eval"_s, u"return 1"_s });
        QVERIFY2(!code.exit, qPrintable(code.output));
        QVERIFY(code.eval);
        QVERIFY(!code.evalFromStdin);
        QCOMPARE(code.evalRequest.code, u"return 1"_s);
        QVERIFY(code.evalRequest.url.isEmpty() && code.evalRequest.session.isEmpty());

        const CommandLine stdinCode = parse({ u"eval"_s, u"--url"_s, u"http://127.0.0.1:1/"_s,
            u"--session"_s, u"abc"_s, u"--token"_s, u"t"_s, u"--json"_s });
        QVERIFY(stdinCode.eval && stdinCode.evalFromStdin);
        QCOMPARE(stdinCode.evalRequest.url, u"http://127.0.0.1:1/"_s);
        QCOMPARE(stdinCode.evalRequest.session, u"abc"_s);
        QCOMPARE(stdinCode.evalRequest.token, u"t"_s);
        QVERIFY(stdinCode.evalRequest.json);

        // Code that starts with a dash comes after "--".
        const CommandLine dashed = parse({ u"eval"_s, u"--"_s, u"-1"_s });
        QCOMPARE(dashed.evalRequest.code, u"-1"_s);

        const CommandLine tooMany = parse({ u"eval"_s, u"return"_s, u"1"_s });
        QVERIFY(tooMany.exit);
        QCOMPARE(tooMany.exitCode, 2);
        QVERIFY(tooMany.output.contains(u"usage: lunette eval"_s));
    }

    void helpAndVersionPrintAndExit()
    {
        const CommandLine help = parse({ u"--help"_s });
        QVERIFY(help.exit);
        QCOMPARE(help.exitCode, 0);
        QVERIFY2(
            help.output.startsWith(
                u"Usage: lunette [options] [SITE | types SITE | package SITE | eval [CODE]]"_s),
            qPrintable(help.output));
        for (const auto* option :
            { "--port", "--no-hotload", "--inspect", "--player", "--version", "SITE" })
            QVERIFY2(help.output.contains(QLatin1StringView(option)), option);

        const CommandLine version = parse({ u"--version"_s });
        QVERIFY(version.exit);
        QCOMPARE(version.exitCode, 0);
        QCOMPARE(version.output, u"lunette 9.8.7\n"_s);
    }

    void badInputIsAClearError_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        QTest::newRow("port not a number") << QStringList { u"--port"_s,
            u"http"_s } << u"--port expects a number from 0 to 65535, got 'http'"_s;
        QTest::newRow("port too large") << QStringList { u"--port"_s,
            u"70000"_s } << u"--port expects a number from 0 to 65535, got '70000'"_s;
        QTest::newRow("port missing value")
            << QStringList { u"--port"_s } << u"Missing value after '--port'."_s;
        QTest::newRow("unknown option")
            << QStringList { u"--frobnicate"_s } << u"Unknown option 'frobnicate'."_s;
        QTest::newRow("two sites")
            << QStringList { u"a"_s, u"b"_s } << u"expected at most one SITE, got 2"_s;
        QTest::newRow("player without site")
            << QStringList { u"--player"_s } << u"--player needs a SITE folder"_s;
        QTest::newRow("inspect without player")
            << QStringList { u"--inspect"_s, u"a"_s }
            << u"--inspect is for player mode (--player SITE); the app always has its docks"_s;
    }

    void badInputIsAClearError()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        const CommandLine c = parse(arguments);
        QVERIFY(c.exit);
        QCOMPARE(c.exitCode, 2);
        QCOMPARE(c.output, u"lunette: "_s + message + u"\nTry 'lunette --help'.\n"_s);
    }
};

QTEST_GUILESS_MAIN(TestCommandLine)
#include "test_commandline.moc"
