#include "LuaState.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include <QLoggingCategory>
#include <QRegularExpression>
#include <QThread>

#include "LuaExecutor.h"
#include "LuaRuntime.h"
#include "LuaStackGuard.h"

Q_LOGGING_CATEGORY(lcLua, "lunette.lua")

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

// Instructions between two watchdog checks. A check costs one clock read (~20 ns); 1000 VM
// instructions take a few microseconds, so the overhead stays under 1 %.
constexpr int kHookCount = 1000;

int panic(lua_State* L)
{
    const char* msg = lua_tostring(L, -1);
    qCCritical(lcLua, "unprotected Lua error: %s", msg ? msg : "(error object is not a string)");
    return 0; // Lua aborts
}

// load(chunk [, chunkname [, mode [, env]]]) that only ever accepts text chunks.
int textOnlyLoad(lua_State* L)
{
    const int n = lua_gettop(L);
    if (n < 3)
        lua_settop(L, 3);
    lua_pushliteral(L, "t");
    lua_replace(L, 3);
    lua_pushvalue(L, lua_upvalueindex(1)); // the library's load
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

// setmetatable that refuses __gc: finalizers run with hooks disabled, so a runaway __gc could
// never be interrupted by the watchdog.
int guardedSetMetatable(lua_State* L)
{
    if (lua_type(L, 2) == LUA_TTABLE && lua_getfield(L, 2, "__gc") != LUA_TNIL)
        return luaL_error(L, "setmetatable: __gc metamethods are not available to sites");
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

int luaPrint(lua_State* L)
{
    const int n = lua_gettop(L);
    luaL_Buffer buffer;
    luaL_buffinit(L, &buffer);
    for (int i = 1; i <= n; ++i) {
        if (i > 1)
            luaL_addchar(&buffer, '\t');
        luaL_tolstring(L, i, nullptr);
        luaL_addvalue(&buffer);
    }
    luaL_pushresult(&buffer);
    size_t len = 0;
    const char* text = lua_tolstring(L, -1, &len);
    return lua::wrap(L, [&] {
        LuaState::from(L)->writeOutput(QString::fromUtf8(text, static_cast<qsizetype>(len)));
        return 0;
    });
}

int openSandbox(lua_State* L)
{
    // The explicit library set of LUA_API.md (linit.c style): no io, debug or package.
    static const luaL_Reg libraries[] = {
        { LUA_GNAME, luaopen_base },
        { LUA_TABLIBNAME, luaopen_table },
        { LUA_STRLIBNAME, luaopen_string },
        { LUA_MATHLIBNAME, luaopen_math },
        { LUA_UTF8LIBNAME, luaopen_utf8 },
        { LUA_COLIBNAME, luaopen_coroutine },
        { LUA_OSLIBNAME, luaopen_os },
        { nullptr, nullptr },
    };
    for (const luaL_Reg* lib = libraries; lib->func; ++lib) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }

    // os: only the clock and calendar functions.
    static const char* const osAllowed[] = { "time", "clock", "date", "difftime", "getenv" };
    lua_getglobal(L, LUA_OSLIBNAME);
    lua_createtable(L, 0, static_cast<int>(std::size(osAllowed)));
    for (const char* name : osAllowed) {
        lua_getfield(L, -2, name);
        lua_setfield(L, -2, name);
    }
    lua_pushvalue(L, -1);
    lua_setglobal(L, LUA_OSLIBNAME);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, LUA_OSLIBNAME);
    lua_pop(L, 3);

    // base: no file loading, text-only load, guarded setmetatable, print to the sink.
    lua_pushnil(L);
    lua_setglobal(L, "dofile");
    lua_pushnil(L);
    lua_setglobal(L, "loadfile");
    lua_getglobal(L, "load");
    lua_pushcclosure(L, textOnlyLoad, 1);
    lua_setglobal(L, "load");
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, guardedSetMetatable, 1);
    lua_setglobal(L, "setmetatable");
    lua_pushcfunction(L, luaPrint);
    lua_setglobal(L, "print");
    return 0;
}

// "chunk:line: message" -> chunk and line, when the message starts that way.
bool splitPosition(const QString& message, QString* chunk, int* line)
{
    static const QRegularExpression re(QStringLiteral("^([^\\n]*?):(\\d+): "));
    const auto match = re.match(message);
    if (!match.hasMatch())
        return false;
    *chunk = match.captured(1);
    *line = match.captured(2).toInt();
    return true;
}

} // namespace

