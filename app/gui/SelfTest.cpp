#include "SelfTest.h"

#include <cstdio>

#include <unistd.h>

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMenuBar>
#include <QSet>
#include <QWebEnginePage>
#include <QWebEngineView>

#include "MainWindow.h"

using namespace Qt::StringLiterals;

namespace {

// The Qt libraries mapped into this process (/proc/self/maps).
QStringList mappedQtLibraries()
{
    QFile maps(u"/proc/self/maps"_s);
    QSet<QString> seen;
    QStringList paths;
    if (!maps.open(QIODevice::ReadOnly | QIODevice::Text))
        return paths;
    for (const QByteArray& line : maps.readAll().split('\n')) {
        const qsizetype slash = line.indexOf('/');
        if (slash < 0)
            continue;
        const QString path = QString::fromLocal8Bit(line.mid(slash));
        if (QFileInfo(path).fileName().startsWith(u"libQt6"_s) && !seen.contains(path)) {
            seen.insert(path);
            paths << path;
        }
    }
    paths.sort();
    return paths;
}

// The executables of this process's children (the web engine's renderer and GPU processes).
QStringList childExecutables()
{
    const QByteArray self = QByteArray::number(::getpid());
    QStringList executables;
    const QStringList pids = QDir(u"/proc"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString& pid : pids) {
        QFile stat(u"/proc/%1/stat"_s.arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
        const QByteArray text = stat.readAll();
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1 && fields.at(1) == self) {
            const QString exe = QFileInfo(u"/proc/%1/exe"_s.arg(pid)).symLinkTarget();
            if (!exe.isEmpty() && !executables.contains(exe))
                executables << exe;
        }
    }
    return executables;
}

} // namespace

SelfTest::SelfTest(MainWindow* window, int timeoutMs) : QObject(window), m_window(window)
{
    m_poll.setInterval(100);
    connect(&m_poll, &QTimer::timeout, this, &SelfTest::poll);
    m_poll.start();
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, [this, timeoutMs] {
        finish(false, u"the page did not render within %1 s"_s.arg(timeoutMs / 1000), {});
    });
    m_deadline.start(timeoutMs);
}

void SelfTest::poll()
{
    if (m_done)
        return;
    if (!m_window->siteError().isEmpty()) {
        finish(false, m_window->siteError(), {});
        return;
    }
    if (m_window->pageSessionId().isEmpty())
        return;
    // Once the page client exists, ask it once to say when it is idle; then read the answer.
    const QString script = m_asked
        ? u"typeof window.__lunetteSelfTest === 'object' ? window.__lunetteSelfTest : null"_s
        : u"(window.uiApp ? (window.uiApp.whenIdle().then(() => { window.__lunetteSelfTest = "
          "{ title: document.title, text: document.body ? document.body.innerText : '' }; }), "
          "'asked') : null)"_s;
    m_window->view()->page()->runJavaScript(script, [this](const QVariant& result) {
        if (m_done)
            return;
        if (!m_asked) {
            m_asked = result.toString() == "asked"_L1;
            return;
        }
        if (result.typeId() == QMetaType::QVariantMap)
            finish(true, QString(), result.toMap());
    });
}

void SelfTest::finish(bool ok, const QString& error, const QVariantMap& page)
{
    if (m_done)
        return;
    m_done = true;
    m_poll.stop();
    m_deadline.stop();

    QJsonArray docks;
    for (QDockWidget* dock : m_window->findChildren<QDockWidget*>()) {
        if (dock->isVisible())
            docks.append(dock->objectName());
    }
    QJsonObject report {
        { u"ok"_s, ok },
        { u"windowTitle"_s, m_window->windowTitle() },
        { u"player"_s, m_window->isPlayer() },
        { u"site"_s, m_window->sitePath() },
        { u"visibleDocks"_s, docks },
        { u"menuBar"_s, m_window->menuBar()->isVisible() },
        { u"pageTitle"_s, page.value(u"title"_s).toString() },
        { u"pageText"_s, page.value(u"text"_s).toString() },
        { u"qtLibraries"_s, QJsonArray::fromStringList(mappedQtLibraries()) },
        { u"rendererProcesses"_s, QJsonArray::fromStringList(childExecutables()) },
    };
    if (!ok)
        report.insert(u"error"_s, error);
    std::fputs(QJsonDocument(report).toJson(QJsonDocument::Indented).constData(), stdout);
    std::fflush(stdout);
    QCoreApplication::exit(ok ? 0 : 1);
}
