// The headless binary end to end: `lunette-server SITE --print-url` serves a ui-engine-style site
// (lua/main.lua + viewdefs/), a plain WebSocket client completes the bootstrap exchange of
// ui-engine digest §2.11, and SIGTERM shuts it down cleanly.

#include <csignal>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>
#include <QWebSocket>

#include "support/TestSupport.h"

using namespace Qt::StringLiterals;

class TestLunetteServer final : public QObject
{
    Q_OBJECT

private:
    static QString binary() { return QStringLiteral(LUNETTE_SERVER_BINARY); }

private slots:
    void servesASiteToAPlainWebSocketClient()
    {
        QProcess server;
        server.start(binary(),
            { lunette::test::sourceDir() + u"/tests/data/sites/protocol"_s, u"--print-url"_s });
        QVERIFY(server.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine(), 10000);
        const QUrl url(QString::fromUtf8(server.readLine()).trimmed());
        QCOMPARE(url.scheme(), u"http"_s);
        QCOMPARE(url.host(), u"127.0.0.1"_s);
        const QString token = QUrlQuery(url).queryItemValue(u"token"_s);
        QCOMPARE(token.size(), 64); // 256 random bits

        // GET /?token=… → 307 to /<session> with the token and session cookies.
        QNetworkAccessManager http;
        QNetworkRequest request(url);
        request.setAttribute(
            QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        std::unique_ptr<QNetworkReply> reply(http.get(request));
        QSignalSpy finished(reply.get(), &QNetworkReply::finished);
        QVERIFY(finished.wait(10000));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 307);
        const QString location = QString::fromUtf8(reply->rawHeader("Location"));
        QCOMPARE(location.size(), 33);
        const QString session = location.mid(1);
        QVERIFY(
            reply->rawHeader("Set-Cookie").contains(QByteArray("lunette-token=" + token.toUtf8())));

        QWebSocket socket;
        QNetworkRequest upgrade(QUrl(u"ws://127.0.0.1:%1/ws/%2"_s.arg(url.port()).arg(session)));
        upgrade.setRawHeader("Origin", u"http://127.0.0.1:%1"_s.arg(url.port()).toUtf8());
        upgrade.setRawHeader("Cookie", "lunette-token=" + token.toUtf8());
        QSignalSpy connected(&socket, &QWebSocket::connected);
        QSignalSpy received(&socket, &QWebSocket::textMessageReceived);
        socket.open(upgrade);
        QVERIFY(connected.wait(10000));

        socket.sendTextMessage(
            uR"({"userEvent":false,"messages":[{"type":"watch","data":{"varId":1}}]})"_s);
        QVERIFY(received.wait(10000));
        const QJsonArray bootstrap
            = QJsonDocument::fromJson(received.takeFirst().at(0).toString().toUtf8()).array();
        QCOMPARE(bootstrap.size(), 2);
        const QJsonObject viewdefs = bootstrap.at(0).toObject().value(u"data"_s).toObject();
        QVERIFY(viewdefs.value(u"properties"_s)
                    .toObject()
                    .value(u"viewdefs"_s)
                    .toString()
                    .contains(u"App.DEFAULT"_s));
        const QJsonObject app = bootstrap.at(1).toObject().value(u"data"_s).toObject();
        QCOMPARE(app.value(u"value"_s).toObject().value(u"obj"_s).toInt(), 2);
        QCOMPARE(app.value(u"properties"_s).toObject().value(u"type"_s).toString(), u"App"_s);

        socket.sendTextMessage(
            uR"({"userEvent":false,"messages":[{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"title"}}}]})"_s);
        QVERIFY(received.wait(10000));
        const QJsonObject title
            = QJsonDocument::fromJson(received.takeFirst().at(0).toString().toUtf8()).object();
        QCOMPARE(title.value(u"data"_s).toObject().value(u"value"_s).toString(), u"Protocol"_s);

        // SIGTERM: graceful shutdown, the client is told and the process exits 0.
        QSignalSpy disconnected(&socket, &QWebSocket::disconnected);
        ::kill(static_cast<pid_t>(server.processId()), SIGTERM);
        QVERIFY(server.waitForFinished(10000));
        QCOMPARE(server.exitStatus(), QProcess::NormalExit);
        QCOMPARE(server.exitCode(), 0);
        QVERIFY(disconnected.count() == 1 || disconnected.wait(5000));
    }

