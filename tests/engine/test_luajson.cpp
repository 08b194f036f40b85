#include <QtTest>

#include <algorithm>
#include <memory>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <lua.hpp>

#include "lua/LuaJson.h"
#include "support/LuaFixture.h"

using namespace lunette;
using lunette::test::LuaFixture;

namespace {

QString errorOf(const Expected<QByteArray, QString>& result)
{
    return result ? QString() : result.error();
}

} // namespace

class TestLuaJson final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void encode_data();
    void encode();
    void encodeErrors_data();
    void encodeErrors();
    void sortedKeysIgnoreInsertionOrder();
    void encodeRelativeIndex();
    void encodeEscapesControlCharacters();
    void encodePretty();
    void encodeMaxDepthOption();
    void markers();
    void decodeNumbers_data();
    void decodeNumbers();
    void decodeStructures_data();
    void decodeStructures();
    void decodeRoundTrip_data();
    void decodeRoundTrip();
    void decodeNullSentinel();
    void decodeErrors_data();
    void decodeErrors();
    void decodeDepth();

private:
    // Encodes the value `code` returns; counts any change of the stack top.
    Expected<QByteArray, QString> encodeCode(
        const char* code, const LuaJson::EncodeOptions& options = {});
    // Decodes `json` into the global `v`; counts a wrong stack effect.
    Expected<void, QString> decodeToGlobal(
        QByteArrayView json, const LuaJson::DecodeOptions& options = {});

    std::unique_ptr<LuaFixture> m_lua;
    int m_stackMismatches = 0;
};

void TestLuaJson::init()
{
    m_lua = std::make_unique<LuaFixture>();
    m_stackMismatches = 0;
    // The markers as globals, so test code can use them like a json module would.
    LuaJson::pushObjectMarker(m_lua->L());
    lua_setglobal(m_lua->L(), "OBJECT");
    LuaJson::pushArrayMarker(m_lua->L());
    lua_setglobal(m_lua->L(), "ARRAY");
}

void TestLuaJson::cleanup()
{
    const int top = lua_gettop(m_lua->L());
    m_lua.reset();
    QCOMPARE(m_stackMismatches, 0);
    QCOMPARE(top, 0);
}

Expected<QByteArray, QString> TestLuaJson::encodeCode(
    const char* code, const LuaJson::EncodeOptions& options)
{
    return m_lua->convert(code, m_stackMismatches,
        [&](lua_State* L, int idx) { return LuaJson::encode(L, idx, options); });
}

Expected<void, QString> TestLuaJson::decodeToGlobal(
    QByteArrayView json, const LuaJson::DecodeOptions& options)
{
    lua_State* L = m_lua->L();
    const int top = lua_gettop(L);
    auto result = LuaJson::decode(L, json, options);
    if (lua_gettop(L) != top + (result ? 1 : 0))
        ++m_stackMismatches;
    if (result)
        lua_setglobal(L, "v");
    return result;
}

