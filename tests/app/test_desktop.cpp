// The desktop scenarios of SCENARIOS.md ("Desktop app"), in the real window offscreen: the real
// SiteHost, the real page in the window's QWebEngineView, the QML docks in their QQuickWidgets.
// The page is driven through runJavaScript (PageDriver), the docks through their QML items (keys
// typed into the console's input), and what the docks show is read from their models and items.

#include <atomic>
#include <memory>

#include <QDockWidget>
#include <QElapsedTimer>
#include <QMenuBar>
#include <QQuickItem>
#include <QQuickWidget>
#include <QSettings>
#include <QStandardPaths>
#include <QTimer>
#include <QToolBar>
#include <QWebEngineView>
#include <QtTest>

#include "ConsoleModel.h"
#include "MainWindow.h"
#include "PageDriver.h"
#include "QmlDock.h"
#include "SessionsModel.h"
#include "VariablesModel.h"
#include "WidgetShot.h"
#include "host/SiteHost.h"
#include "lua/LuaExecutor.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::test::PageDriver;
using lunette::test::spinUntil;

namespace {

constexpr int kTimeoutMs = 30000;

QString sourceSite(const QString& name)
{
    return lunette::test::sourceDir() + u"/sites/"_s + name;
}

// A row of a model as role name -> value.
QVariantMap row(const QAbstractItemModel* model, int r)
{
    QVariantMap out;
    const auto roles = model->roleNames();
    for (auto it = roles.begin(); it != roles.end(); ++it)
        out.insert(QString::fromUtf8(it.value()), model->index(r, 0).data(it.key()));
    return out;
}

// The first row whose `role` equals value, or an empty map.
QVariantMap findRow(const QAbstractItemModel* model, const QString& role, const QVariant& value)
{
    for (int r = 0; r < model->rowCount(); ++r) {
        const QVariantMap data = row(model, r);
        if (data.value(role) == value)
            return data;
    }
    return {};
}

QQuickItem* dockItem(MainWindow& window, const QString& dock, const QString& name)
{
    QQuickItem* root = qmlDockRoot(window.dock(dock));
    return root ? root->findChild<QQuickItem*>(name) : nullptr;
}

// The newest console entries as "kind: text".
QStringList consoleTail(const ConsoleModel* model, int n)
{
    QStringList out;
    for (int r = std::max(0, model->rowCount() - n); r < model->rowCount(); ++r) {
        const QVariantMap data = row(model, r);
        out << data.value(u"kind"_s).toString() + u": "_s + data.value(u"text"_s).toString();
    }
    return out;
}

} // namespace

class TestDesktop final : public QObject
{
    Q_OBJECT

public:
    static void initMain()
    {
        QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
        lunette::test::isolateSettings(); // QSettings in a folder of this process
    }

private:
    std::unique_ptr<MainWindow> m_window;
    std::unique_ptr<PageDriver> m_page;

    // Open site in a new window (shown, with docks) and wait for its page to be ready.
    bool openWindow(const MainWindow::Options& options)
    {
        m_page.reset();
        m_window = std::make_unique<MainWindow>(options);
        m_window->resize(1400, 900);
        m_window->show();
        if (!m_window->host()) {
            qWarning("the site did not start: %s", qPrintable(m_window->siteError()));
            return false;
        }
        if (!spinUntil([&] { return !m_window->pageSessionId().isEmpty(); }, kTimeoutMs))
            return false;
        m_page = std::make_unique<PageDriver>(m_window->view());
        if (!m_page->waitReady(kTimeoutMs)) {
            qWarning("page not ready: %s", qPrintable(m_page->lastError()));
            return false;
        }
        return true;
    }

    // Type a line into the Console dock's input, as a user does, and press Enter.
    bool typeInConsole(const QString& line)
    {
        QQuickItem* input = dockItem(*m_window, u"console"_s, u"consoleInput"_s);
        QQuickWidget* view = qmlDockView(m_window->dock(u"console"_s));
        if (!input || !view)
            return false;
        view->setFocus(Qt::OtherFocusReason);
        input->forceActiveFocus();
        if (!spinUntil([&] { return input->hasActiveFocus(); }, 5000))
            return false;
        QTest::keyClicks(view, line);
        QTest::keyClick(view, Qt::Key_Return);
        return true;
    }

