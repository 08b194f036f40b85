#pragma once

// Internal to engine/package: one makePackage run, shared by the format builders.

#include <QString>
#include <QStringList>

#include "AppInfo.h"
#include "Packager.h"

namespace lunette::package::detail {

struct Job
{
    const Options& options;
    AppInfo info;
    QString site; // absolute site folder
    QString output; // absolute output path
    QString staging; // a private folder beside the output, removed when the job ends
    QString player; // the prepared player in staging: stripped, without a bundle archive
    ProgressFn progress;
    const std::atomic_bool* cancel = nullptr;

    bool cancelled() const { return cancel && cancel->load(); }
    void report(const QString& step, int percent) const
    {
        if (progress)
            progress(step, percent);
    }
};

// The bundle of the job's site with the job's player, as file (progress from..to percent).
Expected<void, QString> bundleInto(const Job& job, const QString& file, int from, int to);

// Write text as file with the given permissions (e.g. 0644), creating its folder.
Expected<void, QString> writeTextFile(const QString& file, const QString& text, int mode);

// Move a finished file or folder from staging to its final place, replacing what is there (the
// old one is removed only once the new one is in place).
Expected<void, QString> moveIntoPlace(const QString& from, const QString& to);

// The formats other than bundle.
Expected<QStringList, QString> buildDeb(Job& job);
Expected<QStringList, QString> buildPortable(Job& job);

} // namespace lunette::package::detail
