#include "SoakClient.h"

#include <cstdio>

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QThread>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

using namespace Qt::StringLiterals;

namespace lunette::soak {

namespace {

qint64 nsBetween(Clock::time_point a, Clock::time_point b)
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

QByteArray createMessage(qint64 id, qint64 parent, const QByteArray& path, const QByteArray& access)
{
    QByteArray message = R"({"type":"create","data":{"id":)" + QByteArray::number(id)
        + R"(,"parentId":)" + QByteArray::number(parent) + R"(,"properties":{"path":")" + path
        + '"';
    if (!access.isEmpty())
        message += R"(,"access":")" + access + '"';
    message += "}}}";
    return message;
}

QByteArray frameOf(const QByteArray& messages, bool userEvent)
{
    return QByteArray(userEvent ? R"({"userEvent":true,"messages":[)"
                                : R"({"userEvent":false,"messages":[)")
        + messages + "]}";
}

// An action click: update of an action variable with null, flushed at once.
QByteArray clickFrame(qint64 varId)
{
    return frameOf(
        R"({"type":"update","data":{"varId":)" + QByteArray::number(varId) + R"(,"value":null}})",
        true);
}

QString compact(const QJsonValue& value)
{
    const QJsonDocument doc
        = value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
    return QString::fromUtf8(doc.toJson(QJsonDocument::Compact)).left(300);
}

QString shown(const QJsonValue& value)
{
    if (value.isString())
        return u"\""_s + value.toString().left(80) + u"\""_s;
    if (value.isDouble())
        return QString::number(value.toDouble());
    if (value.isUndefined())
        return u"(none)"_s;
    return compact(QJsonArray { value }).mid(1).chopped(1);
}

} // namespace

// ---- SoakShared --------------------------------------------------------------------------------

void SoakShared::recordAction(int kind, qint64 latencyNs)
{
    std::lock_guard lock(m_mutex);
    m_interval.latencies.push_back(latencyNs);
    ++m_interval.actions;
    ++m_totals.actions;
    if (recordAll.load(std::memory_order_relaxed)) {
        m_all.push_back(latencyNs);
        m_byKind[static_cast<std::size_t>(kind)].push_back(latencyNs);
    }
}

void SoakShared::recordError(int client, const QString& what)
{
    addError(u"client %1: "_s.arg(client) + what);
}

void SoakShared::addError(const QString& what)
{
    const double at = std::chrono::duration<double>(Clock::now() - m_start).count();
    std::lock_guard lock(m_mutex);
    ++m_interval.errors;
    ++m_totals.errors;
    if (m_errorTexts.size() < kMaxErrorTexts) {
        m_errorTexts.append(u"%1 s: "_s.arg(at, 0, 'f', 1) + what);
        std::fprintf(stderr, "lunette-soak: error: %s\n", qPrintable(m_errorTexts.constLast()));
    }
}

void SoakShared::recordRemovedItemFailure()
{
    std::lock_guard lock(m_mutex);
    ++m_totals.removedItemFailures;
}

void SoakShared::recordReconnect()
{
    std::lock_guard lock(m_mutex);
    ++m_interval.reconnects;
    ++m_totals.reconnects;
}

void SoakShared::recordCreated()
{
    std::lock_guard lock(m_mutex);
    ++m_interval.created;
    ++m_totals.created;
}

void SoakShared::recordAbandoned(const QString& sessionId)
{
    std::lock_guard lock(m_mutex);
    ++m_totals.abandoned;
    m_abandoned.push_back(sessionId);
}

void SoakShared::recordParked(const ParkedSession& parked)
{
    std::lock_guard lock(m_mutex);
    ++m_totals.parked;
    m_parked.push_back(parked);
}

void SoakShared::recordClosed()
{
    std::lock_guard lock(m_mutex);
    ++m_totals.closed;
}

SoakShared::Interval SoakShared::takeInterval()
{
    std::lock_guard lock(m_mutex);
    Interval out = std::move(m_interval);
    m_interval = {};
    return out;
}

