#include <QtTest>

#include <cmath>
#include <memory>

#include <lua.hpp>

#include "lua/LuaValue.h"
#include "support/LuaFixture.h"

using namespace lunette;
using lunette::test::LuaFixture;

namespace {

LuaValue arrayOf(std::initializer_list<LuaValue> items)
{
    return LuaValue::array(LuaValue::Array(items));
}

LuaValue integer(qint64 i)
{
    return LuaValue::integer(i);
}

LuaValue str(const char* s)
{
    return LuaValue::string(QByteArray(s));
}

} // namespace

class TestLuaValue final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void primitives();
    void integersAndFloats_data();
    void integersAndFloats();
    void unicodeStrings();
    void invalidUtf8IsKeptButReplacedInJson_data();
    void invalidUtf8IsKeptButReplacedInJson();
    void nestedArrays();
    void emptyTableIsAnEmptyArray();
    void mixedKeysMakeASortedMap();
    void holesMakeAMap();
    void badKeyTypes_data();
    void badKeyTypes();
    void cycles_data();
    void cycles();
    void sharedSubtableIsCopied();
    void depthLimit();
    void elementLimit();
    void byteLimit();
    void opaqueValues();
    void rawAccessIgnoresMetamethods();
    void relativeIndex();
    void equality();
    void mapSortsAndFinds();
    void accessors();
    void pushRoundTrip();
    void pushBuildsFreshTables();
    void toJsonShapes();
    void fromJsonNumbers_data();
    void fromJsonNumbers();
    void fromJsonStructures();
    void fromJsonUnicode();
    void fromJsonErrors_data();
    void fromJsonErrors();
    void fromJsonDepth();
    void jsonRoundTrip();

private:
    // Snapshot of the value `code` returns; counts any change of the stack top.
    Expected<LuaValue, QString> snapshot(const char* code, const LuaValue::Limits& limits = {});

    std::unique_ptr<LuaFixture> m_lua;
    int m_stackMismatches = 0;
};

void TestLuaValue::init()
{
    m_lua = std::make_unique<LuaFixture>();
    m_stackMismatches = 0;
}

void TestLuaValue::cleanup()
{
    const int top = lua_gettop(m_lua->L());
    m_lua.reset();
    QCOMPARE(m_stackMismatches, 0);
    QCOMPARE(top, 0);
}

Expected<LuaValue, QString> TestLuaValue::snapshot(const char* code, const LuaValue::Limits& limits)
{
    return m_lua->convert(code, m_stackMismatches,
        [&](lua_State* L, int idx) { return LuaValue::fromStack(L, idx, limits); });
}

void TestLuaValue::primitives()
{
    auto nil = snapshot("return nil");
    QVERIFY(nil);
    QVERIFY(nil->isNil());
    QCOMPARE(nil->typeName(), "nil");

    auto t = snapshot("return true");
    QVERIFY(t);
    QVERIFY(t->isBoolean());
    QCOMPARE(t->toBool(), true);

    auto f = snapshot("return false");
    QVERIFY(f);
    QVERIFY(f->isBoolean());
    QCOMPARE(f->toBool(), false);

    auto i = snapshot("return 42");
    QVERIFY(i);
    QVERIFY(i->isInteger());
    QCOMPARE(i->toInteger(), 42);

    auto s = snapshot("return 'abc'");
    QVERIFY(s);
    QVERIFY(s->isString());
    QCOMPARE(s->toBytes(), QByteArray("abc"));
    QCOMPARE(s->typeName(), "string");

    auto bin = snapshot("return 'a\\0b'");
    QVERIFY(bin);
    QCOMPARE(bin->toBytes(), QByteArray("a\0b", 3));
}

