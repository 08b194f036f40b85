#include "VariableTree.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include <QLoggingCategory>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "lua/JsonText.h"
#include "lua/LuaJson.h"
#include "lua/LuaRuntime.h"
#include "lua/LuaStackGuard.h"
#include "lua/LuaState.h"
#include "protocol/Message.h"
#include "runtime/TaskRunner.h"

using namespace Qt::StringLiterals;

namespace lunette::variables {

namespace {

using Writer = detail::JsonWriter;

constexpr int kMaxIndexChain = 32; // __index tables followed before giving up
constexpr int kMaxPasses = 4; // detection passes while ViewList syncs settle (digest §4.2)
constexpr QByteArrayView kObjPrefix = "{\"obj\":";

bool isRef(const QByteArray& json)
{
    return json.startsWith(kObjPrefix);
}

QByteArray refJson(qint64 id)
{
    return "{\"obj\":" + QByteArray::number(id) + '}';
}

// Property name with an optional priority suffix (":high", ":medium"/":med", ":low";
// case-insensitive). Without one the priority is medium (the reference resets it, digest §2.7).
Priority splitPriority(QByteArrayView raw, QByteArrayView* name)
{
    const qsizetype colon = raw.lastIndexOf(':');
    if (colon > 0) {
        const QByteArray suffix = raw.sliced(colon + 1).toByteArray().toLower();
        Priority p;
        bool known = true;
        if (suffix == "high")
            p = Priority::High;
        else if (suffix == "medium" || suffix == "med")
            p = Priority::Medium;
        else if (suffix == "low")
            p = Priority::Low;
        else
            known = false;
        if (known) {
            *name = raw.first(colon);
            return p;
        }
    }
    *name = raw;
    return Priority::Medium;
}

Priority parsePriority(QByteArrayView text)
{
    const QByteArray lower = text.toByteArray().toLower();
    if (lower == "high")
        return Priority::High;
    if (lower == "low")
        return Priority::Low;
    return Priority::Medium;
}

QByteArray durationText(std::chrono::nanoseconds d)
{
    const double ns = static_cast<double>(d.count());
    if (ns < 1e3)
        return QByteArray::number(d.count()) + "ns";
    if (ns < 1e6)
        return QByteArray::number(ns / 1e3, 'f', 1) + "us";
    if (ns < 1e9)
        return QByteArray::number(ns / 1e6, 'f', 2) + "ms";
    return QByteArray::number(ns / 1e9, 'f', 3) + 's';
}

VarError luaFailure(const LuaError& e)
{
    const bool timedOut = e.kind == LuaError::Kind::Timeout;
    return { QByteArray(timedOut ? protocol::code::Timeout : protocol::code::LuaError), e.message,
        e.traceback };
}

// t[k] for values that are not plain tables (strings, userdata with __index): run under a
// protected call because __index may be any function.
int indexHelper(lua_State* L)
{
    lua_gettable(L, 1);
    return 1;
}

// t[k] = v with normal assignment semantics (may run __newindex).
int assignHelper(lua_State* L)
{
    lua_settable(L, 1);
    return 0;
}

} // namespace

struct VariableTree::Buffer
{
    detail::JsonBuffer text;
};

const VarProperty* Variable::property(QByteArrayView name) const
{
    for (const VarProperty& p : properties) {
        if (p.name == name)
            return &p;
    }
    return nullptr;
}

VariableTree::VariableTree(LuaState& lua)
    : m_lua(lua), m_L(lua.state()), m_buffer(std::make_unique<Buffer>())
{
    lua_State* L = m_L;
    LuaStackGuard guard(L);
    lua_newtable(L);
    m_values = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);
    m_wrappers = luaL_ref(L, LUA_REGISTRYINDEX);
    const auto weakTable = [L](const char* mode) {
        lua_newtable(L);
        lua_createtable(L, 0, 1);
        lua_pushstring(L, mode);
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        return luaL_ref(L, LUA_REGISTRYINDEX);
    };
    m_objToId = weakTable("k"); // object -> id, weak keys
    m_idToObj = weakTable("v"); // id -> object, weak values
}

VariableTree::~VariableTree()
{
    // The registry tables go with the state; the hooks' refs are released by LuaRef.
    for (const int ref : { m_values, m_wrappers, m_objToId, m_idToObj })
        luaL_unref(m_L, LUA_REGISTRYINDEX, ref);
}

// ---- lookup ------------------------------------------------------------------------------------

Variable* VariableTree::find(ConnectionId connection, qint64 id) const
{
    if (connection) {
        if (const auto ns = m_connections.find(connection); ns != m_connections.end()) {
            if (const auto it = ns->second.byId.find(id); it != ns->second.byId.end())
                return it->second;
        }
    }
    return findSessionVariable(id);
}

Variable* VariableTree::findSessionVariable(qint64 id) const
{
    const auto it = m_session.byId.find(id);
    return it == m_session.byId.end() ? nullptr : it->second;
}

Variable* VariableTree::findByValue(int idx) const
{
    lua_State* L = m_L;
    idx = lua_absindex(L, idx);
    Variable* found = nullptr;
    for (const auto& [id, v] : m_session.byId) {
        pushValue(v);
        const bool same = lua_rawequal(L, -1, idx);
        lua_pop(L, 1);
        if (same && (!found || v->seq < found->seq))
            found = v;
    }
    return found;
}

std::vector<const Variable*> VariableTree::all() const
{
    std::vector<const Variable*> result;
    result.reserve(m_bySeq.size());
    for (const auto& [seq, v] : m_bySeq)
        result.push_back(v.get());
    std::sort(result.begin(), result.end(),
        [](const Variable* a, const Variable* b) { return a->seq < b->seq; });
    return result;
}

// ---- creation ----------------------------------------------------------------------------------

Variable* VariableTree::newVariable(ConnectionId owner, qint64 id, Variable* parent)
{
    auto owned = std::make_unique<Variable>();
    Variable* v = owned.get();
    v->id = id;
    v->owner = owner;
    v->seq = m_nextSeq++;
    v->parent = parent;
    if (parent)
        parent->children.push_back(v);
    else
        m_roots.push_back(v);
    m_bySeq.emplace(v->seq, std::move(owned));
    ++m_version;
    return v;
}