void TestLuaJson::encode_data()
{
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<QByteArray>("json");

    // Primitives and strings.
    QTest::newRow("nil") << QByteArray("return nil") << QByteArray("null");
    QTest::newRow("true") << QByteArray("return true") << QByteArray("true");
    QTest::newRow("false") << QByteArray("return false") << QByteArray("false");
    QTest::newRow("string") << QByteArray("return 'abc'") << QByteArray("\"abc\"");
    QTest::newRow("escapes") << QByteArray("return 'a\"b\\\\c\\n\\t\\1/'")
                             << QByteArray("\"a\\\"b\\\\c\\n\\t\\u0001/\"");
    QTest::newRow("NUL") << QByteArray("return 'a\\0b'") << QByteArray("\"a\\u0000b\"");
    QTest::newRow("unicode") << QByteArray("return 'héllo ✓ 😀'")
                             << QByteArray("\"h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80\"");
    QTest::newRow("long mixed") << QByteArray(
        "return 'abcdefghijklmnop\\u{e9}qrstuvwxyz0123456789'")
                                << QByteArray("\"abcdefghijklmnop\xC3\xA9qrstuvwxyz0123456789\"");
    QTest::newRow("U+10FFFF") << QByteArray("return '\\u{10FFFF}'")
                              << QByteArray("\"\xF4\x8F\xBF\xBF\"");

    // Numbers.
    QTest::newRow("1") << QByteArray("return 1") << QByteArray("1");
    QTest::newRow("1.0") << QByteArray("return 1.0") << QByteArray("1");
    QTest::newRow("1.5") << QByteArray("return 1.5") << QByteArray("1.5");
    QTest::newRow("-2.5") << QByteArray("return -2.5") << QByteArray("-2.5");
    QTest::newRow("0.1") << QByteArray("return 0.1") << QByteArray("0.1");
    QTest::newRow("1/3") << QByteArray("return 1/3") << QByteArray("0.3333333333333333");
    QTest::newRow("2^53") << QByteArray("return 2^53") << QByteArray("9007199254740992");
    QTest::newRow("-2^53") << QByteArray("return -2^53") << QByteArray("-9007199254740992");
    QTest::newRow("2^53+2") << QByteArray("return 2^53 + 2") << QByteArray("9007199254740994.0");
    QTest::newRow("1e20") << QByteArray("return 1e20") << QByteArray("100000000000000000000.0");
    QTest::newRow("-0.0") << QByteArray("return -0.0") << QByteArray("0");
    QTest::newRow("1e300") << QByteArray("return 1e300") << QByteArray("1e300");
    QTest::newRow("5e-324") << QByteArray("return 5e-324") << QByteArray("5e-324");
    QTest::newRow("maxinteger") << QByteArray("return math.maxinteger")
                                << QByteArray("9223372036854775807");
    QTest::newRow("mininteger") << QByteArray("return math.mininteger")
                                << QByteArray("-9223372036854775808");

    // Arrays.
    QTest::newRow("nested arrays")
        << QByteArray("return {{1, 2}, {3, {4}}}") << QByteArray("[[1,2],[3,[4]]]");
    QTest::newRow("empty table") << QByteArray("return {}") << QByteArray("[]");
    QTest::newRow("empty nested") << QByteArray("return {a = {}}") << QByteArray("{\"a\":[]}");
    QTest::newRow("hole") << QByteArray("return {1, nil, 3}") << QByteArray("[1,null,3]");
    QTest::newRow("holes out of order") << QByteArray("local t = {} t[3] = 'c' t[1] = 'a' return t")
                                        << QByteArray("[\"a\",null,\"c\"]");
    QTest::newRow("leading hole") << QByteArray("return {[2] = 'b'}") << QByteArray("[null,\"b\"]");
    QTest::newRow("_private skipped")
        << QByteArray("return {1, 2, _private = 'x', _ = 0}") << QByteArray("[1,2]");
    QTest::newRow("shared subtable") << QByteArray("local s = {1, 2} return {a = s, b = {s, s}}")
                                     << QByteArray("{\"a\":[1,2],\"b\":[[1,2],[1,2]]}");
    QTest::newRow("metamethods not called")
        << QByteArray("local mt = {__index = function() error('index') end, "
                      "__pairs = function() error('pairs') end, __len = function() return 9 end} "
                      "return {setmetatable({1, 2}, mt), setmetatable({k = 'v'}, mt)}")
        << QByteArray("[[1,2],{\"k\":\"v\"}]");

    // Objects.
    QTest::newRow("object") << QByteArray("return {b = 1, a = 'x'}")
                            << QByteArray("{\"a\":\"x\",\"b\":1}");
    QTest::newRow("mixed keys") << QByteArray("return {1, 2, x = 'y'}")
                                << QByteArray("{\"1\":1,\"2\":2,\"x\":\"y\"}");
    QTest::newRow("number keys") << QByteArray(
        "return {[1.5] = 'f', [10] = true, [-3] = 0, a = false}")
                                 << QByteArray("{\"-3\":0,\"1.5\":\"f\",\"10\":true,\"a\":false}");
    QTest::newRow("zero key") << QByteArray("return {[0] = 'z', 'a'}")
                              << QByteArray("{\"0\":\"z\",\"1\":\"a\"}");
    QTest::newRow("only _ keys") << QByteArray("return {_private = 'x'}")
                                 << QByteArray("{\"_private\":\"x\"}");
    QTest::newRow("_ keys kept in objects")
        << QByteArray("return {a = 1, _p = 2}") << QByteArray("{\"_p\":2,\"a\":1}");
    QTest::newRow("bytewise order")
        << QByteArray("return {z = 1, ['\\xc3\\xa9'] = 2, B = 3, aa = 4, a = 5}")
        << QByteArray("{\"B\":3,\"a\":5,\"aa\":4,\"z\":1,\"\xC3\xA9\":2}");
    QTest::newRow("sparse ids") << QByteArray("return {[1] = 'a', [100000] = 'b'}")
                                << QByteArray("{\"1\":\"a\",\"100000\":\"b\"}");

    // `type` makes a table an object: own field or a raw field of its metatable.
    QTest::newRow("own type") << QByteArray("return {1, 2, type = 'Point'}")
                              << QByteArray("{\"1\":1,\"2\":2,\"type\":\"Point\"}");
    QTest::newRow("metatable type") << QByteArray("return setmetatable({1, 2}, {type = 'Point'})")
                                    << QByteArray("{\"1\":1,\"2\":2}");
    QTest::newRow("empty with metatable type")
        << QByteArray("return setmetatable({}, {type = 'P'})") << QByteArray("{}");
    QTest::newRow("type via __index is not raw")
        << QByteArray("return setmetatable({1}, {__index = {type = 'P'}})") << QByteArray("[1]");
    QTest::newRow("false type still counts")
        << QByteArray("return {type = false}") << QByteArray("{\"type\":false}");

    // Marker metatables.
    QTest::newRow("object marker")
        << QByteArray("return setmetatable({}, OBJECT)") << QByteArray("{}");
    QTest::newRow("array marker") << QByteArray("return setmetatable({}, ARRAY)")
                                  << QByteArray("[]");
    QTest::newRow("array marker ignores other keys")
        << QByteArray("return setmetatable({1, nil, 3, name = 'x', type = 't'}, ARRAY)")
        << QByteArray("[1,null,3]");
}