SoakShared::Totals SoakShared::totals() const
{
    std::lock_guard lock(m_mutex);
    return m_totals;
}

std::vector<QString> SoakShared::takeAbandoned()
{
    std::lock_guard lock(m_mutex);
    return std::exchange(m_abandoned, {});
}

std::vector<ParkedSession> SoakShared::parked() const
{
    std::lock_guard lock(m_mutex);
    return m_parked;
}

QStringList SoakShared::errorTexts() const
{
    std::lock_guard lock(m_mutex);
    return m_errorTexts;
}

std::vector<qint64> SoakShared::takeAllLatencies()
{
    std::lock_guard lock(m_mutex);
    return std::exchange(m_all, {});
}

std::vector<std::vector<qint64>> SoakShared::takeLatenciesByKind()
{
    std::lock_guard lock(m_mutex);
    return std::exchange(m_byKind, std::vector<std::vector<qint64>>(kActionKinds));
}

// ---- SoakClient --------------------------------------------------------------------------------

SoakClient::SoakClient(
    int index, const ClientOptions& options, SoakShared& shared, QNetworkAccessManager& http)
    : m_index(index)
    , m_options(options)
    , m_shared(shared)
    , m_http(http)
    , m_rng(options.seed * 0x9E3779B97F4A7C15ULL + static_cast<quint64>(index))
    , m_deadline(std::make_unique<QTimer>())
    , m_think(std::make_unique<QTimer>())
{
    m_deadline->setSingleShot(true);
    m_deadline->setInterval(m_options.answerTimeoutMs);
    QObject::connect(m_deadline.get(), &QTimer::timeout, m_deadline.get(), [this] {
        if (m_state == State::Closing) {
            m_shared.recordError(m_index, describe() + u"the close was not confirmed in time"_s);
            if (m_socket) {
                QObject::disconnect(m_socket.get(), nullptr, nullptr, nullptr);
                m_socket->abort();
            }
            onDisconnected();
            return;
        }
        fail(u"timed out (%1 ms)"_s.arg(m_options.answerTimeoutMs));
    });
    m_think->setSingleShot(true);
    QObject::connect(m_think.get(), &QTimer::timeout, m_think.get(), [this] {
        if (m_state == State::Thinking)
            nextAction();
    });
}

SoakClient::~SoakClient()
{
    if (m_reply)
        m_reply->abort();
    if (m_socket) {
        QObject::disconnect(m_socket.get(), nullptr, nullptr, nullptr);
        m_socket->abort();
    }
}

void SoakClient::begin()
{
    createSession();
}

void SoakClient::closeForGood()
{
    if (m_state == State::Closed || (m_state == State::Closing && m_afterClose == AfterClose::Done))
        return;
    startClose(AfterClose::Done);
}

QString SoakClient::describe() const
{
    static const char* const names[] = { "idle", "creating", "connecting", "bootstrap", "setup",
        "syncing", "ready", "thinking", "action", "closing", "parked", "closed" };
    QString out = u"session "_s + (m_sessionId.isEmpty() ? u"-"_s : m_sessionId.left(8)) + u", "_s
        + QLatin1StringView(names[static_cast<int>(m_state)]);
    if (m_state == State::Action || (m_state == State::Syncing && m_inAction))
        out += u" "_s + QLatin1StringView(SoakShared::kActionNames[static_cast<int>(m_action)]);
    return out + u": "_s;
}

Clock::time_point SoakClient::drawTime(double meanSeconds)
{
    if (meanSeconds <= 0)
        return Clock::time_point::max();
    std::exponential_distribution<double> interval(1.0 / meanSeconds);
    return Clock::now()
        + std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(interval(m_rng)));
}

void SoakClient::arm()
{
    m_deadline->start();
}

void SoakClient::disarm()
{
    m_deadline->stop();
}

// ---- session and connection --------------------------------------------------------------------