LuaState::LuaState(const Options& options)
    : m_timeout(options.timeout), m_thread(QThread::currentThread())
{
    m_alloc.limit = options.memoryLimit;
    m_L = lua_newstate(&LuaState::allocate, &m_alloc);
    if (!m_L)
        throw std::bad_alloc();
    *static_cast<LuaState**>(lua_getextraspace(m_L)) = this;
    lua_atpanic(m_L, panic);
    if (LuaExecutor* executor = LuaExecutor::current())
        m_executorStop = &executor->stopFlag();
    openLibraries();
    lua_sethook(m_L, &LuaState::hook, LUA_MASKCOUNT, kHookCount);
    m_anchor = std::make_shared<LuaStateAnchor>(
        LuaStateAnchor { m_L, LuaExecutor::current(), m_thread });
}

LuaState::~LuaState()
{
    Q_ASSERT_X(QThread::currentThread() == m_thread, "LuaState", "closed on a foreign thread");
    m_anchor.reset(); // LuaRefs released after this point do nothing
    lua_close(m_L);
}

void LuaState::openLibraries()
{
    lua_pushcfunction(m_L, openSandbox);
    if (lua_pcall(m_L, 0, 0, 0) != LUA_OK) {
        const QByteArray message = lua_tostring(m_L, -1);
        lua_close(m_L);
        m_L = nullptr;
        throw std::runtime_error("cannot open the Lua libraries: " + message.toStdString());
    }
}

LuaState* LuaState::from(lua_State* L)
{
    return *static_cast<LuaState**>(lua_getextraspace(L));
}

void LuaState::writeOutput(const QString& text)
{
    if (m_sink)
        m_sink(text);
    else
        qCInfo(lcLua, "%s", qUtf8Printable(text));
}

// The counting allocator behind the memory cap. Shrinking and freeing always succeed (Lua
// requires it); growing past the limit returns nullptr, which Lua turns into a memory error
// after an emergency collection.
void* LuaState::allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize)
{
    auto* alloc = static_cast<Allocator*>(ud);
    const std::size_t old = ptr ? osize : 0; // for new blocks osize is a type tag
    if (nsize == 0) {
        std::free(ptr);
        alloc->used -= old;
        return nullptr;
    }
    if (alloc->limit != 0 && nsize > old && alloc->used - old + nsize > alloc->limit) {
        alloc->refused = true;
        return nullptr;
    }
    void* block = std::realloc(ptr, nsize);
    if (!block)
        return nullptr;
    alloc->used = alloc->used - old + nsize;
    return block;
}

// Count hook: the watchdog. Raises only inside call() (an error outside a protected call would
// abort the process). After expiry it fires on every instruction, so a script that catches the
// error with pcall cannot keep running.
void LuaState::hook(lua_State* L, lua_Debug*)
{
    LuaState* self = from(L);
    if (self->m_callDepth == 0)
        return;
    Interrupt why = Interrupt::None;
    if (self->m_stop.load(std::memory_order_relaxed)
        || (self->m_executorStop && self->m_executorStop->load(std::memory_order_relaxed)))
        why = Interrupt::Stopped;
    else if (self->m_hasDeadline && std::chrono::steady_clock::now() >= self->m_deadline)
        why = Interrupt::Timeout;
    if (why == Interrupt::None)
        return;
    self->m_interrupt = why;
    lua_sethook(L, &LuaState::hook, LUA_MASKCOUNT, 1);
    luaL_error(L, why == Interrupt::Timeout ? "script timed out" : "script stopped");
}

// Message handler of call(): keeps the error message as the error value and records the
// traceback and the position of the failing Lua code on the C++ side.
int LuaState::messageHandler(lua_State* L)
{
    LuaState* self = from(L);
    if (lua_type(L, 1) != LUA_TSTRING && lua_type(L, 1) != LUA_TNUMBER) {
        // Error objects with __tostring show that text; once interrupted no Lua code may run.
        if (self->m_interrupt == Interrupt::None && luaL_callmeta(L, 1, "__tostring")
            && lua_type(L, -1) == LUA_TSTRING) {
            lua_replace(L, 1);
        } else {
            lua_settop(L, 1);
            lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
            lua_replace(L, 1);
        }
    }
    luaL_traceback(L, L, nullptr, 1);
    self->m_errorTraceback = QString::fromUtf8(lua_tostring(L, -1));
    lua_pop(L, 1);

    self->m_errorChunk.clear();
    self->m_errorLine = -1;
    const QString message = QString::fromUtf8(lua_tostring(L, 1));
    if (!splitPosition(message, &self->m_errorChunk, &self->m_errorLine)) {
        lua_Debug ar;
        for (int level = 1; lua_getstack(L, level, &ar); ++level) {
            lua_getinfo(L, "Sl", &ar);
            if (ar.currentline > 0) {
                self->m_errorChunk = QString::fromUtf8(ar.short_src);
                self->m_errorLine = ar.currentline;
                break;
            }
        }
    }
    lua_settop(L, 1);
    return 1;
}

