#include "Session.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QTimer>

#include "SessionApi.h"
#include "hotload/FileWatcher.h"
#include "lua/LuaJson.h"
#include "lua/LuaRuntime.h"
#include "lua/LuaStackGuard.h"
#include "protocol/Message.h"
#include "runtime/Module.h"
#include "runtime/TaskRunner.h"
#include "runtime/WebRoutes.h"
#include "site/Site.h"
#include "site/ViewdefStore.h"
#include "variables/VariableTree.h"

Q_LOGGING_CATEGORY(lcSession, "lunette.session")

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

using variables::VarError;
using variables::Variable;

// Runs the std::function passed as light userdata: the body of a protected turn.
int runBody(lua_State* L)
{
    auto* body = static_cast<const std::function<void()>*>(lua_touserdata(L, 1));
    (*body)();
    return 0;
}

// The prelude as a stripped binary chunk, compiled once per process (LuaState::compile).
QByteArray compilePrelude()
{
    QFile file(u":/lunette/engine/prelude.lua"_s);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("lunette: the session prelude is missing from the resources");
    auto compiled = LuaState::compile(file.readAll(), u"lunette/prelude.lua"_s);
    if (!compiled)
        qFatal("lunette: the session prelude does not compile: %s", qPrintable(compiled.error()));
    return *compiled;
}

// ---- rt: C helpers of the prelude (upvalue 1: the Session) ----

Session* sessionOf(lua_State* L)
{
    return static_cast<Session*>(lua_touserdata(L, lua_upvalueindex(1)));
}

// rt.findModule(name) -> key, chunk, dir | nil, message
int rtFindModule(lua_State* L)
{
    Session* s = sessionOf(L);
    const QString name = lua::checkQString(L, 1);
    if (name.isEmpty() || name.contains(u'/') || name.contains(u'\\') || name.contains(u"..")
        || name.startsWith(u'.')) {
        lua_pushnil(L);
        lua::pushString(
            L, QString(u"module '"_s + name + u"' not found: not a valid module name"_s));
        return 2;
    }
    const QString file = QString(name).replace(u'.', u'/') + u".lua"_s;
    const QString root = s->site().root();
    const QStringList candidates = { u"lua/"_s + file, file };
    for (const QString& relative : candidates) {
        const QFileInfo info(root + u'/' + relative);
        if (!info.isFile())
            continue;
        const QString canonical = info.canonicalFilePath();
        QFile f(canonical);
        if (!f.open(QIODevice::ReadOnly)) {
            lua_pushnil(L);
            lua::pushString(L,
                QString(u"module '"_s + name + u"': cannot read "_s + relative + u": "_s
                    + f.errorString()));
            return 2;
        }
        const QByteArray code = f.readAll();
        // Tracking key: the symlink-resolved path relative to the site root (LUA_API.md), the
        // same key the FileWatcher reports changes under.
        const QString key = trackingKey(root, root + u'/' + relative);
        lua::pushString(L, key);
        if (auto loaded = s->lua().load(code, key); !loaded) {
            lua_pop(L, 1);
            lua_pushnil(L);
            lua::pushString(L, loaded.error().message);
            return 2;
        }
        lua::pushString(L, QFileInfo(key).path());
        return 3;
    }
    lua_pushnil(L);
    lua::pushString(L,
        QString(u"module '"_s + name + u"' not found: no lua/"_s + file + u" or "_s + file
            + u" in the site"_s));
    return 2;
}

// rt.builtinModule(name) -> module | nil, message (the site lacks its permission) | nothing
int rtBuiltinModule(lua_State* L)
{
    Session* s = sessionOf(L);
    size_t len = 0;
    const char* name = luaL_checklstring(L, 1, &len);
    const ModuleDef* module = findBuiltinModule(QByteArrayView(name, static_cast<qsizetype>(len)));
    if (!module)
        return 0;
    if (!alwaysGranted(module->capability)
        && !s->site().manifest().permissions.contains(capabilityName(module->capability))) {
        lua_pushnil(L);
        lua::pushString(L, permissionError(*module));
        return 2;
    }
    pushModule(L, *module);
    return 1;
}

