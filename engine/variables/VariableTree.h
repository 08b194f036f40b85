#pragma once

// VariableTree: one session's variables, its object registry and change detection
// (PROTOCOL.md, ui-engine digest §3–§4). Lives on the executor thread with the session's
// lua_State; every method that touches Lua must run inside the session's protected turn (so a
// memory error unwinds to the turn instead of aborting).
//
// Namespaces (PROTOCOL.md improvement 7): variables created by a client connection are keyed by
// (connection, client id) — each connection has its own id space — while variable 1 and the
// variables Lua creates (server ids) are session-wide and visible to every connection.
//
// Lua side: four tables in the registry hold what C++ must not keep as raw pointers — the value
// and the wrapper of each variable (keyed by the variable's creation sequence number), and the
// weak object registry object → id / id → object, so an object keeps its id for its lifetime
// (improvement 1).

#include <chrono>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <lua.hpp>

#include "Path.h"
#include "lua/LuaRef.h"
#include "server/SessionService.h"

namespace lunette {
class LuaState;
}

namespace lunette::variables {

enum class Priority : quint8 { High = 0, Medium = 1, Low = 2 };

struct VarProperty
{
    QByteArray name;
    QByteArray value;
    Priority priority = Priority::Medium;
};

// A failure, as sent in an `error` message.
struct VarError
{
    QByteArray code; // protocol::code::*
    QString description;
    QString traceback = {}; // Lua failures: "stack traceback:\n..."
};

struct Variable
{
    qint64 id = 0; // wire id within its namespace
    ConnectionId owner = 0; // 0: session-wide (variable 1, Lua-created variables)
    quint64 seq = 0; // creation order; key of the Lua-side slots
    Variable* parent = nullptr;
    std::vector<Variable*> children;
    bool hasPath = false;
    bool timed = false; // reading calls Lua (a getter): computeTime is measured
    ParsedPath path;
    Access access = Access::ReadWrite;
    std::vector<VarProperty> properties;
    Priority valuePriority = Priority::Medium;
    QByteArray baseJson = "null"; // value JSON of the raw value
    QByteArray json = "null"; // outgoing value JSON (the wrapper's ref when wrapped)
    QByteArray wrapperName; // `wrapper` property in effect ("" = none)
    bool wrapped = false;
    std::vector<ConnectionId> watchers;

    // Errors: the current one (shown in the variable browser) and whether it was reported.
    QString error;
    QByteArray errorCode;
    bool errorReported = false;
    QStringList diags;

    // Diagnostics
    quint64 changeCount = 0;
    std::chrono::nanoseconds computeTime {0};
    std::chrono::nanoseconds maxComputeTime {0};

    // Pending changes of this turn.
    bool dirty = false;
    bool valueChanged = false;
    std::vector<QByteArray> changedProperties;
    std::vector<ConnectionId> fullUpdateFor; // connections that asked for everything (watch)

    bool active() const { return !watchers.empty(); }
    const VarProperty* property(QByteArrayView name) const;
};

class VariableTree final
{
public:
    // Lua functions of the session runtime the tree calls (registry refs, set by the session).
    struct Hooks
    {
        LuaRef makeWrapper; // (name, varTable, value, itemType) -> wrapper | nil
        LuaRef syncWrapper; // (wrapper, value) -> triggered:boolean
        LuaRef createValue; // (typeName, value) -> object | nil
        LuaRef varTable; // (id, seq) -> varTable
    };

    explicit VariableTree(LuaState& lua);
    ~VariableTree();

    VariableTree(const VariableTree&) = delete;
    VariableTree& operator=(const VariableTree&) = delete;

    void setHooks(Hooks hooks) { m_hooks = std::move(hooks); }
    // Called with every diagnostic/log line the tree produces (wrapper failures, …).
    void setLogger(std::function<void(const QString&)> log) { m_log = std::move(log); }

