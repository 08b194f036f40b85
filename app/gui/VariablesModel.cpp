#include "VariablesModel.h"

#include "session/SessionManager.h"

using namespace Qt::StringLiterals;

VariablesModel::VariablesModel(QObject* parent) : QAbstractListModel(parent)
{
    m_timer.setInterval(kDefaultInterval);
}

VariablesModel::~VariablesModel() = default;

void VariablesModel::setSessions(lunette::SessionManager* sessions)
{
    m_sessions = sessions;
}

void VariablesModel::setSessionId(const QString& id)
{
    if (id == m_sessionId)
        return;
    m_sessionId = id;
    emit sessionIdChanged();
}

void VariablesModel::setFilterText(const QString& text)
{
    if (text == m_filter)
        return;
    m_filter = text;
    emit filterTextChanged();
}

void VariablesModel::setFlat(bool flat)
{
    if (flat == m_flat)
        return;
    m_flat = flat;
    emit flatChanged();
}

void VariablesModel::setSelectedId(qint64 id)
{
    if (id == m_selected.id)
        return;
    m_selected = { 0, id };
    emit selectedIdChanged();
}

void VariablesModel::setInterval(int ms)
{
    if (ms == m_timer.interval())
        return;
    m_timer.setInterval(ms);
    emit intervalChanged();
}

void VariablesModel::toggleExpanded(int) { }

void VariablesModel::select(int) { }

void VariablesModel::refresh() { }

int VariablesModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : count();
}

QVariant VariablesModel::data(const QModelIndex&, int) const
{
    return {};
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