int rtLog(lua_State* L)
{
    Session* s = sessionOf(L);
    s->log(static_cast<int>(luaL_optinteger(L, 1, 0)), lua::toDisplayString(L, 2));
    return 0;
}

Variable* variableOfSeq(Session* s, lua_State* L, int arg)
{
    const quint64 seq = static_cast<quint64>(luaL_checkinteger(L, arg));
    return s->tree().bySeq(seq);
}

int rtSlotValue(lua_State* L)
{
    Session* s = sessionOf(L);
    s->tree().pushValue(variableOfSeq(s, L, 1));
    return 1;
}

int rtSlotWrapper(lua_State* L)
{
    Session* s = sessionOf(L);
    const Variable* v = variableOfSeq(s, L, 1);
    if (v && v->wrapped)
        s->tree().pushNavigationValue(v);
    else
        lua_pushnil(L);
    return 1;
}

int rtGetProperty(lua_State* L)
{
    Session* s = sessionOf(L);
    const Variable* v = variableOfSeq(s, L, 1);
    const QByteArray name = lua::toBytes(L, 2);
    const variables::VarProperty* p = v ? v->property(name) : nullptr;
    if (p)
        lua::pushBytes(L, p->value);
    else
        lua_pushnil(L);
    return 1;
}

} // namespace

Session::Session(QString id, QString vendedId, std::shared_ptr<const Site> site,
    std::shared_ptr<ViewdefStore> viewdefs, ConnectionSink* sink, const Options& options)
    : m_id(std::move(id))
    , m_vendedId(std::move(vendedId))
    , m_site(std::move(site))
    , m_viewdefs(std::move(viewdefs))
    , m_sink(sink)
    , m_options(options)
    , m_createdAt(std::chrono::steady_clock::now())
    , m_lastActivity(m_createdAt)
{
    m_lua = std::make_unique<LuaState>(options.lua);
    m_lua->setOutputSink([this](const QString& text) { log(0, text); });
    m_taskContext = std::make_unique<QObject>();
    TaskRunner::Hooks taskHooks;
    taskHooks.runTurn = [this](const std::function<void()>& fn) { (void)runTurn(fn); };
    taskHooks.reportError = [this](quint64 tag, const QString& origin, const LuaError& error) {
        reportTaskError(tag, origin, error);
    };
    taskHooks.context = m_taskContext.get();
    m_tasks = std::make_unique<TaskRunner>(*m_lua, std::move(taskHooks));
    m_tree = std::make_unique<variables::VariableTree>(*m_lua);
    m_tree->setLogger([this](const QString& text) { log(1, text); });
    m_flushTimer = std::make_unique<QTimer>();
    m_flushTimer->setSingleShot(true);
    m_flushTimer->setTimerType(Qt::PreciseTimer);
    m_flushTimer->setInterval(m_options.debounce);
    QObject::connect(m_flushTimer.get(), &QTimer::timeout, m_flushTimer.get(), [this] { flush(); });
}

Session::~Session()
{
    m_tasks.reset(); // waits are cancelled first: their work may hold session objects
    m_taskContext.reset();
    m_timers.clear(); // timers and their callbacks go before the state
    m_flushTimer.reset();
    m_runtime = LuaRef();
    m_tree.reset();
    m_lua.reset();
}

void Session::log(int level, const QString& text)
{
    // Warnings and errors also reach stderr when a logger shows the rest (the app's Log dock).
    if (level < LogInfo)
        qCWarning(lcSession).noquote() << u"[session %1]"_s.arg(m_vendedId) << text;
    if (m_logger)
        m_logger(m_id, level, text);
    else if (level == LogInfo)
        qCInfo(lcSession).noquote() << u"[session %1]"_s.arg(m_vendedId) << text;
    else if (level > LogInfo)
        qCDebug(lcSession).noquote() << u"[session %1]"_s.arg(m_vendedId) << text;
}