void TestLuaJson::encode()
{
    QFETCH(QByteArray, code);
    QFETCH(QByteArray, json);

    auto result = encodeCode(code.constData());
    QVERIFY2(result, qPrintable(errorOf(result)));
    QCOMPARE(*result, json);
}

void TestLuaJson::encodeErrors_data()
{
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<QString>("error");

    QTest::newRow("inf") << QByteArray("return math.huge")
                         << QStringLiteral("cannot encode NaN or infinity at (root)");
    QTest::newRow("-inf") << QByteArray("return {x = -math.huge}")
                          << QStringLiteral("cannot encode NaN or infinity at .x");
    QTest::newRow("nan") << QByteArray("return {1, 0/0}")
                         << QStringLiteral("cannot encode NaN or infinity at [2]");
    QTest::newRow("invalid utf-8")
        << QByteArray("return 'a\\xff'") << QStringLiteral("invalid UTF-8 in string at (root)");
    QTest::newRow("after long ascii") << QByteArray("return 'abcdefghijklmnop\\xffqrstuvwxyz'")
                                      << QStringLiteral("invalid UTF-8 in string at (root)");
    QTest::newRow("overlong") << QByteArray("return {s = '\\xc0\\xaf'}")
                              << QStringLiteral("invalid UTF-8 in string at .s");
    QTest::newRow("surrogate") << QByteArray("return {'\\xed\\xa0\\x80'}")
                               << QStringLiteral("invalid UTF-8 in string at [1]");
    QTest::newRow("truncated") << QByteArray("return {a = {b = 'x\\xe2\\x9c'}}")
                               << QStringLiteral("invalid UTF-8 in string at .a.b");
    QTest::newRow("above U+10FFFF") << QByteArray("return '\\xf4\\x90\\x80\\x80'")
                                    << QStringLiteral("invalid UTF-8 in string at (root)");
    QTest::newRow("invalid key") << QByteArray("return {['k\\xff'] = 1}")
                                 << QStringLiteral("invalid UTF-8 in key at [\"k\uFFFD\"]");
    QTest::newRow("boolean key") << QByteArray("return {[true] = 1}")
                                 << QStringLiteral("table key of type boolean at (root)");
    QTest::newRow("table key") << QByteArray("return {a = {[{}] = 1}}")
                               << QStringLiteral("table key of type table at .a");
    QTest::newRow("duplicate key") << QByteArray("return {x = {[1] = 'a', ['1'] = 'b'}}")
                                   << QStringLiteral("duplicate key \"1\" in table at .x");
    QTest::newRow("function") << QByteArray("return function() end")
                              << QStringLiteral("cannot encode a function at (root)");
    QTest::newRow("nested function") << QByteArray("return {a = {f = print}}")
                                     << QStringLiteral("cannot encode a function at .a.f");
    QTest::newRow("thread") << QByteArray("return {coroutine.create(print)}")
                            << QStringLiteral("cannot encode a thread at [1]");
    QTest::newRow("userdata") << QByteArray("return {out = io.stdout}")
                              << QStringLiteral("cannot encode a userdata at .out");
    QTest::newRow("self cycle") << QByteArray("local t = {} t.me = t return t")
                                << QStringLiteral("cycle detected at .me");
    QTest::newRow("array self cycle")
        << QByteArray("local t = {} t[1] = t return t") << QStringLiteral("cycle detected at [1]");
    QTest::newRow("longer cycle") << QByteArray("local a = {} a.b = {c = {a}} return a")
                                  << QStringLiteral("cycle detected at .b.c[1]");
    QTest::newRow("inner cycle") << QByteArray("local t = {x = {}} t.x['my key'] = t.x return t")
                                 << QStringLiteral("cycle detected at .x[\"my key\"]");
    QTest::newRow("200 deep") << QByteArray("local t = {} local cur = t for i = 1, 200 do "
                                            "cur[1] = {} cur = cur[1] end return {deep = t}")
                              << QStringLiteral("nesting deeper than 128 at .deep")
            + QStringLiteral("[1]").repeated(128);
    QTest::newRow("sparse marked array") << QByteArray("return setmetatable({[100000] = 1}, ARRAY)")
                                         << QStringLiteral("excessively sparse array at (root)");
}