Variable* VariableTree::createFromClient(ConnectionId connection, qint64 id, qint64 parentId,
    const std::vector<std::pair<QByteArray, QByteArray>>& properties, bool nowatch, VarError* error)
{
    if (id == 0) {
        *error = { QByteArray(protocol::code::BadMessage), u"create message must include id"_s };
        return nullptr;
    }
    if (find(connection, id)) {
        *error = { QByteArray(protocol::code::BadMessage),
            u"variable ID %1 already in use"_s.arg(id) };
        return nullptr;
    }
    Variable* parent = parentId ? find(connection, parentId) : nullptr;
    if (!parent) {
        *error = { QByteArray(parentId ? protocol::code::NotFound : protocol::code::BadMessage),
            parentId ? u"parent variable %1 not found"_s.arg(parentId)
                     : u"variable %1 needs a parentId"_s.arg(id) };
        return nullptr;
    }

    // Properties, with the path's own ?query merged over them; the path is required.
    std::vector<std::pair<QByteArray, QByteArray>> merged = properties;
    QByteArray pathText;
    for (const auto& [name, value] : properties) {
        QByteArrayView bare;
        splitPriority(name, &bare);
        if (bare == "path")
            pathText = value;
    }
    if (pathText.isEmpty()) {
        *error = { QByteArray(protocol::code::BadMessage),
            u"variable %1: path property required"_s.arg(id) };
        return nullptr;
    }
    ParsedPath path = parsePath(pathText);
    for (const auto& [key, value] : path.query)
        merged.emplace_back(key, value);

    // Access and the path-ending rules are checked before anything exists.
    Access access = Access::ReadWrite;
    for (const auto& [name, value] : merged) {
        QByteArrayView bare;
        splitPriority(name, &bare);
        if (bare == "access" && !parseAccess(value, &access)) {
            *error = { QByteArray(protocol::code::BadAccess),
                u"variable %1: invalid access '%2' (use r, w, rw or action)"_s.arg(id).arg(
                    QString::fromUtf8(value)) };
            return nullptr;
        }
    }
    if (const QString problem = checkPathAccess(path, access); !problem.isEmpty()) {
        *error = { QByteArray(protocol::code::BadAccess),
            u"variable %1 (%2): %3"_s.arg(id).arg(QString::fromUtf8(pathText), problem) };
        return nullptr;
    }

    Variable* v = newVariable(connection, id, parent);
    m_connections[connection].byId.emplace(id, v);
    v->hasPath = true;
    v->timed = callsMethod(path);
    v->path = std::move(path);
    // The client knows the properties it sent: they are not echoed back.
    for (const auto& [name, value] : merged) {
        bool pathChanged = false;
        bool wrapperChanged = false;
        VarError ignored;
        applyProperty(v, name, value, false, &pathChanged, &wrapperChanged, &ignored);
    }
    // The stored path property is the path without its query (the pairs are properties now).
    if (const qsizetype q = pathText.indexOf('?'); q >= 0) {
        for (VarProperty& p : v->properties) {
            if (p.name == "path")
                p.value = pathText.first(q);
        }
    }
    if (const VarProperty* w = v->property("wrapper"))
        v->wrapperName = w->value;
    if (!nowatch)
        v->watchers.push_back(connection);
    computeInitial(v);
    return v;
}

Variable* VariableTree::createFromLua(Variable* parent, int valueIdx,
    const std::vector<std::pair<QByteArray, QByteArray>>& properties, VarError* error)
{
    lua_State* L = m_L;
    valueIdx = lua_absindex(L, valueIdx);
    Access access = Access::ReadWrite;
    for (const auto& [name, value] : properties) {
        if (name == "access" && !parseAccess(value, &access)) {
            *error = { QByteArray(protocol::code::BadAccess),
                u"invalid access '%1' (use r, w, rw or action)"_s.arg(QString::fromUtf8(value)) };
            return nullptr;
        }
    }
    const qint64 id = parent ? m_nextChildId-- : m_nextTrackerId++;
    Variable* v = newVariable(0, id, parent);
    m_session.byId.emplace(id, v);
    bool hasType = false;
    for (const auto& [name, value] : properties) {
        bool pathChanged = false;
        bool wrapperChanged = false;
        VarError ignored;
        applyProperty(v, name, value, true, &pathChanged, &wrapperChanged, &ignored);
        hasType = hasType || name == "type";
    }
    if (const VarProperty* w = v->property("wrapper"))
        v->wrapperName = w->value;
    if (!hasType) {
        const QByteArray type = typeName(valueIdx);
        if (!type.isEmpty())
            setServerProperty(v, "type", type, Priority::Medium);
    }
    lua_pushvalue(L, valueIdx);
    QByteArray json = valueJson(-1);
    acceptValue(v, std::move(json), true);
    lua_pop(L, 1);
    return v;
}

void VariableTree::computeInitial(Variable* v)
{
    lua_State* L = m_L;
    LuaStackGuard guard(L);
    const int base = lua_gettop(L);
    if (const VarProperty* property = v->property("create")) {
        // create=Type: a new instance is the variable's value (digest §3.8); written to the path
        // when it can be, so later reads agree. (A copy: setting `type` may move the properties.)
        const QByteArray create = property->value;
        m_hooks.createValue.push(L);
        lua::pushBytes(L, create);
        lua_pushnil(L);
        auto called = m_lua.call(2, 1);
        if (!called) {
            report(v, protocol::code::LuaError,
                u"create=%1 failed: %2"_s.arg(QString::fromUtf8(create), called.error().message));
            return;
        }
        if (!lua_isnil(L, -1)) {
            if (v->access != Access::Read && !v->path.segments.empty()
                && v->path.segments.back().kind == PathSegment::Kind::Name) {
                pushNavigationValue(v->parent);
                const auto& segments = v->path.segments;
                VarError ignored;
                if (navigate(segments, segments.size() - 1, -1, &ignored) && lua_istable(L, -1)) {
                    lua::pushBytes(L, segments.back().name);
                    lua_pushvalue(L, -4);
                    lua_rawset(L, -3);
                }
                lua_settop(L, base + 1);
            }
            QByteArray json = valueJson(-1);
            acceptValue(v, std::move(json), true);
            setServerProperty(v, "type", create, Priority::Medium);
        }
        lua_pop(L, 1);
        return;
    }
    if (v->access == Access::Action || v->access == Access::Write)
        return; // not readable (and save() is not called at create)
    pushNavigationValue(v->parent);
    VarError error;
    m_computing = v;
    const bool ok = read(v, -1, &error);
    m_computing = nullptr;
    if (!ok) {
        report(v, error.code, error.description);
        lua_pop(L, 1);
        return;
    }
    QByteArray json = valueJson(-1);
    acceptValue(v, std::move(json), true);
    lua_pop(L, 2);
}

void VariableTree::destroy(Variable* v, std::vector<qint64>* destroyedIds)
{
    if (m_scanning) {
        m_deferredDestroy.push_back(v->seq);
        return;
    }
    const std::vector<Variable*> children = v->children;
    for (Variable* c : children)
        destroy(c, destroyedIds);
    if (destroyedIds)
        destroyedIds->push_back(v->id);

    auto& siblings = v->parent ? v->parent->children : m_roots;
    siblings.erase(std::remove(siblings.begin(), siblings.end(), v), siblings.end());
    if (v->owner) {
        if (auto ns = m_connections.find(v->owner); ns != m_connections.end())
            ns->second.byId.erase(v->id);
    } else {
        m_session.byId.erase(v->id);
    }
    if (v->dirty)
        m_dirty.erase(std::remove(m_dirty.begin(), m_dirty.end(), v), m_dirty.end());
    if (m_computing == v)
        m_computing = nullptr;
    clearSlots(v->seq);
    m_bySeq.erase(v->seq);
    ++m_version;
}

