#include "Bundle.h"

#include <algorithm>
#include <cstring>

#include <unistd.h>

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>
#include <QtEndian>

#include "Archive.h"

using namespace Qt::StringLiterals;

namespace lunette::package {

namespace {

// Editor backups and lock files, OS litter: never packaged.
bool isJunk(const QString& name)
{
    static const QRegularExpression junk(
        u"^(.*~|\\.#.*|#.*#|.*\\.sw[po]|\\.DS_Store|Thumbs\\.db|.*\\.orig|.*\\.rej|.*\\.bak)$"_s);
    return junk.match(name).hasMatch();
}

// Folders left out: version control, the site's own data, tool output.
bool isSkippedFolder(const QString& relative)
{
    static const QStringList skipped { u".git"_s, u".svn"_s, u".hg"_s, u"data"_s, u".lunette"_s };
    return skipped.contains(relative);
}

// Opens the archive part of a bundle for reading.
Expected<QByteArray, QString> readArchiveBytes(const QString& bundleFile)
{
    auto found = findBundle(bundleFile);
    if (!found)
        return unexpected(found.error());
    if (!*found)
        return unexpected(
            u"%1 is not a Lunette bundle"_s.arg(QDir::toNativeSeparators(bundleFile)));
    QFile file(bundleFile);
    if (!file.open(QIODevice::ReadOnly))
        return unexpected(
            u"cannot read %1: %2"_s.arg(QDir::toNativeSeparators(bundleFile), file.errorString()));
    file.seek((*found)->archiveOffset);
    const QByteArray bytes = file.read((*found)->archiveSize);
    if (bytes.size() != (*found)->archiveSize)
        return unexpected(
            u"%1: the archive is cut short"_s.arg(QDir::toNativeSeparators(bundleFile)));
    return bytes;
}

} // namespace

Expected<std::optional<BundleLocation>, QString> findBundle(const QString& fileName)
{
    QFile file(fileName);
    if (!file.open(QIODevice::ReadOnly))
        return unexpected(
            u"cannot read %1: %2"_s.arg(QDir::toNativeSeparators(fileName), file.errorString()));
    const qint64 size = file.size();
    if (size < kFooterSize)
        return std::optional<BundleLocation>();
    file.seek(size - kFooterSize);
    const QByteArray footer = file.read(kFooterSize);
    if (footer.size() != kFooterSize || std::memcmp(footer.constData() + 16, kBundleMagic, 16) != 0)
        return std::optional<BundleLocation>();
    BundleLocation location;
    location.archiveOffset = qFromLittleEndian<qint64>(footer.constData());
    location.archiveSize = qFromLittleEndian<qint64>(footer.constData() + 8);
    // Compared without adding the two: the footer's numbers are untrusted, their sum may overflow.
    const qint64 beforeFooter = size - kFooterSize;
    if (location.archiveOffset < 0 || location.archiveSize <= 0
        || location.archiveOffset > beforeFooter
        || location.archiveSize != beforeFooter - location.archiveOffset)
        return unexpected(
            u"%1 has a damaged bundle footer"_s.arg(QDir::toNativeSeparators(fileName)));
    return std::optional<BundleLocation>(location);
}

Expected<std::vector<SiteEntry>, QString> collectSite(const QString& siteFolder)
{
    const QFileInfo rootInfo(siteFolder);
    if (!rootInfo.isDir())
        return unexpected(u"%1 is not a folder"_s.arg(QDir::toNativeSeparators(siteFolder)));
    const QString root = rootInfo.canonicalFilePath();
    if (!QFileInfo(root + u"/lua/main.lua"_s).exists())
        return unexpected(u"%1 is not a site: it has no lua/main.lua"_s.arg(
            QDir::toNativeSeparators(siteFolder)));

    std::vector<SiteEntry> entries;
    std::vector<QString> folders { QString() };
    while (!folders.empty()) {
        const QString folder = folders.back();
        folders.pop_back();
        const QDir dir(folder.isEmpty() ? root : root + u'/' + folder);
        const QFileInfoList children = dir.entryInfoList(
            QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name);
        for (const QFileInfo& child : children) {
            const QString relative
                = folder.isEmpty() ? child.fileName() : folder + u'/' + child.fileName();
            if (isJunk(child.fileName()))
                continue;
            if (child.isSymLink()) {
                // The link text itself: an absolute link is refused even when it points inside.
                char raw[4096];
                const ssize_t n = ::readlink(
                    QFile::encodeName(child.filePath()).constData(), raw, sizeof raw - 1);
                const QString text = n > 0 ? QFile::decodeName(QByteArray(raw, n)) : QString();
                if (text.startsWith(u'/'))
                    return unexpected(
                        u"the link %1 is absolute (%2): links in a package must be relative"_s.arg(
                            relative, text));
                const QString canonical = QFileInfo(child.symLinkTarget()).canonicalFilePath();
                const bool inside = !canonical.isEmpty()
                    && (canonical == root || canonical.startsWith(root + u'/'));
                if (!inside)
                    return unexpected(
                        u"the link %1 points outside the site (%2): packages contain the site only"_s
                            .arg(relative, text));
                entries.push_back({ relative, true, text });
                continue;
            }
            if (child.isDir()) {
                if (!isSkippedFolder(relative))
                    folders.push_back(relative);
                continue;
            }
            if (child.isFile())
                entries.push_back({ relative, false, {} });
        }
    }
    std::sort(entries.begin(), entries.end(),
        [](const SiteEntry& a, const SiteEntry& b) { return a.path < b.path; });
    return entries;
}

Expected<void, QString> writeBundle(const QString& playerFile, const QString& siteFolder,
    const QString& outFile, const std::function<void(int done, int total)>& progress)
{
    auto entries = collectSite(siteFolder);
    if (!entries)
        return unexpected(entries.error());

    // The player: a bundle used as the player loses its old archive.
    QFile player(playerFile);
    if (!player.open(QIODevice::ReadOnly))
        return unexpected(u"cannot read the player %1: %2"_s.arg(
            QDir::toNativeSeparators(playerFile), player.errorString()));
    auto existing = findBundle(playerFile);
    if (!existing)
        return unexpected(existing.error());
    const qint64 playerSize = *existing ? (*existing)->archiveOffset : player.size();
    const QByteArray playerBytes = player.read(playerSize);
    if (playerBytes.size() != playerSize)
        return unexpected(u"cannot read the player %1"_s.arg(QDir::toNativeSeparators(playerFile)));

    // The archive, in memory (sites are small; PACKAGING.md targets are a few MB).
    QByteArray archiveBytes;
    {
        ArchiveWriter writer;
        archive_write_set_format_pax_restricted(writer.a);
        archive_write_add_filter_none(writer.a);
        auto sink = [](archive*, void* data, const void* buffer, size_t length) -> la_ssize_t {
            static_cast<QByteArray*>(data)->append(
                static_cast<const char*>(buffer), static_cast<qsizetype>(length));
            return static_cast<la_ssize_t>(length);
        };
        if (archive_write_open(writer.a, &archiveBytes, nullptr, sink, nullptr) != ARCHIVE_OK)
            return unexpected(u"cannot start the archive: "_s + archiveError(writer.a));
        const QString root = QFileInfo(siteFolder).canonicalFilePath();
        int done = 0;
        const int total = static_cast<int>(entries->size());
        for (const SiteEntry& entry : *entries) {
            EntryHolder holder;
            const QByteArray name = entry.path.toUtf8();
            archive_entry_set_pathname(holder.e, name.constData());
            archive_entry_set_mtime(holder.e, 0, 0); // reproducible
            QByteArray content;
            if (entry.isLink) {
                const QByteArray target = entry.linkTarget.toUtf8();
                archive_entry_set_filetype(holder.e, AE_IFLNK);
                archive_entry_set_perm(holder.e, 0777);
                archive_entry_set_symlink(holder.e, target.constData());
                archive_entry_set_size(holder.e, 0);
            } else {
                QFile file(root + u'/' + entry.path);
                if (!file.open(QIODevice::ReadOnly))
                    return unexpected(u"cannot read %1: %2"_s.arg(entry.path, file.errorString()));
                content = file.readAll();
                archive_entry_set_filetype(holder.e, AE_IFREG);
                archive_entry_set_perm(holder.e, 0644);
                archive_entry_set_size(holder.e, content.size());
            }
            if (archive_write_header(writer.a, holder.e) != ARCHIVE_OK)
                return unexpected(u"cannot add %1: %2"_s.arg(entry.path, archiveError(writer.a)));
            if (!content.isEmpty()
                && archive_write_data(
                       writer.a, content.constData(), static_cast<size_t>(content.size()))
                    != content.size())
                return unexpected(u"cannot add %1: %2"_s.arg(entry.path, archiveError(writer.a)));
            if (progress)
                progress(++done, total);
        }
        if (archive_write_close(writer.a) != ARCHIVE_OK)
            return unexpected(u"cannot finish the archive: "_s + archiveError(writer.a));
    }

    QByteArray footer(kFooterSize, '\0');
    qToLittleEndian<qint64>(playerSize, footer.data());
    qToLittleEndian<qint64>(archiveBytes.size(), footer.data() + 8);
    std::memcpy(footer.data() + 16, kBundleMagic, 16);

    QSaveFile out(outFile);
    if (!out.open(QIODevice::WriteOnly))
        return unexpected(
            u"cannot write %1: %2"_s.arg(QDir::toNativeSeparators(outFile), out.errorString()));
    if (out.write(playerBytes) != playerBytes.size()
        || out.write(archiveBytes) != archiveBytes.size() || out.write(footer) != footer.size()) {
        out.cancelWriting();
        return unexpected(
            u"cannot write %1: %2"_s.arg(QDir::toNativeSeparators(outFile), out.errorString()));
    }
    if (!out.commit())
        return unexpected(
            u"cannot write %1: %2"_s.arg(QDir::toNativeSeparators(outFile), out.errorString()));
    QFile::setPermissions(
        outFile, QFile::permissions(outFile) | QFile::ExeOwner | QFile::ExeGroup | QFile::ExeOther);
    return {};
}

namespace {

// Walks the archive of a bundle: fn(entry, reader) per entry.
Expected<void, QString> forEachEntry(const QString& bundleFile,
    const std::function<Expected<void, QString>(archive_entry*, archive*)>& fn)
{
    auto bytes = readArchiveBytes(bundleFile);
    if (!bytes)
        return unexpected(bytes.error());
    ArchiveReader reader;
    archive_read_support_format_tar(reader.a);
    archive_read_support_filter_none(reader.a);
    if (archive_read_open_memory(reader.a, bytes->constData(), static_cast<size_t>(bytes->size()))
        != ARCHIVE_OK)
        return unexpected(u"the bundle's archive cannot be read: "_s + archiveError(reader.a));
    archive_entry* entry = nullptr;
    while (true) {
        const int status = archive_read_next_header(reader.a, &entry);
        if (status == ARCHIVE_EOF)
            return {};
        if (status != ARCHIVE_OK)
            return unexpected(u"the bundle's archive is damaged: "_s + archiveError(reader.a));
        if (auto handled = fn(entry, reader.a); !handled)
            return handled;
    }
}

} // namespace

Expected<QStringList, QString> listBundle(const QString& bundleFile)
{
    QStringList names;
    auto walked
        = forEachEntry(bundleFile, [&](archive_entry* entry, archive*) -> Expected<void, QString> {
              const QString name = QString::fromUtf8(archive_entry_pathname(entry));
              if (archive_entry_filetype(entry) == AE_IFLNK)
                  names << name + u" -> "_s + QString::fromUtf8(archive_entry_symlink(entry));
              else
                  names << name;
              return {};
          });
    if (!walked)
        return unexpected(walked.error());
    return names;
}

namespace {

// The first folder on the way to `name` (relative to root, '/'-separated) that is a symbolic
// link, or an empty string. Nothing is unpacked through a link: a link named on the way could
// lead anywhere, and packaging never puts entries below a link anyway.
QString linkOnTheWay(const QString& root, const QString& name)
{
    const QStringList parts = name.split(u'/', Qt::SkipEmptyParts);
    QString path = root;
    for (qsizetype i = 0; i + 1 < parts.size(); ++i) {
        path += u'/' + parts.at(i);
        if (QFileInfo(path).isSymLink())
            return parts.mid(0, i + 1).join(u'/');
    }
    return {};
}

// Where the link at `path` leads, following its target part by part from the link's folder as
// the system does: links met on the way are resolved, parts that do not exist are taken as text
// (as if made later as folders). Empty when a link on the way is broken: then the target is not
// reachable at all.
QString linkDestination(const QString& path, const QString& target)
{
    QString at = QFileInfo(QFileInfo(path).path()).canonicalFilePath();
    for (const QString& part : target.split(u'/', Qt::SkipEmptyParts)) {
        if (part == u"."_s)
            continue;
        if (part == u".."_s) {
            at = QFileInfo(at).path(); // `at` is canonical (or text below it): its parent is real
            continue;
        }
        at += u'/' + part;
        const QFileInfo info(at);
        if (info.isSymLink()) {
            at = info.canonicalFilePath();
            if (at.isEmpty())
                return {};
        }
    }
    return at;
}

} // namespace

Expected<void, QString> extractBundle(const QString& bundleFile, const QString& dirName)
{
    if (!QDir().mkpath(dirName))
        return unexpected(u"cannot create %1"_s.arg(QDir::toNativeSeparators(dirName)));
    const QString root = QFileInfo(dirName).canonicalFilePath();
    const auto inside
        = [&root](const QString& path) { return path == root || path.startsWith(root + u'/'); };
    struct Link
    {
        QString name, path, target;
    };
    std::vector<Link> links;
    auto extracted = forEachEntry(
        bundleFile, [&](archive_entry* entry, archive* reader) -> Expected<void, QString> {
            const QString name = QString::fromUtf8(archive_entry_pathname(entry));
            const QString path = QDir::cleanPath(root + u'/' + name);
            if (name.startsWith(u'/') || name.contains(u'\\') || !path.startsWith(root + u'/')
                || name.split(u'/').contains(u".."_s))
                return unexpected(u"the bundle's entry '%1' would land outside %2"_s.arg(
                    name, QDir::toNativeSeparators(dirName)));
            if (const QString link = linkOnTheWay(root, name); !link.isEmpty())
                return unexpected(
                    u"the bundle's entry '%1' would be unpacked through the link '%2'"_s.arg(
                        name, link));
            if (!QDir().mkpath(QFileInfo(path).path()))
                return unexpected(u"cannot create the folder of %1"_s.arg(name));
            if (archive_entry_filetype(entry) == AE_IFLNK) {
                const QString target = QString::fromUtf8(archive_entry_symlink(entry));
                const QString resolved = QDir::cleanPath(QFileInfo(path).path() + u'/' + target);
                if (QDir::isAbsolutePath(target) || !inside(resolved))
                    return unexpected(u"the bundle's link '%1' points outside it"_s.arg(name));
                QFile::remove(path);
                if (!QFile::link(target, path))
                    return unexpected(u"cannot create the link %1"_s.arg(name));
                links.push_back({ name, path, target });
                return {};
            }
            if (archive_entry_filetype(entry) != AE_IFREG)
                return {};
            // A file replaces a link of the same name rather than being written through it.
            if (QFileInfo(path).isSymLink())
                QFile::remove(path);
            QSaveFile file(path);
            if (!file.open(QIODevice::WriteOnly))
                return unexpected(u"cannot write %1: %2"_s.arg(name, file.errorString()));
            char buffer[65536];
            la_ssize_t n = 0;
            while ((n = archive_read_data(reader, buffer, sizeof buffer)) > 0)
                file.write(buffer, n);
            if (n < 0 || !file.commit())
                return unexpected(u"cannot write %1: %2"_s.arg(
                    name, n < 0 ? archiveError(reader) : file.errorString()));
            return {};
        });
    // Each link's target was checked as text when it was unpacked; a link unpacked later can
    // still turn it around ("s/x/../.." is inside as text, outside once s -> "."). Checked again
    // with everything in place, also after a failure; a link that leads outside is removed, not
    // left behind.
    QString outsideLink;
    for (const Link& link : links) {
        if (!QFileInfo(link.path).isSymLink())
            continue; // replaced by a later entry
        const QString destination = linkDestination(link.path, link.target);
        if (!destination.isEmpty() && !inside(QDir::cleanPath(destination))) {
            QFile::remove(link.path);
            if (outsideLink.isEmpty())
                outsideLink = link.name;
        }
    }
    if (!extracted)
        return extracted;
    if (!outsideLink.isEmpty())
        return unexpected(u"the bundle's link '%1' points outside it"_s.arg(outsideLink));
    return {};
}

} // namespace lunette::package
