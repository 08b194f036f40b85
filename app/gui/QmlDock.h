#pragma once

// Hosts a dock of the Lunette.Docks QML module (qml/, GUI.md "Docks") in a QDockWidget: a
// QQuickWidget showing qrc:/qt/qml/Lunette/Docks/<component>.qml, whose required properties (the
// C++ model it shows) come from initialProperties. The QML is compiled into the binary: nothing
// is read from disk. A component that fails to load is reported with qWarning and its errors are
// shown in the dock as text — the window never gets an empty or crashed panel.

#include <QString>
#include <QVariantMap>

class QDockWidget;
class QQuickItem;
class QQuickWidget;
class QWidget;

// A dock named objectName (so QMainWindow::saveState/restoreState find it) titled title, showing
// the QML component `component` (e.g. "LogDock") with initialProperties set before its bindings
// run (e.g. {"log", QVariant::fromValue(filterModel)}). The caller adds it to its window.
QDockWidget* createQmlDock(QWidget* parent, const QString& objectName, const QString& title,
    const QString& component, const QVariantMap& initialProperties);

// The component's root item, or nullptr when it failed to load.
QQuickItem* qmlDockRoot(QDockWidget* dock);
// The QQuickWidget inside the dock (tests send it keys and clicks), or nullptr when it failed.
QQuickWidget* qmlDockView(QDockWidget* dock);
