#include "ConsoleModel.h"

#include <QCoreApplication>
#include <QPointer>
#include <QSettings>

#include "PostToGui.h"
#include "session/Console.h"
#include "session/SessionManager.h"

using namespace Qt::StringLiterals;

namespace {

QString commonPrefix(const QStringList& texts)
{
    if (texts.isEmpty())
        return {};
    QString prefix = texts.first();
    for (const QString& t : texts) {
        qsizetype n = 0;
        while (n < prefix.size() && n < t.size() && prefix.at(n) == t.at(n))
            ++n;
        prefix.truncate(n);
    }
    return prefix;
}

} // namespace

ConsoleModel::ConsoleModel(QObject* parent, const QString& settingsFile)
    : QAbstractListModel(parent), m_settingsFile(settingsFile)
{
    m_history = settings()->value(kHistoryKey.toString()).toStringList();
    m_historyPos = m_history.size();
}

ConsoleModel::~ConsoleModel() = default;

std::unique_ptr<QSettings> ConsoleModel::settings() const
{
    if (m_settingsFile.isEmpty())
        return std::make_unique<QSettings>(u"Lunette"_s, u"Lunette"_s);
    return std::make_unique<QSettings>(m_settingsFile, QSettings::IniFormat);
}

// ---- attaching ---------------------------------------------------------------------------------

void ConsoleModel::setSessions(lunette::SessionManager* sessions)
{
    if (sessions == m_sessions)
        return;
    m_sessions = sessions;
    m_inFlight = false; // the old manager's reply is ignored (generation), it does not block us
    forgetSession();
}

void ConsoleModel::setSessionId(const QString& id)
{
    if (id == m_sessionId)
        return;
    m_sessionId = id;
    forgetSession();
    emit sessionIdChanged();
}

void ConsoleModel::forgetSession()
{
    // What was typed for the previous session does not run in the next one.
    ++m_generation;
    m_queue.clear();
    setBuffer({});
    updateBusy();
    runNext();
}

// ---- submissions -------------------------------------------------------------------------------

QString ConsoleModel::prompt() const
{
    return continuing() ? u">> "_s : u"> "_s;
}

void ConsoleModel::submit(const QString& line)
{
    m_historyPos = m_history.size();
    m_draft.clear();
    m_queue.push_back({ false, line });
    updateBusy();
    runNext();
}

void ConsoleModel::complete(const QString& text)
{
    // Only the latest text matters: a completion still waiting is replaced.
    for (Job& job : m_queue) {
        if (job.completion) {
            job.text = text;
            return;
        }
    }
    m_queue.push_back({ true, text });
    runNext();
}

void ConsoleModel::runNext()
{
    while (!m_inFlight && !m_queue.empty()) {
        const Job job = m_queue.front();
        m_queue.pop_front();
        const bool attached = m_sessions && !m_sessionId.isEmpty();
        if (job.completion) {
            if (attached) {
                startCompletion(job.text);
            } else {
                // Still asynchronous, as with a session.
                QMetaObject::invokeMethod(
                    this, [this, text = job.text] { emit completed(text, {}, text); },
                    Qt::QueuedConnection);
            }
            continue;
        }
        append(u"input"_s, prompt() + job.text);
        if (!attached) {
            append(u"error"_s, u"No session: open the site first"_s);
            addHistory(job.text);
            setBuffer({});
            continue;
        }
        if (!continuing() && job.text.trimmed().isEmpty())
            continue; // an empty line only shows the prompt again (lua.c)
        startEvaluation(continuing() ? m_buffer + u'\n' + job.text : job.text);
    }
    updateBusy();
}

void ConsoleModel::startEvaluation(const QString& statement)
{
    m_inFlight = true;
    m_inFlightSubmission = true;
    m_inFlightGeneration = m_generation;
    const quint64 generation = m_generation;
    QPointer<ConsoleModel> self(this);
    // A session turn on the executor; only copies come back.
    m_sessions->withSession(m_sessionId, [self, generation, statement](lunette::Session* session) {
        if (!session) {
            postToGui([self, generation, statement] {
                if (self)
                    self->finishEvaluation(generation, statement, true, {});
            });
            return;
        }
        // Called once, or twice when the input waits (Waiting first, then its end).
        lunette::evaluateInConsole(
            *session, statement, [self, generation, statement](const lunette::ConsoleReply& reply) {
                postToGui([self, generation, statement, reply] {
                    if (self)
                        self->finishEvaluation(generation, statement, false, reply);
                });
            });
    });
}