void VariableTree::dropConnection(ConnectionId connection)
{
    if (auto ns = m_connections.find(connection); ns != m_connections.end()) {
        std::vector<Variable*> tops;
        for (const auto& [id, v] : ns->second.byId) {
            if (!v->parent || v->parent->owner != connection)
                tops.push_back(v);
        }
        std::sort(tops.begin(), tops.end(),
            [](const Variable* a, const Variable* b) { return a->seq < b->seq; });
        for (Variable* v : tops)
            destroy(v);
        m_connections.erase(connection);
    }
    for (const auto& [seq, v] : m_bySeq)
        unwatch(v.get(), connection);
}

// ---- properties --------------------------------------------------------------------------------

void VariableTree::applyProperty(Variable* v, QByteArrayView rawName, QByteArrayView value,
    bool record, bool* pathChanged, bool* wrapperChanged, VarError* error)
{
    QByteArrayView name;
    const Priority priority = splitPriority(rawName, &name);
    if (name == "access") {
        Access access;
        if (!parseAccess(value, &access)) {
            *error = { QByteArray(protocol::code::BadAccess),
                u"variable %1: invalid access '%2' (use r, w, rw or action)"_s.arg(v->id).arg(
                    QString::fromUtf8(value.toByteArray())) };
            return;
        }
        if (v->hasPath) {
            if (const QString problem = checkPathAccess(v->path, access); !problem.isEmpty()) {
                *error = { QByteArray(protocol::code::BadAccess),
                    u"variable %1: %2"_s.arg(v->id).arg(problem) };
                return;
            }
        }
        v->access = access;
    } else if (name == "priority") {
        v->valuePriority = parsePriority(value);
    } else if (name == "path") {
        *pathChanged = true;
    } else if (name == "wrapper" && value != v->wrapperName) {
        *wrapperChanged = true;
    }

    if (storeProperty(v, name, value, priority) && record)
        markProperty(v, name.toByteArray());
}

bool VariableTree::setProperties(
    Variable* v, const std::vector<std::pair<QByteArray, QByteArray>>& properties, VarError* error)
{
    bool pathChanged = false;
    bool wrapperChanged = false;
    for (const auto& [name, value] : properties) {
        VarError e;
        applyProperty(v, name, value, false, &pathChanged, &wrapperChanged, &e);
        if (!e.code.isEmpty()) {
            *error = e;
            return false;
        }
    }
    if (pathChanged) {
        const VarProperty* p = v->property("path");
        ParsedPath path = parsePath(p ? p->value : QByteArray());
        if (const QString problem = checkPathAccess(path, v->access); !problem.isEmpty()) {
            *error = { QByteArray(protocol::code::BadAccess),
                u"variable %1: %2"_s.arg(v->id).arg(problem) };
            return false;
        }
        v->hasPath = !path.segments.empty();
        v->timed = callsMethod(path);
        v->path = std::move(path);
    }
    if (wrapperChanged) {
        const VarProperty* w = v->property("wrapper");
        if (v->wrapped) {
            lua_pushnil(m_L);
            storeSlot(m_wrappers, v->seq, -1);
            lua_pop(m_L, 1);
        }
        v->wrapped = false;
        v->wrapperName = w ? w->value : QByteArray();
    }
    if (pathChanged || wrapperChanged) {
        v->baseJson = "null";
        ++m_version;
        computeInitial(v);
    }
    return true;
}

void VariableTree::setServerProperty(
    Variable* v, QByteArrayView name, QByteArrayView value, Priority priority)
{
    if (storeProperty(v, name, value, priority))
        markProperty(v, name.toByteArray());
}

bool VariableTree::storeProperty(
    Variable* v, QByteArrayView name, QByteArrayView value, Priority priority)
{
    auto it = std::find_if(v->properties.begin(), v->properties.end(),
        [&](const VarProperty& p) { return p.name == name; });
    if (value.isEmpty()) {
        if (it == v->properties.end())
            return false;
        v->properties.erase(it);
    } else if (it == v->properties.end()) {
        v->properties.push_back({ name.toByteArray(), value.toByteArray(), priority });
    } else {
        if (it->value == value && it->priority == priority)
            return false;
        it->value = value.toByteArray();
        it->priority = priority;
    }
    ++m_version;
    return true;
}

void VariableTree::markDirty(Variable* v)
{
    if (!v->dirty) {
        v->dirty = true;
        m_dirty.push_back(v);
    }
}

void VariableTree::markProperty(Variable* v, const QByteArray& name)
{
    if (std::find(v->changedProperties.begin(), v->changedProperties.end(), name)
        == v->changedProperties.end())
        v->changedProperties.push_back(name);
    markDirty(v);
}

void VariableTree::markValue(Variable* v)
{
    v->valueChanged = true;
    ++v->changeCount;
    ++m_changesThisPass;
    ++m_version;
    markDirty(v);
}

void VariableTree::report(Variable* v, QByteArrayView code, const QString& text)
{
    if (v->error == text && v->errorCode == code)
        return; // already known (and sent once)
    v->error = text;
    v->errorCode = code.toByteArray();
    v->errorReported = false;
    ++m_version;
    markDirty(v);
    if (m_log)
        m_log(u"variable %1 (%2): %3"_s.arg(v->id).arg(
            QString::fromUtf8(pathText(v->path.segments, v->path.segments.size())), text));
}

void VariableTree::clearError(Variable* v)
{
    ++m_version;
    v->error.clear();
    v->errorCode.clear();
    v->errorReported = false;
}

void VariableTree::addDiag(Variable* v, const QString& text)
{
    constexpr qsizetype kMaxDiags = 50;
    if (v->diags.size() >= kMaxDiags)
        v->diags.removeFirst();
    v->diags.append(text);
    ++m_version;
}

// ---- client messages ---------------------------------------------------------------------------

