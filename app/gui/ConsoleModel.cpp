#include "ConsoleModel.h"

#include <QSettings>

#include "session/SessionManager.h"

using namespace Qt::StringLiterals;

ConsoleModel::ConsoleModel(QObject* parent, const QString& settingsFile)
    : QAbstractListModel(parent), m_settingsFile(settingsFile)
{
}

ConsoleModel::~ConsoleModel() = default;

void ConsoleModel::setSessions(lunette::SessionManager* sessions)
{
    m_sessions = sessions;
}

void ConsoleModel::setSessionId(const QString& id)
{
    if (id == m_sessionId)
        return;
    m_sessionId = id;
    emit sessionIdChanged();
}

QString ConsoleModel::prompt() const
{
    return continuing() ? u">> "_s : u"> "_s;
}

void ConsoleModel::submit(const QString&) { }

void ConsoleModel::cancelContinuation() { }

void ConsoleModel::clear() { }

QString ConsoleModel::historyUp(const QString& current)
{
    return current;
}

QString ConsoleModel::historyDown(const QString& current)
{
    return current;
}

void ConsoleModel::complete(const QString&) { }

int ConsoleModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : count();
}

QVariant ConsoleModel::data(const QModelIndex&, int) const
{
    return {};
}

QHash<int, QByteArray> ConsoleModel::roleNames() const
{
    return { { KindRole, "kind" }, { TextRole, "text" }, { TracebackRole, "traceback" } };
}
