// The REST API under /api/ (engine/server/ApiRoutes.cpp) against the real server and real
// sessions of tests/data/sites/api: every route with and without the token, a wrong Host, a
// foreign Origin, malformed bodies, unknown sessions and routes; eval with console semantics
// (expressions, statements, several results, errors, print, a waiting call), its changes reaching
// a connected page; reload and end of a session; the site's hot reload state through SiteHost.

#include <memory>

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "host/SiteHost.h"
#include "support/ProtocolMatchers.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::test::data;
using lunette::test::isUpdateOf;
using lunette::test::ProtocolClient;
using lunette::test::ServerFixture;
using Headers = QList<QPair<QByteArray, QByteArray>>;

namespace {

constexpr qint64 kCount = 2;

QString apiSite()
{
    return lunette::test::sourceDir() + u"/tests/data/sites/api"_s;
}

// [value]: one element that is itself an array (QJsonArray { array } would copy under clang).
QJsonArray nested(const QJsonArray& value)
{
    QJsonArray outer;
    outer.append(value);
    return outer;
}

QJsonObject object(const QByteArray& body)
{
    return QJsonDocument::fromJson(body).object();
}

QByteArray codeBody(const QString& code)
{
    return QJsonDocument(QJsonObject { { u"code"_s, code } }).toJson(QJsonDocument::Compact);
}

} // namespace

class TestApiRoutes final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ServerFixture> m_server;

    ServerFixture::HttpResult eval(const QString& session, const QString& code)
    {
        return m_server->request("POST", u"/api/sessions/"_s + session + u"/eval"_s, codeBody(code),
            { { "Content-Type", "application/json" } });
    }
    // The values of a successful eval (fails the test otherwise).
    QJsonArray values(const QString& session, const QString& code)
    {
        const auto result = eval(session, code);
        if (result.status != 200)
            qWarning("eval of %s: %d %s", qPrintable(code), result.status, result.body.constData());
        return object(result.body).value(u"values"_s).toArray();
    }
    Headers bearer() const
    {
        return { { "Authorization", "Bearer " + m_server->token().toUtf8() } };
    }

