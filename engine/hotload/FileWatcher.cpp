#include "FileWatcher.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QHash>
#include <QLoggingCategory>
#include <QMultiHash>
#include <QPointer>
#include <QSet>
#include <QTimer>

Q_LOGGING_CATEGORY(lcFileWatcher, "lunette.filewatcher")

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

using Clock = std::chrono::steady_clock;

bool isInside(const QString& root, const QString& path)
{
    const QString prefix = root.endsWith(u'/') ? root : root + u'/';
    return path.size() > prefix.size() && path.startsWith(prefix);
}

QString parentOf(const QString& path)
{
    return QFileInfo(path).absolutePath();
}

QString canonicalOrClean(const QString& path)
{
    const QFileInfo info(path);
    const QString canonical = info.canonicalFilePath();
    return canonical.isEmpty() ? QDir::cleanPath(info.absoluteFilePath()) : canonical;
}

// The file `path` stands for: its canonical path when it exists; otherwise (deleted, or a dangling
// symlink) the symlinks are followed by hand and the folder that holds the last one is
// canonicalised, so the result matches the canonical path the file will have once it exists.
QString resolvedPath(const QString& path)
{
    const QFileInfo info(path);
    if (QString canonical = info.canonicalFilePath(); !canonical.isEmpty())
        return canonical;
    QString current = QDir::cleanPath(info.absoluteFilePath());
    for (int hops = 0; hops < 40; ++hops) { // 40: Linux's own limit on symlink chains
        const QFileInfo link(current);
        if (!link.isSymLink())
            break;
        current = QDir::cleanPath(link.symLinkTarget());
    }
    const QFileInfo last(current);
    const QString dir = QFileInfo(last.absolutePath()).canonicalFilePath();
    return dir.isEmpty() ? current : dir + u'/' + last.fileName();
}

// trackingKey() with the root canonical and the path already resolved. Empty when `path` is not
// under `root` at all.
QString keyFor(const QString& root, const QString& path, const QString& resolved)
{
    if (isInside(root, resolved))
        return QDir(root).relativeFilePath(resolved);
    // The file lives elsewhere (a symlink out of the site): the key is the path that leads to it,
    // with its folders resolved when they are inside the site...
    const QFileInfo info(path);
    if (const QString dir = QFileInfo(info.absolutePath()).canonicalFilePath(); !dir.isEmpty()) {
        const QString viaDir = dir + u'/' + info.fileName();
        if (isInside(root, viaDir))
            return QDir(root).relativeFilePath(viaDir);
    }
    // ...or as written (a symlinked folder that itself leads out of the site).
    const QString absolute = QDir::cleanPath(info.absoluteFilePath());
    if (isInside(root, absolute))
        return QDir(root).relativeFilePath(absolute);
    return {};
}

std::optional<QByteArray> contentHash(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    QCryptographicHash hash(QCryptographicHash::Sha1);
    if (!hash.addData(&file))
        return std::nullopt;
    return hash.result();
}

// One file name found in a listed folder (the spec index tells which watch found it).
struct EntryRef
{
    int spec = 0;
    QString path; // lexical: the listed folder's path + '/' + name

    bool operator==(const EntryRef&) const = default;
};

size_t qHash(const EntryRef& ref, size_t seed = 0)
{
    return qHashMulti(seed, ref.spec, ref.path);
}

} // namespace

QString trackingKey(const QString& siteRoot, const QString& path)
{
    const QString root = canonicalOrClean(siteRoot);
    const QString resolved = resolvedPath(path);
    if (QString key = keyFor(root, path, resolved); !key.isEmpty())
        return key;
    // The root as given, when it is not canonical and the path was built from it.
    const QString givenRoot = QDir::cleanPath(QFileInfo(siteRoot).absoluteFilePath());
    const QString absolute = QDir::cleanPath(QFileInfo(path).absoluteFilePath());
    if (isInside(givenRoot, absolute))
        return QDir(givenRoot).relativeFilePath(absolute);
    return QDir(root).relativeFilePath(resolved);
}

class FileWatcher::Impl
{
public:
    Impl(FileWatcher* q, QString root);
    ~Impl();

    void watchDirectory(const QString& relativeDir, bool recursive, const QStringList& filters);
    void onFileEvent(const QString& path);
    void onDirectoryEvent(const QString& path);
    void onTick();
    void flush();

    QStringList trackedKeys() const;
    QStringList watchedDirectories() const;

