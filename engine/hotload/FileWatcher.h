#pragma once

// FileWatcher: the site's files, watched for live editing (HOTLOAD.md, ui-engine digest §7). The
// only user of QFileSystemWatcher in Lunette. It reports files by *tracking key* (see
// trackingKey() below) and smooths over what editors and file systems do:
//
//   * per-file debounce: a file is reported once it has been quiet for the quiet period (100 ms
//     by default, checked every 25 ms), so a burst of saves gives one signal;
//   * content hash: a save that leaves the bytes as they were gives no signal; the first sight of
//     a file (watchDirectory) records its hash without signalling;
//   * atomic saves (temp file renamed over the original) and delete + re-create keep the file
//     watched: the inotify watch that followed the old inode is re-armed on the new one;
//   * new files (and, for recursive watches, new sub-folders) in watched folders are picked up;
//   * symlinked files: the folder of every symlink's target is watched too (reference-counted, so
//     several symlinks into one folder share one watch); a change of the target is reported under
//     the symlink's tracking key; re-pointing or removing a symlink moves or drops that watch.
//     Symlinked folders inside a recursive watch are followed (loops are skipped).
//
// It lives on the thread that creates it, never blocks and never touches Lua. Not thread-safe:
// call it from its own thread. Hidden files (".name") are ignored, which keeps editor swap and
// lock files out.

#include <chrono>
#include <memory>

#include <QObject>
#include <QString>
#include <QStringList>

namespace lunette {

// The tracking key of `path` (absolute, or relative to the working directory) in the site at
// `siteRoot`: the symlink-resolved path relative to the site root ("lua/main.lua"; a symlink
// lua/contact.lua -> ../shared/contact.lua gives "shared/contact.lua"), the same key `require`
// records. When the resolved file lies outside the site, the key is the path as given, relative
// to the root ("lua/ext.lua" for a symlink to a file elsewhere). Works for paths that do not exist
// (dangling symlinks are followed as far as they go).
QString trackingKey(const QString& siteRoot, const QString& path);

class FileWatcher final : public QObject
{
    Q_OBJECT

public:
    static constexpr std::chrono::milliseconds defaultQuietPeriod { 100 };
    static constexpr std::chrono::milliseconds checkInterval { 25 };

    explicit FileWatcher(QString siteRoot, QObject* parent = nullptr);
    ~FileWatcher() override;

    FileWatcher(const FileWatcher&) = delete;
    FileWatcher& operator=(const FileWatcher&) = delete;

    // Watches the files in `relativeDir` (relative to the site root; "" is the root) whose names
    // match one of `nameFilters` (wildcards, as QDir::match; e.g. {"*.lua"}), and with
    // `recursive` those of every sub-folder, present or future. Reads and hashes the matching
    // files at once, silently. A folder that does not exist yet is picked up when it appears.
    void watchDirectory(const QString& relativeDir, bool recursive, const QStringList& nameFilters);

    // How long a file must stay untouched before it is reported (default 100 ms).
    void setQuietPeriod(std::chrono::milliseconds period);
    std::chrono::milliseconds quietPeriod() const;

    // The canonical site root every key is relative to.
    QString siteRoot() const;
    // Every key currently tracked (files that exist, or dangling symlinks waiting for a target),
    // sorted.
    QStringList trackedKeys() const;
    // The canonical folders that hold a live watch, sorted (diagnostics and tests).
    QStringList watchedDirectories() const;

signals:
    // A tracked file's content changed. `absolutePath` is the file to read (symlinks resolved).
    void fileChanged(const QString& trackingKey, const QString& absolutePath);
    // A file appeared after the initial pass: new, re-created after a deletion, or the target of
    // a new (or re-pointed) symlink.
    void fileAdded(const QString& trackingKey, const QString& absolutePath);
    // A tracked file is gone (deleted, renamed away, its symlink removed or dangling).
    void fileRemoved(const QString& trackingKey);

private:
    class Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace lunette
