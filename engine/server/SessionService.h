#pragma once

// The seam between the server thread (engine/server) and the session layer (engine/session).
//
// The server parses nothing Lua: it authorizes requests, then hands session work to a
// SessionService, and writes the frames the session layer gives back through a ConnectionSink.
// Every SessionService method is thread-safe and returns at once (Lua work is queued on the
// executor); results come back through callbacks, which run on the executor thread — the caller
// marshals them to its own thread.

#include <chrono>
#include <functional>
#include <vector>

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QStringView>
#include <QtGlobal>

namespace lunette {

// One WebSocket connection, numbered by the server (never reused within a process).
using ConnectionId = quint64;

// Whether text has the form of a session id: 32 lowercase hex characters.
inline bool isSessionId(QStringView text)
{
    if (text.size() != 32)
        return false;
    for (const QChar c : text) {
        if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f')))
            return false;
    }
    return true;
}

// Implemented by the server. Thread-safe: called from the executor thread.
class ConnectionSink
{
public:
    virtual ~ConnectionSink() = default;
    // Write one text frame to the connection; dropped if the connection is gone.
    virtual void sendFrame(ConnectionId id, const QByteArray& frame) = 0;
    // Close the connection (its session ended or it broke a rule). Standard close codes.
    virtual void closeConnection(ConnectionId id, quint16 code, const QString& reason) = 0;
};

// Implemented by the session layer (SessionManager).
class SessionService
{
public:
    struct Created
    {
        QString sessionId; // 32 lowercase hex characters; empty on failure
        QString error; // on failure: the Lua error (message and traceback)
        QString location; // on failure: "lua/main.lua:12" when known
        bool busy = false; // on failure: a limit was reached (try later), not a Lua error
        bool ok() const { return !sessionId.isEmpty(); }
    };

    virtual ~SessionService() = default;

    // Where outgoing frames go. Set once, before the first connection opens.
    virtual void setConnectionSink(ConnectionSink* sink) = 0;

    // Create a session (new lua_State, runs the site's entry script) and report the result.
    virtual void createSession(std::function<void(const Created&)> done) = 0;
    // Whether the session exists now (thread-safe snapshot).
    virtual bool hasSession(const QString& sessionId) const = 0;

    // A WebSocket connection to an existing session was accepted. Frames from it are then
    // passed to receiveFrame in order; closeConnection ends it. Unknown session: the service
    // closes the connection through the sink.
    virtual void openConnection(const QString& sessionId, ConnectionId id) = 0;
    virtual void receiveFrame(ConnectionId id, const QByteArray& frame) = 0;
    virtual void closeConnection(ConnectionId id) = 0;

    // The variable browser's data (ui-engine digest §8.1): JSON text and the change count.
    // `found` is false when the session does not exist.
    struct VariablesSnapshot
    {
        bool found = false;
        QByteArray json;
        quint64 changeCount = 0;
        // VariableTree::version() when taken (see SessionManager::variablesIfChanged).
        quint64 version = 0;
    };
    virtual void variables(
        const QString& sessionId, std::function<void(const VariablesSnapshot&)> done)
        = 0;

    // ---- control (the REST API under /api/, the Sessions dock) ----

    // One live session.
    struct SessionInfo
    {
        QString id;
        int connections = 0;
        std::chrono::steady_clock::time_point created, lastActivity;
        int variableCount = 0;
        bool service = false; // the site's service session (it answers the Lua routes)
    };
    // Every live session, in creation order; done runs on the executor (or at once, with an empty
    // list, when the executor has shut down).
    virtual void sessionInfos(std::function<void(std::vector<SessionInfo>)> done) = 0;

    // The result of running code in a session (console semantics, see engine/session/Console.h).
    struct Evaluation
    {
        enum class Status
        {
            Ok,
            SyntaxError, // the code does not compile (error holds the message)
            Error, // it failed while running (error and traceback)
            NotFound, // no such session
            Ended, // the session ended while the code was waiting
        };
        Status status = Status::Ok;
        QByteArray values = QByteArrayLiteral("[]"); // the results as a JSON array
        QStringList shown; // the results as the console shows them (tostring)
        QStringList output; // print() lines written while the code ran
        QString error;
        QString traceback;
    };
    // Run code as a turn of the session, so what it changes reaches the session's pages. done is
    // called once, on the executor thread: when the code has finished, also when it waited
    // (time.sleep, http…) first, or with Ended when the session ended during the wait.
    virtual void evaluate(
        const QString& sessionId, const QString& code, std::function<void(const Evaluation&)> done)
        = 0;

    // Re-run the session's entry script as a hot reload does (HOTLOAD.md: the state is kept;
    // prototypes are updated). found = false: no such session; error empty: it worked.
    struct Outcome
    {
        bool found = false;
        QString error;
        QString traceback;
    };
    virtual void reloadSession(const QString& sessionId, std::function<void(const Outcome&)> done)
        = 0;
    // End the session now (its pages are closed with 1001). done(found) on the executor.
    virtual void endSession(const QString& sessionId, std::function<void(bool found)> done) = 0;

    // ---- HTTP routes written in Lua (the `web` module) ----

    struct WebRequest
    {
        QString method; // "GET", "POST", …
        QString path; // decoded
        QList<QPair<QString, QString>> query; // decoded, in order
        QList<QPair<QByteArray, QByteArray>> headers; // as received
        QByteArray body;
    };
    struct WebResponse
    {
        int status = 200;
        QByteArray contentType;
        QByteArray body;
        std::vector<std::pair<QByteArray, QByteArray>> headers;
    };
    // Answer the request with the route the site's service session registered (the service
    // session is started on first use). done is called once, on the executor thread: with the
    // handler's response, 404/405 when no route matches, or 500 with the error.
    virtual void handleWebRequest(
        const WebRequest& request, std::function<void(const WebResponse&)> done)
        = 0;
};

} // namespace lunette
