// The four docks (qml/, GUI.md "Docks") loaded with createQmlDock in a real, shown QMainWindow over
// real models: the Log dock over LogModel/LogFilterModel; Sessions, Variables and Console over the
// models of a real server (ServerFixture). Keys and clicks go through the QQuickWidget as a user's
// would. Loading prints no QML warning; each dock leaves a screenshot in artifactsDir().

#include <algorithm>
#include <memory>
#include <utility>

#include <QDockWidget>
#include <QImage>
#include <QLabel>
#include <QMainWindow>
#include <QPointer>
#include <QQuickItem>
#include <QQuickWidget>
#include <QSignalSpy>
#include <QStringList>
#include <QtTest>

#include "LogModel.h"
#include "QmlDock.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::test::artifactsDir;

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
    bool screenshot(const QString& file)
    {
        const QImage image = m_dock->grab().toImage();
        return !image.isNull() && image.save(artifactsDir() + u'/' + file);
    }

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

int listCount(QQuickItem* list)
{
    return list ? list->property("count").toInt() : -1;
}

} // namespace

class TestDocks final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { g_previousHandler = qInstallMessageHandler(recordQmlWarnings); }
    void cleanupTestCase() { qInstallMessageHandler(g_previousHandler); }
    void init() { g_qmlWarnings.clear(); }
    void cleanup()
    {
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
};

QTEST_MAIN(TestDocks)
#include "test_docks.moc"
