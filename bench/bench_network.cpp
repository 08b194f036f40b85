// P1 (action round trip over a real WebSocket) and P7 (throughput of 20 closed-loop clients),
// against an in-process server: LuaExecutor + SessionManager + SiteServer on loopback, exactly
// as lunette-server wires them. The clients run on their own thread(s) in this process.

#include <algorithm>
#include <cstdio>

#include <QThread>

#include "Benchmarks.h"
#include "LoadClient.h"
#include "lua/LuaExecutor.h"
#include "server/SiteServer.h"
#include "session/Session.h"
#include "session/SessionManager.h"
#include "site/Site.h"

using namespace Qt::StringLiterals;

namespace lunette::bench {

namespace {

class InProcessServer
{
public:
    ~InProcessServer()
    {
        if (m_server)
            m_server->stop();
        if (m_sessions)
            m_sessions->shutdown();
        m_server.reset();
        m_sessions.reset();
        if (m_executor)
            m_executor->shutdown();
    }

    bool start(const QString& folder)
    {
        auto site = Site::open(folder);
        if (!site) {
            m_error = site.error();
            return false;
        }
        m_executor = std::make_unique<LuaExecutor>();
        m_sessions = std::make_unique<SessionManager>(*m_executor, *site);
        m_server = std::make_unique<SiteServer>(*site, *m_sessions);
        if (auto started = m_server->start(); !started) {
            m_error = started.error();
            return false;
        }
        return true;
    }

    const QString& error() const { return m_error; }

    QByteArray cookie() const { return "lunette-token=" + m_server->token().toUtf8(); }

    // GET / → 307 /<sid>, as a browser's first request.
    QString newSession()
    {
        const HttpReply reply = httpGet(m_server->port(), "/", cookie());
        const QByteArray location = reply.header("Location");
        if (reply.status != 307 || !location.startsWith('/')) {
            m_error = u"GET / answered %1"_s.arg(reply.status);
            return {};
        }
        return QString::fromUtf8(location.mid(1));
    }

