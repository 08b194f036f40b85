#include "Site.h"

#include <cmath>
#include <utility>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>
#include <QRegularExpression>
#include <QUrl>

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

// 1-based line and column (in characters) of a byte offset into UTF-8 text.
std::pair<int, int> lineAndColumn(const QByteArray& text, qsizetype offset)
{
    offset = qBound(qsizetype(0), offset, text.size());
    int line = 1;
    int column = 1;
    for (qsizetype i = 0; i < offset; ++i) {
        const auto byte = static_cast<unsigned char>(text.at(i));
        if (byte == '\n') {
            ++line;
            column = 1;
        } else if ((byte & 0xC0) != 0x80) { // UTF-8 continuation bytes do not start a character
            ++column;
        }
    }
    return { line, column };
}

// A manifest path must stay inside the site: relative, no dot-dot, forward slashes only.
bool isInsideRelativePath(const QString& path)
{
    if (path.isEmpty() || path.contains(u'\\') || path.contains(QChar(0))
        || QDir::isAbsolutePath(path))
        return false;
    const QStringList segments = path.split(u'/', Qt::SkipEmptyParts);
    for (const QString& segment : segments) {
        if (segment == ".."_L1)
            return false;
    }
    return !segments.isEmpty();
}

// web.prefix: "/seg[/seg…]" with unreserved URL characters only, whose first segment is none of
// the server's own (api, ws, lunette) and not shaped like a session id.
bool isWebPrefix(const QString& prefix)
{
    static const QRegularExpression form(u"^(/[A-Za-z0-9._~-]+)+$"_s);
    if (!form.match(prefix).hasMatch())
        return false;
    const QString first = prefix.section(u'/', 1, 1);
    if (first == u"."_s || first == u".."_s || prefix.contains(u"/../"_s)
        || prefix.endsWith(u"/.."_s) || prefix.contains(u"/./"_s) || prefix.endsWith(u"/."_s))
        return false;
    static const QRegularExpression sessionId(u"^[0-9a-f]{32}$"_s);
    return first != u"api"_s && first != u"ws"_s && first != u"lunette"_s
        && !sessionId.match(first).hasMatch();
}

class ManifestReader
{
public:
    explicit ManifestReader(QString displayPath) : m_path(std::move(displayPath)) { }

    Expected<SiteManifest, QString> read(const QByteArray& text)
    {
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(text, &parseError);
        if (parseError.error != QJsonParseError::NoError) {
            const auto [line, column] = lineAndColumn(text, parseError.offset);
            return unexpected(u"%1:%2:%3: invalid JSON: %4"_s.arg(m_path).arg(line).arg(column).arg(
                parseError.errorString()));
        }
        if (!document.isObject())
            return unexpected(m_path + u": the top level must be a JSON object"_s);

        SiteManifest manifest;
        const QJsonObject root = document.object();
        if (!readString(root, u"name"_s, u"name"_s, manifest.name)
            || !readString(root, u"version"_s, u"version"_s, manifest.version)
            || !readString(root, u"description"_s, u"description"_s, manifest.description)
            || !readString(root, u"author"_s, u"author"_s, manifest.author)
            || !readString(root, u"id"_s, u"id"_s, manifest.id)
            || !readString(root, u"entry"_s, u"entry"_s, manifest.entry))
            return unexpected(m_error);
        if (root.contains(u"entry"_s) && !isInsideRelativePath(manifest.entry))
            return unexpected(fieldError(u"entry"_s, u"a relative path inside the site"_s));

        const QJsonValue window = root.value(u"window"_s);
        if (!window.isUndefined() && !window.isNull()) {
            if (!window.isObject())
                return unexpected(fieldError(u"window"_s, u"an object"_s));
            const QJsonObject object = window.toObject();
            if (!readString(object, u"title"_s, u"window.title"_s, manifest.title)
                || !readString(object, u"icon"_s, u"window.icon"_s, manifest.icon)
                || !readSize(object, u"width"_s, u"window.width"_s, manifest.width)
                || !readSize(object, u"height"_s, u"window.height"_s, manifest.height))
                return unexpected(m_error);
            if (object.contains(u"icon"_s) && !isInsideRelativePath(manifest.icon))
                return unexpected(
                    fieldError(u"window.icon"_s, u"a relative path inside the site"_s));
        }

        const QJsonValue web = root.value(u"web"_s);
        if (!web.isUndefined() && !web.isNull()) {
            if (!web.isObject())
                return unexpected(fieldError(u"web"_s, u"an object"_s));
            const QJsonObject object = web.toObject();
            if (!readString(object, u"prefix"_s, u"web.prefix"_s, manifest.webPrefix))
                return unexpected(m_error);
            if (!isWebPrefix(manifest.webPrefix))
                return unexpected(fieldError(u"web.prefix"_s,
                    u"a path like \"/hooks\" (letters, digits, '-', '_', '.', '~' between "
                    "slashes; not /api, /ws, /lunette or a session id)"_s));
            const QJsonValue open = object.value(u"public"_s);
            if (!open.isUndefined()) {
                if (!open.isArray())
                    return unexpected(fieldError(u"web.public"_s, u"an array of route paths"_s));
                for (const QJsonValue& path : open.toArray()) {
                    const QString text = path.toString();
                    if (!path.isString()
                        || !(text == manifest.webPrefix
                            || text.startsWith(manifest.webPrefix + u'/')))
                        return unexpected(fieldError(u"web.public"_s,
                            u"an array of route paths under web.prefix (%1)"_s.arg(
                                manifest.webPrefix)));
                    manifest.webPublic.append(text);
                }
            }
        }

        const QJsonValue permissions = root.value(u"permissions"_s);
        if (!permissions.isUndefined() && !permissions.isNull()) {
            if (!permissions.isArray())
                return unexpected(fieldError(u"permissions"_s, u"an array of strings"_s));
            for (const QJsonValue& permission : permissions.toArray()) {
                if (!permission.isString())
                    return unexpected(fieldError(u"permissions"_s, u"an array of strings"_s));
                manifest.permissions.append(permission.toString());
            }
        }
        return manifest;
    }

private:
    QString fieldError(const QString& field, const QString& expected) const
    {
        return u"%1: \"%2\" must be %3"_s.arg(m_path, field, expected);
    }

