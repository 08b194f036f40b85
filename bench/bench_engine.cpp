// Engine-level benchmarks without sockets: P2 change detection, P3 frame encoding, P4 memory
// per idle session. Sessions are made by a SessionManager with no server (no connection sink:
// outgoing frames are dropped); protocol frames go in through SessionService::receiveFrame, the
// call the server makes for every WebSocket message.

#include <algorithm>
#include <atomic>
#include <future>

#include "Benchmarks.h"
#include "lua/LuaExecutor.h"
#include "lua/LuaState.h"
#include "protocol/Message.h"
#include "session/Session.h"
#include "session/SessionManager.h"
#include "site/Site.h"
#include "variables/VariableTree.h"

using namespace Qt::StringLiterals;

namespace lunette::bench {

namespace {

QString createSession(SessionManager& sessions, QString* error)
{
    std::promise<SessionService::Created> promise;
    auto future = promise.get_future();
    sessions.createSession(
        [&promise](const SessionService::Created& created) { promise.set_value(created); });
    const SessionService::Created created = future.get();
    if (!created.ok() && error)
        *error = created.error;
    return created.sessionId;
}

// Run fn with the session on the executor and wait for it.
void onSession(LuaExecutor& executor, SessionManager& sessions, const QString& id,
    const std::function<void(Session*)>& fn)
{
    sessions.withSession(id, fn);
    executor.execute([] {}); // FIFO: everything posted before has run
}

// Let the executor's event loop run (debounce timers flush), then wait for the queue.
void settle(LuaExecutor& executor, int ms)
{
    executor.execute([] {});
    sleepMs(ms);
    executor.execute([] {});
}

std::shared_ptr<const Site> openSite(const Options& options, const QString& name, QString* error)
{
    auto site = Site::open(sitePath(options, name));
    if (!site) {
        *error = site.error();
        return nullptr;
    }
    return *site;
}

// app[method](app, n) inside the current turn.
void callApp(lua_State* L, const char* method, lua_Integer n)
{
    lua_getglobal(L, "app");
    lua_getfield(L, -1, method);
    lua_pushvalue(L, -2);
    lua_pushinteger(L, n);
    lua_call(L, 2, 0);
    lua_pop(L, 1);
}

// app.values[i] = app.values[i] + 1 (i 1-based), straight through the C API.
void bump(lua_State* L, lua_Integer i)
{
    lua_getglobal(L, "app");
    lua_getfield(L, -1, "values");
    lua_rawgeti(L, -1, i);
    const lua_Integer value = lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_pushinteger(L, value + 1);
    lua_rawseti(L, -2, i);
    lua_pop(L, 2);
}

} // namespace

// ---- P2 ----------------------------------------------------------------------------------------

void runChangeDetection(const Options& options)
{
    const QString target = u"≤ 1 ms per turn at 10,000 (stretch ≤ 0.3 ms)"_s;
    QString error;
    const auto site = openSite(options, u"wide"_s, &error);
    if (!site) {
        printRow({ u"P2"_s, u"change detection"_s, u"failed: "_s + error, {}, target, u"—"_s });
        return;
    }
    LuaExecutor executor;
    const int baseIterations = options.iterations > 0 ? options.iterations : 1000;

    for (const int n : { 1000, 10000, 100000 }) {
        const int iterations = n >= 100000 ? std::max(20, baseIterations / 10) : baseIterations;
        const QString what
            = u"change detection, %1 watched variables (values.K, parent 1)"_s.arg(count(n));
        SessionManager::Options managerOptions;
        managerOptions.idleTimeout = std::chrono::milliseconds(0);
        SessionManager sessions(executor, site, managerOptions);
        const QString sid = createSession(sessions, &error);
        if (sid.isEmpty()) {
            printRow({ u"P2"_s, what, u"failed: "_s + error, {}, target, u"—"_s });
            return;
        }
        onSession(executor, sessions, sid,
            [n](Session* s) { (void)s->runTurn([&] { callApp(s->lua().state(), "fill", n); }); });

        trimHeap();
        const qint64 rssBefore = selfRss();
        // The variables, created over the protocol (a client's create messages), in frames of
        // 5,000 messages.
        constexpr ConnectionId kConnection = 1;
        sessions.openConnection(sid, kConnection);
        sessions.receiveFrame(kConnection, watchFrame(1));
        constexpr int kChunk = 5000;
        for (int first = 0; first < n; first += kChunk) {
            QByteArray frame = R"({"userEvent":false,"messages":[)";
            for (int k = first; k < std::min(n, first + kChunk); ++k) {
                if (k > first)
                    frame += ',';
                frame += R"({"type":"create","data":{"id":)" + QByteArray::number(k + 2)
                    + R"(,"parentId":1,"properties":{"path":"values.)" + QByteArray::number(k)
                    + R"("}}})";
            }
            frame += "]}";
            sessions.receiveFrame(kConnection, frame);
        }
        settle(executor, 50);
        trimHeap();
        const qint64 rssAfter = selfRss();
        std::size_t treeSize = 0;

        Samples change, noChange, fullTurn;
        change.reserve(static_cast<std::size_t>(iterations));
        noChange.reserve(static_cast<std::size_t>(iterations));
        fullTurn.reserve(static_cast<std::size_t>(iterations));
        int wrongCounts = 0;
        onSession(executor, sessions, sid, [&](Session* s) {
            treeSize = s->tree().size();
            lua_State* L = s->lua().state();
            variables::VariableTree& tree = s->tree();
            const int warmup = std::max(5, iterations / 20);
            auto index = [n](int i) {
                return static_cast<lua_Integer>((static_cast<qint64>(i) * 7919) % n) + 1;
            };
            // One element changed per turn: detectChanges() + collect(), timed inside the turn
            // (the turn's own detection then finds nothing).
            for (int i = 0; i < warmup + iterations; ++i) {
                (void)s->runTurn([&] {
                    bump(L, index(i));
                    const auto start = Clock::now();
                    tree.detectChanges();
                    std::vector<variables::VariableTree::Outgoing> out;
                    tree.collect(out);
                    const qint64 ns = nsSince(start);
                    if (i >= warmup)
                        change.add(ns);
                    if (out.size() != 1)
                        ++wrongCounts;
                });
            }
            for (int i = 0; i < warmup + iterations; ++i) {
                (void)s->runTurn([&] {
                    const auto start = Clock::now();
                    tree.detectChanges();
                    std::vector<variables::VariableTree::Outgoing> out;
                    tree.collect(out);
                    const qint64 ns = nsSince(start);
                    if (i >= warmup)
                        noChange.add(ns);
                    if (!out.empty())
                        ++wrongCounts;
                });
            }
            // The whole turn as Session::runTurn runs it: protected call, the change, detection,
            // collection, batching.
            for (int i = 0; i < warmup + iterations; ++i) {
                const auto start = Clock::now();
                (void)s->runTurn([&] { bump(L, index(i)); });
                const qint64 ns = nsSince(start);
                if (i >= warmup)
                    fullTurn.add(ns);
            }
        });
        sessions.shutdown();

        const qint64 median = change.median();
        QString measured
            = u"1 changed: median %1, p99 %2 · no change: median %3, p99 %4 · whole runTurn: median %5"_s
                  .arg(ms(median, 3), ms(change.percentile(99), 3), ms(noChange.median(), 3),
                      ms(noChange.percentile(99), 3), ms(fullTurn.median(), 3));
        measured += u" · %1 B RSS per variable"_s.arg(
            count(static_cast<double>(rssAfter - rssBefore) / static_cast<double>(n)));
        if (wrongCounts)
            measured += u" (%1 turns with an unexpected message count)"_s.arg(wrongCounts);
        if (treeSize < static_cast<std::size_t>(n))
            measured += u" (only %1 variables exist)"_s.arg(treeSize);
        QString verdict = u"—"_s;
        if (n == 10000) {
            verdict = median <= 300000 ? u"met (stretch too)"_s
                : median <= 1000000    ? u"met (stretch not)"_s
                                       : u"not met"_s;
        }
        printRow({ u"P2"_s, what, measured, count(iterations) + u" turns each"_s,
            n == 10000 ? target : u"—"_s, verdict });
    }
    executor.shutdown();

    // What one clock read costs on this machine (VariableTree::scan reads the clock twice per
    // variable for its compute-time diagnostics).
    constexpr int kReads = 1000000;
    const auto start = Clock::now();
    qint64 sum = 0;
    for (int i = 0; i < kReads; ++i)
        sum += Clock::now().time_since_epoch().count() & 1;
    keep(sum);
    printRow({ u"P2-clock"_s, u"one std::chrono::steady_clock::now() on this machine"_s,
        u"%1 ns"_s.arg(QString::number(static_cast<double>(nsSince(start)) / kReads, 'f', 1)),
        count(kReads) + u" reads"_s, u"—"_s, u"—"_s });
}

