#include "Scaffold.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QUuid>

#include "runtime/TypeStubs.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

constexpr QLatin1StringView kTemplateRoot(":/lunette/scaffold");

// A Lua string literal for text (double-quoted, every byte that needs it escaped).
QByteArray luaStringLiteral(const QString& text)
{
    QByteArray out = "\"";
    for (const char c : text.toUtf8()) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\0':
            out += "\\0";
            break;
        default:
            out += c;
        }
    }
    return out + '"';
}

// lunette.json: the name is the folder's, in the characters package names allow.
QByteArray manifestJson(const QString& folderName, const QString& title)
{
    QString name;
    for (const QChar c : folderName.toLower())
        name += (c.isLetterOrNumber() && c.unicode() < 128) ? c : u'-';
    if (name.isEmpty() || !name.front().isLetter())
        name.prepend(u"site-"_s);
    QJsonObject window { { u"title"_s, title }, { u"width"_s, 900 }, { u"height"_s, 640 } };
    QJsonObject manifest { { u"name"_s, name }, { u"version"_s, u"0.1.0"_s },
        { u"window"_s, window } };
    return QJsonDocument(manifest).toJson(QJsonDocument::Indented);
}

bool writeFile(const QString& path, const QByteArray& bytes, QString* error)
{
    if (!QDir().mkpath(QFileInfo(path).path())) {
        *error = u"cannot create the folder %1"_s.arg(
            QDir::toNativeSeparators(QFileInfo(path).path()));
        return false;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        *error = u"cannot write %1: %2"_s.arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    return true;
}

} // namespace

Expected<QStringList, QString> scaffoldSite(const QString& folder, const QString& title)
{
    if (folder.trimmed().isEmpty())
        return unexpected(u"no folder given for the new site"_s);
    const QFileInfo target(QDir(folder).absolutePath());
    const QString shown = QDir::toNativeSeparators(target.absoluteFilePath());
    if (target.exists()) {
        if (!target.isDir())
            return unexpected(u"%1 already exists and is not a folder"_s.arg(shown));
        if (!QDir(target.absoluteFilePath())
                 .isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System))
            return unexpected(u"%1 already exists and is not empty"_s.arg(shown));
    }
    const QString parent = target.absolutePath();
    if (!QDir().mkpath(parent))
        return unexpected(u"cannot create the folder %1"_s.arg(QDir::toNativeSeparators(parent)));

    const QString folderName = target.fileName();
    const QString siteTitle = title.trimmed().isEmpty() ? folderName : title.trimmed();

    // Write everything into a hidden sibling, then move it into place.
    const QString staging
        = parent + u"/.lunette-new-"_s + QUuid::createUuid().toString(QUuid::Id128);
    QString error;
    QStringList written;
    auto fail = [&](const QString& message) {
        QDir(staging).removeRecursively();
        return unexpected(message);
    };

    QDirIterator it(kTemplateRoot, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString source = it.next();
        const QString relative = source.mid(kTemplateRoot.size() + 1);
        QFile file(source);
        if (!file.open(QIODevice::ReadOnly))
            return fail(u"the site template is missing %1"_s.arg(relative));
        QByteArray bytes = file.readAll();
        bytes.replace("@TITLE_LUA@", luaStringLiteral(siteTitle));
        bytes.replace("@TITLE@", siteTitle.toUtf8());
        if (!writeFile(staging + u'/' + relative, bytes, &error))
            return fail(error);
        written << relative;
    }
    if (written.isEmpty())
        return fail(u"the site template is empty (a build problem)"_s);
    if (!writeFile(staging + u"/lunette.json"_s, manifestJson(folderName, siteTitle), &error))
        return fail(error);
    written << u"lunette.json"_s;
    // Editor support: LuaLS stubs of the runtime and the modules, .luarc.json pointing at them.
    auto stubs = writeTypeStubs(staging);
    if (!stubs)
        return fail(stubs.error());
    for (const QString& file : *stubs) {
        if (!written.contains(file))
            written << file;
    }

    // An existing empty folder is replaced by the staged one.
    if (target.exists() && !QDir().rmdir(target.absoluteFilePath()))
        return fail(u"cannot replace the empty folder %1"_s.arg(shown));
    if (!QDir().rename(staging, target.absoluteFilePath()))
        return fail(u"cannot create %1"_s.arg(shown));
    written.sort();
    return written;
}

} // namespace lunette
