// MainWindow: title, built-in start page (read back from the DOM), geometry persistence, and a
// screenshot for a person to look at.

#include <memory>
#include <optional>

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QPixmap>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QVariant>
#include <QWebEnginePage>
#include <QWebEngineView>
#include <QtTest>
#include <functional>

#include "LogModel.h"
#include "MainWindow.h"
#include "host/SiteHost.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;

namespace {

constexpr int kLoadTimeoutMs = 30000;

using lunette::test::artifactsDir;
using lunette::test::spinUntil;

// Runs script in the page and waits for its result; nullopt when no result came in time.
std::optional<QVariant> evaluate(QWebEnginePage* page, const QString& script)
{
    // Shared so that a late callback after a timeout writes into live memory.
    auto result = std::make_shared<std::optional<QVariant>>();
    page->runJavaScript(script, [result](const QVariant& value) { *result = value; });
    if (!spinUntil([&] { return result->has_value(); }, kLoadTimeoutMs))
        return std::nullopt;
    return *result;
}

// Grabs the window once it is no longer one flat colour (the page has painted).
bool grabPainted(QWidget& window, QImage* image)
{
    return spinUntil(
        [&] {
            *image = window.grab().toImage();
            if (image->isNull())
                return false;
            const QRgb first = image->pixel(0, 0);
            for (int y = 0; y < image->height(); y += 4) {
                for (int x = 0; x < image->width(); x += 4) {
                    if (image->pixel(x, y) != first)
                        return true;
                }
            }
            return false;
        },
        kLoadTimeoutMs);
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
    void contactsSiteInTheWindow();

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
    main.write("app = {}\nui.log('demo site started')\n");
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
    const auto app
        = evaluate(window.view()->page(), u"document.querySelectorAll('[ui-app]').length"_s);
    QVERIFY(app.has_value());
    QCOMPARE(app->toInt(), 1);

    // What the session logged reached the window's log, from the executor thread.
    LogModel* log = window.logModel();
    QVERIFY(spinUntil([&] { return log->rowCount() > 0; }, kLoadTimeoutMs));
    QCOMPARE(log->entry(0).source, u"session "_s + url.path().mid(1, 8));
    QCOMPARE(log->entry(0).text, u"[lua] demo site started"_s);
    QCOMPARE(log->entry(0).level, LogModel::Level::Info);
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

    // Loading finished is not painting finished: wait until the grab shows the page.
    QImage image;
    const bool painted = grabPainted(window, &image);

    const QString dir = artifactsDir();
    QVERIFY(QDir().mkpath(dir));
    const QString file = QDir(dir).filePath(u"mainwindow.png"_s);
    QFile::remove(file);
    QVERIFY(image.save(file, "PNG"));
    QVERIFY2(QFileInfo(file).size() > 0, qPrintable(file));
    QVERIFY2(painted, "the grabbed window stayed one flat colour: the page was never painted");
}

// `lunette sites/contacts`: the contact manager, working, in the app window (screenshot saved as
// mainwindow-contacts.png in the test artifacts).
void TestMainWindow::contactsSiteInTheWindow()
{
    MainWindow window(QString::fromLocal8Bit(qgetenv("LUNETTE_SOURCE_DIR")) + u"/sites/contacts"_s);
    QVERIFY2(window.host(), qPrintable(window.siteError()));
    QCOMPARE(window.windowTitle(), u"Contact Manager"_s); // lunette.json's window.title
    window.resize(1100, 760);
    window.show();
    QWebEnginePage* page = window.view()->page();
    const auto names = [&] {
        const auto value = evaluate(page,
            u"[...document.querySelectorAll('[data-test=card-name]')].map(e => e.textContent.trim()).join('|')"_s);
        return value ? value->toString() : QString();
    };
    QVERIFY(spinUntil(
        [&] { return names() == u"Alice Smith|Bob Johnson|Carol Williams"_s; }, kLoadTimeoutMs));
    // It works: a click on "Add Contact" opens the form.
    QVERIFY(evaluate(page, u"document.querySelector('[data-test=add-contact]').click(), true"_s));
    QVERIFY(spinUntil(
        [&] {
            return evaluate(page, u"!document.querySelector('[data-test=edit-view]').hidden"_s)
                ->toBool();
        },
        kLoadTimeoutMs));
    QVERIFY(evaluate(page, u"document.querySelector('[data-test=cancel]').click(), true"_s));
    QVERIFY(spinUntil(
        [&] {
            return evaluate(page, u"!document.querySelector('[data-test=list-view]').hidden"_s)
                ->toBool();
        },
        kLoadTimeoutMs));
    QVERIFY(evaluate(page, u"uiApp.whenIdle().then(() => window.__idle = true), true"_s));
    QVERIFY(spinUntil(
        [&] { return evaluate(page, u"window.__idle === true"_s)->toBool(); }, kLoadTimeoutMs));
    // Every Shoelace element defined (the autoloader loads them lazily), then a frame painted.
    QVERIFY(spinUntil(
        [&] {
            return evaluate(page,
                u"document.querySelectorAll(':not(:defined)').length === 0 && "
                "[...document.querySelectorAll('sl-icon')].every(i => i.shadowRoot?.querySelector('svg'))"_s)
                ->toBool();
        },
        kLoadTimeoutMs));
    QVERIFY(evaluate(page,
        u"requestAnimationFrame(() => requestAnimationFrame(() => window.__painted = true)), true"_s));
    QVERIFY(spinUntil(
        [&] { return evaluate(page, u"window.__painted === true"_s)->toBool(); }, kLoadTimeoutMs));

    const QString dir = artifactsDir();
    QVERIFY(QDir().mkpath(dir));
    const QString file = QDir(dir).filePath(u"mainwindow-contacts.png"_s);
    QFile::remove(file);
    QImage image;
    QVERIFY2(grabPainted(window, &image), "the window never showed the page");
    QVERIFY(image.save(file, "PNG"));
}

QTEST_MAIN(TestMainWindow)
#include "test_mainwindow.moc"
