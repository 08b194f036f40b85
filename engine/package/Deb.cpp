// The deb format (PACKAGING.md): a Debian package built with dpkg-deb from a staging tree.
//
//   /usr/bin/<name>                                   the bundle
//   /usr/share/applications/<id>.desktop              the desktop entry
//   /usr/share/icons/hicolor/<size>/apps/<id>.<ext>   the icon (the site's, else Lunette's)
//   /usr/share/metainfo/<id>.metainfo.xml             AppStream metainfo
//
// Depends: is what dpkg-shlibdeps finds for the player, plus what the player loads at run time
// without linking it (QtWebEngineProcess); the QML modules the docks need (--inspect) are
// recommended.

#include <QDate>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QtEndian>

#include "PackageJob.h"
#include "Tools.h"

using namespace Qt::StringLiterals;

namespace lunette::package::detail {

namespace {

// Sizes the hicolor theme has folders for.
constexpr int kIconSizes[] = { 16, 22, 24, 32, 36, 48, 64, 72, 96, 128, 192, 256, 384, 512 };

// The hicolor folder ("scalable" or "<n>x<n>") and extension of an icon file.
Expected<std::pair<QString, QString>, QString> iconPlace(const QString& file)
{
    const QString shown = QDir::toNativeSeparators(file);
    if (file.endsWith(u".svg"_s, Qt::CaseInsensitive))
        return std::pair(u"scalable"_s, u"svg"_s);
    if (!file.endsWith(u".png"_s, Qt::CaseInsensitive))
        return unexpected(u"the icon %1 must be a .png or an .svg file"_s.arg(shown));
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly))
        return unexpected(u"cannot read the icon %1: %2"_s.arg(shown, in.errorString()));
    // The PNG signature, then the IHDR chunk: length, "IHDR", width and height (big-endian).
    const QByteArray head = in.read(24);
    if (head.size() < 24 || !head.startsWith("\x89PNG\r\n\x1a\n") || head.mid(12, 4) != "IHDR")
        return unexpected(u"the icon %1 is not a PNG image"_s.arg(shown));
    const quint32 width = qFromBigEndian<quint32>(head.constData() + 16);
    const quint32 height = qFromBigEndian<quint32>(head.constData() + 20);
    bool known = false;
    for (int size : kIconSizes)
        known = known || (width == quint32(size) && height == quint32(size));
    if (!known)
        return unexpected(u"the icon %1 is %2×%3: a PNG icon must be square, one of 16, 22, 24, "
                          "32, 36, 48, 64, 72, 96, 128, 192, 256, 384 or 512 pixels (or use an "
                          ".svg)"_s.arg(shown)
                              .arg(width)
                              .arg(height));
    return std::pair(u"%1x%1"_s.arg(width), u"png"_s);
}

QString resourceText(const QString& name)
{
    QFile file(u":/lunette/packaging/"_s + name);
    file.open(QIODevice::ReadOnly);
    return QString::fromUtf8(file.readAll());
}

QString escapeXml(const QString& text)
{
    return text.toHtmlEscaped();
}

// Desktop entry values are one line; backslash, newline, tab and CR are escaped.
QString escapeDesktop(const QString& value)
{
    QString text = value;
    return text.replace(u'\\', u"\\\\"_s)
        .replace(u'\n', u"\\n"_s)
        .replace(u'\t', u"\\t"_s)
        .replace(u'\r', u"\\r"_s);
}

// The part of "Name <email>" before the address.
QString personName(const QString& maintainer)
{
    const qsizetype at = maintainer.indexOf(u'<');
    return (at < 0 ? maintainer : maintainer.left(at)).trimmed();
}

QString fill(QString text, const AppInfo& info, QString (*escape)(const QString&))
{
    return text.replace(u"@NAME@"_s, info.name)
        .replace(u"@APPID@"_s, info.appId)
        .replace(u"@VERSION@"_s, escape(info.version))
        .replace(u"@DATE@"_s, QDate::currentDate().toString(Qt::ISODate))
        .replace(u"@TITLE@"_s, escape(info.title))
        .replace(u"@SUMMARY@"_s, escape(info.summary))
        .replace(u"@DEVELOPER@"_s, escape(personName(info.maintainer)));
}

// "shlibs:Depends=a (>= 1), b" → "a (>= 1), b".
Expected<QString, QString> shlibDepends(const Job& job)
{
    const QString dir = job.staging + u"/shlibdeps"_s;
    if (auto written = writeTextFile(dir + u"/debian/control"_s,
            u"Source: %1\n\nPackage: %1\nArchitecture: any\n"_s.arg(job.info.name), 0644);
        !written)
        return unexpected(written.error());
    auto output = runTool(kDpkgShlibdeps, { u"-O"_s, u"-e"_s + job.player }, dir, job.cancel);
    if (!output)
        return unexpected(output.error());
    for (const QString& line : QString::fromUtf8(*output).split(u'\n')) {
        if (line.startsWith(u"shlibs:Depends="_s))
            return line.mid(15).trimmed();
    }
    return unexpected(u"dpkg-shlibdeps found no shared libraries in the player"_s);
}

