#include "QmlDock.h"

#include <QCoreApplication>
#include <QDockWidget>
#include <QLabel>
#include <QQmlComponent>
#include <QQmlContext>
#include <QQmlEngine>
#include <QQmlError>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWidget>
#include <QtQml/qqmlextensionplugin.h>

using namespace Qt::StringLiterals;

// The Lunette.Docks module (qml/) is a static plugin linked into this library: importing it here
// registers its types and its compiled QML under qrc:/qt/qml/Lunette/Docks/.
Q_IMPORT_QML_PLUGIN(Lunette_DocksPlugin)

namespace {

// Fusion draws desktop-sized controls from the application palette, so the docks follow the
// system's light or dark theme. Only when neither the user (-style, QT_QUICK_CONTROLS_STYLE, a
// qtquickcontrols2.conf) nor the app chose a style, and before the first engine loads
// QtQuick.Controls (a style cannot change after that).
void chooseQuickStyle()
{
    static const bool chosen = [] {
        const bool userChose = !qEnvironmentVariableIsEmpty("QT_QUICK_CONTROLS_STYLE")
            || QCoreApplication::arguments().contains(u"-style"_s)
            || !QQuickStyle::name().isEmpty();
        if (!userChose)
            QQuickStyle::setStyle(u"Fusion"_s);
        return true;
    }();
    Q_UNUSED(chosen);
}

QString errorText(const QString& component, const QList<QQmlError>& errors)
{
    QStringList lines { u"The %1 panel could not be loaded:"_s.arg(component) };
    for (const QQmlError& error : errors)
        lines << error.toString();
    if (errors.isEmpty())
        lines << u"(no error was reported)"_s;
    return lines.join(u'\n');
}

// Puts the errors in the dock as readable, selectable text (and in the log).
void showLoadError(QDockWidget* dock, const QString& component, const QList<QQmlError>& errors)
{
    for (const QQmlError& error : errors)
        qWarning().noquote() << "QML dock" << component << ":" << error.toString();
    if (errors.isEmpty())
        qWarning().noquote() << "QML dock" << component << "did not create its root item";
    auto* label = new QLabel(errorText(component, errors), dock);
    label->setObjectName(u"qmlDockError"_s);
    label->setWordWrap(true);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    label->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    label->setMargin(8);
    dock->setWidget(label);
}

} // namespace

QDockWidget* createQmlDock(QWidget* parent, const QString& objectName, const QString& title,
    const QString& component, const QVariantMap& initialProperties)
{
    chooseQuickStyle();
    auto* dock = new QDockWidget(title, parent);
    dock->setObjectName(objectName);

    auto* view = new QQuickWidget(dock);
    view->setObjectName(objectName + u"View"_s);
    view->setResizeMode(QQuickWidget::SizeRootObjectToView);
    view->setFocusPolicy(Qt::StrongFocus);

    // QQuickWidget has no setInitialProperties before Qt 6.5: create the root here, with the
    // model set before any binding runs (the components' properties are `required`). Compiled
    // into the binary, the component is ready synchronously.
    const QUrl url(u"qrc:/qt/qml/Lunette/Docks/%1.qml"_s.arg(component));
    auto* qmlComponent
        = new QQmlComponent(view->engine(), url, QQmlComponent::PreferSynchronous, view);
    QList<QQmlError> errors = qmlComponent->errors();
    QObject* root = nullptr;
    if (qmlComponent->isReady()) {
        root = qmlComponent->createWithInitialProperties(initialProperties, view->rootContext());
        errors = qmlComponent->errors();
    }
    if (root && !qobject_cast<QQuickItem*>(root)) {
        QQmlError notAnItem;
        notAnItem.setUrl(url);
        notAnItem.setDescription(u"the root object is not an Item"_s);
        errors << notAnItem;
        delete root;
        root = nullptr;
    }
    if (!root) {
        showLoadError(dock, component, errors);
        delete view;
        return dock;
    }
    view->setContent(url, qmlComponent, root);
    dock->setWidget(view);
    return dock;
}

QQuickWidget* qmlDockView(QDockWidget* dock)
{
    return dock ? qobject_cast<QQuickWidget*>(dock->widget()) : nullptr;
}

QQuickItem* qmlDockRoot(QDockWidget* dock)
{
    QQuickWidget* view = qmlDockView(dock);
    return view ? view->rootObject() : nullptr;
}