void TestLuaJson::encodeErrors()
{
    QFETCH(QByteArray, code);
    QFETCH(QString, error);

    auto result = encodeCode(code.constData());
    QVERIFY(!result);
    QCOMPARE(result.error(), error);
}

void TestLuaJson::sortedKeysIgnoreInsertionOrder()
{
    auto forward
        = encodeCode("local t = {} t.b = 1 t.a = 2 t.c = {y = 1, x = 2} t[3] = 'n' return t");
    auto backward
        = encodeCode("local t = {} t[3] = 'n' t.c = {x = 2, y = 1} t.a = 2 t.b = 1 return t");
    // Deleting and re-adding keys changes the hash part's layout, not the text.
    auto churned = encodeCode("local t = {} for i = 1, 100 do t['k' .. i] = i end "
                              "for i = 1, 100 do t['k' .. i] = nil end "
                              "t.c = {y = 1, x = 2} t.b = 1 t[3] = 'n' t.a = 2 return t");
    QVERIFY2(forward, qPrintable(errorOf(forward)));
    QVERIFY(backward && churned);
    QCOMPARE(*forward, QByteArray("{\"3\":\"n\",\"a\":2,\"b\":1,\"c\":{\"x\":2,\"y\":1}}"));
    QCOMPARE(*backward, *forward);
    QCOMPARE(*churned, *forward);

    // Many keys: ascending and descending insertion give the same text.
    auto up = encodeCode("local t = {} for i = 1, 300 do t['key' .. i] = i end return t");
    auto down = encodeCode("local t = {} for i = 300, 1, -1 do t['key' .. i] = i end return t");
    QVERIFY(up && down);
    QVERIFY(up->startsWith("{\"key1\":1,\"key10\":10,\"key100\":100,\"key101\":101,"));
    QVERIFY(up->endsWith(",\"key98\":98,\"key99\":99}"));
    QCOMPARE(*down, *up);
}

