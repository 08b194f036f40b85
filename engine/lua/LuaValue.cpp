#include "LuaValue.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>

#include <lua.hpp>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "JsonText.h"

namespace lunette {

namespace {

using detail::PathSegment;

constexpr int kMaxJsonDepth = 128;

int compareBytes(QByteArrayView a, QByteArrayView b)
{
    const qsizetype common = std::min(a.size(), b.size());
    if (common > 0) {
        if (const int c = std::memcmp(a.data(), b.data(), static_cast<size_t>(common)); c != 0)
            return c;
    }
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

bool keyLess(const std::pair<QByteArray, LuaValue>& a, const std::pair<QByteArray, LuaValue>& b)
{
    return compareBytes(a.first, b.first) < 0;
}

// ---- fromStack ---------------------------------------------------------------------------------

class Snapshotter : public detail::TableWalker
{
public:
    Snapshotter(lua_State* L, const LuaValue::Limits& limits) : m_L(L), m_limits(limits) { }

    bool copy(int idx, int depth, LuaValue& out);

private:
    bool copyTable(int idx, int depth, LuaValue& out);
    bool countBytes(size_t n)
    {
        m_bytes += static_cast<qsizetype>(n);
        if (m_bytes > m_limits.maxBytes)
            return fail("more than " + QByteArray::number(m_limits.maxBytes) + " bytes of strings");
        return true;
    }

    lua_State* m_L;
    const LuaValue::Limits& m_limits;
    qsizetype m_elements = 0;
    qsizetype m_bytes = 0;
};

bool Snapshotter::copy(int idx, int depth, LuaValue& out)
{
    lua_State* L = m_L;
    switch (lua_type(L, idx)) {
    case LUA_TNONE:
    case LUA_TNIL:
        out = LuaValue();
        return true;
    case LUA_TBOOLEAN:
        out = LuaValue::boolean(lua_toboolean(L, idx) != 0);
        return true;
    case LUA_TNUMBER:
        out = lua_isinteger(L, idx) ? LuaValue::integer(lua_tointeger(L, idx))
                                    : LuaValue::number(lua_tonumber(L, idx));
        return true;
    case LUA_TSTRING: {
        size_t len = 0;
        const char* s = lua_tolstring(L, idx, &len);
        if (!countBytes(len))
            return false;
        out = LuaValue::string(QByteArray(s, static_cast<qsizetype>(len)));
        return true;
    }
    case LUA_TTABLE:
        return copyTable(idx, depth, out);
    default:
        break;
    }
    if (!m_limits.opaqueAsString)
        return fail(QByteArray("cannot snapshot a ") + luaL_typename(L, idx));
    // May run a __tostring metamethod, whose errors propagate like any Lua error.
    size_t len = 0;
    const char* s = luaL_tolstring(L, idx, &len);
    QByteArray text(s, static_cast<qsizetype>(len));
    lua_pop(L, 1);
    if (!countBytes(len))
        return false;
    out = LuaValue::string(std::move(text));
    return true;
}

bool Snapshotter::copyTable(int idx, int depth, LuaValue& out)
{
    lua_State* L = m_L;
    const void* self = lua_topointer(L, idx);
    if (isOpen(self))
        return fail("cycle detected");
    if (depth > m_limits.maxDepth)
        return fail("table nested deeper than " + QByteArray::number(m_limits.maxDepth));
    // Key, value and what luaL_tolstring needs on top of them.
    if (!lua_checkstack(L, 6))
        return fail("Lua stack overflow");

    // First pass: is it a sequence 1..n, and how big is it?
    qsizetype count = 0;
    bool positiveIntegers = true;
    lua_Integer maxKey = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        if (positiveIntegers && lua_isinteger(L, -2)) {
            const lua_Integer k = lua_tointeger(L, -2);
            if (k < 1)
                positiveIntegers = false;
            else
                maxKey = std::max(maxKey, k);
        } else {
            positiveIntegers = false;
        }
        ++count;
        lua_pop(L, 1);
    }
    if (count > m_limits.maxElements - m_elements)
        return fail("more than " + QByteArray::number(m_limits.maxElements) + " elements");
    m_elements += count;

    m_open.push_back(self);
    if (count == 0 || (positiveIntegers && maxKey == count)) {
        LuaValue::Array items;
        items.reserve(static_cast<size_t>(count));
        m_path.push_back(PathSegment { true, 0, {} });
        for (lua_Integer i = 1; i <= count; ++i) {
            m_path.back().index = i;
            lua_rawgeti(L, idx, i);
            LuaValue item;
            const bool ok = copy(lua_gettop(L), depth + 1, item);
            lua_pop(L, 1);
            if (!ok)
                return false;
            items.push_back(std::move(item));
        }
        m_path.pop_back();
        m_open.pop_back();
        out = LuaValue::array(std::move(items));
        return true;
    }

    LuaValue::Map entries;
    entries.reserve(static_cast<size_t>(count));
    bool numberKeys = false;
    m_path.emplace_back();
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        QByteArray key;
        PathSegment& segment = m_path.back();
        switch (lua_type(L, -2)) {
        case LUA_TSTRING: {
            size_t len = 0;
            const char* s = lua_tolstring(L, -2, &len);
            key = QByteArray(s, static_cast<qsizetype>(len));
            segment = PathSegment { false, 0, { s, len } }; // the key stays on the stack
            break;
        }
        case LUA_TNUMBER: {
            numberKeys = true;
            char text[detail::kNumberKeyCapacity];
            key = QByteArray(text, static_cast<qsizetype>(detail::formatNumberKey(L, -2, text)));
            // A float key's text lives in `key` until the entry is added, after its value.
            segment = lua_isinteger(L, -2)
                ? PathSegment { true, lua_tointeger(L, -2), {} }
                : PathSegment { false, 0, { key.constData(), static_cast<size_t>(key.size()) } };
            break;
        }
        default: {
            const char* typeName = luaL_typename(L, -2);
            lua_pop(L, 2);
            m_path.pop_back(); // the error is about the table, not one of its entries
            return fail(QByteArray("table key of type ") + typeName);
        }
        }
        LuaValue value;
        const bool ok
            = countBytes(static_cast<size_t>(key.size())) && copy(lua_gettop(L), depth + 1, value);
        lua_pop(L, 1);
        if (!ok) {
            lua_pop(L, 1);
            return false;
        }
        entries.emplace_back(std::move(key), std::move(value));
    }
    m_path.pop_back();
    m_open.pop_back();
    // Only a number key can collide with a string key (1 and "1"); refuse rather than drop one
    // of them depending on the table's traversal order.
    if (numberKeys) {
        std::sort(entries.begin(), entries.end(), keyLess);
        const auto dup = std::adjacent_find(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first == b.first; });
        if (dup != entries.end())
            return fail("duplicate key \"" + dup->first + "\" in table");
    }
    out = LuaValue::map(std::move(entries));
    return true;
}

