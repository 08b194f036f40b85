#include "TaskRunner.h"

#include <tuple>

#include <QMetaObject>
#include <QObject>

#include <lua.hpp>

#include "lua/LuaState.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

constexpr const char* kRunnerKey = "lunette.tasks"; // registry: light userdata, the runner
// The value a task yields when it waits for the engine (suspend()); its address is the marker.
const char kWaitMarker = 0;

} // namespace

TaskRunner::TaskRunner(LuaState& lua, Hooks hooks)
    : m_lua(lua), m_hooks(std::move(hooks)), m_core(std::make_shared<TaskRunnerCore>())
{
    m_core->runner = this;
    lua_State* L = m_lua.state();
    lua_pushlightuserdata(L, this);
    lua_setfield(L, LUA_REGISTRYINDEX, kRunnerKey);
}

TaskRunner::~TaskRunner()
{
    m_core->runner = nullptr; // Resumers called from here on do nothing
    lua_State* L = m_lua.state();
    for (auto& [id, task] : m_tasks) {
        if (task.wait && !task.wait->finished) {
            task.wait->finished = true;
            if (task.wait->cancel)
                task.wait->cancel();
        }
        luaL_unref(L, LUA_REGISTRYINDEX, task.ref);
    }
    m_tasks.clear();
    for (const auto& [co, ref] : m_idle)
        luaL_unref(L, LUA_REGISTRYINDEX, ref);
    m_idle.clear();
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, kRunnerKey);
}

TaskRunner* TaskRunner::from(lua_State* L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, kRunnerKey);
    auto* runner = static_cast<TaskRunner*>(lua_touserdata(L, -1));
    lua_pop(L, 1);
    return runner;
}

void TaskRunner::pushWaitMarker(lua_State* L)
{
    lua_pushlightuserdata(L, const_cast<char*>(&kWaitMarker));
}

std::size_t TaskRunner::waitingCount() const
{
    std::size_t n = 0;
    for (const auto& [id, task] : m_tasks)
        n += task.wait && task.wait->parked && !task.wait->finished;
    return n;
}

