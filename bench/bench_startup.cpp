// P9: lunette-server start → first HTTP 200, and its idle RSS.
//
// Each launch: start the built lunette-server with `SITE --print-url --port 0`, read the URL
// (http://127.0.0.1:PORT/?token=T) from its stdout, GET it (307 to /<sid>, the session is
// created), GET /<sid> with the token cookie (200, the page): the time from QProcess::start to
// that 200 is one sample. Then, after a 300 ms settle, VmRSS of the server process.

#include <QProcess>
#include <QUrl>
#include <QUrlQuery>

#include "Benchmarks.h"

using namespace Qt::StringLiterals;

namespace lunette::bench {

namespace {

struct Launch
{
    QString error;
    qint64 urlNs = 0; // start → URL on stdout
    qint64 redirectNs = 0; // start → 307 of GET /?token=
    qint64 pageNs = 0; // start → 200 of GET /<sid>
    qint64 rss = 0;
    qint64 secondSessionNs = 0; // a later GET /?token= (warm server)
};

Launch launch(const QString& program, const QString& site)
{
    Launch result;
    QProcess process;
    process.setProgram(program);
    process.setArguments({ site, u"--print-url"_s, u"--port"_s, u"0"_s });
    process.setStandardErrorFile(QProcess::nullDevice());
    const auto start = Clock::now();
    process.start();
    auto finish = [&](const QString& error) {
        result.error = error;
        if (process.state() != QProcess::NotRunning) {
            process.terminate();
            if (!process.waitForFinished(5000)) {
                process.kill();
                process.waitForFinished(5000);
            }
        }
        return result;
    };
    if (!process.waitForStarted(5000))
        return finish(u"cannot start "_s + program + u": "_s + process.errorString());
    while (!process.canReadLine()) {
        if (!process.waitForReadyRead(5000))
            return finish(u"no URL on stdout"_s);
    }
    result.urlNs = nsSince(start);
    const QUrl url(QString::fromUtf8(process.readLine().trimmed()));
    const QByteArray token = QUrlQuery(url).queryItemValue(u"token"_s, QUrl::FullyEncoded).toUtf8();
    const quint16 port = static_cast<quint16>(url.port());
    if (token.isEmpty() || port == 0)
        return finish(u"unexpected URL: "_s + url.toString());

    const HttpReply redirect = httpGet(port, "/?token=" + token);
    result.redirectNs = nsSince(start);
    const QByteArray location = redirect.header("Location");
    if (redirect.status != 307 || !location.startsWith('/'))
        return finish(u"GET /?token= answered %1"_s.arg(redirect.status));
    const HttpReply page = httpGet(port, location, "lunette-token=" + token);
    result.pageNs = nsSince(start);
    if (page.status != 200)
        return finish(u"GET %1 answered %2"_s.arg(QString::fromUtf8(location)).arg(page.status));

    sleepMs(300);
    result.rss = processRss(process.processId());
    // The same request once the server is warm: what of the first 307 was first-time cost.
    const auto again = Clock::now();
    const HttpReply second = httpGet(port, "/?token=" + token);
    result.secondSessionNs = nsSince(again);
    if (second.status != 307)
        return finish(u"second GET /?token= answered %1"_s.arg(second.status));
    return finish({});
}

} // namespace

void runStartup(const Options& options)
{
    const int launches = options.iterations > 0 ? options.iterations : 20;
    const QString site = sitePath(options, u"contacts"_s);
    Row row { u"P9"_s,
        u"lunette-server start → first HTTP 200 (GET /?token= → 307, GET /<sid> → 200), contacts site"_s,
        {}, count(launches) + u" launches (+2 warm-up)"_s, u"≤ 10 ms median"_s, u"—"_s };
    Samples url, redirect, page, rss, second;
    for (int i = 0; i < launches + 2; ++i) {
        const Launch l = launch(options.serverPath, site);
        if (!l.error.isEmpty()) {
            row.measured = u"failed: "_s + l.error;
            printRow(row);
            return;
        }
        if (i < 2)
            continue;
        url.add(l.urlNs);
        redirect.add(l.redirectNs);
        page.add(l.pageNs);
        rss.add(l.rss);
        second.add(l.secondSessionNs);
    }
    const qint64 median = page.median();
    row.measured
        = u"median %1, p95 %2 (medians: URL on stdout at %3, 307 at %4; a second GET / on the warm server takes %5)"_s
              .arg(ms(median), ms(page.percentile(95)), ms(url.median()), ms(redirect.median()),
                  ms(second.median()));
    row.verdict = median <= 10 * 1000 * 1000 ? u"met"_s : u"not met"_s;
    printRow(row);
    const qint64 rssMedian = rss.median();
    printRow(
        { u"P9"_s, u"lunette-server idle RSS after the first page (VmRSS, 300 ms after the 200)"_s,
            u"median %1, max %2"_s.arg(
                mb(static_cast<double>(rssMedian)), mb(static_cast<double>(rss.percentile(100)))),
            count(launches) + u" launches"_s, u"≤ 20 MB"_s,
            rssMedian <= 20 * 1024 * 1024 ? u"met"_s : u"not met"_s });
}

} // namespace lunette::bench
