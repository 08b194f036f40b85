#include "SessionManager.h"

#include <optional>
#include <stdexcept>
#include <utility>

#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QTimer>

#include "AnswerOnce.h"
#include "Console.h"
#include "WebService.h"
#include "lua/LuaExecutor.h"
#include "site/Site.h"
#include "site/ViewdefStore.h"

Q_DECLARE_LOGGING_CATEGORY(lcSession)

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

// 16 random bytes as 32 lowercase hex characters (digest §1.3).
QString newSessionId()
{
    quint32 words[4];
    QRandomGenerator::system()->fillRange(words);
    return QString::fromLatin1(
        QByteArray(reinterpret_cast<const char*>(words), sizeof(words)).toHex());
}

} // namespace

SessionManager::SessionManager(
    LuaExecutor& executor, std::shared_ptr<const Site> site, Options options)
    : m_executor(executor)
    , m_site(std::move(site))
    , m_viewdefs(std::make_shared<ViewdefStore>(*m_site))
    , m_options(options)
{
    if (m_options.idleTimeout.count() > 0) {
        m_executor.execute([this] {
            m_sweepTimer = std::make_unique<QTimer>();
            // Often enough that a session ends within a quarter of its timeout after expiring.
            const auto interval = std::clamp<std::chrono::milliseconds>(
                m_options.idleTimeout / 4, std::chrono::milliseconds(10), std::chrono::minutes(1));
            m_sweepTimer->setInterval(interval);
            QObject::connect(
                m_sweepTimer.get(), &QTimer::timeout, m_sweepTimer.get(), [this] { sweep(); });
            m_sweepTimer->start();
        });
    }
}

SessionManager::~SessionManager()
{
    shutdown();
}

void SessionManager::setConnectionSink(ConnectionSink* sink)
{
    // On the executor: a frame being sent through the old sink finishes first.
    try {
        m_executor.execute([this, sink] { m_sink.target = sink; });
    } catch (const std::runtime_error&) {
        m_sink.target = sink; // the executor is gone: nothing can be using the sink
    }
}

void SessionManager::setLogger(Session::Logger logger)
{
    m_executor.execute([&] { m_logger = std::move(logger); });
}

void SessionManager::createSession(std::function<void(const Created&)> done)
{
    const bool queued = m_executor.post([this, done = std::move(done)] {
        Created created;
        startOnExecutor(created, false);
        done(created);
    });
    if (!queued) {
        Created created;
        created.error = u"the server is shutting down"_s;
        done(created);
    }
}

Session* SessionManager::startOnExecutor(Created& created, bool service)
{
    if (m_shutDown) {
        created.error = u"the server is shutting down"_s;
        return nullptr;
    }
    // The service session is the site's own, not a visitor's: the limit does not apply to it.
    if (!service && m_options.maxSessions > 0 && m_sessions.size() >= m_options.maxSessions) {
        created.error = u"too many sessions (limit %1): close unused tabs, or wait until "
                        "idle sessions end"_s.arg(m_options.maxSessions);
        created.busy = true;
        qCWarning(lcSession).noquote() << "session creation refused:" << created.error;
        return nullptr;
    }
    const QString id = newSessionId();
    auto session = std::make_unique<Session>(
        id, QString::number(m_nextVended), m_site, m_viewdefs, &m_sink, m_options.session);
    if (m_logger)
        session->setLogger(m_logger);
    if (auto started = session->start(); !started) {
        created.error = started.error().fullText();
        created.location = started.error().location();
        qCWarning(lcSession).noquote() << "session creation failed:" << created.error;
        return nullptr; // the session is destroyed here, on the executor
    }
    ++m_nextVended;
    Session* made = session.get();
    m_sessions.emplace(id, std::move(session));
    {
        std::lock_guard lock(m_mutex);
        m_ids.append(id);
    }
    if (service)
        m_serviceId = id;
    created.sessionId = id;
    return made;
}

void SessionManager::handleWebRequest(
    const WebRequest& request, std::function<void(const WebResponse&)> done)
{
    m_executor.post([this, request, done = std::move(done)] {
        auto it = m_sessions.find(m_serviceId);
        Session* service = it == m_sessions.end() ? nullptr : it->second.get();
        if (!service) {
            Created created;
            service = startOnExecutor(created, true);
            if (!service) {
                WebResponse failed;
                failed.status = created.busy ? 503 : 500;
                failed.contentType = QByteArrayLiteral("text/plain; charset=utf-8");
                failed.body
                    = (u"the site's service session could not start: "_s + created.error).toUtf8();
                done(failed);
                return;
            }
            qCInfo(lcSession).noquote() << "service session" << created.sessionId << "started";
        }
        answerWebRequest(*service, request, done);
    });
}

