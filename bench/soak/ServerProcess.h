#pragma once

// The lunette-server under soak, as a child process: started with --print-url on a free port,
// observed through /proc (VmRSS, CPU time), stopped with SIGTERM.

#include <functional>

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace lunette::soak {

class ServerProcess final
{
public:
    ServerProcess() = default;
    ~ServerProcess(); // kills the server if it still runs

    // Starts `program SITE --print-url --port 0 [extra…]` and waits (event loop, with a
    // deadline) for the URL on its stdout. The server's stderr goes to ours.
    bool start(
        const QString& program, const QString& site, const QStringList& extra, int timeoutMs);
    QString error() const { return m_error; }

    bool running() const { return m_process.state() == QProcess::Running; }
    qint64 pid() const { return m_process.processId(); }
    quint16 port() const { return m_port; }
    QByteArray token() const { return m_token; }

    qint64 rss() const; // VmRSS in bytes, -1 when unreadable
    double cpuSeconds() const; // user + system time so far, -1 when unreadable

    // SIGTERM, then wait for the exit (SIGKILL after the timeout). True when it exited normally
    // with status 0; `how` says what happened.
    bool stop(int timeoutMs, QString* how);

private:
    QProcess m_process;
    QString m_error;
    quint16 m_port = 0;
    QByteArray m_token;
};

// Runs a nested event loop until pred() holds or timeoutMs pass; false on timeout. pred is
// checked every `pollMs` and whenever an event arrives.
bool waitFor(const std::function<bool()>& pred, int timeoutMs, int pollMs = 10);

} // namespace lunette::soak