// ---- toJson ------------------------------------------------------------------------------------

using JsonWriter = detail::JsonWriter;

void writeJsonString(JsonWriter& writer, const QByteArray& bytes, bool key)
{
    const std::string_view view(bytes.constData(), static_cast<size_t>(bytes.size()));
    const QByteArray clean = detail::isValidUtf8(view) ? bytes : detail::replaceInvalidUtf8(view);
    const auto len = static_cast<rapidjson::SizeType>(clean.size());
    if (key)
        writer.Key(clean.constData(), len);
    else
        writer.String(clean.constData(), len);
}

void writeJson(JsonWriter& writer, const LuaValue& value)
{
    switch (value.type()) {
    case LuaValue::Type::Nil:
        writer.Null();
        break;
    case LuaValue::Type::Boolean:
        writer.Bool(value.toBool());
        break;
    case LuaValue::Type::Integer:
        writer.Int64(value.toInteger());
        break;
    case LuaValue::Type::Double: {
        const double d = value.toDouble();
        if (!std::isfinite(d))
            writer.Null();
        else if (detail::printsAsInteger(d))
            writer.Int64(static_cast<int64_t>(d));
        else
            writer.Double(d);
        break;
    }
    case LuaValue::Type::String:
        writeJsonString(writer, value.toBytes(), false);
        break;
    case LuaValue::Type::Array:
        writer.StartArray();
        for (const LuaValue& item : value.toArray())
            writeJson(writer, item);
        writer.EndArray();
        break;
    case LuaValue::Type::Map:
        writer.StartObject();
        for (const auto& [key, item] : value.toMap()) {
            writeJsonString(writer, key, true);
            writeJson(writer, item);
        }
        writer.EndObject();
        break;
    }
}

// ---- fromJson ----------------------------------------------------------------------------------

// SAX handler that builds the snapshot bottom-up: one frame per open array/object.
class SnapshotBuilder : public detail::JsonSaxHandler<SnapshotBuilder>
{
public:
    bool Null() { return add(LuaValue()); }
    bool Bool(bool b) { return add(LuaValue::boolean(b)); }
    bool StartObject() { return open(true); }
    bool StartArray() { return open(false); }
    bool EndObject(rapidjson::SizeType) { return close(); }
    bool EndArray(rapidjson::SizeType) { return close(); }