bool VariableTree::setValue(Variable* v, QByteArrayView valueJson, VarError* error)
{
    lua_State* L = m_L;
    LuaStackGuard guard(L);
    const int base = lua_gettop(L);
    if (v->access == Access::Read) {
        *error = { QByteArray(protocol::code::BadAccess),
            u"variable %1 is read-only (access r)"_s.arg(v->id) };
        return false;
    }
    if (auto decoded = LuaJson::decode(L, valueJson); !decoded) {
        *error = { QByteArray(protocol::code::BadMessage),
            u"variable %1: bad value: %2"_s.arg(v->id).arg(decoded.error()) };
        return false;
    }
    const int valueIdx = lua_gettop(L);

    if (!v->hasPath) {
        // A Lua-created variable: its value is replaced.
        lua_pushvalue(L, valueIdx);
        QByteArray json = this->valueJson(-1);
        acceptValue(v, std::move(json), true);
        lua_settop(L, base);
        return true;
    }

    const auto& segments = v->path.segments;
    if (segments.empty()) { // "" or "?query": the parent itself, nothing in it to assign
        *error = { QByteArray(protocol::code::BadAccess),
            u"variable %1: its path names no field, so it cannot be written"_s.arg(v->id) };
        lua_settop(L, base);
        return false;
    }
    const PathSegment& last = segments.back();
    if (last.kind == PathSegment::Kind::Getter && v->access != Access::Action
        && v->access != Access::ReadWrite) {
        *error = { QByteArray(protocol::code::BadAccess),
            u"variable %1: a getter path can only be written with access rw or action"_s.arg(
                v->id) };
        lua_settop(L, base);
        return false;
    }

    // Echo suppression: the value the client sent is the value it shows.
    if (v->access != Access::Action && v->access != Access::Write) {
        lua_pushvalue(L, valueIdx);
        QByteArray json = this->valueJson(-1);
        if (!v->wrapped && json != v->baseJson) {
            storeSlot(m_values, v->seq, -1);
            v->baseJson = json;
            v->json = json;
            ++m_version;
        }
        lua_pop(L, 1);
    }

    pushNavigationValue(v->parent);
    if (!navigate(segments, segments.size() - 1, -1, error)) {
        lua_settop(L, base);
        return false;
    }
    const int target = lua_gettop(L);
    const QByteArray fullPath = pathText(segments, segments.size());
    if (lua_isnil(L, target)) {
        *error = { QByteArray(protocol::code::PathFailure),
            u"cannot set %1: %2 is nil"_s.arg(QString::fromUtf8(fullPath),
                QString::fromUtf8(pathText(segments, segments.size() - 1))) };
        lua_settop(L, base);
        return false;
    }

    // Timers scheduled by the call report their errors to this variable.
    Variable* const outer = std::exchange(m_computing, v);
    bool ok = true;
    switch (last.kind) {
    case PathSegment::Kind::Setter:
        lua_pushvalue(L, valueIdx);
        ok = callMethod(target, last.name, 1, 0, error, true);
        break;
    case PathSegment::Kind::Getter:
        if (v->access == Access::Action) {
            ok = callMethod(target, last.name, 0, 0, error, true);
        } else {
            lua_pushvalue(L, valueIdx);
            ok = callMethod(target, last.name, 1, 0, error, true);
        }
        break;
    case PathSegment::Kind::Index:
        if (!lua_istable(L, target)) {
            *error = { QByteArray(protocol::code::PathFailure),
                u"cannot set %1: not a table"_s.arg(QString::fromUtf8(fullPath)) };
            ok = false;
            break;
        }
        lua_pushvalue(L, valueIdx);
        lua_rawseti(L, target, last.index + 1);
        break;
    case PathSegment::Kind::Name: {
        const int t = lua_type(L, target);
        if (t != LUA_TTABLE && t != LUA_TUSERDATA) {
            *error = { QByteArray(protocol::code::PathFailure),
                u"cannot set %1: a %2 has no fields"_s.arg(
                    QString::fromUtf8(fullPath), QString::fromUtf8(luaL_typename(L, target))) };
            ok = false;
            break;
        }
        lua_pushcfunction(L, &assignHelper);
        lua_pushvalue(L, target);
        lua::pushBytes(L, last.name);
        lua_pushvalue(L, valueIdx);
        if (auto called = m_lua.call(3, 0); !called) {
            *error = luaFailure(called.error());
            ok = false;
        }
        break;
    }
    }
    m_computing = outer;
    lua_settop(L, base);
    return ok;
}

void VariableTree::watch(Variable* v, ConnectionId connection)
{
    if (std::find(v->watchers.begin(), v->watchers.end(), connection) == v->watchers.end()) {
        v->watchers.push_back(connection);
        ++m_version;
    }
    if (std::find(v->fullUpdateFor.begin(), v->fullUpdateFor.end(), connection)
        == v->fullUpdateFor.end())
        v->fullUpdateFor.push_back(connection);
    markDirty(v);
}

void VariableTree::unwatch(Variable* v, ConnectionId connection)
{
    const auto watching = std::remove(v->watchers.begin(), v->watchers.end(), connection);
    if (watching != v->watchers.end()) {
        v->watchers.erase(watching, v->watchers.end());
        ++m_version;
    }
    v->fullUpdateFor.erase(
        std::remove(v->fullUpdateFor.begin(), v->fullUpdateFor.end(), connection),
        v->fullUpdateFor.end());
}

bool VariableTree::isInactive(const Variable* v) const
{
    for (; v; v = v->parent) {
        if (v->property("inactive"))
            return true;
    }
    return false;
}

// ---- reading -----------------------------------------------------------------------------------

bool VariableTree::getField(int objIdx, const QByteArray& name, VarError* error)
{
    lua_State* L = m_L;
    objIdx = lua_absindex(L, objIdx);
    const int type = lua_type(L, objIdx);
    if (type == LUA_TTABLE) {
        lua::pushBytes(L, name);
        if (lua_rawget(L, objIdx) != LUA_TNIL)
            return true;
        lua_pop(L, 1);
        // Follow the __index chain by hand while it is made of tables: no Lua code runs, so no
        // protected call is needed on the hot path.
        lua_pushvalue(L, objIdx);
        for (int depth = 0; depth < kMaxIndexChain; ++depth) {
            if (!lua_getmetatable(L, -1)) {
                lua_pop(L, 1);
                lua_pushnil(L);
                return true;
            }
            lua_pushliteral(L, "__index");
            const int handler = lua_rawget(L, -2); // cur, mt, __index
            if (handler == LUA_TTABLE) {
                lua_replace(L, -3); // __index, mt
                lua_pop(L, 1);
                lua::pushBytes(L, name);
                if (lua_rawget(L, -2) != LUA_TNIL) {
                    lua_remove(L, -2);
                    return true;
                }
                lua_pop(L, 1);
                continue;
            }
            if (handler == LUA_TNIL) {
                lua_pop(L, 3);
                lua_pushnil(L);
                return true;
            }
            // A function (or something callable): let Lua do the indexing, protected.
            lua_pop(L, 2); // cur
            lua_pushcfunction(L, &indexHelper);
            lua_insert(L, -2);
            lua::pushBytes(L, name);
            if (auto called = m_lua.call(2, 1); !called) {
                *error = luaFailure(called.error());
                return false;
            }
            return true;
        }
        lua_pop(L, 1);
        *error = { QByteArray(protocol::code::PathFailure),
            u"__index chain too long looking up '%1'"_s.arg(QString::fromUtf8(name)) };
        return false;
    }
    if (type == LUA_TUSERDATA || type == LUA_TSTRING) {
        lua_pushcfunction(L, &indexHelper);
        lua_pushvalue(L, objIdx);
        lua::pushBytes(L, name);
        if (auto called = m_lua.call(2, 1); !called) {
            *error = luaFailure(called.error());
            return false;
        }
        return true;
    }
    *error = { QByteArray(protocol::code::PathFailure),
        u"cannot read '%1' of a %2 value"_s.arg(
            QString::fromUtf8(name), QString::fromUtf8(luaL_typename(L, objIdx))) };
    return false;
}

