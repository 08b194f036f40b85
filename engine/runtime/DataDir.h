#pragma once

// Where a site keeps the data of its `storage` and `fs` modules (LUA_API.md "Modules",
// PACKAGING.md "Rules"). One rule, decided here only:
//
//  1. The environment variable LUNETTE_DATA_DIR, when set and not empty, *is* the data folder
//     (tests, packaging scripts, a user who wants the data elsewhere).
//  2. Otherwise the placement chosen with setDataPlacement():
//     * InSite   — `<site>/data/` (developer mode: the site runs from its own folder);
//     * UserData — QStandardPaths::writableLocation(AppDataLocation) + "/<site name>", where the
//       site name is the manifest's "name", else the folder's name, made safe as a file name
//       (the player of a packaged site sets this: its site is read-only);
//     * Auto (the default) — InSite when the site folder is writable, UserData when it is not
//       (a site on a read-only mount, or installed by a package).
//
// The folder is not created here: the modules create it on their first write, so a site that
// never writes leaves no trace.

#include <QString>

namespace lunette {

class Site;

enum class DataPlacement
{
    Auto,
    InSite,
    UserData,
};

// Process-wide; set it before sessions start (the player does, for a packaged site).
void setDataPlacement(DataPlacement placement);
DataPlacement dataPlacement();

// The site's data folder: absolute and clean (no trailing slash); it may not exist yet.
QString siteDataDirectory(const Site& site);

} // namespace lunette
