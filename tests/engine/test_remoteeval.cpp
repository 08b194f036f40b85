// engine/host/RemoteEval.cpp (`lunette eval`) against a real advertised SiteHost of
// tests/data/sites/api: finding the newest instance and the most recently active session, --url
// with and without its token, --session, Lua errors with their traceback, --json, and the clear
// errors when there is no instance, no session, a wrong token or nothing listening.

#include <memory>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

#include "host/Instances.h"
#include "host/RemoteEval.h"
#include "host/SiteHost.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::remote::EvalReport;
using lunette::remote::EvalRequest;

class TestRemoteEval final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_runtime;
    std::unique_ptr<lunette::SiteHost> m_host;

    QString newSession() { return lunette::test::openSession(m_host->url()); }
    static EvalReport run(const QString& code, EvalRequest request = {})
    {
        request.code = code;
        return lunette::remote::evaluate(request);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        QVERIFY(lunette::test::useRuntimeFolder(m_runtime.path()));
    }
    void init()
    {
        lunette::SiteHost::Options options;
        options.advertise = true;
        auto host = lunette::SiteHost::start(
            lunette::test::sourceDir() + u"/tests/data/sites/api"_s, options);
        QVERIFY2(host, host ? "" : qPrintable(host.error()));
        m_host = std::move(*host);
    }
    void cleanup() { m_host.reset(); }

    void theHostIsAdvertisedWhileItRuns()
    {
        const auto listed = lunette::instances::list();
        QCOMPARE(listed.size(), std::size_t(1));
        QCOMPARE(listed.front().origin, m_host->server().origin());
        QCOMPARE(listed.front().token, m_host->server().token());
        m_host.reset();
        QVERIFY(lunette::instances::list().empty());
        QVERIFY(QDir(lunette::instances::directory()).isEmpty());
    }

    void findsTheInstanceAndTheLatestSession()
    {
        const QString first = newSession();
        const QString second = newSession();
        QVERIFY(!first.isEmpty() && !second.isEmpty());
        QCOMPARE(run(u"marker = 'first'"_s, { {}, {}, first, {}, false }).exitCode, 0);
        // `first` is now the most recently active: a bare eval goes there.
        const EvalReport report = run(u"print('in', marker) return 1 + 1, 'two'"_s);
        QCOMPARE(report.err, QString());
        QCOMPARE(report.exitCode, 0);
        QCOMPARE(report.out, u"in\tfirst\n2\ttwo\n"_s);
        // --session picks another.
        QCOMPARE(run(u"return marker"_s, { {}, {}, second, {}, false }).out, u"nil\n"_s);
    }

    void urlWithAndWithoutItsToken()
    {
        const QString session = newSession();
        EvalRequest request;
        request.url = m_host->url().toString(); // as printed, with ?token=
        QCOMPARE(run(u"return 'by url'"_s, request).out, u"by url\n"_s);
        // Without the token in it, the advertised instance at that address supplies it.
        request.url = m_host->server().origin() + u"/"_s;
        QCOMPARE(run(u"return 'by origin'"_s, request).out, u"by origin\n"_s);
        request.token = u"wrong"_s;
        const EvalReport wrong = run(u"return 1"_s, request);
        QCOMPARE(wrong.exitCode, 1);
        QVERIFY2(wrong.err.contains(u"missing or wrong token"_s), qPrintable(wrong.err));
        Q_UNUSED(session);
    }

    void luaErrorsWithTheirTraceback()
    {
        newSession();
        const EvalReport report = run(u"print('partial') error('it broke')"_s);
        QCOMPARE(report.exitCode, 1);
        QCOMPARE(report.out, u"partial\n"_s);
        QVERIFY2(report.err.contains(u"it broke"_s), qPrintable(report.err));
        QVERIFY(report.err.contains(u"stack traceback"_s));
        const EvalReport syntax = run(u"return +"_s);
        QCOMPARE(syntax.exitCode, 1);
        QVERIFY2(syntax.err.contains(u"console:1:"_s), qPrintable(syntax.err));
    }

    void jsonAsItIs()
    {
        newSession();
        EvalRequest request;
        request.json = true;
        const EvalReport report = run(u"return {1, 2}"_s, request);
        QCOMPARE(report.exitCode, 0);
        const QJsonObject reply = QJsonDocument::fromJson(report.out.toUtf8()).object();
        QJsonArray expected;
        expected.append(QJsonArray { 1, 2 }); // (braces alone would copy under clang)
        QCOMPARE(reply.value(u"values"_s).toArray(), expected);
    }

    void clearErrors()
    {
        // No session yet.
        const EvalReport none = run(u"return 1"_s);
        QCOMPARE(none.exitCode, 1);
        QVERIFY2(none.err.contains(u"no session yet: open its page first"_s), qPrintable(none.err));

        // Nothing listening at the URL.
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        const quint16 port = closed.serverPort();
        closed.close();
        EvalRequest request;
        request.url = u"http://127.0.0.1:%1/?token=abc"_s.arg(port);
        const EvalReport unreachable = run(u"return 1"_s, request);
        QCOMPARE(unreachable.exitCode, 1);
        QVERIFY2(unreachable.err.contains(u"cannot reach Lunette at http://127.0.0.1:"_s),
            qPrintable(unreachable.err));

        request.url = u"ftp://example"_s;
        QVERIFY(run(u"return 1"_s, request).err.contains(u"--url must be"_s));

        // No instance at all.
        m_host.reset();
        const EvalReport nothing = run(u"return 1"_s);
        QCOMPARE(nothing.exitCode, 1);
        QVERIFY2(nothing.err.contains(u"no running Lunette was found"_s), qPrintable(nothing.err));
    }
};

QTEST_GUILESS_MAIN(TestRemoteEval)
#include "test_remoteeval.moc"