    const QString m_root;
    std::chrono::milliseconds m_quiet = FileWatcher::defaultQuietPeriod;

private:
    // What watchDirectory() asked for.
    struct Spec
    {
        QString path; // m_root + '/' + relativeDir
        bool recursive = false;
        QStringList filters;
        QString waitingOn; // canonical folder watched while `path` does not exist

        struct Listed
        {
            QString canonical;
            QSet<QString> files; // names with an Entry
            QHash<QString, QString> subdirs; // name -> canonical path (recursive specs)
        };
        QHash<QString, Listed> dirs; // lexical path -> listed folder
        struct Entry
        {
            QString key;
            QString target; // resolved path of the file it stands for
            bool symlink = false;
            QString linkTarget; // QFileInfo::symLinkTarget() of a symlink
            QString heldDir; // canonical folder of a symlink's target, watched for it
        };
        QHash<QString, Entry> entries; // lexical path -> entry
    };

    // What has been reported for one tracking key.
    struct KeyState
    {
        QString target; // the file to read and watch
        QSet<EntryRef> holders; // the entries that stand for this key
        QByteArray hash;
        bool present = false; // reported as existing (initial pass, fileAdded)
        bool pending = false;
        Clock::time_point due;
    };

    struct Resolution
    {
        QString target;
        QString key;
        QString heldDir;
    };

    struct Event
    {
        enum class Kind
        {
            Added,
            Changed,
            Removed
        };
        Kind kind;
        QString key;
        QString path;
    };

    Resolution resolve(const QString& path, bool symlink) const;

    void attachSpec(int spec, bool initial, Clock::time_point t);
    void setWaiting(Spec& spec, const QString& dir);
    bool addListedDir(int spec, const QString& path, bool initial, Clock::time_point t);
    void removeListedDir(int spec, const QString& path, Clock::time_point t);
    void scanListedDir(int spec, const QString& path, bool initial, Clock::time_point t);
    void updateEntry(
        int spec, const QString& path, const QFileInfo& info, bool initial, Clock::time_point t);
    void addEntry(int spec, const QString& path, bool symlink, const QString& linkTarget,
        bool initial, Clock::time_point t);
    void removeEntry(int spec, const QString& path, Clock::time_point t);
    void handleDirectoryChange(const QString& dir, Clock::time_point t);

    void attach(const QString& key, const QString& target, const EntryRef& ref, bool initial,
        Clock::time_point t);
    void detach(const QString& key, const EntryRef& ref, Clock::time_point t);
    void markPending(const QString& key, Clock::time_point due);
    void check(const QString& key, bool silent);

    void acquireDir(const QString& dir);
    void releaseDir(const QString& dir);
    void acquireFile(const QString& file);
    void releaseFile(const QString& file);
    void rearmFile(const QString& file);
    void startTicking();

    FileWatcher* const q;
    QFileSystemWatcher* m_watcher;
    QTimer* m_timer;
    std::vector<std::unique_ptr<Spec>> m_specs; // stable addresses; indices are EntryRef::spec
    QHash<QString, KeyState> m_keys;
    QSet<QString> m_pending; // keys waiting for their quiet period to end
    QHash<QString, Clock::time_point> m_dirtyDirs; // canonical folder -> its latest event
    // Reverse indexes from what QFileSystemWatcher reports (always canonical paths: inotify
    // reports one path per inode, so two spellings of one file must never both be added).
    QMultiHash<QString, QString> m_keysByTarget;
    QMultiHash<QString, EntryRef> m_listedByCanonical; // folder -> listed folders (per spec)
    QMultiHash<QString, EntryRef> m_symlinksByDir; // target folder -> symlink entries
    // Reference counts of the paths handed to QFileSystemWatcher.
    QHash<QString, int> m_dirRefs;
    QHash<QString, int> m_fileRefs;
    std::vector<Event> m_events; // emitted by flush(), once the bookkeeping is consistent
};

FileWatcher::Impl::Impl(FileWatcher* owner, QString root)
    : m_root(std::move(root))
    , q(owner)
    , m_watcher(new QFileSystemWatcher(owner))
    , m_timer(new QTimer(owner))
{
    m_timer->setInterval(FileWatcher::checkInterval);
    QObject::connect(m_watcher, &QFileSystemWatcher::fileChanged, q,
        [this](const QString& path) { onFileEvent(path); });
    QObject::connect(m_watcher, &QFileSystemWatcher::directoryChanged, q,
        [this](const QString& path) { onDirectoryEvent(path); });
    QObject::connect(m_timer, &QTimer::timeout, q, [this] { onTick(); });
}