    // The limit flags reach the engine: --max-sessions 1 refuses a second session with 503.
    void limitFlags()
    {
        QProcess server;
        server.start(binary(),
            { lunette::test::sourceDir() + u"/tests/data/sites/protocol"_s, u"--print-url"_s,
                u"--max-sessions"_s, u"1"_s, u"--turn-deadline"_s, u"2000"_s, u"--session-memory"_s,
                u"64"_s, u"--max-frame-size"_s, u"65536"_s, u"--request-timeout"_s, u"10"_s,
                u"--max-connections"_s, u"32"_s, u"--max-session-connections"_s, u"4"_s });
        QVERIFY(server.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine(), 10000);
        const QUrl url(QString::fromUtf8(server.readLine()).trimmed());
        QNetworkAccessManager http;
        auto get = [&http](const QUrl& target) {
            QNetworkRequest request(target);
            request.setAttribute(
                QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
            std::unique_ptr<QNetworkReply> reply(http.get(request));
            QSignalSpy finished(reply.get(), &QNetworkReply::finished);
            finished.wait(10000);
            return std::make_pair(
                reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                reply->readAll());
        };
        QCOMPARE(get(url).first, 307);
        const auto refused = get(url);
        QCOMPARE(refused.first, 503);
        QVERIFY2(
            refused.second.contains("too many sessions (limit 1)"), refused.second.constData());
        server.terminate();
        QVERIFY(server.waitForFinished(10000));
    }

    void badLimitValuesAreUsageErrors()
    {
        const QString site = lunette::test::sourceDir() + u"/tests/data/sites/protocol"_s;
        const QList<QPair<QStringList, QByteArray>> cases {
            { { u"--max-sessions"_s, u"-3"_s }, "--max-sessions: not a number of sessions" },
            { { u"--turn-deadline"_s, u"soon"_s },
                "--turn-deadline: not a number of milliseconds" },
            { { u"--session-memory"_s, u"1.5"_s }, "--session-memory: not a size in MiB" },
            { { u"--max-frame-size"_s, u"0"_s }, "--max-frame-size: must be at least 1 byte" },
        };
        for (const auto& [arguments, message] : cases) {
            QProcess server;
            server.start(binary(), QStringList { site } + arguments);
            QVERIFY(server.waitForFinished(10000));
            QCOMPARE(server.exitCode(), 2);
            const QByteArray error = server.readAllStandardError();
            QVERIFY2(error.contains(message), error.constData());
        }
        QProcess help;
        help.start(binary(), { u"--help"_s });
        QVERIFY(help.waitForFinished(10000));
        const QByteArray text = help.readAllStandardOutput();
        for (const char* flag : { "--max-sessions", "--max-connections",
                 "--max-session-connections", "--max-frame-size", "--request-timeout",
                 "--session-timeout", "--turn-deadline", "--session-memory" })
            QVERIFY2(text.contains(flag), flag);
    }

    void refusesAFolderThatIsNotASite()
    {
        QProcess server;
        server.start(binary(), { lunette::test::sourceDir() + u"/tests/data"_s });
        QVERIFY(server.waitForFinished(10000));
        QCOMPARE(server.exitCode(), 2);
        QVERIFY(server.readAllStandardError().contains("is not a site"));
    }

    void checkReportsASyntaxErrorWithItsLine()
    {
        QTemporaryDir site;
        QVERIFY(QDir(site.path()).mkpath(u"lua"_s));
        QFile main(site.path() + u"/lua/main.lua"_s);
        QVERIFY(main.open(QIODevice::WriteOnly));
        main.write("local x = 1\nlocal y = = 2\n");
        main.close();
        QProcess server;
        server.start(binary(), { site.path(), u"--check"_s });
        QVERIFY(server.waitForFinished(10000));
        QCOMPARE(server.exitCode(), 1);
        QVERIFY(server.readAllStandardError().contains("lua/main.lua:2:"));
    }
};

QTEST_GUILESS_MAIN(TestLunetteServer)
#include "test_lunetteserver.moc"
