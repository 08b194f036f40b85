// lunette-soak: N simulated pages against a lunette-server child process for M minutes
// (bench/README.md "lunette-soak"; issue 9 "Soak"). Not a test: nothing here runs under ctest.
//
//   lunette-soak [--sessions N] [--minutes M | --seconds S] [--server PATH] [--site DIR]
//                [--warmup-seconds S] [--report-seconds S] [--session-timeout S] [--seed N] …
//
// Prints Markdown to stdout: one row per report interval, then a summary with verdicts. Exit
// status 0 only when there were no errors and the server's RSS grew by at most 5 % between the
// end of the warm-up and the end of the run.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSysInfo>
#include <QTimer>
#include <QUrl>

#include "BenchSupport.h"
#include "ServerProcess.h"
#include "SoakClient.h"

using namespace Qt::StringLiterals;
using namespace lunette::soak;
using lunette::bench::count;
using lunette::bench::mb;
using lunette::bench::ms;
using lunette::bench::Samples;

namespace {

constexpr double kMaxGrowth = 0.05; // RSS growth allowed between the warm-up and the end

struct Options
{
    int sessions = 50;
    int seconds = 600;
    QString server;
    QString site;
    int warmupSeconds = 30;
    int reportSeconds = 60;
    int sessionTimeout = 3;
    int clientThreads = 1;
    QStringList serverArguments; // more options for the server (--server-arg)
    ClientOptions client;
};

void print(const QString& text)
{
    std::fputs(text.toUtf8().constData(), stdout);
    std::fflush(stdout);
}

QString loadAverage()
{
    QFile file(u"/proc/loadavg"_s);
    return file.open(QIODevice::ReadOnly) ? QString::fromLatin1(file.readAll()).section(u' ', 0, 2)
                                          : u"?"_s;
}

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

QString seconds(double s, int decimals = 0)
{
    return QString::number(s, 'f', decimals) + u" s"_s;
}

// "every 10 s on average", "never" (0)
QString every(double meanSeconds)
{
    return meanSeconds > 0 ? u"every %1 s on average"_s.arg(meanSeconds) : u"never"_s;
}

QString percent(double fraction)
{
    return (fraction >= 0 ? u"+"_s : QString()) + QString::number(fraction * 100, 'f', 1) + u" %"_s;
}

// The server's HTTP side, as seen from the coordinating thread.
class Http
{
public:
    Http(quint16 port, QByteArray token) : m_port(port), m_token(std::move(token)) { }

    // GET `path` with the token cookie; `done(status, body)` on this thread (status 0: no reply).
    void get(const QString& path, std::function<void(int, const QByteArray&)> done)
    {
        QNetworkRequest request(QUrl(u"http://127.0.0.1:%1"_s.arg(m_port) + path));
        request.setAttribute(
            QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
        request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
        request.setRawHeader("Cookie", "lunette-token=" + m_token);
        request.setRawHeader("Connection", "close");
        request.setTransferTimeout(10000);
        QNetworkReply* reply = m_manager.get(request);
        ++m_inFlight;
        QObject::connect(reply, &QNetworkReply::finished, reply, [this, reply, done] {
            --m_inFlight;
            reply->deleteLater();
            done(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                reply->readAll());
        });
    }
    int inFlight() const { return m_inFlight; }

private:
    QNetworkAccessManager m_manager;
    quint16 m_port;
    QByteArray m_token;
    int m_inFlight = 0;
};

class Soak
{
public:
    explicit Soak(const Options& options) : m_options(options) { }
    int run();

private:
    void reportRow(bool final);
    void pollAbandoned();
    void checkVariables();
    bool waitUntilReaped(const std::vector<QString>& ids, double* tookSeconds);
    qint64 settledRss();
    void printErrors();

    const Options& m_options;
    ServerProcess m_server;
    std::unique_ptr<Http> m_http;
    std::unique_ptr<SoakShared> m_shared;
    Clock::time_point m_start;
    double m_lastRowAt = 0;
    quint64 m_actionsReported = 0;
    qint64 m_peakRss = 0;

