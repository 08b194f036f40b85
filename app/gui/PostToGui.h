#pragma once

// Hands work from the executor thread to the GUI thread (the application object's), where the
// receiver is checked for being alive (capture a QPointer and test it inside fn). Dropped when
// the application is gone.

#include <utility>

#include <QCoreApplication>

template <typename Fn> void postToGui(Fn fn)
{
    if (QCoreApplication* app = QCoreApplication::instance())
        QMetaObject::invokeMethod(app, std::move(fn), Qt::QueuedConnection);
}