    bool readString(
        const QJsonObject& object, const QString& key, const QString& field, QString& out)
    {
        const QJsonValue value = object.value(key);
        if (value.isUndefined())
            return true;
        if (!value.isString()) {
            m_error = fieldError(field, u"a string"_s);
            return false;
        }
        out = value.toString();
        return true;
    }

    bool readSize(const QJsonObject& object, const QString& key, const QString& field, int& out)
    {
        const QJsonValue value = object.value(key);
        if (value.isUndefined())
            return true;
        const double number = value.toDouble(-1);
        if (!value.isDouble() || number < 1 || number > 100000 || number != std::floor(number)) {
            m_error = fieldError(field, u"a positive integer"_s);
            return false;
        }
        out = static_cast<int>(number);
        return true;
    }

    QString m_path;
    QString m_error;
};

StaticError staticError(StaticError::Kind kind, QString reason)
{
    return StaticError { kind, std::move(reason) };
}

} // namespace

Expected<std::shared_ptr<const Site>, QString> Site::open(const QString& folder)
{
    if (folder.isEmpty())
        return unexpected(u"no site folder given"_s);
    const QString shown = QDir::toNativeSeparators(folder);
    const QFileInfo info(folder);
    if (!info.exists())
        return unexpected(u"'%1' does not exist"_s.arg(shown));
    if (!info.isDir())
        return unexpected(u"'%1' is not a folder"_s.arg(shown));

    std::shared_ptr<Site> site(new Site);
    site->m_root = info.canonicalFilePath();

    const QString manifestPath = site->m_root + u"/lunette.json"_s;
    const QFileInfo manifestInfo(manifestPath);
    if (manifestInfo.exists()) {
        const QString manifestShown = QDir::toNativeSeparators(manifestPath);
        QFile file(manifestPath);
        if (!manifestInfo.isFile() || !file.open(QIODevice::ReadOnly))
            return unexpected(u"cannot read '%1': %2"_s.arg(
                manifestShown, manifestInfo.isFile() ? file.errorString() : u"not a file"_s));
        auto manifest = ManifestReader(manifestShown).read(file.readAll());
        if (!manifest)
            return unexpected(manifest.error());
        site->m_manifest = std::move(manifest).value();
    }

    if (!QFileInfo(site->entryPath()).isFile())
        return unexpected(u"'%1' is not a site: it has no %2"_s.arg(shown, site->m_manifest.entry));

    site->m_name = site->m_manifest.name.isEmpty() ? QFileInfo(site->m_root).fileName()
                                                   : site->m_manifest.name;
    return std::shared_ptr<const Site>(std::move(site));
}

QString Site::entryPath() const
{
    return QDir::cleanPath(m_root + u'/' + m_manifest.entry);
}

QString Site::luaDir() const
{
    return m_root + u"/lua"_s;
}

QString Site::htmlDir() const
{
    return m_root + u"/html"_s;
}

QString Site::viewdefsDir() const
{
    return m_root + u"/viewdefs"_s;
}

bool Site::hasHtml() const
{
    return QFileInfo(htmlDir()).isDir();
}

Expected<QString, StaticError> Site::resolveStatic(QStringView urlPath) const
{
    using Kind = StaticError::Kind;
    if (urlPath.contains(u'\\') || urlPath.contains(QChar(0)))
        return unexpected(staticError(Kind::Forbidden, u"backslash or NUL in path"_s));

    // Decode segment by segment: an encoded slash must not create a new segment, and an encoded
    // dot-dot must be seen as one.
    QStringList segments;
    for (const QStringView raw : urlPath.tokenize(u'/', Qt::SkipEmptyParts)) {
        const QString segment = QUrl::fromPercentEncoding(raw.toUtf8());
        if (segment == "."_L1 || segment == ".."_L1)
            return unexpected(staticError(Kind::Forbidden, u"dot segment in path"_s));
        if (segment.contains(u'/') || segment.contains(u'\\') || segment.contains(QChar(0)))
            return unexpected(
                staticError(Kind::Forbidden, u"encoded slash, backslash or NUL in path"_s));
        segments.append(segment);
    }

    const QString htmlRoot = QFileInfo(htmlDir()).canonicalFilePath();
    if (htmlRoot.isEmpty())
        return unexpected(staticError(Kind::NotFound, u"the site has no html folder"_s));

    QString candidate = segments.isEmpty() ? htmlRoot : htmlRoot + u'/' + segments.join(u'/');
    QFileInfo info(candidate);
    if (info.isDir()) {
        candidate += u"/index.html"_s;
        info.setFile(candidate);
    }
    if (!info.exists())
        return unexpected(staticError(Kind::NotFound, u"no such file"_s));

    // Symlinks are followed, but the target must still be inside html/.
    const QString canonical = info.canonicalFilePath();
    if (canonical.isEmpty())
        return unexpected(staticError(Kind::NotFound, u"no such file"_s));
    if (!canonical.startsWith(htmlRoot + u'/'))
        return unexpected(staticError(Kind::Forbidden, u"path leaves the site's html folder"_s));
    if (!QFileInfo(canonical).isFile())
        return unexpected(staticError(Kind::NotFound, u"not a regular file"_s));
    return canonical;
}

} // namespace lunette
