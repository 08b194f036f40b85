#include <QtTest>

#include <atomic>
#include <chrono>

#include "lua/LuaExecutor.h"
#include "lua/LuaState.h"
#include "lua/LuaStackGuard.h"
#include "support/TestSupport.h"

using namespace lunette;
using namespace std::chrono_literals;

namespace {

// Runs `code` and returns its single result; fails the test on a Lua error.
LuaValue eval(LuaState& state, const char* code)
{
    auto result = state.run(QByteArrayView(code), QStringLiteral("test.lua"));
    if (!result) {
        qWarning("unexpected Lua error: %s", qPrintable(result.error().fullText()));
        return LuaValue::string(QStringLiteral("<lua error>"));
    }
    return result->empty() ? LuaValue() : result->front();
}

qint64 elapsedMs(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                 - since)
        .count();
}

// Starts `print('go') while true do end` on the fixture's executor and waits until it runs.
struct EndlessLoop
{
    std::atomic<bool> started {false};
    std::atomic<bool> done {false};
    LuaError::Kind kind = LuaError::Kind::Internal; // Internal = the loop ended without error
    QString message;

    bool start(test::ExecutorState& fixture)
    {
        fixture.executor().execute([&] {
            fixture.state().setOutputSink([this](const QString&) { started = true; });
        });
        fixture.executor().post([this, &fixture] {
            auto result = fixture.state().run("print('go') while true do end", QStringLiteral("s.lua"));
            if (!result) {
                kind = result.error().kind;
                message = result.error().message;
            }
            done = true;
        });
        return QTest::qWaitFor([&] { return started.load(); }, 5000);
    }
};

} // namespace

class TestLuaState final : public QObject
{
    Q_OBJECT

private slots:
    void defaults();
    void forbiddenFunctionsAreAbsent_data();
    void forbiddenFunctionsAreAbsent();
    void allowedLibrariesArePresent();
    void loadIsTextOnly();
    void binaryChunksAreRefusedByTheEngine();
    void gcMetamethodsAreRefused();
    void printGoesToTheSink();
    void callLeavesResultsOnTheStack();
    void runReturnsAllResults();
    void syntaxErrorHasChunkAndLine();
    void runtimeErrorHasTraceback();
    void errorObjectsAreDescribed();
    void errorWithoutPositionUsesTheStack();
    void timeoutInterruptsAnEndlessLoop();
    void timeoutCannotBeCaughtByPcall();
    void timeoutInsideACoroutine();
    void stopFlagFromAnotherThread();
    void executorStopInterruptsTheRunningCall();
    void memoryCapStopsAStringBomb();
    void memoryCapStopsATableBomb();
    void defaultMemoryCapHolds();
    void fromFindsTheOwnerInCoroutines();
};

void TestLuaState::defaults()
{
    LuaState state;
    QCOMPARE(state.timeout(), 5000ms);
    QCOMPARE(state.memoryLimit(), std::size_t(256) * 1024 * 1024);
    QVERIFY(state.memoryUsed() > 0);
    QVERIFY(!state.isRunning());
}

void TestLuaState::forbiddenFunctionsAreAbsent_data()
{
    QTest::addColumn<QString>("expression");
    for (const char* name : {"io", "debug", "package", "require", "dofile", "loadfile",
                             "os.execute", "os.remove", "os.rename", "os.exit", "os.tmpname",
                             "os.setlocale"}) {
        QTest::newRow(name) << QString::fromLatin1(name);
    }
}

void TestLuaState::forbiddenFunctionsAreAbsent()
{
    QFETCH(QString, expression);
    LuaState state;
    const QByteArray code = "return " + expression.toUtf8() + " == nil";
    QCOMPARE(eval(state, code.constData()), LuaValue::boolean(true));
}

