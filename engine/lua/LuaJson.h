#pragma once

// Lua value <-> JSON text on the hot path, with rapidjson (no QJsonDocument: PERFORMANCE.md P3).
//
// Encoding rules (PROTOCOL.md, "Value JSON"):
//  * nil -> null; booleans and strings as is; integers, and floats with an integral value that
//    fit in 53 bits, print without ".0"; other floats shortest round-trip; NaN/inf are an error.
//  * A table is an *array* when it has no `type` (neither an own field nor a field of its
//    metatable), at least one positive integer key, and no other keys except strings that start
//    with "_" (those are skipped). Holes become null. An empty table with no `type` is `[]`,
//    unless it carries the object marker metatable (json.decode("{}") gives one), then `{}`.
//    A table with the array marker metatable (json.array) is always an array.
//  * Every other table is an object; keys are sorted bytewise so equal tables give equal text;
//    integer and float keys are written as their decimal text; other key types are an error.
//  * Functions, userdata and threads are an error (the variable layer turns objects into refs
//    before it gets here). Cycles and nesting deeper than maxDepth are errors. Strings must be
//    valid UTF-8.
//
// Decoding: objects and arrays become tables (arrays 1-based), integers that fit in int64 become
// Lua integers, other numbers floats, null becomes nil (or the `nullValue` sentinel when given),
// an empty object gets the object marker metatable so it encodes back as `{}`. Invalid UTF-8,
// nesting deeper than maxDepth and trailing garbage are errors with the byte offset.

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include "Expected.h"

struct lua_State;

namespace lunette::LuaJson {

struct EncodeOptions
{
    bool pretty = false; // 2-space indentation
    int maxDepth = 128;
};

struct DecodeOptions
{
    int maxDepth = 128;
    // Stack index of a value to push for JSON null (e.g. json.null); 0 = push nil.
    int nullValue = 0;
};

// Encode the value at `idx`.  [-0, +0, m]
Expected<QByteArray, QString> encode(lua_State* L, int idx, const EncodeOptions& options = {});

// Parse `json` and push the resulting value; on error push nothing.  [-0, +(0|1), m]
Expected<void, QString> decode(lua_State* L, QByteArrayView json,
                               const DecodeOptions& options = {});

// Registry keys of the two marker metatables.  [-0, +1, m]
void pushObjectMarker(lua_State* L);
void pushArrayMarker(lua_State* L);
// The json.null sentinel of this state: a table that encodes as null (decode gives it for null
// with DecodeOptions::nullValue).  [-0, +1, m]
void pushNull(lua_State* L);

} // namespace lunette::LuaJson
