#pragma once

// The bundle format (PACKAGING.md): one executable file = the Lunette player binary, then the
// site as a tar archive (written and read with libarchive), then a 32-byte footer:
//
//   [player][archive][offset: u64 LE][size: u64 LE][magic: "LUNETTE-BUNDLE\x01\x00"]
//
// The binary finds its own bundle at start (findBundle on its own file) and runs the site in
// player mode. Packaging rules: editor backup and lock files, version-control folders and the
// site's data/ folder are left out; symbolic links are stored as links and must point inside the
// site (an absolute or escaping link stops packaging with an error naming it). Writing a bundle
// whose player is itself a bundle strips the old archive first. Nothing is left behind on
// failure (QSaveFile).

#include <functional>
#include <optional>
#include <vector>

#include <QString>
#include <QStringList>

#include "lua/Expected.h"

namespace lunette::package {

inline constexpr char kBundleMagic[16]
    = { 'L', 'U', 'N', 'E', 'T', 'T', 'E', '-', 'B', 'U', 'N', 'D', 'L', 'E', '\x01', '\x00' };
inline constexpr qint64 kFooterSize = 32;

struct BundleLocation
{
    qint64 archiveOffset = 0; // = the size of the player part
    qint64 archiveSize = 0;
};

// The bundle at the end of file: nullopt when the file has no bundle footer; an error when it
// has one that does not fit the file.
Expected<std::optional<BundleLocation>, QString> findBundle(const QString& file);

struct SiteEntry
{
    QString path; // relative to the site, '/' separated
    bool isLink = false;
    QString linkTarget; // for links: as stored (relative)
};

// The files of a site as they go into a package, sorted, with the rules above applied.
Expected<std::vector<SiteEntry>, QString> collectSite(const QString& siteFolder);

// Write player + site archive + footer to out. progress(done, total) is called per file.
Expected<void, QString> writeBundle(const QString& playerFile, const QString& siteFolder,
    const QString& outFile, const std::function<void(int done, int total)>& progress = {});

// The archive's entries ("lua/main.lua", links as "name -> target").
Expected<QStringList, QString> listBundle(const QString& bundleFile);
// Unpack the site into dir (created); entries that would land outside dir are refused.
Expected<void, QString> extractBundle(const QString& bundleFile, const QString& dir);

} // namespace lunette::package
