#include "WidgetShot.h"

#include <QDir>
#include <QPainter>
#include <QQuickWidget>

#include "support/TestSupport.h"

namespace lunette::test {

QImage grabWidget(QWidget& widget)
{
    QImage image = widget.grab().toImage();
    if (image.isNull())
        return {};
    QPainter painter(&image);
    for (QQuickWidget* quick : widget.findChildren<QQuickWidget*>()) {
        if (!quick->isVisible())
            continue;
        const QImage scene = quick->grabFramebuffer();
        if (scene.isNull())
            return {};
        painter.drawImage(QRectF(quick->mapTo(&widget, QPoint(0, 0)), quick->size()), scene);
    }
    return image;
}

QString saveWidgetShot(QWidget& widget, const QString& fileName)
{
    const QImage image = grabWidget(widget);
    const QString dir = artifactsDir();
    QDir().mkpath(dir);
    const QString path = QDir(dir).filePath(fileName);
    return !image.isNull() && image.save(path, "PNG") ? path : QString();
}

} // namespace lunette::test
