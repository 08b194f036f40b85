// libFuzzer target: JSON <-> Lua values both ways (engine/lua/LuaJson.h) and the UTF-8 helpers
// behind them (engine/lua/JsonText.h). Every input runs both directions, in a fresh lua_State:
//
//  1. JSON -> Lua -> JSON: the input is decoded (with and without the json.null sentinel, and
//     with a small depth limit). A decoded value always encodes; encoding it, decoding that text
//     and encoding again gives the same bytes (round-trip stability), and the pretty form decodes
//     to the same value.
//  2. Lua -> JSON: the input is a small program (FuzzedDataProvider) that builds Lua values —
//     nested tables, integer/float/NaN/inf keys and values, strings with invalid UTF-8, booleans,
//     sparse arrays, cycles, shared tables, `type` fields and metatables, the object/array markers,
//     json.null, functions. Each value is encoded: an error or a text, never a crash; a text is
//     valid JSON for an independent parser (QJsonDocument), decodes, and re-encodes to itself
//     (decoded with the json.null sentinel, so that nulls stay).
//
// Every LuaJson call must keep the Lua stack discipline of its header ([-0, +0] for encode,
// [-0, +(0|1)] for decode). UTF-8: isValidUtf8 agrees with Qt's validator, and replaceInvalidUtf8
// gives valid UTF-8 and leaves valid input as it is.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QString>

#include <lua.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include "lua/JsonText.h"
#include "lua/LuaJson.h"

using namespace lunette;

namespace {

QByteArray g_input; // for violation reports

[[noreturn]] void violation(const char* what, const QByteArray& detail = {})
{
    std::fprintf(stderr, "fuzz_luajson: %s\n  detail: %s\n  input (percent-encoded): %s\n", what,
        detail.left(2000).constData(), g_input.left(2000).toPercentEncoding().constData());
    std::abort();
}

// An owned lua_State without the standard libraries: LuaJson needs none.
struct State
{
    lua_State* L = luaL_newstate();
    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() { lua_close(L); }
};

// Encode the value at idx, checking the stack effect.
Expected<QByteArray, QString> encodeChecked(
    lua_State* L, int idx, const LuaJson::EncodeOptions& options = {})
{
    const int top = lua_gettop(L);
    auto encoded = LuaJson::encode(L, idx, options);
    if (lua_gettop(L) != top)
        violation("encode changed the stack top", encoded ? *encoded : encoded.error().toUtf8());
    return encoded;
}

// Decode json, checking the stack effect: one value on success, nothing on error.
Expected<void, QString> decodeChecked(
    lua_State* L, QByteArrayView json, const LuaJson::DecodeOptions& options = {})
{
    const int top = lua_gettop(L);
    auto decoded = LuaJson::decode(L, json, options);
    if (lua_gettop(L) != top + (decoded ? 1 : 0))
        violation("decode left the wrong number of values", json.toByteArray());
    return decoded;
}

// An independent check that text is JSON (QJsonDocument wants an array or object on top).
void requireValidJson(const QByteArray& text)
{
    QJsonParseError error {};
    QJsonDocument::fromJson('[' + text + ']', &error);
    if (error.error != QJsonParseError::NoError)
        violation("the encoder wrote text QJsonDocument rejects", text);
}

// text decodes, and the decoded value encodes to `expected` (compact, default options).
void requireStable(lua_State* L, const QByteArray& text, const QByteArray& expected,
    const LuaJson::DecodeOptions& decodeOptions = {})
{
    if (!decodeChecked(L, text, decodeOptions))
        violation("decode refuses text the encoder wrote", text);
    const auto again = encodeChecked(L, -1);
    lua_pop(L, 1);
    if (!again)
        violation("a decoded encoder output does not encode", text);
    if (*again != expected)
        violation("encode(decode(text)) differs from text", text + "\n  became: " + *again);
}

// ---- 1. JSON -> Lua -> JSON ---------------------------------------------------------------------

void jsonDirection(QByteArrayView input)
{
    State state;
    lua_State* L = state.L;

    const bool decoded = bool(decodeChecked(L, input));
    if (decoded) {
        const auto first = encodeChecked(L, -1);
        if (!first)
            violation("a decoded value does not encode", first.error().toUtf8());
        const auto pretty = encodeChecked(L, -1, LuaJson::EncodeOptions { true, 128 });
        if (!pretty)
            violation("a decoded value does not encode pretty", pretty.error().toUtf8());
        lua_pop(L, 1);
        requireValidJson(*first);
        requireStable(L, *first, *first);
        requireStable(L, *pretty, *first);
    }

    // With the json.null sentinel: the same inputs are accepted, and nulls survive.
    LuaJson::pushNull(L);
    const int nullIdx = lua_gettop(L);
    LuaJson::DecodeOptions withNull;
    withNull.nullValue = nullIdx;
    if (bool(decodeChecked(L, input, withNull)) != decoded)
        violation("the null sentinel changes whether the input decodes");
    if (decoded) {
        const auto text = encodeChecked(L, -1);
        lua_pop(L, 1);
        if (!text)
            violation("a value decoded with json.null does not encode", text.error().toUtf8());
        requireValidJson(*text);
        requireStable(L, *text, *text, withNull);
    }

    // A lower depth limit only refuses more.
    LuaJson::DecodeOptions shallow;
    shallow.maxDepth = 2;
    if (decodeChecked(L, input, shallow)) {
        if (!decoded)
            violation("a lower depth limit accepts what the default refuses");
        lua_pop(L, 1);
    }
    lua_pop(L, 1); // the sentinel
    if (lua_gettop(L) != 0)
        violation("values left on the stack");
}

// ---- 2. Lua -> JSON -----------------------------------------------------------------------------

constexpr int kMaxValues = 24; // values the program keeps on the stack
constexpr int kMaxSteps = 256;

int aFunction(lua_State*)
{
    return 0;
}

// Builds values on the stack of L above `base` from the fuzz bytes. Only raw table access is used,
// and never with a nil or NaN key, so nothing here can raise a Lua error.
class Builder
{
public:
    Builder(lua_State* L, FuzzedDataProvider& in) : m_L(L), m_in(in), m_base(lua_gettop(L)) { }

