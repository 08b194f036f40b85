#include "ServerProcess.h"

#include <unistd.h>

#include <QEventLoop>
#include <QFile>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>

#include "BenchSupport.h"

using namespace Qt::StringLiterals;

namespace lunette::soak {

bool waitFor(const std::function<bool()>& pred, int timeoutMs, int pollMs)
{
    if (pred())
        return true;
    QEventLoop loop;
    QTimer poll;
    poll.setInterval(pollMs);
    bool met = false;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (pred()) {
            met = true;
            loop.quit();
        }
    });
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, [&] {
        met = pred();
        loop.quit();
    });
    poll.start();
    deadline.start(timeoutMs);
    loop.exec();
    return met;
}

ServerProcess::~ServerProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

bool ServerProcess::start(
    const QString& program, const QString& site, const QStringList& extra, int timeoutMs)
{
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QStringList arguments { site, u"--print-url"_s, u"--port"_s, u"0"_s };
    arguments += extra;
    m_process.start(program, arguments);
    QByteArray out;
    const bool printed = waitFor(
        [&] {
            out += m_process.readAllStandardOutput();
            return out.contains('\n') || m_process.state() == QProcess::NotRunning;
        },
        timeoutMs);
    if (!printed || !out.contains('\n')) {
        m_error = m_process.state() == QProcess::NotRunning
            ? u"%1 exited (code %2) before printing its URL"_s.arg(program).arg(
                m_process.exitCode())
            : u"%1 printed no URL within %2 ms"_s.arg(program).arg(timeoutMs);
        return false;
    }
    const QUrl url(QString::fromUtf8(out.left(out.indexOf('\n')).trimmed()));
    m_port = static_cast<quint16>(url.port(0));
    m_token = QUrlQuery(url).queryItemValue(u"token"_s, QUrl::FullyDecoded).toUtf8();
    if (!url.isValid() || m_port == 0 || m_token.isEmpty()) {
        m_error = u"cannot read the server's URL: "_s + url.toString();
        return false;
    }
    return true;
}

qint64 ServerProcess::rss() const
{
    return running() ? bench::processRss(pid()) : -1;
}

double ServerProcess::cpuSeconds() const
{
    QFile file(u"/proc/%1/stat"_s.arg(pid()));
    if (!running() || !file.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray stat = file.readAll();
    // Fields after the command (which may contain spaces) start after the last ')'; utime and
    // stime are fields 14 and 15 of the whole line, i.e. 12 and 13 after it.
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return -1;
    const double ticks
        = static_cast<double>(fields.at(11).toLongLong() + fields.at(12).toLongLong());
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

bool ServerProcess::stop(int timeoutMs, QString* how)
{
    if (m_process.state() == QProcess::NotRunning) {
        *how = u"had already exited (code %1)"_s.arg(m_process.exitCode());
        return false;
    }
    m_process.terminate();
    const bool exited
        = waitFor([this] { return m_process.state() == QProcess::NotRunning; }, timeoutMs);
    if (!exited) {
        m_process.kill();
        m_process.waitForFinished(5000);
        *how = u"did not exit within %1 s of SIGTERM (killed)"_s.arg(timeoutMs / 1000);
        return false;
    }
    if (m_process.exitStatus() != QProcess::NormalExit) {
        *how = u"crashed on SIGTERM"_s;
        return false;
    }
    *how = u"exited with code %1 on SIGTERM"_s.arg(m_process.exitCode());
    return m_process.exitCode() == 0;
}

} // namespace lunette::soak