FileWatcher::Impl::~Impl()
{
    // Before the members their lambdas use go away.
    delete m_timer;
    delete m_watcher;
}

void FileWatcher::Impl::watchDirectory(
    const QString& relativeDir, bool recursive, const QStringList& filters)
{
    auto spec = std::make_unique<Spec>();
    spec->path = QDir::cleanPath(relativeDir.isEmpty() ? m_root : m_root + u'/' + relativeDir);
    spec->recursive = recursive;
    spec->filters = filters.isEmpty() ? QStringList { u"*"_s } : filters;
    m_specs.push_back(std::move(spec));
    attachSpec(static_cast<int>(m_specs.size()) - 1, true, Clock::now());
}

FileWatcher::Impl::Resolution FileWatcher::Impl::resolve(const QString& path, bool symlink) const
{
    Resolution r;
    r.target = resolvedPath(path);
    r.key = keyFor(m_root, path, r.target);
    if (r.key.isEmpty()) // a watched folder outside the root ("../x"): keep a usable key
        r.key = QDir(m_root).relativeFilePath(r.target);
    if (symlink)
        r.heldDir = QFileInfo(parentOf(r.target)).canonicalFilePath();
    return r;
}

void FileWatcher::Impl::attachSpec(int index, bool initial, Clock::time_point t)
{
    Spec& spec = *m_specs[index];
    if (QFileInfo(spec.path).isDir() && addListedDir(index, spec.path, initial, t)) {
        setWaiting(spec, {});
        return;
    }
    // Not there (yet): watch the deepest folder on the way to it that exists.
    QString ancestor = parentOf(spec.path);
    while (!QFileInfo(ancestor).isDir() && ancestor.size() > m_root.size())
        ancestor = parentOf(ancestor);
    setWaiting(spec, QFileInfo(ancestor).canonicalFilePath());
}

void FileWatcher::Impl::setWaiting(Spec& spec, const QString& dir)
{
    if (spec.waitingOn == dir)
        return;
    if (!spec.waitingOn.isEmpty())
        releaseDir(spec.waitingOn);
    spec.waitingOn = dir;
    if (!dir.isEmpty())
        acquireDir(dir);
}

bool FileWatcher::Impl::addListedDir(
    int index, const QString& path, bool initial, Clock::time_point t)
{
    Spec& spec = *m_specs[index];
    const QString canonical = QFileInfo(path).canonicalFilePath();
    if (canonical.isEmpty() || spec.dirs.contains(path))
        return false;
    // A symlinked folder leading back to one of its ancestors would never end.
    for (QString p = path; p != spec.path && p.size() > spec.path.size();) {
        p = parentOf(p);
        const auto ancestor = spec.dirs.constFind(p);
        if (ancestor == spec.dirs.cend())
            break;
        if (ancestor->canonical == canonical) {
            qCDebug(lcFileWatcher) << "not following" << path << "(a loop)";
            return false;
        }
    }
    spec.dirs.insert(path, Spec::Listed { canonical, {}, {} });
    m_listedByCanonical.insert(canonical, EntryRef { index, path });
    acquireDir(canonical);
    scanListedDir(index, path, initial, t);
    return true;
}

void FileWatcher::Impl::removeListedDir(int index, const QString& path, Clock::time_point t)
{
    Spec& spec = *m_specs[index];
    const auto found = spec.dirs.find(path);
    if (found == spec.dirs.end())
        return;
    const Spec::Listed listed = std::move(*found);
    spec.dirs.erase(found);
    for (const QString& name : listed.files)
        removeEntry(index, path + u'/' + name, t);
    for (auto it = listed.subdirs.cbegin(); it != listed.subdirs.cend(); ++it)
        removeListedDir(index, path + u'/' + it.key(), t);
    m_listedByCanonical.remove(listed.canonical, EntryRef { index, path });
    releaseDir(listed.canonical);
}

