#include "Archive.h"

#include <algorithm>
#include <vector>

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QThread>

using namespace Qt::StringLiterals;

namespace lunette::package {

QString archiveError(archive* a)
{
    const char* text = archive_error_string(a);
    return text ? QString::fromUtf8(text) : u"unknown archive error"_s;
}

Expected<void, QString> writeTarZst(const QString& folder, const QString& rootName,
    const QString& outFile, int level, const std::function<void(qint64, qint64)>& progress,
    const std::atomic_bool* cancel)
{
    struct Item
    {
        QString relative;
        QFileInfo info;
    };
    std::vector<Item> items;
    qint64 total = 0;
    QDirIterator it(folder, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
        QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        const QFileInfo info = it.fileInfo();
        items.push_back({ QDir(folder).relativeFilePath(info.filePath()), info });
        if (info.isFile() && !info.isSymLink())
            total += info.size();
    }
    std::sort(items.begin(), items.end(),
        [](const Item& a, const Item& b) { return a.relative < b.relative; });

    ArchiveWriter writer;
    archive_write_set_format_pax_restricted(writer.a);
    if (archive_write_add_filter_zstd(writer.a) != ARCHIVE_OK)
        return unexpected(u"zstd compression is not available: "_s + archiveError(writer.a));
    archive_write_set_filter_option(
        writer.a, "zstd", "compression-level", QByteArray::number(level).constData());
    // zstd's worker threads (0 would mean none). Older libarchive versions do not know this
    // option; one thread is only slower.
    archive_write_set_filter_option(writer.a, "zstd", "threads",
        QByteArray::number(std::max(1, QThread::idealThreadCount())).constData());
    if (archive_write_open_filename(writer.a, QFile::encodeName(outFile).constData()) != ARCHIVE_OK)
        return unexpected(u"cannot write %1: %2"_s.arg(
            QDir::toNativeSeparators(outFile), archiveError(writer.a)));

    auto addEntry = [&](const QString& name, const QFileInfo* info) -> Expected<void, QString> {
        EntryHolder holder;
        const QByteArray path = name.toUtf8();
        archive_entry_set_pathname(holder.e, path.constData());
        archive_entry_set_mtime(holder.e, info ? info->lastModified().toSecsSinceEpoch() : 0, 0);
        if (!info || info->isDir()) {
            archive_entry_set_filetype(holder.e, AE_IFDIR);
            archive_entry_set_perm(holder.e, 0755);
        } else if (info->isSymLink()) {
            const QByteArray target = QFile::encodeName(info->symLinkTarget());
            archive_entry_set_filetype(holder.e, AE_IFLNK);
            archive_entry_set_perm(holder.e, 0777);
            archive_entry_set_symlink(holder.e, target.constData());
        } else {
            archive_entry_set_filetype(holder.e, AE_IFREG);
            archive_entry_set_perm(holder.e, info->isExecutable() ? 0755 : 0644);
            archive_entry_set_size(holder.e, info->size());
        }
        if (archive_write_header(writer.a, holder.e) != ARCHIVE_OK)
            return unexpected(u"cannot add %1: %2"_s.arg(name, archiveError(writer.a)));
        return {};
    };

    if (auto added = addEntry(rootName, nullptr); !added)
        return added;
    qint64 done = 0;
    for (const Item& item : items) {
        if (cancel && cancel->load())
            return unexpected(u"cancelled"_s);
        const QString name = rootName + u'/' + item.relative;
        if (auto added = addEntry(name, &item.info); !added)
            return added;
        if (!item.info.isFile() || item.info.isSymLink())
            continue;
        QFile file(item.info.filePath());
        if (!file.open(QIODevice::ReadOnly))
            return unexpected(u"cannot read %1: %2"_s.arg(
                QDir::toNativeSeparators(item.info.filePath()), file.errorString()));
        while (!file.atEnd()) {
            const QByteArray chunk = file.read(1 << 20);
            if (chunk.isEmpty() && file.error() != QFile::NoError)
                return unexpected(u"cannot read %1: %2"_s.arg(
                    QDir::toNativeSeparators(item.info.filePath()), file.errorString()));
            if (archive_write_data(writer.a, chunk.constData(), static_cast<size_t>(chunk.size()))
                != chunk.size())
                return unexpected(u"cannot add %1: %2"_s.arg(name, archiveError(writer.a)));
            done += chunk.size();
            if (progress)
                progress(done, total);
            if (cancel && cancel->load())
                return unexpected(u"cancelled"_s);
        }
    }
    if (archive_write_close(writer.a) != ARCHIVE_OK)
        return unexpected(u"cannot finish %1: %2"_s.arg(
            QDir::toNativeSeparators(outFile), archiveError(writer.a)));
    return {};
}

} // namespace lunette::package
