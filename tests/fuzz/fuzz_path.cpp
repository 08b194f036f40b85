// libFuzzer target: the variable path grammar with its ?query (engine/variables/Path.h).
//
// Input: a path as a client sends it in a create message's `path` property. Oracles:
//  * parsePath never fails; a parsed path printed back with pathText (plus its query, rebuilt)
//    parses again to the same segments and query pairs;
//  * segments are what the grammar allows (indexes >= 0 without names; text without "." or "?");
//  * checkPathAccess follows the path-ending rules for every access mode;
//  * parseAccess accepts exactly the mode names and accessName round-trips.

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include "variables/Path.h"

using namespace lunette::variables;

namespace {

[[noreturn]] void violation(const char* what, QByteArrayView input)
{
    std::fprintf(stderr, "fuzz_path: %s (input: %s)\n", what,
        QByteArray(input.data(), input.size()).toPercentEncoding().constData());
    std::abort();
}

bool sameSegments(const std::vector<PathSegment>& a, const std::vector<PathSegment>& b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].kind != b[i].kind || a[i].name != b[i].name || a[i].index != b[i].index)
            return false;
    }
    return true;
}

// The expected verdict of checkPathAccess (digest §3.3), written from the rules.
bool accessAllowed(const ParsedPath& path, Access access)
{
    const auto& segments = path.segments;
    for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
        if (segments[i].kind == PathSegment::Kind::Setter)
            return false;
    }
    if (segments.empty())
        return true;
    switch (segments.back().kind) {
    case PathSegment::Kind::Getter:
        return access != Access::Write;
    case PathSegment::Kind::Setter:
        return access == Access::Write || access == Access::Action;
    case PathSegment::Kind::Name:
    case PathSegment::Kind::Index:
        return true;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    const ParsedPath parsed = parsePath(input);

    bool hasGetter = false;
    for (const PathSegment& s : parsed.segments) {
        if (s.kind == PathSegment::Kind::Index && (s.index < 0 || !s.name.isEmpty()))
            violation("an index segment with a negative index or a name", input);
        if (s.name.contains('.') || s.name.contains('?'))
            violation("a segment name holding '.' or '?'", input);
        hasGetter = hasGetter || s.kind == PathSegment::Kind::Getter;
    }
    if (callsMethod(parsed) != hasGetter)
        violation("callsMethod disagrees with the segments", input);
    for (const auto& [key, value] : parsed.query) {
        if (key.contains('&') || key.contains('=') || value.contains('&'))
            violation("a query pair holding a separator", input);
        if (key.isEmpty() && value.isEmpty() && !input.contains("?=") && !input.contains("&="))
            violation("an empty query pair that was not sent", input);
    }

    // Printed back and parsed again: the same path.
    QByteArray text = pathText(parsed.segments, parsed.segments.size());
    const ParsedPath again = parsePath(text);
    if (!sameSegments(parsed.segments, again.segments) || !again.query.empty())
        violation("pathText does not parse back to the same segments", input);
    if (!parsed.query.empty()) {
        text += '?';
        for (std::size_t i = 0; i < parsed.query.size(); ++i) {
            if (i)
                text += '&';
            text += parsed.query[i].first + '=' + parsed.query[i].second;
        }
        const ParsedPath withQuery = parsePath(text);
        if (!sameSegments(parsed.segments, withQuery.segments) || withQuery.query != parsed.query)
            violation("the rebuilt path with its query parses differently", input);
    }
    // A prefix of the path is a path too (an empty text is the empty path, not one empty name).
    const std::size_t count = parsed.segments.size();
    for (const std::size_t n :
        { std::size_t(0), std::size_t(1), count / 2, count ? count - 1 : 0 }) {
        if (n > count)
            continue;
        const QByteArray prefixText = pathText(parsed.segments, n);
        const ParsedPath prefix = parsePath(prefixText);
        if (prefix.segments.size() != (prefixText.isEmpty() ? 0 : n))
            violation("a prefix of the path has another length", input);
    }

    for (const Access access : { Access::ReadWrite, Access::Read, Access::Write, Access::Action }) {
        const bool allowed = checkPathAccess(parsed, access).isEmpty();
        if (allowed != accessAllowed(parsed, access))
            violation("checkPathAccess breaks the path-ending rules", input);
        Access back = Access::ReadWrite;
        if (!parseAccess(accessName(access), &back) || back != access)
            violation("accessName does not parse back", input);
    }

    Access access = Access::ReadWrite;
    const bool known
        = input.isEmpty() || input == "r" || input == "w" || input == "rw" || input == "action";
    if (parseAccess(input, &access) != known)
        violation("parseAccess accepts something else than the mode names", input);
    if (known && !input.isEmpty() && accessName(access) != input)
        violation("parseAccess gives another mode than named", input);
    return 0;
}