void SoakClient::createSession()
{
    m_state = State::Creating;
    m_sessionId.clear();
    m_model = {};
    arm();
    QNetworkRequest request(QUrl(u"http://127.0.0.1:%1/"_s.arg(m_options.port)));
    request.setAttribute(
        QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    request.setRawHeader("Cookie", "lunette-token=" + m_options.token);
    request.setRawHeader("Connection", "close");
    QNetworkReply* reply = m_http.get(request);
    m_reply = reply;
    QObject::connect(reply, &QNetworkReply::finished, reply, [this, reply] {
        reply->deleteLater();
        if (m_reply != reply || m_state != State::Creating)
            return; // given up on (timeout)
        m_reply = nullptr;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray location = reply->rawHeader("Location");
        if (status != 307 || location.size() != 33 || !location.startsWith('/')) {
            fail(u"GET / answered %1 %2 (%3)"_s.arg(status).arg(
                QString::fromUtf8(location), reply->errorString()));
            return;
        }
        m_sessionId = QString::fromLatin1(location.mid(1));
        m_shared.recordCreated();
        m_churnAt = drawTime(m_options.churnSeconds);
        m_reconnected = false;
        openSocket();
    });
}

void SoakClient::resetPage()
{
    m_nextId = 2;
    m_liveVariables = 0;
    m_count = m_increment = m_add = m_noteCount = m_text = m_echo = m_ticks = m_list = m_items = 0;
    m_itemVars.clear();
    m_values.clear();
    m_awaitValue.clear();
    m_awaitDestroy.clear();
    m_sawVar1 = false;
    m_inAction = false;
}

void SoakClient::openSocket()
{
    if (m_socket) {
        // Possibly inside one of its own signals: delete it later.
        QObject::disconnect(m_socket.get(), nullptr, nullptr, nullptr);
        m_socket.release()->deleteLater();
    }
    resetPage();
    m_socket = std::make_unique<QWebSocket>();
    QWebSocket* socket = m_socket.get();
    QObject::connect(socket, &QWebSocket::textMessageReceived, socket,
        [this](const QString& text) { onText(text); });
    QObject::connect(socket, &QWebSocket::connected, socket, [this] {
        if (m_state != State::Connecting)
            return;
        m_state = State::Bootstrap;
        arm();
        sendFrame(frameOf(R"({"type":"watch","data":{"varId":1}})", false));
    });
    QObject::connect(socket, &QWebSocket::disconnected, socket, [this] { onDisconnected(); });
    m_state = State::Connecting;
    m_reconnectAt = drawTime(m_options.reconnectSeconds);
    arm();
    const QString origin = u"http://127.0.0.1:%1"_s.arg(m_options.port);
    QNetworkRequest request(QUrl(u"ws://127.0.0.1:%1/ws/"_s.arg(m_options.port) + m_sessionId));
    request.setRawHeader("Origin", origin.toUtf8());
    request.setRawHeader("Cookie", "lunette-token=" + m_options.token);
    socket->open(request);
}

void SoakClient::sendFrame(const QByteArray& frame)
{
    m_socket->sendTextMessage(QString::fromUtf8(frame));
}

void SoakClient::startClose(AfterClose then)
{
    m_think->stop();
    m_afterClose = then;
    m_state = State::Closing;
    if (m_reply) {
        QPointer<QNetworkReply> reply = m_reply;
        m_reply = nullptr;
        reply->abort();
    }
    if (!m_socket || m_socket->state() == QAbstractSocket::UnconnectedState) {
        onDisconnected();
        return;
    }
    arm();
    m_socket->close();
}

void SoakClient::onDisconnected()
{
    if (m_state != State::Closing) {
        if (m_state == State::Closed)
            return;
        QString reason;
        if (m_socket && m_state == State::Connecting)
            reason = u"before the handshake completed: "_s + m_socket->errorString();
        else if (m_socket)
            reason = u"code %1 \"%2\""_s.arg(m_socket->closeCode()).arg(m_socket->closeReason());
        fail(u"unexpected close of the WebSocket "_s + reason);
        return;
    }
    disarm();
    if (m_socket) {
        QObject::disconnect(m_socket.get(), nullptr, nullptr, nullptr);
        m_socket.release()->deleteLater();
    }
    switch (m_afterClose) {
    case AfterClose::Reopen:
        m_reconnected = true;
        openSocket();
        return;
    case AfterClose::NewSession:
    case AfterClose::Recover:
        if (!m_sessionId.isEmpty())
            m_shared.recordAbandoned(m_sessionId);
        if (m_afterClose == AfterClose::Recover)
            retryLater();
        else
            createSession();
        return;
    case AfterClose::Done:
        m_state = State::Closed;
        m_shared.recordClosed();
        return;
    }
}

void SoakClient::retryLater()
{
    // A second's pause, as a page's reconnect has: an error must not turn into a flood of new
    // sessions.
    m_state = State::Idle;
    m_sessionId.clear();
    QTimer::singleShot(1000, m_deadline.get(), [this] {
        if (m_state != State::Idle)
            return;
        if (m_shared.stop.load()) {
            m_state = State::Parked; // no session to check or close
            m_shared.recordParked({});
            return;
        }
        createSession();
    });
}

void SoakClient::fail(const QString& why)
{
    m_shared.recordError(m_index, describe() + why);
    disarm();
    m_inAction = false;
    // Recover as a user would: leave this session (the server reaps it) and, after a pause,
    // start a new one.
    startClose(AfterClose::Recover);
}

// ---- frames ------------------------------------------------------------------------------------

void SoakClient::onText(const QString& text)
{
    const auto receivedAt = Clock::now();
    if (m_state == State::Closing || m_state == State::Closed)
        return;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &error);
    if (doc.isNull()) {
        fail(u"invalid JSON from the server: "_s + error.errorString());
        return;
    }
    if (doc.isArray()) {
        const QJsonArray messages = doc.array();
        for (const QJsonValue& message : messages) {
            if (!handleMessage(message))
                return;
        }
    } else if (!handleMessage(doc.object())) {
        return;
    }
    afterFrame(receivedAt);
}

