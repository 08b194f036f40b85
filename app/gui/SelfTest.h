#pragma once

// `lunette --self-test` (and `<packaged app> --self-test`): start as usual, wait until the site's
// page has rendered (the page client is idle: nothing pending, everything drawn), print a JSON
// report on standard output and quit. It answers "does this build or package start here?" for a
// packager, a CI job or a bug report:
//
//   { "ok": true, "windowTitle": "...", "player": true, "visibleDocks": [], "menuBar": false,
//     "pageTitle": "...", "pageText": "...", "site": "...",
//     "qtLibraries": ["/…/libQt6Core.so.6", …],        Qt libraries this process mapped
//     "rendererProcesses": ["/…/QtWebEngineProcess"] }  executables of its child processes
//
// The exit status is 0 when the page rendered, 1 when the site failed (the report's "error" says
// why) or nothing rendered within the time limit.

#include <QObject>
#include <QTimer>

class MainWindow;

class SelfTest final : public QObject
{
    Q_OBJECT

public:
    explicit SelfTest(MainWindow* window, int timeoutMs = 60000);

private:
    void poll();
    void finish(bool ok, const QString& error, const QVariantMap& page);

    MainWindow* m_window;
    QTimer m_poll;
    QTimer m_deadline;
    bool m_asked = false;
    bool m_done = false;
};