    LuaValue& result() { return m_result; }

private:
    friend class detail::JsonSaxHandler<SnapshotBuilder>;

    struct Frame
    {
        bool isMap = false;
        LuaValue::Array items;
        LuaValue::Map entries;
        QByteArray key;
    };

    bool integer(qint64 i) { return add(LuaValue::integer(i)); }
    bool number(double d) { return add(LuaValue::number(d)); }
    bool string(const char* s, rapidjson::SizeType len)
    {
        return add(LuaValue::string(QByteArray(s, static_cast<qsizetype>(len))));
    }
    bool key(const char* s, rapidjson::SizeType len)
    {
        m_frames.back().key = QByteArray(s, static_cast<qsizetype>(len));
        return true;
    }
    bool open(bool isMap)
    {
        // The new container sits at depth m_frames.size().
        if (!checkDepth(m_frames.size(), kMaxJsonDepth))
            return false;
        m_frames.emplace_back().isMap = isMap;
        return true;
    }
    bool close()
    {
        Frame frame = std::move(m_frames.back());
        m_frames.pop_back();
        return add(frame.isMap ? LuaValue::map(std::move(frame.entries))
                               : LuaValue::array(std::move(frame.items)));
    }
    bool add(LuaValue value)
    {
        if (m_frames.empty()) {
            m_result = std::move(value);
            return true;
        }
        Frame& frame = m_frames.back();
        if (frame.isMap)
            frame.entries.emplace_back(std::move(frame.key), std::move(value));
        else
            frame.items.push_back(std::move(value));
        return true;
    }

    std::vector<Frame> m_frames;
    LuaValue m_result;
};

const LuaValue::Array& emptyArray()
{
    static const LuaValue::Array empty;
    return empty;
}

const LuaValue::Map& emptyMap()
{
    static const LuaValue::Map empty;
    return empty;
}

} // namespace

// ---- construction and access -------------------------------------------------------------------

LuaValue LuaValue::boolean(bool b)
{
    LuaValue v;
    v.m_data = b;
    return v;
}

LuaValue LuaValue::integer(qint64 i)
{
    LuaValue v;
    v.m_data = i;
    return v;
}

LuaValue LuaValue::number(double d)
{
    LuaValue v;
    v.m_data = d;
    return v;
}

LuaValue LuaValue::string(QByteArray bytes)
{
    LuaValue v;
    v.m_data = std::move(bytes);
    return v;
}

LuaValue LuaValue::string(const QString& text)
{
    return string(text.toUtf8());
}

LuaValue LuaValue::array(Array items)
{
    LuaValue v;
    v.m_data = std::make_shared<const Array>(std::move(items));
    return v;
}

LuaValue LuaValue::map(Map entries)
{
    // Stable, so among equal keys the later one stays last and wins below.
    std::stable_sort(entries.begin(), entries.end(), keyLess);
    Map unique;
    unique.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
        if (i + 1 < entries.size() && entries[i].first == entries[i + 1].first)
            continue;
        unique.push_back(std::move(entries[i]));
    }
    LuaValue v;
    v.m_data = std::make_shared<const Map>(std::move(unique));
    return v;
}

bool LuaValue::toBool() const
{
    if (isNil())
        return false;
    if (isBoolean())
        return std::get<bool>(m_data);
    return true;
}

qint64 LuaValue::toInteger() const
{
    if (isInteger())
        return std::get<qint64>(m_data);
    if (isDouble()) {
        // Casting an out-of-range double is undefined behaviour; saturate instead.
        const double d = std::get<double>(m_data);
        if (std::isnan(d))
            return 0;
        if (d >= 9223372036854775808.0)
            return std::numeric_limits<qint64>::max();
        if (d < -9223372036854775808.0)
            return std::numeric_limits<qint64>::min();
        return static_cast<qint64>(d);
    }
    return 0;
}

double LuaValue::toDouble() const
{
    if (isDouble())
        return std::get<double>(m_data);
    if (isInteger())
        return static_cast<double>(std::get<qint64>(m_data));
    return 0.0;
}

QByteArray LuaValue::toBytes() const
{
    return isString() ? std::get<QByteArray>(m_data) : QByteArray();
}

QString LuaValue::toString() const
{
    return isString() ? QString::fromUtf8(std::get<QByteArray>(m_data)) : QString();
}