// Calls self:name(args…) where the extraArgs arguments are on top of the stack (they are
// consumed). Pushes nresults results on success. As a task (actions and setters: they may wait,
// LUA_API.md) it runs in a coroutine of the session's TaskRunner and pushes nothing; a wait ends
// it for this turn and errors after the wait go to m_computing's watchers.
bool VariableTree::callMethod(
    int selfIdx, const QByteArray& name, int extraArgs, int nresults, VarError* error, bool asTask)
{
    lua_State* L = m_L;
    selfIdx = lua_absindex(L, selfIdx);
    const int argsBase = lua_gettop(L) - extraArgs;
    if (!getField(selfIdx, name, error)) {
        lua_settop(L, argsBase);
        return false;
    }
    const int fnType = lua_type(L, -1);
    if (fnType != LUA_TFUNCTION
        && !(fnType == LUA_TTABLE && luaL_getmetafield(L, -1, "__call") != LUA_TNIL
            && (lua_pop(L, 1), true))) {
        *error = { QByteArray(protocol::code::PathFailure),
            u"'%1' is not a function (it is %2)"_s.arg(
                QString::fromUtf8(name), QString::fromUtf8(luaL_typename(L, -1))) };
        lua_settop(L, argsBase);
        return false;
    }
    lua_insert(L, argsBase + 1); // fn, args…
    lua_pushvalue(L, selfIdx);
    lua_insert(L, argsBase + 2); // fn, self, args…
    if (asTask) {
        if (TaskRunner* runner = TaskRunner::from(L)) {
            auto started = runner->start(extraArgs + 1, 0, QString::fromUtf8(name) + u"()"_s,
                m_computing ? m_computing->seq : 0);
            if (!started) {
                *error = luaFailure(started.error());
                return false;
            }
            return true;
        }
    }
    if (auto called = m_lua.call(extraArgs + 1, nresults); !called) {
        *error = luaFailure(called.error());
        return false;
    }
    return true;
}

bool VariableTree::navigate(
    const std::vector<PathSegment>& segments, std::size_t count, int startIdx, VarError* error)
{
    lua_State* L = m_L;
    lua_pushvalue(L, startIdx);
    for (std::size_t i = 0; i < count; ++i) {
        const PathSegment& s = segments[i];
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            const QByteArray at = i ? pathText(segments, i) : QByteArray("(parent)");
            *error = { QByteArray(protocol::code::PathFailure),
                u"%1 is nil in path %2"_s.arg(QString::fromUtf8(at),
                    QString::fromUtf8(pathText(segments, segments.size()))) };
            return false;
        }
        bool ok = true;
        switch (s.kind) {
        case PathSegment::Kind::Name:
            ok = getField(-1, s.name, error);
            break;
        case PathSegment::Kind::Index:
            if (lua_type(L, -1) == LUA_TTABLE) {
                lua_rawgeti(L, -1, s.index + 1);
            } else {
                *error = { QByteArray(protocol::code::PathFailure),
                    u"cannot index a %1 value with %2"_s
                        .arg(QString::fromUtf8(luaL_typename(L, -1)))
                        .arg(s.index) };
                ok = false;
            }
            break;
        case PathSegment::Kind::Getter:
            ok = callMethod(-1, s.name, 0, 1, error);
            break;
        case PathSegment::Kind::Setter:
            *error = { QByteArray(protocol::code::BadAccess),
                u"'%1(_)' is a setter and cannot be read"_s.arg(QString::fromUtf8(s.name)) };
            ok = false;
            break;
        }
        if (!ok) {
            lua_pop(L, 1);
            return false;
        }
        lua_remove(L, -2);
    }
    return true;
}

bool VariableTree::read(Variable* v, int parentIdx, VarError* error)
{
    if (!v->hasPath) {
        pushValue(v);
        return true;
    }
    return navigate(v->path.segments, v->path.segments.size(), parentIdx, error);
}

void VariableTree::acceptValue(Variable* v, QByteArray baseJson, bool record)
{
    ++m_version; // a new base value (callers only come here when it may differ)
    storeSlot(m_values, v->seq, -1);
    v->baseJson = std::move(baseJson);
    updateWrapper(v);
    QByteArray json;
    if (v->wrapped) {
        pushSlot(m_wrappers, v->seq);
        json = refJson(objectId(-1));
        lua_pop(m_L, 1);
    } else {
        json = v->baseJson;
    }
    if (json != v->json) {
        v->json = std::move(json);
        if (record)
            markValue(v);
    }
    updateType(v);
}

void VariableTree::updateWrapper(Variable* v)
{
    lua_State* L = m_L;
    LuaStackGuard guard(L);
    const int base = lua_gettop(L);
    if (v->wrapperName.isEmpty() || v->baseJson == "null") {
        if (v->wrapped) {
            lua_pushnil(L);
            storeSlot(m_wrappers, v->seq, -1);
            lua_pop(L, 1);
            v->wrapped = false;
        }
        return;
    }
    if (v->wrapped) {
        m_hooks.syncWrapper.push(L);
        pushSlot(m_wrappers, v->seq);
        pushValue(v);
        auto called = m_lua.call(2, 1);
        if (!called) {
            if (m_log)
                m_log(u"wrapper %1 of variable %2: sync failed: %3"_s
                          .arg(QString::fromUtf8(v->wrapperName))
                          .arg(v->id)
                          .arg(called.error().message));
            return;
        }
        if (lua_toboolean(L, -1))
            m_syncTriggered = true;
        lua_pop(L, 1);
        return;
    }
    const VarProperty* itemType = v->property("itemWrapper");
    m_hooks.makeWrapper.push(L);
    lua::pushBytes(L, v->wrapperName);
    m_hooks.varTable.push(L);
    lua_pushinteger(L, v->id);
    lua_pushinteger(L, static_cast<lua_Integer>(v->seq));
    if (auto made = m_lua.call(2, 1); !made) {
        lua_settop(L, base);
        if (m_log)
            m_log(u"variable %1: cannot build its varTable: %2"_s.arg(v->id).arg(
                made.error().message));
        return;
    }
    pushValue(v);
    if (itemType)
        lua::pushBytes(L, itemType->value);
    else
        lua_pushnil(L);
    auto called = m_lua.call(4, 1);
    if (!called) {
        if (m_log)
            m_log(u"wrapper %1 of variable %2 failed: %3"_s.arg(QString::fromUtf8(v->wrapperName))
                      .arg(v->id)
                      .arg(called.error().message));
        return;
    }
    if (lua_isnil(L, -1)) {
        if (m_log)
            m_log(u"variable %1: no wrapper named %2"_s.arg(v->id).arg(
                QString::fromUtf8(v->wrapperName)));
        lua_pop(L, 1);
        return;
    }
    storeSlot(m_wrappers, v->seq, -1);
    lua_pop(L, 1);
    v->wrapped = true;
    m_syncTriggered = true;
    if (v->wrapperName == "lua.ViewList")
        setServerProperty(v, "fallbackNamespace", "list-item", Priority::High);
}

