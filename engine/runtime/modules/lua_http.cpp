// http (network): HTTP/HTTPS requests with QNetworkAccessManager (one per session, on the
// executor thread).
//
//   http.get(url [, opts]) -> resp | nil, err                        (waits)
//   http.request{method, url, headers, body, timeout, ...} -> resp | nil, err   (waits)
//   http.request(opts, {success = fn(resp), error = fn(err)})         (returns at once; one of
//                                                the functions runs later as a new task)
//   resp = {status = 200, headers = {["content-type"] = "…"}, body = "…", url = "final url"}
//   opts: method ("GET"), url, headers (name -> value), body (string), timeout (ms, default
//         30000), max_body (bytes, at most and by default 64 MiB), redirects (false: do not
//         follow them; by default up to 10 are followed, never from https to http).
//
// HTTP error statuses (404, 500) are responses, not errors. Errors: invalid (not an http/https
// URL, a bad method or header), timeout (retryable), network (refused, unreachable, too many
// redirects; retryable), io (the body is larger than max_body). Any host may be asked, loopback
// and private addresses included: the "network" permission is the gate (no SSRF filter yet).

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <lua.hpp>

#include "NetSupport.h"
#include "lua/LuaRuntime.h"
#include "runtime/Async.h"
#include "runtime/Errors.h"
#include "runtime/Module.h"
#include "runtime/TaskRunner.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

constexpr int kMaxRedirects = 10;

struct Spec
{
    QByteArray method = "GET";
    QUrl url;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    int timeoutMs = net::kDefaultTimeoutMs;
    qint64 maxBody = net::kMaxBufferBytes;
    bool redirects = true;
};

struct Result
{
    std::optional<ErrorKind> error;
    QString message;
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QUrl url;
};

// The URL of an http/https request, or an empty QUrl with *invalid set.
QUrl checkUrl(const QString& text, QString* invalid)
{
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty()) {
        *invalid = u"not a valid URL: '%1'"_s.arg(text);
        return {};
    }
    if (url.scheme() != u"http"_s && url.scheme() != u"https"_s) {
        *invalid = u"only http and https URLs are supported: '%1'"_s.arg(text);
        return {};
    }
    return url;
}

// Reads the request options of the table at idx into spec. Wrong types raise (naming argument
// arg); values that are well typed but unusable (a URL that is not http) return false with
// *invalid set.  [-0, +0, v]
bool readOptions(lua_State* L, int idx, int arg, bool withUrl, Spec& spec, QString* invalid)
{
    bool ok = true;
    const auto fail = [&](const QString& message) {
        if (ok)
            *invalid = message;
        ok = false;
    };
    if (withUrl) {
        if (lua_getfield(L, idx, "url") != LUA_TSTRING)
            luaL_argerror(L, arg, "'url' must be a string");
        QString why;
        spec.url = checkUrl(lua::toQString(L, -1), &why);
        if (spec.url.isEmpty())
            fail(why);
        lua_pop(L, 1);
        if (const int type = lua_getfield(L, idx, "method"); type != LUA_TNIL) {
            if (type != LUA_TSTRING)
                luaL_argerror(L, arg, "'method' must be a string");
            spec.method = lua::toBytes(L, -1).toUpper();
            if (!net::isToken(spec.method))
                fail(u"not a valid HTTP method: '%1'"_s.arg(lua::toQString(L, -1)));
        }
        lua_pop(L, 1);
        if (const int type = lua_getfield(L, idx, "body"); type != LUA_TNIL) {
            if (type != LUA_TSTRING && type != LUA_TNUMBER)
                luaL_argerror(L, arg, "'body' must be a string");
            spec.body = lua::toBytes(L, -1);
        }
        lua_pop(L, 1);
    }
    QString badHeader;
    if (!net::readHeaders(L, idx, arg, spec.headers, &badHeader))
        fail(badHeader);
    if (auto timeout = net::timeoutField(L, idx, "timeout", arg))
        spec.timeoutMs = *timeout;
    if (const int type = lua_getfield(L, idx, "max_body"); type != LUA_TNIL) {
        int isInteger = 0;
        const lua_Integer max = lua_tointegerx(L, -1, &isInteger);
        if (!isInteger || max < 0)
            luaL_argerror(L, arg, "'max_body' must be a number of bytes");
        spec.maxBody = std::min<qint64>(max, net::kMaxBufferBytes);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "redirects") != LUA_TNIL)
        spec.redirects = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return ok;
}

QNetworkAccessManager* manager(lua_State* L)
{
    QObject* ctx = net::context(L);
    auto* nam = ctx->findChild<QNetworkAccessManager*>(QString(), Qt::FindDirectChildrenOnly);
    if (!nam) {
        nam = new QNetworkAccessManager(ctx);
        nam->setAutoDeleteReplies(false);
        nam->setTransferTimeout(0); // our own timer limits the whole request
    }
    return nam;
}