void TestLuaValue::integersAndFloats_data()
{
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<bool>("isInteger");
    QTest::addColumn<double>("number");
    QTest::addColumn<QByteArray>("json");

    QTest::newRow("1") << QByteArray("return 1") << true << 1.0 << QByteArray("1");
    QTest::newRow("1.0") << QByteArray("return 1.0") << false << 1.0 << QByteArray("1");
    QTest::newRow("1.5") << QByteArray("return 1.5") << false << 1.5 << QByteArray("1.5");
    QTest::newRow("0.1") << QByteArray("return 0.1") << false << 0.1 << QByteArray("0.1");
    QTest::newRow("2^53") << QByteArray("return 2^53") << false << 9007199254740992.0
                          << QByteArray("9007199254740992");
    QTest::newRow("-2^53") << QByteArray("return -2^53") << false << -9007199254740992.0
                           << QByteArray("-9007199254740992");
    // Past 2^53 floats keep their ".0": they are not exact integers any more.
    QTest::newRow("2^53+2") << QByteArray("return 2^53 + 2") << false << 9007199254740994.0
                            << QByteArray("9007199254740994.0");
    QTest::newRow("1e20") << QByteArray("return 1e20") << false << 1e20
                          << QByteArray("100000000000000000000.0");
    QTest::newRow("-0.0") << QByteArray("return -0.0") << false << 0.0 << QByteArray("0");
    QTest::newRow("maxinteger") << QByteArray("return math.maxinteger") << true
                                << 9223372036854775807.0 << QByteArray("9223372036854775807");
    QTest::newRow("mininteger") << QByteArray("return math.mininteger") << true
                                << -9223372036854775808.0 << QByteArray("-9223372036854775808");
    QTest::newRow("1e300") << QByteArray("return 1e300") << false << 1e300 << QByteArray("1e300");
}

void TestLuaValue::integersAndFloats()
{
    QFETCH(QByteArray, code);
    QFETCH(bool, isInteger);
    QFETCH(double, number);
    QFETCH(QByteArray, json);

    auto value = snapshot(code.constData());
    QVERIFY(value);
    QCOMPARE(value->isInteger(), isInteger);
    QCOMPARE(value->isDouble(), !isInteger);
    QVERIFY(value->isNumber());
    QCOMPARE(value->toDouble(), number);
    QCOMPARE(value->toJson(), json);
}

void TestLuaValue::unicodeStrings()
{
    auto value = snapshot("return 'héllo ✓ 😀'");
    QVERIFY(value);
    QCOMPARE(value->toBytes(), QByteArray("h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80"));
    QCOMPARE(value->toString(), QStringLiteral("héllo ✓ 😀"));
    QCOMPARE(value->toJson(), QByteArray("\"h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80\""));
    QCOMPARE(LuaValue::string(QStringLiteral("héllo ✓ 😀")), *value);

    // Control characters, quotes and backslashes are escaped.
    auto escaped = snapshot("return 'a\"b\\\\c\\n\\1'");
    QVERIFY(escaped);
    QCOMPARE(escaped->toJson(), QByteArray("\"a\\\"b\\\\c\\n\\u0001\""));
}

