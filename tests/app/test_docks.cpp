// The four docks (qml/, GUI.md "Docks") loaded with createQmlDock in a real, shown QMainWindow over
// real models: the Log dock over LogModel/LogFilterModel; Sessions, Variables and Console over the
// models of a real server (ServerFixture). Keys and clicks go through the QQuickWidget as a user's
// would. Loading prints no QML warning; each dock leaves a screenshot in artifactsDir().

#include <algorithm>
#include <memory>
#include <utility>

#include <QApplication>
#include <QDockWidget>
#include <QImage>
#include <QJsonObject>
#include <QLabel>
#include <QMainWindow>
#include <QPalette>
#include <QPointer>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWidget>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QStringList>
#include <QTemporaryDir>
#include <QtTest>

#include "ConsoleModel.h"
#include "LogModel.h"
#include "QmlDock.h"
#include "SessionsModel.h"
#include "VariablesModel.h"
#include "WidgetShot.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::test::ProtocolClient;
using lunette::test::saveWidgetShot;
using lunette::test::ServerFixture;

namespace {

// Warnings about our QML (binding errors, type errors, load failures), collected by the message
// handler and checked after each test.
QStringList g_qmlWarnings;
QtMessageHandler g_previousHandler = nullptr;

void recordQmlWarnings(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    if (type != QtDebugMsg && type != QtInfoMsg
        && (message.contains("qrc:/qt/qml/Lunette"_L1) || message.startsWith("QML dock"_L1)))
        g_qmlWarnings << message;
    if (g_previousHandler)
        g_previousHandler(type, context, message);
}

// The item named `name` under `item` in the visual tree (delegates included), or nullptr.
QQuickItem* findItem(QQuickItem* item, const QString& name)
{
    if (!item)
        return nullptr;
    if (item->objectName() == name)
        return item;
    const QList<QQuickItem*> children = item->childItems();
    for (QQuickItem* child : children) {
        if (QQuickItem* found = findItem(child, name))
            return found;
    }
    return nullptr;
}

// All the visible items named `name` under `item`.
void findVisibleItems(QQuickItem* item, const QString& name, QList<QQuickItem*>* out)
{
    if (!item || !item->isVisible())
        return;
    if (item->objectName() == name)
        out->append(item);
    const QList<QQuickItem*> children = item->childItems();
    for (QQuickItem* child : children)
        findVisibleItems(child, name, out);
}

// The point of the view at the centre of item.
QPoint centerOf(QQuickItem* item)
{
    return item->mapToScene(QPointF(item->width() / 2, item->height() / 2)).toPoint();
}

// A main window shown offscreen with one dock.
class DockWindow
{
public:
    DockWindow(const QString& objectName, const QString& title, const QString& component,
        const QVariantMap& properties, QSize size = { 900, 420 })
    {
        m_window.setCentralWidget(new QLabel(u"(site)"_s));
        m_dock = createQmlDock(&m_window, objectName, title, component, properties);
        m_window.addDockWidget(Qt::BottomDockWidgetArea, m_dock);
        m_window.resize(size);
        m_window.resizeDocks({ m_dock }, { size.height() - 80 }, Qt::Vertical);
        m_window.show();
    }

    bool exposed() { return QTest::qWaitForWindowExposed(&m_window); }
    QMainWindow& window() { return m_window; }
    QDockWidget* dock() const { return m_dock; }
    QQuickWidget* view() const { return qmlDockView(m_dock); }
    QQuickItem* root() const { return qmlDockRoot(m_dock); }
    QQuickItem* item(const QString& name) const { return findItem(root(), name); }

    // Give the item keyboard focus, as a click into the dock would.
    bool focus(QQuickItem* item)
    {
        m_window.activateWindow();
        view()->setFocus(Qt::MouseFocusReason);
        item->forceActiveFocus(Qt::MouseFocusReason);
        return QTest::qWaitFor([&] { return item->hasActiveFocus(); });
    }
    void click(QQuickItem* item, Qt::KeyboardModifiers modifiers = {})
    {
        QTest::mouseClick(view(), Qt::LeftButton, modifiers, centerOf(item));
    }

