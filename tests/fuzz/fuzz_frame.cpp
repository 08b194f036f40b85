// libFuzzer target: an inbound WebSocket frame through parsing *and* handling, against a real
// in-process session of the fixture site tests/data/sites/protocol (no network).
//
// Set-up (once): a QCoreApplication, a LuaExecutor and a SessionManager over the fixture site,
// with a sink that checks every frame the session layer sends; one session is created (and created
// again whenever it has ended, and every kInputsPerSession inputs, so what the inputs' actions add
// to the app stays bounded).
//
// Per input: a new connection opens on the session, the input goes in as one frame, the session
// flushes what it queued, the connection closes (its variables go with it), and the target waits
// until the executor has done all of that — a closure posted behind the work is run by the
// executor in order (LuaExecutor::execute), no sleeps. Timers the input started may fire later;
// their frames are checked the same way.
//
// Oracle, for every frame sent (PROTOCOL.md): valid JSON (QJsonDocument); a single message object
// or an array of two or more; each message {"type": non-empty string, "data": object}; an error
// message carries a string code and description; and only to a connection that is open.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>

#include <QByteArray>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QtGlobal>

#include "lua/LuaExecutor.h"
#include "session/SessionManager.h"
#include "site/Site.h"

using namespace Qt::StringLiterals;
using namespace lunette;

namespace {

constexpr int kInputsPerSession = 1000;

QByteArray g_input; // the input being handled, for violation reports

[[noreturn]] void fail(const char* what, const QByteArray& detail = {})
{
    std::fprintf(stderr, "fuzz_frame: %s\n  frame sent: %s\n  input (percent-encoded): %s\n", what,
        detail.left(4000).constData(), g_input.left(4000).toPercentEncoding().constData());
    std::abort();
}

void checkMessage(const QJsonValue& value, const QByteArray& frame)
{
    if (!value.isObject())
        fail("a message that is not an object", frame);
    const QJsonObject message = value.toObject();
    const QJsonValue type = message.value(u"type"_s);
    if (!type.isString() || type.toString().isEmpty())
        fail("a message without a type", frame);
    if (!message.value(u"data"_s).isObject())
        fail("a message without a data object", frame);
    if (type.toString() == u"error"_s) {
        const QJsonObject data = message.value(u"data"_s).toObject();
        if (!data.value(u"code"_s).isString() || !data.value(u"description"_s).isString())
            fail("an error message without a code or description", frame);
    }
}

// Checks every frame the session layer sends. Called on the executor thread only, like the
// open-connection bookkeeping below, so it needs no lock.
class CheckingSink final : public ConnectionSink
{
public:
    void sendFrame(ConnectionId id, const QByteArray& frame) override
    {
        if (!open.count(id))
            fail("a frame for a connection that is not open", frame);
        QJsonParseError error {};
        const QJsonDocument document = QJsonDocument::fromJson(frame, &error);
        if (error.error != QJsonParseError::NoError)
            fail("a frame that is not valid JSON", frame);
        if (document.isArray()) {
            const QJsonArray messages = document.array();
            if (messages.size() < 2)
                fail("an array frame with fewer than two messages", frame);
            for (const QJsonValue& message : messages)
                checkMessage(message, frame);
        } else {
            checkMessage(document.object(), frame);
        }
    }
    void closeConnection(ConnectionId id, quint16, const QString&) override { open.erase(id); }

    std::set<ConnectionId> open;
};

struct Harness
{
    std::shared_ptr<const Site> site;
    std::unique_ptr<LuaExecutor> executor;
    std::unique_ptr<SessionManager> sessions;
    CheckingSink sink;
    QString sessionId;
    ConnectionId nextConnection = 1;
    int inputsOnSession = 0;
};

Harness* g_harness = nullptr;

void shutDown()
{
    if (!g_harness)
        return;
    g_harness->sessions->setConnectionSink(nullptr);
    g_harness->sessions->shutdown();
    g_harness->sessions.reset();
    g_harness->executor->shutdown();
    delete g_harness;
    g_harness = nullptr;
}

// Creates the session, waiting for it (createSession's closure runs before the marker).
void createSession(Harness& h)
{
    if (!h.sessionId.isEmpty())
        h.sessions->destroySession(h.sessionId);
    SessionService::Created created;
    h.sessions->createSession([&created](const SessionService::Created& c) { created = c; });
    h.executor->execute([] {});
    if (!created.ok())
        fail("the fixture session cannot be created", created.error.toUtf8());
    h.sessionId = created.sessionId;
    h.inputsOnSession = 0;
}

// Qt's warnings about the fuzz inputs (Lua errors, bad messages) would flood the log.
void quietMessages(QtMsgType type, const QMessageLogContext&, const QString& text)
{
    if (type == QtCriticalMsg || type == QtFatalMsg)
        std::fprintf(stderr, "%s\n", qPrintable(text));
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv)
{
    (void)new QCoreApplication(*argc, *argv); // lives as long as the process
    qInstallMessageHandler(quietMessages);

    auto site = Site::open(QStringLiteral(LUNETTE_SOURCE_DIR) + u"/tests/data/sites/protocol"_s);
    if (!site)
        fail("cannot open the fixture site", site.error().toUtf8());
    auto* h = new Harness;
    g_harness = h;
    h->site = *site;
    h->executor = std::make_unique<LuaExecutor>();
    SessionManager::Options options;
    options.idleTimeout = std::chrono::milliseconds(0); // sessions end only when told
    h->sessions = std::make_unique<SessionManager>(*h->executor, h->site, options);
    h->sessions->setConnectionSink(&h->sink);
    std::atexit(shutDown);
    createSession(*h);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    Harness& h = *g_harness;
    g_input = QByteArray(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    if (!h.sessions->hasSession(h.sessionId) || ++h.inputsOnSession > kInputsPerSession)
        createSession(h);

    const ConnectionId connection = h.nextConnection++;
    CheckingSink& sink = h.sink;
    h.executor->post([&sink, connection] { sink.open.insert(connection); });
    h.sessions->openConnection(h.sessionId, connection);
    h.sessions->receiveFrame(connection, g_input);
    // Non-user-event frames are debounced: send what they queued now, while the connection is
    // open, so every reply is checked.
    h.sessions->withSession(h.sessionId, [](Session* session) {
        if (session)
            session->flush();
    });
    h.sessions->closeConnection(connection);
    h.executor->execute([&sink, connection] { sink.open.erase(connection); });
    return 0;
}
