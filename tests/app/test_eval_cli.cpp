// `lunette eval` end to end (app/gui/main.cpp, CommandLine.cpp): the real lunette binary runs code
// in a session of a real `lunette-server` process, found through the runtime folder both share;
// code from an argument and from standard input; a Lua error's exit status; usage errors.

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include "support/TestSupport.h"

using namespace Qt::StringLiterals;

namespace {

struct Run
{
    int exitCode = -1;
    QString out, err;
};

} // namespace

class TestEvalCli final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_runtime;
    QProcess m_server;
    QUrl m_url;

    Run lunette(const QStringList& arguments, const QByteArray& input = {})
    {
        QProcess process;
        process.start(QStringLiteral(LUNETTE_APP_BINARY), arguments);
        if (!process.waitForStarted(10000))
            return {};
        process.write(input);
        process.closeWriteChannel();
        if (!process.waitForFinished(30000))
            return {};
        return { process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError()) };
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        QVERIFY(lunette::test::useRuntimeFolder(m_runtime.path()));
        m_server.start(QStringLiteral(LUNETTE_SERVER_BINARY),
            { lunette::test::sourceDir() + u"/tests/data/sites/api"_s, u"--print-url"_s });
        QVERIFY(m_server.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(m_server.canReadLine(), 10000);
        m_url = QUrl(QString::fromUtf8(m_server.readLine()).trimmed());
        QVERIFY(m_url.isValid());
    }
    void cleanupTestCase()
    {
        m_server.terminate();
        QVERIFY(m_server.waitForFinished(10000));
    }

    void noSessionYet()
    {
        const Run run = lunette({ u"eval"_s, u"return 1"_s });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(u"lunette eval: the site at http://127.0.0.1:"_s)
                && run.err.contains(u"open its page first"_s),
            qPrintable(run.err));
    }

    void codeFromTheArgumentAndFromStandardInput()
    {
        QVERIFY(!lunette::test::openSession(m_url).isEmpty()); // as a page would
        const Run argument
            = lunette({ u"eval"_s, u"session:getApp():bump() return session:getApp().count"_s });
        QCOMPARE(argument.err, QString());
        QCOMPARE(argument.exitCode, 0);
        QCOMPARE(argument.out, u"1\n"_s);

        const Run input
            = lunette({ u"eval"_s }, "print('from stdin')\nreturn session:getApp().count + 10\n");
        QCOMPARE(input.exitCode, 0);
        QCOMPARE(input.out, u"from stdin\n11\n"_s);

        const Run byUrl = lunette({ u"eval"_s, u"--url"_s, m_url.toString(), u"return 'ok'"_s });
        QCOMPARE(byUrl.out, u"ok\n"_s);
    }

    void aLuaErrorFails()
    {
        const Run run = lunette({ u"eval"_s, u"error('no good')"_s });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(u"no good"_s) && run.err.contains(u"stack traceback"_s),
            qPrintable(run.err));
    }

    void usageErrors()
    {
        const Run run = lunette({ u"eval"_s, u"return"_s, u"1"_s });
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(u"usage: lunette eval"_s), qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TestEvalCli)
#include "test_eval_cli.moc"