void TestLuaJson::encodeRelativeIndex()
{
    lua_State* L = m_lua->L();
    lua_pushinteger(L, 1);
    QVERIFY(m_lua->push("return {a = {1}}"));
    lua_pushinteger(L, 3);
    auto middle = LuaJson::encode(L, -2);
    QCOMPARE(lua_gettop(L), 3);
    QVERIFY(middle);
    QCOMPARE(*middle, QByteArray("{\"a\":[1]}"));
    auto first = LuaJson::encode(L, 1);
    QVERIFY(first);
    QCOMPARE(*first, QByteArray("1"));
    QCOMPARE(lua_gettop(L), 3);
    lua_settop(L, 0);
}

// Every control character is escaped wherever it sits in a string, so the text is JSON. Found by
// fuzz_luajson: rapidjson 1.1.0's SSE2 string scan wrote U+001A..U+001F raw once a string was
// long enough for it (docs/RELIABILITY.md, Fuzzing).
void TestLuaJson::encodeEscapesControlCharacters()
{
    lua_State* L = m_lua->L();
    for (const bool pretty : { false, true }) {
        LuaJson::EncodeOptions options;
        options.pretty = pretty;
        for (char c = 1; c < 0x20; ++c) {
            for (int offset = 0; offset < 40; ++offset) {
                const QByteArray text = QByteArray(offset, 'a') + c + QByteArray(40, 'b');
                lua_pushlstring(L, text.constData(), static_cast<size_t>(text.size()));
                auto encoded = LuaJson::encode(L, -1, options);
                lua_pop(L, 1);
                QVERIFY2(encoded, qPrintable(errorOf(encoded)));
                const auto raw = std::find_if(encoded->cbegin(), encoded->cend(),
                    [](char b) { return static_cast<unsigned char>(b) < 0x20; });
                QVERIFY2(raw == encoded->cend(),
                    QByteArray("raw control character " + QByteArray::number(int(c)) + " at offset "
                        + QByteArray::number(offset))
                        .constData());
                QJsonParseError error {};
                const QJsonDocument parsed = QJsonDocument::fromJson('[' + *encoded + ']', &error);
                QCOMPARE(error.error, QJsonParseError::NoError);
                QCOMPARE(parsed.array().at(0).toString().toUtf8(), text);
            }
        }
    }
}

void TestLuaJson::encodePretty()
{
    LuaJson::EncodeOptions options;
    options.pretty = true;
    auto result
        = encodeCode("return {b = 'x', a = {1, 2}, c = {}, d = setmetatable({}, OBJECT)}", options);
    QVERIFY2(result, qPrintable(errorOf(result)));
    QCOMPARE(*result,
        QByteArray("{\n"
                   "  \"a\": [\n"
                   "    1,\n"
                   "    2\n"
                   "  ],\n"
                   "  \"b\": \"x\",\n"
                   "  \"c\": [],\n"
                   "  \"d\": {}\n"
                   "}"));

    auto error = encodeCode("return {a = {'\\xff'}}", options);
    QVERIFY(!error);
    QCOMPARE(error.error(), QStringLiteral("invalid UTF-8 in string at .a[1]"));
}

void TestLuaJson::encodeMaxDepthOption()
{
    LuaJson::EncodeOptions options;
    options.maxDepth = 2;
    auto edge = encodeCode("return {{{}}}", options);
    QVERIFY(edge);
    QCOMPARE(*edge, QByteArray("[[[]]]"));
    auto over = encodeCode("return {{{{}}}}", options);
    QVERIFY(!over);
    QCOMPARE(over.error(), QStringLiteral("nesting deeper than 2 at [1][1][1]"));

    // 128 levels below the root is the default limit, and allowed.
    auto atDefault = encodeCode("local t = {} local cur = t for i = 1, 128 do cur[1] = {} "
                                "cur = cur[1] end return t");
    QVERIFY2(atDefault, qPrintable(errorOf(atDefault)));
}

