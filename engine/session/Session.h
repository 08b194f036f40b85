#pragma once

// Session: one browser session of a site — its own lua_State, variable tree, connections, timers
// and outgoing batcher. Lives on the executor thread: construct, use and destroy it there.
//
// Everything that runs Lua is a *turn* (ARCHITECTURE.md): one inbound frame, one timer, one hot
// reload, one console input. A turn runs its work inside one protected call, then change
// detection, then hands the resulting messages to the batcher: a user-event turn flushes at
// once, any other starts the 10 ms debounce (PROTOCOL.md "Batching"). Messages queued while
// handling (errors, destroy notices) go out with the same flush (improvement 11).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include <QByteArray>
#include <QString>

#include "lua/Expected.h"
#include "lua/LuaError.h"
#include "lua/LuaRef.h"
#include "lua/LuaState.h"
#include "server/SessionService.h"

class QObject;
class QTimer;

namespace lunette {

class Site;
class ViewdefStore;

namespace protocol {
struct Message;
}
namespace variables {
class VariableTree;
struct Variable;
} // namespace variables

class TaskRunner;

class Session final
{
public:
    struct Options
    {
        LuaState::Options lua;
        std::chrono::milliseconds debounce { 10 };
    };
    // Levels of log lines: ui.log levels 1, 2, … are detail (debug); the log module adds
    // warnings and errors below 0.
    enum LogLevel : int
    {
        LogError = -2,
        LogWarning = -1,
        LogInfo = 0,
        LogDebug = 1,
    };
    // A line for the session's log: print output, ui.log, errors.
    using Logger = std::function<void(const QString& sessionId, int level, const QString& text)>;

    Session(QString id, QString vendedId, std::shared_ptr<const Site> site,
        std::shared_ptr<ViewdefStore> viewdefs, ConnectionSink* sink, const Options& options);
    ~Session();

    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Install the runtime and run the entry script (lua/main.lua). On error the session is
    // unusable and should be dropped.
    Expected<void, LuaError> start();

    // The session whose Lua state (or coroutine of it) L is, or nullptr.
    static Session* from(lua_State* L);

    const QString& id() const { return m_id; }
    const QString& vendedId() const { return m_vendedId; }
    void setLogger(Logger logger) { m_logger = std::move(logger); }

    // ---- connections and frames ----
    void openConnection(ConnectionId connection);
    void handleFrame(ConnectionId connection, QByteArrayView frame);
    void closeConnection(ConnectionId connection);
    bool hasConnections() const { return !m_connections.empty(); }
    std::size_t connectionCount() const { return m_connections.size(); }
    std::vector<ConnectionId> connectionIds() const;
    std::chrono::steady_clock::time_point lastActivity() const { return m_lastActivity; }
    // Something used the session from outside its pages (the REST API): it counts as activity,
    // for the idle timeout too.
    void markActive() { m_lastActivity = std::chrono::steady_clock::now(); }
    std::chrono::steady_clock::time_point createdAt() const { return m_createdAt; }

    // ---- turns ----
    // Run fn as a turn: protected, followed by change detection and a flush (now when
    // userEvent). Returns fn's Lua failure, if the turn failed as a whole.
    Expected<void, LuaError> runTurn(const std::function<void()>& fn, bool userEvent = false);
    // Send everything queued now.
    void flush();

    // ---- timers (session:setTimeout & co., LUA_API.md) ----
    // fnIdx: the callback on the stack. Returns the handle (ids are never reused).
    qint64 addTimer(int fnIdx, std::chrono::milliseconds delay, bool repeat);
    void clearTimer(qint64 handle);
    std::size_t timerCount() const { return m_timers.size(); }

    // ---- for the runtime bindings ----
    LuaState& lua() { return *m_lua; }
    variables::VariableTree& tree() { return *m_tree; }
    TaskRunner& tasks() { return *m_tasks; }
    const Site& site() const { return *m_site; }
    void log(int level, const QString& text);
    // Hot-reload support: re-run a tracked file, then process prototype mutations.
    // (Used by the hot loader; runs inside the caller's turn.)
    bool reloading() const { return m_reloading; }
    // Run the prelude's mutation queue; returns how many prototypes were processed.
    int processMutations();
    // Hot reload of one Lua file (tracking key, relative to the site root): with
    // session.reloading = true, re-run it as that module, then process the prototype mutations
    // (digest §5.3, §7.1), then the global on_reload(key) if the site defines one. On a load or
    // runtime error nothing was replaced and the error is
    // returned. Runs inside the caller's turn (wrap it in runTurn).
    Expected<void, LuaError> reloadFile(const QString& trackingKey);
    // Whether the file with this tracking key was loaded by this session.
    bool isLoaded(const QString& trackingKey);

    // Lua destroyed session-wide variables: tell every connection.
    void notifyDestroyed(const std::vector<qint64>& ids);

    // Push the session's runtime hooks table (rt).  [-0, +1, -]
    void pushRuntime(lua_State* L) const;

    // Variable browser JSON.
    QByteArray variablesJson() const;
    quint64 scanCount() const;
    // Changes whenever variablesJson() may have changed (VariableTree::version()).
    quint64 variablesVersion() const;
    std::size_t variableCount() const;

private:
    struct Connection
    {
        ConnectionId id = 0;
        std::map<QString, quint64> sentViewdefs; // key -> version sent
        quint64 sentGeneration = 0;
        std::vector<QByteArray> pending; // messages waiting for the flush
    };
    struct Timer
    {
        std::unique_ptr<QTimer> timer;
        LuaRef callback;
        bool repeat = false;
        int failuresInARow = 0;
        qint64 schedulerVariable = 0; // variable being computed when it was scheduled
    };

    void installRuntime();
    void handleMessage(ConnectionId connection, const protocol::Message& message);
    void queue(ConnectionId connection, QByteArray message);
    void reportTaskError(quint64 schedulerSeq, const QString& origin, const LuaError& error);
    void queueError(ConnectionId connection, std::optional<qint64> varId, QByteArrayView code,
        const QString& description, const QString& traceback = {});
    void queueViewdefs();
    void finishTurn(bool userEvent);
    void fireTimer(qint64 handle);

    QString m_id;
    QString m_vendedId;
    std::shared_ptr<const Site> m_site;
    std::shared_ptr<ViewdefStore> m_viewdefs;
    ConnectionSink* m_sink;
    Options m_options;
    Logger m_logger;

    std::unique_ptr<LuaState> m_lua;
    std::unique_ptr<QObject> m_taskContext; // parent of what waiting tasks use (runtime/Async.h)
    std::unique_ptr<TaskRunner> m_tasks;
    std::unique_ptr<variables::VariableTree> m_tree;
    LuaRef m_runtime; // the prelude's rt table
    std::map<ConnectionId, Connection> m_connections;
    std::vector<std::pair<ConnectionId, QByteArray>> m_turnOut; // this turn's messages, in order
    std::unique_ptr<QTimer> m_flushTimer;
    std::map<qint64, Timer> m_timers;
    qint64 m_nextTimer = 1;
    bool m_reloading = false;
    bool m_inTurn = false;
    std::chrono::steady_clock::time_point m_createdAt; // before m_lastActivity: initialises it
    std::chrono::steady_clock::time_point m_lastActivity;
};

} // namespace lunette