    // Abandoned sessions not yet seen ended (GET /<sid> → 404).
    struct Pending
    {
        Clock::time_point since;
        bool asking = false;
    };
    std::map<QString, Pending> m_pending;
    double m_maxReapSeconds = 0;
    quint64 m_reapedDuringRun = 0;
    int m_variablesChecked = 0;
    qint64 m_clientCpuNs = 0;
};

void Soak::reportRow(bool final)
{
    const double now = secondsSince(m_start);
    if (final && now - m_lastRowAt < 1)
        return;
    SoakShared::Interval interval = m_shared->takeInterval();
    Samples latencies;
    latencies.append(interval.latencies);
    const double span = now - m_lastRowAt;
    m_lastRowAt = now;
    m_actionsReported += interval.actions;
    const qint64 rss = m_server.rss();
    print(u"| %1 | %2 | %3 | %4 | %5 | %6 | %7 | %8 | %9 | %10 | %11 | %12 |\n"_s.arg(seconds(now),
        count(static_cast<double>(interval.actions)),
        count(static_cast<double>(interval.actions) / std::max(span, 1e-3)),
        count(static_cast<double>(m_actionsReported)), QString::number(interval.errors),
        ms(latencies.median()), ms(latencies.percentile(99)), ms(latencies.percentile(100)),
        QString::number(interval.reconnects), QString::number(interval.created),
        u"%1 + %2 idle"_s.arg(m_options.sessions).arg(m_pending.size()),
        rss > 0 ? mb(static_cast<double>(rss)) : u"?"_s));
}

void Soak::pollAbandoned()
{
    const auto now = Clock::now();
    for (const QString& id : m_shared->takeAbandoned())
        m_pending.emplace(id, Pending { now, false });
    // A session is reaped once idle for the timeout, by a sweep every quarter of it; allow 10 s
    // more on a busy machine.
    const double limit = m_options.sessionTimeout * 1.25 + 10;
    for (auto& [id, pending] : m_pending) {
        if (pending.asking)
            continue;
        pending.asking = true;
        m_http->get(u"/"_s + id, [this, id = id, limit](int status, const QByteArray&) {
            auto it = m_pending.find(id);
            if (it == m_pending.end())
                return;
            const double waited = secondsSince(it->second.since);
            it->second.asking = false;
            if (status == 404) {
                m_maxReapSeconds = std::max(m_maxReapSeconds, waited);
                ++m_reapedDuringRun;
                m_pending.erase(it);
            } else if (status != 200) {
                m_shared->addError(
                    u"GET /%1 (abandoned session) answered %2"_s.arg(id).arg(status));
                m_pending.erase(it);
            } else if (waited > limit) {
                m_shared->addError(u"abandoned session %1 still alive after %2"_s.arg(
                    id.left(8), seconds(waited)));
                m_pending.erase(it);
            }
        });
    }
}

void Soak::checkVariables()
{
    // Each parked page knows how many variables it holds; the engine must hold exactly those
    // (plus variable 1): nothing left over from earlier connections or destroyed items.
    // Shared with the callbacks, which may outlive this function when it gives up waiting.
    auto answered = std::make_shared<int>(0);
    int asked = 0;
    for (const ParkedSession& parked : m_shared->parked()) {
        if (parked.sessionId.isEmpty())
            continue;
        ++asked;
        m_http->get(u"/"_s + parked.sessionId + u"/variables.json"_s,
            [this, parked, answered](int status, const QByteArray& body) {
                ++*answered;
                const QJsonDocument doc = QJsonDocument::fromJson(body);
                if (status != 200 || !doc.isArray()) {
                    m_shared->addError(
                        u"variables.json of %1 answered %2"_s.arg(parked.sessionId.left(8))
                            .arg(status));
                    return;
                }
                const qsizetype held = doc.array().size();
                if (held != parked.variables)
                    m_shared->addError(u"session %1 holds %2 variables, its page %3"_s
                                           .arg(parked.sessionId.left(8))
                                           .arg(held)
                                           .arg(parked.variables));
            });
    }
    m_variablesChecked = asked;
    if (!waitFor([&] { return *answered == asked; }, 30000))
        m_shared->addError(u"variables.json: %1 of %2 answers"_s.arg(*answered).arg(asked));
}

bool Soak::waitUntilReaped(const std::vector<QString>& ids, double* tookSeconds)
{
    // Ask GET /<sid> of every session not yet seen ended, a round every 250 ms, until all
    // answer 404. Shared with the callbacks, which may outlive this function.
    struct State
    {
        std::set<QString> alive;
        int outstanding = 0;
    };
    auto state = std::make_shared<State>();
    state->alive.insert(ids.begin(), ids.end());
    const auto start = Clock::now();
    auto lastRound = start - std::chrono::seconds(1);
    const int timeoutMs = (m_options.sessionTimeout * 2 + 30) * 1000;
    const bool reaped = waitFor(
        [&] {
            if (state->alive.empty())
                return true;
            if (state->outstanding == 0
                && Clock::now() - lastRound >= std::chrono::milliseconds(250)) {
                lastRound = Clock::now();
                for (const QString& id : state->alive) {
                    ++state->outstanding;
                    m_http->get(u"/"_s + id, [state, id](int status, const QByteArray&) {
                        --state->outstanding;
                        if (status == 404)
                            state->alive.erase(id);
                    });
                }
            }
            return false;
        },
        timeoutMs, 20);
    *tookSeconds = secondsSince(start);
    if (!reaped)
        m_shared->addError(
            u"%1 of %2 sessions still alive %3 after the last close"_s.arg(state->alive.size())
                .arg(ids.size())
                .arg(seconds(*tookSeconds)));
    return reaped;
}

qint64 Soak::settledRss()
{
    // glibc may hand freed memory back over a moment: wait until two samples half a second
    // apart agree within 0.5 % (at most 10 s).
    qint64 last = m_server.rss();
    auto lastAt = Clock::now();
    waitFor(
        [&] {
            if (Clock::now() - lastAt < std::chrono::milliseconds(500))
                return false;
            const qint64 now = m_server.rss();
            lastAt = Clock::now();
            const bool stable = std::abs(static_cast<double>(now - last))
                <= 0.005 * static_cast<double>(std::max<qint64>(last, 1));
            last = now;
            return stable;
        },
        10000, 50);
    return last;
}

int Soak::run()
{
    const QString loadAtStart = loadAverage();
    print(
        u"lunette-soak %1 · %2 · %3 CPUs · %4 · Qt %5 · %6 build · load average %7 (the "
        "machine is shared: other processes' load shows in every number)\n\n"_s.arg(
            QCoreApplication::applicationVersion(),
            QDateTime::currentDateTime().toString(u"yyyy-MM-dd HH:mm"_s),
            QString::number(std::thread::hardware_concurrency()), QSysInfo::prettyProductName(),
            QString::fromLatin1(qVersion()), QStringLiteral(LUNETTE_SOAK_BUILD_TYPE), loadAtStart));

    if (!m_server.start(m_options.server, m_options.site,
            QStringList { u"--session-timeout"_s, QString::number(m_options.sessionTimeout) }
                + m_options.serverArguments,
            30000)) {
        std::fprintf(stderr, "lunette-soak: %s\n", qPrintable(m_server.error()));
        return 2;
    }
    m_http = std::make_unique<Http>(m_server.port(), m_server.token());
    const qint64 rssIdle = settledRss();
    const ClientOptions& c = m_options.client;
    print(
        u"`lunette-server %1 --session-timeout %2%13` (pid %3), %4 sessions on %5 client thread(s) "
        "for %6 (warm-up %7); per page a reconnect %8 and a new session %9 (exponential, seed "
        "%10); think time %11 ms; answer timeout %12 ms.\n\n"_s.arg(
            QFileInfo(m_options.site).fileName(), QString::number(m_options.sessionTimeout),
            QString::number(m_server.pid()), QString::number(m_options.sessions),
            QString::number(m_options.clientThreads), seconds(m_options.seconds),
            seconds(m_options.warmupSeconds), every(c.reconnectSeconds), every(c.churnSeconds),
            QString::number(c.seed), QString::number(c.thinkMs), QString::number(c.answerTimeoutMs),
            m_options.serverArguments.isEmpty() ? QString()
                                                : u" "_s + m_options.serverArguments.join(u' ')));
    print(u"| elapsed | actions | actions/s | total actions | errors | p50 | p99 | max | "
          "reconnects | new sessions | sessions | server RSS |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|\n"_s);

    m_start = Clock::now();
    m_shared = std::make_unique<SoakShared>(m_start);
    ClientOptions clientOptions = m_options.client;
    clientOptions.port = m_server.port();
    clientOptions.token = m_server.token();
    std::vector<std::unique_ptr<SoakThread>> threads;
    const int perThread
        = (m_options.sessions + m_options.clientThreads - 1) / m_options.clientThreads;
    for (int first = 0; first < m_options.sessions; first += perThread)
        threads.push_back(std::make_unique<SoakThread>(
            first, std::min(perThread, m_options.sessions - first), clientOptions, *m_shared));

    qint64 rssWarm = -1;
    QTimer warmup;
    warmup.setSingleShot(true);
    QObject::connect(&warmup, &QTimer::timeout, &warmup, [&] {
        rssWarm = m_server.rss();
        m_shared->recordAll.store(true);
    });
    warmup.start(m_options.warmupSeconds * 1000);
    QTimer report;
    report.setTimerType(Qt::PreciseTimer);
    QObject::connect(&report, &QTimer::timeout, &report, [this] { reportRow(false); });
    report.start(m_options.reportSeconds * 1000);
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &poll, [this] {
        m_peakRss = std::max(m_peakRss, m_server.rss());
        pollAbandoned();
    });
    poll.start(1000);