    // Wait until the console has finished every submission.
    bool consoleSettled()
    {
        return spinUntil(
            [&] { return !m_window->consoleModel()->property("busy").toBool(); }, kTimeoutMs);
    }

    QString saveWindowShot(const QString& name)
    {
        return lunette::test::saveWidgetShot(*m_window, name);
    }

private slots:
    void initTestCase() { QSettings(u"Lunette"_s, u"Lunette"_s).clear(); }

    void cleanup()
    {
        m_page.reset();
        m_window.reset();
        QSettings(u"Lunette"_s, u"Lunette"_s).clear();
    }

    // 1. `lunette sites/contacts`: the window shows the site; Sessions lists one session;
    //    Variables lists variable 1 with type ContactApp.
    void siteWithSessionsAndVariables()
    {
        QVERIFY(openWindow({ sourceSite(u"contacts"_s) }));
        QVERIFY(
            m_page->waitFor(u"document.querySelectorAll('[data-test=card-name]').length === 3"_s));
        // The token is in the cookie store, not in the page's URL.
        QVERIFY2(
            !m_page->url().toString().contains(u"token"_s), qPrintable(m_page->url().toString()));
        QCOMPARE(m_page->url().path(), u"/"_s + m_window->pageSessionId());

        SessionsModel* sessions = m_window->sessionsModel();
        QTRY_COMPARE_WITH_TIMEOUT(sessions->count(), 1, kTimeoutMs);
        QCOMPARE(row(sessions, 0).value(u"sessionId"_s).toString(), m_window->pageSessionId());
        QCOMPARE(sessions->selectedSessionId(), m_window->pageSessionId());
        QTRY_VERIFY_WITH_TIMEOUT(row(sessions, 0).value(u"connections"_s).toInt() == 1, kTimeoutMs);
        QQuickItem* sessionsList = dockItem(*m_window, u"sessions"_s, u"sessionsList"_s);
        QVERIFY(sessionsList);
        QTRY_COMPARE_WITH_TIMEOUT(sessionsList->property("count").toInt(), 1, kTimeoutMs);

        VariablesModel* variables = m_window->variablesModel();
        QTRY_VERIFY_WITH_TIMEOUT(!findRow(variables, u"varId"_s, 1).isEmpty(), kTimeoutMs);
        QCOMPARE(findRow(variables, u"varId"_s, 1).value(u"type"_s).toString(), u"ContactApp"_s);
        QQuickItem* variablesList = dockItem(*m_window, u"variables"_s, u"variablesList"_s);
        QVERIFY(variablesList);
        QTRY_COMPARE_WITH_TIMEOUT(
            variablesList->property("count").toInt(), variables->rowCount(), kTimeoutMs);
    }