bool SessionManager::hasSession(const QString& sessionId) const
{
    std::lock_guard lock(m_mutex);
    return m_ids.contains(sessionId);
}

QStringList SessionManager::sessionIds() const
{
    std::lock_guard lock(m_mutex);
    return m_ids;
}

std::size_t SessionManager::sessionCount() const
{
    std::lock_guard lock(m_mutex);
    return static_cast<std::size_t>(m_ids.size());
}

void SessionManager::openConnection(const QString& sessionId, ConnectionId id)
{
    m_executor.post([this, sessionId, id] {
        auto it = m_sessions.find(sessionId);
        if (it == m_sessions.end()) {
            m_sink.closeConnection(id, 1008, u"session not found"_s);
            return;
        }
        m_connections[id] = it->second.get();
        it->second->openConnection(id);
    });
}

void SessionManager::receiveFrame(ConnectionId id, const QByteArray& frame)
{
    m_executor.post([this, id, frame] {
        auto it = m_connections.find(id);
        if (it != m_connections.end())
            it->second->handleFrame(id, frame);
    });
}

void SessionManager::closeConnection(ConnectionId id)
{
    m_executor.post([this, id] {
        auto it = m_connections.find(id);
        if (it == m_connections.end())
            return;
        Session* session = it->second;
        m_connections.erase(it);
        session->closeConnection(id);
    });
}

void SessionManager::variables(
    const QString& sessionId, std::function<void(const VariablesSnapshot&)> done)
{
    const bool queued = m_executor.post([this, sessionId, done] {
        VariablesSnapshot snapshot;
        auto it = m_sessions.find(sessionId);
        if (it != m_sessions.end()) {
            snapshot.found = true;
            snapshot.json = it->second->variablesJson();
            snapshot.changeCount = it->second->scanCount();
            snapshot.version = it->second->variablesVersion();
        }
        done(snapshot);
    });
    if (!queued)
        done({});
}

void SessionManager::variablesIfChanged(const QString& sessionId, quint64 knownVersion,
    std::function<void(const VariablesSnapshot&, bool changed)> done)
{
    const bool queued = m_executor.post([this, sessionId, knownVersion, done] {
        VariablesSnapshot snapshot;
        auto it = m_sessions.find(sessionId);
        if (it == m_sessions.end()) {
            done(snapshot, true);
            return;
        }
        const Session& session = *it->second;
        snapshot.found = true;
        snapshot.changeCount = session.scanCount();
        snapshot.version = session.variablesVersion();
        const bool changed = snapshot.version != knownVersion;
        if (changed)
            snapshot.json = session.variablesJson();
        done(snapshot, changed);
    });
    if (!queued)
        done({}, true);
}

void SessionManager::sessionInfos(std::function<void(std::vector<SessionInfo>)> done)
{
    const bool queued = m_executor.post([this, done] {
        QStringList ids;
        {
            std::lock_guard lock(m_mutex);
            ids = m_ids; // creation order (m_sessions is ordered by id)
        }
        std::vector<SessionInfo> infos;
        infos.reserve(static_cast<std::size_t>(ids.size()));
        for (const QString& id : std::as_const(ids)) {
            const auto it = m_sessions.find(id);
            if (it == m_sessions.end())
                continue;
            const Session& session = *it->second;
            infos.push_back({ id, static_cast<int>(session.connectionCount()), session.createdAt(),
                session.lastActivity(), static_cast<int>(session.variableCount()),
                id == m_serviceId });
        }
        done(std::move(infos));
    });
    if (!queued)
        done({});
}

namespace {

SessionService::Evaluation toEvaluation(const ConsoleReply& reply)
{
    using Status = SessionService::Evaluation::Status;
    SessionService::Evaluation evaluation;
    switch (reply.status) {
    case ConsoleReply::Status::Ok:
    case ConsoleReply::Status::Waiting:
        evaluation.status = Status::Ok;
        break;
    case ConsoleReply::Status::Incomplete:
        evaluation.status = Status::SyntaxError;
        break;
    case ConsoleReply::Status::Error:
        // A compile error has no traceback; a runtime one always has.
        evaluation.status = reply.traceback.isEmpty() ? Status::SyntaxError : Status::Error;
        break;
    }
    evaluation.values = reply.valuesJson;
    evaluation.shown = reply.shown;
    evaluation.output = reply.output;
    evaluation.error = reply.error;
    evaluation.traceback = reply.traceback;
    return evaluation;
}

} // namespace