void FileWatcher::Impl::scanListedDir(
    int index, const QString& path, bool initial, Clock::time_point t)
{
    Spec& spec = *m_specs[index];
    const auto found = spec.dirs.constFind(path);
    if (found == spec.dirs.cend())
        return;
    if (QFileInfo(path).canonicalFilePath() != found->canonical) {
        // Deleted, or now another folder (a re-pointed symlink). A sub-folder is re-added by its
        // parent's scan (the parent sees the change too); the watched folder itself starts over.
        removeListedDir(index, path, t);
        if (path == spec.path) {
            attachSpec(index, initial, t);
        } else if (auto parent = spec.dirs.find(parentOf(path)); parent != spec.dirs.end()) {
            parent->subdirs.remove(QFileInfo(path).fileName());
        }
        return;
    }

    QSet<QString> files;
    QHash<QString, QString> subdirs;
    // System: dangling symlinks are listed too (their target may come back). Hidden files are
    // not: editor swap, lock and backup files start with a dot.
    QDirIterator it(path, QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot);
    while (it.hasNext()) {
        it.next();
        const QFileInfo info = it.fileInfo();
        const QString name = info.fileName();
        if (info.isDir()) {
            if (spec.recursive)
                subdirs.insert(name, info.canonicalFilePath());
            continue;
        }
        if (!info.isFile() && !info.isSymLink()) // FIFOs, sockets, devices
            continue;
        if (!QDir::match(spec.filters, name))
            continue;
        files.insert(name);
        updateEntry(index, path + u'/' + name, info, initial, t);
    }

    Spec::Listed& listed = spec.dirs[path];
    const QSet<QString> gone = listed.files - files;
    const QHash<QString, QString> oldSubdirs = std::exchange(listed.subdirs, {});
    listed.files = std::move(files);
    for (const QString& name : gone)
        removeEntry(index, path + u'/' + name, t);
    for (auto old = oldSubdirs.cbegin(); old != oldSubdirs.cend(); ++old) {
        if (subdirs.value(old.key()) == old.value())
            spec.dirs[path].subdirs.insert(old.key(), old.value());
        else
            removeListedDir(index, path + u'/' + old.key(), t);
    }
    for (auto sub = subdirs.cbegin(); sub != subdirs.cend(); ++sub) {
        if (oldSubdirs.value(sub.key()) == sub.value())
            continue;
        // A new folder: files already in it are reported as added (unless this is the initial
        // pass); their quiet period starts with the folder's event.
        if (addListedDir(index, path + u'/' + sub.key(), initial, t))
            spec.dirs[path].subdirs.insert(sub.key(), sub.value());
    }
}

void FileWatcher::Impl::updateEntry(
    int index, const QString& path, const QFileInfo& info, bool initial, Clock::time_point t)
{
    Spec& spec = *m_specs[index];
    const bool symlink = info.isSymLink();
    const QString linkTarget = symlink ? info.symLinkTarget() : QString();
    const auto found = spec.entries.constFind(path);
    if (found != spec.entries.cend()) {
        const bool dangling = symlink && !info.exists();
        if (found->symlink == symlink && found->linkTarget == linkTarget && !dangling)
            return;
        const Resolution r = resolve(path, symlink);
        if (found->symlink == symlink && r.key == found->key && r.target == found->target
            && r.heldDir == found->heldDir) {
            spec.entries[path].linkTarget = linkTarget;
            return;
        }
        removeEntry(index, path, t);
    }
    addEntry(index, path, symlink, linkTarget, initial, t);
}

void FileWatcher::Impl::addEntry(int index, const QString& path, bool symlink,
    const QString& linkTarget, bool initial, Clock::time_point t)
{
    const Resolution r = resolve(path, symlink);
    Spec::Entry entry { r.key, r.target, symlink, linkTarget, r.heldDir };
    const EntryRef ref { index, path };
    if (!entry.heldDir.isEmpty()) {
        acquireDir(entry.heldDir);
        m_symlinksByDir.insert(entry.heldDir, ref);
    }
    m_specs[index]->entries.insert(path, entry);
    attach(r.key, r.target, ref, initial, t);
}

void FileWatcher::Impl::removeEntry(int index, const QString& path, Clock::time_point t)
{
    Spec& spec = *m_specs[index];
    const auto found = spec.entries.find(path);
    if (found == spec.entries.end())
        return;
    const Spec::Entry entry = std::move(*found);
    spec.entries.erase(found);
    const EntryRef ref { index, path };
    if (!entry.heldDir.isEmpty()) {
        m_symlinksByDir.remove(entry.heldDir, ref);
        releaseDir(entry.heldDir);
    }
    detach(entry.key, ref, t);
}