    // ---- lookup ----
    // The connection's own variable `id`, else the session-wide one.
    Variable* find(ConnectionId connection, qint64 id) const;
    Variable* findSessionVariable(qint64 id) const;
    // The session-wide variable whose value is the object at idx (first by creation), or null.
    Variable* findByValue(int idx) const;
    Variable* app() const { return findSessionVariable(1); }
    Variable* bySeq(quint64 seq) const
    {
        const auto it = m_bySeq.find(seq);
        return it == m_bySeq.end() ? nullptr : it->second.get();
    }
    std::size_t size() const { return m_bySeq.size(); }

    // ---- creation and destruction ----
    // A client `create` (digest §2.5). The initial value is computed now (except for actions)
    // and sent by the next collect().
    Variable* createFromClient(ConnectionId connection, qint64 id, qint64 parentId,
                               const std::vector<std::pair<QByteArray, QByteArray>>& properties,
                               bool nowatch, VarError* error);
    // A variable Lua creates with a fixed value (the value at valueIdx): a root when parent is
    // null (next tracker id: 1 for the first), else a child with a negative id.
    Variable* createFromLua(Variable* parent, int valueIdx,
                            const std::vector<std::pair<QByteArray, QByteArray>>& properties,
                            VarError* error);
    // Destroy v and its descendants (children first); their ids go to `destroyedIds` in that
    // order when given. During a change-detection scan the destruction is deferred to its end.
    void destroy(Variable* v, std::vector<qint64>* destroyedIds = nullptr);
    // A connection closed: destroy its variables, drop it from every watcher list.
    void dropConnection(ConnectionId connection);

    // ---- client messages ----
    // Apply client properties (priority suffixes honoured). Changing `path`, `access` or
    // `wrapper` re-evaluates. Property changes made by the client are not echoed back.
    bool setProperties(Variable* v, const std::vector<std::pair<QByteArray, QByteArray>>& properties,
                       VarError* error);
    // Set the variable from client JSON (digest §3.4 write algorithm).
    bool setValue(Variable* v, QByteArrayView valueJson, VarError* error);
    void watch(Variable* v, ConnectionId connection);
    void unwatch(Variable* v, ConnectionId connection);
    // Whether `inactive` is set on v or an ancestor (inbound updates are then ignored).
    bool isInactive(const Variable* v) const;

    // Set a property from the server side (recorded, so it is sent). "" deletes it.
    void setServerProperty(Variable* v, QByteArrayView name, QByteArrayView value, Priority priority);

    // ---- change detection ----
    // Re-read every active variable, parent first; record changes. Repeats (at most 4 passes)
    // while a ViewList sync created new items. Returns the number of variables whose value
    // changed.
    int detectChanges();

    // The recorded changes as wire messages, per recipient connection, in order: high, medium,
    // low priority; within a priority by creation order (parent before child). Errors found by
    // detection follow. Clears the records.
    struct Outgoing
    {
        ConnectionId connection;
        QByteArray message;
    };
    void collect(std::vector<Outgoing>& out);

    // ---- get / getObjects (improvement 12) ----
    QByteArray getReply(ConnectionId connection, const std::vector<qint64>& ids);
    QByteArray getObjectsReply(const std::vector<qint64>& objectIds);

    // ---- values ----
    // Push the variable's navigation value (wrapper if wrapped, else value).  [-0, +1, m]
    void pushNavigationValue(const Variable* v) const;
    // Push the raw value.  [-0, +1, m]
    void pushValue(const Variable* v) const;
    // Object id of the value at idx, registering it.  [-0, +0, m]
    qint64 objectId(int idx);
    // Value JSON of the value at idx (registers objects).  [-0, +0, m]
    QByteArray valueJson(int idx);
    // Type name of the value at idx: metatable `type` (following __index tables), else own
    // `type` field; empty when none.  [-0, +0, e]
    QByteArray typeName(int idx);

    // The variable whose path is being computed (for diag() and timers), or null.
    Variable* computing() const { return m_computing; }
    void addDiag(Variable* v, const QString& text);

