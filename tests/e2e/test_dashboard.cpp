// sites/dashboard end to end (SCENARIOS.md "dashboard"), in a real page: the setInterval clock,
// Fetch waiting for http.get from an HTTP server this test runs on loopback (the loading state is
// on the page before the result: the test holds the response until it has seen it), the storage
// counter surviving a restart of the site, and the error path when the server is down.

#include <QDir>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include "PageDriver.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using namespace lunette;
using lunette::test::PageDriver;
using lunette::test::spinUntil;

namespace {

// A minimal HTTP/1.1 server that holds each request until the test answers it.
class HeldHttpServer final : public QObject
{
public:
    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QString url(const QString& path) const
    {
        return u"http://127.0.0.1:%1%2"_s.arg(m_server.serverPort()).arg(path);
    }
    HeldHttpServer()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* socket = m_server.nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
                    m_buffers[socket] += socket->readAll();
                    if (m_buffers[socket].contains("\r\n\r\n") && !m_held.contains(socket)) {
                        m_requests << QString::fromLatin1(
                            m_buffers[socket].left(m_buffers[socket].indexOf("\r\n")));
                        m_held << socket;
                    }
                });
            }
        });
    }
    // Requests received so far ("GET /status HTTP/1.1").
    const QStringList& requests() const { return m_requests; }
    bool holding() const { return !m_held.isEmpty(); }
    // Answer the oldest held request.
    void answer(const QByteArray& body)
    {
        QTcpSocket* socket = m_held.takeFirst();
        socket->write(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: "
            + QByteArray::number(body.size()) + "\r\n\r\n" + body);
        socket->disconnectFromHost();
    }

private:
    QTcpServer m_server;
    QHash<QTcpSocket*, QByteArray> m_buffers;
    QList<QTcpSocket*> m_held;
    QStringList m_requests;
};

// A loopback port nothing listens on.
quint16 closedPort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    const quint16 port = probe.serverPort();
    probe.close();
    return port;
}

} // namespace

class TestE2eDashboard final : public QObject
{
    Q_OBJECT

public:
    static void initMain() { QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts); }

private:
    QTemporaryDir m_temp;
    QString m_site; // a copy of sites/dashboard: its data/ folder is written there
    std::unique_ptr<SiteHost> m_host;
    std::unique_ptr<PageDriver> m_page;

    QString open()
    {
        m_page.reset();
        m_host.reset();
        return test::openSite(m_site, m_host, m_page);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_temp.isValid());
        m_site = m_temp.filePath(u"dashboard"_s);
        QVERIFY(test::copyTree(test::exampleSite(u"dashboard"_s), m_site));
        QVERIFY(!QDir(m_site + u"/data"_s).exists());
    }

    void cleanup()
    {
        m_page.reset();
        m_host.reset();
    }

    // The clock shows the time and moves on by itself (setInterval, one turn per second).
    void clockTicks()
    {
        const QString problem = open();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        PageDriver& page = *m_page;
        QVERIFY(page.waitFor(
            u"/^\\d\\d:\\d\\d:\\d\\d$/.test(document.querySelector('[data-test=clock]').textContent)"_s));
        const QString first = page.text(u"[data-test=clock]"_s);
        QVERIFY2(
            page.waitFor(
                u"document.querySelector('[data-test=clock]').textContent !== '%1'"_s.arg(first),
                5000),
            qPrintable(page.lastError()));
    }

    // Fetch: "Loading…" is on the page while the server holds the answer, then the result.
    void fetchShowsLoadingThenTheResult()
    {
        HeldHttpServer server;
        QVERIFY(server.listen());
        const QString problem = open();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        PageDriver& page = *m_page;
        QVERIFY(page.waitFor(u"document.querySelector('[data-test=loading]').hidden === true"_s));
        QVERIFY(page.type(u"[data-test=url]"_s, server.url(u"/status"_s)));
        QVERIFY(page.idle());
        QVERIFY(page.click(u"[data-test=fetch]"_s));
        QVERIFY(spinUntil([&] { return server.holding(); }, 10000));
        QCOMPARE(server.requests().value(0), u"GET /status HTTP/1.1"_s);
        // The action waits for the server: its first part is on the page already.
        QVERIFY2(page.waitFor(u"document.querySelector('[data-test=loading]').hidden === false"_s),
            qPrintable(page.lastError()));
        QCOMPARE(page.text(u"[data-test=result]"_s), QString());
        QCOMPARE(
            page.eval(u"document.querySelector('[data-test=fetch]') !== null"_s)->toBool(), true);
        QVERIFY(page.saveScreenshot(u"e2e-dashboard-loading.png"_s).size() > 0);

        server.answer("all systems go");
        QVERIFY(page.waitFor(
            u"document.querySelector('[data-test=result]').textContent === 'all systems go'"_s));
        QVERIFY(page.waitFor(u"document.querySelector('[data-test=loading]').hidden === true"_s));
        QVERIFY(page.waitFor(u"document.querySelector('[data-test=error]').hidden === true"_s));
        QVERIFY(page.saveScreenshot(u"e2e-dashboard.png"_s).size() > 0);
    }

    // The server is down: a structured error on the page, and the page keeps working.
    void serverDownShowsAnError()
    {
        const QString problem = open();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        PageDriver& page = *m_page;
        QVERIFY(page.type(u"[data-test=url]"_s, u"http://127.0.0.1:%1/status"_s.arg(closedPort())));
        QVERIFY(page.idle());
        QVERIFY(page.click(u"[data-test=fetch]"_s));
        QVERIFY2(page.waitFor(u"document.querySelector('[data-test=error]').hidden === false"_s),
            qPrintable(page.lastError()));
        QVERIFY2(page.text(u"[data-test=error-text]"_s).startsWith(u"network: "_s),
            qPrintable(page.text(u"[data-test=error-text]"_s)));
        QVERIFY(page.waitFor(u"document.querySelector('[data-test=loading]').hidden === true"_s));
        const QString before = page.text(u"[data-test=count]"_s);
        QVERIFY(page.click(u"[data-test=increment]"_s));
        QVERIFY(page.waitFor(
            u"document.querySelector('[data-test=count]').textContent !== '%1'"_s.arg(before)));
    }

    // The counter is kept with storage: a new host on the same folder (an app restart) shows it.
    void counterSurvivesARestart()
    {
        const QString problem = open();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        const int start = m_page->text(u"[data-test=count]"_s).toInt();
        for (int i = 1; i <= 2; ++i) {
            QVERIFY(m_page->click(u"[data-test=increment]"_s));
            QVERIFY(m_page->waitFor(
                u"document.querySelector('[data-test=count]').textContent === '%1'"_s.arg(
                    start + i)));
        }
        QVERIFY(QFile::exists(m_site + u"/data/storage.json"_s));

        const QString again = open(); // the old host is gone first: a restart
        QVERIFY2(again.isEmpty(), qPrintable(again));
        QVERIFY2(m_page->waitFor(
                     u"document.querySelector('[data-test=count]').textContent === '%1'"_s.arg(
                         start + 2)),
            qPrintable(m_page->lastError()));
    }
};

QTEST_MAIN(TestE2eDashboard)
#include "test_dashboard.moc"
