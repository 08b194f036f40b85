#pragma once

// Closed-loop WebSocket clients for P1 and P7, each group on its own client thread.
//
// A LoadClient connects to a session's /ws/<sid> with the Origin and token cookie a page sends,
// does the bootstrap exchange (watch 1 → bootstrap frame; the page's creates → their frame),
// then, once started, sends one user-event action at a time and waits for the frame that
// answers it: the time from just before sendTextMessage to the textMessageReceived of the
// answer is one latency sample. In echo mode (the raw Qt baseline) there is no bootstrap.

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QWebSocket>

class QThread;

#include "BenchSupport.h"

namespace lunette::bench {

// Shared between the coordinating thread and the client threads.
struct LoadControl
{
    std::atomic<bool> recording { false }; // time-based runs: record what completes now
    std::atomic<bool> stop { false }; // time-based runs: finish after the current action
    std::atomic<bool> abort { false }; // give up (timeouts)
    std::atomic<int> ready { 0 };
    std::atomic<int> finished { 0 }; // finished or failed
    std::atomic<int> failed { 0 };
};

struct LoadClientConfig
{
    QUrl url; // ws://127.0.0.1:PORT/ws/<sid>
    QByteArray origin; // Origin header (empty: none)
    QByteArray cookie; // Cookie header (empty: none)
    bool protocol = true; // false: echo baseline, no bootstrap
    QByteArray setupFrame; // sent after the bootstrap frame (the page's creates)
    std::vector<QByteArray> actions; // frames sent in turn, one per iteration
    QByteArray expect; // every answer must contain this (e.g. "\"update\"")
    int warmup = 0; // count-based runs: actions not recorded
    int measured = 0; // count-based runs: recorded actions, then finish; 0 = time-based
};

class LoadClient final
{
public:
    LoadClient(LoadClientConfig config, LoadControl& control);
    ~LoadClient();

    void open();
    void start();

    std::function<void()> onReady;
    std::function<void()> onFinished; // also called on failure

    const std::vector<qint64>& latencies() const { return m_latencies; }
    quint64 unexpected() const { return m_unexpected; }
    QString error() const { return m_error; }

private:
    enum class State
    {
        Connecting,
        AwaitBootstrap,
        AwaitSetup,
        Ready,
        Running,
        Done
    };
    void onText(const QString& text);
    void sendNext();
    void fail(const QString& why);
    void finish();

    LoadClientConfig m_config;
    LoadControl& m_control;
    std::unique_ptr<QWebSocket> m_socket;
    std::vector<QString> m_actionTexts;
    State m_state = State::Connecting;
    std::size_t m_sent = 0;
    Clock::time_point m_sentAt;
    std::vector<qint64> m_latencies;
    quint64 m_unexpected = 0;
    QString m_error;
    QString m_expect;
};

// A thread running a group of LoadClients in its own event loop.
class ClientThread final
{
public:
    ClientThread(std::vector<LoadClientConfig> configs, LoadControl& control);
    ~ClientThread();

    void begin(); // start every client's closed loop (call once all are ready)
    void join();

    // After join(): every recorded latency, unexpected answers, errors.
    const std::vector<qint64>& latencies() const { return m_latencies; }
    quint64 unexpected() const { return m_unexpected; }
    const QStringList& errors() const { return m_errors; }

private:
    void run();

    std::vector<LoadClientConfig> m_configs;
    LoadControl& m_control;
    std::atomic<QObject*> m_context { nullptr }; // the client thread's event loop
    std::atomic<bool> m_release { false };
    std::vector<std::unique_ptr<LoadClient>>* m_clients = nullptr; // client thread only
    std::unique_ptr<QThread> m_thread;
    std::vector<qint64> m_latencies;
    quint64 m_unexpected = 0;
    QStringList m_errors;
};

// A raw Qt WebSocket echo server on its own thread (the P1 baseline): answers every text frame
// with `reply`.
class EchoServer final
{
public:
    explicit EchoServer(QByteArray reply);
    ~EchoServer();
    quint16 port() const { return m_port.load(); }

private:
    QByteArray m_reply;
    std::atomic<quint16> m_port { 0 };
    std::atomic<QObject*> m_context { nullptr };
    std::unique_ptr<QThread> m_thread;
};

// Wait (polling) until pred() or the timeout; false on timeout.
bool waitUntil(const std::function<bool()>& pred, int timeoutMs);

} // namespace lunette::bench
