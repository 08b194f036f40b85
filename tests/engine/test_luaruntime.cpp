#include <QtTest>

#include <stdexcept>

#include "lua/LuaRuntime.h"
#include "lua/LuaState.h"

using namespace lunette;

namespace {

int g_alive = 0;

class Counter
{
public:
    explicit Counter(int start) : m_value(start) { ++g_alive; }
    ~Counter() { --g_alive; }
    int next() { return ++m_value; }

private:
    int m_value;
};

constexpr const char* kCounter = "test.Counter";

int counterNew(lua_State* L)
{
    const auto start = static_cast<int>(luaL_checkinteger(L, 1));
    lua::newUserdata<Counter>(L, kCounter, start);
    return 1;
}

int counterNext(lua_State* L)
{
    lua_pushinteger(L, lua::checkUserdata<Counter>(L, 1, kCounter)->next());
    return 1;
}

int counterClose(lua_State* L)
{
    lua::destroyUserdata<Counter>(L, 1);
    return 0;
}

int throwing(lua_State* L)
{
    return lua::wrap(L, []() -> int { throw std::runtime_error("C++ side failed"); });
}

int luaErrorInsideWrap(lua_State* L)
{
    return lua::wrap(L, [L]() -> int { return luaL_error(L, "raised by Lua"); });
}

const luaL_Reg kCounterMethods[] = {{"next", counterNext}, {"close", counterClose}, {nullptr, nullptr}};

void install(LuaState& state)
{
    lua_State* L = state.state();
    lua::pushMetatable<Counter>(L, kCounter, kCounterMethods);
    lua_pop(L, 1);
    lua_register(L, "newCounter", counterNew);
    lua_register(L, "throwing", throwing);
    lua_register(L, "luaErrorInsideWrap", luaErrorInsideWrap);
    lua_newtable(L);
    lua_pushinteger(L, 7);
    lua_setfield(L, -2, "seven");
    lua::pushReadOnly(L, -1, "consts");
    lua_setglobal(L, "consts");
    lua_pop(L, 1);
}

QString errorOf(LuaState& state, const char* code)
{
    auto result = state.run(QByteArrayView(code), QStringLiteral("rt.lua"));
    return result ? QString() : result.error().message;
}

} // namespace

class TestLuaRuntime final : public QObject
{
    Q_OBJECT

private slots:
    void userdataMethodsAndGc();
    void userdataTypeChecks();
    void closedUserdataIsReported();
    void readOnlyTable();
    void wrapTurnsExceptionsIntoLuaErrors();
    void wrapLetsLuaErrorsThrough();
    void strings();
    void displayStringIsProtected();
};

void TestLuaRuntime::userdataMethodsAndGc()
{
    g_alive = 0;
    {
        LuaState state;
        install(state);
        auto result = state.run("local c = newCounter(10) c:next() return c:next()", QStringLiteral("u"));
        QVERIFY(result);
        QCOMPARE(result->front().toInteger(), 12);
        QCOMPARE(g_alive, 1); // garbage not collected yet
        lua_gc(state.state(), LUA_GCCOLLECT);
        QCOMPARE(g_alive, 0); // __gc ran the destructor
        QVERIFY(state.run("keep = newCounter(1)", QStringLiteral("u")));
        QCOMPARE(g_alive, 1);
    }
    QCOMPARE(g_alive, 0); // lua_close finalized the one still referenced
}

void TestLuaRuntime::userdataTypeChecks()
{
    LuaState state;
    install(state);
    const QString message = errorOf(state, "local c = newCounter(1) c.next({})");
    QVERIFY2(message.contains(QStringLiteral("bad argument #1")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("test.Counter expected")), qPrintable(message));
    QVERIFY(errorOf(state, "return getmetatable(newCounter(1))") .isEmpty());
    auto hidden = state.run("return getmetatable(newCounter(1))", QStringLiteral("u"));
    QCOMPARE(hidden->front(), LuaValue::boolean(false)); // __metatable protects it
}

void TestLuaRuntime::closedUserdataIsReported()
{
    g_alive = 0;
    LuaState state;
    install(state);
    const QString message = errorOf(state, "local c = newCounter(1) c:close() c:next()");
    QVERIFY2(message.contains(QStringLiteral("attempt to use a closed test.Counter")), qPrintable(message));
    QCOMPARE(g_alive, 0);
    lua_gc(state.state(), LUA_GCCOLLECT); // __gc must not destroy it twice
    QCOMPARE(g_alive, 0);
}

void TestLuaRuntime::readOnlyTable()
{
    LuaState state;
    install(state);
    auto read = state.run("return consts.seven", QStringLiteral("ro"));
    QCOMPARE(read->front(), LuaValue::integer(7));
    const QString message = errorOf(state, "consts.eight = 8");
    QVERIFY2(message.contains(QStringLiteral("attempt to modify read-only table 'consts'")),
             qPrintable(message));
    QVERIFY(!errorOf(state, "setmetatable(consts, {})").isEmpty());
    auto unchanged = state.run("return consts.eight", QStringLiteral("ro"));
    QVERIFY(unchanged->front().isNil());
}

void TestLuaRuntime::wrapTurnsExceptionsIntoLuaErrors()
{
    LuaState state;
    install(state);
    auto caught = state.run("local ok, err = pcall(throwing) return ok, err", QStringLiteral("w"));
    QVERIFY(caught);
    QCOMPARE((*caught)[0], LuaValue::boolean(false));
    QCOMPARE((*caught)[1].toString(), QStringLiteral("C++ side failed"));
}

void TestLuaRuntime::wrapLetsLuaErrorsThrough()
{
    LuaState state;
    install(state);
    const QString message = errorOf(state, "luaErrorInsideWrap()");
    QVERIFY2(message.endsWith(QStringLiteral("raised by Lua")), qPrintable(message));
}

void TestLuaRuntime::strings()
{
    LuaState state;
    lua_State* L = state.state();
    const QString text = QString::fromUtf8("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80");
    lua::pushString(L, text);
    QCOMPARE(lua::toQString(L, -1), text);
    QCOMPARE(lua::toBytes(L, -1), text.toUtf8());
    lua_pushinteger(L, 42);
    QCOMPARE(lua::toQString(L, -1), QStringLiteral("42"));
    lua_newtable(L);
    QVERIFY(lua::toQString(L, -1).isNull());
    lua_settop(L, 0);
}

void TestLuaRuntime::displayStringIsProtected()
{
    LuaState state;
    lua_State* L = state.state();
    QVERIFY(state.run("good = setmetatable({}, {__tostring = function() return 'nice' end})\n"
                      "bad = setmetatable({}, {__tostring = function() error('broken') end})",
                      QStringLiteral("d")));
    lua_getglobal(L, "good");
    QCOMPARE(lua::toDisplayString(L, -1), QStringLiteral("nice"));
    lua_getglobal(L, "bad");
    const QString shown = lua::toDisplayString(L, -1);
    QVERIFY2(shown.startsWith(QStringLiteral("(error in __tostring:")), qPrintable(shown));
    QVERIFY2(shown.contains(QStringLiteral("broken")), qPrintable(shown));
    QCOMPARE(lua_gettop(L), 2);
    lua_settop(L, 0);
}

QTEST_GUILESS_MAIN(TestLuaRuntime)
#include "test_luaruntime.moc"
