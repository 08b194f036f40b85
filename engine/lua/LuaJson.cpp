#include "LuaJson.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <string_view>
#include <vector>

#include <lua.hpp>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "JsonText.h"

namespace lunette::LuaJson {

namespace {

using detail::PathSegment;

constexpr const char* kObjectMarkerKey = "lunette.json.object";
constexpr const char* kArrayMarkerKey = "lunette.json.array";
constexpr const char* kNullKey = "lunette.json.null";

// A table whose largest positive key leaves more holes than this (and more holes than it has
// items) is written as an object: `t[1e9] = x` must not produce a gigabyte of nulls, and tables
// keyed by sparse ids read better as objects anyway.
constexpr lua_Integer kMaxHoles = 1024;

void pushMarker(lua_State* L, const char* key)
{
    lua_pushstring(L, key);
    if (lua_rawget(L, LUA_REGISTRYINDEX) == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    // An empty table: it only marks identity. No __metatable, so scripts can still replace it.
    lua_newtable(L);
    lua_pushstring(L, key);
    lua_pushvalue(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
}

// The marker's identity, or nullptr while it has not been created (then no table can carry it).
const void* markerPointer(lua_State* L, const char* key)
{
    lua_pushstring(L, key);
    lua_rawget(L, LUA_REGISTRYINDEX);
    const void* p = lua_istable(L, -1) ? lua_topointer(L, -1) : nullptr;
    lua_pop(L, 1);
    return p;
}

// An object key collected before sorting. String keys point into the Lua string: the table keeps
// it alive and nothing modifies the table while it is encoded (no Lua code runs, access is raw).
struct ObjectKey
{
    const char* data = nullptr; // nullptr: the key is a number and its text is in `text`
    size_t size = 0;
    bool isInteger = false;
    lua_Integer integer = 0;
    lua_Number number = 0;
    char text[detail::kNumberKeyCapacity];

    std::string_view bytes() const { return { data ? data : text, size }; }
};

using CompactWriter = detail::JsonWriter;
using PrettyWriter = rapidjson::PrettyWriter<detail::JsonBuffer>;

// Writes straight from the Lua stack; every table level uses a few stack slots and one reusable
// key vector, so encoding allocates little beyond the output buffer.
template <typename Writer> class Encoder : public detail::TableWalker
{
public:
    Encoder(lua_State* L, Writer& writer, int maxDepth, int typeKeyIdx)
        : m_L(L)
        , m_writer(writer)
        , m_maxDepth(maxDepth)
        , m_typeKey(typeKeyIdx)
        , m_objectMarker(markerPointer(L, kObjectMarkerKey))
        , m_arrayMarker(markerPointer(L, kArrayMarkerKey))
        , m_null(markerPointer(L, kNullKey))
    {
    }

    bool encode(int idx, int depth);

private:
    bool encodeTable(int idx, int depth);
    bool writeArray(int idx, int depth, lua_Integer length);
    bool writeObject(int idx, int depth);

    lua_State* m_L;
    Writer& m_writer;
    int m_maxDepth;
    int m_typeKey; // stack slot holding the string "type"
    const void* m_objectMarker;
    const void* m_arrayMarker;
    const void* m_null; // the json.null sentinel, written as null
    // Per depth, reused across tables; the keys on m_path point into them or into Lua strings,
    // which stay put while their level is written. A deque, so growing it keeps references to
    // the vectors of the levels being written valid.
    std::deque<std::vector<ObjectKey>> m_keys;
};

template <typename Writer> bool Encoder<Writer>::encode(int idx, int depth)
{
    lua_State* L = m_L;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return m_writer.Null();
    case LUA_TBOOLEAN:
        return m_writer.Bool(lua_toboolean(L, idx) != 0);
    case LUA_TNUMBER: {
        if (lua_isinteger(L, idx))
            return m_writer.Int64(lua_tointeger(L, idx));
        const double d = lua_tonumber(L, idx);
        if (!std::isfinite(d))
            return fail("cannot encode NaN or infinity");
        if (detail::printsAsInteger(d))
            return m_writer.Int64(static_cast<int64_t>(d));
        return m_writer.Double(d);
    }
    case LUA_TSTRING: {
        size_t len = 0;
        const char* s = lua_tolstring(L, idx, &len);
        if (len > std::numeric_limits<rapidjson::SizeType>::max())
            return fail("string too long");
        // Checked here rather than with kWriteValidateEncodingFlag: rapidjson 1.1's PrettyWriter
        // does not compile with write flags.
        if (!detail::isValidUtf8({ s, len }))
            return fail("invalid UTF-8 in string");
        return m_writer.String(s, static_cast<rapidjson::SizeType>(len));
    }
    case LUA_TTABLE:
        if (m_null && lua_topointer(L, idx) == m_null)
            return m_writer.Null();
        return encodeTable(idx, depth);
    default:
        return fail(QByteArray("cannot encode a ") + luaL_typename(L, idx));
    }
}

template <typename Writer> bool Encoder<Writer>::encodeTable(int idx, int depth)
{
    lua_State* L = m_L;
    const void* self = lua_topointer(L, idx);
    if (isOpen(self))
        return fail("cycle detected");
    if (depth > m_maxDepth)
        return fail("nesting deeper than " + QByteArray::number(m_maxDepth));
    if (!lua_checkstack(L, 4))
        return fail("Lua stack overflow");

    bool forceArray = false;
    bool objectMarker = false;
    bool hasType = false;
    if (lua_getmetatable(L, idx)) {
        const void* mt = lua_topointer(L, -1);
        if (mt == m_arrayMarker) {
            forceArray = true;
        } else {
            objectMarker = mt == m_objectMarker;
            lua_pushvalue(L, m_typeKey);
            hasType = lua_rawget(L, -2) != LUA_TNIL;
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    if (!forceArray && !hasType) {
        lua_pushvalue(L, m_typeKey);
        hasType = lua_rawget(L, idx) != LUA_TNIL;
        lua_pop(L, 1);
    }

    bool result;
    m_open.push_back(self);
    if (hasType) {
        result = writeObject(idx, depth);
    } else {
        // Classify by keys: positive integers (counted), "_" strings (ignored), anything else.
        lua_Integer count = 0;
        lua_Integer maxKey = 0;
        bool otherKeys = false;
        bool anyKeys = false;
        lua_pushnil(L);
        while (lua_next(L, idx) != 0) {
            lua_pop(L, 1);
            anyKeys = true;
            lua_Integer k;
            if (lua_isinteger(L, -1) && (k = lua_tointeger(L, -1)) >= 1) {
                ++count;
                maxKey = std::max(maxKey, k);
            } else if (lua_type(L, -1) == LUA_TSTRING && *lua_tostring(L, -1) == '_') {
                // skipped in arrays
            } else if (!forceArray) {
                otherKeys = true;
                lua_pop(L, 1);
                break;
            }
        }
        const bool sparse = maxKey - count > std::max(count, kMaxHoles);
        if (forceArray) {
            result = sparse ? fail("excessively sparse array") : writeArray(idx, depth, maxKey);
        } else if (!anyKeys) {
            result = objectMarker ? (m_writer.StartObject() && m_writer.EndObject(0))
                                  : (m_writer.StartArray() && m_writer.EndArray(0));
        } else if (otherKeys || count == 0 || sparse) {
            result = writeObject(idx, depth);
        } else {
            result = writeArray(idx, depth, maxKey);
        }
    }
    m_open.pop_back();
    return result;
}

template <typename Writer> bool Encoder<Writer>::writeArray(int idx, int depth, lua_Integer length)
{
    lua_State* L = m_L;
    m_writer.StartArray();
    m_path.push_back(PathSegment { true, 0, {} });
    for (lua_Integer i = 1; i <= length; ++i) {
        m_path.back().index = i;
        lua_rawgeti(L, idx, i);
        const bool ok = encode(lua_gettop(L), depth + 1);
        lua_pop(L, 1);
        if (!ok)
            return false;
    }
    m_path.pop_back();
    return m_writer.EndArray();
}

template <typename Writer> bool Encoder<Writer>::writeObject(int idx, int depth)
{
    lua_State* L = m_L;
    if (m_keys.size() <= static_cast<size_t>(depth))
        m_keys.resize(static_cast<size_t>(depth) + 1);
    std::vector<ObjectKey>& keys = m_keys[static_cast<size_t>(depth)];
    keys.clear();

    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        ObjectKey& key = keys.emplace_back();
        switch (lua_type(L, -1)) {
        case LUA_TSTRING:
            key.data = lua_tolstring(L, -1, &key.size);
            break;
        case LUA_TNUMBER:
            key.isInteger = lua_isinteger(L, -1);
            if (key.isInteger)
                key.integer = lua_tointeger(L, -1);
            else
                key.number = lua_tonumber(L, -1);
            key.size = detail::formatNumberKey(L, -1, key.text);
            break;
        default: {
            const char* typeName = luaL_typename(L, -1);
            lua_pop(L, 1);
            return fail(QByteArray("table key of type ") + typeName);
        }
        }
    }
    std::sort(keys.begin(), keys.end(),
        [](const ObjectKey& a, const ObjectKey& b) { return a.bytes() < b.bytes(); });
    // Only a number key can collide with a string key (1 and "1"); JSON must not repeat a key.
    const auto dup = std::adjacent_find(keys.begin(), keys.end(),
        [](const ObjectKey& a, const ObjectKey& b) { return a.bytes() == b.bytes(); });
    if (dup != keys.end()) {
        const std::string_view bytes = dup->bytes();
        return fail("duplicate key \""
            + QByteArray(bytes.data(), static_cast<qsizetype>(bytes.size())) + "\" in table");
    }

    m_writer.StartObject();
    m_path.emplace_back();
    for (const ObjectKey& key : keys) {
        const std::string_view bytes = key.bytes();
        m_path.back() = key.data || !key.isInteger ? PathSegment { false, 0, bytes }
                                                   : PathSegment { true, key.integer, {} };
        if (bytes.size() > std::numeric_limits<rapidjson::SizeType>::max())
            return fail("key too long");
        if (!detail::isValidUtf8(bytes))
            return fail("invalid UTF-8 in key");
        m_writer.Key(bytes.data(), static_cast<rapidjson::SizeType>(bytes.size()));
        if (key.data)
            lua_pushlstring(L, key.data, key.size);
        else if (key.isInteger)
            lua_pushinteger(L, key.integer);
        else
            lua_pushnumber(L, key.number);
        lua_rawget(L, idx);
        const bool ok = encode(lua_gettop(L), depth + 1);
        lua_pop(L, 1);
        if (!ok)
            return false;
    }
    m_path.pop_back();
    return m_writer.EndObject();
}

template <typename Writer>
Expected<QByteArray, QString> encodeWith(
    lua_State* L, int idx, Writer& writer, detail::JsonBuffer& buffer, int maxDepth)
{
    const int top = lua_gettop(L);
    if (!lua_checkstack(L, 6))
        return unexpected(QStringLiteral("Lua stack overflow"));
    // Interned once per call, so each table's `type` lookup is a plain rawget.
    lua_pushstring(L, "type");
    Encoder<Writer> encoder(L, writer, maxDepth, lua_gettop(L));
    const bool ok = encoder.encode(idx, 0);
    lua_settop(L, top);
    if (!ok)
        return unexpected(QString::fromUtf8(encoder.error()));
    return QByteArray(buffer.GetString(), static_cast<qsizetype>(buffer.GetSize()));
}

// SAX handler that builds the value directly on the Lua stack: each open container is a table
// on the stack, with its pending key above it while an object member is being read.
class StackBuilder : public detail::JsonSaxHandler<StackBuilder>
{
public:
    StackBuilder(lua_State* L, int maxDepth, int nullIdx)
        : m_L(L), m_maxDepth(maxDepth), m_null(nullIdx)
    {
    }

    bool Null()
    {
        if (m_null != 0)
            lua_pushvalue(m_L, m_null);
        else
            lua_pushnil(m_L);
        return add();
    }
    bool Bool(bool b)
    {
        lua_pushboolean(m_L, b);
        return add();
    }
    bool StartObject() { return open(false); }
    bool StartArray() { return open(true); }
    bool EndObject(rapidjson::SizeType members)
    {
        if (members == 0) {
            pushMarker(m_L, kObjectMarkerKey);
            lua_setmetatable(m_L, -2);
        }
        m_frames.pop_back();
        return add();
    }
    bool EndArray(rapidjson::SizeType)
    {
        m_frames.pop_back();
        return add();
    }

private:
    friend class detail::JsonSaxHandler<StackBuilder>;

    struct Frame
    {
        bool isArray;
        lua_Integer length;
    };

    bool integer(qint64 i)
    {
        lua_pushinteger(m_L, static_cast<lua_Integer>(i));
        return add();
    }
    bool number(double d)
    {
        lua_pushnumber(m_L, d);
        return add();
    }
    bool string(const char* s, rapidjson::SizeType len)
    {
        lua_pushlstring(m_L, s, len);
        return add();
    }
    bool key(const char* s, rapidjson::SizeType len)
    {
        lua_pushlstring(m_L, s, len);
        return true;
    }
    bool open(bool isArray)
    {
        // The new container sits at depth m_frames.size().
        if (!checkDepth(m_frames.size(), m_maxDepth))
            return false;
        // The table, a pending key and a value, or the table and the marker being created.
        if (!lua_checkstack(m_L, 4))
            return fail("Lua stack overflow");
        lua_newtable(m_L);
        m_frames.push_back(Frame { isArray, 0 });
        return true;
    }
    // Moves the value on top into the enclosing container (the top-level value just stays).
    bool add()
    {
        if (m_frames.empty())
            return true;
        Frame& frame = m_frames.back();
        if (frame.isArray)
            lua_rawseti(m_L, -2, ++frame.length); // null as nil leaves a hole, as it should
        else
            lua_rawset(m_L, -3);
        return true;
    }

    lua_State* m_L;
    int m_maxDepth;
    int m_null;
    std::vector<Frame> m_frames;
};

} // namespace

Expected<QByteArray, QString> encode(lua_State* L, int idx, const EncodeOptions& options)
{
    idx = lua_absindex(L, idx);
    detail::JsonBuffer buffer;
    if (options.pretty) {
        PrettyWriter writer(buffer);
        writer.SetIndent(' ', 2);
        return encodeWith(L, idx, writer, buffer, options.maxDepth);
    }
    CompactWriter writer(buffer);
    return encodeWith(L, idx, writer, buffer, options.maxDepth);
}

Expected<void, QString> decode(lua_State* L, QByteArrayView json, const DecodeOptions& options)
{
    const int top = lua_gettop(L);
    const int nullIdx = options.nullValue != 0 ? lua_absindex(L, options.nullValue) : 0;
    if (!lua_checkstack(L, 3))
        return unexpected(QStringLiteral("Lua stack overflow"));
    StackBuilder builder(L, options.maxDepth, nullIdx);
    auto parsed = detail::parseJson(json, builder);
    if (!parsed)
        lua_settop(L, top); // push nothing on error
    return parsed;
}

void pushObjectMarker(lua_State* L)
{
    pushMarker(L, kObjectMarkerKey);
}

void pushArrayMarker(lua_State* L)
{
    pushMarker(L, kArrayMarkerKey);
}

void pushNull(lua_State* L)
{
    pushMarker(L, kNullKey);
}

} // namespace lunette::LuaJson
