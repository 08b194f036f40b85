#include "DataDir.h"

#include <atomic>

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include "site/Site.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

std::atomic<DataPlacement> g_placement { DataPlacement::Auto };

// The site's name as one safe path segment: no separators, control characters or characters
// other systems refuse, no leading dot (hidden, or "." and ".."), not empty.
QString folderNameFor(const QString& name)
{
    QString safe;
    safe.reserve(name.size());
    for (const QChar c : name) {
        const bool refused = c.unicode() < 0x20 || c == u'/' || c == u'\\' || c == u':' || c == u'*'
            || c == u'?' || c == u'"' || c == u'<' || c == u'>' || c == u'|' || c.unicode() == 0x7f;
        safe.append(refused ? u'_' : c);
    }
    safe = safe.trimmed();
    while (safe.startsWith(u'.'))
        safe.remove(0, 1);
    return safe.isEmpty() ? u"site"_s : safe;
}

} // namespace

void setDataPlacement(DataPlacement placement)
{
    g_placement.store(placement);
}

DataPlacement dataPlacement()
{
    return g_placement.load();
}

QString siteDataDirectory(const Site& site)
{
    const QString overridden = qEnvironmentVariable("LUNETTE_DATA_DIR");
    if (!overridden.isEmpty())
        return QDir::cleanPath(QDir(overridden).absolutePath());

    DataPlacement placement = dataPlacement();
    if (placement == DataPlacement::Auto) {
        // access(W_OK) underneath: false on a read-only mount even for root.
        placement
            = QFileInfo(site.root()).isWritable() ? DataPlacement::InSite : DataPlacement::UserData;
    }
    if (placement == DataPlacement::InSite)
        return QDir::cleanPath(site.root() + u"/data"_s);
    const QString base = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QDir::cleanPath(base + u'/' + folderNameFor(site.name()));
}

} // namespace lunette
