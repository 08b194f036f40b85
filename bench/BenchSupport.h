#pragma once

// Shared helpers of lunette-bench: options, result rows, statistics, process memory, a minimal
// blocking HTTP/1.1 client, the benchmark sites and the contacts page the clients bind.

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

#include <QByteArray>
#include <QList>
#include <QString>
#include <QtGlobal>

namespace lunette::bench {

struct Options
{
    int iterations = 0; // 0: each benchmark's default
    int seconds = 5; // P7 measuring time
    int clientThreads = 1; // P7 client threads
    QString sitesDir; // bench/sites
    QString serverPath; // lunette-server
};

// One line of the results table.
struct Row
{
    QString id; // "P1"
    QString what;
    QString measured;
    QString iterations;
    QString target;
    QString verdict; // "met", "not met", "—"
};

void printHeader();
void printRow(const Row& row);

// ---- statistics --------------------------------------------------------------------------------

class Samples
{
public:
    void reserve(std::size_t n) { m_values.reserve(n); }
    void add(qint64 ns) { m_values.push_back(ns); }
    void append(const std::vector<qint64>& more)
    {
        m_values.insert(m_values.end(), more.begin(), more.end());
    }
    std::size_t size() const { return m_values.size(); }
    // Nearest-rank percentile (p in 0..100) in nanoseconds; sorts on first use.
    qint64 percentile(double p);
    qint64 median() { return percentile(50); }
    double mean() const;

private:
    std::vector<qint64> m_values;
    bool m_sorted = false;
};

using Clock = std::chrono::steady_clock;
inline qint64 nsSince(Clock::time_point start)
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}
inline qint64 nsBetween(Clock::time_point a, Clock::time_point b)
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

// "12.3 µs", "1.24 ms", "850 ns" — fixed unit chosen by the caller.
QString us(qint64 ns, int decimals = 1);
QString ms(qint64 ns, int decimals = 2);
QString kb(double bytes);
QString mb(double bytes);
QString count(double n); // 12,345

// Keeps the compiler from dropping a computation whose result is otherwise unused.
template <typename T> inline void keep(const T& value)
{
    asm volatile("" : : "r,m"(value) : "memory");
}

// ---- process memory ----------------------------------------------------------------------------

// Resident set of this process in bytes (/proc/self/statm).
qint64 selfRss();
// VmRSS of a process in bytes (/proc/<pid>/status), -1 when unreadable.
qint64 processRss(qint64 pid);
// Give freed heap pages back to the system (glibc malloc_trim), so RSS deltas are comparable.
void trimHeap();
// CPU time of this process's threads so far, summed per thread name (/proc/self/task/*/comm,
// schedstat: nanosecond resolution). Names are the kernel's, cut at 15 characters.
std::map<QString, qint64> threadCpuNs();
// after − before, per name, dropping names that used nothing.
std::map<QString, qint64> cpuDelta(
    const std::map<QString, qint64>& before, const std::map<QString, qint64>& after);
// Sleep on the calling thread (no event processing).
void sleepMs(int ms);

// ---- HTTP --------------------------------------------------------------------------------------

struct HttpReply
{
    int status = 0; // 0: no reply (connection or parse failure)
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QByteArray header(QByteArrayView name) const;
};

// GET `target` ("/path?query") from 127.0.0.1:port over a fresh TCP connection (blocking, with
// a timeout). `cookie` is sent as the Cookie header when non-empty.
HttpReply httpGet(
    quint16 port, const QByteArray& target, const QByteArray& cookie = {}, int timeoutMs = 10000);

// ---- sites and the contacts page ----------------------------------------------------------------

QString sitePath(const Options& options, const QString& name);

// What a browser rendering ContactApp.DEFAULT (and the list-item / DEFAULT views inside it)
// creates after the bootstrap frame, as one client frame, plus the action variables the
// benchmark clients click.
struct ContactsPage
{
    QByteArray createFrame; // {"userEvent":false,"messages":[create…, update viewdef]}
    int variableCount = 0; // created variables (ids 2…)
    std::vector<qint64> selectActions; // select() of card 0, 1, 2
    qint64 selectNextAction = 0;
};
const ContactsPage& contactsPage();

QByteArray watchFrame(qint64 varId);
QByteArray actionFrame(qint64 varId);

} // namespace lunette::bench
