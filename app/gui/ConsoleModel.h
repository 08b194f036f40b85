#pragma once

// The Console dock's data (GUI.md "Console"): the transcript of a Lua REPL in the selected
// session, with lua.c semantics (engine/session/Console.h). Each submitted line is appended to a
// buffer that runs as a session turn on the executor; an incomplete statement keeps the buffer
// and switches the prompt to ">> ". Submissions made while one runs are queued in order. Replies
// are posted back to this model's thread: the GUI never waits on the executor.
//
// History (Up/Down, shell-like) is persisted in QSettings under "Console/history": newest last,
// at most 500 entries, no consecutive duplicates, a multi-line statement as one entry.

#include <deque>
#include <memory>

#include <QAbstractListModel>
#include <QString>
#include <QStringList>

class QSettings;

namespace lunette {
class SessionManager;
struct ConsoleReply;
} // namespace lunette

class ConsoleModel final : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(QString sessionId READ sessionId WRITE setSessionId NOTIFY sessionIdChanged)
    Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
    Q_PROPERTY(bool continuing READ continuing NOTIFY continuingChanged)
    Q_PROPERTY(QString prompt READ prompt NOTIFY continuingChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum Role
    {
        KindRole = Qt::UserRole + 1, // "kind": "input" | "result" | "output" | "error"
        TextRole, // "text"
        TracebackRole, // "traceback": "stack traceback:\n…" for runtime errors, else ""
    };
    Q_ENUM(Role)

    static constexpr int kHistoryLimit = 500;
    static constexpr QStringView kHistoryKey = u"Console/history";

    // settingsFile: an INI file for the history (tests); empty = the app's QSettings
    // ("Lunette", "Lunette").
    explicit ConsoleModel(QObject* parent = nullptr, const QString& settingsFile = {});
    ~ConsoleModel() override;

    // Attach or detach (nullptr: queued submissions are dropped, a reply on its way is ignored).
    // Detach before the manager is destroyed.
    void setSessions(lunette::SessionManager* sessions);
    lunette::SessionManager* sessions() const { return m_sessions; }

    QString sessionId() const { return m_sessionId; }
    void setSessionId(const QString& id);
    bool busy() const;
    bool continuing() const { return !m_buffer.isEmpty(); }
    QString prompt() const;
    int count() const { return static_cast<int>(m_entries.size()); }

    Q_INVOKABLE void submit(const QString& line);
    // Forget the incomplete statement (the prompt goes back to "> ").
    Q_INVOKABLE void cancelContinuation();
    Q_INVOKABLE void clear();
    // The previous / next history entry. Down past the newest gives back what was being typed
    // when Up was first pressed.
    Q_INVOKABLE QString historyUp(const QString& current);
    Q_INVOKABLE QString historyDown(const QString& current);
    QStringList history() const { return m_history; }
    // Asynchronously: completed(text, candidates, completedText), where completedText is text
    // extended by the candidates' common prefix.
    Q_INVOKABLE void complete(const QString& text);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

signals:
    void sessionIdChanged();
    void busyChanged();
    void continuingChanged();
    void countChanged();
    void completed(
        const QString& text, const QStringList& candidates, const QString& completedText);

private:
    struct Entry
    {
        QString kind;
        QString text;
        QString traceback;
    };
    struct Job
    {
        bool completion = false;
        QString text; // the line, or the text to complete
    };

    void append(const QString& kind, const QString& text, const QString& traceback = {});
    void forgetSession();
    void runNext();
    void startEvaluation(const QString& statement);
    void finishEvaluation(quint64 generation, const QString& statement, bool gone,
        const lunette::ConsoleReply& reply);
    void startCompletion(const QString& text);
    void finishCompletion(quint64 generation, const QString& text, const QStringList& candidates);
    void setBuffer(const QString& buffer);
    void updateBusy();
    void addHistory(const QString& statement);
    std::unique_ptr<QSettings> settings() const;

    lunette::SessionManager* m_sessions = nullptr;
    QString m_sessionId;
    QString m_settingsFile;
    QList<Entry> m_entries;
    QString m_buffer; // the incomplete statement so far
    std::deque<Job> m_queue; // waiting for the job in flight
    // One job at a time on the executor. Replies of an older session or manager are ignored; a
    // job for an older session of the same manager still holds the next one back.
    bool m_inFlight = false;
    bool m_inFlightSubmission = false;
    quint64 m_inFlightGeneration = 0;
    quint64 m_generation = 0;
    bool m_wasBusy = false;

    QStringList m_history;
    qsizetype m_historyPos = 0; // == size(): past the newest
    QString m_draft; // what was typed before Up
};