void TestLuaState::allowedLibrariesArePresent()
{
    LuaState state;
    const char* code = R"(
        local names = {}
        for _, lib in ipairs{"string", "table", "math", "utf8", "coroutine"} do
            if type(_G[lib]) ~= "table" then names[#names+1] = lib end
        end
        for _, f in ipairs{"time", "clock", "date", "difftime", "getenv"} do
            if type(os[f]) ~= "function" then names[#names+1] = "os." .. f end
        end
        for _, f in ipairs{"load", "pcall", "xpcall", "error", "setmetatable", "tostring",
                           "select", "pairs", "ipairs", "next", "rawget", "collectgarbage"} do
            if type(_G[f]) ~= "function" then names[#names+1] = f end
        end
        return table.concat(names, ",")
    )";
    QCOMPARE(eval(state, code).toString(), QString());
    QCOMPARE(eval(state, "return utf8.char(233, 10003)").toString(),
             QString::fromUtf8("\xc3\xa9\xe2\x9c\x93"));
    QCOMPARE(eval(state, "return math.type(3 // 1)").toString(), QStringLiteral("integer"));
}

void TestLuaState::loadIsTextOnly()
{
    LuaState state;
    QCOMPARE(eval(state, "return load('return 1 + 1')()"), LuaValue::integer(2));
    // A binary chunk built by hand (the header signature) is refused even when mode "b" is asked.
    const char* code = R"(
        local f, err = load("\27Lua\84\0", "bin", "b")
        return f == nil and err
    )";
    const QString message = eval(state, code).toString();
    QVERIFY2(message.contains(QStringLiteral("binary chunk")), qPrintable(message));
    // The environment argument still works.
    QCOMPARE(eval(state, "return load('return x', 'c', 't', {x = 9})()"), LuaValue::integer(9));
}

void TestLuaState::binaryChunksAreRefusedByTheEngine()
{
    LuaState state;
    const QByteArray binary("\x1bLua\x54\x00", 6);
    auto loaded = state.load(binary, QStringLiteral("evil.luac"));
    QVERIFY(!loaded);
    QCOMPARE(loaded.error().kind, LuaError::Kind::Syntax);
    QVERIFY2(loaded.error().message.contains(QStringLiteral("binary chunk")),
             qPrintable(loaded.error().message));
    QCOMPARE(lua_gettop(state.state()), 0);
}

void TestLuaState::gcMetamethodsAreRefused()
{
    LuaState state;
    auto result = state.run("setmetatable({}, {__gc = function() while true do end end})",
                            QStringLiteral("gc.lua"));
    QVERIFY(!result);
    QVERIFY2(result.error().message.contains(QStringLiteral("__gc")),
             qPrintable(result.error().message));
    // Other metatables are fine.
    QCOMPARE(eval(state, "return setmetatable({}, {__index = {a = 1}}).a"), LuaValue::integer(1));
}

void TestLuaState::printGoesToTheSink()
{
    LuaState state;
    QStringList lines;
    state.setOutputSink([&](const QString& text) { lines << text; });
    auto result = state.run(R"(
        print("a", 1, nil, true, 2.5)
        print(setmetatable({}, {__tostring = function() return "custom" end}))
        print()
        print("héllo")
    )",
                            QStringLiteral("print.lua"));
    QVERIFY(result);
    QCOMPARE(lines,
             (QStringList {QStringLiteral("a\t1\tnil\ttrue\t2.5"), QStringLiteral("custom"),
                           QString(), QString::fromUtf8("h\xc3\xa9llo")}));
}

void TestLuaState::callLeavesResultsOnTheStack()
{
    LuaState state;
    lua_State* L = state.state();
    QVERIFY(state.load("local a, b = ... return a + b, a * b", QStringLiteral("args.lua")));
    lua_pushinteger(L, 3);
    lua_pushinteger(L, 4);
    {
        LuaStackGuard guard(L, -1); // function + 2 args replaced by 2 results
        auto called = state.call(2, LUA_MULTRET);
        QVERIFY(called);
        QCOMPARE(*called, 2);
    }
    QCOMPARE(lua_tointeger(L, 1), 7);
    QCOMPARE(lua_tointeger(L, 2), 12);
    lua_settop(L, 0);

    // On error nothing is left behind.
    QVERIFY(state.load("error('x')", QStringLiteral("err.lua")));
    lua_pushinteger(L, 1);
    QVERIFY(!state.call(1, 1));
    QCOMPARE(lua_gettop(L), 0);
}

void TestLuaState::runReturnsAllResults()
{
    LuaState state;
    auto result = state.run("return 1, 'two', nil, {3, 4}, function() end", QStringLiteral("r"));
    QVERIFY(result);
    QCOMPARE(int(result->size()), 5);
    QCOMPARE((*result)[0], LuaValue::integer(1));
    QCOMPARE((*result)[1], LuaValue::string(QStringLiteral("two")));
    QVERIFY((*result)[2].isNil());
    QCOMPARE((*result)[3], LuaValue::array({LuaValue::integer(3), LuaValue::integer(4)}));
    QVERIFY((*result)[4].toString().startsWith(QStringLiteral("function: ")));
    QCOMPARE(lua_gettop(state.state()), 0);
}

