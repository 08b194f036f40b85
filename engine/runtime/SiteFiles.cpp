#include "SiteFiles.h"

#include <algorithm>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStringList>

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

using Failure = SiteFiles::Failure;

Unexpected<Failure> failure(ErrorKind kind, const QString& message)
{
    return unexpected(Failure { kind, message });
}

Unexpected<Failure> denied(const QString& path, const QString& why)
{
    return failure(ErrorKind::PermissionDenied,
        u"fs: '%1' is refused: %2 (paths are relative to the site's data folder, with '/')"_s.arg(
            path, why));
}

bool isInside(const QString& path, const QString& root)
{
    return path == root || (path.startsWith(root) && path.at(root.size()) == u'/');
}

// The segments of a relative path, or why it is refused (before looking at the disk).
Expected<QStringList, Failure> parse(const QString& path)
{
    if (path.contains(QChar(0)))
        return denied(path, u"it contains a NUL character"_s);
    if (path.contains(u'\\'))
        return denied(path, u"backslashes are not allowed"_s);
    if (path.startsWith(u'/') || QDir::isAbsolutePath(path))
        return denied(path, u"absolute paths are not allowed"_s);
    QStringList segments;
    for (const QString& segment : path.split(u'/', Qt::SkipEmptyParts)) {
        if (segment == ".."_L1)
            return denied(path, u"'..' segments are not allowed"_s);
        if (segment != "."_L1)
            segments.append(segment);
    }
    return segments;
}

struct Resolved
{
    QString path; // absolute, existing links resolved
    QString root; // the data folder, canonical; empty when it does not exist
    bool isRoot = false; // path is the data folder itself
};

Expected<Resolved, Failure> resolveIn(const QString& directory, const QString& path, bool create)
{
    auto segments = parse(path);
    if (!segments)
        return unexpected(segments.error());
    if (create && !QDir().mkpath(directory)) {
        return failure(ErrorKind::Io,
            u"fs: cannot create the data folder %1 (is something else in its place?)"_s.arg(
                directory));
    }
    Resolved resolved;
    resolved.root = QFileInfo(directory).canonicalFilePath();
    if (resolved.root.isEmpty()) { // no data folder yet: nothing inside exists
        if (QFileInfo(directory).isSymLink())
            return denied(path, u"the data folder is a link to nowhere"_s);
        resolved.path = QDir::cleanPath(directory + u'/' + segments->join(u'/'));
        resolved.isRoot = segments->isEmpty();
        return resolved;
    }
    QString current = resolved.root;
    for (qsizetype i = 0; i < segments->size(); ++i) {
        const QString next = current + u'/' + segments->at(i);
        const QFileInfo info(next);
        if (info.isSymLink()) {
            const QString target = info.canonicalFilePath();
            const QString link = segments->mid(0, i + 1).join(u'/');
            if (target.isEmpty())
                return denied(path, u"'%1' is a symbolic link to nothing"_s.arg(link));
            if (!isInside(target, resolved.root)) {
                return denied(
                    path, u"the symbolic link '%1' leads outside the data folder"_s.arg(link));
            }
            current = target;
        } else if (info.exists()) {
            current = next;
        } else { // the rest does not exist: no link left to follow
            current = next;
            for (qsizetype j = i + 1; j < segments->size(); ++j)
                current += u'/' + segments->at(j);
            break;
        }
    }
    resolved.path = current;
    resolved.isRoot = current == resolved.root;
    return resolved;
}

// storage.json and the files SiteStorage makes next to it are the storage module's.
bool belongsToStorage(const Resolved& resolved)
{
    const QFileInfo info(resolved.path);
    return info.path() == resolved.root && info.fileName().startsWith(u"storage.json"_s);
}

Unexpected<Failure> storageFile(const QString& path)
{
    return denied(path, u"storage.json belongs to the storage module"_s);
}

