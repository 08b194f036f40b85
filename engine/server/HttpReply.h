#pragma once

// An HTTP response as the server's routes build it (SiteServer.cpp, ApiRoutes.cpp): status,
// content type, body and extra headers; SiteServer writes it with the headers every response
// gets. Internal to engine/server.

#include <utility>
#include <vector>

#include <QByteArray>
#include <QHttpServerResponder>

namespace lunette {

using HttpStatus = QHttpServerResponder::StatusCode;

struct HttpReply
{
    HttpStatus status = HttpStatus::Ok;
    QByteArray contentType;
    QByteArray body;
    std::vector<std::pair<QByteArray, QByteArray>> headers;
};

inline HttpReply textReply(HttpStatus status, const QByteArray& text)
{
    return HttpReply { status, QByteArrayLiteral("text/plain; charset=utf-8"), text + '\n', {} };
}

inline HttpReply jsonReply(HttpStatus status, QByteArray json)
{
    return HttpReply { status, QByteArrayLiteral("application/json"), std::move(json), {} };
}

} // namespace lunette
