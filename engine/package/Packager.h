#pragma once

// `lunette package SITE --format bundle|deb|portable [-o OUT]` and the GUI's Package… dialog both
// call makePackage (PACKAGING.md). It runs on any thread (the dialog runs it on a worker), reports
// progress through a callback on that thread, can be cancelled, and never leaves a half-written
// output behind: every format is built in a staging place next to the output and moved into place
// at the end.
//
//   bundle    one executable file: the player + the site archive (Bundle.h)
//   deb       a Debian package made with dpkg-deb: the bundle as /usr/bin/<name>, a desktop entry,
//             a hicolor icon, AppStream metainfo; Depends: from dpkg-shlibdeps
//   portable  a folder and <folder>.tar.zst: the bundle, the shared libraries it needs that a
//             Linux desktop does not have (the ldd closure minus glibc/GL/X core), Qt's plugins,
//             QtWebEngineProcess, the WebEngine resource paks, the en-US locale, qt.conf, RPATHs
//             set with patchelf and a launcher script
//
// The external tools (strip, dpkg-deb, dpkg-shlibdeps, ldd, patchelf) are looked up on PATH; a
// missing one is an error that names the Debian package to install.

#include <atomic>
#include <functional>
#include <optional>

#include <QString>
#include <QStringList>

#include "lua/Expected.h"

namespace lunette::package {

enum class Format
{
    Bundle,
    Deb,
    Portable,
};

// "bundle" / "deb" / "portable".
QString formatName(Format format);
std::optional<Format> formatFromName(const QString& name);

struct Options
{
    QString siteFolder;
    Format format = Format::Bundle;
    // The file (bundle, deb) or folder (portable) to write; the portable archive is written
    // beside it as <output>.tar.zst. Empty: defaultOutput(siteFolder, format, current folder).
    QString output;
    // The Lunette binary that becomes the player (the app passes its own executable). A bundle
    // given here has its archive stripped first.
    QString playerFile;
    // portable: also ship the DevTools resource pak (for --inspect).
    bool withDevtools = false;
};

// Called with what is being done and how far along the whole job is (0..100).
using ProgressFn = std::function<void(const QString& step, int percent)>;

struct Result
{
    QStringList written; // what was produced: the file, or the folder and its archive
};

// The output path a format gets by default in folder dir:
//   bundle   <dir>/<name>
//   deb      <dir>/<package>_<version>_<arch>.deb
//   portable <dir>/<name>-<version>-portable (and its .tar.zst)
// An error when the site cannot be opened or its manifest does not make a valid package.
Expected<QString, QString> defaultOutput(
    const QString& siteFolder, Format format, const QString& dir);

// Build the package. Errors are one sentence for the user (the site, a file, a tool's own
// message). cancel, when given and set, stops the job at the next step with the error
// "cancelled"; nothing is left behind either way.
Expected<Result, QString> makePackage(const Options& options, const ProgressFn& progress = {},
    const std::atomic_bool* cancel = nullptr);

} // namespace lunette::package
