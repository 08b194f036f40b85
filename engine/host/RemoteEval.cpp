#include "RemoteEval.h"

#include <memory>
#include <optional>

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrlQuery>

#include "Instances.h"

using namespace Qt::StringLiterals;

namespace lunette::remote {

namespace {

struct Target
{
    QString origin; // http://host:port
    QString token;
};

struct Answer
{
    int status = 0; // 0: no HTTP answer (error says why)
    QByteArray body;
    QString error;
};

Answer send(QNetworkAccessManager& http, const Target& target, const QByteArray& method,
    const QString& path, const QByteArray& body = {})
{
    QNetworkRequest request(QUrl(target.origin + path));
    request.setRawHeader("Authorization", "Bearer " + target.token.toUtf8());
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setTransferTimeout(0); // the code may wait as long as it likes; Ctrl+C stops
    std::unique_ptr<QNetworkReply> reply(
        method == "GET" ? http.get(request) : http.sendCustomRequest(request, method, body));
    QEventLoop loop;
    QObject::connect(reply.get(), &QNetworkReply::finished, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    Answer answer;
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer.body = reply->readAll();
    if (answer.status == 0)
        answer.error = reply->errorString();
    return answer;
}

// The API's error text ("unauthorized: missing or wrong token…"), or the transport's.
QString failure(const Answer& answer, const Target& target)
{
    if (answer.status == 0)
        return u"cannot reach Lunette at %1: %2"_s.arg(target.origin, answer.error);
    const QJsonObject error
        = QJsonDocument::fromJson(answer.body).object().value(u"error"_s).toObject();
    if (error.isEmpty())
        return u"%1 answered HTTP %2"_s.arg(target.origin).arg(answer.status);
    return error.value(u"message"_s).toString();
}

std::optional<Target> findTarget(const EvalRequest& request, QString* why)
{
    Target target;
    if (!request.url.isEmpty()) {
        const QUrl url(request.url);
        if (!url.isValid() || url.scheme() != u"http"_s || url.host().isEmpty()) {
            *why = u"--url must be the server's http:// URL, e.g. http://127.0.0.1:8123/?token=…"_s;
            return std::nullopt;
        }
        target.origin = url.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment
                               | QUrl::RemoveUserInfo)
                            .toString(QUrl::FullyEncoded);
        target.token = QUrlQuery(url).queryItemValue(u"token"_s, QUrl::FullyDecoded);
        if (target.token.isEmpty()) {
            // An instance of ours at that address knows its token.
            for (const instances::Instance& instance : instances::list()) {
                if (instance.origin == target.origin)
                    target.token = instance.token;
            }
        }
    } else {
        const auto running = instances::list();
        if (running.empty()) {
            *why = u"no running Lunette was found (start one with `lunette SITE` or "
                   "`lunette-server SITE`, or pass --url)"_s;
            return std::nullopt;
        }
        target.origin = running.front().origin;
        target.token = running.front().token;
    }
    if (!request.token.isEmpty())
        target.token = request.token;
    if (target.token.isEmpty()) {
        *why = u"no token for %1: pass the URL with its ?token=… or --token"_s.arg(target.origin);
        return std::nullopt;
    }
    return target;
}

} // namespace

EvalReport evaluate(const EvalRequest& request)
{
    EvalReport report;
    const auto fail = [&report](const QString& message) {
        report.exitCode = 1;
        report.err += message + u'\n';
        return report;
    };
    QString why;
    const auto target = findTarget(request, &why);
    if (!target)
        return fail(why);
    QNetworkAccessManager http;

    QString session = request.session;
    if (session.isEmpty()) {
        const Answer listed = send(http, *target, "GET", u"/api/sessions"_s);
        if (listed.status != 200)
            return fail(failure(listed, *target));
        QJsonObject newest;
        for (const QJsonValue& value : QJsonDocument::fromJson(listed.body).array()) {
            const QJsonObject info = value.toObject();
            // ISO 8601 in UTC compares as text.
            if (newest.isEmpty()
                || info.value(u"lastActivity"_s).toString()
                    >= newest.value(u"lastActivity"_s).toString())
                newest = info;
        }
        if (newest.isEmpty())
            return fail(
                u"the site at %1 has no session yet: open its page first"_s.arg(target->origin));
        session = newest.value(u"id"_s).toString();
    }

    const QByteArray body
        = QJsonDocument(QJsonObject { { u"code"_s, request.code } }).toJson(QJsonDocument::Compact);
    const Answer answer
        = send(http, *target, "POST", u"/api/sessions/%1/eval"_s.arg(session), body);
    if (request.json) {
        report.out = QString::fromUtf8(answer.body) + u'\n';
        if (answer.status != 200)
            report.exitCode = 1;
        if (answer.status == 0)
            return fail(failure(answer, *target));
        return report;
    }
    const QJsonObject reply = QJsonDocument::fromJson(answer.body).object();
    for (const QJsonValue& line : reply.value(u"output"_s).toArray())
        report.out += line.toString() + u'\n';
    if (answer.status == 200) {
        QStringList shown;
        for (const QJsonValue& value : reply.value(u"shown"_s).toArray())
            shown.append(value.toString());
        if (!shown.isEmpty())
            report.out += shown.join(u'\t') + u'\n';
        return report;
    }
    const QJsonObject error = reply.value(u"error"_s).toObject();
    const QString traceback = error.value(u"traceback"_s).toString();
    return fail(failure(answer, *target) + (traceback.isEmpty() ? QString() : u'\n' + traceback));
}

} // namespace lunette::remote