void TestLuaValue::invalidUtf8IsKeptButReplacedInJson_data()
{
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QByteArray>("json");

    QTest::newRow("lone 0xff") << QByteArray("return 'a\\xff b'") << QByteArray("a\xff b")
                               << QByteArray("\"a\xEF\xBF\xBD b\"");
    QTest::newRow("truncated") << QByteArray("return 'x\\xe2\\x9c'") << QByteArray("x\xe2\x9c")
                               << QByteArray("\"x\xEF\xBF\xBD\"");
    QTest::newRow("overlong") << QByteArray("return '\\xc0\\xaf'") << QByteArray("\xc0\xaf")
                              << QByteArray("\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
    QTest::newRow("surrogate") << QByteArray("return '\\xed\\xa0\\x80'")
                               << QByteArray("\xed\xa0\x80")
                               << QByteArray("\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    QTest::newRow("in key") << QByteArray("return {['k\\xff'] = 1}") << QByteArray()
                            << QByteArray("{\"k\xEF\xBF\xBD\":1}");
}

void TestLuaValue::invalidUtf8IsKeptButReplacedInJson()
{
    QFETCH(QByteArray, code);
    QFETCH(QByteArray, bytes);
    QFETCH(QByteArray, json);

    auto value = snapshot(code.constData());
    QVERIFY(value);
    if (value->isString())
        QCOMPARE(value->toBytes(), bytes); // the snapshot keeps Lua's bytes untouched
    QCOMPARE(value->toJson(), json);
}

void TestLuaValue::nestedArrays()
{
    auto value = snapshot("return {{1, 2}, {3, {4}}}");
    QVERIFY(value);
    QVERIFY(value->isArray());
    QCOMPARE(value->size(), 2);
    QCOMPARE(*value,
        arrayOf({ arrayOf({ integer(1), integer(2) }),
            arrayOf({ integer(3), arrayOf({ integer(4) }) }) }));
    QCOMPARE(value->toJson(), QByteArray("[[1,2],[3,[4]]]"));
}

void TestLuaValue::emptyTableIsAnEmptyArray()
{
    auto value = snapshot("return {}");
    QVERIFY(value);
    QVERIFY(value->isArray());
    QCOMPARE(value->size(), 0);
    QCOMPARE(value->toJson(), QByteArray("[]"));
}

void TestLuaValue::mixedKeysMakeASortedMap()
{
    auto value = snapshot("return {1, 2, x = 'y', [10] = true, [1.5] = 'f', [2^63] = 'big'}");
    QVERIFY2(value, qPrintable(value ? QString() : value.error()));
    QVERIFY(value->isMap());
    QCOMPARE(value->size(), 6);
    const LuaValue::Map& map = value->toMap();
    QCOMPARE(map[0].first, QByteArray("1"));
    QCOMPARE(map[1].first, QByteArray("1.5"));
    QCOMPARE(map[2].first, QByteArray("10"));
    QCOMPARE(map[3].first, QByteArray("2"));
    QCOMPARE(map[4].first, QByteArray("9.2233720368548e+18"));
    QCOMPARE(map[5].first, QByteArray("x"));
    QCOMPARE(value->toJson(),
        QByteArray("{\"1\":1,\"1.5\":\"f\",\"10\":true,\"2\":2,\"9.2233720368548e+18\":\"big\","
                   "\"x\":\"y\"}"));
}

void TestLuaValue::holesMakeAMap()
{
    auto value = snapshot("return {1, nil, 3}");
    QVERIFY(value);
    QVERIFY(value->isMap());
    QCOMPARE(value->toJson(), QByteArray("{\"1\":1,\"3\":3}"));

    auto zero = snapshot("return {[0] = 'z', 'a'}");
    QVERIFY(zero);
    QCOMPARE(zero->toJson(), QByteArray("{\"0\":\"z\",\"1\":\"a\"}"));
}

void TestLuaValue::badKeyTypes_data()
{
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<QString>("error");

    QTest::newRow("boolean") << QByteArray("return {[true] = 1}")
                             << QStringLiteral("table key of type boolean at (root)");
    QTest::newRow("table in nested")
        << QByteArray("return {a = {[{}] = 1}}") << QStringLiteral("table key of type table at .a");
    QTest::newRow("function") << QByteArray("return {{[print] = 1}}")
                              << QStringLiteral("table key of type function at [1]");
    QTest::newRow("1 and '1'") << QByteArray("return {x = {[1] = 'a', ['1'] = 'b'}}")
                               << QStringLiteral("duplicate key \"1\" in table at .x");
}

void TestLuaValue::badKeyTypes()
{
    QFETCH(QByteArray, code);
    QFETCH(QString, error);

    auto value = snapshot(code.constData());
    QVERIFY(!value);
    QCOMPARE(value.error(), error);
}

void TestLuaValue::cycles_data()
{
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<QString>("error");

    QTest::newRow("self") << QByteArray("local t = {} t.self = t return t")
                          << QStringLiteral("cycle detected at .self");
    QTest::newRow("longer") << QByteArray("local a = {b = {c = {}}} a.b.c.back = a return a")
                            << QStringLiteral("cycle detected at .b.c.back");
    QTest::newRow("through arrays") << QByteArray("local t = {{}} t[1][1] = t return t")
                                    << QStringLiteral("cycle detected at [1][1]");
    QTest::newRow("odd key") << QByteArray("local t = {} t['a b'] = {t} return t")
                             << QStringLiteral("cycle detected at [\"a b\"][1]");
    QTest::newRow("inner") << QByteArray("local t = {} t.x = {} t.x.y = t.x return t")
                           << QStringLiteral("cycle detected at .x.y");
}

void TestLuaValue::cycles()
{
    QFETCH(QByteArray, code);
    QFETCH(QString, error);

    auto value = snapshot(code.constData());
    QVERIFY(!value);
    QCOMPARE(value.error(), error);
}

void TestLuaValue::sharedSubtableIsCopied()
{
    auto value = snapshot("local s = {1, 2} return {a = s, b = s, c = {s, s}}");
    QVERIFY(value);
    QCOMPARE(value->toJson(), QByteArray("{\"a\":[1,2],\"b\":[1,2],\"c\":[[1,2],[1,2]]}"));
}

void TestLuaValue::depthLimit()
{
    // 200 tables below the root.
    auto deep = snapshot("local t = {} local cur = t for i = 1, 200 do cur.x = {} cur = cur.x end "
                         "return t");
    QVERIFY(!deep);
    // The 65th nested table is the first one too deep.
    QCOMPARE(deep.error(),
        QStringLiteral("table nested deeper than 64 at ") + QStringLiteral(".x").repeated(65));

    // Exactly 64 levels below the root is allowed.
    auto edge = snapshot("local t = {} local cur = t for i = 1, 64 do cur.x = {} cur = cur.x end "
                         "return t");
    QVERIFY(edge);

    LuaValue::Limits limits;
    limits.maxDepth = 1;
    QVERIFY(snapshot("return {{}}", limits));
    auto tooDeep = snapshot("return {{{}}}", limits);
    QVERIFY(!tooDeep);
    QCOMPARE(tooDeep.error(), QStringLiteral("table nested deeper than 1 at [1][1]"));
}

void TestLuaValue::elementLimit()
{
    LuaValue::Limits limits;
    limits.maxElements = 3;
    QVERIFY(snapshot("return {1, 2, 3}", limits));
    QVERIFY(snapshot("return {a = 1, b = {2}}", limits));

    auto flat = snapshot("return {1, 2, 3, 4}", limits);
    QVERIFY(!flat);
    QCOMPARE(flat.error(), QStringLiteral("more than 3 elements at (root)"));

    // Items of nested tables count too: 2 + 1 + 1.
    auto nested = snapshot("return {{1}, {b = 2}}", limits);
    QVERIFY(!nested);
    QCOMPARE(nested.error(), QStringLiteral("more than 3 elements at [2]"));
}

void TestLuaValue::byteLimit()
{
    LuaValue::Limits limits;
    limits.maxBytes = 5;
    QVERIFY(snapshot("return {'ab', 'cde'}", limits));
    QVERIFY(snapshot("return {abc = 'de'}", limits));

    auto strings = snapshot("return {'ab', 'cdef'}", limits);
    QVERIFY(!strings);
    QCOMPARE(strings.error(), QStringLiteral("more than 5 bytes of strings at [2]"));

    // Keys count as bytes too.
    auto keys = snapshot("return {abcd = 'de'}", limits);
    QVERIFY(!keys);
    QCOMPARE(keys.error(), QStringLiteral("more than 5 bytes of strings at .abcd"));

    auto single = snapshot("return 'abcdef'", limits);
    QVERIFY(!single);
    QCOMPARE(single.error(), QStringLiteral("more than 5 bytes of strings at (root)"));
}

void TestLuaValue::opaqueValues()
{
    auto function = snapshot("return function() end");
    QVERIFY(!function);
    QCOMPARE(function.error(), QStringLiteral("cannot snapshot a function at (root)"));

    auto nested = snapshot("return {a = {f = print}}");
    QVERIFY(!nested);
    QCOMPARE(nested.error(), QStringLiteral("cannot snapshot a function at .a.f"));

    auto thread = snapshot("return {coroutine.create(print)}");
    QVERIFY(!thread);
    QCOMPARE(thread.error(), QStringLiteral("cannot snapshot a thread at [1]"));

    auto userdata = snapshot("return {out = io.stdout}");
    QVERIFY(!userdata);
    QCOMPARE(userdata.error(), QStringLiteral("cannot snapshot a userdata at .out"));

    LuaValue::Limits limits;
    limits.opaqueAsString = true;
    auto shown = snapshot(
        "return {f = function() end, co = coroutine.create(print), out = io.stdout, n = 1}",
        limits);
    QVERIFY(shown);
    QVERIFY(shown->find("f")->isString());
    QVERIFY(shown->find("f")->toBytes().startsWith("function: 0x"));
    QVERIFY(shown->find("co")->toBytes().startsWith("thread: 0x"));
    QVERIFY(shown->find("out")->toBytes().startsWith("file ("));
    QCOMPARE(shown->find("n")->toInteger(), 1);
}

void TestLuaValue::rawAccessIgnoresMetamethods()
{
    auto value
        = snapshot("local mt = {__index = function() error('index called') end, "
                   "__pairs = function() error('pairs called') end, "
                   "__len = function() return 10 end} "
                   "return {arr = setmetatable({1, 2}, mt), obj = setmetatable({k = 'v'}, mt)}");
    QVERIFY2(value, qPrintable(value ? QString() : value.error()));
    QCOMPARE(value->toJson(), QByteArray("{\"arr\":[1,2],\"obj\":{\"k\":\"v\"}}"));
}

void TestLuaValue::relativeIndex()
{
    lua_State* L = m_lua->L();
    lua_pushinteger(L, 1);
    lua_pushstring(L, "middle");
    lua_pushinteger(L, 3);
    auto value = LuaValue::fromStack(L, -2);
    QCOMPARE(lua_gettop(L), 3);
    QVERIFY(value);
    QCOMPARE(value->toBytes(), QByteArray("middle"));
    auto absolute = LuaValue::fromStack(L, 1);
    QVERIFY(absolute);
    QCOMPARE(absolute->toInteger(), 1);
    QCOMPARE(lua_gettop(L), 3);
    lua_settop(L, 0);
}

void TestLuaValue::equality()
{
    // Separately built values: operator== compares contents, not identity.
    const LuaValue nilA;
    const LuaValue nilB;
    QVERIFY(nilA == nilB);
    QCOMPARE(arrayOf({ integer(1), integer(2) }), arrayOf({ integer(1), integer(2) }));
    QVERIFY(
        !(arrayOf({ integer(1), integer(2) }) == arrayOf({ integer(1), integer(2), integer(3) })));
    QVERIFY(!(arrayOf({ integer(1) }) == arrayOf({ str("1") })));
    // Integer and float are different snapshot types even when Lua calls them equal.
    QVERIFY(!(LuaValue::integer(1) == LuaValue::number(1.0)));
    const LuaValue oneAndAHalf = LuaValue::number(1.5);
    QVERIFY(oneAndAHalf == LuaValue::number(3.0 / 2.0));
    QCOMPARE(LuaValue::string(QByteArray("a")), LuaValue::string(QStringLiteral("a")));
    QVERIFY(!(LuaValue::boolean(false) == LuaValue()));
    QVERIFY(!(arrayOf({}) == LuaValue::map({})));

    const LuaValue ab = LuaValue::map({ { "a", integer(1) }, { "b", integer(2) } });
    const LuaValue ba = LuaValue::map({ { "b", integer(2) }, { "a", integer(1) } });
    QCOMPARE(ab, ba);
    QVERIFY(!(ab == LuaValue::map({ { "a", integer(1) }, { "b", integer(3) } })));

    // Equal Lua tables give equal snapshots, whatever the insertion order.
    auto first = snapshot("local t = {} t.z = 1 t.a = {2} t.m = 'x' return t");
    auto second = snapshot("local t = {} t.m = 'x' t.a = {2} t.z = 1 return t");
    QVERIFY(first && second);
    QCOMPARE(*first, *second);
    auto different = snapshot("return {z = 1, a = {3}, m = 'x'}");
    QVERIFY(different);
    QVERIFY(!(*first == *different));
}

void TestLuaValue::mapSortsAndFinds()
{
    const LuaValue map = LuaValue::map({ { "b", integer(1) }, { "a", integer(2) },
        { "\xC3\xA9", integer(4) }, { "b", integer(3) }, { "B", integer(5) } });
    QVERIFY(map.isMap());
    QCOMPARE(map.size(), 4);
    const LuaValue::Map& entries = map.toMap();
    QCOMPARE(entries[0].first, QByteArray("B"));
    QCOMPARE(entries[1].first, QByteArray("a"));
    QCOMPARE(entries[2].first, QByteArray("b"));
    QCOMPARE(entries[3].first, QByteArray("\xC3\xA9")); // bytewise: 0xC3 sorts after ASCII

    QVERIFY(map.find("b"));
    QCOMPARE(map.find("b")->toInteger(), 3); // the later duplicate wins
    QCOMPARE(map.find("a")->toInteger(), 2);
    QCOMPARE(map.find("\xC3\xA9")->toInteger(), 4);
    QVERIFY(!map.find("c"));
    QVERIFY(!map.find(""));
    QVERIFY(!arrayOf({ integer(1) }).find("1"));
    QVERIFY(!LuaValue().find("a"));
}

void TestLuaValue::accessors()
{
    QCOMPARE(LuaValue().toBool(), false);
    QCOMPARE(LuaValue::boolean(false).toBool(), false);
    QCOMPARE(LuaValue::integer(0).toBool(), true);
    QCOMPARE(LuaValue::string(QByteArray()).toBool(), true);
    QCOMPARE(LuaValue::number(2.9).toInteger(), 2);
    QCOMPARE(LuaValue::number(-2.9).toInteger(), -2);
    QCOMPARE(LuaValue::number(1e300).toInteger(), Q_INT64_C(9223372036854775807));
    QCOMPARE(LuaValue::number(-1e300).toInteger(), Q_INT64_C(-9223372036854775807) - 1);
    QCOMPARE(LuaValue::number(std::nan("")).toInteger(), 0);
    QCOMPARE(str("5").toInteger(), 0);
    QCOMPARE(LuaValue::integer(7).toDouble(), 7.0);
    QCOMPARE(str("x").toDouble(), 0.0);
    QCOMPARE(LuaValue::integer(7).toBytes(), QByteArray());
    QCOMPARE(LuaValue::integer(7).toString(), QString());
    QVERIFY(LuaValue::integer(7).toArray().empty());
    QVERIFY(LuaValue::integer(7).toMap().empty());
    QCOMPARE(LuaValue::integer(7).size(), 0);
    QCOMPARE(str("abc").size(), 0);
    QCOMPARE(LuaValue::number(1.0).typeName(), "double");
    QCOMPARE(LuaValue::integer(1).typeName(), "integer");
    QCOMPARE(arrayOf({}).typeName(), "array");
    QCOMPARE(LuaValue::map({}).typeName(), "map");
    QCOMPARE(LuaValue::boolean(true).typeName(), "boolean");
}

void TestLuaValue::pushRoundTrip()
{
    lua_State* L = m_lua->L();
    auto original = snapshot("return {1, 2.5, 'three', true, {a = {x = 'y'}, b = {}}, {4, {5}}}");
    QVERIFY(original);

    original->push(L);
    QCOMPARE(lua_gettop(L), 1);
    auto again = LuaValue::fromStack(L, -1);
    QVERIFY(again);
    QCOMPARE(*again, *original);
    QCOMPARE(again->toJson(),
        QByteArray("[1,2.5,\"three\",true,{\"a\":{\"x\":\"y\"},\"b\":[]},[4,[5]]]"));

    // Check the pushed table from Lua itself, including the integer/float distinction.
    lua_setglobal(L, "v");
    QVERIFY(m_lua->push(
        "return #v == 6 and math.type(v[1]) == 'integer' and math.type(v[2]) == 'float' "
        "and v[3] == 'three' and v[4] == true and v[5].a.x == 'y' and #v[5].b == 0 "
        "and v[6][2][1] == 5"));
    QCOMPARE(lua_toboolean(L, -1), 1);
    lua_pop(L, 1);

    // Primitives.
    for (const LuaValue& value : { LuaValue(), LuaValue::boolean(false), LuaValue::integer(-3),
             LuaValue::number(0.25), str("s\xC3\xA9") }) {
        value.push(L);
        QCOMPARE(lua_gettop(L), 1);
        auto back = LuaValue::fromStack(L, 1);
        QVERIFY(back);
        QCOMPARE(*back, value);
        lua_pop(L, 1);
    }
}

void TestLuaValue::pushBuildsFreshTables()
{
    lua_State* L = m_lua->L();
    QVERIFY(m_lua->push("original = {[10] = 'a', x = 1, list = {7}} return original"));
    auto value = LuaValue::fromStack(L, -1);
    QVERIFY(value);
    lua_pop(L, 1);

    value->push(L);
    lua_setglobal(L, "copy");
    // Maps come back with string keys: the integer key 10 is now "10".
    QVERIFY(
        m_lua->push("return copy ~= original and copy.list ~= original.list and copy['10'] == 'a' "
                    "and copy[10] == nil and copy.x == 1 and copy.list[1] == 7"));
    QCOMPARE(lua_toboolean(L, -1), 1);
    lua_pop(L, 1);

    // Nil items keep their position in arrays; nil map values disappear.
    arrayOf({ integer(1), LuaValue(), integer(3) }).push(L);
    lua_setglobal(L, "holes");
    LuaValue::map({ { "a", LuaValue() }, { "b", integer(2) } }).push(L);
    lua_setglobal(L, "nils");
    QVERIFY(m_lua->push("return holes[1] == 1 and holes[2] == nil and holes[3] == 3 "
                        "and next(nils) == 'b' and next(nils, 'b') == nil"));
    QCOMPARE(lua_toboolean(L, -1), 1);
    lua_pop(L, 1);
}

void TestLuaValue::toJsonShapes()
{
    QCOMPARE(LuaValue().toJson(), QByteArray("null"));
    QCOMPARE(LuaValue::boolean(true).toJson(), QByteArray("true"));
    QCOMPARE(arrayOf({}).toJson(), QByteArray("[]"));
    QCOMPARE(LuaValue::map({}).toJson(), QByteArray("{}"));
    QCOMPARE(arrayOf({ LuaValue(), integer(1) }).toJson(), QByteArray("[null,1]"));
    QCOMPARE(LuaValue::map({ { "b", LuaValue() }, { "a", arrayOf({}) } }).toJson(),
        QByteArray("{\"a\":[],\"b\":null}"));
    QCOMPARE(LuaValue::number(std::nan("")).toJson(), QByteArray("null"));
    QCOMPARE(LuaValue::number(HUGE_VAL).toJson(), QByteArray("null"));
    QCOMPARE(arrayOf({ LuaValue::number(-HUGE_VAL) }).toJson(), QByteArray("[null]"));
    QCOMPARE(LuaValue::number(1.0 / 3.0).toJson(), QByteArray("0.3333333333333333"));
}

void TestLuaValue::fromJsonNumbers_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("isInteger");
    QTest::addColumn<qint64>("integer");
    QTest::addColumn<double>("number");

    QTest::newRow("1") << QByteArray("1") << true << Q_INT64_C(1) << 1.0;
    QTest::newRow("-1") << QByteArray("-1") << true << Q_INT64_C(-1) << -1.0;
    QTest::newRow("1.0") << QByteArray("1.0") << false << Q_INT64_C(1) << 1.0;
    QTest::newRow("1e3") << QByteArray("1e3") << false << Q_INT64_C(1000) << 1000.0;
    QTest::newRow("0.1") << QByteArray("0.1") << false << Q_INT64_C(0) << 0.1;
    QTest::newRow("int64 max") << QByteArray("9223372036854775807") << true
                               << Q_INT64_C(9223372036854775807) << 9223372036854775807.0;
    QTest::newRow("int64 max + 1") << QByteArray("9223372036854775808") << false
                                   << Q_INT64_C(9223372036854775807) << 9223372036854775808.0;
    QTest::newRow("int64 min") << QByteArray("-9223372036854775808") << true
                               << (Q_INT64_C(-9223372036854775807) - 1) << -9223372036854775808.0;
    QTest::newRow("uint64 max + 1") << QByteArray("18446744073709551616") << false
                                    << Q_INT64_C(9223372036854775807) << 18446744073709551616.0;
}

void TestLuaValue::fromJsonNumbers()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, isInteger);
    QFETCH(qint64, integer);
    QFETCH(double, number);

    auto value = LuaValue::fromJson(json);
    QVERIFY2(value, qPrintable(value ? QString() : value.error()));
    QCOMPARE(value->isInteger(), isInteger);
    QCOMPARE(value->isDouble(), !isInteger);
    QCOMPARE(value->toInteger(), integer);
    QCOMPARE(value->toDouble(), number);
}

