#pragma once

// A real Lunette server for tests: executor + SessionManager + SiteServer on loopback for a site
// folder, and a protocol client over a real QWebSocket. Waits are condition-based (QSignalSpy,
// QTRY_*), never fixed sleeps.

#include <deque>

#include <QElapsedTimer>
#include <memory>
#include <optional>

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QNetworkAccessManager>
#include <QString>
#include <QWebSocket>

#include "lua/LuaExecutor.h"
#include "server/SiteServer.h"
#include "session/SessionManager.h"
#include "site/Site.h"

namespace lunette::test {

class ServerFixture
{
public:
    // Opens `siteFolder` (fails the calling test through QVERIFY in start()).
    explicit ServerFixture(const QString& siteFolder, SessionManager::Options options = {},
        SiteServerOptions serverOptions = {});
    ~ServerFixture();

    // Starts listening; false (with a message in error()) when something failed.
    bool start();
    const QString& error() const { return m_error; }

    // Destroy the server, leaving the sessions and the executor running.
    void destroyServer() { m_server.reset(); }

    LuaExecutor& executor() { return *m_executor; }
    SessionManager& sessions() { return *m_sessions; }
    SiteServer& server() { return *m_server; }
    QString token() const { return m_server->token(); }
    QString origin() const { return m_server->origin(); }

    // GET / with the token; returns the new session id from the 307 Location (empty on error).
    QString createSession();
    // Raw GET of `path` (with the token cookie): status code and body.
    struct HttpResult
    {
        int status = 0;
        QByteArray body;
        QList<QPair<QByteArray, QByteArray>> headers;

        QJsonObject json() const; // the body as a JSON object (empty when it is not one)
        // The REST API's {"error":{"code","message"}}.
        QString errorCode() const;
        QString errorMessage() const;
        QByteArray header(const QByteArray& name) const; // case-insensitive; empty when absent
    };
    HttpResult get(const QString& path, bool withToken = true);
    // Any request: method, path, body and extra raw headers (withToken: the token cookie).
    HttpResult request(const QByteArray& method, const QString& path, const QByteArray& body = {},
        const QList<QPair<QByteArray, QByteArray>>& headers = {}, bool withToken = true);
    // The bytes as they are (a request a well-behaved client would not send, such as one with a
    // wrong Host) over a raw QTcpSocket; the response is read up to its Content-Length.
    HttpResult raw(const QByteArray& requestText);

private:
    QString m_siteFolder;
    SessionManager::Options m_options;
    SiteServerOptions m_serverOptions;
    std::unique_ptr<LuaExecutor> m_executor;
    std::shared_ptr<const Site> m_site;
    std::unique_ptr<SessionManager> m_sessions;
    std::unique_ptr<SiteServer> m_server;
    QNetworkAccessManager m_http;
    QString m_error;
};

// A protocol client: one WebSocket connection to a session.
class ProtocolClient
{
public:
    ProtocolClient(ServerFixture& fixture, const QString& sessionId);
    ~ProtocolClient();

    bool open(); // connects (with Origin and the token cookie) and waits until connected
    bool isOpen() const;
    void close(); // and wait until closed

    void send(const QByteArray& frame);
    // Convenience: {"userEvent":u,"messages":[...]} from message objects.
    void sendMessages(const QJsonArray& messages, bool userEvent = false);

    // The next frame as received (object or array), waiting up to timeoutMs.
    std::optional<QJsonValue> nextFrame(int timeoutMs = 5000);
    // Messages of the next frame (a single object becomes a one-element array).
    QJsonArray nextMessages(int timeoutMs = 5000);
    // Read frames until a message satisfying pred arrives; returns it (null object on timeout).
    template <typename Pred> QJsonObject waitForMessage(Pred pred, int timeoutMs = 5000);
    // Frames received and not consumed yet.
    std::size_t pendingFrames() const { return m_frames.size(); }
    QList<QByteArray> rawFrames() const { return m_raw; }

    static QJsonObject update(qint64 varId, const QJsonValue& value);
    static QJsonObject watch(qint64 varId);
    static QJsonObject create(
        qint64 id, qint64 parentId, const QString& path, const QJsonObject& extraProperties = {});

    QWebSocket& socket() { return m_socket; }

private:
    ServerFixture& m_fixture;
    QString m_sessionId;
    QWebSocket m_socket;
    std::deque<QJsonValue> m_frames;
    QList<QByteArray> m_raw;
};

template <typename Pred> QJsonObject ProtocolClient::waitForMessage(Pred pred, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        const auto frame = nextFrame(static_cast<int>(timeoutMs - timer.elapsed()));
        if (!frame)
            break;
        const QJsonArray messages = frame->isArray() ? frame->toArray() : QJsonArray { *frame };
        for (const QJsonValue& m : messages) {
            if (pred(m.toObject()))
                return m.toObject();
        }
    }
    return {};
}

} // namespace lunette::test
