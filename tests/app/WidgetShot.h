#pragma once

// A screenshot of a widget as a person sees it. QWidget::grab() shows a QQuickWidget's last
// frame, which may predate the latest changes: every QQuickWidget inside is rendered now
// (grabFramebuffer) and drawn over the grab.

#include <QImage>

class QWidget;

namespace lunette::test {

// A null image when something could not be grabbed.
QImage grabWidget(QWidget& widget);
// grabWidget() saved as artifactsDir()/fileName; the path, or "" on failure.
QString saveWidgetShot(QWidget& widget, const QString& fileName);

} // namespace lunette::test
