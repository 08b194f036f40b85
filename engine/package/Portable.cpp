// The portable format (PACKAGING.md): a folder that runs on a Linux x86-64 machine without Qt,
// and the same folder as <folder>.tar.zst.
//
//   <name>                        launcher script (sets the web engine's paths, runs bin/<name>)
//   bin/<name>, bin/qt.conf       the bundle; qt.conf points Qt at the folders below
//   lib/                          the ldd closure of everything here minus the base system
//                                 (packaging/portable-system-libraries.txt)
//   plugins/                      Qt's platform, image format, input, TLS and network plugins
//   libexec/QtWebEngineProcess    the web engine's renderer process (+ its qt.conf)
//   resources/                    the web engine's resource paks (DevTools only when asked)
//   translations/qtwebengine_locales/en-US.pak
//   qml/                          the QML modules of the docks (for --inspect)
//
// Every ELF file gets a RUNPATH relative to itself ($ORIGIN) with patchelf, so the libraries
// here are found before the system's, including the ones only other libraries need.

#include <map>
#include <tuple>

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QLibraryInfo>
#include <QRegularExpression>

#include "Archive.h"
#include "PackageJob.h"
#include "Tools.h"

using namespace Qt::StringLiterals;

namespace lunette::package::detail {

namespace {

// zstd level of the .tar.zst: 19 keeps the archive under PACKAGING.md's 85 MB.
constexpr int kCompressionLevel = 19;

// Qt plugins the player may load, by plugin folder (file name patterns).
const std::vector<std::pair<QString, QStringList>>& pluginsToShip()
{
    static const std::vector<std::pair<QString, QStringList>> plugins {
        { u"platforms"_s, { u"libqxcb.so"_s, u"libqwayland*.so"_s, u"libqoffscreen.so"_s } },
        { u"wayland-shell-integration"_s, { u"*.so"_s } },
        { u"wayland-decoration-client"_s, { u"*.so"_s } },
        { u"wayland-graphics-integration-client"_s, { u"*.so"_s } },
        { u"xcbglintegrations"_s, { u"*.so"_s } },
        { u"platforminputcontexts"_s, { u"*.so"_s } },
        { u"imageformats"_s, { u"*.so"_s } },
        { u"iconengines"_s, { u"*.so"_s } },
        { u"tls"_s, { u"*.so"_s } },
        { u"networkinformation"_s, { u"*.so"_s } },
    };
    return plugins;
}

// QML module folders the docks import (recursive), and folders of which only the files are
// taken (their sub-folders are other modules).
const QStringList kQmlTrees { u"QtQml/WorkerScript"_s, u"QtQuick/Controls/Basic"_s,
    u"QtQuick/Controls/Fusion"_s, u"QtQuick/Controls/impl"_s, u"QtQuick/Layouts"_s,
    u"QtQuick/Templates"_s, u"QtQuick/Window"_s };
const QStringList kQmlFilesOnly { u"QtQuick"_s, u"QtQuick/Controls"_s };

std::vector<QRegularExpression> systemLibraryPatterns()
{
    QFile file(u":/lunette/packaging/portable-system-libraries.txt"_s);
    file.open(QIODevice::ReadOnly);
    std::vector<QRegularExpression> patterns;
    for (const QByteArray& raw : file.readAll().split('\n')) {
        const QString line = QString::fromUtf8(raw).trimmed();
        if (!line.isEmpty() && !line.startsWith(u'#'))
            patterns.emplace_back(QRegularExpression::wildcardToRegularExpression(line));
    }
    return patterns;
}

bool isSystemLibrary(const QString& soname)
{
    static const std::vector<QRegularExpression> patterns = systemLibraryPatterns();
    for (const QRegularExpression& pattern : patterns) {
        if (pattern.match(soname).hasMatch())
            return true;
    }
    return false;
}

// Copy a file (following links) with its executable bit.
Expected<void, QString> copyFile(const QString& from, const QString& to)
{
    if (!QDir().mkpath(QFileInfo(to).path()))
        return unexpected(u"cannot create the folder of %1"_s.arg(QDir::toNativeSeparators(to)));
    QFile::remove(to);
    if (!QFile::copy(QFileInfo(from).canonicalFilePath(), to))
        return unexpected(u"cannot copy %1 to %2"_s.arg(
            QDir::toNativeSeparators(from), QDir::toNativeSeparators(to)));
    QFile::setPermissions(to, QFile::permissions(to) | QFile::WriteOwner);
    return {};
}

// The shared libraries file needs (ldd: soname → path). A library ldd cannot find is an error.
Expected<std::map<QString, QString>, QString> neededLibraries(const Job& job, const QString& file)
{
    auto output = runTool(kLdd, { file }, {}, job.cancel);
    if (!output)
        return unexpected(output.error());
    std::map<QString, QString> libraries;
    static const QRegularExpression line(u"^\\s*(\\S+)\\s+=>\\s+(.*?)\\s*(\\(0x[0-9a-f]+\\))?$"_s);
    for (const QString& text : QString::fromLocal8Bit(*output).split(u'\n')) {
        const QRegularExpressionMatch match = line.match(text);
        if (!match.hasMatch())
            continue; // linux-vdso, the dynamic loader itself
        if (match.captured(2) == "not found"_L1)
            return unexpected(u"%1 needs %2, which is not installed"_s.arg(
                QFileInfo(file).fileName(), match.captured(1)));
        libraries.emplace(match.captured(1), match.captured(2));
    }
    return libraries;
}

Expected<void, QString> setRunpath(const Job& job, const QString& file, const QString& runpath)
{
    auto set = runTool(kPatchelf, { u"--set-rpath"_s, runpath, file }, {}, job.cancel);
    if (!set)
        return unexpected(set.error());
    return {};
}

// "$ORIGIN/<relative path from file's folder to lib/>".
QString runpathToLib(const QString& folder, const QString& file)
{
    const QString relative = QDir(QFileInfo(file).path()).relativeFilePath(folder + u"/lib"_s);
    return relative == "."_L1 ? u"$ORIGIN"_s : u"$ORIGIN/"_s + relative;
}

} // namespace

Expected<QStringList, QString> buildPortable(Job& job)
{
    for (const Tool& tool : { kLdd, kPatchelf }) {
        if (!haveTool(tool))
            return unexpected(u"the portable format needs %1 (apt install %2)"_s.arg(
                tool.program, tool.debianPackage));
    }
    const AppInfo& info = job.info;
    const QString name = QFileInfo(job.output).fileName();
    const QString folder = job.staging + u'/' + name;
    const QString qtLibexec = QLibraryInfo::path(QLibraryInfo::LibraryExecutablesPath);
    const QString qtPlugins = QLibraryInfo::path(QLibraryInfo::PluginsPath);
    const QString qtData = QLibraryInfo::path(QLibraryInfo::DataPath);
    const QString qtTranslations = QLibraryInfo::path(QLibraryInfo::TranslationsPath);
    const QString qtQml = QLibraryInfo::path(QLibraryInfo::QmlImportsPath);

    // ELF files to ship: (system file, place in the folder).
    std::vector<std::pair<QString, QString>> binaries;
    binaries.emplace_back(qtLibexec + u"/QtWebEngineProcess"_s, u"libexec/QtWebEngineProcess"_s);
    for (const auto& [kind, patterns] : pluginsToShip()) {
        QDirIterator it(qtPlugins + u'/' + kind, patterns, QDir::Files);
        while (it.hasNext()) {
            it.next();
            binaries.emplace_back(it.filePath(), u"plugins/%1/%2"_s.arg(kind, it.fileName()));
        }
    }
    // Data files: the QML modules, the web engine's resources and en-US locale.
    std::vector<std::pair<QString, QString>> files;
    for (const QString& tree : kQmlTrees + kQmlFilesOnly) {
        const bool recursive = kQmlTrees.contains(tree);
        QDirIterator it(qtQml + u'/' + tree, QDir::Files,
            recursive ? QDirIterator::Subdirectories : QDirIterator::NoIteratorFlags);
        while (it.hasNext()) {
            it.next();
            const QString place = u"qml/"_s + QDir(qtQml).relativeFilePath(it.filePath());
            if (it.fileName().endsWith(u".so"_s))
                binaries.emplace_back(it.filePath(), place);
            else
                files.emplace_back(it.filePath(), place);
        }
    }
    {
        QDirIterator it(qtData + u"/resources"_s, QDir::Files);
        while (it.hasNext()) {
            it.next();
            if (it.fileName().contains(u"devtools"_s) && !job.options.withDevtools)
                continue;
            files.emplace_back(it.filePath(), u"resources/"_s + it.fileName());
        }
    }
    files.emplace_back(qtTranslations + u"/qtwebengine_locales/en-US.pak"_s,
        u"translations/qtwebengine_locales/en-US.pak"_s);
    for (const auto& [from, to] : files) {
        if (!QFileInfo::exists(from))
            return unexpected(
                u"the web engine's file %1 is missing (is QtWebEngine installed?)"_s.arg(
                    QDir::toNativeSeparators(from)));
    }
    if (!QFileInfo::exists(binaries.front().first))
        return unexpected(u"QtWebEngineProcess is missing at %1"_s.arg(
            QDir::toNativeSeparators(binaries.front().first)));

    // The player gets its RUNPATH before the site is appended (patchelf rewrites the file).
    job.report(u"Preparing the player"_s, 8);
    const QString bin = folder + u"/bin/"_s + info.name;
    if (auto set = setRunpath(job, job.player, u"$ORIGIN/../lib"_s); !set)
        return unexpected(set.error());
    if (!QDir().mkpath(folder + u"/bin"_s))
        return unexpected(u"cannot create %1"_s.arg(QDir::toNativeSeparators(folder)));
    if (auto bundled = bundleInto(job, bin, 8, 12); !bundled)
        return unexpected(bundled.error());

    // The libraries: where ldd finds each one (for the player, the renderer process and the
    // plugins), then the walk of their NEEDED entries that stops at the base system, so what only
    // a system library needs stays out.
    job.report(u"Finding the libraries it needs (ldd)"_s, 12);
    std::map<QString, QString> resolved;
    QStringList roots { job.player };
    for (const auto& [from, to] : binaries)
        roots << from;
    for (const QString& root : roots) {
        auto needed = neededLibraries(job, root);
        if (!needed)
            return unexpected(needed.error());
        resolved.merge(*needed);
    }
    std::map<QString, QString> libraries;
    QStringList pending = roots;
    while (!pending.isEmpty()) {
        if (job.cancelled())
            return unexpected(u"cancelled"_s);
        auto needed
            = runTool(kPatchelf, { u"--print-needed"_s, pending.takeLast() }, {}, job.cancel);
        if (!needed)
            return unexpected(needed.error());
        for (const QByteArray& raw : needed->split('\n')) {
            const QString soname = QString::fromUtf8(raw).trimmed();
            if (soname.isEmpty() || isSystemLibrary(soname) || libraries.contains(soname))
                continue;
            const auto found = resolved.find(soname);
            if (found == resolved.end())
                return unexpected(u"ldd did not say where %1 is"_s.arg(soname));
            libraries.emplace(soname, found->second);
            pending << found->second;
        }
    }

    const int steps = static_cast<int>(libraries.size() + binaries.size() + files.size());
    int done = 0;
    auto stepDone = [&](const QString& what) {
        ++done;
        job.report(u"Copying %1"_s.arg(what), 15 + 35 * done / std::max(steps, 1));
    };
    for (const auto& [soname, path] : libraries) {
        if (job.cancelled())
            return unexpected(u"cancelled"_s);
        const QString target = folder + u"/lib/"_s + soname;
        if (auto copied = copyFile(path, target); !copied)
            return unexpected(copied.error());
        if (auto set = setRunpath(job, target, u"$ORIGIN"_s); !set)
            return unexpected(set.error());
        stepDone(soname);
    }
    for (const auto& [from, to] : binaries) {
        if (job.cancelled())
            return unexpected(u"cancelled"_s);
        const QString target = folder + u'/' + to;
        if (auto copied = copyFile(from, target); !copied)
            return unexpected(copied.error());
        if (auto set = setRunpath(job, target, runpathToLib(folder, target)); !set)
            return unexpected(set.error());
        stepDone(to);
    }
    for (const auto& [from, to] : files) {
        if (auto copied = copyFile(from, folder + u'/' + to); !copied)
            return unexpected(copied.error());
        stepDone(to);
    }

    QFile conf(u":/lunette/packaging/qt.conf"_s);
    conf.open(QIODevice::ReadOnly);
    const QString qtConf = QString::fromUtf8(conf.readAll());
    QFile launcherTemplate(u":/lunette/packaging/launcher.sh.in"_s);
    launcherTemplate.open(QIODevice::ReadOnly);
    QString launcher = QString::fromUtf8(launcherTemplate.readAll());
    launcher.replace(u"@NAME@"_s, info.name)
        .replace(u"@TITLE@"_s, QString(info.title).replace(u'\n', u' '));
    using TextFile = std::tuple<QString, QString, int>;
    for (const auto& [file, text, mode] : { TextFile(folder + u"/bin/qt.conf"_s, qtConf, 0644),
             TextFile(folder + u"/libexec/qt.conf"_s, qtConf, 0644),
             TextFile(folder + u'/' + info.name, launcher, 0755) }) {
        if (auto written = writeTextFile(file, text, mode); !written)
            return unexpected(written.error());
    }

    // No Qt library may come from outside the folder: checked on what was just built. (Others
    // may: a library that a base-system library needs too is loaded once, from either place.)
    job.report(u"Checking the libraries resolve inside the folder"_s, 50);
    for (const QString& file : QStringList { bin, folder + u"/libexec/QtWebEngineProcess"_s,
             folder + u"/plugins/platforms/libqxcb.so"_s }) {
        if (!QFileInfo::exists(file))
            continue;
        auto needed = neededLibraries(job, file);
        if (!needed)
            return unexpected(needed.error());
        for (const auto& [soname, path] : *needed) {
            if (soname.startsWith(u"libQt6"_s) && !QDir::cleanPath(path).startsWith(folder + u'/'))
                return unexpected(u"%1 would load %2 from %3 instead of the package"_s.arg(
                    QFileInfo(file).fileName(), soname, path));
        }
    }

    job.report(u"Compressing (zstd)"_s, 52);
    const QString archiveName = name + u".tar.zst"_s;
    const QString archive = job.staging + u'/' + archiveName;
    auto compressed = writeTarZst(
        folder, name, archive, kCompressionLevel,
        [&](qint64 bytes, qint64 total) {
            job.report(u"Compressing (zstd)"_s, 52 + int(46 * bytes / std::max<qint64>(total, 1)));
        },
        job.cancel);
    if (!compressed)
        return unexpected(compressed.error());

    job.report(u"Moving the package into place"_s, 98);
    const QString archiveTarget = job.output + u".tar.zst"_s;
    if (auto moved = moveIntoPlace(folder, job.output); !moved)
        return unexpected(moved.error());
    if (auto moved = moveIntoPlace(archive, archiveTarget); !moved)
        return unexpected(moved.error());
    return QStringList { job.output, archiveTarget };
}

} // namespace lunette::package::detail
