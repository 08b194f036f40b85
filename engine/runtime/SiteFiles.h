#pragma once

// The files behind the `fs` module (LUA_API.md "Modules"): everything happens inside one data
// folder (DataDir.h says which), created on the first write.
//
// Paths are relative, with '/' between segments; empty and "." segments are ignored, so "" and
// "." name the data folder itself. Refused with PermissionDenied, before touching the disk: an
// absolute path, a ".." segment, a backslash, a NUL. Then every existing segment is followed on
// disk: a symbolic link must lead (canonically) inside the data folder, else PermissionDenied —
// a link to nowhere too, since writing through it would create its target. What the operations
// then open is that resolved path, in which no existing segment is a link any more.
//
// `storage.json` and its siblings (`storage.json.*`) at the top of the folder belong to the
// storage module (SiteStorage.h): fs may read and list them, not change them.
//
// Writes are atomic (QSaveFile); appends are not. Files are limited to kMaxFileBytes, for
// reading and for writing, so everything written can be read back.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include "lua/Expected.h"
#include "runtime/Errors.h"

namespace lunette {

class SiteFiles final
{
public:
    static constexpr qint64 kMaxFileBytes = 64 * 1024 * 1024;

    struct Failure
    {
        ErrorKind kind = ErrorKind::Io;
        QString message;
    };
    struct Entry
    {
        QString name;
        bool isDir = false;
        qint64 size = 0; // bytes; 0 for folders
    };

    // `directory`: the data folder, absolute; it need not exist.
    explicit SiteFiles(QString directory);

    const QString& directory() const { return m_directory; }

    // The absolute path `path` stands for, with existing symbolic links resolved, when it is a
    // path inside the data folder (see above). The data folder is created first when `create`.
    Expected<QString, Failure> resolve(const QString& path, bool create = false) const;

    Expected<QByteArray, Failure> read(const QString& path) const;
    // Replaces (or creates) the file atomically; creates the missing parent folders.
    Expected<void, Failure> write(const QString& path, QByteArrayView data) const;
    // Adds to the end of the file (created when missing, with its parent folders).
    Expected<void, Failure> append(const QString& path, QByteArrayView data) const;
    // The entries of a folder, sorted by name (bytewise in UTF-8). Links that lead outside the
    // data folder, or nowhere, are left out. The data folder itself lists as empty before it
    // exists.
    Expected<QList<Entry>, Failure> list(const QString& path) const;
    Expected<bool, Failure> exists(const QString& path) const;
    // A file, or an empty folder.
    Expected<void, Failure> remove(const QString& path) const;
    // Creates the folder and its missing parents; succeeds when it exists already.
    Expected<void, Failure> mkdir(const QString& path) const;

private:
    const QString m_directory;
};

} // namespace lunette