Unexpected<Failure> tooLarge(const QString& path, qint64 size)
{
    return failure(ErrorKind::Invalid,
        u"fs: '%1' would have %2 bytes, more than the limit of %3 bytes"_s.arg(path).arg(size).arg(
            SiteFiles::kMaxFileBytes));
}

// Create the parent folders of a file about to be written.
Expected<void, Failure> makeParent(const Resolved& resolved, const QString& path)
{
    const QString parent = QFileInfo(resolved.path).path();
    if (!QDir().mkpath(parent)) {
        return failure(ErrorKind::Io,
            u"fs: cannot create the folder for '%1' (is a file in its place?)"_s.arg(path));
    }
    return {};
}

} // namespace

SiteFiles::SiteFiles(QString directory) : m_directory(QDir::cleanPath(std::move(directory))) { }

Expected<QString, Failure> SiteFiles::resolve(const QString& path, bool create) const
{
    auto resolved = resolveIn(m_directory, path, create);
    if (!resolved)
        return unexpected(resolved.error());
    return resolved->path;
}

Expected<QByteArray, Failure> SiteFiles::read(const QString& path) const
{
    auto resolved = resolveIn(m_directory, path, false);
    if (!resolved)
        return unexpected(resolved.error());
    const QFileInfo info(resolved->path);
    if (!info.exists())
        return failure(ErrorKind::NotFound, u"fs: no file '%1' in the data folder"_s.arg(path));
    if (info.isDir())
        return failure(ErrorKind::Invalid, u"fs: '%1' is a folder, not a file"_s.arg(path));
    if (info.size() > kMaxFileBytes)
        return tooLarge(path, info.size());
    QFile file(resolved->path);
    if (!file.open(QIODevice::ReadOnly))
        return failure(ErrorKind::Io, u"fs: cannot read '%1': %2"_s.arg(path, file.errorString()));
    QByteArray data = file.read(kMaxFileBytes + 1);
    if (file.error() != QFileDevice::NoError)
        return failure(ErrorKind::Io, u"fs: cannot read '%1': %2"_s.arg(path, file.errorString()));
    if (data.size() > kMaxFileBytes) // it grew since we looked
        return tooLarge(path, data.size());
    return data;
}

Expected<void, Failure> SiteFiles::write(const QString& path, QByteArrayView data) const
{
    if (data.size() > kMaxFileBytes)
        return tooLarge(path, data.size());
    auto resolved = resolveIn(m_directory, path, true);
    if (!resolved)
        return unexpected(resolved.error());
    if (resolved->isRoot || QFileInfo(resolved->path).isDir())
        return failure(ErrorKind::Invalid, u"fs: '%1' is a folder, not a file"_s.arg(path));
    if (belongsToStorage(*resolved))
        return storageFile(path);
    if (auto made = makeParent(*resolved, path); !made)
        return made;
    QSaveFile file(resolved->path);
    if (!file.open(QIODevice::WriteOnly))
        return failure(ErrorKind::Io, u"fs: cannot write '%1': %2"_s.arg(path, file.errorString()));
    if (file.write(data.data(), data.size()) != data.size() || !file.commit()) {
        const QString why = file.errorString();
        file.cancelWriting();
        return failure(ErrorKind::Io, u"fs: cannot write '%1': %2"_s.arg(path, why));
    }
    return {};
}

Expected<void, Failure> SiteFiles::append(const QString& path, QByteArrayView data) const
{
    auto resolved = resolveIn(m_directory, path, true);
    if (!resolved)
        return unexpected(resolved.error());
    const QFileInfo info(resolved->path);
    if (resolved->isRoot || info.isDir())
        return failure(ErrorKind::Invalid, u"fs: '%1' is a folder, not a file"_s.arg(path));
    if (belongsToStorage(*resolved))
        return storageFile(path);
    const qint64 size = (info.exists() ? info.size() : 0) + data.size();
    if (size > kMaxFileBytes)
        return tooLarge(path, size);
    if (auto made = makeParent(*resolved, path); !made)
        return made;
    QFile file(resolved->path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append)) {
        return failure(
            ErrorKind::Io, u"fs: cannot append to '%1': %2"_s.arg(path, file.errorString()));
    }
    if (file.write(data.data(), data.size()) != data.size() || !file.flush()) {
        return failure(
            ErrorKind::Io, u"fs: cannot append to '%1': %2"_s.arg(path, file.errorString()));
    }
    return {};
}

