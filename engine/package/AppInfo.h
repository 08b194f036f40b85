#pragma once

// What a package says about the app, from the site's lunette.json with PACKAGING.md's defaults
// (name = folder name, version 0.1.0, Lunette's icon).

#include <QString>

#include "lua/Expected.h"

namespace lunette::package {

struct AppInfo
{
    // The command and package name: the manifest's name (else the folder's), lowercased, with
    // every run of characters other than a-z 0-9 . + - turned into one '-'.
    QString name;
    QString version; // "version", else 0.1.0
    QString title; // "window.title", else the manifest's name, else the folder's
    QString summary; // "description", else "<title>, a Lunette app"
    QString maintainer; // "author", else "<title> maintainers <nobody@localhost>"
    QString appId; // "id", else "org.lunette.app.<name with '-' as '_'>"
    QString iconFile; // absolute path of "window.icon"; empty: Lunette's icon
};

// An error when the site cannot be opened or a value cannot be used in a package (a name that
// leaves nothing, a malformed id).
Expected<AppInfo, QString> appInfo(const QString& siteFolder);

// Debian's rule for versions: starts with a digit; letters, digits and . + ~ - only.
bool isDebianVersion(const QString& version);

} // namespace lunette::package