LuaError LuaState::makeError(int status, bool fromCall)
{
    return makeError(m_L, status, fromCall);
}

LuaError LuaState::makeError(lua_State* L, int status, bool fromCall)
{
    LuaError error;
    const char* text = lua_tostring(L, -1);
    error.message
        = text ? QString::fromUtf8(text) : QStringLiteral("(error object is not a string)");
    switch (status) {
    case LUA_ERRSYNTAX:
        error.kind = LuaError::Kind::Syntax;
        break;
    case LUA_ERRMEM:
        error.kind = LuaError::Kind::Memory;
        break;
    case LUA_ERRRUN:
    case LUA_ERRERR:
        error.kind = LuaError::Kind::Runtime;
        break;
    default:
        error.kind = LuaError::Kind::Internal;
        error.message = QStringLiteral("a C++ exception escaped into Lua");
        break;
    }
    if (m_interrupt == Interrupt::Timeout)
        error.kind = LuaError::Kind::Timeout;
    else if (m_interrupt == Interrupt::Stopped)
        error.kind = LuaError::Kind::Stopped;
    else if (m_alloc.refused && (status == LUA_ERRMEM || status == LUA_ERRERR))
        error.kind = LuaError::Kind::Memory;

    if (error.kind == LuaError::Kind::Memory && m_alloc.refused) {
        error.message = QStringLiteral("not enough memory (the limit of %1 MiB was reached)")
                            .arg(double(m_alloc.limit) / (1024.0 * 1024.0), 0, 'f', 1);
    }
    if (fromCall && status == LUA_ERRRUN) {
        error.traceback = m_errorTraceback;
        error.chunk = m_errorChunk;
        error.line = m_errorLine;
    } else {
        splitPosition(error.message, &error.chunk, &error.line);
    }
    return error;
}

Expected<void, LuaError> LuaState::load(QByteArrayView code, const QString& chunkName)
{
    Q_ASSERT(QThread::currentThread() == m_thread);
    const QByteArray name = '@' + chunkName.toUtf8();
    m_alloc.refused = false;
    const int status = luaL_loadbufferx(
        m_L, code.data(), static_cast<size_t>(code.size()), name.constData(), "t");
    if (status == LUA_OK)
        return {};
    LuaError error = makeError(status, false);
    lua_pop(m_L, 1);
    return unexpected(std::move(error));
}

namespace {
int appendChunk(lua_State*, const void* data, size_t size, void* out)
{
    static_cast<QByteArray*>(out)->append(
        static_cast<const char*>(data), static_cast<qsizetype>(size));
    return 0;
}
} // namespace

Expected<QByteArray, QString> LuaState::compile(QByteArrayView code, const QString& chunkName)
{
    lua_State* L = luaL_newstate();
    if (!L)
        return unexpected(u"out of memory"_s);
    const QByteArray name = '@' + chunkName.toUtf8();
    QByteArray chunk;
    QString error;
    if (luaL_loadbufferx(L, code.data(), static_cast<size_t>(code.size()), name.constData(), "t")
        == LUA_OK)
        lua_dump(L, appendChunk, &chunk, 1);
    else
        error = QString::fromUtf8(lua_tostring(L, -1));
    lua_close(L);
    if (!error.isEmpty())
        return unexpected(error);
    return chunk;
}

Expected<void, LuaError> LuaState::loadCompiled(QByteArrayView chunk, const QString& chunkName)
{
    Q_ASSERT(QThread::currentThread() == m_thread);
    const QByteArray name = '=' + chunkName.toUtf8();
    m_alloc.refused = false;
    const int status = luaL_loadbufferx(
        m_L, chunk.data(), static_cast<size_t>(chunk.size()), name.constData(), "b");
    if (status == LUA_OK)
        return {};
    LuaError error = makeError(status, false);
    lua_pop(m_L, 1);
    return unexpected(std::move(error));
}

Expected<int, LuaError> LuaState::call(int nargs, int nresults)
{
    return callOn(m_L, nargs, nresults);
}

