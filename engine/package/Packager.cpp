#include "Packager.h"

#include <filesystem>
#include <system_error>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QSysInfo>
#include <QTemporaryDir>

#include "Bundle.h"
#include "PackageJob.h"
#include "Tools.h"

using namespace Qt::StringLiterals;

namespace lunette::package {

QString formatName(Format format)
{
    switch (format) {
    case Format::Bundle:
        return u"bundle"_s;
    case Format::Deb:
        return u"deb"_s;
    case Format::Portable:
        return u"portable"_s;
    }
    return QString();
}

std::optional<Format> formatFromName(const QString& name)
{
    for (Format format : { Format::Bundle, Format::Deb, Format::Portable }) {
        if (formatName(format) == name)
            return format;
    }
    return std::nullopt;
}

namespace {

// Debian's name for this machine's architecture.
QString debianArchitecture()
{
    if (auto printed = runTool(kDpkg, { u"--print-architecture"_s }))
        return QString::fromLatin1(*printed).trimmed();
    const QString cpu = QSysInfo::buildCpuArchitecture();
    return cpu == "x86_64"_L1 ? u"amd64"_s : cpu;
}

QString defaultName(const AppInfo& info, Format format)
{
    switch (format) {
    case Format::Bundle:
        return info.name;
    case Format::Deb:
        return u"%1_%2_%3.deb"_s.arg(info.name, info.version, debianArchitecture());
    case Format::Portable:
        return u"%1-%2-portable"_s.arg(info.name, info.version);
    }
    return info.name;
}

// The player without any bundle archive and, when strip is there, without symbols: the size of
// every package depends on it (a RelWithDebInfo build is twenty times its stripped size).
Expected<QString, QString> preparePlayer(const detail::Job& job)
{
    const QString source = job.options.playerFile;
    auto location = findBundle(source);
    if (!location)
        return unexpected(location.error());
    QFile in(source);
    if (!in.open(QIODevice::ReadOnly))
        return unexpected(u"cannot read the player %1: %2"_s.arg(
            QDir::toNativeSeparators(source), in.errorString()));
    const qint64 size = *location ? (*location)->archiveOffset : in.size();
    const QString target = job.staging + u"/player"_s;
    QFile out(target);
    if (!out.open(QIODevice::WriteOnly))
        return unexpected(
            u"cannot write %1: %2"_s.arg(QDir::toNativeSeparators(target), out.errorString()));
    for (qint64 left = size; left > 0;) {
        const QByteArray chunk = in.read(std::min<qint64>(left, 1 << 20));
        if (chunk.isEmpty() || out.write(chunk) != chunk.size())
            return unexpected(u"cannot copy the player %1"_s.arg(QDir::toNativeSeparators(source)));
        left -= chunk.size();
    }
    out.close();
    QFile::setPermissions(target,
        QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::ExeGroup
            | QFile::ReadOther | QFile::ExeOther);
    if (haveTool(kStrip)) {
        if (auto stripped = runTool(kStrip, { u"--strip-all"_s, target }, {}, job.cancel);
            !stripped)
            return unexpected(stripped.error());
    }
    return target;
}

} // namespace

namespace detail {

Expected<void, QString> bundleInto(const Job& job, const QString& file, int from, int to)
{
    return writeBundle(job.player, job.site, file, [&](int done, int total) {
        job.report(u"Adding the site (%1/%2 files)"_s.arg(done).arg(total),
            from + (to - from) * done / std::max(total, 1));
    });
}

Expected<void, QString> writeTextFile(const QString& fileName, const QString& text, int mode)
{
    if (!QDir().mkpath(QFileInfo(fileName).path()))
        return unexpected(
            u"cannot create the folder of %1"_s.arg(QDir::toNativeSeparators(fileName)));
    QSaveFile file(fileName);
    if (!file.open(QIODevice::WriteOnly) || file.write(text.toUtf8()) < 0 || !file.commit())
        return unexpected(
            u"cannot write %1: %2"_s.arg(QDir::toNativeSeparators(fileName), file.errorString()));
    std::error_code error;
    std::filesystem::permissions(
        QFile::encodeName(fileName).toStdString(), std::filesystem::perms(mode), error);
    return {};
}

Expected<void, QString> moveIntoPlace(const QString& from, const QString& to)
{
    namespace fs = std::filesystem;
    const fs::path source = QFile::encodeName(from).toStdString();
    const fs::path target = QFile::encodeName(to).toStdString();
    std::error_code error;
    if (!QFileInfo(to).isDir() || QFileInfo(to).isSymLink()) {
        fs::rename(source, target, error); // replaces a file atomically
        if (error)
            return unexpected(u"cannot write %1: %2"_s.arg(
                QDir::toNativeSeparators(to), QString::fromStdString(error.message())));
        return {};
    }
    if (!QFileInfo(from).isDir())
        return unexpected(u"cannot write %1: it is a folder"_s.arg(QDir::toNativeSeparators(to)));
    // A folder: the old one steps aside (into from's staging folder) until the new one is in.
    const fs::path aside = source.parent_path() / ".replaced";
    fs::rename(target, aside, error);
    if (!error)
        fs::rename(source, target, error);
    if (error) {
        std::error_code ignored;
        if (!fs::exists(target, ignored))
            fs::rename(aside, target, ignored);
        return unexpected(u"cannot replace %1: %2"_s.arg(
            QDir::toNativeSeparators(to), QString::fromStdString(error.message())));
    }
    fs::remove_all(aside, error);
    return {};
}

} // namespace detail

Expected<QString, QString> defaultOutput(
    const QString& siteFolder, Format format, const QString& dir)
{
    auto info = appInfo(siteFolder);
    if (!info)
        return unexpected(info.error());
    return QDir(dir).absoluteFilePath(defaultName(*info, format));
}

Expected<Result, QString> makePackage(
    const Options& options, const ProgressFn& progress, const std::atomic_bool* cancel)
{
    const QString site = QDir(options.siteFolder).absolutePath();
    if (!QFileInfo(site).isDir())
        return unexpected(
            u"%1: no such folder"_s.arg(QDir::toNativeSeparators(options.siteFolder)));
    auto info = appInfo(site);
    if (!info)
        return unexpected(info.error());
    // The site's files and links are checked before any work is done.
    if (auto entries = collectSite(site); !entries)
        return unexpected(entries.error());

    const QString output = options.output.isEmpty()
        ? QDir::current().absoluteFilePath(defaultName(*info, options.format))
        : QDir(options.output).absolutePath();
    const QString parent = QFileInfo(output).absolutePath();
    if (!QFileInfo(parent).isDir())
        return unexpected(u"cannot write %1: the folder %2 does not exist"_s.arg(
            QDir::toNativeSeparators(output), QDir::toNativeSeparators(parent)));
    if (QDir::cleanPath(output) == QDir::cleanPath(site)
        || output.startsWith(QDir::cleanPath(site) + u'/'))
        return unexpected(
            u"cannot write %1: the package cannot go inside the site it packages"_s.arg(
                QDir::toNativeSeparators(output)));
    QTemporaryDir staging(parent + u"/.lunette-package-XXXXXX"_s);
    if (!staging.isValid())
        return unexpected(u"cannot write in %1: %2"_s.arg(
            QDir::toNativeSeparators(parent), staging.errorString()));

    detail::Job job { options, *info, site, output, staging.path(), {}, progress, cancel };
    job.report(u"Preparing the player"_s, 0);
    auto player = preparePlayer(job);
    if (!player)
        return unexpected(player.error());
    job.player = *player;
    if (job.cancelled())
        return unexpected(u"cancelled"_s);

    Result result;
    switch (options.format) {
    case Format::Bundle: {
        const QString file = staging.path() + u"/bundle"_s;
        if (auto written = detail::bundleInto(job, file, 10, 100); !written)
            return unexpected(written.error());
        if (auto moved = detail::moveIntoPlace(file, output); !moved)
            return unexpected(moved.error());
        result.written << output;
        break;
    }
    case Format::Deb: {
        auto written = detail::buildDeb(job);
        if (!written)
            return unexpected(written.error());
        result.written = *written;
        break;
    }
    case Format::Portable: {
        auto written = detail::buildPortable(job);
        if (!written)
            return unexpected(written.error());
        result.written = *written;
        break;
    }
    }
    job.report(u"Done"_s, 100);
    return result;
}

} // namespace lunette::package
