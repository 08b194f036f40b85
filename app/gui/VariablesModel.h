#pragma once

// The Variables dock's data (GUI.md "Variables"): the selected session's variable tree, flattened
// into a list so QML can show it with a ListView. Tree mode lists variables depth-first with
// children under their parent (each node collapsible, expanded by default); flat mode lists every
// variable by id at depth 0 (ids 1, 2, 3… first, then Lua's negative child ids -1, -2…).
//
// Live but throttled: every `interval` ms (≤ 10 Hz by default) the model asks
// SessionManager::variablesIfChanged, which builds the JSON on the executor only when the tree
// changed. One request at a time, replies posted back to this model's thread: the engine is never
// blocked and a runaway Lua turn only delays the view. When the visible rows are the same ones,
// only rows whose data changed get dataChanged; otherwise rows are removed and inserted in place
// (a reset only when rows moved).
//
// Variables of different connections may share an id (each connection has its own id space), so
// rows are keyed by (connection, id) inside; selectedId names the selected row's varId.

#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <QAbstractListModel>
#include <QString>
#include <QTimer>

namespace lunette {
class SessionManager;
}

class VariablesModel final : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(QString sessionId READ sessionId WRITE setSessionId NOTIFY sessionIdChanged)
    Q_PROPERTY(QString filterText READ filterText WRITE setFilterText NOTIFY filterTextChanged)
    Q_PROPERTY(bool flat READ flat WRITE setFlat NOTIFY flatChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(qint64 selectedId READ selectedId WRITE setSelectedId NOTIFY selectedIdChanged)
    Q_PROPERTY(int interval READ interval WRITE setInterval NOTIFY intervalChanged)

public:
    enum Role
    {
        VarIdRole = Qt::UserRole + 1, // "varId": qint64
        ParentIdRole, // "parentId": qint64, 0 for a root
        DepthRole, // "depth": int (0 in flat mode)
        HasChildrenRole, // "hasChildren": bool (false in flat mode)
        ExpandedRole, // "expanded": bool (nodes start expanded)
        PathRole, // "path"
        TypeRole, // "type"
        ValueRole, // "value": one line of JSON, at most 120 characters (ellipsis)
        FullValueRole, // "fullValue": the value as pretty-printed JSON
        PropertiesRole, // "properties": "name=value" lines (not path/type/access/elementId)
        AccessRole, // "access": "r", "w", "rw" (the default) or "action"
        WatchersRole, // "watchers": int, connections watching it
        ErrorRole, // "error": "" when none
        ChangeCountRole, // "changeCount": qint64
        ComputeTimeRole, // "computeTime": as the engine gives it ("1.20ms"), "" when none
        ElementIdRole, // "elementId": the bound page element, "" when none
        SelectedRole, // "selected": bool
        RecentlyChangedRole, // "recentlyChanged": changeCount grew in the latest snapshot
    };
    Q_ENUM(Role)

    static constexpr int kDefaultInterval = 100; // ms
    static constexpr int kMaxValueLength = 120;

    explicit VariablesModel(QObject* parent = nullptr);
    ~VariablesModel() override;

    // Attach (polling starts once sessionId is set) or detach with nullptr (the model empties,
    // polling stops, a reply still on its way is ignored). Detach before the manager is destroyed.
    void setSessions(lunette::SessionManager* sessions);
    lunette::SessionManager* sessions() const { return m_sessions; }

    QString sessionId() const { return m_sessionId; }
    void setSessionId(const QString& id);
    // Case-insensitive substring of the id, path, type or value; in tree mode a matching row's
    // ancestors stay visible.
    QString filterText() const { return m_filter; }
    void setFilterText(const QString& text);
    bool flat() const { return m_flat; }
    void setFlat(bool flat);
    int count() const { return static_cast<int>(m_rows.size()); }
    qint64 selectedId() const { return m_selected.id; }
    void setSelectedId(qint64 id); // 0: none
    int interval() const { return m_timer.interval(); }
    void setInterval(int ms);

    Q_INVOKABLE void toggleExpanded(int row);
    // Select the row: selectedId becomes its varId; highlightRequested(elementId) when it is
    // bound to a page element.
    Q_INVOKABLE void select(int row);
    // Ask for a snapshot now (after the one in flight, if any).
    Q_INVOKABLE void refresh();

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

signals:
    void sessionIdChanged();
    void filterTextChanged();
    void flatChanged();
    void countChanged();
    void selectedIdChanged();
    void intervalChanged();
    void highlightRequested(const QString& elementId);
    // After each snapshot (a rebuilt tree, or the session found gone) has been applied.
    void refreshed();

private:
    struct Key
    {
        quint64 connection = 0; // 0: session-wide
        qint64 id = 0;
        auto operator<=>(const Key&) const = default;
    };
    struct KeyHash
    {
        std::size_t operator()(const Key& k) const noexcept
        {
            return std::hash<qint64>()(k.id) ^ (std::hash<quint64>()(k.connection) << 1);
        }
    };
    struct Node
    {
        Key key;
        Key parent; // id 0: a root
        int depth = 0; // of the row (0 in flat mode)
        bool hasChildren = false;
        QString path;
        QString type;
        QString value; // short
        QString compactValue; // whole, one line (what the filter searches)
        QString fullValue;
        QString properties;
        QString access;
        int watchers = 0;
        QString error;
        qint64 changeCount = 0;
        QString computeTime;
        QString elementId;
        bool recentlyChanged = false;
        bool operator==(const Node&) const = default;
    };

    void request();
    void applySnapshot(
        quint64 generation, bool found, bool changed, quint64 version, const QByteArray& json);
    void parse(const QByteArray& json);
    std::vector<Node> visibleRows() const;
    void showRows(std::vector<Node> rows);
    bool matches(const Node& node) const;
    void updatePolling();
    void restart(); // a new session or manager: forget everything and ask again
    int rowOf(const Key& key) const;
    void setSelectedKey(const Key& key);

    lunette::SessionManager* m_sessions = nullptr;
    QString m_sessionId;
    QString m_filter;
    bool m_flat = false;
    QTimer m_timer;

    std::vector<Node> m_nodes; // the latest snapshot, in the engine's order (parents first)
    std::unordered_map<Key, std::size_t, KeyHash> m_index; // key -> position in m_nodes
    std::unordered_map<Key, std::vector<Key>, KeyHash> m_children;
    std::vector<Key> m_roots;
    std::unordered_set<Key, KeyHash> m_collapsed;
    std::vector<Node> m_rows; // what the view shows
    Key m_selected;

    quint64 m_version = 0; // of the snapshot applied (0: none yet)
    bool m_missing = false; // the latest reply said the session does not exist
    quint64 m_generation = 0;
    quint64 m_pendingGeneration = 0; // 0: nothing in flight
    bool m_refreshQueued = false;
};