void VariableTree::updateType(Variable* v)
{
    QByteArray type;
    if (isRef(v->json)) {
        if (v->wrapped) {
            type = v->wrapperName;
        } else if (const VarProperty* create = v->property("create")) {
            type = create->value;
        } else {
            pushValue(v);
            type = typeName(-1);
            lua_pop(m_L, 1);
        }
        if (type.isEmpty())
            return; // an object without a type keeps what it had
    }
    const VarProperty* current = v->property("type");
    if ((current ? current->value : QByteArray()) != type)
        setServerProperty(v, "type", type, current ? current->priority : Priority::Medium);
}

// ---- change detection --------------------------------------------------------------------------

void VariableTree::scan(Variable* v, int parentIdx)
{
    if (!v->active())
        return;
    lua_State* L = m_L;
    if (!lua_checkstack(L, 8))
        luaL_error(L, "variable tree too deep");
    const int base = lua_gettop(L);

    if (v->access == Access::Write || v->access == Access::Action) {
        if (!v->children.empty()) {
            pushNavigationValue(v);
            for (std::size_t i = 0; i < v->children.size(); ++i)
                scan(v->children[i], base + 1);
        }
        lua_settop(L, base);
        return;
    }

    // Only getters are timed: a plain field read costs less than the two clock reads.
    VarError error;
    m_computing = v;
    bool ok;
    if (v->timed) {
        const auto start = std::chrono::steady_clock::now();
        ok = read(v, parentIdx, &error);
        v->computeTime = std::chrono::steady_clock::now() - start;
        v->maxComputeTime = std::max(v->maxComputeTime, v->computeTime);
    } else {
        ok = read(v, parentIdx, &error);
    }
    m_computing = nullptr;

    if (!ok) {
        report(v, error.code, error.description);
        if (!v->children.empty()) {
            pushNavigationValue(v);
            for (std::size_t i = 0; i < v->children.size(); ++i)
                scan(v->children[i], base + 1);
        }
        lua_settop(L, base);
        return;
    }

    const QByteArrayView json = encodeView(-1);
    const bool recovered = !v->error.isEmpty();
    if (recovered)
        clearError(v);
    if (json != v->baseJson) {
        acceptValue(v, json.toByteArray(), true);
    } else if (recovered) {
        markValue(v); // the client cleared the value's error display: show the value again
    }
    if (!v->children.empty()) {
        if (v->wrapped)
            pushSlot(m_wrappers, v->seq);
        const int nav = lua_gettop(L);
        for (std::size_t i = 0; i < v->children.size(); ++i)
            scan(v->children[i], nav);
    }
    lua_settop(L, base);
}

int VariableTree::detectChanges()
{
    int changed = 0;
    for (int pass = 0; pass < kMaxPasses; ++pass) {
        m_syncTriggered = false;
        m_changesThisPass = 0;
        m_scanning = true;
        for (std::size_t i = 0; i < m_roots.size(); ++i)
            scan(m_roots[i], 0);
        m_scanning = false;
        if (!m_deferredDestroy.empty()) {
            const std::vector<quint64> seqs = std::exchange(m_deferredDestroy, {});
            for (const quint64 seq : seqs) {
                if (auto it = m_bySeq.find(seq); it != m_bySeq.end())
                    destroy(it->second.get());
            }
        }
        changed += m_changesThisPass;
        if (m_changesThisPass)
            ++m_scanCount;
        if (!(m_syncTriggered && m_changesThisPass))
            break;
    }
    return changed;
}

void VariableTree::collect(std::vector<Outgoing>& out)
{
    if (m_dirty.empty())
        return;
    std::sort(m_dirty.begin(), m_dirty.end(),
        [](const Variable* a, const Variable* b) { return a->seq < b->seq; });

    std::vector<protocol::OutProperty> props;
    for (const Priority priority : { Priority::High, Priority::Medium, Priority::Low }) {
        for (Variable* v : m_dirty) {
            if (v->watchers.empty())
                continue;
            const bool readable = v->access != Access::Write && v->access != Access::Action;
            // The change itself, for every watcher that did not ask for everything.
            props.clear();
            for (const QByteArray& name : v->changedProperties) {
                const VarProperty* p = v->property(name);
                const Priority pp = p ? p->priority : Priority::Medium;
                if (pp == priority)
                    props.push_back({ name, p ? p->value : QByteArray() });
            }
            const bool withValue = v->valueChanged && v->valuePriority == priority;
            QByteArray change;
            if (withValue || !props.empty())
                change = protocol::encodeUpdate(v->id, withValue ? &v->json : nullptr, props);

            QByteArray full;
            if (!v->fullUpdateFor.empty()) {
                props.clear();
                for (const VarProperty& p : v->properties) {
                    if (p.priority == priority)
                        props.push_back({ p.name, p.value });
                }
                const bool fullValue = readable && v->valuePriority == priority;
                if (fullValue || !props.empty())
                    full = protocol::encodeUpdate(v->id, fullValue ? &v->json : nullptr, props);
            }
            for (const ConnectionId c : v->watchers) {
                const bool wantsFull
                    = std::find(v->fullUpdateFor.begin(), v->fullUpdateFor.end(), c)
                    != v->fullUpdateFor.end();
                const QByteArray& message = wantsFull ? full : change;
                if (!message.isEmpty())
                    out.push_back({ c, message });
            }
        }
    }
    for (Variable* v : m_dirty) {
        if (!v->error.isEmpty() && !v->errorReported) {
            const QByteArray message = protocol::encodeError(v->id, v->errorCode, v->error);
            for (const ConnectionId c : v->watchers)
                out.push_back({ c, message });
            v->errorReported = true;
        }
        v->dirty = false;
        v->valueChanged = false;
        v->changedProperties.clear();
        v->fullUpdateFor.clear();
    }
    m_dirty.clear();
}

// ---- values and the object registry ------------------------------------------------------------

void VariableTree::storeSlot(int tableRef, quint64 seq, int valueIdx)
{
    lua_State* L = m_L;
    valueIdx = lua_absindex(L, valueIdx);
    lua_rawgeti(L, LUA_REGISTRYINDEX, tableRef);
    lua_pushvalue(L, valueIdx);
    lua_rawseti(L, -2, static_cast<lua_Integer>(seq));
    lua_pop(L, 1);
}

void VariableTree::pushSlot(int tableRef, quint64 seq) const
{
    lua_State* L = m_L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, tableRef);
    lua_rawgeti(L, -1, static_cast<lua_Integer>(seq));
    lua_remove(L, -2);
}

void VariableTree::clearSlots(quint64 seq)
{
    lua_State* L = m_L;
    for (const int ref : { m_values, m_wrappers }) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
        lua_pushnil(L);
        lua_rawseti(L, -2, static_cast<lua_Integer>(seq));
        lua_pop(L, 1);
    }
}

void VariableTree::pushValue(const Variable* v) const
{
    if (!v) {
        lua_pushnil(m_L);
        return;
    }
    pushSlot(m_values, v->seq);
}

void VariableTree::pushNavigationValue(const Variable* v) const
{
    if (v && v->wrapped)
        pushSlot(m_wrappers, v->seq);
    else
        pushValue(v);
}

