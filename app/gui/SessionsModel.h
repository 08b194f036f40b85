#pragma once

// The Sessions dock's data (GUI.md "Sessions"): one row per live session of the site, in creation
// order, polled from SessionManager::sessionInfos every 500 ms while attached. The request runs on
// the executor and its reply is posted back to this model's thread; at most one is in flight, so
// a runaway Lua turn only delays the list (the GUI never waits on the executor). Rows are updated
// in place (inserts, removes, dataChanged), never reset by a poll.
//
// The selection drives the other docks: when nothing is selected or the selected session has
// ended, the newest session is selected ("" when there is none).

#include <chrono>
#include <vector>

#include <QAbstractListModel>
#include <QString>
#include <QTimer>

namespace lunette {
class SessionManager;
}

class SessionsModel final : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(QString selectedSessionId READ selectedSessionId WRITE setSelectedSessionId NOTIFY
            selectedSessionIdChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum Role
    {
        SessionIdRole = Qt::UserRole + 1, // "sessionId": the full id
        ShortIdRole, // "shortId": its first 8 characters
        ConnectionsRole, // "connections": int
        AgeRole, // "age": "42s", "3m 05s", "1h 02m", "2d 03h"
        VariableCountRole, // "variableCount": int
        LastActivityRole, // "lastActivity": "just now", "12s ago", "3m ago", "2h ago"
        SelectedRole, // "selected": bool
    };
    Q_ENUM(Role)

    static constexpr std::chrono::milliseconds kPollInterval { 500 };

    explicit SessionsModel(QObject* parent = nullptr);
    ~SessionsModel() override;

    // Attach to a site's sessions (polling starts) or detach with nullptr (the model empties,
    // polling stops, a reply still on its way is ignored). Detach before the manager is destroyed.
    void setSessions(lunette::SessionManager* sessions);
    lunette::SessionManager* sessions() const { return m_sessions; }

    QString selectedSessionId() const { return m_selected; }
    void setSelectedSessionId(const QString& id);
    int count() const { return static_cast<int>(m_rows.size()); }

    // Ask for a snapshot now (after the one in flight, if any).
    Q_INVOKABLE void refresh();
    Q_INVOKABLE void select(const QString& id) { setSelectedSessionId(id); }
    // End the session now (SessionManager::destroySession); the row goes with the next snapshot.
    Q_INVOKABLE void closeSession(const QString& id);
    // The window restarts the session (fresh Lua state, page reloads): emits restartRequested.
    Q_INVOKABLE void restartSession(const QString& id);
    // The window opens the session in the external browser: emits openInBrowserRequested.
    Q_INVOKABLE void openInBrowser(const QString& id);

    // Age and idle-time texts as the roles show them.
    static QString ageText(std::chrono::steady_clock::duration age);
    static QString lastActivityText(std::chrono::steady_clock::duration idle);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

signals:
    void selectedSessionIdChanged();
    void countChanged();
    // After each snapshot has been applied to the rows.
    void refreshed();
    void restartRequested(const QString& sessionId);
    void openInBrowserRequested(const QString& sessionId);

private:
    struct Row
    {
        QString id;
        int connections = 0;
        QString age;
        int variableCount = 0;
        QString lastActivity;
        bool operator==(const Row&) const = default;
    };

    void request();
    void apply(quint64 generation, quint64 selectionStamp, std::vector<Row> rows);
    void applyRows(std::vector<Row> rows);
    void updatePolling();
    int rowOf(const QString& id) const;
    void emitSelectedChanged(const QString& previous);

    lunette::SessionManager* m_sessions = nullptr;
    QTimer m_timer;
    std::vector<Row> m_rows;
    QString m_selected;
    // Replies of an older attachment are ignored; one request at a time.
    quint64 m_generation = 0;
    quint64 m_pendingGeneration = 0; // 0: nothing in flight
    bool m_refreshQueued = false;
    // Bumped by each selection change: a reply requested before it does not judge it "gone".
    quint64 m_selectionStamp = 0;
};