private slots:
    void init()
    {
        m_server = std::make_unique<ServerFixture>(apiSite());
        QVERIFY2(m_server->start(), qPrintable(m_server->error()));
    }
    void cleanup() { m_server.reset(); }

    void everyRouteNeedsTheToken_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::newRow("health") << QByteArray("GET") << u"/api/health"_s;
        QTest::newRow("site") << QByteArray("GET") << u"/api/site"_s;
        QTest::newRow("sessions") << QByteArray("GET") << u"/api/sessions"_s;
        QTest::newRow("variables") << QByteArray("GET") << u"/api/sessions/%1/variables"_s;
        QTest::newRow("eval") << QByteArray("POST") << u"/api/sessions/%1/eval"_s;
        QTest::newRow("reload") << QByteArray("POST") << u"/api/sessions/%1/reload"_s;
        QTest::newRow("end") << QByteArray("DELETE") << u"/api/sessions/%1"_s;
        QTest::newRow("unknown route") << QByteArray("GET") << u"/api/nothing"_s;
    }
    void everyRouteNeedsTheToken()
    {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        const QString session = m_server->createSession();
        QVERIFY(!session.isEmpty());
        if (path.contains(u"%1"_s))
            path = path.arg(session);
        const QByteArray body = method == "POST" ? codeBody(u"return 1"_s) : QByteArray();

        const auto without = m_server->request(method, path, body, {}, false);
        QCOMPARE(without.status, 401);
        QCOMPARE(without.errorCode(), u"unauthorized"_s);
        QVERIFY(without.header("WWW-Authenticate").startsWith("Bearer"));
        QVERIFY(without.header("Access-Control-Allow-Origin").isEmpty());

        const auto wrong = m_server->request(
            method, path, body, { { "Authorization", "Bearer 0123456789abcdef" } }, false);
        QCOMPARE(wrong.status, 401);

        // Nothing happened without the token: the session still exists and was not evaluated in.
        QCOMPARE(values(session, u"loads"_s), QJsonArray { 1 });

        // With the bearer token the route answers (the unknown route with its 404).
        const auto with = m_server->request(method, path, body, bearer(), false);
        QCOMPARE(with.status, path.endsWith(u"/nothing"_s) ? 404 : 200);
    }

    void theTokenCookieAndQueryWorkToo()
    {
        QCOMPARE(m_server->get(u"/api/health"_s).status, 200); // the cookie
        const auto query = m_server->get(u"/api/health?token="_s + m_server->token(), false);
        QCOMPARE(query.status, 200);
        // An API reply never sets the token cookie, even when the token came in the query.
        QVERIFY(query.header("Set-Cookie").isEmpty());
    }

    void aWrongHostIsRefused()
    {
        const QByteArray token = m_server->token().toUtf8();
        const QByteArray port = QByteArray::number(m_server->server().port());
        const auto rebound = m_server->raw("GET /api/health HTTP/1.1\r\nHost: evil.example:" + port
            + "\r\nAuthorization: Bearer " + token + "\r\n\r\n");
        QCOMPARE(rebound.status, 403);
        QCOMPARE(rebound.errorCode(), u"bad-host"_s);
        const auto good = m_server->raw("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:" + port
            + "\r\nAuthorization: Bearer " + token + "\r\n\r\n");
        QCOMPARE(good.status, 200);
    }

    void aForeignOriginIsRefused()
    {
        const QString session = m_server->createSession();
        const Headers foreign { { "Origin", "http://evil.example" } };
        const auto post = m_server->request(
            "POST", u"/api/sessions/%1/eval"_s.arg(session), codeBody(u"loads = 100"_s), foreign);
        QCOMPARE(post.status, 403);
        QCOMPARE(post.errorCode(), u"bad-origin"_s);
        const auto del
            = m_server->request("DELETE", u"/api/sessions/%1"_s.arg(session), {}, foreign);
        QCOMPARE(del.status, 403);
        QCOMPARE(m_server->request("GET", u"/api/sessions"_s, {}, foreign).status, 403);
        // The session is untouched; the server's own origin is welcome.
        const Headers own { { "Origin", m_server->origin().toUtf8() } };
        const auto ok = m_server->request(
            "POST", u"/api/sessions/%1/eval"_s.arg(session), codeBody(u"return loads"_s), own);
        QCOMPARE(ok.status, 200);
        QCOMPARE(object(ok.body).value(u"values"_s).toArray(), QJsonArray { 1 });
    }

    void health()
    {
        m_server->createSession();
        const auto result = m_server->get(u"/api/health"_s);
        QCOMPARE(result.status, 200);
        QCOMPARE(result.header("Content-Type"), QByteArray("application/json"));
        const QJsonObject health = object(result.body);
        QCOMPARE(health.value(u"status"_s).toString(), u"ok"_s);
        QCOMPARE(health.value(u"site"_s).toString(), u"api"_s);
        QCOMPARE(health.value(u"sessions"_s).toInt(), 1);
        QCOMPARE(health.value(u"version"_s).toString(), QStringLiteral(LUNETTE_VERSION));
        QVERIFY(health.value(u"uptimeSeconds"_s).toInteger(-1) >= 0);
    }

    void site()
    {
        const auto result = m_server->get(u"/api/site"_s);
        QCOMPARE(result.status, 200);
        const QJsonObject site = object(result.body);
        QCOMPARE(site.value(u"name"_s).toString(), u"api"_s);
        const QJsonObject manifest = site.value(u"manifest"_s).toObject();
        QCOMPARE(manifest.value(u"version"_s).toString(), u"1.2.3"_s);
        QCOMPARE(manifest.value(u"entry"_s).toString(), u"lua/main.lua"_s);
        QCOMPARE(manifest.value(u"window"_s).toObject().value(u"width"_s).toInt(), 640);
        QCOMPARE(site.value(u"permissions"_s).toArray(), QJsonArray {});
        const QJsonObject reload = site.value(u"hotReload"_s).toObject();
        QCOMPARE(reload.value(u"enabled"_s).toBool(true), false); // the fixture has no hot loader
        QVERIFY(reload.value(u"last"_s).isNull());
    }

    void sessionsAreListed()
    {
        const QDateTime before = QDateTime::currentDateTimeUtc().addSecs(-1);
        const QString first = m_server->createSession();
        const QString second = m_server->createSession();
        ProtocolClient page(*m_server, second);
        QVERIFY(page.open());
        const auto result = m_server->get(u"/api/sessions"_s);
        QCOMPARE(result.status, 200);
        const QJsonArray list = QJsonDocument::fromJson(result.body).array();
        QCOMPARE(list.size(), 2);
        QCOMPARE(list.at(0).toObject().value(u"id"_s).toString(), first);
        QCOMPARE(list.at(1).toObject().value(u"id"_s).toString(), second);
        QCOMPARE(list.at(0).toObject().value(u"connections"_s).toInt(), 0);
        QTRY_COMPARE(QJsonDocument::fromJson(m_server->get(u"/api/sessions"_s).body)
                         .array()
                         .at(1)
                         .toObject()
                         .value(u"connections"_s)
                         .toInt(),
            1);
        const QJsonObject info = list.at(0).toObject();
        QVERIFY(info.value(u"variables"_s).toInt() >= 1); // the app variable
        const QDateTime created
            = QDateTime::fromString(info.value(u"created"_s).toString(), Qt::ISODateWithMs);
        QVERIFY(created.isValid());
        QVERIFY(created >= before && created <= QDateTime::currentDateTimeUtc().addSecs(1));
        QVERIFY(QDateTime::fromString(info.value(u"lastActivity"_s).toString(), Qt::ISODateWithMs)
                    .isValid());
    }

    void variablesAreTheBrowsersJson()
    {
        const QString session = m_server->createSession();
        const auto api = m_server->get(u"/api/sessions/%1/variables"_s.arg(session));
        QCOMPARE(api.status, 200);
        const auto page = m_server->get(u"/%1/variables.json"_s.arg(session));
        QCOMPARE(page.status, 200);
        QCOMPARE(QJsonDocument::fromJson(api.body), QJsonDocument::fromJson(page.body));
        QVERIFY(!QJsonDocument::fromJson(api.body).isNull());
    }

    void evalExpressionsAndStatements()
    {
        const QString session = m_server->createSession();
        QCOMPARE(values(session, u"1 + 2"_s), QJsonArray { 3 });
        QCOMPARE(values(session, u"session:getApp().greeting"_s), QJsonArray { u"hello"_s });
        // A statement has no values; what it defines stays for the next eval.
        QCOMPARE(values(session, u"answer = 6 * 7"_s), QJsonArray {});
        QCOMPARE(values(session, u"answer"_s), QJsonArray { 42 });
        QCOMPARE(values(session, u"local t = {} for i = 1, 3 do t[i] = i * i end return t"_s),
            nested(QJsonArray { 1, 4, 9 }));
    }

    void evalReturnsEveryResult()
    {
        const QString session = m_server->createSession();
        const auto result = eval(session, u"return 1, 'two', {a = true}, nil, print"_s);
        QCOMPARE(result.status, 200);
        const QJsonObject reply = object(result.body);
        const QJsonArray got = reply.value(u"values"_s).toArray();
        QCOMPARE(got.size(), 5);
        QCOMPARE(got.at(0), QJsonValue(1));
        QCOMPARE(got.at(1), QJsonValue(u"two"_s));
        QCOMPARE(got.at(2).toObject(), (QJsonObject { { u"a"_s, true } }));
        QVERIFY(got.at(3).isNull());
        // A function has no JSON form: its tostring text stands in.
        QVERIFY2(got.at(4).toString().startsWith(u"builtin: "_s)
                || got.at(4).toString().startsWith(u"function: "_s),
            qPrintable(got.at(4).toString()));
        const QJsonArray shown = reply.value(u"shown"_s).toArray();
        QCOMPARE(shown.at(0).toString(), u"1"_s);
        QCOMPARE(shown.at(3).toString(), u"nil"_s);
        QVERIFY(shown.at(2).toString().startsWith(u"table: "_s));
    }

    void evalCapturesPrint()
    {
        const QString session = m_server->createSession();
        const auto result = eval(session, u"print('a', 1) print('b') return 'done'"_s);
        QCOMPARE(result.status, 200);
        const QJsonObject reply = object(result.body);
        QCOMPARE(reply.value(u"output"_s).toArray(), (QJsonArray { u"a\t1"_s, u"b"_s }));
        QCOMPARE(reply.value(u"values"_s).toArray(), QJsonArray { u"done"_s });
    }

    void evalErrors()
    {
        const QString session = m_server->createSession();
        const auto syntax = eval(session, u"return 1 +"_s);
        QCOMPARE(syntax.status, 400);
        QCOMPARE(syntax.errorCode(), u"lua-syntax-error"_s);
        QVERIFY2(
            syntax.errorMessage().contains(u"console:1:"_s), qPrintable(syntax.errorMessage()));

        const auto runtime = eval(session, u"print('before') error('boom')"_s);
        QCOMPARE(runtime.status, 422);
        QCOMPARE(runtime.errorCode(), u"lua-error"_s);
        QVERIFY2(runtime.errorMessage().contains(u"boom"_s), qPrintable(runtime.errorMessage()));
        const QJsonObject reply = object(runtime.body);
        QVERIFY(reply.value(u"error"_s)
                    .toObject()
                    .value(u"traceback"_s)
                    .toString()
                    .contains(u"stack traceback"_s));
        QCOMPARE(reply.value(u"output"_s).toArray(), QJsonArray { u"before"_s });

        // The session goes on.
        QCOMPARE(values(session, u"loads"_s), QJsonArray { 1 });
    }

    void evalWaits()
    {
        const QString session = m_server->createSession();
        const auto result = eval(session,
            u"local time = require('time') print('before') time.sleep(50) return 'woke'"_s);
        QCOMPARE(result.status, 200);
        const QJsonObject reply = object(result.body);
        QCOMPARE(reply.value(u"values"_s).toArray(), QJsonArray { u"woke"_s });
        QCOMPARE(reply.value(u"output"_s).toArray(), QJsonArray { u"before"_s });
    }

    void evalMayWaitLongerThanTheRequestTimeout()
    {
        // The request timeout is for clients slow to send; Lua taking its time is not cut off.
        lunette::SiteServerOptions options;
        options.requestTimeout = std::chrono::milliseconds(300);
        m_server = std::make_unique<ServerFixture>(
            apiSite(), lunette::SessionManager::Options {}, options);
        QVERIFY2(m_server->start(), qPrintable(m_server->error()));
        const QString session = m_server->createSession();
        const auto result = eval(session, u"require('time').sleep(900) return 'late'"_s);
        QCOMPARE(result.status, 200);
        QCOMPARE(object(result.body).value(u"values"_s).toArray(), QJsonArray { u"late"_s });
    }

    void evalWaitingWhenTheSessionEnds()
    {
        const QString session = m_server->createSession();
        // The eval waits for a minute; the session is ended meanwhile from a second request.
        QNetworkAccessManager http;
        QNetworkRequest request(QUrl(m_server->origin() + u"/api/sessions/%1/eval"_s.arg(session)));
        request.setRawHeader("Authorization", "Bearer " + m_server->token().toUtf8());
        std::unique_ptr<QNetworkReply> waiting(http.post(
            request, codeBody(u"waiting = true require('time').sleep(60000) return 1"_s)));
        QSignalSpy finished(waiting.get(), &QNetworkReply::finished);
        QTRY_COMPARE(values(session, u"waiting"_s), (QJsonArray { true }));
        QCOMPARE(m_server->request("DELETE", u"/api/sessions/%1"_s.arg(session)).status, 200);
        QVERIFY(finished.wait(10000) || finished.size() == 1);
        QCOMPARE(waiting->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 410);
        QCOMPARE(
            object(waiting->readAll()).value(u"error"_s).toObject().value(u"code"_s).toString(),
            u"session-ended"_s);
    }

    void evalChangesReachThePage()
    {
        const QString session = m_server->createSession();
        ProtocolClient page(*m_server, session);
        QVERIFY(page.open());
        page.sendMessages(
            { ProtocolClient::watch(1), ProtocolClient::create(kCount, 1, u"count"_s) });
        QVERIFY(!page.waitForMessage(isUpdateOf(kCount)).isEmpty());
        QCOMPARE(values(session, u"session:getApp().count = 41"_s), QJsonArray {});
        const QJsonObject update = page.waitForMessage(isUpdateOf(kCount));
        QCOMPARE(data(update).value(u"value"_s).toInt(), 41);
    }

    void badBodies_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("says");
        QTest::newRow("not JSON") << QByteArray("{\"code\": ") << u"not JSON"_s;
        QTest::newRow("empty") << QByteArray() << u"not JSON"_s;
        QTest::newRow("an array") << QByteArray("[\"return 1\"]") << u"JSON object"_s;
        QTest::newRow("no code") << QByteArray("{\"source\": \"return 1\"}") << u"no \"code\""_s;
        QTest::newRow("code not a string") << QByteArray("{\"code\": 12}") << u"must be a string"_s;
    }
    void badBodies()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, says);
        const QString session = m_server->createSession();
        const auto result
            = m_server->request("POST", u"/api/sessions/%1/eval"_s.arg(session), body);
        QCOMPARE(result.status, 400);
        QCOMPARE(result.errorCode(), u"bad-request"_s);
        QVERIFY2(result.errorMessage().contains(says), qPrintable(result.errorMessage()));
    }

    void unknownSessionsAndRoutes()
    {
        const QString missing = u"0123456789abcdef0123456789abcdef"_s;
        for (const auto& [method, path] : std::initializer_list<std::pair<QByteArray, QString>> {
                 { "GET", u"/api/sessions/%1/variables"_s }, { "POST", u"/api/sessions/%1/eval"_s },
                 { "POST", u"/api/sessions/%1/reload"_s }, { "DELETE", u"/api/sessions/%1"_s },
                 { "DELETE", u"/api/sessions/not-an-id"_s } }) {
            const auto result = m_server->request(
                method, path.contains(u"%1"_s) ? path.arg(missing) : path, codeBody(u"1"_s));
            QCOMPARE(result.status, 404);
            QCOMPARE(result.errorCode(), u"unknown-session"_s);
        }
        const auto route = m_server->get(u"/api/sessionz"_s);
        QCOMPARE(route.status, 404);
        QCOMPARE(route.errorCode(), u"not-found"_s);
        const auto method = m_server->get(u"/api/sessions/%1/eval"_s.arg(missing));
        QCOMPARE(method.status, 405);
        QCOMPARE(method.header("Allow"), QByteArray("POST"));
        QCOMPARE(method.errorCode(), u"method-not-allowed"_s);
        QCOMPARE(m_server->request("POST", u"/api/sessions"_s).status, 405);
    }

    void reloadRerunsTheEntryScript()
    {
        const QString session = m_server->createSession();
        QCOMPARE(values(session, u"session:getApp():bump() return session:getApp().count"_s),
            QJsonArray { 1 });
        const auto result = m_server->request("POST", u"/api/sessions/%1/reload"_s.arg(session));
        QCOMPARE(result.status, 200);
        QCOMPARE(object(result.body).value(u"reloaded"_s).toBool(), true);
        // main.lua ran again; the state was kept.
        QCOMPARE(values(session, u"return loads, session:getApp().count"_s), (QJsonArray { 2, 1 }));
    }

    void aFailedReloadSaysWhy()
    {
        QTemporaryDir dir;
        QVERIFY(lunette::test::copyTree(apiSite(), dir.path()));
        m_server = std::make_unique<ServerFixture>(dir.path());
        QVERIFY2(m_server->start(), qPrintable(m_server->error()));
        const QString session = m_server->createSession();
        QVERIFY(lunette::test::writeFile(dir.path() + u"/lua/main.lua"_s,
            "loads = (loads or 0) + 1\nerror('broken on purpose')\n"));
        const auto result = m_server->request("POST", u"/api/sessions/%1/reload"_s.arg(session));
        QCOMPARE(result.status, 422);
        QCOMPARE(result.errorCode(), u"lua-error"_s);
        QVERIFY2(result.errorMessage().contains(u"broken on purpose"_s),
            qPrintable(result.errorMessage()));
        QVERIFY(result.errorMessage().contains(u"main.lua:2"_s));
        // The session still works.
        QCOMPARE(values(session, u"session:getApp().count"_s), QJsonArray { 0 });
    }

    void endASession()
    {
        const QString session = m_server->createSession();
        const QString other = m_server->createSession();
        ProtocolClient page(*m_server, session);
        QVERIFY(page.open());
        QSignalSpy closed(&page.socket(), &QWebSocket::disconnected);
        const auto result = m_server->request("DELETE", u"/api/sessions/%1"_s.arg(session));
        QCOMPARE(result.status, 200);
        QCOMPARE(object(result.body).value(u"ended"_s).toBool(), true);
        QVERIFY(closed.wait(5000) || closed.size() == 1);
        QCOMPARE(int(page.socket().closeCode()), 1001);
        const QJsonArray list
            = QJsonDocument::fromJson(m_server->get(u"/api/sessions"_s).body).array();
        QCOMPARE(list.size(), 1);
        QCOMPARE(list.at(0).toObject().value(u"id"_s).toString(), other);
        QCOMPARE(m_server->request("DELETE", u"/api/sessions/%1"_s.arg(session)).status, 404);
    }

    void siteShowsTheHotReloadState()
    {
        QTemporaryDir dir;
        QVERIFY(lunette::test::copyTree(apiSite(), dir.path()));
        lunette::SiteHost::Options options;
        options.hotload = true;
        auto host = lunette::SiteHost::start(dir.path(), options);
        QVERIFY2(host, host ? "" : qPrintable(host.error()));
        QNetworkAccessManager http;
        const auto site = [&] {
            QNetworkRequest request(QUrl((*host)->server().origin() + u"/api/site"_s));
            request.setRawHeader("Authorization", "Bearer " + (*host)->server().token().toUtf8());
            std::unique_ptr<QNetworkReply> reply(http.get(request));
            QSignalSpy finished(reply.get(), &QNetworkReply::finished);
            finished.wait(10000);
            return object(reply->readAll()).value(u"hotReload"_s).toObject();
        };
        QCOMPARE(site().value(u"enabled"_s).toBool(), true);
        QVERIFY(site().value(u"last"_s).isNull());

        // A session loads main.lua, so a broken edit of it is reloaded (and fails) there.
        QVERIFY(!lunette::test::openSession((*host)->url()).isEmpty());
        QVERIFY(lunette::test::writeFile(dir.path() + u"/lua/main.lua"_s,
            "loads = (loads or 0) + 1\nerror('edit went wrong')\n"));
        QTRY_VERIFY_WITH_TIMEOUT(!site().value(u"last"_s).isNull(), 10000);
        const QJsonObject last = site().value(u"last"_s).toObject();
        QCOMPARE(last.value(u"file"_s).toString(), u"lua/main.lua"_s);
        QCOMPARE(last.value(u"ok"_s).toBool(true), false);
        QVERIFY2(last.value(u"error"_s).toString().contains(u"edit went wrong"_s),
            qPrintable(last.value(u"error"_s).toString()));

        (*host)->setHotload(false);
        QCOMPARE(site().value(u"enabled"_s).toBool(true), false);
    }
};

QTEST_GUILESS_MAIN(TestApiRoutes)
#include "test_apiroutes.moc"
