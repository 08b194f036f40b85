#include "LoadClient.h"

#include <QEventLoop>
#include <QNetworkRequest>
#include <QThread>
#include <QTimer>
#include <QWebSocketServer>

using namespace Qt::StringLiterals;

namespace lunette::bench {

bool waitUntil(const std::function<bool()>& pred, int timeoutMs)
{
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    while (!pred()) {
        if (Clock::now() > deadline)
            return false;
        sleepMs(2);
    }
    return true;
}

// ---- LoadClient --------------------------------------------------------------------------------

LoadClient::LoadClient(LoadClientConfig config, LoadControl& control)
    : m_config(std::move(config)), m_control(control), m_socket(std::make_unique<QWebSocket>())
{
    for (const QByteArray& frame : m_config.actions)
        m_actionTexts.push_back(QString::fromUtf8(frame));
    m_expect = QString::fromUtf8(m_config.expect);
    if (m_config.measured > 0)
        m_latencies.reserve(static_cast<std::size_t>(m_config.measured));
    else
        m_latencies.reserve(1 << 15);
    QObject::connect(m_socket.get(), &QWebSocket::textMessageReceived, m_socket.get(),
        [this](const QString& text) { onText(text); });
    QObject::connect(m_socket.get(), &QWebSocket::connected, m_socket.get(), [this] {
        if (m_config.protocol) {
            m_state = State::AwaitBootstrap;
            m_socket->sendTextMessage(QString::fromUtf8(watchFrame(1)));
        } else {
            m_state = State::Ready;
            if (onReady)
                onReady();
        }
    });
    QObject::connect(m_socket.get(), &QWebSocket::disconnected, m_socket.get(), [this] {
        if (m_state != State::Done)
            fail(u"disconnected: "_s + m_socket->closeReason());
    });
}

LoadClient::~LoadClient()
{
    QObject::disconnect(m_socket.get(), nullptr, nullptr, nullptr);
    m_socket->abort();
}

void LoadClient::open()
{
    QNetworkRequest request(m_config.url);
    if (!m_config.origin.isEmpty())
        request.setRawHeader("Origin", m_config.origin);
    if (!m_config.cookie.isEmpty())
        request.setRawHeader("Cookie", m_config.cookie);
    m_socket->open(request);
}

void LoadClient::start()
{
    if (m_state != State::Ready)
        return;
    m_state = State::Running;
    sendNext();
}

void LoadClient::sendNext()
{
    const QString& text = m_actionTexts[m_sent % m_actionTexts.size()];
    ++m_sent;
    m_sentAt = Clock::now();
    m_socket->sendTextMessage(text);
}

void LoadClient::onText(const QString& text)
{
    const auto receivedAt = Clock::now();
    switch (m_state) {
    case State::AwaitBootstrap:
        if (!text.contains(u"\"viewdefs\""_s) && !text.contains(u"\"varId\":1"_s))
            return fail(u"unexpected bootstrap frame: "_s + text.left(200));
        m_state = State::AwaitSetup;
        m_socket->sendTextMessage(QString::fromUtf8(m_config.setupFrame));
        return;
    case State::AwaitSetup:
        if (text.contains(u"\"error\""_s))
            return fail(u"the page's creates failed: "_s + text.left(400));
        m_state = State::Ready;
        if (onReady)
            onReady();
        return;
    case State::Running:
        break;
    default:
        ++m_unexpected; // nothing is outstanding
        return;
    }

    if (!m_expect.isEmpty() && (!text.contains(m_expect) || text.contains(u"\"error\""_s)))
        ++m_unexpected;
    const qint64 latency = nsBetween(m_sentAt, receivedAt);
    if (m_config.measured > 0) {
        const std::size_t done = m_sent;
        if (done > static_cast<std::size_t>(m_config.warmup))
            m_latencies.push_back(latency);
        if (done >= static_cast<std::size_t>(m_config.warmup + m_config.measured))
            return finish();
    } else {
        if (m_control.recording.load(std::memory_order_relaxed))
            m_latencies.push_back(latency);
        if (m_control.stop.load(std::memory_order_relaxed))
            return finish();
    }
    sendNext();
}

void LoadClient::fail(const QString& why)
{
    if (m_state == State::Done)
        return;
    m_error = why;
    m_control.failed.fetch_add(1);
    finish();
}

void LoadClient::finish()
{
    m_state = State::Done;
    if (onFinished)
        onFinished();
}

// ---- ClientThread ------------------------------------------------------------------------------

ClientThread::ClientThread(std::vector<LoadClientConfig> configs, LoadControl& control)
    : m_configs(std::move(configs)), m_control(control)
{
    m_thread.reset(QThread::create([this] { run(); }));
    m_thread->setObjectName(u"bench-client"_s);
    m_thread->start();
}

ClientThread::~ClientThread()
{
    join();
}

void ClientThread::run()
{
    QEventLoop loop;
    std::vector<std::unique_ptr<LoadClient>> clients;
    m_clients = &clients;
    std::size_t done = 0;
    for (const LoadClientConfig& config : m_configs) {
        auto client = std::make_unique<LoadClient>(config, m_control);
        client->onReady = [this] { m_control.ready.fetch_add(1); };
        client->onFinished = [&] {
            m_control.finished.fetch_add(1);
            if (++done == clients.size())
                loop.quit();
        };
        clients.push_back(std::move(client));
    }
    QTimer abortCheck;
    abortCheck.setInterval(50);
    QObject::connect(&abortCheck, &QTimer::timeout, &loop, [&] {
        if (m_control.abort.load())
            loop.quit();
    });
    abortCheck.start();
    m_context.store(&loop);
    for (auto& client : clients)
        client->open();
    if (!clients.empty())
        loop.exec();
    m_context.store(nullptr);
    for (const auto& client : clients) {
        m_latencies.insert(
            m_latencies.end(), client->latencies().begin(), client->latencies().end());
        m_unexpected += client->unexpected();
        if (!client->error().isEmpty())
            m_errors.append(client->error());
    }
    clients.clear();
    m_clients = nullptr;
    // Stay alive until join(): the coordinator reads this thread's CPU time from /proc first.
    while (!m_release.load())
        sleepMs(1);
}

void ClientThread::begin()
{
    // m_context (the thread's event loop) lives until run() leaves it, which needs every client
    // finished or an abort; the lambda runs on the client thread, where m_clients belongs.
    if (QObject* context = m_context.load()) {
        QMetaObject::invokeMethod(
            context,
            [this] {
                for (auto& client : *m_clients)
                    client->start();
            },
            Qt::QueuedConnection);
    }
}

void ClientThread::join()
{
    m_release.store(true);
    if (m_thread && m_thread->isRunning())
        m_thread->wait();
}

// ---- EchoServer --------------------------------------------------------------------------------

EchoServer::EchoServer(QByteArray reply) : m_reply(std::move(reply))
{
    m_thread.reset(QThread::create([this] {
        QEventLoop loop;
        QWebSocketServer server(u"echo"_s, QWebSocketServer::NonSecureMode);
        const QString reply = QString::fromUtf8(m_reply);
        QObject::connect(&server, &QWebSocketServer::newConnection, &server, [&] {
            while (QWebSocket* socket = server.nextPendingConnection()) {
                socket->setParent(&server);
                QObject::connect(socket, &QWebSocket::textMessageReceived, socket,
                    [socket, &reply](const QString&) { socket->sendTextMessage(reply); });
            }
        });
        if (!server.listen(QHostAddress::LocalHost, 0))
            return;
        m_context.store(&loop);
        m_port.store(server.serverPort());
        loop.exec();
        m_context.store(nullptr);
    }));
    m_thread->setObjectName(u"bench-echo"_s);
    m_thread->start();
    waitUntil([this] { return m_port.load() != 0 || m_thread->isFinished(); }, 10000);
}

EchoServer::~EchoServer()
{
    if (QObject* context = m_context.load()) {
        auto* loop = static_cast<QEventLoop*>(context);
        QMetaObject::invokeMethod(
            loop, [loop] { loop->quit(); }, Qt::QueuedConnection);
    }
    m_thread->wait();
}

} // namespace lunette::bench
