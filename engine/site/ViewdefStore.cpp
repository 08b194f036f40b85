#include "ViewdefStore.h"

#include <algorithm>
#include <utility>

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>

#include "site/Site.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

Q_LOGGING_CATEGORY(lcViewdefs, "lunette.viewdefs")

constexpr QLatin1StringView kSuffix(".html");

struct Found
{
    QString relative;
    QString path;
};

// Every *.html file under dir, sorted by relative path so that when two sub-folders hold the
// same file name the choice does not depend on the order the file system lists them in.
std::vector<Found> listFiles(const QString& dir)
{
    std::vector<Found> files;
    // FollowSymlinks also walks symlinked folders; QDirIterator skips links it has visited, so
    // a symlink loop ends.
    QDirIterator it(dir, { u"*.html"_s }, QDir::Files | QDir::Readable,
        QDirIterator::Subdirectories | QDirIterator::FollowSymlinks);
    while (it.hasNext()) {
        const QString path = it.next();
        files.push_back({ path.mid(dir.size() + 1), path });
    }
    std::sort(files.begin(), files.end(),
        [](const Found& a, const Found& b) { return a.relative < b.relative; });
    return files;
}

} // namespace

ViewdefStore::ViewdefStore(const Site& site) : ViewdefStore(site.viewdefsDir()) { }

ViewdefStore::ViewdefStore(const QString& viewdefsDir) : m_dir(viewdefsDir)
{
    reload();
}

void ViewdefStore::reload()
{
    std::lock_guard lock(m_mutex);
    scan(true);
}

bool ViewdefStore::refresh()
{
    std::lock_guard lock(m_mutex);
    return scan(false);
}

bool ViewdefStore::scan(bool rereadAll)
{
    bool changed = false;
    std::map<QString, Entry> next;
    for (const Found& found : listFiles(m_dir)) {
        const QString fileName = QFileInfo(found.relative).fileName();
        const QString key = fileName.chopped(kSuffix.size());
        if (key.isEmpty())
            continue;
        if (next.contains(key)) {
            if (rereadAll)
                qCWarning(lcViewdefs, "viewdef %s: %s is ignored, %s has the same name",
                    qUtf8Printable(key), qUtf8Printable(found.relative),
                    qUtf8Printable(next.at(key).path.mid(m_dir.size() + 1)));
            continue;
        }

        const QFileInfo info(found.path); // size and mtime of the symlink's target
        Entry entry;
        entry.path = found.path;
        entry.target = info.canonicalFilePath();
        entry.size = info.size();
        entry.modified = info.lastModified();

        const auto old = m_entries.find(key);
        const bool known = old != m_entries.end();
        if (known && !rereadAll && old->second.path == entry.path
            && old->second.target == entry.target && old->second.size == entry.size
            && old->second.modified == entry.modified) {
            next.emplace(key, std::move(old->second));
            continue;
        }

        QFile file(found.path);
        if (!file.open(QIODevice::ReadOnly)) {
            // Vanished between listing and reading (an editor's atomic save): the next refresh
            // sees the new file.
            qCDebug(lcViewdefs, "cannot read %s: %s", qUtf8Printable(found.path),
                qUtf8Printable(file.errorString()));
            continue;
        }
        entry.html = file.readAll();
        if (known && old->second.html == entry.html) {
            entry.version = old->second.version; // a save without changes is not a change
        } else {
            entry.version = ++m_counter;
            changed = true;
        }
        next.emplace(key, std::move(entry));
    }

    for (const auto& [key, entry] : m_entries) {
        if (!next.contains(key)) {
            ++m_counter; // a removal is a change too
            changed = true;
        }
    }
    m_entries = std::move(next);
    return changed;
}

std::vector<ViewdefStore::Viewdef> ViewdefStore::all() const
{
    std::lock_guard lock(m_mutex);
    std::vector<Viewdef> result;
    result.reserve(m_entries.size());
    for (const auto& [key, entry] : m_entries)
        result.push_back({ key, entry.html, entry.version });
    return result;
}

std::optional<ViewdefStore::Viewdef> ViewdefStore::find(const QString& key) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_entries.find(key);
    if (it == m_entries.end())
        return std::nullopt;
    return Viewdef { key, it->second.html, it->second.version };
}

quint64 ViewdefStore::generation() const
{
    std::lock_guard lock(m_mutex);
    return m_counter;
}

} // namespace lunette
