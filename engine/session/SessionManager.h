#pragma once

// SessionManager: the SessionService the server talks to. Owns every Session of a site; all of
// them live on the executor thread, where every method below does its work (queued with
// LuaExecutor::post, so the server thread never waits on Lua).
//
// Sessions are created by createSession (GET /) and live until idle for `idleTimeout` with no
// connection, counted from the last frame or disconnect (PROTOCOL.md improvement 7), or until
// shutdown().

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

#include <QStringList>

#include "Session.h"
#include "server/SessionService.h"

class QTimer;

namespace lunette {

class LuaExecutor;
class Site;
class ViewdefStore;

class SessionManager final : public SessionService
{
public:
    struct Options
    {
        Session::Options session;
        std::chrono::milliseconds idleTimeout = std::chrono::hours(24); // 0 = never
        // Live sessions at most; creating one more fails with Created::busy. 0 = unlimited.
        std::size_t maxSessions = 1000;
    };
    SessionManager(LuaExecutor& executor, std::shared_ptr<const Site> site, Options options);
    SessionManager(LuaExecutor& executor, std::shared_ptr<const Site> site)
        : SessionManager(executor, std::move(site), Options {})
    {
    }
    ~SessionManager() override;

    // SessionService. Setting the sink waits until no executor work is using the old one, so the
    // server may be destroyed right after setConnectionSink(nullptr).
    void setConnectionSink(ConnectionSink* sink) override;
    void createSession(std::function<void(const Created&)> done) override;
    bool hasSession(const QString& sessionId) const override;
    void openConnection(const QString& sessionId, ConnectionId id) override;
    void receiveFrame(ConnectionId id, const QByteArray& frame) override;
    void closeConnection(ConnectionId id) override;
    void variables(
        const QString& sessionId, std::function<void(const VariablesSnapshot&)> done) override;

    // Run fn with the session on the executor (nullptr when it does not exist). fn may start
    // turns (Session::runTurn).
    void withSession(const QString& sessionId, std::function<void(Session*)> fn);
    // Run fn on the executor with every live session (in id order), then done() there.
    void forEachSession(std::function<void(Session&)> fn, std::function<void()> done = {});
    void sessionInfos(std::function<void(std::vector<SessionInfo>)> done) override;
    void evaluate(const QString& sessionId, const QString& code,
        std::function<void(const Evaluation&)> done) override;
    void reloadSession(const QString& sessionId, std::function<void(const Outcome&)> done) override;
    void endSession(const QString& sessionId, std::function<void(bool found)> done) override;
    void handleWebRequest(
        const WebRequest& request, std::function<void(const WebResponse&)> done) override;
    // The variable browser's data, built only when the session's variables may have changed since
    // knownVersion (a VariablesSnapshot::version from an earlier call; 0 = never seen). done runs
    // on the executor: changed = false with an empty json when nothing moved; a session that does
    // not exist gives found = false, changed = true.
    void variablesIfChanged(const QString& sessionId, quint64 knownVersion,
        std::function<void(const VariablesSnapshot&, bool changed)> done);
    // Every session id, in creation order (thread-safe snapshot).
    QStringList sessionIds() const;
    std::size_t sessionCount() const;
    // End a session now (its connections are closed with 1001).
    void destroySession(const QString& sessionId);
    // Destroy every session and stop the idle sweep. Blocks until done; idempotent.
    void shutdown();

    const std::shared_ptr<ViewdefStore>& viewdefs() const { return m_viewdefs; }
    void setLogger(Session::Logger logger);

private:
    // What sessions hold: forwards to the current sink (or drops), so a session never keeps a
    // pointer to a server that is gone. Used on the executor thread only.
    class SinkRelay final : public ConnectionSink
    {
    public:
        ConnectionSink* target = nullptr;
        void sendFrame(ConnectionId id, const QByteArray& frame) override
        {
            if (target)
                target->sendFrame(id, frame);
        }
        void closeConnection(ConnectionId id, quint16 code, const QString& reason) override
        {
            if (target)
                target->closeConnection(id, code, reason);
        }
    };

    void sweep();
    // Makes, starts and keeps a session (the service session when `service`); nullptr with
    // `created` saying why when it failed.
    Session* startOnExecutor(Created& created, bool service);
    void destroyOnExecutor(const QString& sessionId, quint16 code, const QString& reason);

    LuaExecutor& m_executor;
    std::shared_ptr<const Site> m_site;
    std::shared_ptr<ViewdefStore> m_viewdefs;
    Options m_options;
    Session::Logger m_logger;

    // Executor-thread state.
    SinkRelay m_sink;
    std::map<QString, std::unique_ptr<Session>> m_sessions;
    std::unordered_map<ConnectionId, Session*> m_connections;
    std::unique_ptr<QTimer> m_sweepTimer;
    quint64 m_nextVended = 1;
    QString m_serviceId; // the session that answers the site's Lua routes, once started

    // Thread-safe view for hasSession/sessionIds.
    mutable std::mutex m_mutex;
    QStringList m_ids;
    std::atomic<bool> m_shutDown { false };
};

} // namespace lunette