void TestLuaValue::fromJsonStructures()
{
    auto value = LuaValue::fromJson(" {\"b\": [1, null, \"x\", true, false, {}, []], \"a\": null, "
                                    "\"c\": {\"d\": 2.5}, \"b2\": 1, \"b2\": 2} ");
    QVERIFY2(value, qPrintable(value ? QString() : value.error()));
    QVERIFY(value->isMap());
    QCOMPARE(value->size(), 4);
    QVERIFY(value->find("a"));
    QVERIFY(value->find("a")->isNil()); // the key is kept with a nil value
    const LuaValue* b = value->find("b");
    QVERIFY(b && b->isArray());
    QCOMPARE(*b,
        arrayOf({ integer(1), LuaValue(), str("x"), LuaValue::boolean(true),
            LuaValue::boolean(false), LuaValue::map({}), arrayOf({}) }));
    QCOMPARE(value->find("c")->find("d")->toDouble(), 2.5);
    QCOMPARE(value->find("b2")->toInteger(), 2); // the later duplicate wins
}

void TestLuaValue::fromJsonUnicode()
{
    auto escaped = LuaValue::fromJson("\"\\u00e9\\ud83d\\ude00\\n\"");
    QVERIFY(escaped);
    QCOMPARE(escaped->toBytes(), QByteArray("\xC3\xA9\xF0\x9F\x98\x80\n"));

    auto raw = LuaValue::fromJson("[\"h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80\"]");
    QVERIFY(raw);
    QCOMPARE(raw->toArray().at(0).toString(), QStringLiteral("héllo ✓ 😀"));

    auto key = LuaValue::fromJson("{\"\\u00e9\": 1}");
    QVERIFY(key);
    QVERIFY(key->find("\xC3\xA9"));
}

