#pragma once

// The one authorization check of the local server (ARCHITECTURE.md "Security model"), used by
// every HTTP route and by the WebSocket endpoint:
//
//  * the launch token, from the cookie `lunette-token`, `Authorization: Bearer <t>` or the query
//    parameter `token` (compared in constant time);
//  * a `Host` header naming the server by a loopback name with its port (127.0.0.1, localhost,
//    [::1], and the listen address when it is not a loopback one) — defeats DNS rebinding;
//  * on a WebSocket, an `Origin` equal to "http://" + that Host; a missing Origin is refused;
//  * on a REST API request, the same Origin when the request has one.

#include <QByteArray>
#include <QByteArrayList>
#include <QHostAddress>
#include <QString>

namespace lunette {

class Authorizer final
{
public:
    // What the check needs from a request, whatever transport it came from.
    struct Request
    {
        QByteArrayList hosts; // every Host header (exactly one is allowed)
        QByteArrayList cookies; // every Cookie header
        QByteArrayList authorizations; // every Authorization header
        bool hasQueryToken = false;
        QByteArray queryToken; // percent-decoded
        bool webSocket = false;
        // HTTP (the REST API, Lua routes): an Origin, when there is one, must be the server's own.
        bool refuseForeignOrigin = false;
        // A public Lua route of the packaged player: no token needed (Host and Origin still are).
        bool tokenOptional = false;
        bool hasOrigin = false;
        QByteArray origin;
    };

    enum class Verdict
    {
        Allowed,
        BadHost,
        BadToken,
        BadOrigin,
    };

    struct Decision
    {
        Verdict verdict = Verdict::BadToken;
        // The token came (valid) in the query: the response should set the token cookie, so the
        // page's own requests carry it from then on.
        bool tokenFromQuery = false;
        bool allowed() const { return verdict == Verdict::Allowed; }
    };

    Authorizer(QByteArray token, const QHostAddress& listenAddress, quint16 port);

    Decision check(const Request& request) const;

    // The short text a refused HTTP request gets ("forbidden: missing or wrong token").
    static QByteArray message(Verdict verdict);

    // Value of the Set-Cookie header that stores the token.
    QByteArray tokenCookie() const;

    // Constant-time comparison (the time does not depend on where the first difference is).
    static bool sameToken(const QByteArray& expected, const QByteArray& given);

private:
    bool hostAllowed(const QByteArray& host) const;
    bool tokenInCookies(const QByteArrayList& cookies) const;
    bool tokenInAuthorization(const QByteArrayList& authorizations) const;

    QByteArray m_token;
    QByteArrayList m_hosts; // lowercase "name:port"
};

} // namespace lunette
