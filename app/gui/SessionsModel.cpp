#include "SessionsModel.h"

#include <QCoreApplication>
#include <QPointer>

#include "PostToGui.h"
#include "RowDiff.h"
#include "session/SessionManager.h"

using namespace Qt::StringLiterals;

SessionsModel::SessionsModel(QObject* parent) : QAbstractListModel(parent)
{
    m_timer.setInterval(kPollInterval);
    connect(&m_timer, &QTimer::timeout, this, &SessionsModel::request);
}

SessionsModel::~SessionsModel() = default;

void SessionsModel::setSessions(lunette::SessionManager* sessions)
{
    if (sessions == m_sessions)
        return;
    m_sessions = sessions;
    ++m_generation;
    m_pendingGeneration = 0; // whatever is in flight belongs to the old manager: ignored
    m_refreshQueued = false;
    applyRows({});
    const QString previous = m_selected;
    m_selected.clear();
    emitSelectedChanged(previous);
    updatePolling();
    request();
}

void SessionsModel::updatePolling()
{
    if (m_sessions)
        m_timer.start();
    else
        m_timer.stop();
}

void SessionsModel::setSelectedSessionId(const QString& id)
{
    if (id == m_selected)
        return;
    const QString previous = std::exchange(m_selected, id);
    ++m_selectionStamp;
    emitSelectedChanged(previous);
    if (!id.isEmpty() && rowOf(id) < 0)
        refresh(); // not listed yet (just created?): look again
}

void SessionsModel::emitSelectedChanged(const QString& previous)
{
    if (previous == m_selected)
        return;
    for (const QString& id : { previous, m_selected }) {
        if (const int row = rowOf(id); row >= 0)
            emit dataChanged(index(row), index(row), { SelectedRole });
    }
    emit selectedSessionIdChanged();
}

int SessionsModel::rowOf(const QString& id) const
{
    if (id.isEmpty())
        return -1;
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].id == id)
            return static_cast<int>(i);
    }
    return -1;
}

void SessionsModel::refresh()
{
    if (m_pendingGeneration)
        m_refreshQueued = true;
    else
        request();
}

void SessionsModel::request()
{
    if (!m_sessions || m_pendingGeneration)
        return; // one request at a time; the timer asks again
    m_refreshQueued = false;
    const quint64 generation = m_generation;
    const quint64 selectionStamp = m_selectionStamp;
    m_pendingGeneration = generation;
    QPointer<SessionsModel> self(this);
    // Runs on the executor: only copies travel to the GUI thread, where self is checked.
    m_sessions->sessionInfos([self, generation, selectionStamp](
                                 std::vector<lunette::SessionManager::SessionInfo> infos) {
        postToGui([self, generation, selectionStamp, infos = std::move(infos)] {
            if (!self)
                return;
            const auto now = std::chrono::steady_clock::now();
            std::vector<Row> rows;
            rows.reserve(infos.size());
            for (const auto& info : infos) {
                rows.push_back({ info.id, info.connections, ageText(now - info.created),
                    info.variableCount, lastActivityText(now - info.lastActivity) });
            }
            self->apply(generation, selectionStamp, std::move(rows));
        });
    });
}

void SessionsModel::apply(quint64 generation, quint64 selectionStamp, std::vector<Row> rows)
{
    if (generation == m_pendingGeneration)
        m_pendingGeneration = 0;
    if (generation != m_generation || !m_sessions) {
        return; // a reply for a manager we no longer show
    }
    applyRows(std::move(rows));

    // The selection: the newest session when nothing is selected or the selected one is gone. A
    // reply asked for before the selection changed cannot tell whether it is gone.
    const bool listed = rowOf(m_selected) >= 0;
    const bool judge = selectionStamp == m_selectionStamp;
    if (m_selected.isEmpty() || (!listed && judge)) {
        const QString previous = m_selected;
        m_selected = m_rows.empty() ? QString() : m_rows.back().id;
        if (m_selected != previous)
            ++m_selectionStamp;
        emitSelectedChanged(previous);
    }
    emit refreshed();
    if (m_refreshQueued)
        request();
}

// Rows keep their creation order, so a new snapshot only removes and inserts rows in place.
void SessionsModel::applyRows(std::vector<Row> rows)
{
    const int before = count();
    const RowSignals notify {
        [this](int first, int last) { beginRemoveRows({}, first, last); },
        [this] { endRemoveRows(); },
        [this](int first, int last) { beginInsertRows({}, first, last); },
        [this] { endInsertRows(); },
        [this] { beginResetModel(); },
        [this] { endResetModel(); },
        [this](int row) {
            emit dataChanged(index(row), index(row),
                { ConnectionsRole, AgeRole, VariableCountRole, LastActivityRole });
        },
    };
    updateRows(
        m_rows, std::move(rows), [](const Row& r) { return r.id; }, notify);
    if (count() != before)
        emit countChanged();
}

void SessionsModel::closeSession(const QString& id)
{
    if (!m_sessions || id.isEmpty())
        return;
    m_sessions->destroySession(id);
    refresh();
}

void SessionsModel::restartSession(const QString& id)
{
    emit restartRequested(id);
}

void SessionsModel::openInBrowser(const QString& id)
{
    emit openInBrowserRequested(id);
}

QString SessionsModel::ageText(std::chrono::steady_clock::duration age)
{
    using namespace std::chrono;
    const qint64 s = std::max<qint64>(0, duration_cast<seconds>(age).count());
    const auto two = [](qint64 n) { return u"%1"_s.arg(n, 2, 10, QLatin1Char('0')); };
    if (s < 60)
        return u"%1s"_s.arg(s);
    if (s < 3600)
        return u"%1m %2s"_s.arg(s / 60).arg(two(s % 60));
    if (s < 86400)
        return u"%1h %2m"_s.arg(s / 3600).arg(two(s % 3600 / 60));
    return u"%1d %2h"_s.arg(s / 86400).arg(two(s % 86400 / 3600));
}

QString SessionsModel::lastActivityText(std::chrono::steady_clock::duration idle)
{
    using namespace std::chrono;
    const qint64 s = std::max<qint64>(0, duration_cast<seconds>(idle).count());
    if (s < 2)
        return u"just now"_s;
    if (s < 60)
        return u"%1s ago"_s.arg(s);
    if (s < 3600)
        return u"%1m ago"_s.arg(s / 60);
    if (s < 86400)
        return u"%1h ago"_s.arg(s / 3600);
    return u"%1d ago"_s.arg(s / 86400);
}

int SessionsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : count();
}

QVariant SessionsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& r = m_rows[static_cast<std::size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
    case SessionIdRole:
        return r.id;
    case ShortIdRole:
        return r.id.left(8);
    case ConnectionsRole:
        return r.connections;
    case AgeRole:
        return r.age;
    case VariableCountRole:
        return r.variableCount;
    case LastActivityRole:
        return r.lastActivity;
    case SelectedRole:
        return !m_selected.isEmpty() && r.id == m_selected;
    default:
        return {};
    }
}

QHash<int, QByteArray> SessionsModel::roleNames() const
{
    return { { SessionIdRole, "sessionId" }, { ShortIdRole, "shortId" },
        { ConnectionsRole, "connections" }, { AgeRole, "age" },
        { VariableCountRole, "variableCount" }, { LastActivityRole, "lastActivity" },
        { SelectedRole, "selected" } };
}
