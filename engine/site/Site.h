#pragma once

// A site: a folder of Lua presenters, viewdefs and (optionally) static HTML, plus its optional
// lunette.json manifest (README "A site folder"). A Site is immutable once opened and may be
// shared between threads.

#include <memory>

#include <QString>
#include <QStringList>
#include <QStringView>

#include "lua/Expected.h"

namespace lunette {

// lunette.json. Every field is optional; unknown fields are ignored.
struct SiteManifest
{
    QString name; // "name"; empty when absent
    QString version; // "version"
    QString description; // "description": one line, for packages (desktop entry, AppStream)
    QString author; // "author": "Name <email>", a package's maintainer
    QString id; // "id": reverse-DNS application id for packages (desktop entry, AppStream)
    QString title; // "window.title"
    int width = 0; // "window.width", 0 when absent
    int height = 0; // "window.height", 0 when absent
    QString icon; // "window.icon", relative to the site root
    QStringList permissions; // "permissions": capability classes granted to the site's Lua
    QString entry = QStringLiteral("lua/main.lua"); // "entry", relative to the site root
    // "web": HTTP routes in Lua (the `web` module, docs/API.md). "prefix": where they live
    // ("/hooks" by default; not /, /api, /ws, /lunette or a session id). "public": route paths
    // that need no token, honoured only by the packaged player.
    QString webPrefix = QStringLiteral("/hooks");
    QStringList webPublic;
};

// Why a static path was not served. The server answers Forbidden with 403, NotFound with 404.
struct StaticError
{
    enum class Kind
    {
        NotFound, // no such file (or a directory without index.html)
        Forbidden, // an escape attempt: dot segment, NUL, backslash, encoded slash, or a path
                   // that leaves html/ once symlinks are resolved
    };
    Kind kind = Kind::NotFound;
    QString reason; // short, for logs
};

class Site final
{
public:
    // Opens and validates a site folder. Errors are messages for the user: the folder does not
    // exist or is not a folder, there is no entry script, or lunette.json is malformed (with its
    // path, line and column) or has a field of the wrong type (named).
    static Expected<std::shared_ptr<const Site>, QString> open(const QString& folder);

    // Canonical absolute path of the site folder (symlinks resolved), no trailing slash.
    const QString& root() const { return m_root; }
    // The manifest's name, else the folder's name.
    const QString& name() const { return m_name; }
    const SiteManifest& manifest() const { return m_manifest; }

    // Absolute path of the entry script (manifest "entry", default lua/main.lua).
    QString entryPath() const;
    QString luaDir() const;
    QString htmlDir() const;
    QString viewdefsDir() const;
    // Whether html/ exists now (it may appear or vanish while the site runs).
    bool hasHtml() const;

    // Maps a URL path exactly as received (still percent-encoded, e.g. "/sub/a%20b.css") to the
    // canonical path of an existing regular file under html/; a directory maps to its
    // index.html. Segments are decoded one by one; a decoded segment equal to "." or "..", or
    // containing '/', '\\' or NUL is refused, and so is a file whose canonical path (symlinks
    // resolved) is not inside the canonical html/ folder.
    Expected<QString, StaticError> resolveStatic(QStringView urlPath) const;

private:
    Site() = default;

    QString m_root;
    QString m_name;
    SiteManifest m_manifest;
};

} // namespace lunette
