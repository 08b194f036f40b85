#include <QtTest>

#include <thread>

#include "lua/LuaRef.h"
#include "lua/LuaState.h"
#include "support/TestSupport.h"

using namespace lunette;

namespace {

// Creates a fresh table, stores it weakly in the global `probe` (a weak-valued table) and leaves
// it on the stack: once nothing else holds it, a full collection clears probe[1].
void pushProbedTable(lua_State* L)
{
    luaL_dostring(L, "probe = setmetatable({}, {__mode = 'v'}) probe[1] = {answer = 42} return probe[1]");
}

bool probeAlive(lua_State* L)
{
    lua_gc(L, LUA_GCCOLLECT);
    lua_getglobal(L, "probe");
    const bool alive = lua_rawgeti(L, -1, 1) == LUA_TTABLE;
    lua_pop(L, 2);
    return alive;
}

} // namespace

class TestLuaRef final : public QObject
{
    Q_OBJECT

private slots:
    void pushReturnsTheSameValue();
    void refKeepsTheValueAliveUntilReset();
    void popTakesTheTopValue();
    void moveTransfersOwnership();
    void releaseFromAnotherThreadIsPostedToTheExecutor();
    void refOutlivingItsStateIsHarmless();
};

void TestLuaRef::pushReturnsTheSameValue()
{
    LuaState state;
    lua_State* L = state.state();
    lua_newtable(L);
    const void* table = lua_topointer(L, -1);
    LuaRef ref(state, -1);
    QCOMPARE(lua_gettop(L), 1); // the constructor does not pop
    lua_settop(L, 0);
    QVERIFY(ref.isValid());
    ref.push(L);
    QCOMPARE(lua_topointer(L, -1), table);
    lua_settop(L, 0);
}

void TestLuaRef::refKeepsTheValueAliveUntilReset()
{
    LuaState state;
    lua_State* L = state.state();
    pushProbedTable(L);
    LuaRef ref(state, -1);
    lua_settop(L, 0);
    QVERIFY(probeAlive(L));
    ref.reset();
    QVERIFY(!ref.isValid());
    QVERIFY(!probeAlive(L));
    ref.push(L); // an empty ref pushes nil
    QVERIFY(lua_isnil(L, -1));
    lua_settop(L, 0);
}

void TestLuaRef::popTakesTheTopValue()
{
    LuaState state;
    lua_State* L = state.state();
    lua_pushinteger(L, 1);
    lua_pushstring(L, "top");
    LuaRef ref = LuaRef::pop(state);
    QCOMPARE(lua_gettop(L), 1);
    ref.push(L);
    QCOMPARE(QByteArray(lua_tostring(L, -1)), QByteArray("top"));
    lua_settop(L, 0);
    lua_pushnil(L);
    LuaRef nilRef = LuaRef::pop(state);
    QVERIFY(nilRef.isNil());
}

void TestLuaRef::moveTransfersOwnership()
{
    LuaState state;
    lua_State* L = state.state();
    pushProbedTable(L);
    LuaRef first(state, -1);
    lua_settop(L, 0);
    LuaRef second(std::move(first));
    QVERIFY(!first.isValid());
    QVERIFY(second.isValid());
    LuaRef third;
    third = std::move(second);
    QVERIFY(!second.isValid());
    QVERIFY(probeAlive(L));
    third = LuaRef(); // releases
    QVERIFY(!probeAlive(L));
}

void TestLuaRef::releaseFromAnotherThreadIsPostedToTheExecutor()
{
    test::ExecutorState fixture;
    auto ref = fixture.executor().execute([&] {
        lua_State* L = fixture.state().state();
        pushProbedTable(L);
        auto r = std::make_unique<LuaRef>(fixture.state(), -1);
        lua_settop(L, 0);
        return r;
    });
    QVERIFY(fixture.executor().execute([&] { return probeAlive(fixture.state().state()); }));
    // Destroyed on a thread that is neither the executor nor the test's main thread.
    std::thread([r = std::move(ref)]() mutable { r.reset(); }).join();
    // FIFO: the posted unref runs before this check.
    QVERIFY(!fixture.executor().execute([&] { return probeAlive(fixture.state().state()); }));
}

void TestLuaRef::refOutlivingItsStateIsHarmless()
{
    LuaRef ref;
    {
        LuaState state;
        lua_newtable(state.state());
        ref = LuaRef::pop(state);
        QVERIFY(ref.isValid());
    }
    QVERIFY(!ref.isValid());
    ref.reset(); // no state to touch: nothing happens
    LuaState other;
    ref.push(other.state());
    QVERIFY(lua_isnil(other.state(), -1));
}

QTEST_GUILESS_MAIN(TestLuaRef)
#include "test_luaref.moc"