void ConsoleModel::finishEvaluation(
    quint64 generation, const QString& statement, bool gone, const lunette::ConsoleReply& reply)
{
    using Status = lunette::ConsoleReply::Status;
    if (!gone && reply.status == Status::Waiting) {
        // The input waits (time.sleep, http…): show its output so far, stay busy for its end.
        if (generation == m_generation) {
            for (const QString& line : reply.output)
                append(u"output"_s, line);
        }
        return;
    }
    if (generation == m_inFlightGeneration)
        m_inFlight = false;
    if (generation != m_generation) {
        runNext();
        return; // typed for another session
    }
    if (gone) {
        append(u"error"_s, u"The session has ended"_s);
        addHistory(statement);
        setBuffer({});
    } else if (reply.status == Status::Incomplete) {
        setBuffer(statement);
    } else {
        for (const QString& line : reply.output)
            append(u"output"_s, line);
        if (reply.status == Status::Error)
            append(u"error"_s, reply.error, reply.traceback);
        else if (!reply.results.isEmpty())
            append(u"result"_s, reply.results);
        addHistory(statement);
        setBuffer({});
    }
    runNext();
}

void ConsoleModel::startCompletion(const QString& text)
{
    m_inFlight = true;
    m_inFlightSubmission = false;
    m_inFlightGeneration = m_generation;
    const quint64 generation = m_generation;
    QPointer<ConsoleModel> self(this);
    m_sessions->withSession(m_sessionId, [self, generation, text](lunette::Session* session) {
        const QStringList candidates
            = session ? lunette::completeInConsole(*session, text) : QStringList();
        postToGui([self, generation, text, candidates] {
            if (self)
                self->finishCompletion(generation, text, candidates);
        });
    });
}

void ConsoleModel::finishCompletion(
    quint64 generation, const QString& text, const QStringList& candidates)
{
    if (generation == m_inFlightGeneration)
        m_inFlight = false;
    if (generation == m_generation) {
        const QString prefix = commonPrefix(candidates);
        const bool longer = prefix.size() > text.size() && prefix.startsWith(text);
        emit completed(text, candidates, longer ? prefix : text);
    }
    runNext();
}

void ConsoleModel::cancelContinuation()
{
    setBuffer({});
}

void ConsoleModel::setBuffer(const QString& buffer)
{
    const bool was = continuing();
    m_buffer = buffer;
    if (was != continuing())
        emit continuingChanged();
}

void ConsoleModel::updateBusy()
{
    const bool now = busy();
    if (now != m_wasBusy) {
        m_wasBusy = now;
        emit busyChanged();
    }
}

bool ConsoleModel::busy() const
{
    if (m_inFlight && m_inFlightSubmission)
        return true;
    return std::any_of(m_queue.begin(), m_queue.end(), [](const Job& j) { return !j.completion; });
}

// ---- transcript --------------------------------------------------------------------------------

void ConsoleModel::append(const QString& kind, const QString& text, const QString& traceback)
{
    const int row = count();
    beginInsertRows({}, row, row);
    m_entries.append({ kind, text, traceback });
    endInsertRows();
    emit countChanged();
}

void ConsoleModel::clear()
{
    if (m_entries.isEmpty())
        return;
    beginResetModel();
    m_entries.clear();
    endResetModel();
    emit countChanged();
}

// ---- history -----------------------------------------------------------------------------------

void ConsoleModel::addHistory(const QString& statement)
{
    if (statement.trimmed().isEmpty())
        return;
    // Merged with what another console may have saved meanwhile.
    const auto s = settings();
    const QString key = kHistoryKey.toString();
    QStringList history = s->value(key).toStringList();
    if (history.isEmpty() || history.last() != statement)
        history.append(statement);
    if (history.size() > kHistoryLimit)
        history.remove(0, history.size() - kHistoryLimit);
    s->setValue(key, history);
    m_history = history;
    m_historyPos = m_history.size();
    m_draft.clear();
}

QString ConsoleModel::historyUp(const QString& current)
{
    if (m_history.isEmpty())
        return current;
    if (m_historyPos >= m_history.size()) {
        m_draft = current;
        m_historyPos = m_history.size();
    }
    if (m_historyPos > 0)
        --m_historyPos;
    return m_history.at(m_historyPos);
}

QString ConsoleModel::historyDown(const QString& current)
{
    if (m_historyPos >= m_history.size())
        return current;
    ++m_historyPos;
    if (m_historyPos == m_history.size())
        return m_draft;
    return m_history.at(m_historyPos);
}

// ---- QAbstractItemModel ------------------------------------------------------------------------

int ConsoleModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : count();
}

QVariant ConsoleModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Entry& e = m_entries.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case TextRole:
        return e.text;
    case KindRole:
        return e.kind;
    case TracebackRole:
        return e.traceback;
    default:
        return {};
    }
}

QHash<int, QByteArray> ConsoleModel::roleNames() const
{
    return { { KindRole, "kind" }, { TextRole, "text" }, { TracebackRole, "traceback" } };
}
