#include "VariablesModel.h"

#include <algorithm>
#include <tuple>

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>

#include "PostToGui.h"
#include "RowDiff.h"
#include "session/SessionManager.h"

using namespace Qt::StringLiterals;

namespace {

// JSON text of any value (QJsonDocument only holds objects and arrays).
QString jsonText(const QJsonValue& value, QJsonDocument::JsonFormat format)
{
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(format)).trimmed();
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(format)).trimmed();
    const QByteArray wrapped = QJsonDocument(QJsonArray { value }).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(wrapped.mid(1, wrapped.size() - 2));
}

QString shortened(const QString& text, int max)
{
    if (text.size() <= max)
        return text;
    return text.left(max - 1) + u'…';
}

} // namespace

VariablesModel::VariablesModel(QObject* parent) : QAbstractListModel(parent)
{
    m_timer.setInterval(kDefaultInterval);
    connect(&m_timer, &QTimer::timeout, this, &VariablesModel::request);
}

VariablesModel::~VariablesModel() = default;

// ---- attaching and polling ---------------------------------------------------------------------

void VariablesModel::setSessions(lunette::SessionManager* sessions)
{
    if (sessions == m_sessions)
        return;
    m_sessions = sessions;
    m_pendingGeneration = 0; // a reply from the old manager is ignored (generation)
    restart();
}

void VariablesModel::setSessionId(const QString& id)
{
    if (id == m_sessionId)
        return;
    m_sessionId = id;
    restart();
    emit sessionIdChanged();
}

void VariablesModel::restart()
{
    ++m_generation;
    m_nodes.clear();
    m_index.clear();
    m_children.clear();
    m_roots.clear();
    m_collapsed.clear();
    m_version = 0;
    m_missing = false;
    showRows({});
    setSelectedKey({});
    updatePolling();
    refresh();
}

void VariablesModel::updatePolling()
{
    if (m_sessions && !m_sessionId.isEmpty())
        m_timer.start();
    else
        m_timer.stop();
}

void VariablesModel::setInterval(int ms)
{
    ms = std::max(ms, 1);
    if (ms == m_timer.interval())
        return;
    m_timer.setInterval(ms);
    emit intervalChanged();
}

void VariablesModel::refresh()
{
    if (m_pendingGeneration)
        m_refreshQueued = true;
    else
        request();
}

void VariablesModel::request()
{
    if (!m_sessions || m_sessionId.isEmpty() || m_pendingGeneration)
        return; // one request at a time: the timer asks again
    m_refreshQueued = false;
    const quint64 generation = m_generation;
    m_pendingGeneration = generation;
    QPointer<VariablesModel> self(this);
    // Runs on the executor: only copies travel to the GUI thread, where self is checked.
    m_sessions->variablesIfChanged(m_sessionId, m_version,
        [self, generation](
            const lunette::SessionService::VariablesSnapshot& snapshot, bool changed) {
            postToGui([self, generation, changed, found = snapshot.found,
                          version = snapshot.version, json = snapshot.json] {
                if (self)
                    self->applySnapshot(generation, found, changed, version, json);
            });
        });
}

void VariablesModel::applySnapshot(
    quint64 generation, bool found, bool changed, quint64 version, const QByteArray& json)
{
    if (generation == m_pendingGeneration)
        m_pendingGeneration = 0;
    if (generation != m_generation || !m_sessions) {
        if (m_refreshQueued)
            request();
        return; // asked for another session or manager
    }
    if (!found) {
        // The session is not (or no longer) there: show nothing, say so once.
        if (!m_missing) {
            m_missing = true;
            m_nodes.clear();
            m_index.clear();
            m_children.clear();
            m_roots.clear();
            m_version = 0;
            showRows({});
            setSelectedKey({});
            emit refreshed();
        }
    } else if (changed) {
        m_missing = false;
        parse(json);
        m_version = version;
        showRows(visibleRows());
        if (m_selected.id && !m_index.count(m_selected))
            setSelectedKey({});
        emit refreshed();
    }
    if (m_refreshQueued)
        request();
}

// ---- the snapshot ------------------------------------------------------------------------------

