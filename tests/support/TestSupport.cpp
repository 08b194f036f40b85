#include "support/TestSupport.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QUrl>

namespace lunette::test {

QString artifactsDir()
{
    QString dir = qEnvironmentVariable("LUNETTE_TEST_ARTIFACTS");
    if (dir.isEmpty())
        dir = QDir::current().filePath(QStringLiteral("test-artifacts"));
    QDir().mkpath(dir);
    return dir;
}

QString sourceDir()
{
    return qEnvironmentVariable("LUNETTE_SOURCE_DIR");
}

bool spinUntil(const std::function<bool()>& done, int timeoutMs, int pollMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() >= timeoutMs)
            return false;
        QEventLoop loop;
        QTimer::singleShot(pollMs, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

void isolateSettings()
{
    static QTemporaryDir dir; // lives until the process exits
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.path());
}

bool copyTree(const QString& from, const QString& to)
{
    QDirIterator it(from, QDir::Files | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString file = it.next();
        const QString target = to + u'/' + QDir(from).relativeFilePath(file);
        if (!QDir().mkpath(QFileInfo(target).path()) || !QFile::copy(file, target))
            return false;
    }
    return true;
}

bool writeFile(const QString& path, const QByteArray& content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        && file.write(content) == content.size();
}

QByteArray readFile(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

ExecutorState::ExecutorState(const LuaState::Options& options)
{
    m_executor.execute([&] { m_state = std::make_unique<LuaState>(options); });
}

ExecutorState::~ExecutorState()
{
    m_executor.execute([&] { m_state.reset(); });
}

bool useRuntimeFolder(const QString& folder)
{
    if (!QFile::setPermissions(
            folder, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner))
        return false;
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(folder));
    return true;
}

QString openSession(const QUrl& siteUrl)
{
    QNetworkAccessManager http;
    QNetworkRequest request(siteUrl);
    request.setAttribute(
        QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    std::unique_ptr<QNetworkReply> reply(http.get(request));
    QSignalSpy finished(reply.get(), &QNetworkReply::finished);
    if (!reply->isFinished() && !finished.wait(10000))
        return {};
    if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 307)
        return {};
    return QString::fromUtf8(reply->rawHeader("Location")).mid(1);
}

} // namespace lunette::test