    // ---- diagnostics ----
    // The variable browser's JSON (digest §8.1).
    QByteArray variablesJson() const;
    // Change-detection passes that found a changed value (not creations, destructions, property
    // or error changes: see version()).
    quint64 scanCount() const { return m_scanCount; }
    // Grows with every change variablesJson() shows — a variable created or destroyed, its value,
    // properties, error, diagnostics or watchers — so a viewer can skip rebuilding the JSON when
    // it has not moved. Compute times alone do not count (they would move on every scan).
    // Starts at 1: 0 means "never seen".
    quint64 version() const { return m_version; }
    // Every variable in creation order (tests, GUI snapshots).
    std::vector<const Variable*> all() const;

private:
    struct Namespace
    {
        std::unordered_map<qint64, Variable*> byId;
    };

    Variable* newVariable(ConnectionId owner, qint64 id, Variable* parent);
    void applyProperty(Variable* v, QByteArrayView rawName, QByteArrayView value, bool record,
                       bool* pathChanged, bool* wrapperChanged, VarError* error);
    // Set (or with "" delete) a property; false when nothing changed.
    bool storeProperty(Variable* v, QByteArrayView name, QByteArrayView value, Priority priority);
    void markProperty(Variable* v, const QByteArray& name);
    void markValue(Variable* v);
    void markDirty(Variable* v);
    void report(Variable* v, QByteArrayView code, const QString& text);
    void clearError(Variable* v);

    // Reading: push the value of v's path, navigated from the value at parentIdx.
    bool read(Variable* v, int parentIdx, VarError* error);
    bool navigate(const std::vector<PathSegment>& segments, std::size_t count, int startIdx,
                  VarError* error);
    bool getField(int objIdx, const QByteArray& name, VarError* error);
    bool callMethod(int selfIdx, const QByteArray& name, int extraArgs, int nresults, VarError* error,
        bool asTask = false);
    // After a new raw value (on top of the stack): store it, update the wrapper, compute the
    // outgoing JSON and `type`. Pops the value.
    void acceptValue(Variable* v, QByteArray baseJson, bool record);
    void updateWrapper(Variable* v);
    void updateType(Variable* v);
    void scan(Variable* v, int parentIdx);
    void computeInitial(Variable* v);

    void encodeValue(int idx, QByteArray& out, bool nestedAsRef);
    // Value JSON of idx in a buffer reused by the next call.  [-0, +0, m]
    QByteArrayView encodeView(int idx);
    void storeSlot(int tableRef, quint64 seq, int valueIdx);
    void pushSlot(int tableRef, quint64 seq) const;
    void clearSlots(quint64 seq);

    LuaState& m_lua;
    lua_State* m_L;
    Hooks m_hooks;
    std::function<void(const QString&)> m_log;
    int m_values = LUA_NOREF; // seq -> raw value
    int m_wrappers = LUA_NOREF; // seq -> wrapper
    int m_objToId = LUA_NOREF; // weak keys
    int m_idToObj = LUA_NOREF; // weak values

    std::unordered_map<quint64, std::unique_ptr<Variable>> m_bySeq;
    Namespace m_session;
    std::unordered_map<ConnectionId, Namespace> m_connections;
    std::vector<Variable*> m_roots;
    std::vector<Variable*> m_dirty;
    quint64 m_nextSeq = 1;
    qint64 m_nextTrackerId = 1; // shared by root variables and objects (digest §2.6)
    qint64 m_nextChildId = -1;
    quint64 m_scanCount = 0;
    quint64 m_version = 1;
    bool m_syncTriggered = false;
    bool m_scanning = false;
    int m_changesThisPass = 0;
    std::vector<quint64> m_deferredDestroy; // seqs destroyed from Lua during a scan
    Variable* m_computing = nullptr;
    struct Buffer; // the JSON writer's buffer, reused across values
    std::unique_ptr<Buffer> m_buffer;
};

} // namespace lunette::variables