const LuaValue::Array& LuaValue::toArray() const
{
    return isArray() ? *std::get<ArrayPtr>(m_data) : emptyArray();
}

const LuaValue::Map& LuaValue::toMap() const
{
    return isMap() ? *std::get<MapPtr>(m_data) : emptyMap();
}

qsizetype LuaValue::size() const
{
    if (isArray())
        return static_cast<qsizetype>(toArray().size());
    if (isMap())
        return static_cast<qsizetype>(toMap().size());
    return 0;
}

const LuaValue* LuaValue::find(QByteArrayView key) const
{
    if (!isMap())
        return nullptr;
    const Map& entries = toMap();
    const auto it = std::lower_bound(entries.begin(), entries.end(), key,
        [](const auto& entry, QByteArrayView k) { return compareBytes(entry.first, k) < 0; });
    if (it == entries.end() || compareBytes(it->first, key) != 0)
        return nullptr;
    return &it->second;
}

const char* LuaValue::typeName() const
{
    switch (type()) {
    case Type::Nil:
        return "nil";
    case Type::Boolean:
        return "boolean";
    case Type::Integer:
        return "integer";
    case Type::Double:
        return "double";
    case Type::String:
        return "string";
    case Type::Array:
        return "array";
    case Type::Map:
        return "map";
    }
    return "nil";
}

bool LuaValue::operator==(const LuaValue& other) const
{
    if (type() != other.type())
        return false;
    switch (type()) {
    case Type::Array: {
        const auto& a = std::get<ArrayPtr>(m_data);
        const auto& b = std::get<ArrayPtr>(other.m_data);
        return a == b || *a == *b;
    }
    case Type::Map: {
        const auto& a = std::get<MapPtr>(m_data);
        const auto& b = std::get<MapPtr>(other.m_data);
        return a == b || *a == *b;
    }
    default:
        return m_data == other.m_data;
    }
}

// ---- Lua stack ---------------------------------------------------------------------------------

Expected<LuaValue, QString> LuaValue::fromStack(lua_State* L, int idx, const Limits& limits)
{
    idx = lua_absindex(L, idx);
    const int top = lua_gettop(L);
    if (!lua_checkstack(L, 6))
        return unexpected(QStringLiteral("Lua stack overflow"));
    Snapshotter snapshotter(L, limits);
    LuaValue value;
    const bool ok = snapshotter.copy(idx, 0, value);
    lua_settop(L, top);
    if (!ok)
        return unexpected(QString::fromUtf8(snapshotter.error()));
    return value;
}

void LuaValue::push(lua_State* L) const
{
    luaL_checkstack(L, 3, "LuaValue::push");
    switch (type()) {
    case Type::Nil:
        lua_pushnil(L);
        break;
    case Type::Boolean:
        lua_pushboolean(L, std::get<bool>(m_data));
        break;
    case Type::Integer:
        lua_pushinteger(L, std::get<qint64>(m_data));
        break;
    case Type::Double:
        lua_pushnumber(L, std::get<double>(m_data));
        break;
    case Type::String: {
        const QByteArray& bytes = std::get<QByteArray>(m_data);
        lua_pushlstring(L, bytes.constData(), static_cast<size_t>(bytes.size()));
        break;
    }
    case Type::Array: {
        const Array& items = toArray();
        lua_createtable(L, static_cast<int>(std::min<size_t>(items.size(), INT_MAX)), 0);
        lua_Integer i = 0;
        for (const LuaValue& item : items) {
            item.push(L);
            lua_rawseti(L, -2, ++i);
        }
        break;
    }
    case Type::Map: {
        const Map& entries = toMap();
        lua_createtable(L, 0, static_cast<int>(std::min<size_t>(entries.size(), INT_MAX)));
        for (const auto& [key, item] : entries) {
            lua_pushlstring(L, key.constData(), static_cast<size_t>(key.size()));
            item.push(L);
            lua_rawset(L, -3);
        }
        break;
    }
    }
}

// ---- JSON --------------------------------------------------------------------------------------

QByteArray LuaValue::toJson() const
{
    detail::JsonBuffer buffer;
    JsonWriter writer(buffer);
    writeJson(writer, *this);
    return QByteArray(buffer.GetString(), static_cast<qsizetype>(buffer.GetSize()));
}

Expected<LuaValue, QString> LuaValue::fromJson(QByteArrayView json)
{
    SnapshotBuilder builder;
    if (auto parsed = detail::parseJson(json, builder); !parsed)
        return unexpected(parsed.error());
    return std::move(builder.result());
}

} // namespace lunette
