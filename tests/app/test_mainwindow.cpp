// MainWindow (GUI.md "Window"): start page, error page with Retry, the token in the cookie store,
// New Site, drag and drop, recent sites, Restart session, Hot reload toggle, Open in browser,
// DevTools, element highlight, preferences and persisted layout — each in the real window with the
// real site host and page (offscreen). The five scenarios of SCENARIOS.md are in test_desktop.

#include <memory>

#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QListWidget>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QWebEnginePage>
#include <QWebEngineView>
#include <QtTest>

#include "LogModel.h"
#include "MainWindow.h"
#include "PageDriver.h"
#include "SessionsModel.h"
#include "SitePages.h"
#include "VariablesModel.h"
#include "WidgetShot.h"
#include "host/SiteHost.h"
#include "site/Scaffold.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::test::PageDriver;
using lunette::test::spinUntil;

namespace {

constexpr int kTimeoutMs = 30000;

using lunette::test::writeFile;

// The smallest site with an app object and its view.
bool writeMinimalSite(const QString& folder)
{
    return writeFile(folder + u"/lua/main.lua"_s,
               "App = session:prototype('App', { word = 'fixed' })\n"
               "if not session:getApp() then session:createAppVariable(App:new()) end\n")
        && writeFile(folder + u"/viewdefs/App.DEFAULT.html"_s,
            "<template><p data-test=\"word\" ui-value=\"word\"></p></template>\n");
}

QWidget* currentPage(const MainWindow& window)
{
    return qobject_cast<QStackedWidget*>(window.centralWidget())->currentWidget();
}

// Records the URLs QDesktopServices is asked to open (instead of starting a browser or editor).
class UrlRecorder final : public QObject
{
    Q_OBJECT

public:
    QList<QUrl> urls;

public slots:
    void open(const QUrl& url) { urls << url; }
};

} // namespace

class TestMainWindow final : public QObject
{
    Q_OBJECT

public:
    // Called by QTEST_MAIN before the QApplication exists.
    static void initMain()
    {
        QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
        // QSettings in a folder of this process, never the user's (nor another test's).
        lunette::test::isolateSettings();
    }

private:
    QTemporaryDir m_temp;
    QString m_sitePath; // a small working site (the New Site template)