void VariablesModel::parse(const QByteArray& json)
{
    const QJsonArray array = QJsonDocument::fromJson(json).array();
    std::vector<Node> nodes;
    nodes.reserve(static_cast<std::size_t>(array.size()));
    std::unordered_map<Key, std::size_t, KeyHash> index;
    std::unordered_map<Key, std::vector<Key>, KeyHash> children;
    std::vector<Key> roots;

    // The engine lists parents before their children (breadth-first).
    for (const QJsonValue& item : array) {
        const QJsonObject o = item.toObject();
        Node n;
        n.key = { static_cast<quint64>(o.value(u"connection"_s).toInteger()),
            o.value(u"id"_s).toInteger() };
        if (index.count(n.key))
            continue; // not expected; a duplicate would break the row keys
        if (const qint64 parentId = o.value(u"parentId"_s).toInteger()) {
            // As the engine resolves it: the connection's own variable, else the session's.
            Key parent { n.key.connection, parentId };
            if (!index.count(parent))
                parent = { 0, parentId };
            if (index.count(parent))
                n.parent = parent;
        }
        n.path = o.value(u"path"_s).toString();
        n.type = o.value(u"type"_s).toString();
        const QJsonValue value = o.value(u"value"_s);
        n.compactValue = jsonText(value, QJsonDocument::Compact);
        n.value = shortened(n.compactValue, kMaxValueLength);
        n.fullValue = jsonText(value, QJsonDocument::Indented);
        const QJsonObject properties = o.value(u"properties"_s).toObject();
        QStringList lines;
        for (auto it = properties.begin(); it != properties.end(); ++it) {
            const QString& name = it.key();
            if (name != u"path"_s && name != u"type"_s && name != u"access"_s
                && name != u"elementId"_s)
                lines.append(name + u'=' + it.value().toString());
        }
        n.properties = lines.join(u'\n');
        n.access = o.value(u"access"_s).toString(u"rw"_s);
        n.watchers = o.value(u"watchers"_s).toInt();
        n.error = o.value(u"error"_s).toString();
        n.changeCount = o.value(u"changeCount"_s).toInteger();
        n.computeTime = o.value(u"computeTime"_s).toString();
        n.elementId = o.value(u"elementId"_s).toString();
        if (const auto old = m_index.find(n.key); old != m_index.end())
            n.recentlyChanged = n.changeCount > m_nodes[old->second].changeCount;

        if (n.parent.id) {
            Node& parent = nodes[index.at(n.parent)];
            n.depth = parent.depth + 1;
            parent.hasChildren = true;
            children[n.parent].push_back(n.key);
        } else {
            roots.push_back(n.key);
        }
        index.emplace(n.key, nodes.size());
        nodes.push_back(std::move(n));
    }

    m_nodes = std::move(nodes);
    m_index = std::move(index);
    m_children = std::move(children);
    m_roots = std::move(roots);
    // Forget the collapsed state of variables that are gone (ids come back on a reload).
    std::erase_if(m_collapsed, [this](const Key& k) { return !m_index.count(k); });
}

bool VariablesModel::matches(const Node& node) const
{
    if (m_filter.isEmpty())
        return true;
    return QString::number(node.key.id).contains(m_filter, Qt::CaseInsensitive)
        || node.path.contains(m_filter, Qt::CaseInsensitive)
        || node.type.contains(m_filter, Qt::CaseInsensitive)
        || node.compactValue.contains(m_filter, Qt::CaseInsensitive);
}

std::vector<VariablesModel::Node> VariablesModel::visibleRows() const
{
    std::vector<Node> rows;
    if (m_flat) {
        for (const Node& n : m_nodes) {
            if (!matches(n))
                continue;
            rows.push_back(n);
            rows.back().depth = 0;
            rows.back().hasChildren = false;
        }
        // By id: 1, 2, 3… then Lua's children -1, -2… (creation order); connections apart.
        std::sort(rows.begin(), rows.end(), [](const Node& a, const Node& b) {
            const auto rank = [](const Node& n) {
                return std::tuple(
                    n.key.id < 0, n.key.id < 0 ? -n.key.id : n.key.id, n.key.connection);
            };
            return rank(a) < rank(b);
        });
        return rows;
    }

    // Tree: a node shows when it matches or one of its descendants does. Children come after
    // their parent in m_nodes, so one backward pass carries matches up to every ancestor.
    std::vector<char> shown(m_nodes.size(), 0);
    for (std::size_t i = m_nodes.size(); i-- > 0;) {
        if (!shown[i] && matches(m_nodes[i]))
            shown[i] = 1;
        if (shown[i] && m_nodes[i].parent.id)
            shown[m_index.at(m_nodes[i].parent)] = 1;
    }
    // Depth-first, children in the engine's order, nothing under a collapsed node.
    std::vector<Key> stack(m_roots.rbegin(), m_roots.rend());
    while (!stack.empty()) {
        const Key key = stack.back();
        stack.pop_back();
        const std::size_t i = m_index.at(key);
        if (!shown[i])
            continue;
        rows.push_back(m_nodes[i]);
        if (m_collapsed.count(key))
            continue;
        if (const auto c = m_children.find(key); c != m_children.end())
            stack.insert(stack.end(), c->second.rbegin(), c->second.rend());
    }
    return rows;
}

