#include "ApiRoutes.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QStringList>

#include "site/Site.h"

using namespace Qt::StringLiterals;

namespace lunette::api {

namespace {

using Method = QHttpServerRequest::Method;

HttpReply methodNotAllowed(QByteArrayView allow)
{
    HttpReply reply = error(HttpStatus::MethodNotAllowed, "method-not-allowed",
        u"this route takes "_s + QString::fromLatin1(allow));
    reply.headers.emplace_back("Allow", allow.toByteArray());
    return reply;
}

HttpReply json(HttpStatus status, const QJsonObject& object)
{
    return jsonReply(status, QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QString wallTime(std::chrono::steady_clock::time_point at)
{
    using namespace std::chrono;
    const auto ago = duration_cast<milliseconds>(steady_clock::now() - at).count();
    return QDateTime::currentDateTimeUtc().addMSecs(-ago).toString(Qt::ISODateWithMs);
}

QJsonArray strings(const QStringList& list)
{
    return QJsonArray::fromStringList(list);
}

// The Lua failure of an eval or a reload: {"error":{code, message, traceback}, "output"?}.
QJsonObject luaFailure(QByteArrayView code, const QString& message, const QString& traceback)
{
    QJsonObject error { { u"code"_s, QString::fromLatin1(code) }, { u"message"_s, message } };
    if (!traceback.isEmpty())
        error.insert(u"traceback"_s, traceback);
    return QJsonObject { { u"error"_s, error } };
}

} // namespace

bool Request::changesState() const
{
    return route == Route::SessionEval || route == Route::SessionReload
        || route == Route::SessionDelete;
}

Expected<Request, HttpReply> route(Method method, QStringView path)
{
    const bool read = method == Method::Get || method == Method::Head;
    const auto only = [&](Request request, Method wanted,
                          QByteArrayView allow) -> Expected<Request, HttpReply> {
        const bool ok = wanted == Method::Get ? read : method == wanted;
        if (!ok)
            return unexpected(methodNotAllowed(allow));
        return request;
    };

    if (path == u"/health"_s)
        return only({ Route::Health, {} }, Method::Get, "GET, HEAD");
    if (path == u"/site"_s)
        return only({ Route::Site, {} }, Method::Get, "GET, HEAD");
    if (path == u"/sessions"_s)
        return only({ Route::Sessions, {} }, Method::Get, "GET, HEAD");
    if (path.startsWith(u"/sessions/"_s)) {
        const QStringView rest = path.mid(10);
        const qsizetype slash = rest.indexOf(u'/');
        const QStringView id = slash < 0 ? rest : rest.left(slash);
        const QStringView below = slash < 0 ? QStringView() : rest.mid(slash);
        if (!isSessionId(id))
            return unexpected(unknownSession());
        const QString sessionId = id.toString();
        if (below.isEmpty())
            return only({ Route::SessionDelete, sessionId }, Method::Delete, "DELETE");
        if (below == u"/variables"_s)
            return only({ Route::SessionVariables, sessionId }, Method::Get, "GET, HEAD");
        if (below == u"/eval"_s)
            return only({ Route::SessionEval, sessionId }, Method::Post, "POST");
        if (below == u"/reload"_s)
            return only({ Route::SessionReload, sessionId }, Method::Post, "POST");
    }
    return unexpected(error(HttpStatus::NotFound, "not-found",
        u"no API route /api%1 (see GET /api/health, /api/site, /api/sessions)"_s.arg(path)));
}

HttpReply error(HttpStatus status, QByteArrayView code, const QString& message)
{
    return json(status,
        QJsonObject { { u"error"_s,
            QJsonObject {
                { u"code"_s, QString::fromLatin1(code) }, { u"message"_s, message } } } });
}

HttpReply refused(Authorizer::Verdict verdict)
{
    switch (verdict) {
    case Authorizer::Verdict::BadToken: {
        HttpReply reply = error(HttpStatus::Unauthorized, "unauthorized",
            u"missing or wrong token: send \"Authorization: Bearer <token>\""_s);
        reply.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"lunette\"");
        return reply;
    }
    case Authorizer::Verdict::BadHost:
        return error(HttpStatus::Forbidden, "bad-host",
            u"the Host header must name this server by a loopback name and its port"_s);
    case Authorizer::Verdict::BadOrigin:
        return error(HttpStatus::Forbidden, "bad-origin",
            u"requests from another origin may not change anything"_s);
    case Authorizer::Verdict::Allowed:
        break;
    }
    return error(HttpStatus::Forbidden, "forbidden", u"forbidden"_s);
}

Expected<QString, HttpReply> evalCode(const QByteArray& body)
{
    const auto bad = [](const QString& message) {
        return unexpected(error(HttpStatus::BadRequest, "bad-request", message));
    };
    QJsonParseError parseError {};
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return bad(u"the body is not JSON: %1 at offset %2"_s.arg(
            parseError.errorString(), QString::number(parseError.offset)));
    if (!document.isObject())
        return bad(u"the body must be a JSON object: {\"code\": \"…\"}"_s);
    const QJsonValue code = document.object().value(u"code"_s);
    if (code.isUndefined())
        return bad(u"the body has no \"code\": send {\"code\": \"…\"}"_s);
    if (!code.isString())
        return bad(u"\"code\" must be a string"_s);
    return code.toString();
}

HttpReply healthReply(const Site& site, std::size_t sessions, std::chrono::seconds uptime)
{
    return json(HttpStatus::Ok,
        QJsonObject { { u"status"_s, u"ok"_s }, { u"version"_s, QStringLiteral(LUNETTE_VERSION) },
            { u"site"_s, site.name() }, { u"sessions"_s, static_cast<qint64>(sessions) },
            { u"uptimeSeconds"_s, static_cast<qint64>(uptime.count()) } });
}

HttpReply siteReply(const Site& site, const HotReloadState& hotReload)
{
    const SiteManifest& m = site.manifest();
    QJsonObject window;
    if (!m.title.isEmpty())
        window.insert(u"title"_s, m.title);
    if (m.width > 0)
        window.insert(u"width"_s, m.width);
    if (m.height > 0)
        window.insert(u"height"_s, m.height);
    if (!m.icon.isEmpty())
        window.insert(u"icon"_s, m.icon);
    QJsonObject manifest { { u"entry"_s, m.entry }, { u"permissions"_s, strings(m.permissions) } };
    const std::pair<const char*, const QString*> texts[]
        = { { "name", &m.name }, { "version", &m.version }, { "description", &m.description },
              { "author", &m.author }, { "id", &m.id } };
    for (const auto& [key, value] : texts) {
        if (!value->isEmpty())
            manifest.insert(QLatin1StringView(key), *value);
    }
    if (!window.isEmpty())
        manifest.insert(u"window"_s, window);

    QJsonObject reload { { u"enabled"_s, hotReload.enabled } };
    if (hotReload.last) {
        const HotReloadState::Reload& last = *hotReload.last;
        QJsonObject lastJson { { u"file"_s, last.file }, { u"ok"_s, last.ok },
            { u"at"_s, last.at.toUTC().toString(Qt::ISODateWithMs) } };
        if (!last.ok) {
            lastJson.insert(u"error"_s, last.error);
            if (!last.location.isEmpty())
                lastJson.insert(u"location"_s, last.location);
            if (!last.traceback.isEmpty())
                lastJson.insert(u"traceback"_s, last.traceback);
        }
        reload.insert(u"last"_s, lastJson);
    } else {
        reload.insert(u"last"_s, QJsonValue::Null);
    }
    return json(HttpStatus::Ok,
        QJsonObject { { u"name"_s, site.name() }, { u"root"_s, site.root() },
            { u"manifest"_s, manifest }, { u"permissions"_s, strings(m.permissions) },
            { u"hotReload"_s, reload } });
}

HttpReply sessionsReply(const std::vector<SessionService::SessionInfo>& sessions)
{
    QJsonArray list;
    for (const SessionService::SessionInfo& info : sessions) {
        list.append(QJsonObject { { u"id"_s, info.id }, { u"connections"_s, info.connections },
            { u"created"_s, wallTime(info.created) },
            { u"lastActivity"_s, wallTime(info.lastActivity) },
            { u"variables"_s, info.variableCount }, { u"service"_s, info.service } });
    }
    return jsonReply(HttpStatus::Ok, QJsonDocument(list).toJson(QJsonDocument::Compact));
}

HttpReply variablesReply(const SessionService::VariablesSnapshot& snapshot)
{
    if (!snapshot.found)
        return unknownSession();
    HttpReply reply = jsonReply(HttpStatus::Ok, snapshot.json);
    reply.headers.emplace_back("X-Change-Count", QByteArray::number(snapshot.changeCount));
    return reply;
}

HttpReply evaluationReply(const SessionService::Evaluation& evaluation)
{
    using Status = SessionService::Evaluation::Status;
    switch (evaluation.status) {
    case Status::Ok: {
        // The values are JSON already (made by the engine's encoder): spliced in, not re-parsed.
        QJsonObject rest { { u"shown"_s, strings(evaluation.shown) },
            { u"output"_s, strings(evaluation.output) } };
        QByteArray body = QJsonDocument(rest).toJson(QJsonDocument::Compact);
        body.insert(1, "\"values\":" + evaluation.values + ',');
        return jsonReply(HttpStatus::Ok, body);
    }
    case Status::SyntaxError:
    case Status::Error: {
        const bool syntax = evaluation.status == Status::SyntaxError;
        QJsonObject body = luaFailure(
            syntax ? "lua-syntax-error" : "lua-error", evaluation.error, evaluation.traceback);
        body.insert(u"output"_s, strings(evaluation.output));
        return json(syntax ? HttpStatus::BadRequest : HttpStatus::UnprocessableEntity, body);
    }
    case Status::NotFound:
        return unknownSession();
    case Status::Ended:
        return error(HttpStatus::Gone, "session-ended", evaluation.error);
    }
    return error(HttpStatus::InternalServerError, "internal", u"unknown evaluation status"_s);
}

HttpReply reloadReply(const SessionService::Outcome& outcome)
{
    if (!outcome.found)
        return unknownSession();
    if (!outcome.error.isEmpty())
        return json(HttpStatus::UnprocessableEntity,
            luaFailure("lua-error", outcome.error, outcome.traceback));
    return json(HttpStatus::Ok, QJsonObject { { u"reloaded"_s, true } });
}

HttpReply endReply(bool found)
{
    if (!found)
        return unknownSession();
    return json(HttpStatus::Ok, QJsonObject { { u"ended"_s, true } });
}

HttpReply unknownSession()
{
    return error(HttpStatus::NotFound, "unknown-session",
        u"no such session (it may have ended; GET /api/sessions lists the live ones)"_s);
}

} // namespace lunette::api
