#pragma once

// Internal helpers shared by LuaValue's and LuaJson's JSON code: UTF-8 checks, error paths,
// number key text, the rapidjson reader setup with its SAX handler base, and the writer type. Not
// installed, not part of the engine's API; include it from engine .cpp files only.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <lua.hpp>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "Expected.h"

namespace lunette::detail {

// ---- UTF-8 -------------------------------------------------------------------------------------

// Whether `bytes` is well-formed UTF-8 (Unicode table 3-7: no overlongs, no surrogates, nothing
// above U+10FFFF). ASCII runs are skipped eight bytes at a time.
bool isValidUtf8(std::string_view bytes);

// `bytes` with each maximal ill-formed subpart replaced by one U+FFFD (the W3C/WHATWG replacement
// rule). Not what Qt 6.4's QString::fromUtf8 does: it writes one U+FFFD per bad byte.
QByteArray replaceInvalidUtf8(std::string_view bytes);

// Whether `bytes` holds an encoded UTF-16 surrogate (ED A0..BF). rapidjson validates the raw
// input but encodes a lone "\udc00" escape as-is, giving CESU-style bytes ED B0 80; well-formed
// input never has them, so spotting them is enough.
bool hasEncodedSurrogate(std::string_view bytes);

// ---- writing JSON ------------------------------------------------------------------------------

// The output buffer of every rapidjson writer in the engine: a type of its own, so that JsonWriter
// is not rapidjson::Writer<rapidjson::StringBuffer>. With RAPIDJSON_SSE2, rapidjson 1.1.0 gives
// that one type a SIMD string scan that takes only bytes below 0x1A for control characters, so
// U+001A..U+001F went out raw: invalid JSON (found by fuzz_luajson; fixed upstream after 1.1.0).
// Any other writer type gets the portable scan, which escapes every byte below 0x20.
class JsonBuffer final : public rapidjson::StringBuffer
{
};
using JsonWriter = rapidjson::Writer<JsonBuffer>;

// rapidjson's unchecked fast paths for its own buffer, kept for ours (found by argument-dependent
// lookup from inside the writer).
inline void PutReserve(JsonBuffer& buffer, std::size_t count)
{
    buffer.Reserve(count);
}
inline void PutUnsafe(JsonBuffer& buffer, char c)
{
    buffer.PutUnsafe(c);
}

// ---- numbers -----------------------------------------------------------------------------------

// Doubles with an integral value up to 2^53 print as integers: beyond that not every integer is
// representable, and the JSON readers of browsers would round them anyway.
inline constexpr double kMaxExactDouble = 9007199254740992.0; // 2^53

// Whether the JSON writers print `d` (finite) as an integer, without ".0".
inline bool printsAsInteger(double d)
{
    return std::trunc(d) == d && std::fabs(d) <= kMaxExactDouble;
}

// Room for the text of any number key, ".0" included.
inline constexpr std::size_t kNumberKeyCapacity = 40;

// Writes the text of the number at `idx` as Lua's tostring prints it ("%.14g", ".0" added to
// integral floats), but independent of the C locale, which QCoreApplication sets from the
// environment. Returns its length.  [-0, +0, -]
std::size_t formatNumberKey(lua_State* L, int idx, char (&text)[kNumberKeyCapacity]);

// ---- paths for error messages ------------------------------------------------------------------

// One step of the path shown in error messages: an array index or an object key. The key is not
// owned: it must stay alive while the segment is on a path that pathText may be asked for.
struct PathSegment
{
    bool isIndex = false;
    lua_Integer index = 0;
    std::string_view key;
};

// Whether `key` reads as a Lua identifier (ASCII letters, digits and "_", no leading digit).
bool isIdentifier(std::string_view key);

// The path as Lua-like text: "(root)", or steps such as .name, [3] and ["odd key"] (keys shown
// cut to 40 bytes, with quotes and backslashes escaped).
QByteArray pathText(const std::vector<PathSegment>& path);

// Base of the walkers that turn a Lua value into something else (LuaValue's snapshot, LuaJson's
// encoder): the path of the value being visited, the tables open on it, and the first error.
class TableWalker
{
public:
    // What went wrong and where, e.g. "cycle detected at .a.b".
    const QByteArray& error() const { return m_error; }

protected:
    // Records `what` at the current path; returns false.
    bool fail(const QByteArray& what);
    // Whether `table` is open on the current path: visiting it again is a cycle, while a table
    // met twice elsewhere is only shared.
    bool isOpen(const void* table) const
    {
        return std::find(m_open.begin(), m_open.end(), table) != m_open.end();
    }

