// HTTP routes written in Lua (engine/runtime/modules/lua_web.cpp, runtime/WebRoutes.cpp,
// session/WebService.cpp, SiteServer's dispatch) against the real server and the real service
// session of tests/data/sites/web: responses of every shape, the request table, the token, Host
// and Origin checks, public routes (player only), errors, a waiting handler, changes reaching the
// service session's page, hot reload replacing routes, and sites without the permission.

#include <memory>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "hotload/HotLoader.h"
#include "support/ProtocolMatchers.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::test::data;
using lunette::test::isUpdateOf;
using lunette::test::ProtocolClient;
using lunette::test::ServerFixture;

namespace {

constexpr qint64 kHits = 2;

QString webSite()
{
    return lunette::test::sourceDir() + u"/tests/data/sites/web"_s;
}

QJsonObject object(const QByteArray& body)
{
    return QJsonDocument::fromJson(body).object();
}

} // namespace

class TestWebRoutes final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ServerFixture> m_server;

    void startServer(const QString& site = webSite(), lunette::SiteServerOptions options = {})
    {
        m_server = std::make_unique<ServerFixture>(
            site, lunette::SessionManager::Options {}, std::move(options));
        QVERIFY2(m_server->start(), qPrintable(m_server->error()));
    }
    // The service session's id (from the REST API), empty while there is none.
    QString serviceSession()
    {
        const QJsonArray sessions
            = QJsonDocument::fromJson(m_server->get(u"/api/sessions"_s).body).array();
        for (const QJsonValue& session : sessions) {
            if (session.toObject().value(u"service"_s).toBool())
                return session.toObject().value(u"id"_s).toString();
        }
        return {};
    }