void SessionManager::evaluate(
    const QString& sessionId, const QString& code, std::function<void(const Evaluation&)> done)
{
    Evaluation ended;
    ended.status = Evaluation::Status::Ended;
    ended.error = u"the session ended before the code finished"_s;
    auto answer = std::make_shared<AnswerOnce<Evaluation>>(std::move(done), ended);
    withSession(sessionId, [answer, code](Session* session) {
        if (!session) {
            Evaluation missing;
            missing.status = Evaluation::Status::NotFound;
            missing.error = u"no such session"_s;
            (*answer)(missing);
            return;
        }
        session->markActive();
        // Output printed before a wait comes with the first reply; keep it for the final one.
        auto earlier = std::make_shared<QStringList>();
        evaluateInConsole(*session, code, [answer, earlier](const ConsoleReply& reply) {
            if (reply.status == ConsoleReply::Status::Waiting) {
                *earlier = reply.output;
                return;
            }
            Evaluation evaluation = toEvaluation(reply);
            evaluation.output = *earlier + evaluation.output;
            (*answer)(evaluation);
        });
    });
}

void SessionManager::reloadSession(
    const QString& sessionId, std::function<void(const Outcome&)> done)
{
    withSession(sessionId, [this, done = std::move(done)](Session* session) {
        Outcome outcome;
        if (!session) {
            done(outcome);
            return;
        }
        outcome.found = true;
        session->markActive();
        std::optional<LuaError> failure;
        const auto turn = session->runTurn(
            [&] {
                if (auto reloaded = session->reloadFile(m_site->manifest().entry); !reloaded)
                    failure = reloaded.error();
            },
            true);
        if (!turn && !failure)
            failure = turn.error();
        if (failure) {
            outcome.error = failure->message;
            outcome.traceback = failure->traceback;
        }
        done(outcome);
    });
}

void SessionManager::endSession(const QString& sessionId, std::function<void(bool found)> done)
{
    m_executor.post([this, sessionId, done = std::move(done)] {
        const bool found = m_sessions.count(sessionId) > 0;
        destroyOnExecutor(sessionId, 1001, u"session ended"_s);
        done(found);
    });
}

void SessionManager::withSession(const QString& sessionId, std::function<void(Session*)> fn)
{
    m_executor.post([this, sessionId, fn = std::move(fn)] {
        auto it = m_sessions.find(sessionId);
        fn(it == m_sessions.end() ? nullptr : it->second.get());
    });
}

void SessionManager::forEachSession(std::function<void(Session&)> fn, std::function<void()> done)
{
    m_executor.post([this, fn = std::move(fn), done = std::move(done)] {
        // A session may end inside fn (not today, but cheap to allow): iterate over ids.
        std::vector<QString> ids;
        ids.reserve(m_sessions.size());
        for (const auto& [id, session] : m_sessions)
            ids.push_back(id);
        for (const QString& id : ids) {
            if (auto it = m_sessions.find(id); it != m_sessions.end())
                fn(*it->second);
        }
        if (done)
            done();
    });
}

void SessionManager::destroySession(const QString& sessionId)
{
    m_executor.post([this, sessionId] { destroyOnExecutor(sessionId, 1001, u"session ended"_s); });
}

void SessionManager::destroyOnExecutor(
    const QString& sessionId, quint16 code, const QString& reason)
{
    auto it = m_sessions.find(sessionId);
    if (it == m_sessions.end())
        return;
    std::unique_ptr<Session> session = std::move(it->second);
    m_sessions.erase(it);
    {
        std::lock_guard lock(m_mutex);
        m_ids.removeAll(sessionId);
    }
    for (auto c = m_connections.begin(); c != m_connections.end();) {
        if (c->second == session.get()) {
            m_sink.closeConnection(c->first, code, reason);
            c = m_connections.erase(c);
        } else {
            ++c;
        }
    }
    session.reset();
    if (m_sessions.empty())
        m_nextVended = 1; // the reference restarts vended ids when the last session goes
}

void SessionManager::sweep()
{
    const auto now = std::chrono::steady_clock::now();
    std::vector<QString> expired;
    for (const auto& [id, session] : m_sessions) {
        if (id == m_serviceId)
            continue; // it answers the site's routes for as long as the site runs
        if (!session->hasConnections() && now - session->lastActivity() >= m_options.idleTimeout)
            expired.push_back(id);
    }
    for (const QString& id : expired) {
        qCInfo(lcSession).noquote() << "session" << id << "ended after being idle";
        destroyOnExecutor(id, 1001, u"session expired"_s);
    }
}

void SessionManager::shutdown()
{
    if (m_shutDown.exchange(true))
        return;
    try {
        m_executor.execute([this] {
            m_sweepTimer.reset();
            std::vector<QString> ids;
            for (const auto& [id, session] : m_sessions)
                ids.push_back(id);
            for (const QString& id : ids)
                destroyOnExecutor(id, 1001, u"server shutting down"_s);
        });
    } catch (const std::exception&) {
        // The executor is already gone, and with it every session.
    }
}

} // namespace lunette
