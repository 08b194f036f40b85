#include "JsonText.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace lunette::detail {

namespace {

// Length of the well-formed UTF-8 sequence at p (p < end), or minus the length of its maximal
// ill-formed subpart.
inline int utf8Sequence(const unsigned char* p, const unsigned char* end)
{
    const unsigned char c = *p;
    if (c < 0x80)
        return 1;
    int need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return -1;
    }
    int len = 1;
    for (int i = 0; i < need; ++i) {
        if (p + len >= end || p[len] < lo || p[len] > hi)
            return -len;
        ++len;
        lo = 0x80;
        hi = 0xBF;
    }
    return len;
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

} // namespace

bool isValidUtf8(std::string_view bytes)
{
    auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    auto* end = p + bytes.size();
    while (p < end) {
        // Most strings are ASCII: skip eight bytes at a time while no high bit is set.
        std::uint64_t word;
        if (end - p >= 8 && (std::memcpy(&word, p, 8), (word & 0x8080808080808080ULL) == 0)) {
            p += 8;
            continue;
        }
        if (*p < 0x80) {
            ++p;
            continue;
        }
        const int n = utf8Sequence(p, end);
        if (n < 0)
            return false;
        p += n;
    }
    return true;
}

QByteArray replaceInvalidUtf8(std::string_view bytes)
{
    QByteArray out;
    out.reserve(static_cast<qsizetype>(bytes.size()) + 8);
    auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    auto* end = p + bytes.size();
    while (p < end) {
        const int n = utf8Sequence(p, end);
        if (n > 0) {
            out.append(reinterpret_cast<const char*>(p), n);
            p += n;
        } else {
            out.append("\xEF\xBF\xBD", 3);
            p -= n;
        }
    }
    return out;
}

bool hasEncodedSurrogate(std::string_view bytes)
{
    const char* end = bytes.data() + bytes.size();
    for (const char* p = bytes.data();
         (p = static_cast<const char*>(std::memchr(p, 0xED, static_cast<std::size_t>(end - p))));) {
        ++p;
        if (p < end && static_cast<unsigned char>(*p) >= 0xA0)
            return true;
    }
    return false;
}

std::size_t formatNumberKey(lua_State* L, int idx, char (&text)[kNumberKeyCapacity])
{
    std::to_chars_result r;
    char* end = text + kNumberKeyCapacity - 2; // room for ".0"
    if (lua_isinteger(L, idx)) {
        r = std::to_chars(text, end, static_cast<long long>(lua_tointeger(L, idx)));
    } else {
        r = std::to_chars(
            text, end, static_cast<double>(lua_tonumber(L, idx)), std::chars_format::general, 14);
        if (std::all_of(text, r.ptr, [](char c) { return c == '-' || isDigit(c); })) {
            *r.ptr++ = '.';
            *r.ptr++ = '0';
        }
    }
    return static_cast<std::size_t>(r.ptr - text);
}

bool isIdentifier(std::string_view key)
{
    if (key.empty() || isDigit(key.front()))
        return false;
    return std::all_of(key.begin(), key.end(), [](char c) {
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c);
    });
}

QByteArray pathText(const std::vector<PathSegment>& path)
{
    if (path.empty())
        return QByteArrayLiteral("(root)");
    QByteArray text;
    for (const PathSegment& segment : path) {
        const QByteArrayView key(segment.key.data(), static_cast<qsizetype>(segment.key.size()));
        if (segment.isIndex) {
            text += '[' + QByteArray::number(segment.index) + ']';
        } else if (isIdentifier(segment.key)) {
            text += '.' + key.toByteArray();
        } else {
            // Keep messages short and printable even for huge or binary keys.
            QByteArray shown = key.first(std::min<qsizetype>(key.size(), 40)).toByteArray();
            shown.replace('\\', "\\\\").replace('"', "\\\"");
            text += "[\"" + shown + (key.size() > 40 ? "...\"]" : "\"]");
        }
    }
    return text;
}

bool TableWalker::fail(const QByteArray& what)
{
    m_error = what + " at " + pathText(m_path);
    return false;
}

QString jsonError(std::size_t offset, const QByteArray& what)
{
    return QStringLiteral("invalid JSON at offset %1: %2")
        .arg(static_cast<qulonglong>(offset))
        .arg(QString::fromUtf8(what));
}

} // namespace lunette::detail