bool SoakClient::handleMessage(const QJsonValue& message)
{
    const QJsonObject object = message.toObject();
    const QString type = object.value(u"type"_s).toString();
    const QJsonObject data = object.value(u"data"_s).toObject();
    const qint64 varId = data.value(u"varId"_s).toInteger();
    if (type == u"update"_s) {
        if (!data.contains(u"value"_s))
            return true; // properties only (viewdefs, type, fallbackNamespace)
        const QJsonValue value = data.value(u"value"_s);
        m_values[varId] = value;
        m_awaitValue.erase(varId);
        m_updated.insert(varId);
        if (varId == 1)
            m_sawVar1 = true;
        if (varId == m_ticks && m_ticks != 0) {
            const qint64 ticks = value.toInteger(-1);
            if (ticks < m_model.ticks) {
                fail(u"the timer's ticks went back from %1 to %2"_s.arg(m_model.ticks).arg(ticks));
                return false;
            }
            m_model.ticks = ticks;
        }
        return true;
    }
    if (type == u"destroy"_s) {
        m_awaitDestroy.erase(varId);
        m_values.erase(varId);
        return true;
    }
    if (type == u"error"_s && data.value(u"code"_s).toString() == u"path-failure"_s
        && m_state == State::Action && m_action == ActionKind::Remove
        && isRemovedItemVariable(varId)) {
        // The turn that shrinks the list also re-evaluates the views of the last item, which
        // the page destroys only when it sees the shorter list: their paths no longer resolve.
        // A page shows this on the (vanishing) element; it is part of the protocol.
        m_shared.recordRemovedItemFailure();
        return true;
    }
    fail(u"unexpected message: "_s + compact(object));
    return false;
}