void TestLuaState::syntaxErrorHasChunkAndLine()
{
    LuaState state;
    auto result = state.run("local a = 1\nlocal b = = 2\n", QStringLiteral("lua/bad.lua"));
    QVERIFY(!result);
    const LuaError& error = result.error();
    QCOMPARE(error.kind, LuaError::Kind::Syntax);
    QCOMPARE(error.chunk, QStringLiteral("lua/bad.lua"));
    QCOMPARE(error.line, 2);
    QCOMPARE(error.location(), QStringLiteral("lua/bad.lua:2"));
    QVERIFY2(error.message.startsWith(QStringLiteral("lua/bad.lua:2: ")), qPrintable(error.message));
    QVERIFY(error.traceback.isEmpty());
}

void TestLuaState::runtimeErrorHasTraceback()
{
    LuaState state;
    auto result = state.run(R"(local function inner()
    local t = nil
    return t.field
end
local function outer()
    return inner() + 1
end
outer()
)",
                            QStringLiteral("lua/trace.lua"));
    QVERIFY(!result);
    const LuaError& error = result.error();
    QCOMPARE(error.kind, LuaError::Kind::Runtime);
    QCOMPARE(error.chunk, QStringLiteral("lua/trace.lua"));
    QCOMPARE(error.line, 3);
    QVERIFY2(error.message.contains(QStringLiteral("attempt to index a nil value")),
             qPrintable(error.message));
    QVERIFY2(error.traceback.startsWith(QStringLiteral("stack traceback:")),
             qPrintable(error.traceback));
    QVERIFY2(error.traceback.contains(QStringLiteral("lua/trace.lua:3: in")), qPrintable(error.traceback));
    QVERIFY2(error.traceback.contains(QStringLiteral("lua/trace.lua:6: in")), qPrintable(error.traceback));
    QVERIFY2(error.traceback.contains(QStringLiteral("lua/trace.lua:8: in main chunk")),
             qPrintable(error.traceback));
    QVERIFY(error.fullText().startsWith(error.message + u'\n'));
}

void TestLuaState::errorObjectsAreDescribed()
{
    LuaState state;
    auto table = state.run("error({})", QStringLiteral("e.lua"));
    QVERIFY(!table);
    QCOMPARE(table.error().message, QStringLiteral("(error object is a table value)"));
    auto custom = state.run(
        "error(setmetatable({}, {__tostring = function() return 'custom failure' end}))",
        QStringLiteral("e.lua"));
    QVERIFY(!custom);
    QCOMPARE(custom.error().message, QStringLiteral("custom failure"));
    QCOMPARE(custom.error().line, 1);
}

void TestLuaState::errorWithoutPositionUsesTheStack()
{
    LuaState state;
    auto result = state.run("local x = 1\n\nerror('plain', 0)\n", QStringLiteral("pos.lua"));
    QVERIFY(!result);
    QCOMPARE(result.error().message, QStringLiteral("plain"));
    QCOMPARE(result.error().chunk, QStringLiteral("pos.lua"));
    QCOMPARE(result.error().line, 3);
}

void TestLuaState::timeoutInterruptsAnEndlessLoop()
{
    LuaState state;
    state.setTimeout(300ms);
    const auto start = std::chrono::steady_clock::now();
    auto result = state.run("local n = 0\nwhile true do n = n + 1 end", QStringLiteral("loop.lua"));
    const qint64 ms = elapsedMs(start);
    QVERIFY(!result);
    QCOMPARE(result.error().kind, LuaError::Kind::Timeout);
    QVERIFY2(result.error().message.contains(QStringLiteral("script timed out")),
             qPrintable(result.error().message));
    QCOMPARE(result.error().chunk, QStringLiteral("loop.lua"));
    QVERIFY2(ms >= 300 && ms < 1300, qPrintable(QString::number(ms)));
    // The state stays usable, with a fresh deadline.
    QCOMPARE(eval(state, "return 1 + 1"), LuaValue::integer(2));
    QCOMPARE(eval(state, "local s = 0 for i = 1, 1e6 do s = s + i end return s"),
             LuaValue::integer(500000500000));
}

void TestLuaState::timeoutCannotBeCaughtByPcall()
{
    LuaState state;
    state.setTimeout(200ms);
    const auto start = std::chrono::steady_clock::now();
    auto result = state.run(R"(
        while true do
            pcall(function() while true do end end)
        end
    )",
                            QStringLiteral("catch.lua"));
    QVERIFY(!result);
    QCOMPARE(result.error().kind, LuaError::Kind::Timeout);
    QVERIFY(elapsedMs(start) < 1200);
    QCOMPARE(eval(state, "return 'alive'").toString(), QStringLiteral("alive"));
}

