#include "WebService.h"

#include <memory>
#include <utility>

#include <QJsonDocument>
#include <QJsonObject>

#include <lua.hpp>

#include "AnswerOnce.h"
#include "Session.h"
#include "lua/LuaJson.h"
#include "lua/LuaRuntime.h"
#include "lua/LuaStackGuard.h"
#include "lua/LuaState.h"
#include "runtime/TaskRunner.h"
#include "runtime/WebRoutes.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

using WebResponse = SessionService::WebResponse;
using WebRequest = SessionService::WebRequest;

WebResponse jsonError(
    int status, const QString& code, const QString& message, const QString& traceback = {})
{
    QJsonObject error { { u"code"_s, code }, { u"message"_s, message } };
    if (!traceback.isEmpty())
        error.insert(u"traceback"_s, traceback);
    WebResponse response;
    response.status = status;
    response.contentType = QByteArrayLiteral("application/json");
    response.body
        = QJsonDocument(QJsonObject { { u"error"_s, error } }).toJson(QJsonDocument::Compact);
    return response;
}

// req = { method, path, query = {…}, headers = {…}, body }.  [-0, +1, m]
void pushRequest(lua_State* L, const WebRequest& request)
{
    lua_createtable(L, 0, 5);
    lua::pushString(L, request.method);
    lua_setfield(L, -2, "method");
    lua::pushString(L, request.path);
    lua_setfield(L, -2, "path");
    lua_createtable(L, 0, static_cast<int>(request.query.size()));
    for (const auto& [name, value] : request.query) {
        lua::pushString(L, name);
        lua::pushString(L, value);
        lua_rawset(L, -3);
    }
    lua_setfield(L, -2, "query");
    lua_createtable(L, 0, static_cast<int>(request.headers.size()));
    for (const auto& [name, value] : request.headers) {
        const QByteArray lower = name.toLower();
        lua_pushlstring(L, lower.constData(), static_cast<size_t>(lower.size()));
        lua_pushlstring(L, value.constData(), static_cast<size_t>(value.size()));
        lua_rawset(L, -3);
    }
    lua_setfield(L, -2, "headers");
    lua_pushlstring(L, request.body.constData(), static_cast<size_t>(request.body.size()));
    lua_setfield(L, -2, "body");
}

// The handler's return value at idx as a response, or what is wrong with it. Leaves what it
// pushed on the stack (toResponse cleans up).  [-0, +?, m]
Expected<WebResponse, QString> readResponse(lua_State* L, int idx)
{
    idx = lua_absindex(L, idx);
    WebResponse response;
    switch (lua_type(L, idx)) {
    case LUA_TNONE:
    case LUA_TNIL:
        response.status = 204;
        return response;
    case LUA_TSTRING: {
        size_t size = 0;
        const char* text = lua_tolstring(L, idx, &size);
        response.contentType = QByteArrayLiteral("text/plain; charset=utf-8");
        response.body = QByteArray(text, static_cast<qsizetype>(size));
        return response;
    }
    case LUA_TTABLE:
        break;
    default:
        return unexpected(u"a route must return a table, a string or nothing, not a %1"_s.arg(
            QString::fromUtf8(luaL_typename(L, idx))));
    }

    if (lua_getfield(L, idx, "status") != LUA_TNIL) {
        int isInteger = 0;
        const lua_Integer status = lua_tointegerx(L, -1, &isInteger);
        if (!isInteger || status < 100 || status > 599)
            return unexpected(u"the response's status must be a whole number from 100 to 599"_s);
        response.status = static_cast<int>(status);
    }
    lua_pop(L, 1);

    bool hasContentType = false;
    if (const int type = lua_getfield(L, idx, "headers"); type == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            if (lua_type(L, -2) != LUA_TSTRING
                || !(lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER))
                return unexpected(u"the response's headers must map names to strings"_s);
            const QByteArray name = lua_tostring(L, -2);
            lua_pushvalue(L, -1); // tostring converts numbers in place: work on a copy
            const QByteArray value = lua_tostring(L, -1);
            lua_pop(L, 2);
            const QByteArray lower = name.toLower();
            if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection")
                return unexpected(
                    u"the header %1 is the server's to set"_s.arg(QString::fromUtf8(name)));
            if (name.contains('\r') || name.contains('\n') || value.contains('\r')
                || value.contains('\n'))
                return unexpected(u"a header must not contain a line break"_s);
            if (lower == "content-type") {
                response.contentType = value;
                hasContentType = true;
            } else {
                response.headers.emplace_back(name, value);
            }
        }
    } else if (type != LUA_TNIL) {
        return unexpected(u"the response's headers must be a table"_s);
    }
    lua_pop(L, 1);

    const int body = lua_getfield(L, idx, "body");
    const int json = lua_getfield(L, idx, "json");
    if (body != LUA_TNIL && json != LUA_TNIL)
        return unexpected(u"a response has a body or json, not both"_s);
    if (json != LUA_TNIL) {
        auto encoded = LuaJson::encode(L, -1);
        if (!encoded)
            return unexpected(u"the response's json cannot be encoded: "_s + encoded.error());
        response.body = *encoded;
        if (!hasContentType)
            response.contentType = QByteArrayLiteral("application/json");
    } else if (body != LUA_TNIL) {
        if (body != LUA_TSTRING)
            return unexpected(u"the response's body must be a string (or use json)"_s);
        size_t size = 0;
        const char* text = lua_tolstring(L, -2, &size);
        response.body = QByteArray(text, static_cast<qsizetype>(size));
        if (!hasContentType)
            response.contentType = QByteArrayLiteral("text/plain; charset=utf-8");
    }
    lua_pop(L, 2);
    return response;
}

