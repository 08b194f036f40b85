#pragma once

// Answering an HTTP request with a Lua route (the `web` module, docs/API.md "Routes in Lua"):
// the handler the session registered runs as a task in a turn of that session (the site's
// service session), so it may wait and what it changes reaches the session's pages. Its return
// value becomes the response:
//
//   { status = 201, headers = { ["X-Id"] = "7" }, json = { id = 7 } }    -- JSON body
//   { body = "<b>hi</b>", headers = { ["Content-Type"] = "text/html" } }  -- body as it is
//   "pong"                                                               -- 200, text/plain
//   nil                                                                  -- 204
//
// An error in the handler, or a return value of the wrong shape, answers 500 with a JSON error
// that says what went wrong (and is logged to the session).

#include <functional>

#include "server/SessionService.h"

namespace lunette {

class Session;

void answerWebRequest(Session& session, const SessionService::WebRequest& request,
    std::function<void(const SessionService::WebResponse&)> done);

} // namespace lunette
