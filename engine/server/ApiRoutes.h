#pragma once

// The local REST API under /api/ (docs/API.md): the routes, the request bodies they accept and
// the JSON they answer. Pure functions; SiteServer authorizes the request, asks the session
// layer (SessionService) and writes what these build. Every error is
// {"error":{"code":"…","message":"…"}} with a fitting HTTP status, and no CORS header is ever
// sent.
//
//   GET    /api/health {"status":"ok","version","site","sessions","uptimeSeconds"} GET    /api/site
//   name, root, manifest, permissions, hot reload GET    /api/sessions
//   [{"id","connections","created","lastActivity","variables"}] GET    /api/sessions/{id}/variables
//   the variable browser's JSON (variables.json) POST   /api/sessions/{id}/eval        {"code":"…"}
//   → {"values":[…],"shown":[…],"output":[…]} POST   /api/sessions/{id}/reload      re-run the
//   entry script (hot reload semantics) DELETE /api/sessions/{id}             end the session

#include <chrono>
#include <optional>
#include <vector>

#include <QByteArray>
#include <QDateTime>
#include <QHttpServerRequest>
#include <QString>
#include <QStringView>

#include "lua/Expected.h"
#include "server/Authorizer.h"
#include "server/HttpReply.h"
#include "server/SessionService.h"

namespace lunette {

class Site;

// What GET /api/site tells about live editing; kept by SiteServer, set by its host.
struct HotReloadState
{
    bool enabled = false;
    struct Reload
    {
        QString file; // tracking key, "lua/main.lua"
        bool ok = true;
        QString error; // when !ok: message, then location and traceback
        QString location;
        QString traceback;
        QDateTime at;
    };
    std::optional<Reload> last;
};

namespace api {

enum class Route
{
    Health,
    Site,
    Sessions,
    SessionVariables,
    SessionEval,
    SessionReload,
    SessionDelete,
};

struct Request
{
    Route route = Route::Health;
    QString sessionId;
    // Changes state: refused when its Origin is foreign (see SiteServer).
    bool changesState() const;
};

// The route of `path` (below "/api", still percent-encoded: "/sessions/<id>/eval"), or the reply
// for a path that names no route (404) or a method the route does not take (405 with Allow).
Expected<Request, HttpReply> route(QHttpServerRequest::Method method, QStringView path);

// {"error":{"code":code,"message":message}} with the status.
HttpReply error(HttpStatus status, QByteArrayView code, const QString& message);
// A request the Authorizer refused: 401 with WWW-Authenticate for a missing or wrong token,
// 403 for a bad Host or a foreign Origin.
HttpReply refused(Authorizer::Verdict verdict);

// The code of an eval request: a JSON object with a string "code". Else a 400 reply that says
// what is wrong (not JSON, with where; not an object; no "code"; not a string).
Expected<QString, HttpReply> evalCode(const QByteArray& body);

HttpReply healthReply(const Site& site, std::size_t sessions, std::chrono::seconds uptime);
HttpReply siteReply(const Site& site, const HotReloadState& hotReload);
HttpReply sessionsReply(const std::vector<SessionService::SessionInfo>& sessions);
HttpReply variablesReply(const SessionService::VariablesSnapshot& snapshot);
// 200 with values; 400 for code that does not compile, 422 for an error while it ran (both with
// the message, the traceback and the output printed before it), 404 for an unknown session, 410
// when the session ended while the code waited.
HttpReply evaluationReply(const SessionService::Evaluation& evaluation);
HttpReply reloadReply(const SessionService::Outcome& outcome);
HttpReply endReply(bool found);
HttpReply unknownSession();

} // namespace api
} // namespace lunette
