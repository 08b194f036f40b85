#include "SessionsModel.h"

#include "session/SessionManager.h"

using namespace Qt::StringLiterals;

SessionsModel::SessionsModel(QObject* parent) : QAbstractListModel(parent) { }

SessionsModel::~SessionsModel() = default;

void SessionsModel::setSessions(lunette::SessionManager* sessions)
{
    m_sessions = sessions;
}

void SessionsModel::setSelectedSessionId(const QString& id)
{
    if (id == m_selected)
        return;
    m_selected = id;
    emit selectedSessionIdChanged();
}

void SessionsModel::refresh() { }

void SessionsModel::closeSession(const QString& id)
{
    if (m_sessions)
        m_sessions->destroySession(id);
}

void SessionsModel::restartSession(const QString& id)
{
    emit restartRequested(id);
}

void SessionsModel::openInBrowser(const QString& id)
{
    emit openInBrowserRequested(id);
}

QString SessionsModel::ageText(std::chrono::steady_clock::duration)
{
    return {};
}

QString SessionsModel::lastActivityText(std::chrono::steady_clock::duration)
{
    return {};
}

int SessionsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : count();
}

QVariant SessionsModel::data(const QModelIndex&, int) const
{
    return {};
}

QHash<int, QByteArray> SessionsModel::roleNames() const
{
    return { { SessionIdRole, "sessionId" }, { ShortIdRole, "shortId" },
        { ConnectionsRole, "connections" }, { AgeRole, "age" },
        { VariableCountRole, "variableCount" }, { LastActivityRole, "lastActivity" },
        { SelectedRole, "selected" } };
}