    void run()
    {
        for (int step = 0; step < kMaxSteps && m_in.remaining_bytes() > 0; ++step)
            this->step();
    }
    int base() const { return m_base; }

private:
    enum Op : uint8_t
    {
        PushNil,
        PushBool,
        PushInteger,
        PushFloat,
        PushString,
        NewTable,
        NewObjectTable,
        NewArrayTable,
        PushNull,
        SetField, // t[k] = v with k, v the two top values
        SetIndex, // t[n] = v
        SetTableRef, // t1[k] = t2 (cycles, shared tables)
        SetMarker, // the object or array marker, or no metatable, on a table
        SetTypeMeta, // a metatable with a `type` field
        SetTypeField, // t.type = v
        SetUnderscore, // t["_…"] = v
        PushFunction,
        PushUserdata,
        Dup,
        Pop,
        FillArray, // t[1..n] = v
        OpCount
    };

    int count() const { return lua_gettop(m_L) - m_base; }
    // Absolute index of one of the values (0 when there is none).
    int pick()
    {
        if (count() == 0)
            return 0;
        return m_base + 1 + m_in.ConsumeIntegralInRange<int>(0, count() - 1);
    }
    int pickTable()
    {
        const int idx = pick();
        return idx != 0 && lua_istable(m_L, idx) ? idx : 0;
    }
    bool room() const { return count() < kMaxValues; }

    lua_Integer integer()
    {
        static constexpr lua_Integer interesting[] = { 0, 1, -1, 2, 3, 1024, 1025, 2049, 100000,
            std::numeric_limits<lua_Integer>::min(), std::numeric_limits<lua_Integer>::max(),
            (lua_Integer(1) << 53), (lua_Integer(1) << 53) + 1, -(lua_Integer(1) << 53) };
        if (m_in.ConsumeBool())
            return m_in.PickValueInArray(interesting);
        return m_in.ConsumeIntegral<lua_Integer>();
    }
    lua_Number number()
    {
        static constexpr double interesting[]
            = { std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                  -std::numeric_limits<double>::infinity(), -0.0, 0.5, 0.1, 1.0, 3.0, 1e300,
                  9007199254740992.0, 9007199254740994.0, 9223372036854775808.0,
                  -9223372036854775808.0, std::numeric_limits<double>::denorm_min(),
                  std::numeric_limits<double>::max(), 1e15, 1e16, 1e21 };
        if (m_in.ConsumeBool())
            return m_in.PickValueInArray(interesting);
        const uint64_t bits = m_in.ConsumeIntegral<uint64_t>();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return d;
    }
    std::string string()
    {
        using namespace std::string_view_literals;
        static constexpr std::string_view interesting[]
            = { "type"sv, "_"sv, "_x"sv, "1"sv, "-1"sv, "1.5"sv, ""sv, "\xff"sv, "\xed\xa0\x80"sv,
                  "\xc0\xaf"sv, "\xc3\xa9"sv, "a\0b"sv, "\xf4\x90\x80\x80"sv, "\\\""sv };
        if (m_in.ConsumeBool())
            return std::string(m_in.PickValueInArray(interesting));
        return m_in.ConsumeRandomLengthString(24);
    }
    // Whether the value at idx may be a table key for rawset (not nil, not NaN).
    bool validKey(int idx) const
    {
        if (lua_isnil(m_L, idx))
            return false;
        if (lua_type(m_L, idx) == LUA_TNUMBER && !lua_isinteger(m_L, idx))
            return !std::isnan(lua_tonumber(m_L, idx));
        return true;
    }