    // 2. Click "Add Contact" in the page: the Variables dock shows the edit form's variables with
    //    the form's state (the form is in the page from the start, hidden, so its variables exist
    //    before the click; the click gives them their values).
    void addContactShowsFormVariables()
    {
        QVERIFY(openWindow({ sourceSite(u"contacts"_s) }));
        VariablesModel* variables = m_window->variablesModel();
        QTRY_VERIFY_WITH_TIMEOUT(
            !findRow(variables, u"path"_s, u"formTitle"_s).isEmpty(), kTimeoutMs);
        QVERIFY(m_page->idle());
        QCOMPARE(
            findRow(variables, u"path"_s, u"formTitle"_s).value(u"value"_s).toString(), u"\"\""_s);
        QCOMPARE(
            findRow(variables, u"path"_s, u"isListView"_s).value(u"value"_s).toString(), u"true"_s);
        for (const auto* field :
            { "editFirstName", "editLastName", "editEmail", "editPhone", "editNotes" })
            QVERIFY2(!findRow(variables, u"path"_s, QString::fromLatin1(field)).isEmpty(), field);

        QVERIFY(m_page->click(u"[data-test=add-contact]"_s));
        QVERIFY(m_page->waitFor(u"!document.querySelector('[data-test=edit-view]').hidden"_s));
        QVERIFY(m_page->idle());
        QTRY_COMPARE_WITH_TIMEOUT(
            findRow(variables, u"path"_s, u"formTitle"_s).value(u"value"_s).toString(),
            u"\"Add Contact\""_s, kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(
            findRow(variables, u"path"_s, u"isListView"_s).value(u"value"_s).toString(), u"false"_s,
            kTimeoutMs);
        QVERIFY(findRow(variables, u"path"_s, u"formTitle"_s).value(u"changeCount"_s).toInt() >= 1);
        // The dock's list shows every row of the model.
        QQuickItem* list = dockItem(*m_window, u"variables"_s, u"variablesList"_s);
        QTRY_COMPARE_WITH_TIMEOUT(
            list->property("count").toInt(), variables->rowCount(), kTimeoutMs);
        // The Sessions dock has caught up with the page too (it polls twice a second).
        QTRY_COMPARE_WITH_TIMEOUT(
            row(m_window->sessionsModel(), 0).value(u"variableCount"_s).toInt(),
            variables->rowCount(), kTimeoutMs);
        QCOMPARE(row(m_window->sessionsModel(), 0).value(u"connections"_s).toInt(), 1);
        QVERIFY(!saveWindowShot(u"desktop-contacts-docks.png"_s).isEmpty());
    }

    // 3. The console: UI changes appear in the page at once; expressions print their value; an
    //    incomplete statement continues on the next line; errors come with a traceback.
    void consoleDrivesTheSession()
    {
        QVERIFY(openWindow({ sourceSite(u"contacts"_s) }));
        QVERIFY(
            m_page->waitFor(u"document.querySelectorAll('[data-test=card-name]').length === 3"_s));
        ConsoleModel* console = m_window->consoleModel();
        QTRY_COMPARE_WITH_TIMEOUT(
            console->property("sessionId").toString(), m_window->pageSessionId(), kTimeoutMs);

        QVERIFY(typeInConsole(u"session:getApp().searchQuery = \"bo\""_s));
        QVERIFY(consoleSettled());
        QVERIFY(m_page->waitFor(
            u"[...document.querySelectorAll('[data-test=card-name]')].map(e => e.textContent.trim()).join('|') === 'Bob Johnson'"_s));

        QVERIFY(typeInConsole(u"1+1"_s));
        QVERIFY(consoleSettled());
        QCOMPARE(consoleTail(console, 2), QStringList({ u"input: > 1+1"_s, u"result: 2"_s }));

        QVERIFY(typeInConsole(u"for i=1,3 do"_s));
        QVERIFY(consoleSettled());
        QVERIFY(console->property("continuing").toBool());
        QCOMPARE(console->property("prompt").toString(), u">> "_s);
        QQuickItem* prompt = dockItem(*m_window, u"console"_s, u"consolePrompt"_s);
        QVERIFY(prompt);
        QCOMPARE(prompt->property("text").toString().trimmed(), u">>"_s);
        QVERIFY(typeInConsole(u"print(i) end"_s));
        QVERIFY(consoleSettled());
        QVERIFY(!console->property("continuing").toBool());
        QCOMPARE(consoleTail(console, 4),
            QStringList(
                { u"input: >> print(i) end"_s, u"output: 1"_s, u"output: 2"_s, u"output: 3"_s }));

        QVERIFY(typeInConsole(u"error(\"x\")"_s));
        QVERIFY(consoleSettled());
        const QVariantMap error = row(console, console->rowCount() - 1);
        QCOMPARE(error.value(u"kind"_s).toString(), u"error"_s);
        QVERIFY2(error.value(u"text"_s).toString().endsWith(u"x"_s),
            qPrintable(error.value(u"text"_s).toString()));
        QVERIFY2(error.value(u"traceback"_s).toString().contains(u"stack traceback"_s),
            qPrintable(error.value(u"traceback"_s).toString()));
        QVERIFY(!saveWindowShot(u"desktop-console.png"_s).isEmpty());
    }

    // 4. Stop script: an action running `while true do end` is interrupted; the page and the GUI
    //    stay responsive throughout.
    void stopScriptInterruptsARunawayAction()
    {
        // A long time limit, so that it is the Stop action that ends the loop.
        Preferences preferences;
        preferences.luaTimeLimitSeconds = 120;
        QSettings settings(u"Lunette"_s, u"Lunette"_s);
        preferences.save(settings);
        settings.sync();

        QVERIFY(openWindow({ lunette::test::sourceDir() + u"/tests/data/sites/runaway"_s }));
        QCOMPARE(m_window->preferences().luaTimeLimitSeconds, 120);
        QVERIFY(m_page->idle());
        lunette::LuaExecutor& executor = m_window->host()->executor();

        QVERIFY(m_page->click(u"[data-test=spin]"_s));
        // The executor is stuck in the loop: probe it until work posted to it stays queued.
        std::shared_ptr<std::atomic<bool>> probe;
        QVERIFY(spinUntil(
            [&] {
                auto ran = std::make_shared<std::atomic<bool>>(false);
                executor.post([ran] { ran->store(true); });
                if (spinUntil([&] { return ran->load(); }, 300))
                    return false; // idle still: the click has not reached Lua yet
                probe = ran;
                return true;
            },
            kTimeoutMs));
        // ...while the GUI thread keeps turning: over half a second no gap between timer ticks
        // is longer than 200 ms, and the page still answers scripts.
        QElapsedTimer clock;
        clock.start();
        qint64 last = 0, worstGap = 0;
        QTimer ticker;
        connect(&ticker, &QTimer::timeout, this, [&] {
            worstGap = std::max(worstGap, clock.elapsed() - last);
            last = clock.elapsed();
        });
        ticker.start(10);
        spinUntil([&] { return clock.elapsed() >= 500; }, 2000);
        ticker.stop();
        QVERIFY2(worstGap < 200, qPrintable(u"the GUI stalled for %1 ms"_s.arg(worstGap)));
        QVERIFY(!probe->load()); // still spinning
        QCOMPARE(m_page->eval(u"1 + 1"_s).value_or(QVariant()).toInt(), 2);

        QAction* stop = m_window->action(u"stopScript"_s);
        QVERIFY(stop && stop->isEnabled());
        QElapsedTimer stopped;
        stopped.start();
        stop->trigger();
        QVERIFY(spinUntil([&] { return probe->load(); }, 10000));
        QVERIFY2(stopped.elapsed() < 5000, "the loop ended long after Stop");

        // The session lives on: another action works and shows in the page.
        QVERIFY(m_page->click(u"[data-test=bump]"_s));
        QVERIFY(m_page->waitFor(
            u"document.querySelector('[data-test=count]').textContent.trim() === '1'"_s));
    }

    // 5. Player mode: the site renders with the manifest's title and no docks.
    //    (Packaging is issue 8; until then the site folder is given with --player.)
    void playerModeShowsOnlyTheSite()
    {
        MainWindow::Options options;
        options.sitePath = sourceSite(u"contacts"_s);
        options.player = true;
        QVERIFY(openWindow(options));
        QVERIFY(
            m_page->waitFor(u"document.querySelectorAll('[data-test=card-name]').length === 3"_s));
        QCOMPARE(m_window->windowTitle(), u"Contact Manager"_s);
        QVERIFY(m_window->findChildren<QDockWidget*>().isEmpty());
        QVERIFY(m_window->findChildren<QToolBar*>().isEmpty());
        QVERIFY(!m_window->menuWidget() || m_window->menuBar()->actions().isEmpty());
        QVERIFY(!m_window->host()->hotloadEnabled());
        QCOMPARE(m_window->action(u"devTools"_s)->isEnabled(), false);
        QVERIFY(!m_page->saveScreenshot(u"desktop-player.png"_s).isEmpty());
    }

    // Player mode with --inspect: the docks and DevTools come back.
    void playerModeInspect()
    {
        MainWindow::Options options;
        options.sitePath = sourceSite(u"adder"_s);
        options.player = true;
        options.inspect = true;
        QVERIFY(openWindow(options));
        QVERIFY(m_window->dock(u"variables"_s));
        QVERIFY(m_window->action(u"devTools"_s)->isEnabled());
        QCOMPARE(m_window->windowTitle(), u"Simple Adder"_s);
    }
};

QTEST_MAIN(TestDesktop)
#include "test_desktop.moc"