    std::vector<const void*> m_open; // tables on the current path
    std::vector<PathSegment> m_path;

private:
    QByteArray m_error;
};

// ---- reading JSON ------------------------------------------------------------------------------

// "invalid JSON at offset <offset>: <what>", the message of every decoding error.
QString jsonError(std::size_t offset, const QByteArray& what);

// Base of the decoders' rapidjson SAX handlers (CRTP). It maps the number callbacks onto
// Derived::integer(qint64) and Derived::number(double) (integers beyond int64 become floats),
// refuses strings and keys that hold a lone surrogate escape before passing them to
// Derived::string(s, len) and Derived::key(s, len), and keeps the reason of a failed callback for
// parseJson. Derived adds Null, Bool, StartObject, StartArray, EndObject and EndArray.
template <typename Derived> class JsonSaxHandler
{
public:
    bool Int(int i) { return self().integer(i); }
    bool Uint(unsigned u) { return self().integer(u); }
    bool Int64(int64_t i) { return self().integer(i); }
    bool Uint64(uint64_t u)
    {
        if (u > static_cast<uint64_t>(std::numeric_limits<qint64>::max()))
            return self().number(static_cast<double>(u));
        return self().integer(static_cast<qint64>(u));
    }
    bool Double(double d) { return self().number(d); }
    bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; } // not requested
    bool String(const char* s, rapidjson::SizeType len, bool)
    {
        if (hasEncodedSurrogate({ s, len }))
            return fail("lone surrogate escape in string");
        return self().string(s, len);
    }
    bool Key(const char* s, rapidjson::SizeType len, bool)
    {
        if (hasEncodedSurrogate({ s, len }))
            return fail("lone surrogate escape in key");
        return self().key(s, len);
    }

    // Why a callback returned false.
    const QByteArray& error() const { return m_error; }

protected:
    bool fail(const QByteArray& what)
    {
        m_error = what;
        return false;
    }
    // Whether a container may open at `depth` (the top-level value is depth 0); fails otherwise.
    bool checkDepth(std::size_t depth, int maxDepth)
    {
        if (depth > static_cast<std::size_t>(maxDepth))
            return fail("nesting deeper than " + QByteArray::number(maxDepth));
        return true;
    }

private:
    Derived& self() { return static_cast<Derived&>(*this); }

    QByteArray m_error;
};

// Parses `json` with `handler`: iterative (deep nesting stays off the C stack; the depth limit
// lives in the handler), validating UTF-8, full-precision numbers. Errors carry the byte offset;
// a failed callback reports handler.error(), and a NUL byte (which the stream takes for the end
// of input, so "1\0junk" would stop early) is an error too.
template <typename Handler> Expected<void, QString> parseJson(QByteArrayView json, Handler& handler)
{
    constexpr unsigned kFlags = rapidjson::kParseIterativeFlag
        | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseFullPrecisionFlag;
    rapidjson::MemoryStream stream(json.data(), static_cast<std::size_t>(json.size()));
    rapidjson::Reader reader;
    const rapidjson::ParseResult result = reader.Parse<kFlags>(stream, handler);
    if (result.IsError()) {
        const QByteArray what = result.Code() == rapidjson::kParseErrorTermination
            ? handler.error()
            : QByteArray(rapidjson::GetParseError_En(result.Code()));
        return unexpected(jsonError(result.Offset(), what));
    }
    if (stream.Tell() != static_cast<std::size_t>(json.size()))
        return unexpected(jsonError(stream.Tell(), "unexpected NUL byte"));
    return {};
}

} // namespace lunette::detail