    void step()
    {
        lua_State* L = m_L;
        const auto op = static_cast<Op>(m_in.ConsumeIntegralInRange<int>(0, OpCount - 1));
        switch (op) {
        case PushNil:
            if (room())
                lua_pushnil(L);
            break;
        case PushBool:
            if (room())
                lua_pushboolean(L, m_in.ConsumeBool());
            break;
        case PushInteger:
            if (room())
                lua_pushinteger(L, integer());
            break;
        case PushFloat:
            if (room())
                lua_pushnumber(L, number());
            break;
        case PushString:
            if (room()) {
                const std::string s = string();
                lua_pushlstring(L, s.data(), s.size());
            }
            break;
        case NewTable:
            if (room())
                lua_newtable(L);
            break;
        case NewObjectTable:
        case NewArrayTable:
            if (room()) {
                lua_newtable(L);
                if (op == NewObjectTable)
                    LuaJson::pushObjectMarker(L);
                else
                    LuaJson::pushArrayMarker(L);
                lua_setmetatable(L, -2);
            }
            break;
        case PushNull:
            if (room())
                LuaJson::pushNull(L);
            break;
        case SetField: {
            if (count() < 3)
                break;
            const int t = m_base + 1 + m_in.ConsumeIntegralInRange<int>(0, count() - 3);
            if (lua_istable(L, t) && validKey(-2))
                lua_rawset(L, t);
            else
                lua_pop(L, 2);
            break;
        }
        case SetIndex: {
            const int t = pickTable();
            if (t == 0 || t == lua_gettop(L))
                break;
            lua_rawseti(L, t, integer());
            break;
        }
        case SetTableRef: {
            const int t1 = pickTable();
            const int t2 = pickTable();
            if (t1 == 0 || t2 == 0)
                break;
            if (m_in.ConsumeBool()) {
                const std::string key = string();
                lua_pushlstring(L, key.data(), key.size());
            } else {
                lua_pushinteger(L, integer());
            }
            lua_pushvalue(L, t2);
            lua_rawset(L, t1);
            break;
        }
        case SetMarker: {
            const int t = pickTable();
            if (t == 0)
                break;
            switch (m_in.ConsumeIntegralInRange<int>(0, 2)) {
            case 0:
                LuaJson::pushObjectMarker(L);
                break;
            case 1:
                LuaJson::pushArrayMarker(L);
                break;
            default:
                lua_pushnil(L);
                break;
            }
            lua_setmetatable(L, t);
            break;
        }
        case SetTypeMeta: {
            const int t = pickTable();
            if (t == 0)
                break;
            lua_createtable(L, 0, 1);
            lua_pushstring(L, "Point");
            lua_setfield(L, -2, "type");
            lua_setmetatable(L, t);
            break;
        }
        case SetTypeField: {
            const int t = pickTable();
            if (t == 0 || t == lua_gettop(L))
                break;
            lua_pushstring(L, "type");
            lua_insert(L, -2);
            lua_rawset(L, t);
            break;
        }
        case SetUnderscore: {
            const int t = pickTable();
            if (t == 0 || t == lua_gettop(L))
                break;
            const std::string key = '_' + string();
            lua_pushlstring(L, key.data(), key.size());
            lua_insert(L, -2);
            lua_rawset(L, t);
            break;
        }
        case PushFunction:
            if (room())
                lua_pushcfunction(L, aFunction);
            break;
        case PushUserdata:
            if (room())
                lua_newuserdatauv(L, 8, 0);
            break;
        case Dup: {
            const int idx = pick();
            if (idx != 0 && room())
                lua_pushvalue(L, idx);
            break;
        }
        case Pop:
            if (count() > 0)
                lua_pop(L, 1);
            break;
        case FillArray: {
            const int t = pickTable();
            if (t == 0 || t == lua_gettop(L))
                break;
            const int n = m_in.ConsumeIntegralInRange<int>(1, 40);
            for (int i = 1; i <= n; ++i) {
                lua_pushvalue(L, -1);
                lua_rawseti(L, t, i);
            }
            lua_pop(L, 1);
            break;
        }
        case OpCount:
            break;
        }
    }