namespace {
constexpr const char* kSessionKey = "lunette.session"; // registry: light userdata, the Session
}

Session* Session::from(lua_State* L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, kSessionKey);
    auto* session = static_cast<Session*>(lua_touserdata(L, -1));
    lua_pop(L, 1);
    return session;
}

void Session::pushRuntime(lua_State* L) const
{
    m_runtime.push(L);
}

void Session::installRuntime()
{
    lua_State* L = m_lua->state();
    LuaStackGuard guard(L);
    lua_pushlightuserdata(L, this);
    lua_setfield(L, LUA_REGISTRYINDEX, kSessionKey);
    // session and ui globals (C parts), then the prelude fills in the Lua parts.
    api::openSession(L, this);
    lua_pushvalue(L, -1);
    lua_setglobal(L, "session");
    api::openUi(L, this);
    lua_pushvalue(L, -1);
    lua_setglobal(L, "ui");

    static const luaL_Reg rtFunctions[] = {
        { "findModule", lua::onMainThread<rtFindModule> },
        { "builtinModule", rtBuiltinModule },
        { "log", rtLog },
        { "slotValue", lua::onMainThread<rtSlotValue> },
        { "slotWrapper", lua::onMainThread<rtSlotWrapper> },
        { "getProperty", lua::onMainThread<rtGetProperty> },
        { nullptr, nullptr },
    };
    lua_newtable(L);
    lua_pushlightuserdata(L, this);
    luaL_setfuncs(L, rtFunctions, 1);
    TaskRunner::pushWaitMarker(L);
    lua_setfield(L, -2, "waitMarker");
    lua_pushvalue(L, -1);
    m_runtime = LuaRef::pop(*m_lua);
    // Stack: session, ui, rt
    static const QByteArray prelude = compilePrelude();
    if (auto loaded = m_lua->loadCompiled(prelude, u"lunette/prelude"_s); !loaded)
        qFatal(
            "lunette: the session prelude does not load: %s", qPrintable(loaded.error().message));
    lua_insert(L, -4);
    if (auto called = m_lua->call(3, 0); !called)
        qFatal("lunette: the session prelude failed: %s", qPrintable(called.error().fullText()));

    auto hook = [&](const char* name) {
        m_runtime.push(L);
        lua_getfield(L, -1, name);
        LuaRef ref = LuaRef::pop(*m_lua);
        lua_pop(L, 1);
        return ref;
    };
    variables::VariableTree::Hooks hooks;
    hooks.makeWrapper = hook("makeWrapper");
    hooks.syncWrapper = hook("syncWrapper");
    hooks.createValue = hook("createValue");
    hooks.varTable = hook("varTable");
    m_tree->setHooks(std::move(hooks));
}

Expected<void, LuaError> Session::start()
{
    installRuntime();
    lua_State* L = m_lua->state();
    LuaStackGuard guard(L);
    const QString entry = m_site->entryPath();
    QFile file(entry);
    if (!QFileInfo(entry).isFile()) {
        // A missing entry is allowed (no variable 1: the page shows nothing, digest §5.7).
        return {};
    }
    if (!file.open(QIODevice::ReadOnly)) {
        LuaError error;
        error.kind = LuaError::Kind::Internal;
        error.message = u"cannot read "_s + entry + u": "_s + file.errorString();
        return unexpected(std::move(error));
    }
    const QString key = trackingKey(m_site->root(), entry);
    m_runtime.push(L);
    lua_getfield(L, -1, "runModule");
    lua_remove(L, -2);
    lua::pushString(L, key);
    lua::pushString(L, QFileInfo(key).path());
    if (auto loaded = m_lua->load(file.readAll(), key); !loaded) {
        lua_pop(L, 3);
        return unexpected(loaded.error());
    }
    // As a task: main.lua may wait (its first part creates the session, the rest continues).
    if (auto started = m_tasks->start(3, 0, key); !started)
        return unexpected(started.error());
    // Start small: most of what main.lua allocated was temporary, and an idle session may sit
    // for hours (P4).
    lua_gc(L, LUA_GCCOLLECT);
    return {};
}

