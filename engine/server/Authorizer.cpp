#include "Authorizer.h"

#include <utility>

namespace lunette {

namespace {

bool isLoopbackOrAny(const QHostAddress& address)
{
    return address.isLoopback() || address == QHostAddress(QHostAddress::Any)
        || address == QHostAddress(QHostAddress::AnyIPv4)
        || address == QHostAddress(QHostAddress::AnyIPv6);
}

} // namespace

Authorizer::Authorizer(QByteArray token, const QHostAddress& listenAddress, quint16 port)
    : m_token(std::move(token))
{
    QByteArrayList names { "127.0.0.1", "localhost", "[::1]" };
    // A server deliberately bound to another interface is reached by that address. A wildcard
    // address is not a name a browser uses, so it adds nothing.
    if (!isLoopbackOrAny(listenAddress)) {
        const QByteArray address = listenAddress.toString().toLatin1().toLower();
        names.append(listenAddress.protocol() == QAbstractSocket::IPv6Protocol ? '[' + address + ']'
                                                                               : address);
    }
    const QByteArray suffix = ':' + QByteArray::number(port);
    for (const QByteArray& name : std::as_const(names)) {
        m_hosts.append(name + suffix);
        if (port == 80) // browsers leave the default port out of Host
            m_hosts.append(name);
    }
}

bool Authorizer::sameToken(const QByteArray& expected, const QByteArray& given)
{
    // Every byte of the expected token is looked at whatever the input, so the time taken says
    // nothing about how much of a guess was right.
    unsigned difference = expected.size() == given.size() ? 0u : 1u;
    for (qsizetype i = 0; i < expected.size(); ++i) {
        const char other = i < given.size() ? given.at(i) : '\0';
        difference |= static_cast<unsigned>(
            static_cast<unsigned char>(expected.at(i)) ^ static_cast<unsigned char>(other));
    }
    return difference == 0 && !expected.isEmpty();
}

bool Authorizer::hostAllowed(const QByteArray& host) const
{
    const QByteArray normalized = host.trimmed().toLower();
    return m_hosts.contains(normalized);
}

bool Authorizer::tokenInCookies(const QByteArrayList& cookies) const
{
    bool found = false;
    for (const QByteArray& header : cookies) {
        for (const QByteArray& pair : header.split(';')) {
            const qsizetype equals = pair.indexOf('=');
            if (equals < 0 || pair.left(equals).trimmed() != "lunette-token")
                continue;
            // Keep looking after a match: the loop's length must not depend on the token.
            found = sameToken(m_token, pair.mid(equals + 1).trimmed()) || found;
        }
    }
    return found;
}

bool Authorizer::tokenInAuthorization(const QByteArrayList& authorizations) const
{
    bool found = false;
    for (const QByteArray& header : authorizations) {
        const QByteArray value = header.trimmed();
        const qsizetype space = value.indexOf(' ');
        if (space < 0 || value.left(space).toLower() != "bearer")
            continue;
        found = sameToken(m_token, value.mid(space + 1).trimmed()) || found;
    }
    return found;
}

Authorizer::Decision Authorizer::check(const Request& request) const
{
    Decision decision;
    // Host first: a request that reached us through a rebound DNS name learns nothing else.
    if (request.hosts.size() != 1 || !hostAllowed(request.hosts.constFirst())) {
        decision.verdict = Verdict::BadHost;
        return decision;
    }

    const bool fromQuery = request.hasQueryToken && sameToken(m_token, request.queryToken);
    const bool fromCookie = tokenInCookies(request.cookies);
    const bool fromHeader = tokenInAuthorization(request.authorizations);
    if (!fromQuery && !fromCookie && !fromHeader && !request.tokenOptional) {
        decision.verdict = Verdict::BadToken;
        return decision;
    }
    decision.tokenFromQuery = fromQuery;

    if (request.webSocket || (request.refuseForeignOrigin && request.hasOrigin)) {
        const QByteArray expected = "http://" + request.hosts.constFirst().trimmed().toLower();
        if (!request.hasOrigin || request.origin.trimmed().toLower() != expected) {
            decision.verdict = Verdict::BadOrigin;
            return decision;
        }
    }
    decision.verdict = Verdict::Allowed;
    return decision;
}

QByteArray Authorizer::message(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Allowed:
        return QByteArrayLiteral("ok");
    case Verdict::BadHost:
        return QByteArrayLiteral("forbidden: bad Host header");
    case Verdict::BadToken:
        return QByteArrayLiteral("forbidden: missing or wrong token");
    case Verdict::BadOrigin:
        return QByteArrayLiteral("forbidden: bad Origin header");
    }
    return QByteArrayLiteral("forbidden");
}

QByteArray Authorizer::tokenCookie() const
{
    return "lunette-token=" + m_token + "; Path=/; HttpOnly; SameSite=Strict";
}

} // namespace lunette
