// time (nondeterministic): clocks, formatting, and sleep (which yields the running coroutine).
//
//   time.now() -> seconds since the epoch (float, wall clock)
//   time.monotonic() -> seconds (float) on a clock that never goes back
//   time.format(t [, fmt]) -> text; fmt as os.date/strftime ("!" first for UTC),
//                            default "%Y-%m-%d %H:%M:%S"
//   time.sleep(ms)        waits without blocking anything (a coroutine yield; the turn ends)

#include <chrono>
#include <cmath>
#include <ctime>

#include <QTimer>

#include <lua.hpp>

#include "lua/LuaRuntime.h"
#include "runtime/Async.h"
#include "runtime/Errors.h"
#include "runtime/Module.h"

namespace lunette {

namespace {

int now(lua_State* L)
{
    const auto since = std::chrono::system_clock::now().time_since_epoch();
    lua_pushnumber(L, std::chrono::duration<double>(since).count());
    return 1;
}

int monotonic(lua_State* L)
{
    const auto since = std::chrono::steady_clock::now().time_since_epoch();
    lua_pushnumber(L, std::chrono::duration<double>(since).count());
    return 1;
}

int format(lua_State* L)
{
    const lua_Number t = luaL_checknumber(L, 1);
    const char* fmt = luaL_optstring(L, 2, "%Y-%m-%d %H:%M:%S");
    if (!std::isfinite(t))
        return luaL_argerror(L, 1, "not a finite time");
    const std::time_t seconds = static_cast<std::time_t>(std::floor(t));
    std::tm parts {};
    const bool utc = fmt[0] == '!';
    if (utc)
        ++fmt;
    if (!(utc ? gmtime_r(&seconds, &parts) : localtime_r(&seconds, &parts)))
        return luaL_argerror(L, 1, "time out of range");
    char buffer[512];
    const std::size_t n = std::strftime(buffer, sizeof buffer, fmt, &parts);
    if (n == 0 && fmt[0] != '\0')
        return luaL_argerror(L, 2, "the format gives an empty or too long text");
    lua_pushlstring(L, buffer, n);
    return 1;
}

int sleep(lua_State* L)
{
    const lua_Number ms = luaL_checknumber(L, 1);
    const auto delay = std::chrono::milliseconds(
        std::isfinite(ms) && ms > 0 ? static_cast<qint64>(std::min(ms, 2147483647.0)) : 0);
    return suspend(L, "time.sleep", [delay](Resumer resume) {
        auto* timer = new QTimer;
        timer->setSingleShot(true);
        QObject::connect(timer, &QTimer::timeout, timer, [timer, resume] {
            timer->deleteLater();
            resume([](lua_State*) { return 0; });
        });
        resume.onCancel([timer] { timer->deleteLater(); });
        timer->start(delay);
    });
}

int build(lua_State* L)
{
    static const luaL_Reg functions[] = {
        { "now", now },
        { "monotonic", monotonic },
        { "format", format },
        { "sleep", sleep },
        { nullptr, nullptr },
    };
    luaL_newlib(L, functions);
    return 1;
}

} // namespace

extern const ModuleDef kTimeModule {
    "time",
    "Clocks, time formatting and sleep",
    Capability::Nondeterministic,
    build,
    R"lua(---@meta time
local time = {}

---Seconds since the Unix epoch (wall clock, with fractions).
---@return number
function time.now() end

---Seconds on a clock that never goes back (for measuring durations).
---@return number
function time.monotonic() end

---Formats a time like os.date ("!" first for UTC).
---@param t number seconds since the epoch
---@param format? string default "%Y-%m-%d %H:%M:%S"
---@return string
function time.format(t, format) end

---Waits ms milliseconds without blocking: the running action, timer or console input pauses
---(its changes so far are shown) and continues afterwards.
---@param ms number
function time.sleep(ms) end

return time
)lua",
};

} // namespace lunette
