#pragma once

// The seam between the server thread (engine/server) and the session layer (engine/session).
//
// The server parses nothing Lua: it authorizes requests, then hands session work to a
// SessionService, and writes the frames the session layer gives back through a ConnectionSink.
// Every SessionService method is thread-safe and returns at once (Lua work is queued on the
// executor); results come back through callbacks, which run on the executor thread — the caller
// marshals them to its own thread.

#include <functional>

#include <QByteArray>
#include <QString>
#include <QtGlobal>

namespace lunette {

// One WebSocket connection, numbered by the server (never reused within a process).
using ConnectionId = quint64;

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
};

} // namespace lunette