// readResponse with the stack as it was, whichever way it ended.  [-0, +0, m]
Expected<WebResponse, QString> toResponse(lua_State* L, int idx)
{
    idx = lua_absindex(L, idx);
    const int top = lua_gettop(L);
    auto response = readResponse(L, idx);
    lua_settop(L, top);
    return response;
}

} // namespace

void answerWebRequest(
    Session& session, const WebRequest& request, std::function<void(const WebResponse&)> done)
{
    auto answer = std::make_shared<AnswerOnce<WebResponse>>(std::move(done),
        jsonError(
            503, u"session-ended"_s, u"the service session ended before the route answered"_s));
    const QString label = request.method + u' ' + request.path;
    // What became of the handler: its response, or the failure (logged to the session).
    const auto respond = [&session, answer, label](lua_State* L, int idx, const LuaError* error) {
        if (error) {
            session.log(Session::LogError, u"route %1 failed: %2"_s.arg(label, error->fullText()));
            (*answer)(jsonError(500, u"lua-error"_s, error->message, error->traceback));
            return;
        }
        auto response = toResponse(L, idx);
        if (!response) {
            session.log(Session::LogError, u"route %1: %2"_s.arg(label, response.error()));
            (*answer)(
                jsonError(500, u"bad-response"_s, u"route %1: %2"_s.arg(label, response.error())));
            return;
        }
        (*answer)(*response);
    };

    LuaState& lua = session.lua();
    lua_State* L = lua.state();
    session.markActive();
    const auto turn = session.runTurn(
        [&] {
            LuaStackGuard guard(L);
            const int base = lua_gettop(L);
            const web::Lookup found = web::findRoute(L, request.method, request.path);
            if (found.kind == web::Lookup::Kind::NotFound) {
                (*answer)(jsonError(404, u"not-found"_s,
                    u"no route %1 (the site registered: %2)"_s.arg(label,
                        web::routeKeys(L).join(u", "_s).isEmpty()
                            ? u"none"_s
                            : web::routeKeys(L).join(u", "_s))));
                return;
            }
            if (found.kind == web::Lookup::Kind::WrongMethod) {
                WebResponse response = jsonError(405, u"method-not-allowed"_s,
                    u"%1 takes %2"_s.arg(request.path, found.allowed.join(u", "_s)));
                response.headers.emplace_back("Allow", found.allowed.join(u", "_s).toLatin1());
                (*answer)(response);
                return;
            }
            pushRequest(L, request);
            auto later = [respond](lua_State* S, int count, const LuaError* error) {
                respond(S, count > 0 ? -1 : lua_gettop(S) + 1, error);
            };
            const auto started = session.tasks().start(1, 1, u"route "_s + label, 0, later);
            if (!started)
                respond(L, 0, &started.error());
            else if (started->finished)
                respond(L, base + 1, nullptr);
            lua_settop(L, base);
        },
        true);
    if (!turn)
        respond(L, 0, &turn.error());
}

} // namespace lunette