    LoadClientConfig clientConfig(const QString& sessionId) const
    {
        const ContactsPage& page = contactsPage();
        LoadClientConfig config;
        config.url = QUrl(u"ws://127.0.0.1:%1/ws/"_s.arg(m_server->port()) + sessionId);
        config.origin = m_server->origin().toUtf8();
        config.cookie = cookie();
        config.setupFrame = page.createFrame;
        // Click the eye of card 1, 2, 0, 1, …: every click changes the selection (Alice is
        // selected at start), so every action is answered by one update frame.
        for (const int card : { 1, 2, 0 })
            config.actions.push_back(
                actionFrame(page.selectActions[static_cast<std::size_t>(card)]));
        config.expect = R"("type":"update")";
        return config;
    }

private:
    std::unique_ptr<LuaExecutor> m_executor;
    std::unique_ptr<SessionManager> m_sessions;
    std::unique_ptr<SiteServer> m_server;
    QString m_error;
};

struct LoadResult
{
    bool ok = false;
    QString error;
    Samples latencies;
    quint64 unexpected = 0;
    qint64 windowNs = 0; // time-based runs
    std::map<QString, qint64> cpu; // per thread name, over the measured part
};

// Run the clients, spread over `threads` client threads. Count-based when the configs say so
// (measured > 0), else warm up for warmupMs and record for measureMs.
LoadResult runClients(
    const std::vector<LoadClientConfig>& configs, int threads, int warmupMs, int measureMs)
{
    LoadResult result;
    LoadControl control;
    threads = std::clamp(threads, 1, static_cast<int>(configs.size()));
    std::vector<std::vector<LoadClientConfig>> groups(static_cast<std::size_t>(threads));
    for (std::size_t i = 0; i < configs.size(); ++i)
        groups[i % groups.size()].push_back(configs[i]);
    std::vector<std::unique_ptr<ClientThread>> workers;
    for (auto& group : groups)
        workers.push_back(std::make_unique<ClientThread>(std::move(group), control));
    const int total = static_cast<int>(configs.size());

    auto finish = [&](const QString& error) {
        control.abort.store(true);
        for (auto& w : workers)
            w->join();
        result.error = error;
        for (auto& w : workers) {
            if (!w->errors().isEmpty() && result.error.isEmpty())
                result.error = w->errors().first();
        }
    };

    if (!waitUntil([&] { return control.ready.load() + control.failed.load() >= total; }, 30000)
        || control.failed.load() > 0) {
        finish(u"clients did not get ready"_s);
        return result;
    }
    const bool countBased = configs.front().measured > 0;
    auto cpuBefore = threadCpuNs();
    for (auto& w : workers)
        w->begin();
    if (countBased) {
        const int perClient = configs.front().warmup + configs.front().measured;
        if (!waitUntil([&] { return control.finished.load() >= total; }, 30000 + perClient * 20)) {
            finish(u"timed out"_s);
            return result;
        }
        result.cpu = cpuDelta(cpuBefore, threadCpuNs());
    } else {
        sleepMs(warmupMs);
        cpuBefore = threadCpuNs();
        const auto start = Clock::now();
        control.recording.store(true);
        sleepMs(measureMs);
        control.recording.store(false);
        control.stop.store(true);
        result.windowNs = nsSince(start);
        result.cpu = cpuDelta(cpuBefore, threadCpuNs());
        if (!waitUntil([&] { return control.finished.load() >= total; }, 10000)) {
            finish(u"clients did not stop"_s);
            return result;
        }
    }
    for (auto& w : workers) {
        w->join();
        result.latencies.append(w->latencies());
        result.unexpected += w->unexpected();
        if (!w->errors().isEmpty() && result.error.isEmpty())
            result.error = w->errors().first();
    }
    result.ok = result.error.isEmpty() && control.failed.load() == 0;
    return result;
}

QString failed(const QString& what)
{
    return u"failed: "_s + what;
}

// The two thread hand-overs P1 adds to a plain WebSocket echo, with no work in between: a
// thread running a Qt event loop (like the server thread) posts to the LuaExecutor, whose
// closure queues a call back to that thread (as SiteServer::sendFrame does).
void runHandOver(int measured, int warmup, const QString& iterations)
{
    LuaExecutor executor;
    QThread thread;
    thread.setObjectName(u"bench-hop"_s);
    thread.start();
    QObject context;
    context.moveToThread(&thread);
    Samples samples;
    samples.reserve(static_cast<std::size_t>(measured));
    std::atomic<bool> done { false };
    int round = 0;
    Clock::time_point sentAt;
    std::function<void()> step;
    step = [&] { // on `thread`
        if (round > warmup)
            samples.add(nsSince(sentAt));
        if (round == warmup + measured) {
            done.store(true);
            return;
        }
        ++round;
        sentAt = Clock::now();
        executor.post([&] { QMetaObject::invokeMethod(&context, step, Qt::QueuedConnection); });
    };
    QMetaObject::invokeMethod(&context, step, Qt::QueuedConnection);
    const bool finished = waitUntil([&] { return done.load(); }, 60000);
    thread.quit();
    thread.wait();
    executor.shutdown();
    printRow({ u"P1-hop"_s,
        u"thread hand-over round trip, event-loop thread → LuaExecutor::post → queued call back, no work"_s,
        finished ? u"p50 %1, p99 %2"_s.arg(us(samples.median()), us(samples.percentile(99)))
                 : failed(u"timed out"_s),
        iterations, u"—"_s, u"—"_s });
}

// Counts the frames the session layer hands to the server.
class CountingSink final : public ConnectionSink
{
public:
    void sendFrame(ConnectionId, const QByteArray& frame) override
    {
        m_frames.fetch_add(1);
        m_bytes.fetch_add(frame.size());
    }
    void closeConnection(ConnectionId, quint16, const QString&) override { }
    int frames() const { return m_frames.load(); }

private:
    std::atomic<int> m_frames { 0 };
    std::atomic<qint64> m_bytes { 0 };
};

// The executor's share of P1: Session::handleFrame of the same action frames, timed on the
// executor thread (parse, Lua, change detection, encoding, flush into the sink), no sockets and
// no thread hops.
void runTurnOnly(const Options& options, int measured, int warmup, const QString& iterations)
{
    Row row { u"P1-turn"_s,
        u"the executor's part of P1: Session::handleFrame(action) → frame to the sink, no sockets"_s,
        {}, iterations, u"—"_s, u"—"_s };
    auto site = Site::open(sitePath(options, u"contacts"_s));
    if (!site) {
        row.measured = failed(site.error());
        printRow(row);
        return;
    }
    LuaExecutor executor;
    CountingSink sink;
    SessionManager sessions(executor, *site);
    sessions.setConnectionSink(&sink);
    std::atomic<bool> done { false };
    QString sid;
    sessions.createSession([&](const SessionService::Created& created) {
        sid = created.sessionId;
        done.store(true);
    });
    waitUntil([&] { return done.load(); }, 10000);
    if (sid.isEmpty()) {
        row.measured = failed(u"no session"_s);
        printRow(row);
        return;
    }
    constexpr ConnectionId kConnection = 1;
    sessions.openConnection(sid, kConnection);
    sessions.receiveFrame(kConnection, watchFrame(1));
    sessions.receiveFrame(kConnection, contactsPage().createFrame);
    executor.execute([] {});
    sleepMs(50); // the debounced bootstrap frames
    executor.execute([] {});
    const int framesBefore = sink.frames();
    std::vector<QByteArray> frames;
    for (const int card : { 1, 2, 0 })
        frames.push_back(actionFrame(contactsPage().selectActions[static_cast<std::size_t>(card)]));
    Samples samples;
    samples.reserve(static_cast<std::size_t>(measured));
    sessions.withSession(sid, [&](Session* s) {
        for (int i = 0; i < warmup + measured; ++i) {
            const auto start = Clock::now();
            s->handleFrame(kConnection, frames[static_cast<std::size_t>(i) % frames.size()]);
            const qint64 ns = nsSince(start);
            if (i >= warmup)
                samples.add(ns);
        }
    });
    executor.execute([] {});
    const int answered = sink.frames() - framesBefore;
    row.measured = u"median %1, p99 %2"_s.arg(us(samples.median()), us(samples.percentile(99)));
    if (answered != warmup + measured)
        row.measured += u" (%1 frames for %2 actions)"_s.arg(answered).arg(warmup + measured);
    printRow(row);
    sessions.shutdown();
    executor.shutdown();
}

// "executor 41 µs, server 30 µs, client 35 µs" per action.
QString cpuPerAction(const std::map<QString, qint64>& cpu, std::size_t actions)
{
    if (actions == 0)
        return {};
    QStringList parts;
    for (const auto& [name, ns] : cpu) {
        const qint64 per = ns / static_cast<qint64>(actions);
        if (per < 500)
            continue; // idle helper threads
        parts.append(name + u" "_s + us(per));
    }
    return parts.join(u", "_s);
}

} // namespace

void runRoundTrip(const Options& options)
{
    const int measured = options.iterations > 0 ? options.iterations : 5000;
    const int warmup = std::max(500, measured / 10);
    const QString iterations = count(measured) + u" (+"_s + count(warmup) + u" warm-up)"_s;

    // Baseline: the same client against a bare QWebSocketServer that answers every frame with an
    // update frame of the size the contacts site sends back.
    {
        EchoServer echo(QByteArrayLiteral(
            R"([{"type":"update","data":{"varId":12,"value":{"obj":5}}},{"type":"update","data":{"varId":13,"value":"Bob Johnson"}},{"type":"update","data":{"varId":14,"value":"bob@example.com"}}])"));
        LoadClientConfig config;
        config.url = QUrl(u"ws://127.0.0.1:%1/"_s.arg(echo.port()));
        config.protocol = false;
        config.actions = { actionFrame(24) };
        config.warmup = warmup;
        config.measured = measured;
        LoadResult r = runClients({ config }, 1, 0, 0);
        Row row { u"P1-base"_s,
            u"baseline: raw Qt WebSocket echo over loopback (same client, same frame sizes)"_s, {},
            iterations, u"— (anchor ≈ 55 µs p50)"_s, u"—"_s };
        if (!r.ok)
            row.measured = failed(r.error);
        else
            row.measured = u"p50 %1, p95 %2, p99 %3"_s.arg(us(r.latencies.median()),
                us(r.latencies.percentile(95)), us(r.latencies.percentile(99)));
        printRow(row);
        printRow(
            { u"P1-base-cpu"_s, u"CPU per round trip by thread during the baseline (schedstat)"_s,
                cpuPerAction(r.cpu, static_cast<std::size_t>(measured + warmup)), iterations,
                u"—"_s, u"—"_s });
    }

    InProcessServer server;
    Row row { u"P1"_s,
        u"action round trip over a real WebSocket, contacts site, 1 session (card select() → update frame)"_s,
        {}, iterations, u"p50 ≤ 80 µs, p99 ≤ 300 µs"_s, u"—"_s };
    if (!server.start(sitePath(options, u"contacts"_s))) {
        row.measured = failed(server.error());
        printRow(row);
        return;
    }
    const QString sid = server.newSession();
    if (sid.isEmpty()) {
        row.measured = failed(server.error());
        printRow(row);
        return;
    }
    LoadClientConfig config = server.clientConfig(sid);
    config.warmup = warmup;
    config.measured = measured;
    LoadResult r = runClients({ config }, 1, 0, 0);
    if (!r.ok) {
        row.measured = failed(r.error);
        printRow(row);
        return;
    }
    const qint64 p50 = r.latencies.median();
    const qint64 p99 = r.latencies.percentile(99);
    row.measured
        = u"p50 %1, p95 %2, p99 %3"_s.arg(us(p50), us(r.latencies.percentile(95)), us(p99));
    if (r.unexpected)
        row.measured += u" (%1 unexpected answers)"_s.arg(r.unexpected);
    row.verdict = (p50 <= 80000 && p99 <= 300000) ? u"met"_s : u"not met"_s;
    printRow(row);
    printRow({ u"P1-cpu"_s, u"CPU per action by thread during P1 (schedstat)"_s,
        cpuPerAction(r.cpu, static_cast<std::size_t>(measured + warmup)), iterations, u"—"_s,
        u"—"_s });
    runTurnOnly(options, measured, warmup, iterations);
    runHandOver(measured, warmup, iterations);
}

void runThroughput(const Options& options)
{
    constexpr int kSessions = 20;
    const int seconds = std::max(1, options.seconds);
    Row row { u"P7"_s,
        u"throughput: %1 sessions, %1 closed-loop clients on %2 client thread(s), contacts site"_s
            .arg(kSessions)
            .arg(options.clientThreads),
        {}, {}, u"≥ 30,000 actions/s, p99 ≤ 2 ms"_s, u"—"_s };
    InProcessServer server;
    if (!server.start(sitePath(options, u"contacts"_s))) {
        row.measured = failed(server.error());
        printRow(row);
        return;
    }
    std::vector<LoadClientConfig> configs;
    for (int i = 0; i < kSessions; ++i) {
        const QString sid = server.newSession();
        if (sid.isEmpty()) {
            row.measured = failed(server.error());
            printRow(row);
            return;
        }
        configs.push_back(server.clientConfig(sid));
    }
    LoadResult r = runClients(configs, options.clientThreads, 1000, seconds * 1000);
    if (!r.ok) {
        row.measured = failed(r.error);
        printRow(row);
        return;
    }
    const std::size_t actions = r.latencies.size();
    const double perSecond = static_cast<double>(actions) * 1e9 / static_cast<double>(r.windowNs);
    const qint64 p99 = r.latencies.percentile(99);
    row.measured = u"%1 actions/s; latency p50 %2, p95 %3, p99 %4"_s.arg(
        count(perSecond), ms(r.latencies.median()), ms(r.latencies.percentile(95)), ms(p99));
    if (r.unexpected)
        row.measured += u" (%1 unexpected answers)"_s.arg(r.unexpected);
    row.iterations
        = count(static_cast<double>(actions)) + u" actions in %1 s (+1 s warm-up)"_s.arg(seconds);
    row.verdict = (perSecond >= 30000 && p99 <= 2000000) ? u"met"_s : u"not met"_s;
    printRow(row);
    printRow(
        { u"P7-cpu"_s, u"CPU per action by thread during P7 (schedstat; 2 cores shared by all)"_s,
            cpuPerAction(r.cpu, actions), row.iterations, u"—"_s, u"—"_s });
}

} // namespace lunette::bench