bool SoakClient::isRemovedItemVariable(qint64 varId) const
{
    for (std::size_t i = m_model.notes.size(); i < m_itemVars.size(); ++i) {
        const Item& item = m_itemVars[i];
        if (varId == item.index || varId == item.presenter || varId == item.label
            || varId == item.remove)
            return true;
    }
    return false;
}

void SoakClient::afterFrame(Clock::time_point receivedAt)
{
    switch (m_state) {
    case State::Bootstrap:
        if (m_sawVar1) {
            if (m_values[1].toObject().value(u"obj"_s).toInteger() <= 0) {
                fail(u"variable 1 is not an object: "_s + shown(m_values[1]));
                return;
            }
            sendSetup();
        }
        return;
    case State::Setup:
        if (m_awaitValue.empty() && verifySetup())
            syncItems();
        return;
    case State::Syncing:
        if (m_awaitValue.empty() && m_awaitDestroy.empty() && verifyNotes()) {
            if (m_inAction)
                finishAction();
            else
                ready();
        }
        return;
    case State::Action:
        break;
    default:
        return; // timer ticks between actions
    }

    if (!m_answered) {
        if (!m_updated.count(m_answerVar))
            return; // a tick of the timer, not the answer
        m_answered = true;
        m_latency = nsBetween(m_sentAt, receivedAt);
        const QJsonValue got = m_values[m_answerVar];
        switch (m_action) {
        case ActionKind::Increment:
            if (got.toInteger(-1) != m_model.count)
                return fail(u"count is %1, expected %2"_s.arg(shown(got)).arg(m_model.count));
            return finishAction();
        case ActionKind::Edit:
            if (got.toString() != m_model.text.toUpper())
                return fail(
                    u"echo() is %1, expected \"%2\""_s.arg(shown(got), m_model.text.toUpper()));
            return finishAction();
        case ActionKind::Add:
        case ActionKind::Remove:
            if (got.toInteger(-1) != static_cast<qint64>(m_model.notes.size()))
                return fail(
                    u"noteCount() is %1, expected %2"_s.arg(shown(got)).arg(m_model.notes.size()));
            break;
        }
    }
    // add() / remove(): the items array comes with the same turn; then the page follows it.
    if (m_values[m_items].toArray().size() == static_cast<qsizetype>(m_model.notes.size()))
        syncItems();
}

// ---- the page ----------------------------------------------------------------------------------

qint64 SoakClient::create(qint64 parent, const QByteArray& path, const QByteArray& access,
    QByteArray& frame, bool readable)
{
    const qint64 id = m_nextId++;
    if (!frame.isEmpty())
        frame += ',';
    frame += createMessage(id, parent, path, access);
    ++m_liveVariables;
    if (readable)
        m_awaitValue.insert(id);
    return id;
}

void SoakClient::sendSetup()
{
    // What SoakApp.DEFAULT binds, in document order, as one batch like a page sends it.
    QByteArray messages;
    m_count = create(1, "count", "r", messages, true);
    m_ticks = create(1, "ticks", "r", messages, true);
    m_increment = create(1, "increment()", "action", messages, false);
    m_add = create(1, "add()", "action", messages, false);
    m_noteCount = create(1, "noteCount()", "r", messages, true);
    m_text = create(1, "text", {}, messages, true);
    m_echo = create(1, "echo()", "r", messages, true);
    m_list
        = create(1, "list()?wrapper=lua.ViewList&itemWrapper=NotePresenter", "r", messages, true);
    m_items = create(m_list, "items", "r", messages, true);
    messages
        += R"(,{"type":"update","data":{"varId":1,"properties":{"viewdef":"SoakApp.DEFAULT"}}})";
    m_state = State::Setup;
    arm();
    sendFrame(frameOf(messages, false));
}