struct Pending
{
    enum class Abort
    {
        None,
        Timeout,
        TooLarge,
        Canceled
    };
    QPointer<QNetworkReply> reply;
    std::function<void(Result&&)> done;
    Abort why = Abort::None;
    bool finished = false;
    int timeoutMs = 0;
    qint64 maxBody = 0;
};

void finish(const std::shared_ptr<Pending>& p)
{
    if (p->finished || !p->reply)
        return;
    p->finished = true;
    QNetworkReply* reply = p->reply;
    reply->deleteLater();
    Result r;
    r.url = reply->url();
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    const int code = reply->error();
    // Content (2xx) and server (4xx) errors are just HTTP statuses: the response is the result.
    const bool httpStatus = code == QNetworkReply::NoError || (code >= 201 && code <= 299)
        || (code >= 401 && code <= 499);
    if (p->why == Pending::Abort::Timeout) {
        r.error = ErrorKind::Timeout;
        r.message = u"request timed out after %1 ms"_s.arg(p->timeoutMs);
    } else if (p->why == Pending::Abort::TooLarge) {
        r.error = ErrorKind::Io;
        r.message = u"the response body is larger than %1 bytes"_s.arg(p->maxBody);
    } else if (code == QNetworkReply::TooManyRedirectsError) {
        r.error = ErrorKind::Network;
        r.message = u"more than %1 redirects"_s.arg(kMaxRedirects);
    } else if (!status.isValid() || !httpStatus) {
        r.error = ErrorKind::Network;
        r.message = reply->errorString();
    } else {
        r.status = status.toInt();
        for (const auto& [name, value] : reply->rawHeaderPairs()) {
            const QByteArray lower = name.toLower();
            auto it = std::find_if(r.headers.begin(), r.headers.end(),
                [&](const auto& h) { return h.first == lower; });
            if (it == r.headers.end())
                r.headers.append({ lower, value });
            else
                it->second += ", " + value;
        }
        r.body = reply->readAll();
    }
    auto done = std::move(p->done);
    if (done)
        done(std::move(r));
}

// Send the request; `done` gets the result later (never from inside this call). Returns what
// aborts it without calling `done`.
std::function<void()> startRequest(
    QNetworkAccessManager* nam, const Spec& spec, std::function<void(Result&&)> done)
{
    QNetworkRequest request(spec.url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
        spec.redirects ? QNetworkRequest::NoLessSafeRedirectPolicy
                       : QNetworkRequest::ManualRedirectPolicy);
    request.setMaximumRedirectsAllowed(kMaxRedirects);
    request.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("Lunette"));
    for (const auto& [name, value] : spec.headers)
        request.setRawHeader(name, value);

    QNetworkReply* reply = nullptr;
    if (spec.method == "GET" && spec.body.isEmpty())
        reply = nam->get(request);
    else if (spec.method == "HEAD")
        reply = nam->head(request);
    else
        reply = nam->sendCustomRequest(request, spec.method, spec.body);

    auto p = std::make_shared<Pending>();
    p->reply = reply;
    p->done = std::move(done);
    p->timeoutMs = spec.timeoutMs;
    p->maxBody = spec.maxBody;

    auto* timer = new QTimer(reply);
    timer->setSingleShot(true);
    QObject::connect(timer, &QTimer::timeout, reply, [p] {
        if (p->reply && !p->finished) {
            p->why = Pending::Abort::Timeout;
            p->reply->abort();
        }
    });
    timer->start(spec.timeoutMs);

    const auto checkSize = [p] {
        if (!p->reply || p->finished || p->why != Pending::Abort::None)
            return;
        const qint64 declared = p->reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
        if (declared > p->maxBody || p->reply->bytesAvailable() > p->maxBody) {
            p->why = Pending::Abort::TooLarge;
            p->reply->abort();
        }
    };
    QObject::connect(reply, &QNetworkReply::metaDataChanged, reply, checkSize);
    QObject::connect(reply, &QNetworkReply::readyRead, reply, checkSize);
    // Queued: finished() may come from inside abort(), called from Lua (cancel) or a slot.
    QObject::connect(
        reply, &QNetworkReply::finished, reply, [p] { finish(p); }, Qt::QueuedConnection);

    return [weak = std::weak_ptr<Pending>(p)] {
        auto p = weak.lock();
        if (!p || p->finished || !p->reply)
            return;
        p->finished = true;
        p->why = Pending::Abort::Canceled;
        p->done = nullptr;
        p->reply->abort();
        p->reply->deleteLater();
    };
}

int pushResponse(lua_State* L, const Result& r)
{
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, r.status);
    lua_setfield(L, -2, "status");
    lua_createtable(L, 0, static_cast<int>(r.headers.size()));
    for (const auto& [name, value] : r.headers) {
        lua::pushBytes(L, name);
        lua::pushBytes(L, value);
        lua_rawset(L, -3);
    }
    lua_setfield(L, -2, "headers");
    lua::pushBytes(L, r.body);
    lua_setfield(L, -2, "body");
    lua::pushString(L, r.url.toString());
    lua_setfield(L, -2, "url");
    return 1;
}