void TestLuaValue::fromJsonErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");

    QTest::newRow("empty") << QByteArray("")
                           << QStringLiteral("invalid JSON at offset 0: The document is empty.");
    QTest::newRow("truncated") << QByteArray("[1,2")
                               << QStringLiteral("invalid JSON at offset 4: Missing a comma or ']' "
                                                 "after an array element.");
    QTest::newRow("trailing garbage")
        << QByteArray("[1] x")
        << QStringLiteral("invalid JSON at offset 4: The document root must not be followed by "
                          "other values.");
    QTest::newRow("invalid utf-8")
        << QByteArray("[\"a\xff\"]")
        << QStringLiteral("invalid JSON at offset 3: Invalid encoding in "
                          "string.");
    QTest::newRow("lone low surrogate")
        << QByteArray("\"\\udc00\"")
        << QStringLiteral("invalid JSON at offset 8: lone surrogate "
                          "escape in string");
    QTest::newRow("lone high surrogate")
        << QByteArray("\"\\ud800x\"")
        << QStringLiteral("invalid JSON at offset 1: The surrogate "
                          "pair in string is invalid.");
    QTest::newRow("NUL after value")
        << QByteArray("1\0x", 3) << QStringLiteral("invalid JSON at offset 1: unexpected NUL byte");
    QTest::newRow("missing colon")
        << QByteArray("{\"a\" 1}")
        << QStringLiteral("invalid JSON at offset 5: Missing a colon after "
                          "a name of object member.");
}

