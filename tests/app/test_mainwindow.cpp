// MainWindow: title, built-in start page (read back from the DOM), geometry persistence, and a
// screenshot for a person to look at.

#include <memory>
#include <optional>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QPixmap>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QVariant>
#include <QWebEnginePage>
#include <QWebEngineView>
#include <QtTest>

#include "MainWindow.h"
#include "host/SiteHost.h"

using namespace Qt::StringLiterals;

namespace {

constexpr int kLoadTimeoutMs = 30000;

// Runs script in the page and waits for its result; nullopt when no result came in time.
std::optional<QVariant> evaluate(QWebEnginePage* page, const QString& script)
{
    // Shared so that a late callback after a timeout writes into live memory.
    auto result = std::make_shared<std::optional<QVariant>>();
    page->runJavaScript(script, [result](const QVariant& value) { *result = value; });
    if (!QTest::qWaitFor([&] { return result->has_value(); }, kLoadTimeoutMs))
        return std::nullopt;
    return *result;
}

QString artifactsDir()
{
    const QString dir = qEnvironmentVariable("LUNETTE_TEST_ARTIFACTS");
    return dir.isEmpty() ? QDir::current().filePath(u"test-artifacts"_s) : dir;
}

} // namespace

class TestMainWindow final : public QObject
{
    Q_OBJECT

public:
    // Called by QTEST_MAIN before the QApplication exists.
    static void initMain()
    {
        QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
        // QSettings then writes under ~/.qttest, never into the user's real settings.
        QStandardPaths::setTestModeEnabled(true);
    }

private slots:
    void initTestCase();
    void cleanup();
    void startPageWithoutSite();
    void siteIsServed();
    void startPageFlagsFolderWithoutMain();
    void geometryPersists();
    void screenshot();

private:
    QTemporaryDir m_temp;
    QString m_sitePath;
};

void TestMainWindow::initTestCase()
{
    QVERIFY(m_temp.isValid());
    cleanup(); // no geometry left over from an earlier, interrupted run
    m_sitePath = m_temp.filePath(u"demo-site"_s);
    QVERIFY(QDir().mkpath(m_sitePath + u"/lua"_s));
    QFile main(m_sitePath + u"/lua/main.lua"_s);
    QVERIFY(main.open(QIODevice::WriteOnly));
    main.write("app = {}\n");
}

void TestMainWindow::cleanup()
{
    QSettings(u"Lunette"_s, u"Lunette"_s).clear();
}

void TestMainWindow::startPageWithoutSite()
{
    MainWindow window;
    QSignalSpy loaded(window.view(), &QWebEngineView::loadFinished);
    window.show();
    QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), kLoadTimeoutMs);
    QCOMPARE(loaded.first().value(0).toBool(), true);

    QCOMPARE(window.windowTitle(), u"Lunette"_s);
    QVERIFY(window.sitePath().isEmpty());

    const auto title = evaluate(window.view()->page(), u"document.title"_s);
    QVERIFY(title.has_value());
    QCOMPARE(title->toString(), u"Lunette"_s);
    const auto headline
        = evaluate(window.view()->page(), u"document.getElementById('headline').textContent"_s);
    QVERIFY(headline.has_value());
    QCOMPARE(headline->toString(), u"Open a site folder"_s);
}

// A site folder is served by the window's own host and shown: the engine's default page (the
// demo site has no html/), over loopback, with a session created for it.
void TestMainWindow::siteIsServed()
{
    MainWindow window(m_sitePath);
    QVERIFY2(window.host(), qPrintable(window.siteError()));
    QSignalSpy loaded(window.view(), &QWebEngineView::loadFinished);
    window.show();
    QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), kLoadTimeoutMs);
    QCOMPARE(loaded.first().value(0).toBool(), true);

    QCOMPARE(window.windowTitle(), u"demo-site \u2014 Lunette"_s);
    QCOMPARE(window.sitePath(), QDir(m_sitePath).absolutePath());
    const QUrl url = window.view()->url();
    QCOMPARE(url.host(), u"127.0.0.1"_s);
    QCOMPARE(url.path().size(), 33); // redirected to /<session id>
    QCOMPARE(window.host()->sessions().sessionIds(), QStringList { url.path().mid(1) });
    const auto app = evaluate(window.view()->page(), u"document.querySelectorAll('[ui-app]').length"_s);
    QVERIFY(app.has_value());
    QCOMPARE(app->toInt(), 1);
}

void TestMainWindow::startPageFlagsFolderWithoutMain()
{
    // A folder name with markup: it must be shown as text, not parsed as HTML.
    const QString folder = m_temp.filePath(u"not-<b>a&site"_s);
    QVERIFY(QDir().mkpath(folder));

    MainWindow window(folder);
    QSignalSpy loaded(window.view(), &QWebEngineView::loadFinished);
    window.show();
    QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), kLoadTimeoutMs);

    QCOMPARE(window.windowTitle(), u"not-<b>a&site \u2014 Lunette"_s);
    const auto headline
        = evaluate(window.view()->page(), u"document.getElementById('headline').textContent"_s);
    QVERIFY(headline.has_value());
    QCOMPARE(headline->toString(), u"not-<b>a&site"_s);
    QVERIFY(!window.host());
    const auto status
        = evaluate(window.view()->page(), u"document.getElementById('site-status').className"_s);
    QVERIFY(status.has_value());
    QCOMPARE(status->toString(), u"problem"_s);
    const auto reason
        = evaluate(window.view()->page(), u"document.getElementById('site-status').textContent"_s);
    QVERIFY(reason.has_value());
    QVERIFY2(reason->toString().contains(u"main.lua"_s), qPrintable(reason->toString()));
}

void TestMainWindow::geometryPersists()
{
    const QSize size(640, 420);
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.resize(size);
        QTRY_COMPARE(window.size(), size);
        window.close(); // saves the geometry
    }
    MainWindow reopened;
    QCOMPARE(reopened.size(), size);
}

void TestMainWindow::screenshot()
{
    MainWindow window(m_sitePath);
    QSignalSpy loaded(window.view(), &QWebEngineView::loadFinished);
    window.resize(1000, 640);
    window.show();
    QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), kLoadTimeoutMs);
    QCOMPARE(loaded.first().value(0).toBool(), true);

    // Loading finished is not painting finished: wait until the grab shows the page, i.e. the
    // view is no longer one flat colour (the headline's text is on it).
    QImage image;
    const bool painted = QTest::qWaitFor(
        [&] {
            image = window.grab().toImage();
            if (image.isNull())
                return false;
            const QRgb first = image.pixel(0, 0);
            for (int y = 0; y < image.height(); y += 4) {
                for (int x = 0; x < image.width(); x += 4) {
                    if (image.pixel(x, y) != first)
                        return true;
                }
            }
            return false;
        },
        kLoadTimeoutMs);

    const QString dir = artifactsDir();
    QVERIFY(QDir().mkpath(dir));
    const QString file = QDir(dir).filePath(u"mainwindow.png"_s);
    QFile::remove(file);
    QVERIFY(image.save(file, "PNG"));
    QVERIFY2(QFileInfo(file).size() > 0, qPrintable(file));
    QVERIFY2(painted, "the grabbed window stayed one flat colour: the page was never painted");
}

QTEST_MAIN(TestMainWindow)
#include "test_mainwindow.moc"