// resp, or nil, err.
ResultPusher resultPusher(Result&& r)
{
    return [r = std::move(r)](lua_State* L) {
        if (r.error)
            return failWith(L, *r.error, r.message);
        return pushResponse(L, r);
    };
}

// The callback form: runs success(resp) or error(err) later, as a new task.
int requestWithCallbacks(
    lua_State* L, int callbacks, const Spec& spec, bool valid, const QString& invalid)
{
    luaL_checktype(L, callbacks, LUA_TTABLE);
    LuaCallback success;
    LuaCallback error;
    for (const char* name : { "success", "error" }) {
        const int type = lua_getfield(L, callbacks, name);
        if (type != LUA_TNIL && type != LUA_TFUNCTION)
            luaL_argerror(L, callbacks, lua_pushfstring(L, "'%s' must be a function", name));
        if (type == LUA_TFUNCTION)
            (qstrcmp(name, "success") == 0 ? success : error) = LuaCallback(L, -1);
        lua_pop(L, 1);
    }
    if (!TaskRunner::from(L))
        return luaL_error(L, "http.request: callbacks need a running session");
    const auto report = [error](ErrorKind kind, const QString& message) {
        error(
            [kind, message](lua_State* S) {
                pushError(S, kind, message);
                return 1;
            },
            "http.request error callback");
    };
    if (!valid) {
        net::later(net::context(L), [report, invalid] { report(ErrorKind::Invalid, invalid); });
        return 0;
    }
    startRequest(manager(L), spec, [success, report](Result&& r) {
        if (r.error)
            report(*r.error, r.message);
        else
            success([r = std::move(r)](lua_State* S) { return pushResponse(S, r); },
                "http.request success callback");
    });
    return 0;
}

int wait(lua_State* L, const char* what, const Spec& spec)
{
    QPointer<QNetworkAccessManager> nam = manager(L);
    return suspend(L, what, [nam, spec](Resumer resume) {
        if (!nam) {
            resume(net::failure(ErrorKind::Canceled, u"the session ended"_s));
            return;
        }
        resume.onCancel(
            startRequest(nam, spec, [resume](Result&& r) { resume(resultPusher(std::move(r))); }));
    });
}

int request(lua_State* L)
{
    Spec spec;
    QString invalid;
    bool valid = true;
    if (lua_type(L, 1) == LUA_TSTRING) { // http.request(url [, callbacks])
        spec.url = checkUrl(lua::toQString(L, 1), &invalid);
        valid = !spec.url.isEmpty();
    } else {
        luaL_checktype(L, 1, LUA_TTABLE);
        valid = readOptions(L, 1, 1, true, spec, &invalid);
    }
    if (!lua_isnoneornil(L, 2))
        return requestWithCallbacks(L, 2, spec, valid, invalid);
    if (!valid)
        return failWith(L, ErrorKind::Invalid, invalid);
    return wait(L, "http.request", spec);
}

int get(lua_State* L)
{
    Spec spec;
    QString invalid;
    spec.url = checkUrl(lua::checkQString(L, 1), &invalid);
    bool valid = !spec.url.isEmpty();
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        valid = readOptions(L, 2, 2, false, spec, &invalid) && valid;
    }
    if (!valid)
        return failWith(L, ErrorKind::Invalid, invalid);
    return wait(L, "http.get", spec);
}

int build(lua_State* L)
{
    static const luaL_Reg functions[] = {
        { "get", get },
        { "request", request },
        { nullptr, nullptr },
    };
    luaL_newlib(L, functions);
    return 1;
}

} // namespace

extern const ModuleDef kHttpModule {
    "http",
    "HTTP and HTTPS requests (waiting or with callbacks)",
    Capability::Network,
    build,
    R"lua(---@meta http
local http = {}

---@class http.Response
---@field status integer HTTP status (error statuses such as 404 are responses too)
---@field headers table<string, string> response headers, names in lower case
---@field body string
---@field url string the final URL (after redirects)

---@class http.Options
---@field method? string "GET" by default
---@field url? string http or https
---@field headers? table<string, string>
---@field body? string
---@field timeout? number milliseconds for the whole request, default 30000
---@field max_body? integer largest accepted body in bytes (at most and by default 64 MiB)
---@field redirects? boolean false: return 3xx responses instead of following them

---@class http.Callbacks
---@field success? fun(resp: http.Response)
---@field error? fun(err: lunette.Error)

---GET a URL. Waits (the running action or timer pauses, its changes so far are shown) and
---returns the response, or nil and an error (kind invalid, timeout, network or io).
---@param url string
---@param options? http.Options headers, timeout, max_body, redirects
---@return http.Response? resp
---@return lunette.Error? err
function http.get(url, options) end

---Sends a request and waits for the response (as http.get). With callbacks it returns at once
---and later runs callbacks.success(resp) or callbacks.error(err) as a new task.
---@param options http.Options|string the request, or just a URL
---@param callbacks? http.Callbacks
---@return http.Response? resp
---@return lunette.Error? err
function http.request(options, callbacks) end

return http
)lua",
};

} // namespace lunette
