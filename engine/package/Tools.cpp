#include "Tools.h"

#include <QProcess>
#include <QStandardPaths>

using namespace Qt::StringLiterals;

namespace lunette::package {

bool haveTool(const Tool& tool)
{
    return !QStandardPaths::findExecutable(tool.program).isEmpty();
}

Expected<QByteArray, QString> runTool(const Tool& tool, const QStringList& arguments,
    const QString& workingDir, const std::atomic_bool* cancel)
{
    const QString path = QStandardPaths::findExecutable(tool.program);
    if (path.isEmpty())
        return unexpected(
            u"%1 is not installed (it comes with the Debian package %2: apt install %2)"_s.arg(
                tool.program, tool.debianPackage));

    QProcess process;
    process.setProgram(path);
    process.setArguments(arguments);
    if (!workingDir.isEmpty())
        process.setWorkingDirectory(workingDir);
    process.start();
    if (!process.waitForStarted())
        return unexpected(u"%1 could not start: %2"_s.arg(tool.program, process.errorString()));
    // Poll so that a cancel request is seen within a fraction of a second.
    while (!process.waitForFinished(100)) {
        if (process.state() == QProcess::NotRunning)
            break;
        if (cancel && cancel->load()) {
            process.kill();
            process.waitForFinished();
            return unexpected(u"cancelled"_s);
        }
    }
    if (process.exitStatus() != QProcess::NormalExit)
        return unexpected(u"%1 crashed"_s.arg(tool.program));
    if (process.exitCode() != 0) {
        QStringList lines = QString::fromLocal8Bit(process.readAllStandardError())
                                .split(u'\n', Qt::SkipEmptyParts);
        if (lines.size() > 4)
            lines = lines.mid(lines.size() - 4);
        return unexpected(u"%1 failed (exit status %2)%3"_s.arg(tool.program)
                              .arg(process.exitCode())
                              .arg(lines.isEmpty() ? QString() : u": "_s + lines.join(u" / "_s)));
    }
    return process.readAllStandardOutput();
}

} // namespace lunette::package