void FileWatcher::Impl::attach(const QString& key, const QString& target, const EntryRef& ref,
    bool initial, Clock::time_point t)
{
    auto state = m_keys.find(key);
    const bool isNew = state == m_keys.end();
    if (isNew) {
        state = m_keys.insert(key, KeyState { target, {}, {}, false, false, {} });
        m_keysByTarget.insert(target, key);
        acquireFile(target);
    } else if (state->target != target) {
        // Same key, another file: a re-pointed symlink to a file outside the site.
        m_keysByTarget.remove(state->target, key);
        releaseFile(state->target);
        state->target = target;
        m_keysByTarget.insert(target, key);
        acquireFile(target);
    }
    state->holders.insert(ref);
    if (initial && isNew)
        check(key, true);
    else
        markPending(key, t + m_quiet);
}

void FileWatcher::Impl::detach(const QString& key, const EntryRef& ref, Clock::time_point t)
{
    const auto state = m_keys.find(key);
    if (state == m_keys.end())
        return;
    state->holders.remove(ref);
    // Not reported yet: an atomic save or a delete + re-create may bring it back in a moment.
    markPending(key, t + m_quiet);
}

void FileWatcher::Impl::markPending(const QString& key, Clock::time_point due)
{
    const auto state = m_keys.find(key);
    if (state == m_keys.end())
        return;
    if (!state->pending || due > state->due)
        state->due = due;
    state->pending = true;
    m_pending.insert(key);
    startTicking();
}

void FileWatcher::Impl::check(const QString& key, bool silent)
{
    const auto state = m_keys.find(key);
    if (state == m_keys.end())
        return;
    KeyState& s = *state;
    if (!s.holders.isEmpty() && QFileInfo(s.target).isFile()) {
        // Re-arm before reading: after an atomic save the watch may still follow the old inode,
        // and whatever is written after this point raises a new event. (The initial pass has
        // just added the watch.)
        if (!silent)
            rearmFile(s.target);
        const auto hash = contentHash(s.target);
        if (!hash) {
            qCWarning(lcFileWatcher).noquote()
                << "cannot read" << QDir::toNativeSeparators(s.target);
            return;
        }
        if (!s.present) {
            s.present = true;
            s.hash = *hash;
            if (!silent)
                m_events.push_back({ Event::Kind::Added, key, s.target });
        } else if (*hash != s.hash) {
            s.hash = *hash;
            m_events.push_back({ Event::Kind::Changed, key, s.target });
        }
        return;
    }
    if (s.present) {
        s.present = false;
        s.hash.clear();
        if (!silent)
            m_events.push_back({ Event::Kind::Removed, key, s.target });
    }
    if (s.holders.isEmpty()) {
        m_keysByTarget.remove(s.target, key);
        releaseFile(s.target);
        m_pending.remove(key);
        m_keys.erase(state);
    }
}

void FileWatcher::Impl::onFileEvent(const QString& path)
{
    const auto due = Clock::now() + m_quiet;
    const QStringList keys = m_keysByTarget.values(path);
    for (const QString& key : keys)
        markPending(key, due);
}

void FileWatcher::Impl::onDirectoryEvent(const QString& path)
{
    // Listed at the next tick: a burst of events (temp file, rename, delete) makes one scan.
    m_dirtyDirs.insert(path, Clock::now());
    startTicking();
}

void FileWatcher::Impl::handleDirectoryChange(const QString& dir, Clock::time_point t)
{
    if (!m_dirRefs.contains(dir))
        return;
    // QFileSystemWatcher drops the watch of a deleted folder; one already re-created is watched
    // again (a no-op when the watch is still there).
    if (QFileInfo(dir).isDir())
        m_watcher->addPath(dir);

    const QList<EntryRef> listed = m_listedByCanonical.values(dir);
    for (const EntryRef& ref : listed) {
        if (m_specs[ref.spec]->dirs.contains(ref.path))
            scanListedDir(ref.spec, ref.path, false, t);
    }

    // Symlinks whose target lives here: the target may have been created, replaced or deleted.
    const QList<EntryRef> links = m_symlinksByDir.values(dir);
    for (const EntryRef& ref : links) {
        Spec& spec = *m_specs[ref.spec];
        const auto found = spec.entries.constFind(ref.path);
        if (found == spec.entries.cend())
            continue;
        const Resolution r = resolve(ref.path, true);
        if (r.key == found->key && r.target == found->target && r.heldDir == found->heldDir) {
            markPending(found->key, t + m_quiet);
        } else {
            const QString linkTarget = found->linkTarget;
            removeEntry(ref.spec, ref.path, t);
            addEntry(ref.spec, ref.path, true, linkTarget, false, t);
        }
    }

    for (int i = 0; i < static_cast<int>(m_specs.size()); ++i) {
        if (m_specs[i]->waitingOn == dir)
            attachSpec(i, false, t);
    }
}