private slots:
    void init() { startServer(); }
    void cleanup() { m_server.reset(); }

    void responsesOfEveryShape()
    {
        const auto ping = m_server->get(u"/hooks/ping"_s);
        QCOMPARE(ping.status, 200);
        QCOMPARE(ping.header("Content-Type"), QByteArray("application/json"));
        QCOMPARE(object(ping.body), (QJsonObject { { u"ok"_s, true }, { u"hits"_s, 1 } }));

        const auto text = m_server->get(u"/hooks/text"_s);
        QCOMPARE(text.status, 200);
        QCOMPARE(text.header("Content-Type"), QByteArray("text/plain; charset=utf-8"));
        QCOMPARE(text.body, QByteArray("plain text"));

        const auto html = m_server->get(u"/hooks/html"_s);
        QCOMPARE(html.header("Content-Type"), QByteArray("text/html"));
        QCOMPARE(html.body, QByteArray("<b>hi</b>"));

        const auto nothing = m_server->request("DELETE", u"/hooks/nothing"_s);
        QCOMPARE(nothing.status, 204);
        QVERIFY(nothing.body.isEmpty());

        // The same service session answered all of them.
        QCOMPARE(object(m_server->get(u"/hooks/ping"_s).body).value(u"hits"_s).toInt(), 2);
    }

    void theRequestTable()
    {
        const auto echo = m_server->request("POST", u"/hooks/echo?x=1&y=two%20words"_s, "the body",
            { { "X-Test", "from the test" } });
        QCOMPARE(echo.status, 201);
        QCOMPARE(echo.header("X-Echo"), QByteArray("yes"));
        const QJsonObject got = object(echo.body);
        QCOMPARE(got.value(u"method"_s).toString(), u"POST"_s);
        QCOMPARE(got.value(u"path"_s).toString(), u"/hooks/echo"_s);
        QCOMPARE(got.value(u"body"_s).toString(), u"the body"_s);
        QCOMPARE(got.value(u"query"_s).toObject(),
            (QJsonObject { { u"x"_s, u"1"_s }, { u"y"_s, u"two words"_s } }));
        QCOMPARE(got.value(u"test"_s).toString(), u"from the test"_s);
        // The launch token (a cookie here) never reaches the site's code.
        QCOMPARE(got.value(u"cookie"_s).toBool(true), false);

        const auto byQuery = m_server->request(
            "POST", u"/hooks/echo?token="_s + m_server->token() + u"&z=3"_s, {}, {}, false);
        QCOMPARE(byQuery.status, 201);
        QCOMPARE(object(byQuery.body).value(u"query"_s).toObject(),
            (QJsonObject { { u"z"_s, u"3"_s } }));
    }

    void theTokenHostAndOrigin()
    {
        const auto without = m_server->get(u"/hooks/ping"_s, false);
        QCOMPARE(without.status, 401);
        QCOMPARE(without.errorCode(), u"unauthorized"_s);
        const QByteArray port = QByteArray::number(m_server->server().port());
        const auto rebound = m_server->raw("GET /hooks/ping HTTP/1.1\r\nHost: evil.example:" + port
            + "\r\nAuthorization: Bearer " + m_server->token().toUtf8() + "\r\n\r\n");
        QCOMPARE(rebound.status, 403);
        const auto foreign = m_server->request(
            "POST", u"/hooks/echo"_s, "x", { { "Origin", "http://evil.example" } });
        QCOMPARE(foreign.status, 403);
        QCOMPARE(foreign.errorCode(), u"bad-origin"_s);
        // None of them reached Lua: no service session was even started.
        QVERIFY(serviceSession().isEmpty());
    }

    void publicRoutesOnlyForThePlayer()
    {
        // A developer's server wants the token even for a route the manifest calls public.
        QCOMPARE(m_server->get(u"/hooks/ping"_s, false).status, 401);

        lunette::SiteServerOptions player;
        player.allowPublicRoutes = true;
        startServer(webSite(), player);
        const auto open = m_server->get(u"/hooks/ping"_s, false);
        QCOMPARE(open.status, 200);
        QCOMPARE(object(open.body).value(u"ok"_s).toBool(), true);
        QCOMPARE(m_server->get(u"/hooks/text"_s, false).status, 401); // not in "public"
        QCOMPARE(m_server->get(u"/api/health"_s, false).status, 401);
        const QByteArray port = QByteArray::number(m_server->server().port());
        QCOMPARE(
            m_server->raw("GET /hooks/ping HTTP/1.1\r\nHost: evil.example:" + port + "\r\n\r\n")
                .status,
            403);
    }

    void errorsSayWhatWentWrong()
    {
        const auto failed = m_server->get(u"/hooks/fail"_s);
        QCOMPARE(failed.status, 500);
        QCOMPARE(failed.errorCode(), u"lua-error"_s);
        QVERIFY2(failed.errorMessage().contains(u"lua/main.lua:"_s)
                && failed.errorMessage().contains(u"the handler broke"_s),
            qPrintable(failed.errorMessage()));

        const auto bad = m_server->get(u"/hooks/bad"_s);
        QCOMPARE(bad.status, 500);
        QCOMPARE(bad.errorCode(), u"bad-response"_s);
        QVERIFY2(bad.errorMessage().contains(u"status must be a whole number"_s),
            qPrintable(bad.errorMessage()));

        const auto unknown = m_server->get(u"/hooks/nowhere"_s);
        QCOMPARE(unknown.status, 404);
        QVERIFY2(unknown.errorMessage().contains(u"GET /hooks/ping"_s),
            qPrintable(unknown.errorMessage()));

        const auto method = m_server->get(u"/hooks/echo"_s);
        QCOMPARE(method.status, 405);
        QCOMPARE(method.header("Allow"), QByteArray("POST"));

        // The service session goes on.
        QCOMPARE(m_server->get(u"/hooks/ping"_s).status, 200);
    }

    void aHandlerMayWait()
    {
        const auto slow = m_server->get(u"/hooks/slow"_s);
        QCOMPARE(slow.status, 200);
        QCOMPARE(object(slow.body).value(u"slept"_s).toBool(), true);
    }

    void changesReachTheServiceSessionsPage()
    {
        QCOMPARE(m_server->get(u"/hooks/ping"_s).status, 200); // starts the service session
        const QString service = serviceSession();
        QVERIFY(!service.isEmpty());
        ProtocolClient page(*m_server, service);
        QVERIFY(page.open());
        page.sendMessages(
            { ProtocolClient::watch(1), ProtocolClient::create(kHits, 1, u"hits"_s) });
        QCOMPARE(data(page.waitForMessage(isUpdateOf(kHits))).value(u"value"_s).toInt(), 1);
        QCOMPARE(m_server->get(u"/hooks/ping"_s).status, 200);
        QCOMPARE(data(page.waitForMessage(isUpdateOf(kHits))).value(u"value"_s).toInt(), 2);
        // Ordinary sessions run the same code but do not answer the routes.
        const QString visitor = m_server->createSession();
        QVERIFY(visitor != service);
        QCOMPARE(serviceSession(), service);
    }

    void hotReloadReplacesTheRoutes()
    {
        QTemporaryDir dir;
        QVERIFY(lunette::test::copyTree(webSite(), dir.path()));
        startServer(dir.path());
        lunette::HotLoader loader(m_server->sessions());
        QCOMPARE(m_server->get(u"/hooks/text"_s).status, 200);

        const QString main = dir.path() + u"/lua/main.lua"_s;
        QVERIFY(lunette::test::writeFile(main,
            "local web = require('web')\n"
            "web.route('GET', '/hooks/ping', function() return { json = { version = 2 } } end)\n"));
        loader.fileChanged(u"lua/main.lua"_s);
        QTRY_COMPARE(object(m_server->get(u"/hooks/ping"_s).body).value(u"version"_s).toInt(), 2);
        QCOMPARE(m_server->get(u"/hooks/text"_s).status, 404); // no longer registered

        // A broken save keeps the routes that work.
        QVERIFY(lunette::test::writeFile(main, "local web = require('web')\nweb.route('GET',\n"));
        QSignalSpy failed(&loader, &lunette::HotLoader::luaReloadFailed);
        loader.fileChanged(u"lua/main.lua"_s);
        QVERIFY(failed.wait(5000));
        QCOMPARE(object(m_server->get(u"/hooks/ping"_s).body).value(u"version"_s).toInt(), 2);
    }

    void withoutThePermissionThereAreNoRoutes()
    {
        startServer(lunette::test::sourceDir() + u"/tests/data/sites/api"_s);
        const auto result = m_server->get(u"/hooks/ping"_s);
        QCOMPARE(result.status, 404); // a static file that does not exist
        QVERIFY(serviceSession().isEmpty());
        const QString session = m_server->createSession();
        const auto eval = m_server->request(
            "POST", u"/api/sessions/%1/eval"_s.arg(session), "{\"code\":\"require('web')\"}");
        QCOMPARE(eval.status, 422);
        QVERIFY2(eval.errorMessage().contains(u"\"web\""_s), qPrintable(eval.errorMessage()));
    }
};

QTEST_GUILESS_MAIN(TestWebRoutes)
#include "test_webroutes.moc"
