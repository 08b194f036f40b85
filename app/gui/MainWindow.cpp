#include "MainWindow.h"

#include <QCloseEvent>
#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QWebEngineView>

#include "LogModel.h"
#include "host/SiteHost.h"
#include "hotload/HotLoader.h"
#include "site/Site.h"

using namespace Qt::StringLiterals;

namespace {

// Organization and application name of the settings file, fixed here so that the window finds
// its geometry whatever the QCoreApplication names are (tests, player mode).
QSettings lunetteSettings()
{
    return QSettings(u"Lunette"_s, u"Lunette"_s);
}

constexpr QLatin1StringView kGeometryKey("MainWindow/geometry");
constexpr QLatin1StringView kStateKey("MainWindow/state");

} // namespace

MainWindow::MainWindow(const QString& sitePath, QWidget* parent)
    : QMainWindow(parent), m_view(new QWebEngineView(this)), m_log(new LogModel(this))
{
    if (!sitePath.isEmpty())
        m_sitePath = QDir(sitePath).absolutePath(); // absolutePath() also cleans the path

    const QString name = siteName();
    setWindowTitle(name.isEmpty() ? u"Lunette"_s : name + u" \u2014 Lunette"_s);
    setCentralWidget(m_view);
    restoreSettings();

    if (!m_sitePath.isEmpty())
        openSite();
    if (!m_host) {
        // A local page, no base URL: nothing is fetched from the network.
        m_view->setHtml(startPageHtml());
    }
}

// The page goes first: it holds WebSockets to the server the host is about to stop.
MainWindow::~MainWindow()
{
    delete m_view;
    m_view = nullptr;
    m_host.reset();
}

void MainWindow::openSite()
{
    lunette::SiteHost::Options options;
    options.hotload = true; // live editing is on in the app (HOTLOAD.md)
    auto started = lunette::SiteHost::start(m_sitePath, options);
    if (!started) {
        m_siteError = started.error();
        qWarning("lunette: cannot serve %s: %s", qUtf8Printable(m_sitePath), qUtf8Printable(m_siteError));
        return;
    }
    m_host = std::move(*started);
    // Session lines come from the executor thread (LogModel::post queues them); ui.log level 0 is
    // ordinary output, higher levels are detail.
    LogModel* log = m_log;
    m_host->sessions().setLogger([log](const QString& sessionId, int level, const QString& text) {
        log->post(level > 0 ? LogModel::Level::Debug : LogModel::Level::Info,
                  u"session "_s + sessionId.left(8), text);
    });
    if (lunette::HotLoader* loader = m_host->hotLoader()) {
        connect(loader, &lunette::HotLoader::luaReloaded, m_log, [log](const QString& key, int sessions) {
            log->append(LogModel::Level::Info, u"hot reload"_s,
                        u"reloaded %1 in %2 session(s)"_s.arg(key).arg(sessions));
        });
        connect(loader, &lunette::HotLoader::luaReloadFailed, m_log,
                [log](const QString&, const QString& message, const QString&, const QString& traceback) {
                    log->append(LogModel::Level::Error, u"hot reload"_s,
                                traceback.isEmpty() ? message : message + u'\n' + traceback);
                });
    }
    const lunette::SiteManifest& manifest = m_host->site()->manifest();
    if (!manifest.title.isEmpty())
        setWindowTitle(manifest.title);
    m_view->load(m_host->url());
}

QString MainWindow::siteName() const
{
    if (m_sitePath.isEmpty())
        return QString();
    const QString name = QFileInfo(m_sitePath).fileName();
    return name.isEmpty() ? m_sitePath : name; // "/" has no file name
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveSettings();
    QMainWindow::closeEvent(event);
}

QString MainWindow::startPageHtml() const
{
    QString body;
    if (m_sitePath.isEmpty()) {
        body = u"<h1 id=\"headline\">Open a site folder</h1>"
               "<p id=\"hint\">Start Lunette with a site folder: <code>lunette SITE</code>. "
               "A site is a folder with <code>lua/main.lua</code> and its view templates "
               "in <code>viewdefs/</code>.</p>"_s;
    } else {
        // Shown only when the site could not be served.
        body = u"<h1 id=\"headline\">"_s + siteName().toHtmlEscaped() + u"</h1>"_s
            + u"<p><code id=\"site-path\">"_s + m_sitePath.toHtmlEscaped() + u"</code></p>"_s
            + u"<p id=\"site-status\" class=\"problem\">"_s + m_siteError.toHtmlEscaped()
            + u"</p>"_s;
    }

    const QString title = m_sitePath.isEmpty() ? u"Lunette"_s : siteName().toHtmlEscaped();
    return u"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>"_s + title
        + u"</title><style>"
          ":root { color-scheme: light dark; font-family: system-ui, sans-serif; }"
          "body { margin: 0; min-height: 100vh; display: flex; flex-direction: column;"
          " justify-content: center; align-items: center; text-align: center;"
          " background: #f4f5f8; color: #1d2433; }"
          "h1 { font-weight: 600; font-size: 2.2em; margin: 0 0 .5em; }"
          "p { max-width: 40em; margin: .3em 1em; line-height: 1.4; }"
          "code { background: rgba(127,127,127,.18); padding: .1em .35em; border-radius: 4px; }"
          ".problem { color: #b3261e; }"
          "@media (prefers-color-scheme: dark) {"
          " body { background: #1d2433; color: #e8ecf4; } .problem { color: #ffb4a8; } }"
          "</style></head><body>"_s
        + body + u"</body></html>"_s;
}

void MainWindow::restoreSettings()
{
    const QSettings settings = lunetteSettings();
    const QByteArray geometry = settings.value(kGeometryKey).toByteArray();
    if (geometry.isEmpty() || !restoreGeometry(geometry))
        resize(1100, 750);
    restoreState(settings.value(kStateKey).toByteArray());
}

void MainWindow::saveSettings() const
{
    QSettings settings = lunetteSettings();
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
}
