#pragma once

// TaskRunner: the coroutines user code runs in (LUA_API.md "Coroutines everywhere user code
// runs"). One per session, on the executor thread. start() runs a function as a new task; when a
// module function inside it waits (suspend(), Async.h) the task is parked and start() returns
// "waiting"; the wait's Resumer later continues it in a new turn (Hooks::runTurn). A task that
// fails after it has waited reports through Hooks::reportError with the tag it was started with.
// Destroying the runner cancels every wait (their onCancel callbacks run) and drops the tasks.
//
// Nested coroutines the site creates itself work too: the prelude's coroutine.resume/wrap pass a
// wait through to the task and hand the result back down.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <QString>

#include "lua/Expected.h"
#include "lua/LuaError.h"
#include "runtime/Async.h"

class QObject;
struct lua_State;

namespace lunette {

class LuaState;

class TaskRunner;

// What a wait's Resumer holds: expires with the runner.
struct TaskRunnerCore
{
    TaskRunner* runner = nullptr;
};

struct TaskWait
{
    std::weak_ptr<TaskRunnerCore> runner;
    quint64 task = 0;
    bool parked = false; // the task has yielded for this wait
    bool finished = false; // resumed or cancelled: later Resumer calls do nothing
    std::function<void()> cancel;
    std::optional<ResultPusher> early; // resumed before the task had finished yielding
    QObject* context = nullptr;
};

class TaskRunner final
{
public:
    struct Hooks
    {
        // Run fn as a turn of the session (with change detection and a flush after it).
        std::function<void(const std::function<void()>& fn)> runTurn;
        // A task failed after it had waited; tag is what start() was given.
        std::function<void(quint64 tag, const QString& origin, const LuaError& error)> reportError;
        // Lives on the executor as long as the runner: parent of the waits' objects.
        QObject* context = nullptr;
    };

    TaskRunner(LuaState& lua, Hooks hooks);
    ~TaskRunner();
    TaskRunner(const TaskRunner&) = delete;
    TaskRunner& operator=(const TaskRunner&) = delete;

    // The runner of the state L belongs to (any coroutine of it), or nullptr.
    static TaskRunner* from(lua_State* L);

    struct Outcome
    {
        bool finished = false; // false: waiting; it continues in a later turn
        int results = 0; // when finished: how many results were pushed
    };
    // How a task that waited ended: its results on the main stack (nresults of them, removed
    // after the call), or its error (nresults 0). Called inside the turn that finished it.
    using Completion = std::function<void(lua_State* L, int nresults, const LuaError* error)>;

    // Run the function below nargs arguments (on the state's main stack) as a new task. When it
    // finishes at once its results are pushed (nresults, or all with LUA_MULTRET); when it waits
    // nothing is pushed. On error nothing is pushed and the error is returned.
    // origin names the task in later errors ("action save()"); tag comes back with them. When
    // the task waits, `completion` (if given) gets its end instead of Hooks::reportError.
    Expected<Outcome, LuaError> start(int nargs, int nresults, const QString& origin,
        quint64 tag = 0, Completion completion = {});

    // The value a waiting task yields (a light userdata); the prelude's coroutine.resume passes
    // it up to the task.  [-0, +1, -]
    static void pushWaitMarker(lua_State* L);

    // Number of tasks parked on a wait.
    std::size_t waitingCount() const;

    // For LuaCallback: run the function with registry reference ref as a new task in a turn.
    void runCallback(int ref, const ResultPusher& args, const QString& origin);

    // For suspend(): the wait of the running task, or nullptr with *why set.
    std::shared_ptr<TaskWait> beginWait(lua_State* L, QString* why);

private:
    friend class Resumer;
    friend class LuaCallback;
    struct Task
    {
        lua_State* co = nullptr;
        int ref = 0; // registry reference keeping the coroutine alive
        QString origin;
        quint64 tag = 0;
        std::shared_ptr<TaskWait> wait;
        Completion completion;
        int nresults = 0; // what start() asked for
    };
    Expected<Outcome, LuaError> step(quint64 id, int nargs, int nresults);
    void resume(quint64 id, const ResultPusher& results);
    void drop(quint64 id);

    LuaState& m_lua;
    Hooks m_hooks;

public:
    const std::shared_ptr<TaskRunnerCore>& core() const { return m_core; }
    LuaState& lua() { return m_lua; }

private:
    std::shared_ptr<TaskRunnerCore> m_core;
    std::map<quint64, Task> m_tasks;
    static constexpr std::size_t kIdleCoroutines = 8;
    std::vector<std::pair<lua_State*, int>> m_idle; // finished coroutines kept for reuse (+ refs)
    quint64 m_nextId = 1;
    quint64 m_current = 0; // the task running now
};

} // namespace lunette
