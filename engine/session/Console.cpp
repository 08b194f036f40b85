#include "Console.h"

#include <algorithm>
#include <optional>

#include <QRegularExpression>

#include "Session.h"
#include "lua/LuaJson.h"
#include "lua/LuaRuntime.h"
#include "lua/LuaStackGuard.h"
#include "lua/LuaState.h"
#include "protocol/Message.h"
#include "runtime/TaskRunner.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

constexpr auto kChunkName = "console";
constexpr int kMaxIndexChain = 8;

// tostring(v) under protection: a failing __tostring is an error, not a crash.  [-1, +1, e]
int toDisplay(lua_State* L)
{
    luaL_tolstring(L, 1, nullptr);
    return 1;
}

// Compile `input` the way lua.c does: as `return <input>` when that compiles, else as is; pushes
// the function. On failure `incomplete` tells whether the input stopped in mid-statement.
Expected<void, LuaError> compile(LuaState& lua, const QString& input, bool* incomplete)
{
    *incomplete = false;
    if (lua.load((u"return "_s + input).toUtf8(), QString::fromLatin1(kChunkName)))
        return {};
    auto loaded = lua.load(input.toUtf8(), QString::fromLatin1(kChunkName));
    if (!loaded && loaded.error().message.endsWith(u"<eof>"_s))
        *incomplete = true;
    return loaded;
}

} // namespace

namespace {

// The values from base+1 to the top, shown with tostring() (protected) and tab-separated; false
// (with the reply's error set) when a __tostring failed.
bool showResults(LuaState& lua, int base, ConsoleReply* reply)
{
    lua_State* L = lua.state();
    QStringList values;
    QByteArray json = "[";
    const int count = lua_gettop(L) - base;
    for (int i = 1; i <= count; ++i) {
        lua_pushcfunction(L, toDisplay);
        lua_pushvalue(L, base + i);
        auto shown = lua.call(1, 1);
        if (!shown) {
            reply->status = ConsoleReply::Status::Error;
            reply->error = shown.error().message;
            reply->traceback = shown.error().traceback;
            return false;
        }
        values.append(lua::toQString(L, -1));
        auto encoded = LuaJson::encode(L, base + i);
        if (i > 1)
            json += ',';
        json += encoded ? *encoded : protocol::jsonString(values.constLast().toUtf8());
        lua_pop(L, 1);
    }
    reply->results = values.join(u'\t');
    reply->shown = values;
    reply->valuesJson = json + ']';
    return true;
}

void setError(ConsoleReply* reply, const LuaError& error)
{
    reply->status = ConsoleReply::Status::Error;
    reply->error = error.message;
    reply->traceback = error.traceback;
}

} // namespace

void evaluateInConsole(
    Session& session, const QString& input, std::function<void(const ConsoleReply&)> done)
{
    ConsoleReply reply;
    LuaState& lua = session.lua();
    lua_State* L = lua.state();
    const auto evaluate = [&](int base) {
        bool incomplete = false;
        if (auto compiled = compile(lua, input, &incomplete); !compiled) {
            reply.status
                = incomplete ? ConsoleReply::Status::Incomplete : ConsoleReply::Status::Error;
            reply.error = compiled.error().message;
            return;
        }
        // As a task (it may wait); its end, if later, comes to the completion.
        auto finishLater = [&lua, done](lua_State* S, int count, const LuaError* error) {
            ConsoleReply later;
            if (error)
                setError(&later, *error);
            else
                showResults(lua, lua_gettop(S) - count, &later);
            done(later);
        };
        auto previous
            = lua.exchangeOutputSink([&](const QString& line) { reply.output.append(line); });
        const auto started = session.tasks().start(0, LUA_MULTRET, u"console"_s, 0, finishLater);
        lua.exchangeOutputSink(std::move(previous));
        if (!started) {
            setError(&reply, started.error());
            return;
        }
        if (!started->finished) {
            reply.status = ConsoleReply::Status::Waiting;
            return;
        }
        showResults(lua, base, &reply);
    };
    const auto turn = session.runTurn(
        [&] {
            LuaStackGuard guard(L);
            const int base = lua_gettop(L);
            evaluate(base);
            lua_settop(L, base);
        },
        true);
    if (!turn && reply.status == ConsoleReply::Status::Ok)
        setError(&reply, turn.error());
    done(reply);
}

