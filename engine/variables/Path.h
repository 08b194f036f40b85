#pragma once

// Variable paths (ui-engine digest §3.4):
//   fullPath := path ["?" query];  path := segment {"." segment}
//   segment  := index ("0" | [1-9][0-9]*, 0-based) | name "()" (getter) | name "(_)" (setter) | name
//   query    := key[=value] {"&" key[=value]}  (split verbatim; a missing value is "")
// Any other text is a field name, used verbatim ("01" and "-1" are names; ".." gives empty names,
// which resolve to nil).

#include <utility>
#include <vector>

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <lua.hpp>

namespace lunette::variables {

struct PathSegment
{
    enum class Kind { Name, Index, Getter, Setter };
    Kind kind = Kind::Name;
    QByteArray name; // field or method name (empty for Index)
    lua_Integer index = 0; // 0-based (Index only)
};

struct ParsedPath
{
    std::vector<PathSegment> segments;
    std::vector<std::pair<QByteArray, QByteArray>> query; // ?k=v pairs, in order
};

enum class Access { ReadWrite, Read, Write, Action };

// True when reading the path calls Lua code (a getter segment anywhere).
bool callsMethod(const ParsedPath& path);

ParsedPath parsePath(QByteArrayView text);

// "r", "w", "rw", "action" (empty = rw). False for anything else.
bool parseAccess(QByteArrayView text, Access* out);
QByteArrayView accessName(Access access);

// The path-ending rules of digest §3.3: a setter only as the last segment; a path ending in "()"
// needs access r, rw or action; one ending in "(_)" needs w or action. Empty string when valid,
// else the reason.
QString checkPathAccess(const ParsedPath& path, Access access);

// The path as text again (without the query), for error messages.
QByteArray pathText(const std::vector<PathSegment>& segments, std::size_t count);

} // namespace lunette::variables