Expected<TaskRunner::Outcome, LuaError> TaskRunner::start(
    int nargs, int nresults, const QString& origin, quint64 tag, Completion completion)
{
    lua_State* L = m_lua.state();
    luaL_checkstack(L, 2, "TaskRunner::start");
    // A finished coroutine is reset and kept for the next task: a new one per action or timer
    // callback would be an allocation on the hot path (PERFORMANCE P7, P8).
    lua_State* co = nullptr;
    int ref = LUA_NOREF;
    if (!m_idle.empty()) {
        std::tie(co, ref) = m_idle.back();
        m_idle.pop_back();
    } else {
        co = lua_newthread(L); // fn, args…, co
        ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_xmove(L, co, nargs + 1);
    const quint64 id = m_nextId++;
    m_tasks[id] = Task { co, ref, origin, tag, nullptr, std::move(completion), nresults };
    return step(id, nargs, nresults);
}

// Runs the task until it finishes, fails or waits.
Expected<TaskRunner::Outcome, LuaError> TaskRunner::step(quint64 id, int nargs, int nresults)
{
    lua_State* L = m_lua.state();
    lua_State* co = m_tasks.at(id).co;
    const quint64 outer = m_current;
    m_current = id;
    int count = 0;
    auto resumed = m_lua.resume(co, nargs, &count);
    m_current = outer;
    if (!resumed) {
        drop(id);
        return unexpected(resumed.error());
    }
    if (*resumed) {
        Task& task = m_tasks.at(id);
        const bool waits = count >= 1 && lua_touserdata(co, -count) == &kWaitMarker && task.wait
            && !task.wait->parked;
        lua_pop(co, count);
        if (!waits) {
            drop(id);
            LuaError error;
            error.message = u"coroutine.yield() in %1 outside a coroutine of the site's own: "
                            "use time.sleep(ms) to wait"_s.arg(task.origin);
            return unexpected(std::move(error));
        }
        task.wait->parked = true;
        if (task.wait->early) {
            // The work finished before the task had yielded: continue in the next round.
            ResultPusher results = *task.wait->early;
            task.wait->early.reset();
            QMetaObject::invokeMethod(
                m_hooks.context,
                [core = std::weak_ptr<TaskRunnerCore>(m_core), id, results] {
                    if (auto alive = core.lock(); alive && alive->runner)
                        alive->runner->resume(id, results);
                },
                Qt::QueuedConnection);
        }
        return Outcome { false, 0 };
    }
    // Finished: move the results to the main stack.
    if (nresults != LUA_MULTRET) {
        if (count > nresults)
            lua_pop(co, count - nresults);
        for (; count < nresults; ++count)
            lua_pushnil(co);
        count = nresults;
    }
    luaL_checkstack(L, count, "task results");
    lua_xmove(co, L, count);
    drop(id);
    return Outcome { true, count };
}

void TaskRunner::resume(quint64 id, const ResultPusher& results)
{
    auto it = m_tasks.find(id);
    if (it == m_tasks.end())
        return;
    const QString origin = it->second.origin;
    const quint64 tag = it->second.tag;
    const Completion completion = it->second.completion;
    const int nresults = completion ? it->second.nresults : 0;
    auto run = [&] {
        auto found = m_tasks.find(id);
        if (found == m_tasks.end())
            return;
        found->second.wait.reset();
        lua_State* co = found->second.co;
        lua_State* L = m_lua.state();
        const int base = lua_gettop(L);
        const int nargs = results ? results(co) : 0;
        auto stepped = step(id, nargs, nresults);
        if (!stepped) {
            if (completion)
                completion(L, 0, &stepped.error());
            else if (m_hooks.reportError)
                m_hooks.reportError(tag, origin, stepped.error());
        } else if (stepped->finished && completion) {
            completion(L, stepped->results, nullptr);
        }
        lua_settop(L, base);
    };
    if (m_hooks.runTurn)
        m_hooks.runTurn(run);
    else
        run();
}

void TaskRunner::drop(quint64 id)
{
    auto it = m_tasks.find(id);
    if (it == m_tasks.end())
        return;
    lua_State* co = it->second.co;
    // Only a coroutine that ran to its end (or failed) is reused; one dropped while suspended
    // (a bare coroutine.yield()) goes.
    if (lua_status(co) != LUA_YIELD && m_idle.size() < kIdleCoroutines
        && lua_resetthread(co) == LUA_OK) {
        lua_settop(co, 0);
        m_idle.emplace_back(co, it->second.ref);
    } else {
        luaL_unref(m_lua.state(), LUA_REGISTRYINDEX, it->second.ref);
    }
    m_tasks.erase(it);
}

std::shared_ptr<TaskWait> TaskRunner::beginWait(lua_State* L, QString* why)
{
    auto it = m_tasks.find(m_current);
    if (m_current == 0 || it == m_tasks.end()) {
        *why = u"outside any action, timer or main.lua (a getter or a metamethod cannot wait)"_s;
        return nullptr;
    }
    if (!lua_isyieldable(L)) {
        *why = u"inside a call that cannot be suspended (a getter, a metamethod, a sort comparator "
               "or a C function)"_s;
        return nullptr;
    }
    if (it->second.wait) {
        *why = u"the task is already waiting"_s;
        return nullptr;
    }
    auto wait = std::make_shared<TaskWait>();
    wait->runner = m_core;
    wait->task = m_current;
    wait->context = m_hooks.context;
    it->second.wait = wait;
    return wait;
}

void TaskRunner::runCallback(int ref, const ResultPusher& args, const QString& origin)
{
    auto run = [&] {
        lua_State* L = m_lua.state();
        luaL_checkstack(L, 2, "runCallback");
        lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
        const int nargs = args ? args(L) : 0;
        auto started = start(nargs, 0, origin);
        if (!started && m_hooks.reportError)
            m_hooks.reportError(0, origin, started.error());
    };
    if (m_hooks.runTurn)
        m_hooks.runTurn(run);
    else
        run();
}

// ---- Async.h ----------------------------------------------------------------------------------

struct LuaCallback::State
{
    std::weak_ptr<TaskRunnerCore> core;
    int ref = LUA_NOREF;
    ~State()
    {
        if (auto alive = core.lock(); alive && alive->runner)
            luaL_unref(alive->runner->lua().state(), LUA_REGISTRYINDEX, ref);
    }
};

LuaCallback::LuaCallback(lua_State* L, int fnIdx)
{
    TaskRunner* runner = TaskRunner::from(L);
    if (!runner)
        return;
    m_state = std::make_shared<State>();
    m_state->core = runner->core();
    lua_pushvalue(L, fnIdx);
    // The reference lives in the main thread's registry (shared by every coroutine).
    m_state->ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

void LuaCallback::operator()(const ResultPusher& args, const char* origin) const
{
    if (!m_state)
        return;
    if (auto alive = m_state->core.lock(); alive && alive->runner)
        alive->runner->runCallback(m_state->ref, args, QString::fromUtf8(origin));
}

void Resumer::operator()(ResultPusher results) const
{
    if (!m_wait || m_wait->finished)
        return;
    m_wait->finished = true;
    if (!m_wait->parked) {
        m_wait->early = std::move(results);
        return;
    }
    if (auto core = m_wait->runner.lock(); core && core->runner)
        core->runner->resume(m_wait->task, results);
}

void Resumer::onCancel(std::function<void()> cancel) const
{
    if (m_wait)
        m_wait->cancel = std::move(cancel);
}

bool Resumer::pending() const
{
    return m_wait && !m_wait->finished;
}

QObject* Resumer::context() const
{
    return m_wait ? m_wait->context : nullptr;
}

int suspend(lua_State* L, const char* what, std::function<void(Resumer)> start)
{
    TaskRunner* runner = TaskRunner::from(L);
    QString why = u"this Lua state runs no tasks"_s;
    std::shared_ptr<TaskWait> wait = runner ? runner->beginWait(L, &why) : nullptr;
    if (!wait)
        return luaL_error(L, "%s cannot wait here: %s", what, qUtf8Printable(why));
    start(Resumer(wait));
    lua_pushlightuserdata(L, const_cast<char*>(&kWaitMarker));
    return lua_yield(L, 1);
}

} // namespace lunette