// dpkg-deb wants 0755 folders and no group/other write bits.
void normalizePermissions(const QString& root)
{
    const auto dirMode = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup
        | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther;
    QFile::setPermissions(root, dirMode);
    QDirIterator it(
        root, QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QFileInfo info = it.nextFileInfo();
        if (info.isDir() || info.isExecutable())
            QFile::setPermissions(info.filePath(), dirMode);
        else
            QFile::setPermissions(info.filePath(),
                QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);
    }
}

qint64 treeSize(const QString& root)
{
    qint64 total = 0;
    QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext())
        total += it.nextFileInfo().size();
    return total;
}

} // namespace

Expected<QStringList, QString> buildDeb(Job& job)
{
    if (!isDebianVersion(job.info.version))
        return unexpected(u"lunette.json: \"version\" is \"%1\"; a Debian version starts with a "
                          "digit and has only letters, digits and . + ~ -"_s.arg(job.info.version));
    const AppInfo& info = job.info;
    const QString root = job.staging + u"/root"_s;

    job.report(u"Adding the site"_s, 10);
    const QString binary = root + u"/usr/bin/"_s + info.name;
    if (!QDir().mkpath(QFileInfo(binary).path()))
        return unexpected(u"cannot create %1"_s.arg(QDir::toNativeSeparators(root)));
    if (auto bundled = bundleInto(job, binary, 10, 40); !bundled)
        return unexpected(bundled.error());
    if (job.cancelled())
        return unexpected(u"cancelled"_s);

    job.report(u"Writing the desktop entry, icon and metainfo"_s, 40);
    const QString icon
        = info.iconFile.isEmpty() ? u":/lunette/packaging/lunette.svg"_s : info.iconFile;
    auto place = iconPlace(icon);
    if (!place)
        return unexpected(place.error());
    const QString iconTarget = u"%1/usr/share/icons/hicolor/%2/apps/%3.%4"_s.arg(
        root, place->first, info.appId, place->second);
    QDir().mkpath(QFileInfo(iconTarget).path());
    QFile::remove(iconTarget);
    if (!QFile::copy(icon, iconTarget))
        return unexpected(u"cannot copy the icon %1"_s.arg(QDir::toNativeSeparators(icon)));
    if (auto written
        = writeTextFile(u"%1/usr/share/applications/%2.desktop"_s.arg(root, info.appId),
            fill(resourceText(u"app.desktop.in"_s), info, escapeDesktop), 0644);
        !written)
        return unexpected(written.error());
    if (auto written
        = writeTextFile(u"%1/usr/share/metainfo/%2.metainfo.xml"_s.arg(root, info.appId),
            fill(resourceText(u"app.metainfo.xml.in"_s), info, escapeXml), 0644);
        !written)
        return unexpected(written.error());

    job.report(u"Finding the libraries it depends on (dpkg-shlibdeps)"_s, 45);
    auto depends = shlibDepends(job);
    if (!depends)
        return unexpected(depends.error());
    // QtWebEngineProcess is started, not linked: it must be there even if no library says so.
    if (!depends->contains(u"libqt6webenginecore6-bin"_s))
        depends->append(u", libqt6webenginecore6-bin"_s);
    auto architecture = runTool(kDpkg, { u"--print-architecture"_s });
    if (!architecture)
        return unexpected(architecture.error());

    normalizePermissions(root);
    const QString control
        = u"Package: %1\nVersion: %2\nArchitecture: %3\nMaintainer: %4\nInstalled-Size: %5\n"
          "Depends: %6\n"
          "Recommends: qml6-module-qtquick, qml6-module-qtquick-controls, "
          "qml6-module-qtquick-layouts, qml6-module-qtquick-templates, "
          "qml6-module-qtquick-window, qml6-module-qtqml-workerscript\n"
          "Section: misc\nPriority: optional\nDescription: %7\n"
          " %8 is a desktop app made with Lunette from Lua and HTML.\n"_s.arg(info.name,
              info.version, QString::fromLatin1(*architecture).trimmed(),
              QString(info.maintainer).replace(u'\n', u' '),
              QString::number((treeSize(root) + 1023) / 1024), *depends,
              QString(info.summary).replace(u'\n', u' '), QString(info.title).replace(u'\n', u' '));
    if (auto written = writeTextFile(root + u"/DEBIAN/control"_s, control, 0644); !written)
        return unexpected(written.error());
    QFile::setPermissions(root + u"/DEBIAN"_s,
        QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::ExeGroup
            | QFile::ReadOther | QFile::ExeOther);
    if (job.cancelled())
        return unexpected(u"cancelled"_s);

    job.report(u"Building the package (dpkg-deb)"_s, 60);
    const QString built = job.staging + u"/package.deb"_s;
    if (auto made
        = runTool(kDpkgDeb, { u"--root-owner-group"_s, u"--build"_s, root, built }, {}, job.cancel);
        !made)
        return unexpected(made.error());
    job.report(u"Moving the package into place"_s, 95);
    if (auto moved = moveIntoPlace(built, job.output); !moved)
        return unexpected(moved.error());
    return QStringList { job.output };
}

} // namespace lunette::package::detail