// ---- turns -------------------------------------------------------------------------------------

Expected<void, LuaError> Session::runTurn(const std::function<void()>& fn, bool userEvent)
{
    if (m_inTurn) { // nested (a turn started from inside a turn): just run it
        fn();
        return {};
    }
    m_inTurn = true;
    lua_State* L = m_lua->state();
    const std::function<void()> body = [&] {
        fn();
        m_tree->detectChanges();
        std::vector<variables::VariableTree::Outgoing> out;
        m_tree->collect(out);
        for (auto& o : out)
            m_turnOut.emplace_back(o.connection, std::move(o.message));
    };
    lua_pushcfunction(L, &runBody);
    lua_pushlightuserdata(L, const_cast<std::function<void()>*>(&body));
    auto result = m_lua->call(1, 0);
    m_inTurn = false;
    if (!result) {
        log(1, u"turn failed: "_s + result.error().fullText());
        const QByteArrayView code = result.error().kind == LuaError::Kind::Timeout
            ? QByteArrayView(protocol::code::Timeout)
            : QByteArrayView(protocol::code::LuaError);
        for (const auto& [id, c] : m_connections)
            queueError(id, std::nullopt, code, result.error().message);
    }
    finishTurn(userEvent);
    if (!result)
        return unexpected(result.error());
    return {};
}

void Session::queue(ConnectionId connection, QByteArray message)
{
    m_turnOut.emplace_back(connection, std::move(message));
}

void Session::queueError(ConnectionId connection, std::optional<qint64> varId, QByteArrayView code,
    const QString& description, const QString& traceback)
{
    queue(connection, protocol::encodeError(varId, code, description, traceback));
}

void Session::notifyDestroyed(const std::vector<qint64>& ids)
{
    for (const auto& [connection, c] : m_connections) {
        for (const qint64 id : ids)
            queue(connection, protocol::encodeDestroy(id));
    }
}

void Session::queueViewdefs()
{
    variables::Variable* app = m_tree->app();
    if (!app || !m_viewdefs)
        return;
    const quint64 generation = m_viewdefs->generation();
    std::vector<ViewdefStore::Viewdef> all;
    for (const ConnectionId c : app->watchers) {
        auto it = m_connections.find(c);
        if (it == m_connections.end() || it->second.sentGeneration == generation)
            continue;
        if (all.empty())
            all = m_viewdefs->all();
        Connection& conn = it->second;
        // {"TYPE.NS": "<template>…"} as JSON text, new or changed ones only.
        QByteArray json = "{";
        bool any = false;
        for (const ViewdefStore::Viewdef& def : all) {
            auto sent = conn.sentViewdefs.find(def.key);
            if (sent != conn.sentViewdefs.end() && sent->second == def.version)
                continue;
            conn.sentViewdefs[def.key] = def.version;
            if (any)
                json += ',';
            any = true;
            json += protocol::jsonString(def.key.toUtf8()) + ':' + protocol::jsonString(def.html);
        }
        json += '}';
        conn.sentGeneration = generation;
        if (any) {
            const QByteArray message
                = protocol::encodeUpdate(1, nullptr, { { QByteArrayLiteral("viewdefs"), json } });
            conn.pending.push_back(message);
        }
    }
}

void Session::finishTurn(bool userEvent)
{
    // Viewdefs first (high priority, first in the frame), then the turn's messages in order.
    queueViewdefs();
    for (auto& [connection, message] : m_turnOut) {
        auto it = m_connections.find(connection);
        if (it != m_connections.end())
            it->second.pending.push_back(std::move(message));
    }
    m_turnOut.clear();
    bool pending = false;
    for (const auto& [id, c] : m_connections)
        pending = pending || !c.pending.empty();
    if (!pending)
        return;
    if (userEvent)
        flush();
    else if (!m_flushTimer->isActive())
        m_flushTimer->start();
}