void TestLuaJson::markers()
{
    lua_State* L = m_lua->L();
    LuaJson::pushObjectMarker(L);
    LuaJson::pushObjectMarker(L);
    LuaJson::pushArrayMarker(L);
    QCOMPARE(lua_gettop(L), 3);
    QVERIFY(lua_istable(L, 1));
    QVERIFY(lua_rawequal(L, 1, 2));
    QVERIFY(!lua_rawequal(L, 1, 3));
    lua_getfield(L, LUA_REGISTRYINDEX, "lunette.json.object");
    QVERIFY(lua_rawequal(L, 1, -1));
    lua_getfield(L, LUA_REGISTRYINDEX, "lunette.json.array");
    QVERIFY(lua_rawequal(L, 3, -1));
    lua_settop(L, 0);

    // Decoded empty objects carry the object marker, nothing else does.
    QVERIFY(decodeToGlobal("{\"a\": {}, \"b\": [], \"c\": {\"x\": 1}}"));
    QVERIFY(m_lua->check("return getmetatable(v.a) == OBJECT and getmetatable(v.b) == nil "
                         "and getmetatable(v.c) == nil and getmetatable(v) == nil"));
}

void TestLuaJson::decodeNumbers_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("check");

    QTest::newRow("1") << QByteArray("1")
                       << QByteArray("return math.type(v) == 'integer' and v == 1");
    QTest::newRow("-1") << QByteArray("-1")
                        << QByteArray("return math.type(v) == 'integer' and v == -1");
    QTest::newRow("1.0") << QByteArray("1.0")
                         << QByteArray("return math.type(v) == 'float' and v == 1");
    QTest::newRow("1e3") << QByteArray("1e3")
                         << QByteArray("return math.type(v) == 'float' and v == 1000");
    QTest::newRow("0.1") << QByteArray("0.1") << QByteArray("return v == 0.1");
    QTest::newRow("int64 max") << QByteArray("9223372036854775807")
                               << QByteArray(
                                      "return math.type(v) == 'integer' and v == math.maxinteger");
    QTest::newRow("int64 max + 1") << QByteArray("9223372036854775808")
                                   << QByteArray("return math.type(v) == 'float' and v == 2^63");
    QTest::newRow("int64 min") << QByteArray("-9223372036854775808")
                               << QByteArray(
                                      "return math.type(v) == 'integer' and v == math.mininteger");
    QTest::newRow("int64 min - 1") << QByteArray("-9223372036854775809")
                                   << QByteArray("return math.type(v) == 'float' and v == -2^63");
    QTest::newRow("in array") << QByteArray("[1, 1.0, 2.5e1]")
                              << QByteArray("return math.type(v[1]) == 'integer' and "
                                            "math.type(v[2]) == 'float' and v[3] == 25");
}

void TestLuaJson::decodeNumbers()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, check);

    auto result = decodeToGlobal(json);
    QVERIFY2(result, qPrintable(result ? QString() : result.error()));
    QVERIFY(m_lua->check(check.constData()));
}