bool SoakClient::verifySetup()
{
    const auto check = [this](qint64 var, const QJsonValue& expected, const char* name) {
        if (m_values[var] == expected)
            return true;
        fail(u"%1 %2 is %3, expected %4"_s.arg(
            m_reconnected ? u"after a reconnect,"_s : u"new session:"_s, QLatin1StringView(name),
            shown(m_values[var]), shown(expected)));
        return false;
    };
    if (!check(m_count, m_model.count, "count")
        || !check(m_noteCount, static_cast<qint64>(m_model.notes.size()), "noteCount()")
        || !check(m_text, m_model.text, "text") || !check(m_echo, m_model.text.toUpper(), "echo()"))
        return false;
    if (m_values[m_items].toArray().size() != static_cast<qsizetype>(m_model.notes.size())) {
        fail(u"items has %1 elements, expected %2"_s.arg(m_values[m_items].toArray().size())
                 .arg(m_model.notes.size()));
        return false;
    }
    if (m_values[m_list].toObject().value(u"obj"_s).toInteger() <= 0) {
        fail(u"list() is not an object: "_s + shown(m_values[m_list]));
        return false;
    }
    return true;
}

void SoakClient::syncItems()
{
    const qsizetype wanted = m_values[m_items].toArray().size();
    const auto have = static_cast<qsizetype>(m_itemVars.size());
    if (wanted > have) {
        QByteArray messages;
        for (qsizetype i = have; i < wanted; ++i) {
            Item item;
            item.index = create(m_items, QByteArray::number(i), "r", messages, true);
            item.presenter = create(item.index, "item?namespace=list-item", "r", messages, true);
            item.label = create(item.presenter, "label()", "r", messages, true);
            item.remove = create(item.presenter, "remove()", "action", messages, false);
            m_itemVars.push_back(item);
        }
        m_state = State::Syncing;
        arm();
        sendFrame(frameOf(messages, false));
        return;
    }
    if (wanted < have) {
        // As the page's ViewList does: destroy the views of the items past the end; the engine
        // destroys each variable's descendants with it.
        QByteArray messages;
        while (static_cast<qsizetype>(m_itemVars.size()) > wanted) {
            const Item item = m_itemVars.back();
            m_itemVars.pop_back();
            if (!messages.isEmpty())
                messages += ',';
            messages
                += R"({"type":"destroy","data":{"varId":)" + QByteArray::number(item.index) + "}}";
            m_awaitDestroy.insert(item.index);
            for (const qint64 id : { item.index, item.presenter, item.label, item.remove }) {
                m_values.erase(id);
                m_awaitValue.erase(id);
            }
            m_liveVariables -= 4;
        }
        m_state = State::Syncing;
        arm();
        sendFrame(frameOf(messages, false));
        return;
    }
    m_state = State::Syncing;
    afterFrame(Clock::now()); // nothing to wait for
}

bool SoakClient::verifyNotes()
{
    for (std::size_t i = 0; i < m_itemVars.size(); ++i) {
        const QJsonValue label = m_values[m_itemVars[i].label];
        if (i >= m_model.notes.size() || label.toString() != m_model.notes[i]) {
            fail(u"note %1 shows %2, expected \"%3\""_s.arg(i).arg(
                shown(label), i < m_model.notes.size() ? m_model.notes[i] : u"(none)"_s));
            return false;
        }
    }
    return true;
}

// ---- the action loop ---------------------------------------------------------------------------

void SoakClient::ready()
{
    disarm();
    if (m_reconnected) {
        m_reconnected = false;
        m_shared.recordReconnect();
    }
    m_state = State::Ready;
    if (m_shared.stop.load()) {
        m_state = State::Parked;
        m_shared.recordParked({ m_sessionId, m_liveVariables + 1 });
        return;
    }
    if (due(m_churnAt)) {
        startClose(AfterClose::NewSession);
        return;
    }
    if (due(m_reconnectAt)) {
        startClose(AfterClose::Reopen);
        return;
    }
    if (m_options.thinkMs > 0) {
        std::uniform_int_distribution<int> pause(0, 2 * m_options.thinkMs);
        m_state = State::Thinking;
        m_think->start(pause(m_rng));
        return;
    }
    nextAction();
}