void Session::flush()
{
    m_flushTimer->stop();
    for (auto& [id, c] : m_connections) {
        if (c.pending.empty())
            continue;
        const QByteArray frame = protocol::joinFrame(c.pending);
        c.pending.clear();
        if (m_sink)
            m_sink->sendFrame(id, frame);
    }
}

// ---- connections -------------------------------------------------------------------------------

void Session::openConnection(ConnectionId connection)
{
    m_lastActivity = std::chrono::steady_clock::now();
    Connection& c = m_connections[connection];
    c.id = connection;
    // A page load: pick up viewdefs edited since the last look.
    if (m_viewdefs)
        m_viewdefs->refresh();
}

std::vector<ConnectionId> Session::connectionIds() const
{
    std::vector<ConnectionId> ids;
    ids.reserve(m_connections.size());
    for (const auto& [id, connection] : m_connections)
        ids.push_back(id);
    return ids;
}

void Session::closeConnection(ConnectionId connection)
{
    m_lastActivity = std::chrono::steady_clock::now();
    if (!m_connections.count(connection))
        return;
    // Only this connection's variables go; the session and its Lua state stay (improvement 7).
    // Cleanup is a turn too (improvement 6).
    (void)runTurn([&] { m_tree->dropConnection(connection); });
    m_connections.erase(connection);
}

void Session::handleFrame(ConnectionId connection, QByteArrayView frame)
{
    m_lastActivity = std::chrono::steady_clock::now();
    if (!m_connections.count(connection))
        return;
    auto parsed = protocol::parseFrame(frame);
    if (!parsed) {
        queueError(connection, std::nullopt, protocol::code::BadMessage, parsed.error());
        finishTurn(true);
        return;
    }
    const protocol::Frame& f = *parsed;
    (void)runTurn(
        [&] {
            for (const protocol::Message& m : f.messages)
                handleMessage(connection, m);
        },
        f.userEvent);
}

void Session::handleMessage(ConnectionId connection, const protocol::Message& m)
{
    using protocol::MessageType;
    const std::optional<qint64> varId = m.hasVarId ? std::optional<qint64>(m.varId) : std::nullopt;
    if (!m.problem.isEmpty()) {
        queueError(connection, varId, protocol::code::BadMessage, m.problem);
        return;
    }
    auto properties = [&] {
        std::vector<std::pair<QByteArray, QByteArray>> props;
        props.reserve(m.properties.size());
        for (const auto& p : m.properties)
            props.emplace_back(p.name, p.value);
        return props;
    };
    auto lookup = [&]() -> Variable* {
        if (!m.hasVarId) {
            queueError(connection, std::nullopt, protocol::code::BadMessage,
                u"message '"_s + QString::fromUtf8(m.typeName) + u"' needs a varId"_s);
            return nullptr;
        }
        Variable* v = m_tree->find(connection, m.varId);
        if (!v)
            queueError(connection, m.varId, protocol::code::NotFound,
                u"variable %1 not found"_s.arg(m.varId));
        return v;
    };

    VarError error;
    switch (m.type) {
    case MessageType::Create:
        if (!m_tree->createFromClient(
                connection, m.hasVarId ? m.varId : 0, m.parentId, properties(), m.nowatch, &error))
            queueError(connection, varId, error.code, error.description, error.traceback);
        break;
    case MessageType::Update: {
        Variable* v = lookup();
        if (!v || m_tree->isInactive(v))
            break;
        if (m.hasProperties && !m_tree->setProperties(v, properties(), &error)) {
            queueError(connection, m.varId, error.code, error.description, error.traceback);
            break;
        }
        if (m.hasValue && !m_tree->setValue(v, m.value, &error)) {
            queueError(connection, m.varId, error.code, error.description, error.traceback);
            log(1, u"update of variable %1 failed: %2"_s.arg(m.varId).arg(error.description));
        }
        break;
    }
    case MessageType::Destroy: {
        Variable* v = lookup();
        if (!v)
            break;
        if (v->owner != connection) {
            queueError(connection, m.varId, protocol::code::BadAccess,
                u"variable %1 belongs to the session and cannot be destroyed by a client"_s.arg(
                    m.varId));
            break;
        }
        std::vector<qint64> ids;
        m_tree->destroy(v, &ids);
        for (const qint64 id : ids)
            queue(connection, protocol::encodeDestroy(id));
        break;
    }
    case MessageType::Watch:
        if (Variable* v = lookup())
            m_tree->watch(v, connection);
        break;
    case MessageType::Unwatch:
        if (Variable* v = lookup())
            m_tree->unwatch(v, connection);
        break;
    case MessageType::Get:
        for (const qint64 id : m.ids) {
            if (!m_tree->find(connection, id))
                queueError(
                    connection, id, protocol::code::NotFound, u"variable %1 not found"_s.arg(id));
        }
        queue(connection, m_tree->getReply(connection, m.ids));
        break;
    case MessageType::GetObjects:
        queue(connection, m_tree->getObjectsReply(m.ids));
        break;
    case MessageType::Poll:
        break; // every turn already answers with its changes
    case MessageType::Error:
        log(1, u"client reported an error on variable %1: %2"_s.arg(m.varId).arg(m.description));
        break;
    case MessageType::Unknown:
        queueError(connection, varId, protocol::code::BadMessage,
            u"unknown message type: "_s + QString::fromUtf8(m.typeName));
        break;
    }
}

