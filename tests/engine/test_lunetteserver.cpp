// The headless binary end to end: `lunette-server SITE --print-url` serves a ui-engine-style site
// (lua/main.lua + viewdefs/), a plain WebSocket client completes the bootstrap exchange of
// ui-engine digest §2.11, and SIGTERM shuts it down cleanly.

#include <csignal>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QDir>
#include <QFile>
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
        server.start(binary(), { lunette::test::sourceDir() + u"/tests/data/sites/protocol"_s, u"--print-url"_s });
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
        request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        std::unique_ptr<QNetworkReply> reply(http.get(request));
        QSignalSpy finished(reply.get(), &QNetworkReply::finished);
        QVERIFY(finished.wait(10000));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 307);
        const QString location = QString::fromUtf8(reply->rawHeader("Location"));
        QCOMPARE(location.size(), 33);
        const QString session = location.mid(1);
        QVERIFY(reply->rawHeader("Set-Cookie").contains(QByteArray("lunette-token=" + token.toUtf8())));

        QWebSocket socket;
        QNetworkRequest upgrade(QUrl(u"ws://127.0.0.1:%1/ws/%2"_s.arg(url.port()).arg(session)));
        upgrade.setRawHeader("Origin", u"http://127.0.0.1:%1"_s.arg(url.port()).toUtf8());
        upgrade.setRawHeader("Cookie", "lunette-token=" + token.toUtf8());
        QSignalSpy connected(&socket, &QWebSocket::connected);
        QSignalSpy received(&socket, &QWebSocket::textMessageReceived);
        socket.open(upgrade);
        QVERIFY(connected.wait(10000));

        socket.sendTextMessage(uR"({"userEvent":false,"messages":[{"type":"watch","data":{"varId":1}}]})"_s);
        QVERIFY(received.wait(10000));
        const QJsonArray bootstrap = QJsonDocument::fromJson(received.takeFirst().at(0).toString().toUtf8()).array();
        QCOMPARE(bootstrap.size(), 2);
        const QJsonObject viewdefs = bootstrap.at(0).toObject().value(u"data"_s).toObject();
        QVERIFY(viewdefs.value(u"properties"_s).toObject().value(u"viewdefs"_s).toString().contains(u"App.DEFAULT"_s));
        const QJsonObject app = bootstrap.at(1).toObject().value(u"data"_s).toObject();
        QCOMPARE(app.value(u"value"_s).toObject().value(u"obj"_s).toInt(), 2);
        QCOMPARE(app.value(u"properties"_s).toObject().value(u"type"_s).toString(), u"App"_s);

        socket.sendTextMessage(uR"({"userEvent":false,"messages":[{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"title"}}}]})"_s);
        QVERIFY(received.wait(10000));
        const QJsonObject title = QJsonDocument::fromJson(received.takeFirst().at(0).toString().toUtf8()).object();
        QCOMPARE(title.value(u"data"_s).toObject().value(u"value"_s).toString(), u"Protocol"_s);

        // SIGTERM: graceful shutdown, the client is told and the process exits 0.
        QSignalSpy disconnected(&socket, &QWebSocket::disconnected);
        ::kill(static_cast<pid_t>(server.processId()), SIGTERM);
        QVERIFY(server.waitForFinished(10000));
        QCOMPARE(server.exitStatus(), QProcess::NormalExit);
        QCOMPARE(server.exitCode(), 0);
        QVERIFY(disconnected.count() == 1 || disconnected.wait(5000));
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
