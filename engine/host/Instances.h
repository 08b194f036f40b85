#pragma once

// The running Lunette instances of this user, so `lunette eval` (and editors) can find one
// without being told its URL and token: every host that advertises itself writes
// <runtime folder>/lunette/instance-<pid>-<port>.json (QStandardPaths::RuntimeLocation, which is
// $XDG_RUNTIME_DIR or a private folder under /tmp; the file is mode 0600, the folder 0700, since
// the file holds the launch token) and removes it when it stops. A file whose process is gone
// (a crash) is skipped and removed by list().

#include <vector>

#include <QDateTime>
#include <QString>
#include <QtGlobal>

#include "lua/Expected.h"

namespace lunette::instances {

struct Instance
{
    qint64 pid = 0;
    QString origin; // http://127.0.0.1:PORT
    QString token;
    QString site; // the site folder
    QString name; // the site's name
    QDateTime started;
    QString file; // where it was read from
};

// <runtime folder>/lunette (created on demand by advertise()).
QString directory();

// Writes the instance's file (pid, started and file are filled in here); its path, or why not.
Expected<QString, QString> advertise(Instance instance);
// Removes a file advertise() wrote.
void withdraw(const QString& file);

// The live instances, most recently started first.
std::vector<Instance> list();

} // namespace lunette::instances