// ---- timers ------------------------------------------------------------------------------------

qint64 Session::addTimer(int fnIdx, std::chrono::milliseconds delay, bool repeat)
{
    const qint64 handle = m_nextTimer++;
    Timer& t = m_timers[handle];
    t.callback = LuaRef(*m_lua, fnIdx);
    t.repeat = repeat;
    if (const Variable* v = m_tree->computing())
        t.schedulerVariable = v->seq;
    t.timer = std::make_unique<QTimer>();
    t.timer->setSingleShot(!repeat);
    t.timer->setTimerType(delay.count() < 50 ? Qt::PreciseTimer : Qt::CoarseTimer);
    t.timer->setInterval(std::max<std::chrono::milliseconds>(delay, std::chrono::milliseconds(0)));
    QObject::connect(
        t.timer.get(), &QTimer::timeout, t.timer.get(), [this, handle] { fireTimer(handle); });
    t.timer->start();
    return handle;
}

void Session::clearTimer(qint64 handle)
{
    auto it = m_timers.find(handle);
    if (it == m_timers.end())
        return;
    if (it->second.timer) {
        it->second.timer->stop();
        // A timer may clear itself from its own callback: delete its QTimer later.
        it->second.timer.release()->deleteLater();
    }
    m_timers.erase(it);
}

void Session::fireTimer(qint64 handle)
{
    auto it = m_timers.find(handle);
    if (it == m_timers.end())
        return;
    const bool repeat = it->second.repeat;
    lua_State* L = m_lua->state();
    std::optional<LuaError> failure;
    (void)runTurn([&] {
        auto found = m_timers.find(handle);
        if (found == m_timers.end())
            return;
        found->second.callback.push(L);
        auto started
            = m_tasks->start(0, 0, u"timer %1"_s.arg(handle), found->second.schedulerVariable);
        if (!started)
            failure = started.error();
    });
    it = m_timers.find(handle);
    if (failure) {
        log(0, u"timer %1 failed: "_s.arg(handle) + failure->fullText());
        if (it != m_timers.end()) {
            if (Variable* v = m_tree->bySeq(it->second.schedulerVariable)) {
                const QString text = u"timer callback failed: "_s + failure->message;
                for (const ConnectionId c : v->watchers)
                    queueError(c, v->id, protocol::code::LuaError, text, failure->traceback);
                finishTurn(false);
            }
            // An interval survives errors unless it fails three times in a row (LUA_API.md).
            if (++it->second.failuresInARow >= 3 && repeat) {
                log(0, u"interval %1 stopped after 3 failures in a row"_s.arg(handle));
                clearTimer(handle);
                return;
            }
        }
    } else if (it != m_timers.end()) {
        it->second.failuresInARow = 0;
    }
    if (!repeat)
        clearTimer(handle);
}