    waitFor([&] { return secondsSince(m_start) >= m_options.seconds || !m_server.running(); },
        (m_options.seconds + 60) * 1000, 50);
    const double ranFor = secondsSince(m_start);
    const qint64 rssEnd = m_server.rss();
    m_peakRss = std::max(m_peakRss, rssEnd);
    m_shared->stop.store(true);
    report.stop();
    if (!m_server.running()) {
        m_shared->addError(u"the server exited during the run"_s);
        reportRow(true);
        print(u"\nThe server exited during the run: nothing more to measure.\n"_s);
        printErrors();
        return 1;
    }

    // Let every client finish what it is doing and park (connected, idle).
    const int drainMs = 2 * m_options.client.answerTimeoutMs + 10000;
    if (!waitFor([&] { return m_shared->totals().parked >= m_options.sessions; }, drainMs))
        m_shared->addError(u"%1 of %2 clients did not stop within %3 ms"_s
                               .arg(m_options.sessions - m_shared->totals().parked)
                               .arg(m_options.sessions)
                               .arg(drainMs));
    reportRow(true);
    const std::vector<qint64> all = m_shared->takeAllLatencies();
    Samples latencies;
    latencies.append(all);

    checkVariables();
    for (auto& thread : threads)
        thread->closeAll();
    if (!waitFor([&] { return m_shared->totals().closed >= m_options.sessions; },
            m_options.client.answerTimeoutMs + 10000))
        m_shared->addError(
            u"%1 of %2 clients did not close"_s.arg(m_options.sessions - m_shared->totals().closed)
                .arg(m_options.sessions));
    // The client threads' CPU time, read while they still exist.
    // (threadCpuNs sums the threads of one name.)
    for (const auto& [name, ns] : lunette::bench::threadCpuNs()) {
        if (name == u"soak-client"_s)
            m_clientCpuNs = ns;
    }
    threads.clear();
    poll.stop();
    waitFor([&] { return m_http->inFlight() == 0; }, 15000);
    pollAbandoned(); // picks up the last abandoned ones (no request goes out for them yet…)
    waitFor([&] { return m_http->inFlight() == 0; }, 15000);
    std::vector<QString> remaining;
    for (const auto& [id, pending] : m_pending)
        remaining.push_back(id);
    for (const ParkedSession& parked : m_shared->parked()) {
        if (!parked.sessionId.isEmpty())
            remaining.push_back(parked.sessionId);
    }
    double reapSeconds = 0;
    const bool reaped = waitUntilReaped(remaining, &reapSeconds);
    const qint64 rssReapedAt = m_server.rss();
    const qint64 rssReaped = settledRss();
    const double cpu = m_server.cpuSeconds();
    QString shutdown;
    const bool clean = m_server.stop(15000, &shutdown);
    if (!clean)
        m_shared->addError(u"the server "_s + shutdown);

