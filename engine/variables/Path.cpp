#include "Path.h"

#include <limits>

using namespace Qt::StringLiterals;

namespace lunette::variables {

namespace {

bool parseIndex(QByteArrayView text, lua_Integer* out)
{
    if (text.isEmpty() || (text.size() > 1 && text.front() == '0'))
        return false;
    lua_Integer value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return false;
        const int digit = c - '0';
        if (value > (std::numeric_limits<lua_Integer>::max() - digit) / 10)
            return false; // too large: a name
        value = value * 10 + digit;
    }
    *out = value;
    return true;
}

PathSegment parseSegment(QByteArrayView text)
{
    PathSegment s;
    if (text.endsWith("(_)")) {
        s.kind = PathSegment::Kind::Setter;
        s.name = text.chopped(3).toByteArray();
    } else if (text.endsWith("()")) {
        s.kind = PathSegment::Kind::Getter;
        s.name = text.chopped(2).toByteArray();
    } else if (parseIndex(text, &s.index)) {
        s.kind = PathSegment::Kind::Index;
    } else {
        s.name = text.toByteArray();
    }
    return s;
}

} // namespace

ParsedPath parsePath(QByteArrayView text)
{
    ParsedPath result;
    QByteArrayView path = text;
    if (const qsizetype q = text.indexOf('?'); q >= 0) {
        path = text.first(q);
        QByteArrayView query = text.sliced(q + 1);
        while (!query.isEmpty()) {
            const qsizetype amp = query.indexOf('&');
            const QByteArrayView pair = amp < 0 ? query : query.first(amp);
            query = amp < 0 ? QByteArrayView() : query.sliced(amp + 1);
            if (pair.isEmpty())
                continue;
            const qsizetype eq = pair.indexOf('=');
            if (eq < 0)
                result.query.emplace_back(pair.toByteArray(), QByteArray());
            else
                result.query.emplace_back(pair.first(eq).toByteArray(),
                                          pair.sliced(eq + 1).toByteArray());
        }
    }
    if (path.isEmpty())
        return result;
    qsizetype start = 0;
    while (true) {
        const qsizetype dot = path.indexOf('.', start);
        const QByteArrayView segment = dot < 0 ? path.sliced(start) : path.sliced(start, dot - start);
        result.segments.push_back(parseSegment(segment));
        if (dot < 0)
            break;
        start = dot + 1;
    }
    return result;
}

bool parseAccess(QByteArrayView text, Access* out)
{
    if (text.isEmpty() || text == "rw")
        *out = Access::ReadWrite;
    else if (text == "r")
        *out = Access::Read;
    else if (text == "w")
        *out = Access::Write;
    else if (text == "action")
        *out = Access::Action;
    else
        return false;
    return true;
}

QByteArrayView accessName(Access access)
{
    switch (access) {
    case Access::ReadWrite:
        return "rw";
    case Access::Read:
        return "r";
    case Access::Write:
        return "w";
    case Access::Action:
        return "action";
    }
    return "rw";
}

QString checkPathAccess(const ParsedPath& path, Access access)
{
    const auto& segments = path.segments;
    for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
        if (segments[i].kind == PathSegment::Kind::Setter)
            return u"a setter '"_s + QString::fromUtf8(segments[i].name)
                + u"(_)' may only end a path"_s;
    }
    if (segments.empty())
        return {};
    const auto last = segments.back().kind;
    const QString accessText = QString::fromLatin1(accessName(access));
    if (last == PathSegment::Kind::Getter && access == Access::Write)
        return u"a path ending in '()' needs access r, rw or action, not w"_s;
    if (last == PathSegment::Kind::Setter && access != Access::Write && access != Access::Action)
        return u"a path ending in '(_)' needs access w or action, not "_s + accessText;
    return {};
}

QByteArray pathText(const std::vector<PathSegment>& segments, std::size_t count)
{
    QByteArray text;
    for (std::size_t i = 0; i < count && i < segments.size(); ++i) {
        if (i)
            text += '.';
        const PathSegment& s = segments[i];
        switch (s.kind) {
        case PathSegment::Kind::Index:
            text += QByteArray::number(s.index);
            break;
        case PathSegment::Kind::Getter:
            text += s.name + "()";
            break;
        case PathSegment::Kind::Setter:
            text += s.name + "(_)";
            break;
        case PathSegment::Kind::Name:
            text += s.name;
            break;
        }
    }
    return text;
}

bool callsMethod(const ParsedPath& path)
{
    for (const PathSegment& segment : path.segments) {
        if (segment.kind == PathSegment::Kind::Getter)
            return true;
    }
    return false;
}

} // namespace lunette::variables
