#pragma once

// The key/value store behind the `storage` module (LUA_API.md "Modules"): one JSON object in
// `<data folder>/storage.json` (DataDir.h says where the data folder is), its values kept as the
// JSON text LuaJson writes. The file is loaded on first use and rewritten whole and atomically
// (QSaveFile: a temporary file, flushed to disk, renamed over the old one) on every change, so a
// crash at any moment leaves either the old or the new complete file. That is fine for what a
// desktop site keeps (settings, small documents); the file is limited to kMaxFileBytes.
//
// One store per data folder per process, shared by every session of the site while any of them
// holds it (forDirectory), so sessions see each other's writes at once. Thread-safe.
//
// A file that cannot be parsed is never overwritten: it is renamed to
// `storage.json.corrupt-<yyyyMMdd-HHmmss-zzz>`, a warning is logged (and kept for takeWarning),
// and the store starts empty. A file that cannot be read (or set aside) makes every operation
// fail with an Io error instead, and loading is tried again on the next one.
//
// A killed writer may leave its temporary file (`storage.json.XXXXXX`) behind; it is ignored.

#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include <QByteArray>
#include <QList>
#include <QString>

#include "lua/Expected.h"

namespace lunette {

class SiteStorage final
{
public:
    static constexpr qsizetype kMaxFileBytes = 16 * 1024 * 1024;
    static constexpr qsizetype kMaxKeyBytes = 256;

    struct Failure
    {
        enum class Kind
        {
            Invalid, // a bad key, or the file would grow beyond kMaxFileBytes
            Io, // the file or its folder cannot be read or written
        };
        Kind kind = Kind::Io;
        QString message;
    };

    // The store of the data folder `directory` (absolute), shared while someone holds it.
    static std::shared_ptr<SiteStorage> forDirectory(const QString& directory);

    explicit SiteStorage(QString directory);
    SiteStorage(const SiteStorage&) = delete;
    SiteStorage& operator=(const SiteStorage&) = delete;

    const QString& directory() const { return m_directory; }
    QString filePath() const;

    // Keys are non-empty UTF-8 strings of at most kMaxKeyBytes bytes; an empty message when
    // `key` is one, else why not.
    static QString checkKey(const QByteArray& key);

    // The JSON text of the value under key, or nullopt.
    Expected<std::optional<QByteArray>, Failure> get(const QByteArray& key);
    // Stores `json` (one JSON value as LuaJson::encode writes it) under key; "null" removes the
    // key. The file is rewritten before this returns; on failure nothing changed.
    Expected<void, Failure> set(const QByteArray& key, const QByteArray& json);
    // Removes key; whether it was there.
    Expected<bool, Failure> remove(const QByteArray& key);
    // Every key, sorted bytewise (as Lua compares strings).
    Expected<QList<QByteArray>, Failure> keys();

    // The warning of the last load (a corrupt file set aside), once; empty otherwise.
    QString takeWarning();

private:
    Expected<void, Failure> ensureLoaded(); // m_mutex held
    // Writes the entries with `key` set to `json` (nullopt: removed). m_mutex held.
    Expected<void, Failure> write(const QByteArray& key, const std::optional<QByteArray>& json);

    const QString m_directory;
    std::mutex m_mutex;
    bool m_loaded = false;
    std::map<QByteArray, QByteArray> m_entries; // key -> value JSON text
    qsizetype m_fileBytes = 0; // size of the file as last written or read
    QString m_warning;
};

} // namespace lunette
