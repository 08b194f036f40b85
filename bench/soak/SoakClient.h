#pragma once

// One simulated page of the soak site (bench/sites/soak) and the threads that run them.
//
// A SoakClient behaves like a browser tab: GET / (307 → session id), WebSocket /ws/<sid> with the
// page's Origin and token cookie, `watch 1`, the creates of SoakApp.DEFAULT, and the creates of
// every ViewList item it is told about (destroying the variables of items that went away). Then
// it runs a closed loop of user-event actions, each answered by one frame: increment(), add(),
// an item's remove(), and an edit of the text field. It keeps a model of its session (counter,
// notes, text, timer ticks) and checks every value the server sends against it, also after a
// reconnect. Now and then it reconnects (same session) or abandons its session for a new one.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <vector>

#include <QByteArray>
#include <QJsonValue>
#include <QPointer>
#include <QString>
#include <QStringList>

class QNetworkAccessManager;
class QNetworkReply;
class QThread;
class QTimer;
class QWebSocket;

namespace lunette::soak {

using Clock = std::chrono::steady_clock;

struct ClientOptions
{
    quint16 port = 0;
    QByteArray token;
    int answerTimeoutMs = 5000; // an answer, a bootstrap step, a close or a GET / slower: error
    double reconnectSeconds = 10; // mean time between reconnects of one client (0: never)
    double churnSeconds = 30; // mean lifetime of a session before it is abandoned (0: never)
    int thinkMs = 0; // pause between actions: uniform in [0, 2 × thinkMs]
    int maxNotes = 8; // add() only below this many notes
    quint64 seed = 1;
};

// A session still alive when the run stopped, with what its page holds.
struct ParkedSession
{
    QString sessionId;
    int variables = 0; // variable 1 + the page's live variables
};

// Everything the clients report, shared with the coordinating thread.
class SoakShared
{
public:
    explicit SoakShared(Clock::time_point start) : m_start(start) { }

    // Client threads.
    // kind: 0 increment(), 1 add(), 2 remove(), 3 edit (kActionNames)
    void recordAction(int kind, qint64 latencyNs);
    void recordError(int client, const QString& what);
    void recordReconnect();
    void recordRemovedItemFailure(); // see SoakClient::handleMessage
    void recordCreated();
    void recordAbandoned(const QString& sessionId);
    void recordParked(const ParkedSession& parked);
    void recordClosed();

    std::atomic<bool> stop { false }; // finish the current action, then park
    std::atomic<bool> recordAll { false }; // keep latencies for the whole-run percentiles

    struct Interval
    {
        std::vector<qint64> latencies;
        quint64 actions = 0;
        quint64 errors = 0;
        quint64 reconnects = 0;
        quint64 created = 0;
    };
    struct Totals
    {
        quint64 actions = 0;
        quint64 errors = 0;
        quint64 reconnects = 0;
        quint64 created = 0;
        quint64 abandoned = 0;
        quint64 removedItemFailures = 0; // path-failure of a removed item's views (expected)
        int parked = 0;
        int closed = 0;
    };
    // Coordinator: what happened since the last call.
    Interval takeInterval();
    Totals totals() const;
    std::vector<QString> takeAbandoned();
    std::vector<ParkedSession> parked() const;
    QStringList errorTexts() const; // the first kMaxErrorTexts
    // After the warm-up (recordAll): every latency, and per kind of action.
    std::vector<qint64> takeAllLatencies();
    std::vector<std::vector<qint64>> takeLatenciesByKind();
    // Coordinator-side checks count as errors too.
    void addError(const QString& what);

    static constexpr int kMaxErrorTexts = 30;
    static constexpr int kActionKinds = 4;
    static constexpr const char* kActionNames[kActionKinds]
        = { "increment()", "add()", "remove()", "edit text" };

private:
    mutable std::mutex m_mutex;
    Clock::time_point m_start;
    Interval m_interval;
    Totals m_totals;
    std::vector<QString> m_abandoned;
    std::vector<ParkedSession> m_parked;
    QStringList m_errorTexts;
    std::vector<qint64> m_all;
    std::vector<std::vector<qint64>> m_byKind = std::vector<std::vector<qint64>>(kActionKinds);
};

class SoakClient final
{
public:
    SoakClient(
        int index, const ClientOptions& options, SoakShared& shared, QNetworkAccessManager& http);
    ~SoakClient();

    SoakClient(const SoakClient&) = delete;
    SoakClient& operator=(const SoakClient&) = delete;