    lua_State* m_L;
    FuzzedDataProvider& m_in;
    int m_base;
};

// Whether the value at idx, written out as a tree, has at most `budget` nodes. A table shared
// along many paths is written once per path: a chain of tables each holding the next twice has a
// text of 2^n values, which no encoder can write. Such values are left out. A table met again on
// its own path is a cycle, which the encoder refuses when it gets there: not descended.
bool expandsWithin(lua_State* L, int idx, std::vector<const void*>& path, long& budget)
{
    if (--budget < 0)
        return false;
    if (!lua_istable(L, idx))
        return true;
    const void* self = lua_topointer(L, idx);
    if (std::find(path.begin(), path.end(), self) != path.end() || path.size() > 130)
        return true;
    idx = lua_absindex(L, idx);
    lua_checkstack(L, 3);
    path.push_back(self);
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        if (!expandsWithin(L, -1, path, budget)) {
            lua_pop(L, 2);
            return false;
        }
        lua_pop(L, 1);
    }
    path.pop_back();
    return true;
}

void luaDirection(const uint8_t* data, size_t size)
{
    State state;
    lua_State* L = state.L;
    // Decoding with the json.null sentinel keeps a null as null (without it, {"k":null} would
    // come back as {} and encode as []), so re-encoding must give the same text.
    LuaJson::pushNull(L);
    LuaJson::DecodeOptions withNull;
    withNull.nullValue = lua_gettop(L);
    FuzzedDataProvider in(data, size);
    Builder builder(L, in);
    builder.run();

    for (int idx = builder.base() + 1; idx <= lua_gettop(L); ++idx) {
        long budget = 20000;
        std::vector<const void*> path;
        if (!expandsWithin(L, idx, path, budget))
            continue;
        const auto compact = encodeChecked(L, idx);
        if (compact) {
            requireValidJson(*compact);
            requireStable(L, *compact, *compact, withNull);
        }
        // The pretty writer and a smaller depth limit: never a crash, the same verdict on
        // anything but depth, and the same value.
        LuaJson::EncodeOptions options;
        options.pretty = true;
        options.maxDepth = 4;
        const auto pretty = encodeChecked(L, idx, options);
        if (pretty) {
            if (!compact)
                violation("the pretty writer encodes what the compact one refuses",
                    compact.error().toUtf8());
            requireValidJson(*pretty);
            requireStable(L, *pretty, *compact, withNull);
        }
    }
}

// ---- UTF-8 helpers --------------------------------------------------------------------------

void utf8Helpers(QByteArrayView input)
{
    const std::string_view bytes(input.data(), static_cast<size_t>(input.size()));
    const bool valid = detail::isValidUtf8(bytes);
    if (valid != input.isValidUtf8())
        violation(
            valid ? "isValidUtf8 accepts what Qt refuses" : "isValidUtf8 refuses what Qt accepts");
    const QByteArray replaced = detail::replaceInvalidUtf8(bytes);
    if (!detail::isValidUtf8({ replaced.constData(), static_cast<size_t>(replaced.size()) }))
        violation("replaceInvalidUtf8 gives invalid UTF-8", replaced);
    if (valid && replaced != input)
        violation("replaceInvalidUtf8 changes valid UTF-8", replaced);
    if (detail::hasEncodedSurrogate(bytes) && valid)
        violation("valid UTF-8 holding an encoded surrogate");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    g_input = input.toByteArray();
    utf8Helpers(input);
    jsonDirection(input);
    luaDirection(data, size);
    return 0;
}