    // The dock as a person sees it, saved as artifactsDir()/<file>.
    bool screenshot(const QString& file) { return !saveWidgetShot(*m_dock, file).isEmpty(); }

private:
    QMainWindow m_window;
    QDockWidget* m_dock = nullptr;
};

// The delegate a ListView shows for row, or nullptr when it has none (not in view).
QQuickItem* delegateAt(QQuickItem* list, int row)
{
    QQuickItem* item = nullptr;
    if (list)
        QMetaObject::invokeMethod(
            list, "itemAtIndex", Q_RETURN_ARG(QQuickItem*, item), Q_ARG(int, row));
    return item;
}

// The view shows row in a delegate that is laid out for it (not one awaiting reuse).
bool delegateShows(QQuickItem* list, int row)
{
    QQuickItem* item = delegateAt(list, row);
    return item && item->property("index").toInt() == row && item->isVisible();
}

// The row of the list whose delegate has property == value, or -1.
int rowWhere(QQuickItem* list, const char* property, const QVariant& value)
{
    const int count = list ? list->property("count").toInt() : 0;
    for (int row = 0; row < count; ++row) {
        QQuickItem* item = delegateAt(list, row);
        if (item && item->property("index").toInt() == row && item->property(property) == value)
            return row;
    }
    return -1;
}

int listCount(QQuickItem* list)
{
    return list ? list->property("count").toInt() : -1;
}

} // namespace

class TestDocks final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ServerFixture> m_server;

    // The protocol fixture site (tests/data/sites/protocol) on a real server.
    bool startServer()
    {
        lunette::SessionManager::Options options;
        options.session.lua.timeout = std::chrono::milliseconds(0); // only requestStop ends a turn
        m_server = std::make_unique<ServerFixture>(
            lunette::test::sourceDir() + u"/tests/data/sites/protocol"_s, options);
        return m_server->start();
    }

    // A page of the session: the app (variable 1) watched, variables 2–9 under it (as
    // test_variablesmodel's page: 4 items → 5 items/0 → 6 name; 7 has an error).
    std::unique_ptr<ProtocolClient> openPage(const QString& sessionId)
    {
        auto client = std::make_unique<ProtocolClient>(*m_server, sessionId);
        if (!client->open())
            return nullptr;
        client->sendMessages({ ProtocolClient::watch(1),
            ProtocolClient::create(2, 1, u"title"_s,
                QJsonObject { { u"access"_s, u"r"_s }, { u"elementId"_s, u"ui-7"_s } }),
            ProtocolClient::create(3, 1, u"count"_s, QJsonObject { { u"label"_s, u"Count"_s } }),
            ProtocolClient::create(4, 1, u"items"_s, QJsonObject { { u"access"_s, u"r"_s } }),
            ProtocolClient::create(5, 4, u"0"_s), ProtocolClient::create(6, 5, u"name"_s),
            ProtocolClient::create(7, 1, u"selected.name"_s),
            ProtocolClient::create(
                8, 1, u"increment()"_s, QJsonObject { { u"access"_s, u"action"_s } }),
            ProtocolClient::create(
                9, 1, u"makeNames()"_s, QJsonObject { { u"access"_s, u"r"_s } }) });
        const QJsonObject last = client->waitForMessage([](const QJsonObject& m) {
            return m.value(u"type"_s) == u"update"_s
                && m.value(u"data"_s).toObject().value(u"varId"_s).toInteger() == 9;
        });
        return last.isEmpty() ? nullptr : std::move(client);
    }