void SoakClient::nextAction()
{
    std::uniform_int_distribution<int> percent(0, 99);
    const int roll = percent(m_rng);
    ActionKind kind = roll < 40 ? ActionKind::Increment
        : roll < 60             ? ActionKind::Add
        : roll < 80             ? ActionKind::Remove
                                : ActionKind::Edit;
    if (kind == ActionKind::Add && static_cast<int>(m_model.notes.size()) >= m_options.maxNotes)
        kind = ActionKind::Remove;
    if (kind == ActionKind::Remove && m_model.notes.empty())
        kind = ActionKind::Add;

    QByteArray frame;
    switch (kind) {
    case ActionKind::Increment:
        ++m_model.count;
        m_answerVar = m_count;
        frame = clickFrame(m_increment);
        break;
    case ActionKind::Add:
        ++m_model.added;
        m_model.notes.push_back(u"note %1"_s.arg(m_model.added));
        m_answerVar = m_noteCount;
        frame = clickFrame(m_add);
        break;
    case ActionKind::Remove: {
        std::uniform_int_distribution<std::size_t> pick(0, m_model.notes.size() - 1);
        const std::size_t index = pick(m_rng);
        m_model.notes.erase(m_model.notes.begin() + static_cast<std::ptrdiff_t>(index));
        m_answerVar = m_noteCount;
        frame = clickFrame(m_itemVars[index].remove);
        break;
    }
    case ActionKind::Edit: {
        // Text of varying length (the engine keeps and compares strings of every size).
        std::uniform_int_distribution<int> length(0, 400);
        ++m_edits;
        m_model.text = u"edit %1.%2 "_s.arg(m_index).arg(m_edits) + QString(length(m_rng), u'x');
        m_answerVar = m_echo;
        const QJsonObject update { { u"type"_s, u"update"_s },
            { u"data"_s, QJsonObject { { u"varId"_s, m_text }, { u"value"_s, m_model.text } } } };
        frame = frameOf(QJsonDocument(update).toJson(QJsonDocument::Compact), true);
        break;
    }
    }
    m_action = kind;
    m_inAction = true;
    m_answered = false;
    m_updated.clear();
    m_state = State::Action;
    arm();
    m_sentAt = Clock::now();
    sendFrame(frame);
}

void SoakClient::finishAction()
{
    m_inAction = false;
    m_shared.recordAction(static_cast<int>(m_action), m_latency);
    ready();
}

// ---- SoakThread --------------------------------------------------------------------------------

SoakThread::SoakThread(int firstIndex, int count, const ClientOptions& options, SoakShared& shared)
    : m_firstIndex(firstIndex), m_count(count), m_options(options), m_shared(shared)
{
    m_thread.reset(QThread::create([this] { run(); }));
    m_thread->setObjectName(u"soak-client"_s);
    m_thread->start();
}

SoakThread::~SoakThread()
{
    join();
}

void SoakThread::run()
{
    QEventLoop loop;
    QNetworkAccessManager http;
    std::vector<std::unique_ptr<SoakClient>> clients;
    for (int i = 0; i < m_count; ++i)
        clients.push_back(
            std::make_unique<SoakClient>(m_firstIndex + i, m_options, m_shared, http));
    // Commands from the coordinating thread arrive as flags, looked at every 20 ms.
    QTimer commands;
    commands.setInterval(20);
    bool closing = false;
    QObject::connect(&commands, &QTimer::timeout, &loop, [&] {
        if (m_closeAll.load() && !closing) {
            closing = true;
            for (auto& client : clients)
                client->closeForGood();
        }
        if (m_quit.load())
            loop.quit();
    });
    commands.start();
    for (auto& client : clients)
        client->begin();
    loop.exec();
    clients.clear();
}

void SoakThread::closeAll()
{
    m_closeAll.store(true);
}

void SoakThread::join()
{
    m_quit.store(true);
    if (m_thread && m_thread->isRunning())
        m_thread->wait();
}

} // namespace lunette::soak
