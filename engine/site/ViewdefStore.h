#pragma once

// ViewdefStore: the site's view templates, viewdefs/**/TYPE.NAMESPACE.html (ui-engine digest
// §6.1). Sub-folder names are ignored and symlinked files (e.g. into apps/) are followed. The key
// of a file is its name without ".html" ("Contact.DEFAULT", "lua.ViewListItem.list-item").
// Thread-safe: every method may be called from any thread.

#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include <QByteArray>
#include <QDateTime>
#include <QString>

namespace lunette {

class Site;

class ViewdefStore final
{
public:
    struct Viewdef
    {
        QString key;
        QByteArray html;
        // Store-wide counter value taken when this key's content last changed (or appeared).
        quint64 version = 0;
    };

    // Scans the site's viewdefs/ folder at once (a missing folder is an empty store).
    explicit ViewdefStore(const Site& site);
    // Scans an arbitrary folder (tests, bundles unpacked elsewhere).
    explicit ViewdefStore(const QString& viewdefsDir);

    ViewdefStore(const ViewdefStore&) = delete;
    ViewdefStore& operator=(const ViewdefStore&) = delete;

    // Full rescan: re-reads every file. Content that did not change keeps its version.
    void reload();
    // Cheap rescan: lists the folder, re-reads only files whose size, mtime or symlink target
    // changed, drops removed ones. Returns true if any viewdef was added, changed or removed.
    bool refresh();

    // Every viewdef, sorted by key.
    std::vector<Viewdef> all() const;
    std::optional<Viewdef> find(const QString& key) const;
    // Increases whenever a viewdef is added, changed or removed; compare to know whether
    // anything is new since the last look.
    quint64 generation() const;

private:
    struct Entry
    {
        QString path; // as found under viewdefs/ (may be a symlink)
        QString target; // canonical path of the file read
        qint64 size = -1;
        QDateTime modified;
        QByteArray html;
        quint64 version = 0;
    };

    bool scan(bool rereadAll);

    const QString m_dir;
    mutable std::mutex m_mutex;
    std::map<QString, Entry> m_entries; // sorted by key
    quint64 m_counter = 0;
};

} // namespace lunette