    // The window's page once it is ready; nullptr on timeout.
    std::unique_ptr<PageDriver> readyPage(MainWindow& window)
    {
        // The page of the current session (after a restart the old one may still be showing).
        const auto showsSession = [&] {
            return !window.pageSessionId().isEmpty()
                && window.view()->url().path() == u"/"_s + window.pageSessionId();
        };
        if (!spinUntil(showsSession, kTimeoutMs))
            return nullptr;
        auto page = std::make_unique<PageDriver>(window.view());
        if (!page->waitReady(kTimeoutMs))
            return nullptr;
        return page;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_temp.isValid());
        QSettings(u"Lunette"_s, u"Lunette"_s).clear();
        m_sitePath = m_temp.filePath(u"demo"_s);
        auto made = lunette::scaffoldSite(m_sitePath, u"Demo"_s);
        QVERIFY2(made, made ? "" : qPrintable(made.error()));
    }

    void cleanup() { QSettings(u"Lunette"_s, u"Lunette"_s).clear(); }

    void startPageWithoutSite()
    {
        MainWindow window;
        window.show();
        QCOMPARE(window.windowTitle(), u"Lunette"_s);
        QVERIFY(window.sitePath().isEmpty());
        QVERIFY(!window.host());
        QCOMPARE(currentPage(window), window.startPage());
        QVERIFY(window.startPage()->findChild<QPushButton*>(u"openSiteButton"_s));
        QVERIFY(window.startPage()->findChild<QPushButton*>(u"newSiteButton"_s));
        QVERIFY(!window.action(u"restartSession"_s)->isEnabled());
        QVERIFY(!window.action(u"stopScript"_s)->isEnabled());
    }

    // The site is served by the window's own host; the page's URL is /<session> with no token
    // (it is an HttpOnly cookie the page's scripts cannot read); the log has the session's lines.
    void siteIsServedWithTheTokenInACookie()
    {
        MainWindow window(m_sitePath);
        QVERIFY2(window.host(), qPrintable(window.siteError()));
        window.show();
        auto page = readyPage(window);
        QVERIFY(page);
        QCOMPARE(window.windowTitle(), u"Demo \u2014 Lunette"_s); // lunette.json's window.title
        QCOMPARE(window.sitePath(), QDir(m_sitePath).absolutePath());
        const QUrl url = window.view()->url();
        QCOMPARE(url.host(), u"127.0.0.1"_s);
        QCOMPARE(url.path(), u"/"_s + window.pageSessionId());
        QVERIFY(!url.hasQuery());
        QCOMPARE(page->eval(u"document.cookie.includes('lunette-token')"_s).value_or(true).toBool(),
            false);
        QVERIFY(page->waitFor(
            u"document.querySelector('[data-test=greeting]').textContent === 'Hello! What is your name?'"_s));
        QCOMPARE(window.host()->sessions().sessionIds(), QStringList { window.pageSessionId() });
        QCOMPARE(currentPage(window), window.view());

        // The status bar names the site, its URL, the sessions and hot reload.
        QCOMPARE(window.findChild<QLabel*>(u"statusSite"_s)->text(), u"demo"_s);
        QCOMPARE(
            window.findChild<QLabel*>(u"statusUrl"_s)->text(), window.host()->server().origin());
        QTRY_COMPARE_WITH_TIMEOUT(
            window.findChild<QLabel*>(u"statusSessions"_s)->text(), u"1 session(s)"_s, kTimeoutMs);
        QCOMPARE(window.findChild<QLabel*>(u"statusHotload"_s)->text(), u"Hot reload on"_s);
        QVERIFY(window.action(u"hotload"_s)->isChecked());
    }

    // The log module's levels reach the Log dock's model as they are.
    void sessionLogLevelsReachTheLog()
    {
        const QString folder = m_temp.filePath(u"logging"_s);
        QVERIFY(writeMinimalSite(folder));
        QVERIFY(writeFile(folder + u"/lua/main.lua"_s,
            "local log = require('log')\nlog.warn('careful')\nlog.error('broken')\n"
            "ui.log('plain')\nlog.debug('detail')\n"
            "App = session:prototype('App', { word = 'fixed' })\n"
            "if not session:getApp() then session:createAppVariable(App:new()) end\n"));
        MainWindow window(folder);
        QVERIFY2(window.host(), qPrintable(window.siteError()));
        LogModel* log = window.logModel();
        const auto levelOf = [&](const QString& text) {
            for (int r = 0; r < log->rowCount(); ++r) {
                if (log->entry(r).text.endsWith(text))
                    return int(log->entry(r).level);
            }
            return -1;
        };
        QTRY_VERIFY_WITH_TIMEOUT(levelOf(u"detail"_s) >= 0, kTimeoutMs);
        QCOMPARE(levelOf(u"careful"_s), int(LogModel::Level::Warning));
        QCOMPARE(levelOf(u"broken"_s), int(LogModel::Level::Error));
        QCOMPARE(levelOf(u"plain"_s), int(LogModel::Level::Info));
        QCOMPARE(levelOf(u"detail"_s), int(LogModel::Level::Debug));
    }

    // A folder that is not a site: the error page says why; once main.lua exists, Retry opens it.
    void folderWithoutMainShowsErrorThenRetry()
    {
        const QString folder = m_temp.filePath(u"not-<b>a&site"_s);
        QVERIFY(QDir().mkpath(folder));
        MainWindow window(folder);
        window.show();
        QVERIFY(!window.host());
        QCOMPARE(currentPage(window), window.errorPage());
        QCOMPARE(window.windowTitle(), u"not-<b>a&site \u2014 Lunette"_s);
        QCOMPARE(window.errorPage()->findChild<QLabel*>(u"errorHeadline"_s)->text(),
            u"not-<b>a&site could not be opened"_s);
        QVERIFY2(window.errorPage()->message().contains(u"main.lua"_s),
            qPrintable(window.errorPage()->message()));

        QVERIFY(writeMinimalSite(folder));
        QTest::mouseClick(
            window.errorPage()->findChild<QPushButton*>(u"retryButton"_s), Qt::LeftButton);
        QVERIFY2(window.host(), qPrintable(window.siteError()));
        QVERIFY(readyPage(window));
        QCOMPARE(currentPage(window), window.view());
    }

    // main.lua that fails: the error page has the message and file:line; fixed, Retry starts it.
    void failingMainShowsLocationThenRetry()
    {
        const QString folder = m_temp.filePath(u"broken"_s);
        QVERIFY(writeFile(folder + u"/lua/main.lua"_s, "local x = 1\nerror('boom')\n"));
        MainWindow window(folder);
        window.show();
        QVERIFY(window.host()); // the folder is a site; its session fails
        QTRY_COMPARE_WITH_TIMEOUT(currentPage(window), window.errorPage(), kTimeoutMs);
        QCOMPARE(window.errorPage()->findChild<QLabel*>(u"errorHeadline"_s)->text(),
            u"broken failed to start"_s);
        QVERIFY2(window.errorPage()->message().contains(u"boom"_s),
            qPrintable(window.errorPage()->message()));
        QCOMPARE(window.errorPage()->location(), u"lua/main.lua:2"_s);
        QVERIFY(window.siteError().contains(u"boom"_s));

        QVERIFY(writeMinimalSite(folder));
        QTest::mouseClick(
            window.errorPage()->findChild<QPushButton*>(u"retryButton"_s), Qt::LeftButton);
        auto page = readyPage(window);
        QVERIFY(page);
        QVERIFY(page->waitFor(
            u"document.querySelector('[data-test=word]')?.textContent === 'fixed'"_s));
        QCOMPARE(currentPage(window), window.view());
        QVERIFY(window.siteError().isEmpty());
    }

    // New Site: the template is written and opened; an occupied folder is refused, untouched.
    void newSiteIsCreatedAndOpened()
    {
        MainWindow window;
        window.show();
        const QString folder = m_temp.filePath(u"fresh"_s);
        QString error;
        QVERIFY2(window.newSite(folder, u"Fresh Site"_s, &error), qPrintable(error));
        QVERIFY(QFile::exists(folder + u"/.luarc.json"_s));
        auto page = readyPage(window);
        QVERIFY(page);
        QCOMPARE(window.windowTitle(), u"Fresh Site \u2014 Lunette"_s);
        QVERIFY(page->type(u"[data-test=name]"_s, u"Ada"_s));
        QVERIFY(page->waitFor(
            u"document.querySelector('[data-test=greeting]').textContent === 'Hello, Ada!'"_s));

        QVERIFY(!window.newSite(folder, QString(), &error));
        QVERIFY2(error.contains(u"not empty"_s), qPrintable(error));
        QCOMPARE(window.sitePath(), QDir(folder).absolutePath()); // still showing the site
    }

    // A folder dropped on the window opens it; a file does not; recent sites and "reopen the last
    // site" follow.
    void droppedFolderOpensAndIsRemembered()
    {
        MainWindow window;
        window.show();
        QMimeData file;
        file.setUrls({ QUrl::fromLocalFile(m_sitePath + u"/lunette.json"_s) });
        QDragEnterEvent fileEnter(
            QPoint(10, 10), Qt::CopyAction, &file, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &fileEnter);
        QVERIFY(!fileEnter.isAccepted());

        QMimeData folder;
        folder.setUrls({ QUrl::fromLocalFile(m_sitePath) });
        QDragEnterEvent enter(
            QPoint(10, 10), Qt::CopyAction, &folder, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &folder, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &drop);
        QTRY_COMPARE_WITH_TIMEOUT(window.sitePath(), QDir(m_sitePath).absolutePath(), kTimeoutMs);
        QVERIFY(readyPage(window));
        QCOMPARE(window.recentSites().value(0), QDir(m_sitePath).absolutePath());

        // `lunette` with no SITE reopens it; Close Site shows it in the start page's list.
        MainWindow::Options options;
        options.reopenLast = true;
        MainWindow again(options);
        QCOMPARE(again.sitePath(), QDir(m_sitePath).absolutePath());
        again.closeSite();
        QCOMPARE(currentPage(again), again.startPage());
        auto* list = again.startPage()->findChild<QListWidget*>(u"recentSites"_s);
        QVERIFY(list && list->count() >= 1);
        QCOMPARE(list->item(0)->data(Qt::UserRole).toString(), QDir(m_sitePath).absolutePath());
    }

    // Restart session: a new session with fresh Lua state replaces the page's; the old one is
    // gone.
    void restartSessionStartsFresh()
    {
        MainWindow window(m_sitePath);
        window.show();
        auto page = readyPage(window);
        QVERIFY(page);
        QVERIFY(page->click(u"[data-test=click]"_s));
        QVERIFY(
            page->waitFor(u"document.querySelector('[data-test=clicks]').textContent === '1'"_s));
        const QString before = window.pageSessionId();

        QSignalSpy changed(&window, &MainWindow::pageSessionChanged);
        window.action(u"restartSession"_s)->trigger();
        QVERIFY(changed.wait(kTimeoutMs));
        QVERIFY(window.pageSessionId() != before);
        page = readyPage(window);
        QVERIFY(page);
        QVERIFY(
            page->waitFor(u"document.querySelector('[data-test=clicks]').textContent === '0'"_s));
        QTRY_COMPARE_WITH_TIMEOUT(window.host()->sessions().sessionIds(),
            QStringList { window.pageSessionId() }, kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(
            window.sessionsModel()->selectedSessionId(), window.pageSessionId(), kTimeoutMs);
    }

    // The Hot reload toggle: off, an edit does not reach the page; on, the next one does.
    void hotReloadToggle()
    {
        const QString folder = m_temp.filePath(u"toggle"_s);
        QVERIFY(lunette::scaffoldSite(folder, u"Toggle"_s));
        MainWindow window(folder);
        window.show();
        auto page = readyPage(window);
        QVERIFY(page);
        QAction* hotload = window.action(u"hotload"_s);
        QVERIFY(hotload->isChecked());
        hotload->trigger();
        QVERIFY(!hotload->isChecked());
        QVERIFY(!window.host()->hotloadEnabled());
        QCOMPARE(window.findChild<QLabel*>(u"statusHotload"_s)->text(), u"Hot reload off"_s);

        hotload->trigger();
        QVERIFY(window.host()->hotloadEnabled());
        const QString viewdef = folder + u"/viewdefs/App.DEFAULT.html"_s;
        QFile file(viewdef);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QByteArray html = file.readAll();
        file.close();
        html.replace("Click me", "Press me");
        QVERIFY(writeFile(viewdef, html));
        QVERIFY(page->waitFor(
            u"document.querySelector('[data-test=click]').textContent === 'Press me'"_s));
        QTRY_VERIFY_WITH_TIMEOUT(window.findChild<QLabel*>(u"statusReload"_s)
                                     ->text()
                                     .startsWith(u"Reloaded viewdefs/App.DEFAULT.html"_s),
            kTimeoutMs);
    }

    // Open in browser: the session's URL with the token, on the clipboard too; a second browser
    // (another profile) with it joins the same session.
    void openInBrowserJoinsTheSession()
    {
        UrlRecorder recorder;
        QDesktopServices::setUrlHandler(u"http"_s, &recorder, "open");
        MainWindow window(m_sitePath);
        window.show();
        auto page = readyPage(window);
        QVERIFY(page);
        QVERIFY(page->click(u"[data-test=click]"_s));
        QVERIFY(
            page->waitFor(u"document.querySelector('[data-test=clicks]').textContent === '1'"_s));

        window.action(u"openInBrowser"_s)->trigger();
        QDesktopServices::unsetUrlHandler(u"http"_s);
        QCOMPARE(recorder.urls.size(), 1);
        const QUrl url = recorder.urls.first();
        QCOMPARE(url.path(), u"/"_s + window.pageSessionId());
        QCOMPARE(url.query(), u"token="_s + window.host()->server().token());
        QCOMPARE(QGuiApplication::clipboard()->text(), url.toString());

        PageDriver browser;
        QVERIFY2(browser.open(url), qPrintable(browser.lastError()));
        QVERIFY(
            browser.waitFor(u"document.querySelector('[data-test=clicks]').textContent === '1'"_s));
    }

    // F12: DevTools in a dock of the window, attached to the page (no remote-debugging port).
    void devToolsDock()
    {
        MainWindow window(m_sitePath);
        window.show();
        QVERIFY(readyPage(window));
        QVERIFY(!window.dock(u"devtools"_s));
        window.action(u"devTools"_s)->trigger();
        QDockWidget* dock = window.dock(u"devtools"_s);
        QVERIFY(dock);
        QVERIFY(dock->isVisible());
        auto* tools = qobject_cast<QWebEngineView*>(dock->widget());
        QVERIFY(tools);
        QCOMPARE(window.view()->page()->devToolsPage(), tools->page());
        QTRY_VERIFY_WITH_TIMEOUT(tools->url().scheme() == u"devtools"_s, kTimeoutMs);
        QVERIFY(qEnvironmentVariableIsEmpty("QTWEBENGINE_REMOTE_DEBUGGING"));
    }

    // Selecting a variable in the Variables dock outlines its element in the page.
    void selectingAVariableHighlightsItsElement()
    {
        MainWindow window(m_sitePath);
        window.show();
        auto page = readyPage(window);
        QVERIFY(page);
        VariablesModel* variables = window.variablesModel();
        int target = -1;
        QVERIFY(spinUntil(
            [&] {
                for (int r = 0; r < variables->rowCount(); ++r) {
                    const QModelIndex index = variables->index(r, 0);
                    const QHash<int, QByteArray> roles = variables->roleNames();
                    QString path, element;
                    for (auto it = roles.begin(); it != roles.end(); ++it) {
                        if (it.value() == "path")
                            path = index.data(it.key()).toString();
                        if (it.value() == "elementId")
                            element = index.data(it.key()).toString();
                    }
                    if (path == u"greeting()"_s && !element.isEmpty()) {
                        target = r;
                        return true;
                    }
                }
                return false;
            },
            kTimeoutMs));
        QCOMPARE(page->eval(u"document.querySelector('[data-test=greeting]').style.outlineStyle"_s)
                     .value_or(QVariant())
                     .toString(),
            QString());
        variables->select(target);
        QVERIFY(page->waitFor(
            u"document.querySelector('[data-test=greeting]').style.outlineStyle === 'solid'"_s));
    }

    // A Lua position in the log opens the file (through QDesktopServices) from the site folder.
    void logLocationOpensTheFile()
    {
        UrlRecorder recorder;
        QDesktopServices::setUrlHandler(u"file"_s, &recorder, "open");
        MainWindow window(m_sitePath);
        window.logModel()->append(LogModel::Level::Error, u"session x"_s,
            u"lua/main.lua:12: attempt to call a nil value"_s);
        auto* filter = window.findChild<LogFilterModel*>();
        QVERIFY(filter);
        filter->activate(filter->rowCount() - 1);
        QDesktopServices::unsetUrlHandler(u"file"_s);
        QCOMPARE(recorder.urls,
            QList<QUrl>({ QUrl::fromLocalFile(QDir(m_sitePath).filePath(u"lua/main.lua"_s)) }));
    }

    // Preferences persist and apply: the port of the next site, the theme at once.
    void preferencesApply()
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const int port = probe.serverPort();
        probe.close();
        {
            MainWindow window;
            Preferences preferences = window.preferences();
            preferences.port = port;
            preferences.theme = Preferences::Theme::Dark;
            window.setPreferences(preferences);
            QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 100);
            preferences.theme = Preferences::Theme::Light;
            window.setPreferences(preferences);
            QVERIFY(QApplication::palette().color(QPalette::Window).lightness() > 150);
        }
        MainWindow window(m_sitePath);
        QCOMPARE(window.preferences().port, port);
        QVERIFY2(window.host(), qPrintable(window.siteError()));
        QCOMPARE(window.host()->server().origin(), u"http://127.0.0.1:%1"_s.arg(port));

        // --port beats the preference.
        MainWindow::Options options;
        options.sitePath = m_sitePath;
        options.port = 0;
        MainWindow other(options);
        QVERIFY(other.host());
        QVERIFY(other.host()->server().origin() != window.host()->server().origin());
        window.setPreferences(Preferences {});
    }

    // The Preferences dialog shows the preferences it is given and returns what was edited.
    void preferencesDialogEdits()
    {
        Preferences given;
        given.port = 8123;
        given.luaTimeLimitSeconds = 7;
        given.idleSessionMinutes = 30;
        given.theme = Preferences::Theme::Dark;
        given.hotload = false;
        PreferencesDialog dialog(given);
        QCOMPARE(dialog.preferences(), given);
        dialog.findChild<QSpinBox*>(u"port"_s)->setValue(0);
        dialog.findChild<QSpinBox*>(u"luaTimeLimit"_s)->setValue(0);
        auto* theme = dialog.findChild<QComboBox*>(u"theme"_s);
        theme->setCurrentIndex(theme->findText(u"Light"_s));
        dialog.findChild<QCheckBox*>(u"hotload"_s)->setChecked(true);
        const Preferences edited = dialog.preferences();
        QCOMPARE(edited.port, 0);
        QCOMPARE(edited.luaTimeLimitSeconds, 0);
        QCOMPARE(edited.idleSessionMinutes, 30);
        QCOMPARE(edited.theme, Preferences::Theme::Light);
        QVERIFY(edited.hotload);
    }

    // Geometry and the dock layout persist across windows.
    void layoutPersists()
    {
        const QSize size(900, 640);
        {
            MainWindow window;
            window.show();
            window.resize(size);
            QTRY_COMPARE(window.size(), size);
            QVERIFY(window.dock(u"log"_s));
            window.dock(u"log"_s)->hide();
            window.close(); // saves geometry and dock state
        }
        MainWindow reopened;
        reopened.show();
        QCOMPARE(reopened.size(), size);
        QVERIFY(reopened.dock(u"log"_s)->isHidden());
        QVERIFY(!reopened.dock(u"variables"_s)->isHidden());
    }

    // `lunette sites/contacts`: the contact manager in the window with its docks (screenshot
    // mainwindow-contacts.png in the test artifacts).
    void contactsSiteInTheWindow()
    {
        MainWindow window(lunette::test::sourceDir() + u"/sites/contacts"_s);
        QVERIFY2(window.host(), qPrintable(window.siteError()));
        QCOMPARE(window.windowTitle(), u"Contact Manager \u2014 Lunette"_s);
        window.resize(1400, 900);
        window.show();
        auto page = readyPage(window);
        QVERIFY(page);
        QVERIFY(page->waitFor(
            u"[...document.querySelectorAll('[data-test=card-name]')].map(e => e.textContent.trim()).join('|') === 'Alice Smith|Bob Johnson|Carol Williams'"_s));
        QVERIFY(page->idle());
        QVERIFY(page->screenshot()); // Shoelace defined and painted
        QTRY_VERIFY_WITH_TIMEOUT(window.variablesModel()->rowCount() > 5, kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(
            window.sessionsModel()
                ->data(window.sessionsModel()->index(0, 0), SessionsModel::ConnectionsRole)
                .toInt(),
            1, kTimeoutMs);
        QVERIFY(!lunette::test::saveWidgetShot(window, u"mainwindow-contacts.png"_s).isEmpty());
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_mainwindow.moc"
