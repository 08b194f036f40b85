#include "Instances.h"

#include <algorithm>
#include <cerrno>
#include <optional>

#include <signal.h>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QUrl>

using namespace Qt::StringLiterals;

namespace lunette::instances {

namespace {

constexpr auto kPrivate = QFileDevice::ReadOwner | QFileDevice::WriteOwner;

bool processAlive(qint64 pid)
{
    // Signal 0 checks only that the process exists (EPERM: it does, but is someone else's).
    return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

std::optional<Instance> read(const QString& file)
{
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QJsonObject json = QJsonDocument::fromJson(in.readAll()).object();
    Instance instance;
    instance.pid = json.value(u"pid"_s).toInteger();
    instance.origin = json.value(u"origin"_s).toString();
    instance.token = json.value(u"token"_s).toString();
    instance.site = json.value(u"site"_s).toString();
    instance.name = json.value(u"name"_s).toString();
    instance.started
        = QDateTime::fromString(json.value(u"started"_s).toString(), Qt::ISODateWithMs);
    instance.file = file;
    if (instance.pid <= 0 || !QUrl(instance.origin).isValid() || instance.token.isEmpty())
        return std::nullopt;
    return instance;
}

} // namespace

QString directory()
{
    return QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation) + u"/lunette"_s;
}

Expected<QString, QString> advertise(Instance instance)
{
    const QString dir = directory();
    if (!QDir().mkpath(dir))
        return unexpected(u"cannot create %1"_s.arg(QDir::toNativeSeparators(dir)));
    QFile::setPermissions(dir, kPrivate | QFileDevice::ExeOwner);
    instance.pid = QCoreApplication::applicationPid();
    instance.started = QDateTime::currentDateTimeUtc();
    const QString port = QString::number(QUrl(instance.origin).port());
    instance.file = dir + u"/instance-%1-%2.json"_s.arg(instance.pid).arg(port);
    const QJsonObject json { { u"pid"_s, instance.pid }, { u"origin"_s, instance.origin },
        { u"token"_s, instance.token }, { u"site"_s, instance.site }, { u"name"_s, instance.name },
        { u"started"_s, instance.started.toString(Qt::ISODateWithMs) } };
    // Written under another name, created private from the start, then renamed into place: a
    // reader never sees half a file, and the token is never readable by anyone else.
    const QString part = instance.file + u".part"_s;
    QFile::remove(part);
    QFile out(part);
    if (!out.open(QIODevice::WriteOnly | QIODevice::NewOnly, kPrivate)
        || out.write(QJsonDocument(json).toJson()) < 0 || !out.flush()) {
        const QString why = out.errorString();
        QFile::remove(part);
        return unexpected(u"cannot write %1: %2"_s.arg(QDir::toNativeSeparators(part), why));
    }
    out.close();
    QFile::remove(instance.file);
    if (!QFile::rename(part, instance.file)) {
        QFile::remove(part);
        return unexpected(u"cannot write %1"_s.arg(QDir::toNativeSeparators(instance.file)));
    }
    return instance.file;
}

void withdraw(const QString& file)
{
    if (!file.isEmpty())
        QFile::remove(file);
}

std::vector<Instance> list()
{
    std::vector<Instance> found;
    const QDir dir(directory());
    for (const QString& name : dir.entryList({ u"instance-*.json"_s }, QDir::Files)) {
        const QString file = dir.filePath(name);
        const auto instance = read(file);
        if (!instance)
            continue;
        if (!processAlive(instance->pid)) {
            QFile::remove(file); // left behind by a process that did not stop cleanly
            continue;
        }
        found.push_back(*instance);
    }
    std::sort(found.begin(), found.end(),
        [](const Instance& a, const Instance& b) { return a.started > b.started; });
    return found;
}

} // namespace lunette::instances