void TestLuaJson::decodeStructures_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("check");

    QTest::newRow("null") << QByteArray("null") << QByteArray("return v == nil");
    QTest::newRow("booleans") << QByteArray("[true, false]")
                              << QByteArray("return v[1] == true and v[2] == false and #v == 2");
    QTest::newRow("holes") << QByteArray("[1, null, 3]")
                           << QByteArray("return v[1] == 1 and v[2] == nil and v[3] == 3");
    QTest::newRow("object") << QByteArray("{\"a\": 1, \"b\": {\"c\": [\"x\"]}, \"n\": null}")
                            << QByteArray("return v.a == 1 and v.b.c[1] == 'x' and v.n == nil "
                                          "and next(v, next(v, next(v))) == nil");
    QTest::newRow("duplicate key")
        << QByteArray("{\"a\": 1, \"a\": 2}") << QByteArray("return v.a == 2");
    QTest::newRow("escapes") << QByteArray("\"a\\n\\t\\\"\\\\\\/\"")
                             << QByteArray("return v == 'a\\n\\t\"\\\\/'");
    QTest::newRow("\\u00e9") << QByteArray("\"\\u00e9\"") << QByteArray("return v == '\\xc3\\xa9'");
    QTest::newRow("surrogate pair")
        << QByteArray("\"\\ud83d\\ude00\"") << QByteArray("return v == '\\xf0\\x9f\\x98\\x80'");
    QTest::newRow("raw unicode") << QByteArray("\"h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80\"")
                                 << QByteArray("return v == 'héllo ✓ 😀'");
    QTest::newRow("\\u0000") << QByteArray("\"a\\u0000b\"")
                             << QByteArray("return v == 'a\\0b' and #v == 3");
    QTest::newRow("unicode key") << QByteArray("{\"\\u00e9\": true}")
                                 << QByteArray("return v['\\xc3\\xa9']");
    QTest::newRow("whitespace") << QByteArray(" \n\t[ 1 ,\r\n2 ] \n")
                                << QByteArray("return #v == 2");
}

void TestLuaJson::decodeStructures()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, check);

    auto result = decodeToGlobal(json);
    QVERIFY2(result, qPrintable(result ? QString() : result.error()));
    QVERIFY(m_lua->check(check.constData()));
}

void TestLuaJson::decodeRoundTrip_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("encoded");

    QTest::newRow("empty object") << QByteArray("{}") << QByteArray("{}");
    QTest::newRow("empty array") << QByteArray("[]") << QByteArray("[]");
    QTest::newRow("nested empties")
        << QByteArray("{\"a\": {}, \"b\": []}") << QByteArray("{\"a\":{},\"b\":[]}");
    QTest::newRow("holes") << QByteArray("[1,null,3]") << QByteArray("[1,null,3]");
    QTest::newRow("floats") << QByteArray("[1.0, 1.5, 1e3, 0.1]") << QByteArray("[1,1.5,1000,0.1]");
    QTest::newRow("unsorted keys") << QByteArray("{\"b\":1,\"a\":{\"d\":[true],\"c\":\"x\"}}")
                                   << QByteArray("{\"a\":{\"c\":\"x\",\"d\":[true]},\"b\":1}");
    QTest::newRow("unicode") << QByteArray("[\"\\u00e9\\ud83d\\ude00\"]")
                             << QByteArray("[\"\xC3\xA9\xF0\x9F\x98\x80\"]");
}

void TestLuaJson::decodeRoundTrip()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, encoded);

    lua_State* L = m_lua->L();
    auto decoded = LuaJson::decode(L, json);
    QVERIFY2(decoded, qPrintable(decoded ? QString() : decoded.error()));
    QCOMPARE(lua_gettop(L), 1);
    auto result = LuaJson::encode(L, -1);
    QCOMPARE(lua_gettop(L), 1);
    lua_pop(L, 1);
    QVERIFY2(result, qPrintable(errorOf(result)));
    QCOMPARE(*result, encoded);
}

void TestLuaJson::decodeNullSentinel()
{
    lua_State* L = m_lua->L();
    QVERIFY(m_lua->push("null = setmetatable({}, {__name = 'json.null'}) return null"));
    LuaJson::DecodeOptions options;
    options.nullValue = -1; // relative, and the decoder pushes on top of it
    const int top = lua_gettop(L);
    auto result = LuaJson::decode(L, "[null, 1, {\"a\": null}]", options);
    QVERIFY(result);
    QCOMPARE(lua_gettop(L), top + 1);
    lua_setglobal(L, "v");
    lua_pop(L, 1);
    QVERIFY(m_lua->check("return v[1] == null and v[2] == 1 and v[3].a == null and #v == 3"));
}

