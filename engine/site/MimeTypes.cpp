#include "MimeTypes.h"

#include <array>
#include <utility>

#include <QMimeDatabase>
#include <QMimeType>

namespace lunette {

namespace {

struct Entry
{
    const char* extension;
    const char* type;
};

// Browsers refuse module scripts and stylesheets with the wrong type (X-Content-Type-Options:
// nosniff is always sent), so the web types never come from the system database.
constexpr std::array kWebTypes {
    Entry { "html", "text/html; charset=utf-8" },
    Entry { "htm", "text/html; charset=utf-8" },
    Entry { "js", "text/javascript; charset=utf-8" },
    Entry { "mjs", "text/javascript; charset=utf-8" },
    Entry { "css", "text/css; charset=utf-8" },
    Entry { "json", "application/json" },
    Entry { "map", "application/json" },
    Entry { "svg", "image/svg+xml" },
    Entry { "png", "image/png" },
    Entry { "jpg", "image/jpeg" },
    Entry { "jpeg", "image/jpeg" },
    Entry { "gif", "image/gif" },
    Entry { "webp", "image/webp" },
    Entry { "ico", "image/x-icon" },
    Entry { "woff", "font/woff" },
    Entry { "woff2", "font/woff2" },
    Entry { "ttf", "font/ttf" },
    Entry { "otf", "font/otf" },
    Entry { "wasm", "application/wasm" },
    Entry { "txt", "text/plain; charset=utf-8" },
};

} // namespace

QByteArray mimeTypeFor(const QString& fileName)
{
    const qsizetype slash = fileName.lastIndexOf(u'/');
    const qsizetype dot = fileName.lastIndexOf(u'.');
    if (dot > slash && dot >= 0) {
        const QString extension = fileName.mid(dot + 1).toLower();
        for (const Entry& entry : kWebTypes) {
            if (extension == QLatin1StringView(entry.extension))
                return QByteArray(entry.type);
        }
    }

    // By name only: reading the content could misidentify a file the site calls something else.
    static const QMimeDatabase database;
    const QMimeType type = database.mimeTypeForFile(fileName, QMimeDatabase::MatchExtension);
    if (type.isValid() && !type.isDefault()) {
        QByteArray name = type.name().toUtf8();
        if (type.inherits(QStringLiteral("text/plain")))
            name += "; charset=utf-8";
        return name;
    }
    return QByteArrayLiteral("application/octet-stream");
}

} // namespace lunette
