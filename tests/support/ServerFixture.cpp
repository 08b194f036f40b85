#include "ServerFixture.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QNetworkCookie>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

using namespace Qt::StringLiterals;

namespace lunette::test {

ServerFixture::ServerFixture(
    const QString& siteFolder, SessionManager::Options options, SiteServerOptions serverOptions)
    : m_siteFolder(siteFolder), m_options(options), m_serverOptions(std::move(serverOptions))
{
}

ServerFixture::~ServerFixture()
{
    if (m_server)
        m_server->stop();
    if (m_sessions)
        m_sessions->shutdown();
    m_server.reset();
    m_sessions.reset();
    if (m_executor)
        m_executor->shutdown();
}

bool ServerFixture::start()
{
    auto site = Site::open(m_siteFolder);
    if (!site) {
        m_error = site.error();
        return false;
    }
    m_site = *site;
    m_executor = std::make_unique<LuaExecutor>();
    m_sessions = std::make_unique<SessionManager>(*m_executor, m_site, m_options);
    m_server = std::make_unique<SiteServer>(m_site, *m_sessions, m_serverOptions);
    if (auto started = m_server->start(); !started) {
        m_error = started.error();
        return false;
    }
    return true;
}

QJsonObject ServerFixture::HttpResult::json() const
{
    return QJsonDocument::fromJson(body).object();
}

QString ServerFixture::HttpResult::errorCode() const
{
    return json().value(u"error"_s).toObject().value(u"code"_s).toString();
}

QString ServerFixture::HttpResult::errorMessage() const
{
    return json().value(u"error"_s).toObject().value(u"message"_s).toString();
}

QByteArray ServerFixture::HttpResult::header(const QByteArray& name) const
{
    for (const auto& [key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

ServerFixture::HttpResult ServerFixture::get(const QString& path, bool withToken)
{
    return request("GET", path, {}, {}, withToken);
}

ServerFixture::HttpResult ServerFixture::request(const QByteArray& method, const QString& path,
    const QByteArray& body, const QList<QPair<QByteArray, QByteArray>>& headers, bool withToken)
{
    QNetworkRequest request(QUrl(m_server->origin() + path));
    request.setAttribute(
        QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    // Cookies are set by hand: the access manager's jar would add ui-session on its own.
    request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    if (withToken)
        request.setRawHeader("Cookie", "lunette-token=" + m_server->token().toUtf8());
    for (const auto& [name, value] : headers)
        request.setRawHeader(name, value);
    std::unique_ptr<QNetworkReply> reply(
        method == "GET" ? m_http.get(request) : m_http.sendCustomRequest(request, method, body));
    QSignalSpy finished(reply.get(), &QNetworkReply::finished);
    if (!reply->isFinished() && !finished.wait(10000))
        return {};
    HttpResult result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.body = reply->readAll();
    result.headers = reply->rawHeaderPairs();
    return result;
}

ServerFixture::HttpResult ServerFixture::raw(const QByteArray& requestText)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_server->port());
    if (!socket.waitForConnected(5000))
        return {};
    socket.write(requestText);
    QByteArray received;
    qsizetype headerEnd = -1;
    qsizetype length = -1;
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 10000) {
        if (headerEnd >= 0 && length >= 0 && received.size() >= headerEnd + 4 + length)
            break;
        if (!socket.waitForReadyRead(100) && socket.state() != QAbstractSocket::ConnectedState)
            break;
        received += socket.readAll();
        if (headerEnd < 0 && (headerEnd = received.indexOf("\r\n\r\n")) >= 0) {
            static const QRegularExpression contentLength(
                u"\r\ncontent-length:\\s*(\\d+)"_s, QRegularExpression::CaseInsensitiveOption);
            const auto match
                = contentLength.match(QString::fromLatin1(received.left(headerEnd + 2)));
            length = match.hasMatch() ? match.captured(1).toLongLong() : 0;
        }
    }
    HttpResult result;
    if (headerEnd < 0)
        return result;
    const QList<QByteArray> lines = received.left(headerEnd).split('\n');
    const QList<QByteArray> statusLine = lines.value(0).split(' ');
    result.status = statusLine.value(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            result.headers.append({ line.left(colon), line.mid(colon + 1).trimmed() });
    }
    result.body = received.mid(headerEnd + 4, length);
    return result;
}

QString ServerFixture::createSession()
{
    const HttpResult result = get(u"/"_s);
    if (result.status != 307)
        return {};
    for (const auto& [name, value] : result.headers) {
        if (name.compare("Location", Qt::CaseInsensitive) == 0)
            return QString::fromUtf8(value).mid(1);
    }
    return {};
}

ProtocolClient::ProtocolClient(ServerFixture& fixture, const QString& sessionId)
    : m_fixture(fixture), m_sessionId(sessionId)
{
    QObject::connect(
        &m_socket, &QWebSocket::textMessageReceived, &m_socket, [this](const QString& text) {
            const QByteArray bytes = text.toUtf8();
            m_raw.append(bytes);
            m_frames.push_back(QJsonDocument::fromJson(bytes).isArray()
                    ? QJsonValue(QJsonDocument::fromJson(bytes).array())
                    : QJsonValue(QJsonDocument::fromJson(bytes).object()));
        });
}

ProtocolClient::~ProtocolClient()
{
    if (isOpen())
        close();
}

bool ProtocolClient::open()
{
    QString ws = m_fixture.origin();
    ws.replace(0, 4, u"ws"_s);
    QNetworkRequest request(QUrl(ws + u"/ws/"_s + m_sessionId));
    request.setRawHeader("Origin", m_fixture.origin().toUtf8());
    request.setRawHeader("Cookie", "lunette-token=" + m_fixture.token().toUtf8());
    QSignalSpy connected(&m_socket, &QWebSocket::connected);
    m_socket.open(request);
    return connected.wait(10000);
}

bool ProtocolClient::isOpen() const
{
    return m_socket.state() == QAbstractSocket::ConnectedState;
}

void ProtocolClient::close()
{
    QSignalSpy disconnected(&m_socket, &QWebSocket::disconnected);
    m_socket.close();
    if (m_socket.state() != QAbstractSocket::UnconnectedState)
        disconnected.wait(5000);
}

void ProtocolClient::send(const QByteArray& frame)
{
    m_socket.sendTextMessage(QString::fromUtf8(frame));
}

void ProtocolClient::sendMessages(const QJsonArray& messages, bool userEvent)
{
    const QJsonObject frame { { u"userEvent"_s, userEvent }, { u"messages"_s, messages } };
    send(QJsonDocument(frame).toJson(QJsonDocument::Compact));
}

std::optional<QJsonValue> ProtocolClient::nextFrame(int timeoutMs)
{
    if (m_frames.empty()) {
        QSignalSpy received(&m_socket, &QWebSocket::textMessageReceived);
        if (!received.wait(timeoutMs) && m_frames.empty())
            return std::nullopt;
    }
    QJsonValue frame = m_frames.front();
    m_frames.pop_front();
    return frame;
}

QJsonArray ProtocolClient::nextMessages(int timeoutMs)
{
    const auto frame = nextFrame(timeoutMs);
    if (!frame)
        return {};
    return frame->isArray() ? frame->toArray() : QJsonArray { *frame };
}

QJsonObject ProtocolClient::update(qint64 varId, const QJsonValue& value)
{
    return { { u"type"_s, u"update"_s },
        { u"data"_s, QJsonObject { { u"varId"_s, varId }, { u"value"_s, value } } } };
}

QJsonObject ProtocolClient::watch(qint64 varId)
{
    return { { u"type"_s, u"watch"_s }, { u"data"_s, QJsonObject { { u"varId"_s, varId } } } };
}

QJsonObject ProtocolClient::create(
    qint64 id, qint64 parentId, const QString& path, const QJsonObject& extraProperties)
{
    QJsonObject properties = extraProperties;
    properties.insert(u"path"_s, path);
    return { { u"type"_s, u"create"_s },
        { u"data"_s,
            QJsonObject {
                { u"id"_s, id }, { u"parentId"_s, parentId }, { u"properties"_s, properties } } } };
}

} // namespace lunette::test
