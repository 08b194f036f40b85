#include "AppInfo.h"

#include <QDir>
#include <QRegularExpression>

#include "site/Site.h"

using namespace Qt::StringLiterals;

namespace lunette::package {

bool isDebianVersion(const QString& version)
{
    static const QRegularExpression pattern(u"^[0-9][A-Za-z0-9.+~-]*$"_s);
    return pattern.match(version).hasMatch();
}

Expected<AppInfo, QString> appInfo(const QString& siteFolder)
{
    const auto site = Site::open(siteFolder);
    if (!site)
        return unexpected(site.error());
    const SiteManifest& manifest = (*site)->manifest();

    AppInfo info;
    static const QRegularExpression notAllowed(u"[^a-z0-9.+-]+"_s);
    info.name = (*site)->name().toLower().replace(notAllowed, u"-"_s);
    // Debian names start with a letter or digit; leading/trailing separators help no one.
    while (!info.name.isEmpty() && !info.name.front().isLetterOrNumber())
        info.name.remove(0, 1);
    while (info.name.endsWith(u'-') || info.name.endsWith(u'.'))
        info.name.chop(1);
    if (info.name.size() < 2)
        return unexpected(
            u"the app's name \"%1\" is too short for a package name once reduced to a-z 0-9 . + - "
            "(set \"name\" in lunette.json)"_s.arg((*site)->name()));

    info.version = manifest.version.isEmpty() ? u"0.1.0"_s : manifest.version;
    info.title = !manifest.title.isEmpty() ? manifest.title : (*site)->name();
    info.summary = !manifest.description.isEmpty() ? manifest.description
                                                   : u"%1, a Lunette app"_s.arg(info.title);
    info.maintainer = !manifest.author.isEmpty()
        ? manifest.author
        : u"%1 maintainers <nobody@localhost>"_s.arg(info.title);

    static const QRegularExpression idPattern(
        u"^[A-Za-z_][A-Za-z0-9_-]*(\\.[A-Za-z_][A-Za-z0-9_-]*){2,}$"_s);
    if (!manifest.id.isEmpty()) {
        if (!idPattern.match(manifest.id).hasMatch())
            return unexpected(u"lunette.json: \"id\" must be a reverse-DNS name such as "
                              "org.example.MyApp (this one is \"%1\")"_s.arg(manifest.id));
        info.appId = manifest.id;
    } else {
        QString tail = info.name;
        tail.replace(QRegularExpression(u"[^A-Za-z0-9_]"_s), u"_"_s);
        if (tail.front().isDigit())
            tail.prepend(u'_');
        info.appId = u"org.lunette.app."_s + tail;
    }
    if (!manifest.icon.isEmpty())
        info.iconFile = QDir((*site)->root()).filePath(manifest.icon);
    return info;
}

} // namespace lunette::package
