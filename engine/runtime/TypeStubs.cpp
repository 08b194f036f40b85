#include "TypeStubs.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include "runtime/Module.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

constexpr QLatin1StringView kMetaDir(".lunette/meta");

bool writeFile(const QString& path, const QByteArray& bytes, QString* error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        *error = u"cannot write %1: %2"_s.arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    return true;
}

} // namespace

QByteArray globalsStub()
{
    QFile file(u":/lunette/stubs/lunette.lua"_s);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("lunette: the globals stub is missing from the resources");
    return file.readAll();
}

Expected<QStringList, QString> writeTypeStubs(const QString& siteFolder)
{
    const QDir site(siteFolder);
    if (!site.exists())
        return unexpected(u"%1 does not exist"_s.arg(QDir::toNativeSeparators(siteFolder)));
    if (!QFileInfo(site.filePath(u"lua/main.lua"_s)).isFile())
        return unexpected(u"%1 is not a site: it has no lua/main.lua"_s.arg(
            QDir::toNativeSeparators(siteFolder)));
    if (!site.mkpath(kMetaDir))
        return unexpected(
            u"cannot create %1"_s.arg(QDir::toNativeSeparators(site.filePath(kMetaDir))));

    QString error;
    QStringList written;
    const auto write = [&](const QString& relative, const QByteArray& bytes) {
        if (!writeFile(site.filePath(relative), bytes, &error))
            return false;
        written << relative;
        return true;
    };
    if (!write(kMetaDir + u"/lunette.lua"_s, globalsStub()))
        return unexpected(error);
    for (const ModuleDef* module : builtinModules()) {
        if (!write(kMetaDir + u'/' + QString::fromLatin1(module->name) + u".lua"_s, module->stub))
            return unexpected(error);
    }

    // .luarc.json: keep what is there, make sure the library and the runtime are set.
    QJsonObject luarc;
    QFile existing(site.filePath(u".luarc.json"_s));
    if (existing.exists()) {
        if (!existing.open(QIODevice::ReadOnly))
            return unexpected(u"cannot read .luarc.json: "_s + existing.errorString());
        QJsonParseError parse;
        const QJsonDocument doc = QJsonDocument::fromJson(existing.readAll(), &parse);
        if (!doc.isObject())
            return unexpected(u".luarc.json is not a JSON object (%1); fix or remove it"_s.arg(
                parse.errorString()));
        luarc = doc.object();
    }
    QJsonArray library = luarc.value(u"workspace.library"_s).toArray();
    if (!library.contains(QJsonValue(kMetaDir)))
        library.append(QString(kMetaDir));
    luarc.insert(u"workspace.library"_s, library);
    if (!luarc.contains(u"runtime.version"_s))
        luarc.insert(u"runtime.version"_s, u"Lua 5.4"_s);
    if (!write(u".luarc.json"_s, QJsonDocument(luarc).toJson(QJsonDocument::Indented)))
        return unexpected(error);
    written.sort();
    return written;
}

} // namespace lunette