Expected<QList<SiteFiles::Entry>, Failure> SiteFiles::list(const QString& path) const
{
    auto resolved = resolveIn(m_directory, path, false);
    if (!resolved)
        return unexpected(resolved.error());
    const QFileInfo info(resolved->path);
    if (!info.exists()) {
        if (resolved->isRoot)
            return QList<Entry>();
        return failure(ErrorKind::NotFound, u"fs: no folder '%1' in the data folder"_s.arg(path));
    }
    if (!info.isDir())
        return failure(ErrorKind::Invalid, u"fs: '%1' is a file, not a folder"_s.arg(path));
    QList<Entry> entries;
    const QFileInfoList infos
        = QDir(resolved->path)
              .entryInfoList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                  QDir::NoSort);
    for (const QFileInfo& entry : infos) {
        QFileInfo target = entry;
        if (entry.isSymLink()) {
            const QString canonical = entry.canonicalFilePath();
            if (canonical.isEmpty() || !isInside(canonical, resolved->root))
                continue;
            target = QFileInfo(canonical);
        }
        entries.append({ entry.fileName(), target.isDir(), target.isDir() ? 0 : target.size() });
    }
    std::sort(entries.begin(), entries.end(),
        [](const Entry& a, const Entry& b) { return a.name.toUtf8() < b.name.toUtf8(); });
    return entries;
}

Expected<bool, Failure> SiteFiles::exists(const QString& path) const
{
    auto resolved = resolveIn(m_directory, path, false);
    if (!resolved)
        return unexpected(resolved.error());
    return QFileInfo::exists(resolved->path);
}

Expected<void, Failure> SiteFiles::remove(const QString& path) const
{
    auto resolved = resolveIn(m_directory, path, false);
    if (!resolved)
        return unexpected(resolved.error());
    if (resolved->isRoot)
        return failure(ErrorKind::Invalid, u"fs: the data folder itself cannot be removed"_s);
    const QFileInfo info(resolved->path);
    if (!info.exists())
        return failure(ErrorKind::NotFound, u"fs: no '%1' in the data folder"_s.arg(path));
    if (belongsToStorage(*resolved))
        return storageFile(path);
    if (info.isDir()) {
        if (!QDir(resolved->path)
                 .isEmpty(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot))
            return failure(ErrorKind::Invalid, u"fs: the folder '%1' is not empty"_s.arg(path));
        if (!QDir().rmdir(resolved->path))
            return failure(ErrorKind::Io, u"fs: cannot remove the folder '%1'"_s.arg(path));
        return {};
    }
    QFile file(resolved->path);
    if (!file.remove())
        return failure(
            ErrorKind::Io, u"fs: cannot remove '%1': %2"_s.arg(path, file.errorString()));
    return {};
}

Expected<void, Failure> SiteFiles::mkdir(const QString& path) const
{
    auto resolved = resolveIn(m_directory, path, true);
    if (!resolved)
        return unexpected(resolved.error());
    const QFileInfo info(resolved->path);
    if (info.exists()) {
        if (info.isDir())
            return {};
        return failure(ErrorKind::Invalid, u"fs: '%1' exists and is not a folder"_s.arg(path));
    }
    if (!QDir().mkpath(resolved->path)) {
        return failure(ErrorKind::Io,
            u"fs: cannot create the folder '%1' (is a file in its place?)"_s.arg(path));
    }
    return {};
}

} // namespace lunette