    // ---- summary ----
    const SoakShared::Totals totals = m_shared->totals();
    const double growth
        = rssWarm > 0 ? static_cast<double>(rssEnd - rssWarm) / static_cast<double>(rssWarm) : 1.0;
    const bool growthMet = rssWarm > 0 && growth <= kMaxGrowth;
    const bool errorsMet = totals.errors == 0;
    const auto row = [](const QString& what, const QString& value, const QString& target,
                         const QString& verdict) {
        print(u"| %1 | %2 | %3 | %4 |\n"_s.arg(what, value, target, verdict));
    };
    const QString dash = u"—"_s;
    print(u"\n| measure | value | target | verdict |\n|---|---|---|---|\n"_s);
    row(u"actions"_s,
        u"%1 in %2 (%3/s)"_s.arg(count(static_cast<double>(totals.actions)), seconds(ranFor),
            count(static_cast<double>(totals.actions) / ranFor)),
        dash, dash);
    row(u"latency after the warm-up"_s,
        u"p50 %1, p99 %2, p99.9 %3, max %4 (%5 actions)"_s.arg(ms(latencies.median()),
            ms(latencies.percentile(99)), ms(latencies.percentile(99.9)),
            ms(latencies.percentile(100)), count(static_cast<double>(latencies.size()))),
        dash, dash);
    const std::vector<std::vector<qint64>> byKind = m_shared->takeLatenciesByKind();
    QStringList kinds;
    for (int kind = 0; kind < SoakShared::kActionKinds; ++kind) {
        Samples samples;
        samples.append(byKind[static_cast<std::size_t>(kind)]);
        kinds.append(u"%1 p50 %2, p99 %3 (%4)"_s.arg(
            QLatin1StringView(SoakShared::kActionNames[kind]), ms(samples.median()),
            ms(samples.percentile(99)), count(static_cast<double>(samples.size()))));
    }
    row(u"latency by action after the warm-up"_s, kinds.join(u"; "_s), dash, dash);
    row(u"reconnects (session state checked after each)"_s,
        count(static_cast<double>(totals.reconnects)), dash, dash);
    row(u"sessions created / abandoned"_s,
        u"%1 / %2; %3 seen ended during the run, at most %4 after being abandoned"_s.arg(
            count(static_cast<double>(totals.created)),
            count(static_cast<double>(totals.abandoned)),
            count(static_cast<double>(m_reapedDuringRun)), seconds(m_maxReapSeconds, 1)),
        dash, dash);
    row(u"path-failure of a removed note's views before the page destroys them (expected)"_s,
        count(static_cast<double>(totals.removedItemFailures)), dash, dash);
    row(u"errors"_s, QString::number(totals.errors), u"0"_s, errorsMet ? u"met"_s : u"not met"_s);
    row(u"server RSS at start (no session)"_s, mb(static_cast<double>(rssIdle)), dash, dash);
    row(u"server RSS after the warm-up (%1)"_s.arg(seconds(m_options.warmupSeconds)),
        rssWarm > 0 ? mb(static_cast<double>(rssWarm)) : u"?"_s, dash, dash);
    row(u"server RSS at the end (%1)"_s.arg(seconds(ranFor)),
        u"%1 (%2 against the warm-up; peak %3)"_s.arg(
            mb(static_cast<double>(rssEnd)), percent(growth), mb(static_cast<double>(m_peakRss))),
        u"≤ +5 %"_s, growthMet ? u"met"_s : u"not met"_s);
    row(u"variables held by the engine = the pages' own"_s,
        u"%1 sessions checked"_s.arg(m_variablesChecked), dash, dash);
    row(u"every session reaped after the clients closed"_s,
        reaped
            ? u"all %1 ended (404) within %2"_s.arg(remaining.size()).arg(seconds(reapSeconds, 1))
            : u"not all: see the errors"_s,
        u"all"_s, reaped ? u"met"_s : u"not met"_s);
    row(u"server RSS after all sessions were reaped"_s,
        u"%1 (settled; %2 right after the last one ended)"_s.arg(
            mb(static_cast<double>(rssReaped)), mb(static_cast<double>(rssReapedAt))),
        dash, dash);
    row(u"server CPU time"_s,
        u"%1 (%2 of one core over the run)"_s.arg(seconds(cpu, 1), percent(cpu / ranFor).mid(1)),
        dash, dash);
    const double clientCpu = static_cast<double>(m_clientCpuNs) / 1e9;
    row(u"client CPU time (soak-client threads; near 100 % of a core per thread: the clients "
        "limit the load)"_s,
        u"%1 (%2 of one core per thread)"_s.arg(
            seconds(clientCpu, 1), percent(clientCpu / m_options.clientThreads / ranFor).mid(1)),
        dash, dash);
    row(u"server shutdown (SIGTERM)"_s, shutdown, u"exit 0"_s, clean ? u"met"_s : u"not met"_s);
    row(u"load average at start / end"_s, loadAtStart + u" / "_s + loadAverage(), dash, dash);
    printErrors();
    return errorsMet && growthMet ? 0 : 1;
}

void Soak::printErrors()
{
    const QStringList errors = m_shared->errorTexts();
    if (errors.isEmpty())
        return;
    print(
        u"\nErrors (the first %1 of %2):\n\n"_s.arg(errors.size()).arg(m_shared->totals().errors));
    for (const QString& error : errors)
        print(u"- "_s + error + u"\n"_s);
}

} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"lunette-soak"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(LUNETTE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Soak test of lunette-server (bench/README.md): N simulated pages doing mixed actions, "
        "reconnects and session churn for M minutes; reports actions, errors, latency over time "
        "and the server's memory."_s);
    parser.addHelpOption();
    const QCommandLineOption sessionsOption(
        u"sessions"_s, u"Concurrent sessions (pages), default 50."_s, u"N"_s, u"50"_s);
    const QCommandLineOption minutesOption(
        u"minutes"_s, u"Duration in minutes, default 10."_s, u"M"_s, u"10"_s);
    const QCommandLineOption secondsOption(
        u"seconds"_s, u"Duration in seconds (instead of --minutes)."_s, u"S"_s);
    const QCommandLineOption serverOption(u"server"_s,
        u"The lunette-server binary (default: the one built alongside)."_s, u"PATH"_s,
        QStringLiteral(LUNETTE_SERVER_PATH));
    const QCommandLineOption siteOption(u"site"_s,
        u"The site to serve (default: bench/sites/soak; another site needs its page model)."_s,
        u"DIR"_s, QStringLiteral(LUNETTE_SOAK_SITE));
    const QCommandLineOption warmupOption(u"warmup-seconds"_s,
        u"Warm-up before the RSS reference is taken, default 30."_s, u"S"_s, u"30"_s);
    const QCommandLineOption reportOption(u"report-seconds"_s,
        u"Length of a report interval (one table row), default 60."_s, u"S"_s, u"60"_s);
    const QCommandLineOption timeoutOption(u"session-timeout"_s,
        u"The server's --session-timeout: abandoned sessions end after this idle time, default 3."_s,
        u"S"_s, u"3"_s);
    const QCommandLineOption seedOption(
        u"seed"_s, u"Seed of the clients' random choices, default 1."_s, u"N"_s, u"1"_s);
    const QCommandLineOption threadsOption(
        u"client-threads"_s, u"Client threads, default 1."_s, u"T"_s, u"1"_s);
    const QCommandLineOption reconnectOption(u"reconnect-seconds"_s,
        u"Mean time between reconnects of one page, default 10 (0: never)."_s, u"S"_s, u"10"_s);
    const QCommandLineOption churnOption(u"churn-seconds"_s,
        u"Mean time before a page abandons its session for a new one, default 30 (0: never)."_s,
        u"S"_s, u"30"_s);
    const QCommandLineOption thinkOption(u"think-ms"_s,
        u"Mean pause between a page's actions, default 0 (closed loop)."_s, u"MS"_s, u"0"_s);
    const QCommandLineOption answerTimeoutOption(u"answer-timeout-ms"_s,
        u"Waiting longer for an answer (or a bootstrap step, a close, GET /) is an error, "
        "default 5000."_s,
        u"MS"_s, u"5000"_s);
    const QCommandLineOption serverArgOption(u"server-arg"_s,
        u"One more option for the server, e.g. --server-arg=--max-sessions=200 (repeatable)."_s,
        u"ARG"_s);
    parser.addOptions({ serverArgOption, sessionsOption, minutesOption, secondsOption, serverOption,
        siteOption, warmupOption, reportOption, timeoutOption, seedOption, threadsOption,
        reconnectOption, churnOption, thinkOption, answerTimeoutOption });
    parser.process(app);

    bool ok = true;
    const auto number = [&](const QCommandLineOption& option, double min) {
        bool valid = false;
        const double value = parser.value(option).toDouble(&valid);
        if (!valid || value < min || !std::isfinite(value)) {
            std::fprintf(stderr, "lunette-soak: --%s: not a number ≥ %g: %s\n",
                qPrintable(option.names().constFirst()), min, qPrintable(parser.value(option)));
            ok = false;
        }
        return value;
    };
    Options options;
    options.sessions = static_cast<int>(number(sessionsOption, 1));
    options.seconds = parser.isSet(secondsOption)
        ? static_cast<int>(number(secondsOption, 1))
        : static_cast<int>(std::lround(number(minutesOption, 0) * 60));
    options.server = parser.value(serverOption);
    options.site = parser.value(siteOption);
    options.serverArguments = parser.values(serverArgOption);
    options.warmupSeconds = static_cast<int>(number(warmupOption, 0));
    options.reportSeconds = static_cast<int>(number(reportOption, 1));
    options.sessionTimeout = static_cast<int>(number(timeoutOption, 1));
    options.clientThreads = static_cast<int>(number(threadsOption, 1));
    options.client.seed = static_cast<quint64>(number(seedOption, 0));
    options.client.reconnectSeconds = number(reconnectOption, 0);
    options.client.churnSeconds = number(churnOption, 0);
    options.client.thinkMs = static_cast<int>(number(thinkOption, 0));
    options.client.answerTimeoutMs = static_cast<int>(number(answerTimeoutOption, 100));
    if (!ok)
        return 2;
    if (options.seconds < 1 || options.warmupSeconds >= options.seconds) {
        std::fprintf(stderr,
            "lunette-soak: the run (%d s) must be longer than the warm-up (%d s)\n",
            options.seconds, options.warmupSeconds);
        return 2;
    }
    options.clientThreads = std::min(options.clientThreads, options.sessions);
    if (QStringLiteral(LUNETTE_SOAK_BUILD_TYPE) != u"Release"_s)
        std::fprintf(stderr,
            "lunette-soak: warning: this is a %s build; record numbers from a Release build\n",
            LUNETTE_SOAK_BUILD_TYPE);

    Soak soak(options);
    return soak.run();
}
