#pragma once

// Running the Debian tools packaging needs (strip, dpkg-deb, dpkg-shlibdeps, ldd, patchelf).

#include <atomic>

#include <QByteArray>
#include <QString>
#include <QStringList>

#include "lua/Expected.h"

namespace lunette::package {

struct Tool
{
    QString program; // looked up on PATH
    QString debianPackage; // named in the error when the program is missing
};

// Run tool with arguments (in workingDir when given) and return its standard output. An error
// names the tool and says why: not installed (with the package to install), cancelled, or it
// failed (its exit status and the last lines of its standard error).
Expected<QByteArray, QString> runTool(const Tool& tool, const QStringList& arguments,
    const QString& workingDir = QString(), const std::atomic_bool* cancel = nullptr);

// Whether tool's program is on PATH.
bool haveTool(const Tool& tool);

inline const Tool kStrip { QStringLiteral("strip"), QStringLiteral("binutils") };
inline const Tool kDpkg { QStringLiteral("dpkg"), QStringLiteral("dpkg") };
inline const Tool kDpkgDeb { QStringLiteral("dpkg-deb"), QStringLiteral("dpkg") };
inline const Tool kDpkgShlibdeps { QStringLiteral("dpkg-shlibdeps"), QStringLiteral("dpkg-dev") };
inline const Tool kLdd { QStringLiteral("ldd"), QStringLiteral("libc-bin") };
inline const Tool kPatchelf { QStringLiteral("patchelf"), QStringLiteral("patchelf") };

} // namespace lunette::package