private slots:
    void initTestCase() { g_previousHandler = qInstallMessageHandler(recordQmlWarnings); }
    void cleanupTestCase() { qInstallMessageHandler(g_previousHandler); }
    void init() { g_qmlWarnings.clear(); }
    void cleanup()
    {
        if (m_server) {
            m_server->executor().requestStop(); // a runaway turn of a failed test
            m_server.reset();
        }
        const QStringList warnings = std::exchange(g_qmlWarnings, {});
        QVERIFY2(warnings.isEmpty(), qPrintable(warnings.join(u'\n')));
    }

    // A component that does not load is shown as text in its dock, and logged.
    void loadErrorIsShown()
    {
        QDockWidget* dock
            = createQmlDock(nullptr, u"missingDock"_s, u"Missing"_s, u"NoSuchDock"_s, {});
        std::unique_ptr<QDockWidget> owner(dock);
        QCOMPARE(dock->objectName(), u"missingDock"_s);
        QCOMPARE(qmlDockRoot(dock), nullptr);
        QCOMPARE(qmlDockView(dock), nullptr);
        auto* label = qobject_cast<QLabel*>(dock->widget());
        QVERIFY(label);
        QVERIFY2(label->text().contains(u"NoSuchDock"_s), qPrintable(label->text()));
        QVERIFY(!g_qmlWarnings.isEmpty());
        g_qmlWarnings.clear();

        // A required property left unset is an error too, not an empty panel.
        QDockWidget* unset = createQmlDock(nullptr, u"logDock"_s, u"Log"_s, u"LogDock"_s, {});
        std::unique_ptr<QDockWidget> unsetOwner(unset);
        QCOMPARE(qmlDockRoot(unset), nullptr);
        auto* unsetLabel = qobject_cast<QLabel*>(unset->widget());
        QVERIFY(unsetLabel);
        QVERIFY2(unsetLabel->text().contains(u"log"_s), qPrintable(unsetLabel->text()));
        QVERIFY(!g_qmlWarnings.isEmpty());
        g_qmlWarnings.clear();
    }

    void logDock()
    {
        LogModel model;
        LogFilterModel filter;
        filter.setSourceModel(&model);
        model.append(LogModel::Level::Info, u"session 1a2b3c4d"_s, u"Contacts seeded (12)"_s);
        model.append(LogModel::Level::Debug, u"session 1a2b3c4d"_s, u"turn took 0.4 ms"_s);
        model.append(LogModel::Level::Warning, u"engine"_s, u"slow turn: 230 ms in update"_s);
        model.append(LogModel::Level::Error, u"hot reload"_s,
            u"lua/contact.lua:45: '<eof>' expected near 'function'"_s);
        model.append(LogModel::Level::Info, u"hot reload"_s, u"reloaded lua/contact.lua"_s);
        model.append(LogModel::Level::Error, u"session 1a2b3c4d"_s,
            u"update of variable 3 failed: apps/tasks/app.lua:7: attempt to index a nil value "
            u"(field 'items')\nstack traceback:\n\tapps/tasks/app.lua:7: in method 'add'"_s);

        DockWindow window(
            u"logDock"_s, u"Log"_s, u"LogDock"_s, { { u"log"_s, QVariant::fromValue(&filter) } });
        QVERIFY(window.exposed());
        QVERIFY(window.root());
        QCOMPARE(window.dock()->objectName(), u"logDock"_s);
        // Fusion follows the system palette (unless the user chose a style).
        if (qEnvironmentVariableIsEmpty("QT_QUICK_CONTROLS_STYLE"))
            QCOMPARE(QQuickStyle::name(), u"Fusion"_s);
        QQuickItem* list = window.item(u"logList"_s);
        QVERIFY(list);
        QTRY_COMPARE(listCount(list), 6);
        QVERIFY(window.screenshot(u"dock-log.png"_s));

        // Typing a search narrows the list.
        QQuickItem* search = window.item(u"logSearch"_s);
        QVERIFY(search);
        QVERIFY(window.focus(search));
        QTest::keyClicks(window.view(), u"reload"_s);
        QTRY_COMPARE(filter.search(), u"reload"_s);
        QTRY_COMPARE(listCount(list), 2);
        for (int i = 0; i < 6; ++i)
            QTest::keyClick(window.view(), Qt::Key_Backspace);
        QTRY_COMPARE(listCount(list), 6);

        // The level box: Down moves to Info, which hides the Debug line.
        QQuickItem* level = window.item(u"logLevel"_s);
        QVERIFY(level);
        QVERIFY(window.focus(level));
        QTest::keyClick(window.view(), Qt::Key_Down);
        QTRY_COMPARE(filter.minimumLevel(), int(LogModel::Level::Info));
        QTRY_COMPARE(listCount(list), 5);
        QTest::keyClick(window.view(), Qt::Key_Down);
        QTest::keyClick(window.view(), Qt::Key_Down);
        QTRY_COMPARE(filter.minimumLevel(), int(LogModel::Level::Error));
        QTRY_COMPARE(listCount(list), 2);
        QCOMPARE(level->property("currentIndex").toInt(), 3);

        // Clicking a line's file:line asks to open that position.
        QSignalSpy activated(&filter, &LogFilterModel::locationActivated);
        // Once the view has laid out the filtered rows (it does so before it paints).
        QQuickItem* contactLink = nullptr;
        QQuickItem* tasksLink = nullptr;
        QTRY_VERIFY(delegateShows(list, 0) && delegateShows(list, 1));
        contactLink = findItem(delegateAt(list, 0), u"logLocation"_s);
        tasksLink = findItem(delegateAt(list, 1), u"logLocation"_s);
        QVERIFY(contactLink && tasksLink);
        QCOMPARE(contactLink->property("text").toString(), u"lua/contact.lua:45"_s);
        QCOMPARE(tasksLink->property("text").toString(), u"apps/tasks/app.lua:7"_s);
        window.click(tasksLink);
        QTRY_COMPARE(activated.size(), 1);
        QCOMPARE(activated.at(0).at(0).toString(), u"apps/tasks/app.lua"_s);
        QCOMPARE(activated.at(0).at(1).toInt(), 7);
        window.click(contactLink);
        QTRY_COMPARE(activated.size(), 2);
        QCOMPARE(activated.at(1).at(0).toString(), u"lua/contact.lua"_s);
        QCOMPARE(activated.at(1).at(1).toInt(), 45);

        // A new line while at the bottom keeps the view at the end.
        filter.setMinimumLevel(0);
        for (int i = 0; i < 60; ++i)
            model.append(LogModel::Level::Info, u"engine"_s, u"line %1"_s.arg(i));
        QTRY_COMPARE(listCount(list), 66);
        QTRY_VERIFY(list->property("atYEnd").toBool());
    }

    // A dark system palette gives dark docks with readable colours (dock-log-dark.png).
    void followsTheDarkPalette()
    {
        const QPalette light = QApplication::palette();
        QPalette dark;
        dark.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
        dark.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
        dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
        dark.setColor(QPalette::AlternateBase, QColor(0x26, 0x26, 0x26));
        dark.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
        dark.setColor(QPalette::Button, QColor(0x35, 0x35, 0x35));
        dark.setColor(QPalette::ButtonText, QColor(0xe6, 0xe6, 0xe6));
        dark.setColor(QPalette::Highlight, QColor(0x2f, 0x6f, 0xb5));
        dark.setColor(QPalette::HighlightedText, Qt::white);
        dark.setColor(QPalette::PlaceholderText, QColor(0x90, 0x90, 0x90));
        QApplication::setPalette(dark);
        const auto restore = qScopeGuard([&] { QApplication::setPalette(light); });

        LogModel model;
        LogFilterModel filter;
        filter.setSourceModel(&model);
        model.append(LogModel::Level::Info, u"session 1a2b3c4d"_s, u"Contacts seeded (12)"_s);
        model.append(LogModel::Level::Warning, u"engine"_s, u"slow turn: 230 ms in update"_s);
        model.append(LogModel::Level::Error, u"hot reload"_s,
            u"lua/contact.lua:45: '<eof>' expected near 'function'"_s);
        DockWindow window(
            u"logDock"_s, u"Log"_s, u"LogDock"_s, { { u"log"_s, QVariant::fromValue(&filter) } });
        QVERIFY(window.exposed());
        QVERIFY(window.root());
        QTRY_VERIFY(delegateShows(window.item(u"logList"_s), 2));
        // The list's background is the palette's base colour.
        const QImage scene = window.view()->grabFramebuffer();
        const QColor background = scene.pixelColor(scene.width() - 4, scene.height() - 4);
        QVERIFY2(background.lightness() < 80, qPrintable(background.name()));
        QVERIFY(window.screenshot(u"dock-log-dark.png"_s));
    }

    void sessionsDock()
    {
        QVERIFY2(startServer(), qPrintable(m_server->error()));
        SessionsModel model;
        model.setSessions(&m_server->sessions());
        DockWindow window(u"sessionsDock"_s, u"Sessions"_s, u"SessionsDock"_s,
            { { u"sessions"_s, QVariant::fromValue(&model) } });
        QVERIFY(window.exposed());
        QVERIFY(window.root());
        QQuickItem* list = window.item(u"sessionsList"_s);
        QQuickItem* restart = window.item(u"sessionsRestart"_s);
        QQuickItem* openBrowser = window.item(u"sessionsOpenBrowser"_s);
        QQuickItem* close = window.item(u"sessionsClose"_s);
        QVERIFY(list && restart && openBrowser && close);
        QCOMPARE(listCount(list), 0);
        QVERIFY(!restart->isEnabled()); // nothing to act on

        // A session appears (and, the only one, is selected).
        const QString first = m_server->createSession();
        QVERIFY(!first.isEmpty());
        QTRY_COMPARE(listCount(list), 1);
        QTRY_COMPARE(model.selectedSessionId(), first);
        QTRY_VERIFY(delegateShows(list, 0));
        QCOMPARE(delegateAt(list, 0)->property("shortId").toString(), first.left(8));
        QTRY_VERIFY(restart->isEnabled());

        // A second one, with a page connected to it.
        const QString second = m_server->createSession();
        ProtocolClient page(*m_server, second);
        QVERIFY(page.open());
        QTRY_COMPARE(listCount(list), 2);
        QTRY_VERIFY(rowWhere(list, "sessionId", second) >= 0);
        const int secondRow = rowWhere(list, "sessionId", second);
        QTRY_COMPARE(delegateAt(list, secondRow)->property("connections").toInt(), 1);
        QCOMPARE(model.selectedSessionId(), first);

        // Clicking its row selects it, and the row shows the selection.
        window.click(delegateAt(list, secondRow));
        QTRY_COMPARE(model.selectedSessionId(), second);
        QTRY_VERIFY(delegateAt(list, secondRow)->property("selected").toBool());
        QVERIFY(!delegateAt(list, 1 - secondRow)->property("selected").toBool());
        QVERIFY(window.screenshot(u"dock-sessions.png"_s));

        // The toolbar acts on the selected session.
        QSignalSpy restartRequested(&model, &SessionsModel::restartRequested);
        QSignalSpy openRequested(&model, &SessionsModel::openInBrowserRequested);
        window.click(restart);
        QTRY_COMPARE(restartRequested.size(), 1);
        QCOMPARE(restartRequested.at(0).at(0).toString(), second);
        window.click(openBrowser);
        QTRY_COMPARE(openRequested.size(), 1);
        QCOMPARE(openRequested.at(0).at(0).toString(), second);
        window.click(close);
        QTRY_COMPARE(listCount(list), 1);
        QTRY_COMPARE(model.selectedSessionId(), first);
        model.setSessions(nullptr);
        QTRY_COMPARE(listCount(list), 0);
    }

    void variablesDock()
    {
        QVERIFY2(startServer(), qPrintable(m_server->error()));
        const QString session = m_server->createSession();
        QVERIFY(!session.isEmpty());
        auto page = openPage(session);
        QVERIFY(page);
        VariablesModel model;
        model.setSessions(&m_server->sessions());
        model.setSessionId(session);
        DockWindow window(u"variablesDock"_s, u"Variables"_s, u"VariablesDock"_s,
            { { u"variables"_s, QVariant::fromValue(&model) } }, { 1000, 460 });
        QVERIFY(window.exposed());
        QVERIFY(window.root());
        QQuickItem* list = window.item(u"variablesList"_s);
        QVERIFY(list);
        QTRY_COMPARE(model.count(), 9);
        QTRY_COMPARE(listCount(list), model.count());
        QTRY_VERIFY(delegateShows(list, 0) && delegateShows(list, 8));

        // Rows show the model's roles: indented by depth, errors kept.
        const int titleRow = rowWhere(list, "varId", 2);
        const int itemsRow = rowWhere(list, "varId", 4);
        const int nameRow = rowWhere(list, "varId", 6);
        QVERIFY(titleRow >= 0 && itemsRow >= 0 && nameRow >= 0);
        QCOMPARE(delegateAt(list, titleRow)->property("path").toString(), u"title"_s);
        QVERIFY(delegateAt(list, nameRow)->property("depth").toInt() > 1);
        QVERIFY(
            !delegateAt(list, rowWhere(list, "varId", 7))->property("error").toString().isEmpty());

        // Clicking a row selects it: highlighted, its full value shown under the list.
        QSignalSpy highlight(&model, &VariablesModel::highlightRequested);
        window.click(delegateAt(list, titleRow));
        QTRY_COMPARE(model.selectedId(), qint64(2));
        QCOMPARE(highlight.size(), 1);
        QCOMPARE(highlight.at(0).at(0).toString(), u"ui-7"_s);
        QTRY_VERIFY(delegateAt(list, titleRow)->property("selected").toBool());
        QTRY_VERIFY(window.root()->property("detailText").toString().contains(u"Protocol"_s));
        QVERIFY(window.item(u"variablesDetails"_s)->isVisible());
        QVERIFY(window.screenshot(u"dock-variables.png"_s));

        // The keyboard moves the selection (the click gave the list the focus).
        QTest::keyClick(window.view(), Qt::Key_Down);
        QTRY_COMPARE(model.selectedId(), qint64(3));
        QTest::keyClick(window.view(), Qt::Key_Up);
        QTRY_COMPARE(model.selectedId(), qint64(2));

        // The arrow collapses a row with children, and expands it again.
        QTRY_VERIFY(delegateShows(list, itemsRow));
        QQuickItem* arrow = findItem(delegateAt(list, itemsRow), u"variablesArrow"_s);
        QVERIFY(arrow && arrow->isVisible());
        window.click(arrow);
        QTRY_COMPARE(listCount(list), 7); // items/0 and items/0/name hidden
        QTRY_VERIFY(delegateShows(list, itemsRow));
        window.click(findItem(delegateAt(list, itemsRow), u"variablesArrow"_s));
        QTRY_COMPARE(listCount(list), 9);
        // Left and Right fold the selected row.
        QTRY_VERIFY(delegateShows(list, itemsRow));
        window.click(delegateAt(list, itemsRow));
        QTRY_COMPARE(model.selectedId(), qint64(4));
        QTest::keyClick(window.view(), Qt::Key_Left);
        QTRY_COMPARE(listCount(list), 7);
        QTest::keyClick(window.view(), Qt::Key_Right);
        QTRY_COMPARE(listCount(list), 9);

        // The filter field narrows the list as one types.
        QQuickItem* filter = window.item(u"variablesFilter"_s);
        QVERIFY(filter);
        QVERIFY(window.focus(filter));
        QTest::keyClicks(window.view(), u"incr"_s);
        QTRY_COMPARE(model.filterText(), u"incr"_s);
        QTRY_COMPARE(listCount(list), 2); // the app and increment()
        QTest::keyClick(window.view(), Qt::Key_Escape);
        QTRY_COMPARE(model.filterText(), QString());
        QTRY_COMPARE(listCount(list), 9);

        // Flat lists every variable at depth 0.
        QQuickItem* flat = window.item(u"variablesFlat"_s);
        QVERIFY(flat);
        window.click(flat);
        QTRY_VERIFY(model.flat());
        QTRY_VERIFY(delegateShows(list, rowWhere(list, "varId", 6)));
        QCOMPARE(delegateAt(list, rowWhere(list, "varId", 6))->property("depth").toInt(), 0);
        window.click(flat);
        QTRY_VERIFY(!model.flat());

        // A changed value reaches its row, which flashes.
        QTRY_VERIFY(delegateShows(list, rowWhere(list, "varId", 3)));
        const int countRow = rowWhere(list, "varId", 3);
        QQuickItem* flash = findItem(delegateAt(list, countRow), u"variablesFlash"_s);
        QVERIFY(flash);
        QCOMPARE(flash->opacity(), 0.0);
        page->sendMessages({ ProtocolClient::update(8, QJsonValue::Null) }, true); // increment()
        QTRY_COMPARE(delegateAt(list, countRow)->property("value").toString(), u"1"_s);
        QVERIFY(delegateAt(list, countRow)->property("recentlyChanged").toBool());
        QTRY_VERIFY(flash->opacity() > 0.0);
        QTRY_COMPARE(flash->opacity(), 0.0); // and fades
    }

    void consoleDock()
    {
        QVERIFY2(startServer(), qPrintable(m_server->error()));
        const QString session = m_server->createSession();
        QVERIFY(!session.isEmpty());
        QTemporaryDir settings;
        QVERIFY(settings.isValid());
        ConsoleModel model(nullptr, settings.filePath(u"console.ini"_s));
        model.setSessions(&m_server->sessions());
        model.setSessionId(session);
        DockWindow window(u"consoleDock"_s, u"Console"_s, u"ConsoleDock"_s,
            { { u"console"_s, QVariant::fromValue(&model) } });
        QVERIFY(window.exposed());
        QVERIFY(window.root());
        QQuickItem* transcript = window.item(u"consoleTranscript"_s);
        QQuickItem* input = window.item(u"consoleInput"_s);
        QQuickItem* prompt = window.item(u"consolePrompt"_s);
        QQuickItem* candidates = window.item(u"consoleCandidates"_s);
        QVERIFY(transcript && input && prompt && candidates);
        QCOMPARE(prompt->property("text").toString(), u"> "_s);
        QVERIFY(window.focus(input));
        const auto lastEntry = [&](const char* role) {
            QQuickItem* item = delegateAt(transcript, listCount(transcript) - 1);
            return item ? item->property(role).toString() : QString();
        };

        // Enter runs the line: its result is the transcript's last entry; the input keeps the
        // focus.
        QTest::keyClicks(window.view(), u"1+1"_s);
        QTest::keyClick(window.view(), Qt::Key_Return);
        QTRY_COMPARE(model.count(), 2);
        QTRY_COMPARE(listCount(transcript), 2);
        QTRY_COMPARE(lastEntry("kind"), u"result"_s);
        QCOMPARE(lastEntry("text"), u"2"_s);
        QCOMPARE(input->property("text").toString(), QString());
        QVERIFY(input->hasActiveFocus());

        // Up recalls it.
        QTest::keyClick(window.view(), Qt::Key_Up);
        QTRY_COMPARE(input->property("text").toString(), u"1+1"_s);
        QTest::keyClick(window.view(), Qt::Key_Down);
        QTRY_COMPARE(input->property("text").toString(), QString());

        // Tab completes a global; several candidates are listed.
        QTest::keyClicks(window.view(), u"pri"_s);
        QTest::keyClick(window.view(), Qt::Key_Tab);
        QTRY_COMPARE(input->property("text").toString(), u"print"_s);
        QVERIFY(input->hasActiveFocus());
        QVERIFY(!candidates->isVisible());
        QTest::keyClicks(window.view(), u"('hi') ; x = se"_s);
        QTest::keyClick(window.view(), Qt::Key_Tab);
        QTRY_VERIFY(candidates->isVisible());
        const QStringList shown = candidates->property("candidates").toStringList();
        QVERIFY2(shown.contains(u"print('hi') ; x = select"_s), qPrintable(shown.join(u", "_s)));
        QVERIFY(shown.contains(u"print('hi') ; x = setmetatable"_s));
        QTest::keyClick(window.view(), Qt::Key_Escape); // hides them
        QTRY_VERIFY(!candidates->isVisible());
        QCOMPARE(input->property("text").toString(), u"print('hi') ; x = se"_s);

        // print output and an error with its traceback.
        QTest::keyClick(window.view(), Qt::Key_Return);
        QTRY_COMPARE(lastEntry("kind"), u"output"_s);
        QCOMPARE(lastEntry("text"), u"hi"_s);
        QTest::keyClicks(window.view(), u"error('boom')"_s);
        QTest::keyClick(window.view(), Qt::Key_Return);
        QTRY_COMPARE(lastEntry("kind"), u"error"_s);
        QVERIFY2(lastEntry("text").contains(u"boom"_s), qPrintable(lastEntry("text")));
        QVERIFY(!lastEntry("traceback").isEmpty());

        // An unfinished statement continues on the next line; Escape drops it.
        QTest::keyClicks(window.view(), u"for i = 1, 2 do"_s);
        QTest::keyClick(window.view(), Qt::Key_Return);
        QTRY_COMPARE(prompt->property("text").toString(), u">> "_s);
        QTest::keyClicks(window.view(), u"print(i)"_s);
        QTest::keyClick(window.view(), Qt::Key_Escape);
        QTRY_COMPARE(prompt->property("text").toString(), u"> "_s);
        QCOMPARE(input->property("text").toString(), QString());
        QTest::keyClicks(window.view(), u"for i = 1, 2 do"_s);
        QTest::keyClick(window.view(), Qt::Key_Return);
        QTRY_COMPARE(prompt->property("text").toString(), u">> "_s);
        QTest::keyClick(window.view(), Qt::Key_C, Qt::ControlModifier); // Ctrl+C too
        QTRY_COMPARE(prompt->property("text").toString(), u"> "_s);

        QTest::keyClicks(
            window.view(), u"setmetatable({}, {__tostring = function() return 'a point' end})"_s);
        QTest::keyClick(window.view(), Qt::Key_Return);
        QTRY_COMPARE(lastEntry("text"), u"a point"_s);
        QVERIFY(input->hasActiveFocus());
        QTest::keyClicks(window.view(), u"string.fo"_s);
        QTest::keyClick(window.view(), Qt::Key_Tab);
        QTRY_COMPARE(input->property("text").toString(), u"string.format"_s);
        for (int i = 0; i < 6; ++i)
            QTest::keyClick(window.view(), Qt::Key_Backspace);
        QTest::keyClick(window.view(), Qt::Key_Tab); // "string." has many
        QTRY_VERIFY(candidates->isVisible());
        QVERIFY(candidates->property("candidates").toStringList().contains(u"string.upper"_s));
        QVERIFY(window.screenshot(u"dock-console.png"_s));
    }
};

QTEST_MAIN(TestDocks)
#include "test_docks.moc"