void TestLuaValue::fromJsonErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);

    auto value = LuaValue::fromJson(json);
    QVERIFY(!value);
    QCOMPARE(value.error(), error);
}

void TestLuaValue::fromJsonDepth()
{
    const QByteArray deep = QByteArray(10000, '[') + QByteArray(10000, ']');
    auto tooDeep = LuaValue::fromJson(deep);
    QVERIFY(!tooDeep);
    QCOMPARE(
        tooDeep.error(), QStringLiteral("invalid JSON at offset 129: nesting deeper than 128"));

    // 129 nested arrays: depths 0..128.
    auto edge = LuaValue::fromJson(QByteArray(QByteArray(129, '[') + QByteArray(129, ']')));
    QVERIFY(edge);
    auto over = LuaValue::fromJson(QByteArray(QByteArray(130, '[') + QByteArray(130, ']')));
    QVERIFY(!over);
}

void TestLuaValue::jsonRoundTrip()
{
    const QByteArray json("{\"a\":[1,2.5,\"x\\\"y\",true,false,null,{}],\"b\":{\"c\":[]},"
                          "\"d\":-9223372036854775808,\"e\":\"\xE2\x9C\x93\"}");
    auto value = LuaValue::fromJson(json);
    QVERIFY(value);
    QCOMPARE(value->toJson(), json);
}

QTEST_GUILESS_MAIN(TestLuaValue)
#include "test_luavalue.moc"