qint64 VariableTree::objectId(int idx)
{
    lua_State* L = m_L;
    idx = lua_absindex(L, idx);
    lua_rawgeti(L, LUA_REGISTRYINDEX, m_objToId);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) == LUA_TNUMBER) {
        const qint64 id = lua_tointeger(L, -1);
        lua_pop(L, 2);
        return id;
    }
    lua_pop(L, 1);
    const qint64 id = m_nextTrackerId++;
    lua_pushvalue(L, idx);
    lua_pushinteger(L, id);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, m_idToObj);
    lua_pushvalue(L, idx);
    lua_rawseti(L, -2, id);
    lua_pop(L, 1);
    return id;
}

QByteArray VariableTree::typeName(int idx)
{
    lua_State* L = m_L;
    idx = lua_absindex(L, idx);
    const int t = lua_type(L, idx);
    if (t != LUA_TTABLE && t != LUA_TUSERDATA)
        return {};
    QByteArray result;
    if (lua_getmetatable(L, idx)) {
        // mt.type, following __index tables (no Lua code runs).
        for (int depth = 0; depth < kMaxIndexChain; ++depth) {
            lua_pushliteral(L, "type");
            const int found = lua_rawget(L, -2);
            if (found != LUA_TNIL) {
                if (found == LUA_TSTRING)
                    result = lua::toBytes(L, -1);
                lua_pop(L, 2);
                return result;
            }
            lua_pop(L, 1);
            if (!lua_getmetatable(L, -1))
                break;
            lua_pushliteral(L, "__index");
            if (lua_rawget(L, -2) != LUA_TTABLE) {
                lua_pop(L, 2);
                break;
            }
            lua_remove(L, -2); // the metatable
            lua_remove(L, -2); // the previous table
        }
        lua_pop(L, 1);
    }
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "type");
        if (lua_rawget(L, idx) == LUA_TSTRING)
            result = lua::toBytes(L, -1);
        lua_pop(L, 1);
    }
    return result;
}

QByteArray VariableTree::valueJson(int idx)
{
    QByteArray out;
    encodeValue(idx, out, true);
    return out;
}

namespace {

// Appends JSON text for primitives; returns false for values that need the registry.
bool appendPrimitive(lua_State* L, int idx, Writer& w)
{
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        w.Null();
        return true;
    case LUA_TBOOLEAN:
        w.Bool(lua_toboolean(L, idx) != 0);
        return true;
    case LUA_TNUMBER: {
        if (lua_isinteger(L, idx)) {
            w.Int64(lua_tointeger(L, idx));
            return true;
        }
        const double d = lua_tonumber(L, idx);
        if (!std::isfinite(d))
            w.Null();
        else if (detail::printsAsInteger(d))
            w.Int64(static_cast<int64_t>(d));
        else
            w.Double(d);
        return true;
    }
    case LUA_TSTRING: {
        size_t len = 0;
        const char* s = lua_tolstring(L, idx, &len);
        if (detail::isValidUtf8({ s, len })) {
            w.String(s, static_cast<rapidjson::SizeType>(len));
        } else {
            const QByteArray fixed = detail::replaceInvalidUtf8({ s, len });
            w.String(fixed.constData(), static_cast<rapidjson::SizeType>(fixed.size()));
        }
        return true;
    }
    case LUA_TFUNCTION: // improvement 5: a method named without "()" is null, not an object
    case LUA_TTHREAD:
    case LUA_TLIGHTUSERDATA:
        w.Null();
        return true;
    default:
        return false;
    }
}

// Whether the table at idx is an array by digest §3.5 (with improvement 4: an empty table is
// one); sets *length to its largest index.
bool isArrayTable(lua_State* L, int idx, lua_Integer* length)
{
    lua_Integer count = 0;
    lua_Integer maxKey = 0;
    bool empty = true;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        empty = false;
        lua_Integer k;
        if (lua_isinteger(L, -1) && (k = lua_tointeger(L, -1)) >= 1) {
            ++count;
            maxKey = std::max(maxKey, k);
        } else if (lua_type(L, -1) == LUA_TSTRING && *lua_tostring(L, -1) == '_') {
            // internal fields do not make a table an object
        } else {
            lua_pop(L, 1);
            return false;
        }
    }
    if (empty) {
        *length = 0;
        return true;
    }
    if (count == 0 || maxKey - count > std::max<lua_Integer>(count, 16))
        return false;
    *length = maxKey;
    return true;
}

} // namespace

void VariableTree::encodeValue(int idx, QByteArray& out, bool nestedAsRef)
{
    Q_UNUSED(nestedAsRef);
    const QByteArrayView text = encodeView(idx);
    out = text.toByteArray();
}

QByteArrayView VariableTree::encodeView(int idx)
{
    lua_State* L = m_L;
    idx = lua_absindex(L, idx);
    detail::JsonBuffer& buffer = m_buffer->text;
    buffer.Clear();
    Writer w(buffer);
    if (!appendPrimitive(L, idx, w)) {
        lua_Integer length = 0;
        if (lua_type(L, idx) == LUA_TTABLE && typeName(idx).isEmpty()
            && isArrayTable(L, idx, &length)) {
            if (!lua_checkstack(L, 4))
                luaL_error(L, "Lua stack overflow");
            w.StartArray();
            for (lua_Integer i = 1; i <= length; ++i) {
                lua_rawgeti(L, idx, i);
                if (!appendPrimitive(L, -1, w)) {
                    const qint64 id = objectId(-1);
                    w.StartObject();
                    w.Key("obj");
                    w.Int64(id);
                    w.EndObject();
                }
                lua_pop(L, 1);
            }
            w.EndArray();
        } else {
            const qint64 id = objectId(idx);
            w.StartObject();
            w.Key("obj");
            w.Int64(id);
            w.EndObject();
        }
    }
    return QByteArrayView(buffer.GetString(), static_cast<qsizetype>(buffer.GetSize()));
}

// ---- get / getObjects --------------------------------------------------------------------------