// ---- P3 ----------------------------------------------------------------------------------------

void runEncode(const Options& options)
{
    const int iterations = options.iterations > 0 ? options.iterations : 20000;
    // 100 changes of the kinds change detection produces: strings, numbers, booleans, object
    // refs, arrays of refs, and every fourth one with a `type` property.
    struct Change
    {
        qint64 varId;
        QByteArray value;
        std::vector<protocol::OutProperty> properties;
    };
    std::vector<Change> changes;
    for (int i = 0; i < 100; ++i) {
        Change c;
        c.varId = i + 2;
        switch (i % 5) {
        case 0:
            c.value = "\"Alice Smith " + QByteArray::number(i) + '"';
            break;
        case 1:
            c.value = QByteArray::number(i * 37);
            break;
        case 2:
            c.value = R"({"obj":)" + QByteArray::number(i + 100) + '}';
            break;
        case 3:
            c.value = i % 2 ? "true" : "false";
            break;
        default:
            c.value = R"([{"obj":7},{"obj":8},{"obj":9}])";
            break;
        }
        if (i % 4 == 0)
            c.properties.push_back({ QByteArrayLiteral("type"), QByteArrayLiteral("Contact") });
        changes.push_back(std::move(c));
    }
    Samples samples;
    samples.reserve(static_cast<std::size_t>(iterations));
    const int warmup = std::max(100, iterations / 10);
    qsizetype bytes = 0;
    for (int i = 0; i < warmup + iterations; ++i) {
        const auto start = Clock::now();
        std::vector<QByteArray> messages;
        messages.reserve(changes.size());
        for (const Change& c : changes)
            messages.push_back(protocol::encodeUpdate(c.varId, &c.value, c.properties));
        const QByteArray frame = protocol::joinFrame(messages);
        const qint64 ns = nsSince(start);
        keep(frame.constData());
        bytes = frame.size();
        if (i >= warmup)
            samples.add(ns);
    }
    const qint64 median = samples.median();
    printRow({ u"P3"_s,
        u"encode a 100-change update frame (encodeUpdate ×100 + joinFrame, %1 bytes)"_s.arg(bytes),
        u"median %1 ns (%2 ns per message), p99 %3 ns"_s.arg(
            count(median), count(median / 100.0), count(samples.percentile(99))),
        count(iterations) + u" frames"_s, u"≤ 20 µs"_s,
        median <= 20000 ? u"met"_s : u"not met"_s });
}