// A task failed after it had waited: the log, and the variable whose action started it.
void Session::reportTaskError(quint64 schedulerSeq, const QString& origin, const LuaError& error)
{
    log(LogError, origin + u" failed: "_s + error.fullText());
    if (Variable* v = m_tree->bySeq(schedulerSeq)) {
        for (const ConnectionId c : v->watchers)
            queueError(c, v->id, protocol::code::LuaError, origin + u" failed: "_s + error.message,
                error.traceback);
    }
}

// ---- hot reload support ------------------------------------------------------------------------

int Session::processMutations()
{
    lua_State* L = m_lua->state();
    LuaStackGuard guard(L);
    m_runtime.push(L);
    lua_getfield(L, -1, "processMutations");
    lua_remove(L, -2);
    auto called = m_lua->call(0, 1);
    if (!called) {
        log(0, u"processing prototype mutations failed: "_s + called.error().message);
        return 0;
    }
    const int count = static_cast<int>(lua_tointeger(L, -1));
    lua_pop(L, 1);
    return count;
}

Expected<void, LuaError> Session::reloadFile(const QString& trackingKey)
{
    lua_State* L = m_lua->state();
    LuaStackGuard guard(L);
    QFile file(m_site->root() + u'/' + trackingKey);
    if (!file.open(QIODevice::ReadOnly)) {
        LuaError error;
        error.kind = LuaError::Kind::Internal;
        error.message = u"cannot read "_s + trackingKey + u": "_s + file.errorString();
        return unexpected(std::move(error));
    }
    auto setReloading = [&](bool on) {
        m_reloading = on;
        lua_getglobal(L, "session");
        if (lua_istable(L, -1)) {
            lua_pushboolean(L, on);
            lua_setfield(L, -2, "reloading");
        }
        lua_pop(L, 1);
    };
    // The file's web routes go now and come back with the new code; if it fails, the old ones
    // are put back (a route the new code no longer registers is gone).
    web::takeRoutesOf(L, trackingKey);
    const int oldRoutes = lua_gettop(L);
    const auto failed = [&](const LuaError& error) {
        web::restoreRoutes(L, oldRoutes);
        lua_settop(L, oldRoutes - 1);
        return unexpected(error);
    };
    m_runtime.push(L);
    lua_getfield(L, -1, "runModule");
    lua_remove(L, -2);
    lua::pushString(L, trackingKey);
    lua::pushString(L, QFileInfo(trackingKey).path());
    if (auto loaded = m_lua->load(file.readAll(), trackingKey); !loaded)
        return failed(loaded.error());
    setReloading(true);
    auto called = m_lua->call(3, 0);
    setReloading(false);
    if (!called)
        return failed(called.error());
    lua_pop(L, 1); // the old routes
    processMutations();
    // The site's own hook, after the prototypes are updated (HOTLOAD.md).
    if (lua_getglobal(L, "on_reload") == LUA_TFUNCTION) {
        lua::pushString(L, trackingKey);
        if (auto hooked = m_lua->call(1, 0); !hooked)
            return unexpected(hooked.error());
    } else {
        lua_pop(L, 1);
    }
    return {};
}

bool Session::isLoaded(const QString& trackingKey)
{
    lua_State* L = m_lua->state();
    LuaStackGuard guard(L);
    m_runtime.push(L);
    lua_getfield(L, -1, "isLoaded");
    lua_remove(L, -2);
    lua::pushString(L, trackingKey);
    auto called = m_lua->call(1, 1);
    if (!called)
        return false;
    const bool loaded = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return loaded;
}

QByteArray Session::variablesJson() const
{
    return m_tree->variablesJson();
}

quint64 Session::scanCount() const
{
    return m_tree->scanCount();
}

quint64 Session::variablesVersion() const
{
    return m_tree->version();
}

std::size_t Session::variableCount() const
{
    return m_tree->size();
}

} // namespace lunette