void VariablesModel::showRows(std::vector<Node> rows)
{
    const int before = count();
    const RowSignals notify {
        [this](int first, int last) { beginRemoveRows({}, first, last); },
        [this] { endRemoveRows(); },
        [this](int first, int last) { beginInsertRows({}, first, last); },
        [this] { endInsertRows(); },
        [this] { beginResetModel(); },
        [this] { endResetModel(); },
        [this](int row) { emit dataChanged(index(row), index(row)); },
    };
    updateRows(
        m_rows, std::move(rows), [](const Node& n) { return n.key; }, notify);
    if (count() != before)
        emit countChanged();
}

int VariablesModel::rowOf(const Key& key) const
{
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].key == key)
            return static_cast<int>(i);
    }
    return -1;
}

// ---- view state --------------------------------------------------------------------------------

void VariablesModel::setFilterText(const QString& text)
{
    if (text == m_filter)
        return;
    m_filter = text;
    showRows(visibleRows());
    emit filterTextChanged();
}

void VariablesModel::setFlat(bool flat)
{
    if (flat == m_flat)
        return;
    m_flat = flat;
    showRows(visibleRows());
    emit flatChanged();
}

void VariablesModel::toggleExpanded(int row)
{
    if (m_flat || row < 0 || row >= count() || !m_rows[static_cast<std::size_t>(row)].hasChildren)
        return;
    const Key key = m_rows[static_cast<std::size_t>(row)].key;
    if (!m_collapsed.erase(key))
        m_collapsed.insert(key);
    emit dataChanged(index(row), index(row), { ExpandedRole });
    showRows(visibleRows());
}

void VariablesModel::select(int row)
{
    if (row < 0 || row >= count()) {
        setSelectedKey({});
        return;
    }
    const Node& node = m_rows[static_cast<std::size_t>(row)];
    const QString elementId = node.elementId;
    setSelectedKey(node.key);
    if (!elementId.isEmpty())
        emit highlightRequested(elementId);
}

void VariablesModel::setSelectedId(qint64 id)
{
    if (id == m_selected.id)
        return;
    // Ids of different connections may collide: the session's own variable first.
    Key key { 0, id };
    if (id && !m_index.count(key)) {
        for (const Node& n : m_nodes) {
            if (n.key.id == id) {
                key = n.key;
                break;
            }
        }
    }
    setSelectedKey(key);
}

void VariablesModel::setSelectedKey(const Key& key)
{
    if (key == m_selected)
        return;
    const Key previous = std::exchange(m_selected, key);
    for (const Key& k : { previous, key }) {
        if (const int row = rowOf(k); row >= 0)
            emit dataChanged(index(row), index(row), { SelectedRole });
    }
    emit selectedIdChanged();
}

// ---- QAbstractItemModel ------------------------------------------------------------------------

int VariablesModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : count();
}

QVariant VariablesModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Node& n = m_rows[static_cast<std::size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return n.path.isEmpty() ? QString::number(n.key.id) : n.path;
    case VarIdRole:
        return n.key.id;
    case ParentIdRole:
        return n.parent.id;
    case DepthRole:
        return n.depth;
    case HasChildrenRole:
        return n.hasChildren;
    case ExpandedRole:
        return n.hasChildren && !m_collapsed.count(n.key);
    case PathRole:
        return n.path;
    case TypeRole:
        return n.type;
    case ValueRole:
        return n.value;
    case FullValueRole:
        return n.fullValue;
    case PropertiesRole:
        return n.properties;
    case AccessRole:
        return n.access;
    case WatchersRole:
        return n.watchers;
    case ErrorRole:
        return n.error;
    case ChangeCountRole:
        return n.changeCount;
    case ComputeTimeRole:
        return n.computeTime;
    case ElementIdRole:
        return n.elementId;
    case SelectedRole:
        return m_selected.id != 0 && n.key == m_selected;
    case RecentlyChangedRole:
        return n.recentlyChanged;
    default:
        return {};
    }
}

QHash<int, QByteArray> VariablesModel::roleNames() const
{
    return { { VarIdRole, "varId" }, { ParentIdRole, "parentId" }, { DepthRole, "depth" },
        { HasChildrenRole, "hasChildren" }, { ExpandedRole, "expanded" }, { PathRole, "path" },
        { TypeRole, "type" }, { ValueRole, "value" }, { FullValueRole, "fullValue" },
        { PropertiesRole, "properties" }, { AccessRole, "access" }, { WatchersRole, "watchers" },
        { ErrorRole, "error" }, { ChangeCountRole, "changeCount" },
        { ComputeTimeRole, "computeTime" }, { ElementIdRole, "elementId" },
        { SelectedRole, "selected" }, { RecentlyChangedRole, "recentlyChanged" } };
}
