#pragma once

// LuaValue: an immutable snapshot of a Lua value that may leave the executor thread
// (STYLE.md rule 9). nil / boolean / integer / double / string / array / map only; tables are
// copied deeply with cycle, depth and size limits. Copies are cheap (arrays and maps are shared,
// strings are implicitly shared QByteArrays) and safe to read from any thread.

#include <memory>
#include <utility>
#include <variant>
#include <vector>

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include "Expected.h"

struct lua_State;

namespace lunette {

class LuaValue
{
public:
    enum class Type { Nil, Boolean, Integer, Double, String, Array, Map };
    using Array = std::vector<LuaValue>;
    // Keys are unique and sorted (bytewise), so equal tables give equal snapshots.
    using Map = std::vector<std::pair<QByteArray, LuaValue>>;

    struct Limits
    {
        int maxDepth = 64; // nesting of tables; the top-level value is depth 0
        qsizetype maxElements = 1'000'000; // total array items + map entries
        qsizetype maxBytes = 64 * 1024 * 1024; // total bytes of strings and keys
        // Functions, userdata and threads: an error by default; with this flag they become
        // their tostring() text ("function: 0x...") so a debugger view can still show them.
        bool opaqueAsString = false;
    };

    LuaValue() = default; // nil
    static LuaValue boolean(bool b);
    static LuaValue integer(qint64 i);
    static LuaValue number(double d);
    static LuaValue string(QByteArray bytes); // Lua strings are bytes (normally UTF-8)
    static LuaValue string(const QString& text);
    static LuaValue array(Array items);
    static LuaValue map(Map entries); // sorts by key; a later duplicate key wins

    Type type() const { return static_cast<Type>(m_data.index()); }
    bool isNil() const { return type() == Type::Nil; }
    bool isBoolean() const { return type() == Type::Boolean; }
    bool isInteger() const { return type() == Type::Integer; }
    bool isDouble() const { return type() == Type::Double; }
    bool isNumber() const { return isInteger() || isDouble(); }
    bool isString() const { return type() == Type::String; }
    bool isArray() const { return type() == Type::Array; }
    bool isMap() const { return type() == Type::Map; }

    bool toBool() const; // Lua truthiness: only nil and false are false
    qint64 toInteger() const; // integers as is, doubles truncated, anything else 0
    double toDouble() const; // integers converted, anything else 0.0
    QByteArray toBytes() const; // string bytes, else empty
    QString toString() const; // string decoded as UTF-8, else empty
    const Array& toArray() const; // empty array unless isArray()
    const Map& toMap() const; // empty map unless isMap()
    qsizetype size() const; // items of an array / entries of a map, else 0
    const LuaValue* find(QByteArrayView key) const; // map lookup, nullptr when absent
    const char* typeName() const;

    bool operator==(const LuaValue& other) const;

    // Snapshot of the value at `idx` (raw access: metamethods are not called).
    // Errors name the problem and the path, e.g. "cycle detected at .a.b".
    // [-0, +0, m] (`e` with opaqueAsString when a userdata has __tostring)
    static Expected<LuaValue, QString> fromStack(lua_State* L, int idx, const Limits& limits);
    static Expected<LuaValue, QString> fromStack(lua_State* L, int idx)
    {
        return fromStack(L, idx, Limits {});
    }
    // Push a fresh Lua value equal to this snapshot (arrays 1-based, maps as string keys). [-0, +1, m]
    void push(lua_State* L) const;

    // Compact JSON text (same rules as LuaJson: integral numbers without ".0", empty array "[]").
    // Invalid UTF-8 in strings is replaced with U+FFFD; NaN/inf become null.
    QByteArray toJson() const;
    // Parse JSON text into a snapshot; null becomes nil. Errors carry the byte offset.
    static Expected<LuaValue, QString> fromJson(QByteArrayView json);

private:
    using ArrayPtr = std::shared_ptr<const Array>;
    using MapPtr = std::shared_ptr<const Map>;
    std::variant<std::monostate, bool, qint64, double, QByteArray, ArrayPtr, MapPtr> m_data;
};

} // namespace lunette