void TestLuaState::timeoutInsideACoroutine()
{
    LuaState state;
    state.setTimeout(200ms);
    auto result = state.run(R"(
        local co = coroutine.wrap(function() while true do end end)
        co()
    )",
                            QStringLiteral("co.lua"));
    QVERIFY(!result);
    QCOMPARE(result.error().kind, LuaError::Kind::Timeout);
    QCOMPARE(eval(state, "return 3").toInteger(), 3);
}

void TestLuaState::stopFlagFromAnotherThread()
{
    test::ExecutorState fixture({.memoryLimit = LuaState::kDefaultMemoryLimit, .timeout = 60s});
    EndlessLoop loop;
    QVERIFY(loop.start(fixture));
    QVERIFY(!loop.done.load());
    const auto start = std::chrono::steady_clock::now();
    fixture.state().requestStop(); // from the test thread, while Lua runs on the executor
    QTRY_VERIFY_WITH_TIMEOUT(loop.done.load(), 5000);
    QVERIFY(elapsedMs(start) < 1000);
    QCOMPARE(loop.kind, LuaError::Kind::Stopped);
    QVERIFY2(loop.message.contains(QStringLiteral("script stopped")), qPrintable(loop.message));
    // Usable afterwards, and the flag does not hit the next call.
    const LuaValue after = fixture.executor().execute([&] { return eval(fixture.state(), "return 5"); });
    QCOMPARE(after, LuaValue::integer(5));
}

void TestLuaState::executorStopInterruptsTheRunningCall()
{
    test::ExecutorState fixture({.memoryLimit = LuaState::kDefaultMemoryLimit, .timeout = 60s});
    EndlessLoop loop;
    QVERIFY(loop.start(fixture));
    fixture.executor().requestStop(); // the GUI's "Stop script"
    QTRY_VERIFY_WITH_TIMEOUT(loop.done.load(), 5000);
    QCOMPARE(loop.kind, LuaError::Kind::Stopped);
}

void TestLuaState::memoryCapStopsAStringBomb()
{
    LuaState state({.memoryLimit = 16u * 1024 * 1024, .timeout = 5s});
    auto result = state.run("local s = string.rep('x', 64 * 1024 * 1024) return #s",
                            QStringLiteral("bomb.lua"));
    QVERIFY(!result);
    QCOMPARE(result.error().kind, LuaError::Kind::Memory);
    QVERIFY2(result.error().message.contains(QStringLiteral("not enough memory")),
             qPrintable(result.error().message));
    QVERIFY(state.memoryUsed() <= state.memoryLimit());
    // Doubling bomb: grows step by step until the cap.
    auto doubling = state.run("local s = 'x' while true do s = s .. s end", QStringLiteral("d.lua"));
    QVERIFY(!doubling);
    QCOMPARE(doubling.error().kind, LuaError::Kind::Memory);
    QCOMPARE(eval(state, "return #string.rep('y', 1000)"), LuaValue::integer(1000));
}

void TestLuaState::memoryCapStopsATableBomb()
{
    LuaState state({.memoryLimit = 32u * 1024 * 1024, .timeout = 20s});
    auto result = state.run("local t = {} for i = 1, 1e9 do t[i] = {i} end",
                            QStringLiteral("tables.lua"));
    QVERIFY(!result);
    QCOMPARE(result.error().kind, LuaError::Kind::Memory);
    QVERIFY(state.memoryUsed() <= state.memoryLimit());
    lua_gc(state.state(), LUA_GCCOLLECT);
    QVERIFY(state.memoryUsed() < 1024 * 1024); // the garbage was collected
    QCOMPARE(eval(state, "local t = {} for i = 1, 1000 do t[i] = i end return #t"),
             LuaValue::integer(1000));
}

void TestLuaState::defaultMemoryCapHolds()
{
    LuaState state;
    auto result = state.run("return #string.rep('x', 300 * 1024 * 1024)", QStringLiteral("big.lua"));
    QVERIFY(!result);
    QCOMPARE(result.error().kind, LuaError::Kind::Memory);
    QVERIFY2(result.error().message.contains(QStringLiteral("256.0 MiB")),
             qPrintable(result.error().message));
}

void TestLuaState::fromFindsTheOwnerInCoroutines()
{
    LuaState state;
    lua_State* co = lua_newthread(state.state());
    QCOMPARE(LuaState::from(co), &state);
    QCOMPARE(LuaState::from(state.state()), &state);
    lua_pop(state.state(), 1);
}

QTEST_GUILESS_MAIN(TestLuaState)
#include "test_luastate.moc"