ConsoleReply evaluateInConsole(Session& session, const QString& input)
{
    // Shared: the end of a waiting input arrives after this returned.
    auto first = std::make_shared<std::optional<ConsoleReply>>();
    evaluateInConsole(session, input, [first](const ConsoleReply& reply) {
        if (!first->has_value())
            *first = reply;
    });
    return first->value_or(ConsoleReply {});
}

QStringList completeInConsole(Session& session, const QString& text)
{
    static const QRegularExpression chain(
        u"([A-Za-z_][A-Za-z0-9_]*(?:[.:][A-Za-z_][A-Za-z0-9_]*)*)?([.:]?)([A-Za-z_][A-Za-z0-9_]*)?$"_s);
    const QRegularExpressionMatch match = chain.match(text);
    QString path = match.captured(1);
    QString separator = match.captured(2);
    QString partial = match.captured(3);
    if (separator.isEmpty() && partial.isEmpty() && !path.isEmpty()) {
        // "sess": the last name of the chain is the partial one.
        const qsizetype cut = std::max(path.lastIndexOf(u'.'), path.lastIndexOf(u':'));
        partial = path.mid(cut + 1);
        separator = cut < 0 ? QString() : path.mid(cut, 1);
        path = cut < 0 ? QString() : path.left(cut);
    }
    if (separator == u":"_s && path.contains(u':'))
        return {}; // a method call has no fields
    const QString head = text.left(text.size() - partial.size());

    lua_State* L = session.lua().state();
    LuaStackGuard guard(L);
    const int base = lua_gettop(L);
    // Walk the chain with raw gets through __index tables: completion never runs Lua code.
    const auto rawField = [L](int table, const QString& name) {
        table = lua_absindex(L, table);
        for (int depth = 0; depth < kMaxIndexChain && lua_istable(L, table); ++depth) {
            lua::pushString(L, name);
            if (lua_rawget(L, table) != LUA_TNIL)
                return true;
            lua_pop(L, 1);
            if (!lua_getmetatable(L, table))
                break;
            lua_pushliteral(L, "__index");
            lua_rawget(L, -2);
            lua_remove(L, -2);
            lua_replace(L, table);
        }
        lua_pushnil(L);
        return false;
    };
    lua_pushglobaltable(L);
    if (!path.isEmpty()) {
        for (const QString& name : path.split(QRegularExpression(u"[.:]"_s))) {
            rawField(-1, name);
            lua_remove(L, -2);
        }
    }
    QStringList candidates;
    const bool methodsOnly = separator == u":"_s;
    for (int depth = 0; depth < kMaxIndexChain && lua_istable(L, -1); ++depth) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            if (lua_type(L, -2) == LUA_TSTRING && (!methodsOnly || lua_isfunction(L, -1))) {
                const QString key = lua::toQString(L, -2);
                static const QRegularExpression identifier(u"^[A-Za-z_][A-Za-z0-9_]*$"_s);
                if (key.startsWith(partial) && identifier.match(key).hasMatch())
                    candidates.append(head + key);
            }
            lua_pop(L, 1);
        }
        if (!lua_getmetatable(L, -1))
            break;
        lua_pushliteral(L, "__index");
        lua_rawget(L, -2);
        lua_remove(L, -2);
        lua_remove(L, -2);
    }
    lua_settop(L, base);
    candidates.sort();
    candidates.removeDuplicates();
    return candidates;
}

} // namespace lunette
