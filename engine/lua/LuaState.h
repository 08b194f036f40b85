#pragma once

// LuaState: one sandboxed lua_State (RAII). Created, used and closed on one thread (the
// executor's, in the product). It owns:
//  * the explicit standard library set of LUA_API.md (base without dofile/loadfile and with a
//    text-only load, table, string, math, utf8, coroutine, os limited to time/clock/date/
//    difftime/getenv; no io, debug, package);
//  * a print() that goes to a per-state output sink, never to stdout on its own;
//  * a counting allocator with a memory cap: exhaustion is a Lua memory error, never a crash;
//  * a watchdog: a count hook checks a per-call deadline and two stop flags (this state's and
//    the executor's); expiry raises "script timed out" / "script stopped" inside Lua, and the
//    state stays usable for the next call.
//
// call() is the one entry through which user code runs (STYLE.md rule 7): it installs a traceback
// message handler and returns the results or a LuaError. Nothing is printed on its own.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include <QByteArrayView>
#include <QString>

#include <lua.hpp>

#include "Expected.h"
#include "LuaError.h"
#include "LuaValue.h"

class QThread;

namespace lunette {

class LuaExecutor;

// What a LuaRef needs to find its state again from another thread; expires with the state.
struct LuaStateAnchor
{
    lua_State* L = nullptr;
    LuaExecutor* executor = nullptr; // the executor the state was created on, if any
    QThread* thread = nullptr; // the thread that owns the state
};

class LuaState final
{
public:
    static constexpr std::size_t kDefaultMemoryLimit = 256u * 1024u * 1024u;
    static constexpr std::chrono::milliseconds kDefaultTimeout { 5000 };

    struct Options
    {
        std::size_t memoryLimit = kDefaultMemoryLimit; // bytes; 0 = unlimited
        std::chrono::milliseconds timeout = kDefaultTimeout; // per outermost call; 0 = none
    };
    using OutputSink = std::function<void(const QString& text)>;

    explicit LuaState(const Options& options);
    LuaState() : LuaState(Options {}) { }
    ~LuaState();

    LuaState(const LuaState&) = delete;
    LuaState& operator=(const LuaState&) = delete;

    lua_State* state() const { return m_L; }
    // The LuaState that owns L (any thread/coroutine of it).
    static LuaState* from(lua_State* L);

    // print(...) output: one call per print, text without the trailing newline. Without a sink
    // the text goes to the "lunette.lua" logging category.
    void setOutputSink(OutputSink sink) { m_sink = std::move(sink); }
    // Installs sink and returns the previous one (to put back later).
    OutputSink exchangeOutputSink(OutputSink sink)
    {
        return std::exchange(m_sink, std::move(sink));
    }
    void writeOutput(const QString& text);

    // Compile `code` (text only; binary chunks are refused) and push the function.
    // chunkName is how errors name it ("lua/main.lua", "console").  [-0, +(1|0), m]
    Expected<void, LuaError> load(QByteArrayView code, const QString& chunkName);

    // The engine's own code, compiled once per process and loaded by every state without its
    // debug information (about a third of a function's memory): compile() turns source into a
    // stripped binary chunk; loadCompiled() pushes the function of a chunk made by compile().
    // Never for user code — binary chunks are not checked by Lua.  [-0, +(1|0), m]
    static Expected<QByteArray, QString> compile(QByteArrayView code, const QString& chunkName);
    Expected<void, LuaError> loadCompiled(QByteArrayView chunk, const QString& chunkName);

    // Call the function below `nargs` arguments on the stack under the traceback handler and the
    // watchdog. On success the results stay on the stack (nresults, or all with LUA_MULTRET) and
    // their count is returned; on error the function and arguments are gone and nothing is
    // pushed.  [-(nargs+1), +(nresults|0), -]
    Expected<int, LuaError> call(int nargs, int nresults = LUA_MULTRET);
    // The same on the stack of L, a coroutine of this state (a C function called from user code
    // gets the coroutine it runs in).
    Expected<int, LuaError> callOn(lua_State* L, int nargs, int nresults = LUA_MULTRET);

    // Start or continue the coroutine `co` (a thread of this state) with the nargs values on
    // top of its stack, under the watchdog like call(). Returns true when it yielded, false when
    // it finished; *nresults is the number of values it yielded or returned (on co's stack). On
    // error the coroutine is dead, its stack is cleared and the error carries its traceback.
    // (The task runner of runtime/Async.h is the only user.)
    Expected<bool, LuaError> resume(lua_State* co, int nargs, int* nresults);

    // load() + call() + snapshot of every result: the simple way to run a chunk.  [-0, +0, -]
    Expected<std::vector<LuaValue>, LuaError> run(QByteArrayView code, const QString& chunkName);

    // Watchdog
    void setTimeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }
    std::chrono::milliseconds timeout() const { return m_timeout; }
    // Interrupt the call running in this state now. Thread-safe; cleared when the next outermost
    // call starts.
    void requestStop() { m_stop.store(true, std::memory_order_relaxed); }
    bool isRunning() const { return m_callDepth > 0; }

    // Memory accounting (bytes currently allocated by this state).
    std::size_t memoryUsed() const { return m_alloc.used; }
    std::size_t memoryLimit() const { return m_alloc.limit; }
    void setMemoryLimit(std::size_t bytes) { m_alloc.limit = bytes; }

    std::shared_ptr<const LuaStateAnchor> anchor() const { return m_anchor; }
    QThread* thread() const { return m_thread; }

private:
    struct Allocator
    {
        std::size_t used = 0;
        std::size_t limit = 0;
        bool refused = false; // set when a request was refused for the cap
    };
    enum class Interrupt
    {
        None,
        Timeout,
        Stopped
    };

    static void* allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize);
    static void hook(lua_State* L, lua_Debug* ar);
    static int messageHandler(lua_State* L);
    void openLibraries();
    LuaError makeError(int status, bool fromCall);
    LuaError makeError(lua_State* L, int status, bool fromCall);

    lua_State* m_L = nullptr;
    Allocator m_alloc;
    OutputSink m_sink;
    std::chrono::milliseconds m_timeout;
    std::chrono::steady_clock::time_point m_deadline {};
    bool m_hasDeadline = false;
    int m_callDepth = 0;
    Interrupt m_interrupt = Interrupt::None;
    std::atomic<bool> m_stop { false };
    const std::atomic<bool>* m_executorStop = nullptr;
    // Filled by the message handler of the failing call.
    QString m_errorTraceback;
    QString m_errorChunk;
    int m_errorLine = -1;
    std::shared_ptr<LuaStateAnchor> m_anchor;
    QThread* m_thread = nullptr;
};

} // namespace lunette