QByteArray VariableTree::getReply(ConnectionId connection, const std::vector<qint64>& ids)
{
    detail::JsonBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    w.Key("type");
    w.String("get");
    w.Key("data");
    w.StartObject();
    w.Key("variables");
    w.StartArray();
    for (const qint64 id : ids) {
        const Variable* v = find(connection, id);
        if (!v)
            continue;
        w.StartObject();
        w.Key("id");
        w.Int64(id);
        if (v->access != Access::Write && v->access != Access::Action) {
            w.Key("value");
            w.RawValue(v->json.constData(), static_cast<std::size_t>(v->json.size()),
                rapidjson::kObjectType);
        }
        w.Key("properties");
        w.StartObject();
        for (const VarProperty& p : v->properties) {
            w.Key(p.name.constData(), static_cast<rapidjson::SizeType>(p.name.size()));
            w.String(p.value.constData(), static_cast<rapidjson::SizeType>(p.value.size()));
        }
        w.EndObject();
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    w.EndObject();
    return QByteArray(buffer.GetString(), static_cast<qsizetype>(buffer.GetSize()));
}

QByteArray VariableTree::getObjectsReply(const std::vector<qint64>& objectIds)
{
    lua_State* L = m_L;
    LuaStackGuard guard(L);
    const int base = lua_gettop(L);
    detail::JsonBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    w.Key("type");
    w.String("getObjects");
    w.Key("data");
    w.StartObject();
    w.Key("objects");
    w.StartArray();
    QByteArray text;
    for (const qint64 id : objectIds) {
        w.StartObject();
        w.Key("obj");
        w.Int64(id);
        w.Key("value");
        lua_rawgeti(L, LUA_REGISTRYINDEX, m_idToObj);
        lua_rawgeti(L, -1, id);
        const int obj = lua_gettop(L);
        lua_Integer length = 0;
        if (lua_type(L, obj) != LUA_TTABLE) {
            w.Null();
        } else if (typeName(obj).isEmpty() && isArrayTable(L, obj, &length)) {
            encodeValue(obj, text, true);
            w.RawValue(
                text.constData(), static_cast<std::size_t>(text.size()), rapidjson::kArrayType);
        } else {
            // The object's fields: primitives as is, tables as refs, functions left out.
            std::vector<std::pair<QByteArray, int>> keys;
            std::vector<QByteArray> seen;
            // Own fields first, then defaults from the __index chain (prototype fields).
            int table = obj;
            for (int depth = 0; depth < kMaxIndexChain && table; ++depth) {
                lua_pushnil(L);
                while (lua_next(L, table) != 0) {
                    QByteArray key;
                    if (lua_type(L, -2) == LUA_TSTRING) {
                        key = lua::toBytes(L, -2);
                    } else if (lua_type(L, -2) == LUA_TNUMBER) {
                        char number[detail::kNumberKeyCapacity];
                        const std::size_t len = detail::formatNumberKey(L, -2, number);
                        key = QByteArray(number, static_cast<qsizetype>(len));
                    }
                    const bool shown = !key.isEmpty() && lua_type(L, -1) != LUA_TFUNCTION
                        && !key.startsWith("__") && !(table != obj && key == "type")
                        && std::find(seen.begin(), seen.end(), key) == seen.end();
                    if (shown) {
                        seen.push_back(key);
                        const int t = lua_type(L, -1);
                        if (t == LUA_TTABLE || t == LUA_TUSERDATA)
                            text = refJson(objectId(-1)); // nested tables are refs
                        else
                            encodeValue(-1, text, true);
                        keys.emplace_back(key + '\0' + text, 0);
                    }
                    lua_pop(L, 1);
                }
                // Next: the table its metatable's __index names, if it is a table.
                int next = 0;
                if (lua_getmetatable(L, table)) {
                    lua_pushliteral(L, "__index");
                    if (lua_rawget(L, -2) == LUA_TTABLE && !lua_rawequal(L, -1, table))
                        next = lua_gettop(L);
                }
                table = next;
            }
            std::sort(keys.begin(), keys.end());
            w.StartObject();
            for (const auto& [entry, unused] : keys) {
                const qsizetype nul = entry.indexOf('\0');
                w.Key(entry.constData(), static_cast<rapidjson::SizeType>(nul));
                w.RawValue(entry.constData() + nul + 1,
                    static_cast<std::size_t>(entry.size() - nul - 1), rapidjson::kObjectType);
            }
            w.EndObject();
        }
        lua_settop(L, base);
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    w.EndObject();
    return QByteArray(buffer.GetString(), static_cast<qsizetype>(buffer.GetSize()));
}

// ---- diagnostics -------------------------------------------------------------------------------

QByteArray VariableTree::variablesJson() const
{
    lua_State* L = m_L;
    LuaStackGuard guard(L);
    detail::JsonBuffer buffer;
    Writer w(buffer);
    auto text = [&](const char* key, QByteArrayView value) {
        w.Key(key);
        w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    };
    auto raw = [&](const char* key, const QByteArray& json) {
        w.Key(key);
        w.RawValue(json.constData(), static_cast<std::size_t>(json.size()), rapidjson::kObjectType);
    };
    w.StartArray();
    // Breadth-first from the roots, as the reference's browser expects.
    std::deque<std::pair<const Variable*, int>> queue;
    std::vector<Variable*> roots = m_roots;
    std::sort(roots.begin(), roots.end(),
        [](const Variable* a, const Variable* b) { return a->seq < b->seq; });
    for (const Variable* r : roots)
        queue.emplace_back(r, 0);
    while (!queue.empty()) {
        const auto [v, depth] = queue.front();
        queue.pop_front();
        w.StartObject();
        w.Key("id");
        w.Int64(v->id);
        w.Key("parentId");
        w.Int64(v->parent ? v->parent->id : 0);
        if (v->owner) {
            w.Key("connection");
            w.Uint64(v->owner);
        }
        if (const VarProperty* type = v->property("type"))
            text("type", type->value);
        pushValue(v);
        text("goType", QByteArray(luaL_typename(L, -1)));
        lua_pop(L, 1);
        if (v->hasPath) {
            if (const VarProperty* path = v->property("path"))
                text("path", path->value);
        }
        raw("value", v->json);
        raw("baseValue", v->baseJson);
        if (!v->properties.empty()) {
            w.Key("properties");
            w.StartObject();
            for (const VarProperty& p : v->properties) {
                w.Key(p.name.constData(), static_cast<rapidjson::SizeType>(p.name.size()));
                w.String(p.value.constData(), static_cast<rapidjson::SizeType>(p.value.size()));
            }
            w.EndObject();
        }
        if (!v->children.empty()) {
            w.Key("childIds");
            w.StartArray();
            for (const Variable* c : v->children)
                w.Int64(c->id);
            w.EndArray();
        }
        if (!v->error.isEmpty())
            text("error", v->error.toUtf8());
        if (v->computeTime.count()) {
            text("computeTime", durationText(v->computeTime));
            text("maxComputeTime", durationText(v->maxComputeTime));
        }
        w.Key("active");
        w.Bool(v->active());
        w.Key("watchers");
        w.Uint64(static_cast<uint64_t>(v->watchers.size()));
        if (const VarProperty* access = v->property("access"))
            text("access", access->value);
        if (!v->diags.isEmpty()) {
            w.Key("diags");
            w.StartArray();
            for (const QString& d : v->diags) {
                const QByteArray bytes = d.toUtf8();
                w.String(bytes.constData(), static_cast<rapidjson::SizeType>(bytes.size()));
            }
            w.EndArray();
        }
        w.Key("changeCount");
        w.Uint64(v->changeCount);
        w.Key("depth");
        w.Int(depth);
        if (const VarProperty* element = v->property("elementId"))
            text("elementId", element->value);
        w.EndObject();
        for (const Variable* c : v->children)
            queue.emplace_back(c, depth + 1);
    }
    w.EndArray();
    return QByteArray(buffer.GetString(), static_cast<qsizetype>(buffer.GetSize()));
}

} // namespace lunette::variables