// ---- P4 ----------------------------------------------------------------------------------------

void runMemory(const Options& options)
{
    const int k = options.iterations > 0 ? options.iterations : 200;
    LuaExecutor executor;
    struct Case
    {
        QString site;
        qint64 limit;
        QString target;
    };
    for (const Case& c : { Case { u"contacts"_s, 200 * 1024, u"≤ 200 KB"_s },
             Case { u"bare"_s, 50 * 1024, u"≤ 50 KB"_s } }) {
        QString error;
        const auto site = openSite(options, c.site, &error);
        if (!site) {
            printRow({ u"P4"_s, c.site, u"failed: "_s + error, {}, c.target, u"—"_s });
            continue;
        }
        SessionManager sessions(executor, site);

        auto luaHeap = [&](bool collect) {
            std::atomic<qint64> total { 0 };
            const QStringList ids = sessions.sessionIds();
            for (const QString& id : ids) {
                sessions.withSession(id, [&total, collect](Session* s) {
                    if (!s)
                        return;
                    if (collect)
                        lua_gc(s->lua().state(), LUA_GCCOLLECT);
                    total += static_cast<qint64>(s->lua().memoryUsed());
                });
            }
            executor.execute([] {});
            return static_cast<double>(total.load()) / static_cast<double>(ids.size());
        };
        auto rss = [&] {
            settle(executor, 200);
            trimHeap();
            return selfRss();
        };

        // Warm the shared parts (viewdefs, prelude text, first-session allocations) with one
        // session that stays out of the count.
        const QString warm = createSession(sessions, &error);
        if (warm.isEmpty()) {
            printRow({ u"P4"_s, c.site, u"failed: "_s + error, {}, c.target, u"—"_s });
            continue;
        }
        sessions.destroySession(warm);
        const qint64 rss0 = rss();
        std::atomic<int> created { 0 };
        std::atomic<int> failedCount { 0 };
        for (int i = 0; i < k; ++i) {
            sessions.createSession([&](const SessionService::Created& result) {
                (result.ok() ? created : failedCount).fetch_add(1);
            });
        }
        executor.execute([] {});
        const double heapAsCreated = luaHeap(false);
        const double heap = luaHeap(true);
        const qint64 rss1 = rss();
        const double rssPerSession = static_cast<double>(rss1 - rss0) / k;
        printRow({ u"P4"_s,
            u"memory per idle session, %1 site, no connection (%2 sessions)"_s.arg(c.site).arg(k),
            u"RSS %1 per session · Lua heap %2 after a full GC (%3 as created)"_s.arg(
                kb(rssPerSession), kb(heap), kb(heapAsCreated))
                + (failedCount ? u" (%1 sessions failed)"_s.arg(failedCount.load()) : QString()),
            count(k) + u" sessions"_s, c.target,
            rssPerSession <= static_cast<double>(c.limit) ? u"met"_s : u"not met"_s });

        // The same sessions with a page attached: watch 1 and (contacts) the page's variables,
        // through SessionService exactly as the server delivers them (no socket).
        const QStringList ids = sessions.sessionIds();
        ConnectionId connection = 1;
        for (const QString& id : ids) {
            sessions.openConnection(id, connection);
            sessions.receiveFrame(connection, watchFrame(1));
            if (c.site == u"contacts"_s)
                sessions.receiveFrame(connection, contactsPage().createFrame);
            else
                sessions.receiveFrame(connection,
                    R"({"userEvent":false,"messages":[{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"message"}}}]})");
            ++connection;
        }
        executor.execute([] {});
        const double pageHeap = luaHeap(true);
        const qint64 rss2 = rss();
        const double pageRss = static_cast<double>(rss2 - rss0) / k;
        const int variables = c.site == u"contacts"_s ? contactsPage().variableCount + 1 : 2;
        printRow({ u"P4"_s,
            u"memory per idle session, %1 site, with its page connected (%2 variables; connection without socket)"_s
                .arg(c.site)
                .arg(variables),
            u"RSS %1 per session · Lua heap %2 after a full GC"_s.arg(kb(pageRss), kb(pageHeap)),
            count(k) + u" sessions"_s, c.target,
            pageRss <= static_cast<double>(c.limit) ? u"met"_s : u"not met"_s });
        sessions.shutdown();
    }

    // The floor: a sandboxed LuaState alone, and a session whose main.lua does nothing.
    const double stateOnly = static_cast<double>(executor.execute([] {
        LuaState state;
        lua_gc(state.state(), LUA_GCCOLLECT);
        return state.memoryUsed();
    }));
    double runtimeOnly = 0;
    QString error;
    if (const auto site = openSite(options, u"empty"_s, &error)) {
        SessionManager sessions(executor, site);
        const QString sid = createSession(sessions, &error);
        onSession(executor, sessions, sid, [&](Session* s) {
            if (!s)
                return;
            lua_gc(s->lua().state(), LUA_GCCOLLECT);
            runtimeOnly = static_cast<double>(s->lua().memoryUsed());
        });
        sessions.shutdown();
    }
    printRow({ u"P4-parts"_s,
        u"Lua heap floor: a sandboxed LuaState alone; a session of an empty main.lua (runtime + prelude)"_s,
        u"LuaState %1 · empty session %2 (after a full GC)"_s.arg(kb(stateOnly), kb(runtimeOnly)),
        u"1 each"_s, u"—"_s, u"—"_s });
    executor.shutdown();
}

} // namespace lunette::bench