    void begin(); // create a session and start
    void closeForGood(); // after parking: close the socket, then report closed

private:
    enum class State
    {
        Idle, // before begin(), or pausing after an error
        Creating, // GET / sent
        Connecting, // WebSocket opening
        Bootstrap, // watch 1 sent, waiting for variable 1
        Setup, // the page's creates sent, waiting for their values
        Syncing, // item variables created/destroyed, waiting for the answers
        Ready, // between actions
        Thinking,
        Action, // an action sent, waiting for the frame that answers it
        Closing, // socket closing (reconnect, churn, error recovery or the end)
        Parked, // the run stopped; connected and idle
        Closed,
    };
    enum class ActionKind
    {
        Increment,
        Add,
        Remove,
        Edit,
    };
    enum class AfterClose
    {
        Reopen, // reconnect to the same session
        NewSession, // abandon it
        Recover, // abandon it after an error, and make a new one after a pause
        Done, // the end of the run
    };

    // One created variable of the page.
    struct Item
    {
        qint64 index = 0; // path "i" under items
        qint64 presenter = 0; // item
        qint64 label = 0; // label()
        qint64 remove = 0; // remove()
    };

    // The session as this client believes it is.
    struct Model
    {
        qint64 count = 0;
        std::vector<QString> notes;
        qint64 added = 0;
        QString text;
        qint64 ticks = 0;
    };

    void createSession();
    void openSocket();
    void sendFrame(const QByteArray& frame);
    void onText(const QString& text);
    void onDisconnected();
    bool handleMessage(const QJsonValue& message); // false: failed
    bool isRemovedItemVariable(qint64 varId) const;
    void afterFrame(Clock::time_point receivedAt);
    void sendSetup();
    bool verifySetup();
    void syncItems(); // create or destroy item variables to match the items array
    bool verifyNotes();
    void ready();
    void nextAction();
    void finishAction();
    void startClose(AfterClose then);
    void fail(const QString& why);
    void retryLater();
    void arm(); // (re)start the answer deadline
    void disarm();
    bool due(Clock::time_point at) const { return Clock::now() >= at; }
    Clock::time_point drawTime(double meanSeconds);
    qint64 create(qint64 parent, const QByteArray& path, const QByteArray& access,
        QByteArray& frame, bool readable);
    void resetPage();
    QString describe() const;

    int m_index;
    const ClientOptions& m_options;
    SoakShared& m_shared;
    QNetworkAccessManager& m_http;
    std::mt19937_64 m_rng;
    std::unique_ptr<QWebSocket> m_socket;
    QPointer<QNetworkReply> m_reply; // GET / in flight
    std::unique_ptr<QTimer> m_deadline;
    std::unique_ptr<QTimer> m_think;
    State m_state = State::Idle;
    AfterClose m_afterClose = AfterClose::Done;
    QString m_sessionId;
    Model m_model;
    Clock::time_point m_reconnectAt;
    Clock::time_point m_churnAt;
    quint64 m_edits = 0;
    bool m_reconnected = false; // the current connection is a reconnect: verify the model

    // The page of the current connection.
    qint64 m_nextId = 2;
    int m_liveVariables = 0; // created and not destroyed (server-side count is this + 1)
    qint64 m_count = 0, m_increment = 0, m_add = 0, m_noteCount = 0, m_text = 0, m_echo = 0,
           m_ticks = 0, m_list = 0, m_items = 0;
    std::vector<Item> m_itemVars;
    std::map<qint64, QJsonValue> m_values;
    std::set<qint64> m_awaitValue; // readable variables created, first value not seen yet
    std::set<qint64> m_awaitDestroy; // destroyed, the engine's destroy notice not seen yet
    bool m_sawVar1 = false;

    // The outstanding action.
    ActionKind m_action = ActionKind::Increment;
    bool m_inAction = false; // an action or the page's follow-up to it is under way
    qint64 m_answerVar = 0; // the variable whose update answers it
    std::set<qint64> m_updated; // variables updated since it was sent
    bool m_answered = false;
    Clock::time_point m_sentAt;
    qint64 m_latency = 0;
};

// A thread with its own event loop running a group of SoakClients.
class SoakThread final
{
public:
    SoakThread(int firstIndex, int count, const ClientOptions& options, SoakShared& shared);
    ~SoakThread();

    void closeAll(); // every client (parked) closes its socket
    void join();

private:
    void run();

    int m_firstIndex;
    int m_count;
    const ClientOptions& m_options;
    SoakShared& m_shared;
    std::atomic<bool> m_closeAll { false };
    std::atomic<bool> m_quit { false };
    std::unique_ptr<QThread> m_thread;
};

} // namespace lunette::soak
