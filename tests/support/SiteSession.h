#pragma once

// A session of a fixture site for the runtime tests (test_tasks, test_modules, test_http,
// test_websocket, test_tcp, test_udp): evaluate Lua in it as the console does, read the fixture's
// trace (record(...)) and the session's log, end it. No Lua time limit: only Stop ends a loop.
// Header-only.

#include <memory>
#include <mutex>
#include <semaphore>

#include <QString>
#include <QStringList>

#include "runtime/Module.h"
#include "runtime/TaskRunner.h"
#include "session/Console.h"
#include "session/Session.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

namespace lunette::test {

class SiteSession
{
public:
    // site: relative to the source tree, e.g. "/tests/data/sites/net".
    explicit SiteSession(const QString& site)
    {
        SessionManager::Options options;
        options.session.lua.timeout = std::chrono::milliseconds(0); // only Stop ends a loop
        m_server = std::make_unique<ServerFixture>(sourceDir() + site, options);
    }

    // Start the server and make a session; false (with error()) on a failure.
    bool start()
    {
        if (!m_server->start()) {
            m_error = m_server->error();
            return false;
        }
        m_server->sessions().setLogger([this](const QString&, int level, const QString& text) {
            std::lock_guard lock(m_logMutex);
            m_log << text;
            m_levels << level;
        });
        m_id = m_server->createSession();
        if (m_id.isEmpty())
            m_error = QStringLiteral("no session");
        return !m_id.isEmpty();
    }
    const QString& error() const { return m_error; }

    ServerFixture& server() { return *m_server; }
    const QString& id() const { return m_id; }

    // Evaluate in the session (as the console does): its results (tab-separated) or
    // "error: <message>".
    QString eval(const QString& input)
    {
        QString out = QStringLiteral("<no session>");
        std::binary_semaphore done { 0 };
        m_server->sessions().withSession(m_id, [&](Session* s) {
            if (s) {
                const ConsoleReply reply = evaluateInConsole(*s, input);
                out = reply.status == ConsoleReply::Status::Ok
                    ? reply.results
                    : QStringLiteral("error: ") + reply.error;
            }
            done.release();
        });
        done.acquire();
        return out;
    }

    // The fixture's trace (record(...)), joined with "|".
    QString trace() { return eval(QStringLiteral("return table.concat(trace, '|')")); }
    void clearTrace() { eval(QStringLiteral("trace = {}")); }

    // Tasks of the session parked on a wait.
    std::size_t waiting()
    {
        std::size_t n = 0;
        std::binary_semaphore done { 0 };
        m_server->sessions().withSession(m_id, [&](Session* s) {
            n = s ? s->tasks().waitingCount() : 0;
            done.release();
        });
        done.acquire();
        return n;
    }

    QStringList logLines()
    {
        std::lock_guard lock(m_logMutex);
        return m_log;
    }
    // The log lines with their levels (Session::LogLevel).
    QList<QPair<int, QString>> logEntries()
    {
        std::lock_guard lock(m_logMutex);
        QList<QPair<int, QString>> entries;
        for (qsizetype i = 0; i < m_log.size(); ++i)
            entries.append({ m_levels.at(i), m_log.at(i) });
        return entries;
    }

    // End the session (its waits are cancelled); true once it is gone.
    bool destroy()
    {
        m_server->sessions().destroySession(m_id);
        return spinUntil([this] { return !m_server->sessions().hasSession(m_id); }, 10000);
    }

    // Wait until the executor has handled everything posted to it so far.
    void barrier()
    {
        std::binary_semaphore done { 0 };
        m_server->sessions().withSession(m_id, [&](Session*) { done.release(); });
        done.acquire();
    }

private:
    std::unique_ptr<ServerFixture> m_server;
    QString m_id;
    QString m_error;
    std::mutex m_logMutex;
    QStringList m_log;
    QList<int> m_levels;
};

// A LuaState with a TaskRunner on the test's own thread and no session around it: for what
// happens to the modules' objects once the runner (the session) is gone.
class BareTasks
{
public:
    BareTasks()
        : m_runner(std::make_unique<TaskRunner>(m_lua, TaskRunner::Hooks { {}, {}, &m_context }))
    {
    }

    LuaState& lua() { return m_lua; }
    lua_State* state() { return m_lua.state(); }
    // Make the built-in module `name` the global of that name.
    void expose(const char* name)
    {
        pushModule(m_lua.state(), *findBuiltinModule(name));
        lua_setglobal(m_lua.state(), name);
    }
    // Run code as a task (it may wait); false when it failed at once.
    bool spawn(const QString& code)
    {
        if (!m_lua.load(code.toUtf8(), QStringLiteral("test")))
            return false;
        return bool(m_runner->start(0, 0, QStringLiteral("test")));
    }
    // Run code as a plain call and return its results as text, tab-separated.
    QString run(const QString& code)
    {
        lua_State* L = m_lua.state();
        const int base = lua_gettop(L);
        if (auto loaded = m_lua.load(code.toUtf8(), QStringLiteral("test")); !loaded)
            return QStringLiteral("error: ") + loaded.error().message;
        auto called = m_lua.call(0, LUA_MULTRET);
        if (!called)
            return QStringLiteral("error: ") + called.error().message;
        QStringList parts;
        for (int i = base + 1; i <= lua_gettop(L); ++i) {
            parts << QString::fromUtf8(luaL_tolstring(L, i, nullptr));
            lua_pop(L, 1);
        }
        lua_settop(L, base);
        return parts.join(u'\t');
    }
    // The session ends: waits are cancelled, callbacks dropped.
    void endSession() { m_runner.reset(); }

private:
    QObject m_context;
    LuaState m_lua;
    std::unique_ptr<TaskRunner> m_runner;
};

} // namespace lunette::test