void FileWatcher::Impl::onTick()
{
    const auto dirs = std::exchange(m_dirtyDirs, {});
    QStringList dirNames = dirs.keys();
    dirNames.sort(); // parents before children
    for (const QString& dir : std::as_const(dirNames))
        handleDirectoryChange(dir, dirs.value(dir));

    const auto now = Clock::now();
    QStringList due;
    for (const QString& key : std::as_const(m_pending)) {
        const auto state = m_keys.constFind(key);
        if (state == m_keys.cend() || state->due <= now)
            due.append(key);
    }
    due.sort();
    for (const QString& key : std::as_const(due)) {
        m_pending.remove(key);
        const auto state = m_keys.find(key);
        if (state == m_keys.end())
            continue;
        state->pending = false;
        check(key, false);
    }
    if (m_pending.isEmpty() && m_dirtyDirs.isEmpty())
        m_timer->stop();
    flush();
}

void FileWatcher::Impl::flush()
{
    if (m_events.empty())
        return;
    const std::vector<Event> events = std::exchange(m_events, {});
    // A slot may delete the watcher (and this with it).
    const QPointer<FileWatcher> alive(q);
    for (const Event& event : events) {
        if (!alive)
            return;
        switch (event.kind) {
        case Event::Kind::Added:
            qCDebug(lcFileWatcher) << "added" << event.key;
            emit alive->fileAdded(event.key, event.path);
            break;
        case Event::Kind::Changed:
            qCDebug(lcFileWatcher) << "changed" << event.key;
            emit alive->fileChanged(event.key, event.path);
            break;
        case Event::Kind::Removed:
            qCDebug(lcFileWatcher) << "removed" << event.key;
            emit alive->fileRemoved(event.key);
            break;
        }
    }
}

QStringList FileWatcher::Impl::trackedKeys() const
{
    QStringList keys;
    for (auto it = m_keys.cbegin(); it != m_keys.cend(); ++it) {
        if (!it->holders.isEmpty())
            keys.append(it.key());
    }
    keys.sort();
    return keys;
}

QStringList FileWatcher::Impl::watchedDirectories() const
{
    QStringList dirs = m_watcher->directories();
    dirs.sort();
    return dirs;
}

void FileWatcher::Impl::acquireDir(const QString& dir)
{
    if (m_dirRefs[dir]++ == 0)
        m_watcher->addPath(dir);
}

void FileWatcher::Impl::releaseDir(const QString& dir)
{
    const auto found = m_dirRefs.find(dir);
    if (found == m_dirRefs.end() || --*found > 0)
        return;
    m_dirRefs.erase(found);
    m_watcher->removePath(dir); // quietly false when Qt already dropped it (folder deleted)
}

void FileWatcher::Impl::acquireFile(const QString& file)
{
    if (m_fileRefs[file]++ == 0 && QFileInfo(file).isFile())
        m_watcher->addPath(file);
}

void FileWatcher::Impl::releaseFile(const QString& file)
{
    const auto found = m_fileRefs.find(file);
    if (found == m_fileRefs.end() || --*found > 0)
        return;
    m_fileRefs.erase(found);
    m_watcher->removePath(file);
}

void FileWatcher::Impl::rearmFile(const QString& file)
{
    if (!m_fileRefs.contains(file))
        return;
    m_watcher->removePath(file);
    m_watcher->addPath(file);
}

void FileWatcher::Impl::startTicking()
{
    if (!m_timer->isActive())
        m_timer->start();
}

FileWatcher::FileWatcher(QString siteRoot, QObject* parent)
    : QObject(parent), m_impl(std::make_unique<Impl>(this, canonicalOrClean(siteRoot)))
{
}

FileWatcher::~FileWatcher() = default;

void FileWatcher::watchDirectory(
    const QString& relativeDir, bool recursive, const QStringList& nameFilters)
{
    m_impl->watchDirectory(relativeDir, recursive, nameFilters);
    m_impl->flush();
}

void FileWatcher::setQuietPeriod(std::chrono::milliseconds period)
{
    m_impl->m_quiet = period;
}

std::chrono::milliseconds FileWatcher::quietPeriod() const
{
    return m_impl->m_quiet;
}

QString FileWatcher::siteRoot() const
{
    return m_impl->m_root;
}

QStringList FileWatcher::trackedKeys() const
{
    return m_impl->trackedKeys();
}

QStringList FileWatcher::watchedDirectories() const
{
    return m_impl->watchedDirectories();
}

} // namespace lunette
