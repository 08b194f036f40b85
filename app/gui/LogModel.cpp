#include "LogModel.h"

#include <QRegularExpression>

using namespace Qt::StringLiterals;

LogModel::LogModel(QObject* parent, int capacity)
    : QAbstractListModel(parent), m_capacity(std::max(1, capacity))
{
}

void LogModel::post(Level level, const QString& source, const QString& text)
{
    // Queued with copies of the arguments: nothing is shared with the posting thread.
    QMetaObject::invokeMethod(this, "appendQueued", Qt::QueuedConnection,
        Q_ARG(int, static_cast<int>(level)), Q_ARG(QString, source), Q_ARG(QString, text));
}

void LogModel::append(Level level, const QString& source, const QString& text)
{
    if (m_entries.size() >= m_capacity) {
        // Drop the oldest tenth at once, so a chatty script does not shift the list every line.
        const int drop = std::max(1, m_capacity / 10);
        beginRemoveRows({}, 0, drop - 1);
        m_entries.remove(0, drop);
        endRemoveRows();
    }
    Entry entry { QDateTime::currentDateTime(), level, source, text, {}, 0 };
    findLuaPosition(text, &entry.file, &entry.line);
    const int row = static_cast<int>(m_entries.size());
    beginInsertRows({}, row, row);
    m_entries.append(std::move(entry));
    endInsertRows();
}

void LogModel::clear()
{
    beginResetModel();
    m_entries.clear();
    endResetModel();
}

bool LogModel::findLuaPosition(const QString& text, QString* file, int* line)
{
    static const QRegularExpression position(u"(?:^|[\\s\"'(\\[])([\\w./-]+\\.lua):(\\d+):"_s);
    const QRegularExpressionMatch match = position.match(text);
    if (!match.hasMatch())
        return false;
    *file = match.captured(1);
    *line = match.captured(2).toInt();
    return true;
}

int LogModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_entries.size());
}

QVariant LogModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Entry& e = m_entries.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return e.source.isEmpty() ? e.text : u"[%1] %2"_s.arg(e.source, e.text);
    case TimeRole:
        return e.time;
    case LevelRole:
        return static_cast<int>(e.level);
    case SourceRole:
        return e.source;
    case TextRole:
        return e.text;
    case FileRole:
        return e.file;
    case LineRole:
        return e.line;
    default:
        return {};
    }
}

QHash<int, QByteArray> LogModel::roleNames() const
{
    return { { Qt::DisplayRole, "display" }, { TimeRole, "time" }, { LevelRole, "level" },
        { SourceRole, "source" }, { TextRole, "text" }, { FileRole, "file" },
        { LineRole, "line" } };
}

// ---- LogFilterModel -----------------------------------------------------------------------------

LogFilterModel::LogFilterModel(QObject* parent) : QSortFilterProxyModel(parent) { }

void LogFilterModel::setMinimumLevel(int level)
{
    if (level == m_minimumLevel)
        return;
    m_minimumLevel = level;
    invalidateFilter();
    emit filterChanged();
}

void LogFilterModel::setSearch(const QString& text)
{
    if (text == m_search)
        return;
    m_search = text;
    invalidateFilter();
    emit filterChanged();
}

void LogFilterModel::activate(int row)
{
    const QModelIndex index = this->index(row, 0);
    if (!index.isValid())
        return;
    const QString file = index.data(LogModel::FileRole).toString();
    if (!file.isEmpty())
        emit locationActivated(file, index.data(LogModel::LineRole).toInt());
}

bool LogFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (index.data(LogModel::LevelRole).toInt() < m_minimumLevel)
        return false;
    if (m_search.isEmpty())
        return true;
    return index.data(LogModel::TextRole).toString().contains(m_search, Qt::CaseInsensitive)
        || index.data(LogModel::SourceRole).toString().contains(m_search, Qt::CaseInsensitive);
}