Expected<int, LuaError> LuaState::callOn(lua_State* L, int nargs, int nresults)
{
    Q_ASSERT(QThread::currentThread() == m_thread);
    const int base = lua_gettop(L) - nargs; // index of the function
    const bool outermost = m_callDepth == 0;
    if (outermost) {
        m_stop.store(false, std::memory_order_relaxed);
        m_interrupt = Interrupt::None;
        m_alloc.refused = false;
        m_hasDeadline = m_timeout.count() > 0;
        if (m_hasDeadline)
            m_deadline = std::chrono::steady_clock::now() + m_timeout;
    }
    if (!lua_checkstack(L, 2)) {
        lua_settop(L, base - 1);
        LuaError error;
        error.kind = LuaError::Kind::Internal;
        error.message = QStringLiteral("Lua stack overflow");
        return unexpected(std::move(error));
    }
    lua_pushcfunction(L, &LuaState::messageHandler);
    lua_insert(L, base);

    ++m_callDepth;
    const int status = lua_pcall(L, nargs, nresults, base);
    --m_callDepth;

    lua_remove(L, base);
    if (outermost) {
        m_hasDeadline = false;
        lua_sethook(L, &LuaState::hook, LUA_MASKCOUNT, kHookCount);
    }
    if (status == LUA_OK)
        return lua_gettop(L) - base + 1;

    LuaError error = makeError(L, status, true);
    lua_settop(L, base - 1);
    if (outermost)
        m_interrupt = Interrupt::None;
    return unexpected(std::move(error));
}

Expected<bool, LuaError> LuaState::resume(lua_State* co, int nargs, int* nresults)
{
    Q_ASSERT(QThread::currentThread() == m_thread);
    const bool outermost = m_callDepth == 0;
    if (outermost) {
        m_stop.store(false, std::memory_order_relaxed);
        m_interrupt = Interrupt::None;
        m_alloc.refused = false;
        m_hasDeadline = m_timeout.count() > 0;
        if (m_hasDeadline)
            m_deadline = std::chrono::steady_clock::now() + m_timeout;
    }
    *nresults = 0;
    ++m_callDepth;
    const int status = lua_resume(co, m_L, nargs, nresults);
    --m_callDepth;
    if (outermost)
        m_hasDeadline = false;
    if (status == LUA_OK || status == LUA_YIELD) {
        lua_sethook(co, &LuaState::hook, LUA_MASKCOUNT, kHookCount);
        return status == LUA_YIELD;
    }

    // The error object is on top of co. Its text (as the message handler of call() would make
    // it), then the traceback of the dead coroutine, then the usual classification.
    lua_State* L = m_L;
    luaL_checkstack(L, 4, "resume");
    lua_xmove(co, L, 1);
    if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER) {
        // __tostring runs protected: this is outside any protected call.
        bool replaced = false;
        if (m_interrupt == Interrupt::None && luaL_getmetafield(L, -1, "__tostring") != LUA_TNIL) {
            lua_pushvalue(L, -2);
            replaced = lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING;
            if (replaced)
                lua_replace(L, -2);
            else
                lua_pop(L, 1);
        }
        if (!replaced) {
            lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, -1));
            lua_replace(L, -2);
        }
    }
    luaL_traceback(L, co, nullptr, 0);
    const QString traceback = QString::fromUtf8(lua_tostring(L, -1));
    lua_pop(L, 1);
    LuaError error = makeError(status, false);
    lua_pop(L, 1);
    if (status == LUA_ERRRUN)
        error.traceback = traceback;
    if (error.chunk.isEmpty()) {
        lua_Debug ar;
        for (int level = 0; lua_getstack(co, level, &ar); ++level) {
            lua_getinfo(co, "Sl", &ar);
            if (ar.currentline > 0) {
                error.chunk = QString::fromUtf8(ar.short_src);
                error.line = ar.currentline;
                break;
            }
        }
    }
    lua_settop(co, 0);
    if (outermost)
        m_interrupt = Interrupt::None;
    return unexpected(std::move(error));
}

Expected<std::vector<LuaValue>, LuaError> LuaState::run(
    QByteArrayView code, const QString& chunkName)
{
    LuaStackGuard guard(m_L);
    const int base = lua_gettop(m_L);
    if (auto loaded = load(code, chunkName); !loaded)
        return unexpected(loaded.error());
    auto called = call(0, LUA_MULTRET);
    if (!called)
        return unexpected(called.error());

    std::vector<LuaValue> results;
    results.reserve(static_cast<std::size_t>(*called));
    LuaValue::Limits limits;
    limits.opaqueAsString = true;
    for (int i = base + 1; i <= lua_gettop(m_L); ++i) {
        auto value = LuaValue::fromStack(m_L, i, limits);
        results.push_back(
            value ? std::move(*value) : LuaValue::string(lua::toDisplayString(m_L, i)));
    }
    lua_settop(m_L, base);
    return results;
}

} // namespace lunette
