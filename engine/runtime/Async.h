#pragma once

// Waiting without blocking (LUA_API.md "Coroutines everywhere user code runs"): user code runs in
// task coroutines (actions, setters, timer callbacks, main.lua, console input). A module function
// that has to wait calls suspend(): the coroutine yields, the turn ends and its changes are pushed,
// and when the work is done the Resumer continues the coroutine in a new turn of its session with
// the values the waiting call returns.
//
//   int sleep(lua_State* L)                       // a module's C function
//   {
//       return suspend(L, "time.sleep", [ms](Resumer resume) {
//           QTimer::singleShot(ms, resume.context(), [resume] {
//               resume([](lua_State*) { return 0; });   // time.sleep returns nothing
//           });
//       });
//   }
//
// Everything happens on the executor thread: start() runs there, the Resumer must be called there
// (objects created in start() live there, with context() as parent when they need one).

#include <functional>
#include <memory>

class QObject;
struct lua_State;

namespace lunette {

// Pushes the values the waiting call returns to Lua; returns how many.  [-0, +n, m]
using ResultPusher = std::function<int(lua_State* L)>;

struct TaskWait; // shared by the Resumer and the task runner

class Resumer
{
public:
    explicit Resumer(std::shared_ptr<TaskWait> wait) : m_wait(std::move(wait)) { }

    // Continue the waiting coroutine with what `results` pushes, in a new turn of its session.
    // At most once: later calls, and calls after the wait was cancelled, are ignored.
    void operator()(ResultPusher results) const;
    // Called (on the executor) when the wait is cancelled before it was resumed — the session
    // ended: stop the work and free what it holds. Set it inside start().
    void onCancel(std::function<void()> cancel) const;
    // Whether the coroutine still waits for this Resumer.
    bool pending() const;
    // A QObject on the executor thread that lives as long as the session: parent for timers,
    // sockets and network managers the wait uses.
    QObject* context() const;

private:
    std::shared_ptr<TaskWait> m_wait;
};

// A Lua function kept to be called later as a new task of its session (plua-style callbacks:
// `http.request(opts, {success = fn, error = fn})`, `ws:on("message", fn)`): each call runs in
// its own turn. Calls after the session ended are ignored. Copyable; use on the executor thread.
class LuaCallback
{
public:
    LuaCallback() = default;
    // Keeps the function at stack index fnIdx of L.  [-0, +0, m]
    LuaCallback(lua_State* L, int fnIdx);
    // Call it with the values `args` pushes (nothing when empty). origin names it in errors.
    void operator()(const ResultPusher& args, const char* origin = "callback") const;
    explicit operator bool() const { return m_state != nullptr; }

private:
    struct State;
    std::shared_ptr<State> m_state;
};

// From a C function of a module: start the wait and yield the running task. `what` names the
// call in errors. Where user code cannot wait (a getter, a metamethod, a sort comparator, outside
// any task) it raises "<what> cannot wait here: …" instead, and start is not called.
int suspend(lua_State* L, const char* what, std::function<void(Resumer)> start);

} // namespace lunette