namespace lunette::bench {

// P8: chained setTimeout(fn, 0) callbacks — each firing is a session turn (a task coroutine,
// change detection, flush check), as a site's timers are.
void runTimers(const Options& options)
{
    const QString target = u"≥ 200,000 /s"_s;
    const int n = options.iterations > 0 ? options.iterations : 200000;
    QString error;
    const auto site = openSite(options, u"bare"_s, &error);
    if (!site) {
        printRow({ u"P8"_s, u"timers"_s, u"failed: "_s + error, {}, target, u"—"_s });
        return;
    }
    LuaExecutor executor;
    SessionManager::Options managerOptions;
    managerOptions.idleTimeout = std::chrono::milliseconds(0);
    SessionManager sessions(executor, site, managerOptions);
    const QString sid = createSession(sessions, &error);
    if (sid.isEmpty()) {
        printRow({ u"P8"_s, u"timers"_s, u"failed: "_s + error, {}, target, u"—"_s });
        return;
    }
    const QByteArray chain = "local n, N = 0, " + QByteArray::number(n)
        + "\nlocal function tick() n = n + 1 if n < N then setTimeout(tick, 0) else benchDone() "
          "end end\n"
          "setTimeout(tick, 0)\n";
    std::promise<void> finished;
    auto future = finished.get_future();
    Clock::time_point start;
    onSession(executor, sessions, sid, [&](Session* s) {
        lua_State* L = s->lua().state();
        lua_pushlightuserdata(L, &finished);
        lua_pushcclosure(
            L,
            [](lua_State* S) -> int {
                static_cast<std::promise<void>*>(lua_touserdata(S, lua_upvalueindex(1)))
                    ->set_value();
                return 0;
            },
            1);
        lua_setglobal(L, "benchDone");
        start = Clock::now();
        (void)s->runTurn([&] { (void)s->lua().run(chain, u"bench"_s); });
    });
    future.wait();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double rate = n / seconds;
    printRow({ u"P8"_s,
        u"timers: chained setTimeout(fn, 0), each its own turn (task + change detection)"_s,
        u"%1 callbacks/s (%2 µs each)"_s.arg(
            count(qint64(rate)), QString::number(1e6 / rate, 'f', 2)),
        count(n) + u" callbacks"_s, target, rate >= 200000 ? u"met"_s : u"not met"_s });
}

} // namespace lunette::bench