void TestLuaJson::decodeErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");

    QTest::newRow("empty") << QByteArray("")
                           << QStringLiteral("invalid JSON at offset 0: The document is empty.");
    QTest::newRow("truncated") << QByteArray("{\"a\": [1, 2")
                               << QStringLiteral(
                                      "invalid JSON at offset 11: Missing a comma or ']' "
                                      "after an array element.");
    QTest::newRow("truncated string")
        << QByteArray("[\"abc")
        << QStringLiteral("invalid JSON at offset 5: Missing a closing "
                          "quotation mark in string.");
    QTest::newRow("trailing garbage")
        << QByteArray("{} x")
        << QStringLiteral("invalid JSON at offset 3: The document root "
                          "must not be followed by other values.");
    QTest::newRow("two values") << QByteArray("1 2")
                                << QStringLiteral(
                                       "invalid JSON at offset 2: The document root must "
                                       "not be followed by other values.");
    QTest::newRow("invalid utf-8")
        << QByteArray("[\"ok\", \"a\xff\"]")
        << QStringLiteral("invalid JSON at offset 9: Invalid encoding in "
                          "string.");
    QTest::newRow("invalid utf-8 in key") << QByteArray("{\"\xc0\xaf\": 1}")
                                          << QStringLiteral("invalid JSON at offset 2: Invalid "
                                                            "encoding in string.");
    QTest::newRow("lone surrogate")
        << QByteArray("[\"\\udc00\"]")
        << QStringLiteral("invalid JSON at offset 9: lone surrogate escape "
                          "in string");
    QTest::newRow("NUL after value") << QByteArray(
        "[1]\0[2]", 7) << QStringLiteral("invalid JSON at offset 3: unexpected NUL byte");
    QTest::newRow("bare word") << QByteArray("[nul]")
                               << QStringLiteral("invalid JSON at offset 4: Invalid value.");
    QTest::newRow("single quotes") << QByteArray("{'a': 1}")
                                   << QStringLiteral("invalid JSON at offset 1: Missing a name for "
                                                     "object member.");
}

void TestLuaJson::decodeErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);

    lua_State* L = m_lua->L();
    lua_pushstring(L, "below");
    auto result = LuaJson::decode(L, json);
    QVERIFY(!result);
    QCOMPARE(result.error(), error);
    QCOMPARE(lua_gettop(L), 1); // nothing pushed, nothing left behind
    QCOMPARE(QByteArray(lua_tostring(L, 1)), QByteArray("below"));
    lua_pop(L, 1);
}

void TestLuaJson::decodeDepth()
{
    lua_State* L = m_lua->L();
    const QByteArray deep = QByteArray(10000, '[') + QByteArray(10000, ']');
    auto tooDeep = LuaJson::decode(L, deep);
    QVERIFY(!tooDeep);
    QCOMPARE(
        tooDeep.error(), QStringLiteral("invalid JSON at offset 129: nesting deeper than 128"));
    QCOMPARE(lua_gettop(L), 0);

    const QByteArray deepObjects = QByteArray("{\"a\":").repeated(10000) + QByteArray(10000, '}');
    auto tooDeepObjects = LuaJson::decode(L, deepObjects);
    QVERIFY(!tooDeepObjects);
    QCOMPARE(tooDeepObjects.error(),
        QStringLiteral("invalid JSON at offset 645: nesting deeper than 128"));
    QCOMPARE(lua_gettop(L), 0);

    // 129 nested arrays are depths 0..128: allowed.
    QVERIFY(LuaJson::decode(L, QByteArray(QByteArray(129, '[') + QByteArray(129, ']'))));
    QCOMPARE(lua_gettop(L), 1);
    lua_pop(L, 1);

    LuaJson::DecodeOptions options;
    options.maxDepth = 2;
    QVERIFY(LuaJson::decode(L, "[[[1]]]", options));
    lua_pop(L, 1);
    auto over = LuaJson::decode(L, "[[{\"a\":[1]}]]", options);
    QVERIFY(!over);
    QCOMPARE(over.error(), QStringLiteral("invalid JSON at offset 7: nesting deeper than 2"));
    QCOMPARE(lua_gettop(L), 0);
}

QTEST_GUILESS_MAIN(TestLuaJson)
#include "test_luajson.moc"
