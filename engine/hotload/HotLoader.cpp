#include "HotLoader.h"

#include <memory>
#include <optional>

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>

#include "session/Session.h"
#include "session/SessionManager.h"
#include "site/ViewdefStore.h"
#include "variables/VariableTree.h"

Q_LOGGING_CATEGORY(lcHotload, "lunette.hotload")

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

// A property of variable 1, recorded in the current turn (nothing when there is no app yet).
void setPageProperty(Session& session, QByteArrayView name, const QByteArray& value)
{
    if (variables::Variable* app = session.tree().app())
        session.tree().setServerProperty(app, name, value, variables::Priority::High);
}

QByteArray errorJson(const QString& key, const LuaError& error)
{
    const QJsonObject object { { u"key"_s, key }, { u"message"_s, error.message },
        { u"location"_s, error.location() }, { u"traceback"_s, error.traceback } };
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace

HotLoader::HotLoader(SessionManager& sessions, QObject* parent)
    : QObject(parent), m_sessions(sessions), m_self(std::make_shared<Self>())
{
    m_self->loader = this;
}

HotLoader::~HotLoader()
{
    std::lock_guard lock(m_self->mutex);
    m_self->loader = nullptr;
}

HotLoader::Kind HotLoader::kindOf(const QString& key)
{
    if (key.endsWith(u".lua"_s))
        return Kind::Lua;
    if (key.startsWith(u"html/"_s))
        return key.endsWith(u".css"_s) ? Kind::Stylesheet : Kind::Page;
    // viewdefs/, or where a symlinked viewdef really lives (apps/tasks/Task.list-item.html).
    if (key.endsWith(u".html"_s))
        return Kind::Viewdef;
    return Kind::Other;
}

void HotLoader::fileChanged(const QString& key)
{
    switch (kindOf(key)) {
    case Kind::Lua:
        reloadLua(key);
        break;
    case Kind::Viewdef:
        reloadViewdefs(key);
        break;
    case Kind::Stylesheet:
        notifyPage(key, true);
        break;
    case Kind::Page:
        notifyPage(key, false);
        break;
    case Kind::Other:
        break;
    }
}

void HotLoader::fileRemoved(const QString& key)
{
    // The sessions keep what they loaded; a removed viewdef stays in use until replaced.
    qCInfo(
        lcHotload, "%s was removed; running sessions keep what they loaded", qUtf8Printable(key));
    if (kindOf(key) == Kind::Viewdef)
        reloadViewdefs(key);
}

void HotLoader::reloadLua(const QString& key)
{
    struct Outcome
    {
        int reloaded = 0;
        std::optional<LuaError> failure;
    };
    auto outcome = std::make_shared<Outcome>();
    const QByteArray serial = QByteArray::number(++m_serial);
    m_sessions.forEachSession(
        [key, outcome, serial](Session& session) {
            if (!session.isLoaded(key))
                return; // not required by this session (yet): nothing to replace
            std::optional<LuaError> failure;
            const auto turn = session.runTurn(
                [&] {
                    if (auto reloaded = session.reloadFile(key); !reloaded)
                        failure = reloaded.error();
                    setPageProperty(
                        session, "reloadError", failure ? errorJson(key, *failure) : QByteArray());
                    if (!failure)
                        setPageProperty(session, "reloaded", serial); // the page clears its overlay
                },
                true);
            if (!turn && !failure)
                failure = turn.error();
            if (failure) {
                session.log(0, u"reload of %1 failed: %2"_s.arg(key, failure->fullText()));
                if (!outcome->failure)
                    outcome->failure = failure;
            } else {
                ++outcome->reloaded;
            }
        },
        [self = m_self, key, outcome] {
            // The signals are emitted on the loader's thread: Qt copies the arguments into the
            // queued call, so nothing of the executor's is shared with it.
            if (!outcome->failure)
                qCInfo(lcHotload, "reloaded %s in %d session(s)", qUtf8Printable(key),
                    outcome->reloaded);
            self->call([&](HotLoader* loader) {
                if (outcome->failure) {
                    const LuaError& e = *outcome->failure;
                    QMetaObject::invokeMethod(loader, "luaReloadFailed", Qt::QueuedConnection,
                        Q_ARG(QString, key), Q_ARG(QString, e.message),
                        Q_ARG(QString, e.location()), Q_ARG(QString, e.traceback));
                } else {
                    QMetaObject::invokeMethod(loader, "luaReloaded", Qt::QueuedConnection,
                        Q_ARG(QString, key), Q_ARG(int, outcome->reloaded));
                }
            });
        });
}

void HotLoader::reloadViewdefs(const QString& key)
{
    // The store is shared: re-read it once (on the executor, where sessions read it), then one turn
    // per session sends what changed to every connection that has the app
    // (Session::queueViewdefs picks new and changed templates).
    auto refreshed = std::make_shared<bool>(false);
    m_sessions.forEachSession(
        [store = m_sessions.viewdefs(), refreshed](Session& session) {
            if (!*refreshed && store) {
                store->reload(); // by content: an edit within the mtime granularity still counts
                *refreshed = true;
            }
            if (session.hasConnections())
                (void)session.runTurn([] {}, true);
        },
        [self = m_self, key] {
            self->call([&](HotLoader* loader) {
                QMetaObject::invokeMethod(
                    loader, "viewdefReloaded", Qt::QueuedConnection, Q_ARG(QString, key));
            });
        });
}

void HotLoader::notifyPage(const QString& key, bool stylesheet)
{
    const quint64 serial = ++m_serial;
    const QByteArray url = key.mid(4).toUtf8(); // "html/css/a.css" -> "/css/a.css"
    const QByteArray value
        = stylesheet ? url + "?v=" + QByteArray::number(serial) : QByteArray::number(serial);
    m_sessions.forEachSession(
        [stylesheet, value](Session& session) {
            (void)session.runTurn(
                [&] {
                    setPageProperty(
                        session, stylesheet ? "stylesheetChanged" : "pageReload", value);
                },
                true);
        },
        [self = m_self, key] {
            self->call([&](HotLoader* loader) {
                QMetaObject::invokeMethod(
                    loader, "pageFileChanged", Qt::QueuedConnection, Q_ARG(QString, key));
            });
        });
}

} // namespace lunette
