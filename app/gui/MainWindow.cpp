#include "MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDesktopServices>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QNetworkCookie>
#include <QRegularExpression>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTime>
#include <QToolBar>
#include <QWebEngineCookieStore>
#include <QWebEnginePage>
#include <QWebEngineProfile>
#include <QWebEngineView>

#include "ConsoleModel.h"
#include "LogModel.h"
#include "PackageDialog.h"
#include "PostToGui.h"
#include "QmlDock.h"
#include "SessionsModel.h"
#include "SitePages.h"
#include "VariablesModel.h"
#include "host/SiteHost.h"
#include "hotload/HotLoader.h"
#include "lua/LuaExecutor.h"
#include "session/Session.h"
#include "site/Scaffold.h"
#include "site/Site.h"

using namespace Qt::StringLiterals;

namespace {

// Organization and application name of the settings file, fixed here so that the window finds
// its settings whatever the QCoreApplication names are (tests, player mode).
QSettings lunetteSettings()
{
    return QSettings(u"Lunette"_s, u"Lunette"_s);
}

constexpr QLatin1StringView kGeometryKey("MainWindow/geometry");
constexpr QLatin1StringView kStateKey("MainWindow/state");
constexpr QLatin1StringView kRecentKey("Sites/recent");
constexpr QLatin1StringView kLastKey("Sites/last");
constexpr int kMaxRecentSites = 10;

// The token cookie the server accepts (engine/server/Authorizer): host-only, HttpOnly.
QNetworkCookie tokenCookie(const QString& token)
{
    QNetworkCookie cookie("lunette-token", token.toLatin1());
    cookie.setPath(u"/"_s);
    cookie.setHttpOnly(true);
    return cookie;
}

// A session's log level (Session::LogLevel: the log module's warnings and errors below 0, ui.log
// detail levels above) as the Log dock shows it.
LogModel::Level logLevel(int sessionLevel)
{
    if (sessionLevel <= lunette::Session::LogError)
        return LogModel::Level::Error;
    if (sessionLevel == lunette::Session::LogWarning)
        return LogModel::Level::Warning;
    return sessionLevel > lunette::Session::LogInfo ? LogModel::Level::Debug
                                                    : LogModel::Level::Info;
}

} // namespace

MainWindow::MainWindow(const QString& sitePath, QWidget* parent)
    : MainWindow(Options { sitePath }, parent)
{
}

MainWindow::MainWindow(const Options& options, QWidget* parent)
    : QMainWindow(parent)
    , m_options(options)
    , m_preferences(Preferences::load(lunetteSettings()))
    , m_stack(new QStackedWidget(this))
    , m_startPage(new StartPage(m_stack))
    , m_errorPage(new ErrorPage(m_stack))
    , m_profile(new QWebEngineProfile(this)) // off the record: nothing of the site is kept on disk
    , m_view(new QWebEngineView(m_stack))
    , m_log(new LogModel(this))
    , m_logFilter(new LogFilterModel(this))
    , m_sessionsModel(new SessionsModel(this))
    , m_variablesModel(new VariablesModel(this))
    , m_consoleModel(new ConsoleModel(this))
{
    setObjectName(u"mainWindow"_s);
    m_logFilter->setSourceModel(m_log);
    if (!m_options.player)
        applyTheme(m_preferences.theme);

    m_view->setPage(new QWebEnginePage(m_profile, m_view));
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->installEventFilter(this); // drops on the page (its render widget is a child)
    m_stack->addWidget(m_startPage);
    m_stack->addWidget(m_errorPage);
    m_stack->addWidget(m_view);
    setCentralWidget(m_stack);

    createActions();
    if (!m_options.player || m_options.inspect)
        createDocks();
    if (!m_options.player) {
        createMenus();
        createStatusBar();
        setAcceptDrops(true);
    }

    connect(m_view, &QWidget::customContextMenuRequested, this, [this](const QPoint& pos) {
        QMenu* menu = m_view->createStandardContextMenu();
        // Inspect goes to the DevTools dock, never to a separate window.
        menu->removeAction(m_view->pageAction(QWebEnginePage::InspectElement));
        if (QAction* inspect = action(u"devTools"_s); inspect && inspect->isEnabled()) {
            menu->addSeparator();
            QAction* element = menu->addAction(tr("Inspect Element"));
            connect(element, &QAction::triggered, this, [this] {
                showDevTools();
                m_view->page()->triggerAction(QWebEnginePage::InspectElement);
            });
        }
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(m_view->mapToGlobal(pos));
    });
    connect(m_startPage, &StartPage::openSiteRequested, this, &MainWindow::openSiteDialog);
    connect(m_startPage, &StartPage::newSiteRequested, this, &MainWindow::newSiteDialog);
    connect(m_startPage, &StartPage::recentSiteActivated, this, &MainWindow::openSite);
    connect(m_errorPage, &ErrorPage::retryRequested, this, [this] {
        if (m_host)
            startPageSession();
        else if (!m_sitePath.isEmpty())
            openSite(m_sitePath);
    });
    connect(m_errorPage, &ErrorPage::openOtherRequested, this, &MainWindow::openSiteDialog);
    connect(m_errorPage, &ErrorPage::locationActivated, this, [this](const QString& location) {
        static const QRegularExpression position(u"^(.*):(\\d+)$"_s);
        const auto match = position.match(location);
        openLocation(match.hasMatch() ? match.captured(1) : location, match.captured(2).toInt());
    });

    connect(m_sessionsModel, &SessionsModel::selectedSessionIdChanged, this, [this] {
        m_variablesModel->setSessionId(m_sessionsModel->selectedSessionId());
        m_consoleModel->setSessionId(m_sessionsModel->selectedSessionId());
    });
    connect(m_sessionsModel, &SessionsModel::countChanged, this, &MainWindow::updateStatus);
    connect(m_sessionsModel, &SessionsModel::restartRequested, this, &MainWindow::restartSession);
    connect(m_sessionsModel, &SessionsModel::openInBrowserRequested, this,
        &MainWindow::openInExternalBrowser);
    connect(
        m_variablesModel, &VariablesModel::highlightRequested, this, &MainWindow::highlightElement);
    connect(m_logFilter, &LogFilterModel::locationActivated, this, &MainWindow::openLocation);

    restoreSettings();

    QString site = m_options.sitePath;
    if (site.isEmpty() && m_options.reopenLast && !m_options.player) {
        const QString last = lunetteSettings().value(kLastKey).toString();
        if (QFileInfo(last).isDir())
            site = last;
    }
    if (!site.isEmpty())
        openSite(site);
    else
        closeSite();
}

// The pages go first (they hold WebSockets to the server the host is about to stop, and belong to
// the profile), the docks before the models they show, the models before the host.
MainWindow::~MainWindow()
{
    delete m_devTools.data();
    delete m_view;
    m_view = nullptr;
    for (QDockWidget* dock : findChildren<QDockWidget*>())
        delete dock;
    m_sessionsModel->setSessions(nullptr);
    m_variablesModel->setSessions(nullptr);
    m_consoleModel->setSessions(nullptr);
    m_host.reset();
}

// ---- the site -------------------------------------------------------------------------------

void MainWindow::openSite(const QString& folder)
{
    if (folder.isEmpty())
        return;
    const QString path = QDir(folder).absolutePath(); // also cleans it; folder may be m_sitePath
    closeSite();
    m_sitePath = path;
    ++m_siteGeneration;

    lunette::SiteHost::Options options;
    options.hotload = !m_options.player && !m_options.noHotload && m_preferences.hotload;
    options.advertise = !m_options.player; // `lunette eval` finds the developer's app, not a player
    options.server.allowPublicRoutes = m_options.player; // lunette.json "web.public"
    options.server.port
        = static_cast<quint16>(m_options.port >= 0 ? m_options.port : m_preferences.port);
    options.sessions.session.lua.timeout = std::chrono::seconds(m_preferences.luaTimeLimitSeconds);
    options.sessions.idleTimeout = std::chrono::minutes(m_preferences.idleSessionMinutes);
    auto started = lunette::SiteHost::start(m_sitePath, options);
    if (!started) {
        m_siteError = started.error();
        m_log->append(LogModel::Level::Error, u"app"_s,
            tr("Cannot open %1: %2").arg(m_sitePath, m_siteError));
        showSiteError(tr("%1 could not be opened").arg(siteName()), m_siteError, QString());
        if (QFileInfo(m_sitePath).isDir())
            addRecentSite(m_sitePath); // a site being fixed stays at hand
        updateTitle();
        updateActions();
        updateStatus();
        return;
    }
    m_host = std::move(*started);
    m_siteError.clear();

    // Session lines come from the executor thread (LogModel::post queues them); ui.log level 0 is
    // ordinary output, higher levels are detail.
    LogModel* log = m_log;
    m_host->sessions().setLogger([log](const QString& sessionId, int level, const QString& text) {
        log->post(logLevel(level), u"session "_s + sessionId.left(8), text);
    });
    connectHotLoader();
    m_sessionsModel->setSessions(&m_host->sessions());
    m_variablesModel->setSessions(&m_host->sessions());
    m_consoleModel->setSessions(&m_host->sessions());

    // The token travels in the view's cookie store, never in a URL the page could leak.
    m_profile->cookieStore()->setCookie(
        tokenCookie(m_host->server().token()), QUrl(m_host->server().origin()));

    const lunette::SiteManifest& manifest = m_host->site()->manifest();
    if (m_options.player) {
        if (manifest.width > 0 && manifest.height > 0)
            resize(manifest.width, manifest.height);
        if (!manifest.icon.isEmpty())
            setWindowIcon(QIcon(QDir(m_sitePath).filePath(manifest.icon)));
    } else {
        addRecentSite(m_sitePath);
    }
    m_log->append(LogModel::Level::Info, u"app"_s,
        tr("Serving %1 on %2").arg(m_sitePath, m_host->server().origin()));
    updateTitle();
    updateActions();
    updateStatus();
    startPageSession();
}

void MainWindow::closeSite()
{
    ++m_siteGeneration;
    m_pageSession.clear();
    if (m_host) {
        // The page lets go of the server first: its WebSockets close before the server stops.
        m_view->stop();
        m_view->setUrl(QUrl(u"about:blank"_s));
        m_sessionsModel->setSessions(nullptr);
        m_variablesModel->setSessions(nullptr);
        m_consoleModel->setSessions(nullptr);
        m_host.reset();
        m_profile->cookieStore()->deleteAllCookies();
    }
    m_sitePath.clear();
    m_siteError.clear();
    m_startPage->setRecentSites(recentSites());
    m_stack->setCurrentWidget(m_startPage);
    updateTitle();
    updateActions();
    updateStatus();
}

bool MainWindow::newSite(const QString& folder, const QString& title, QString* error)
{
    auto made = lunette::scaffoldSite(folder, title);
    if (!made) {
        m_log->append(LogModel::Level::Error, u"app"_s, tr("New site: %1").arg(made.error()));
        if (error)
            *error = made.error();
        return false;
    }
    m_log->append(LogModel::Level::Info, u"app"_s,
        tr("Created %1 (%2)").arg(QDir::toNativeSeparators(folder), made->join(u", "_s)));
    openSite(folder);
    return true;
}

QString MainWindow::siteName() const
{
    if (m_sitePath.isEmpty())
        return QString();
    const QString name = QFileInfo(m_sitePath).fileName();
    return name.isEmpty() ? m_sitePath : name; // "/" has no file name
}

void MainWindow::startPageSession()
{
    if (!m_host)
        return;
    const quint64 generation = ++m_siteGeneration;
    QPointer<MainWindow> self(this);
    m_host->sessions().createSession(
        [self, generation](const lunette::SessionService::Created& created) {
            // On the executor: hand the result to the window's thread.
            postToGui([self, generation, created] {
                if (self && self->m_siteGeneration == generation)
                    self->pageSessionCreated(created.sessionId, created.error, created.location);
            });
        });
}

void MainWindow::pageSessionCreated(
    const QString& sessionId, const QString& error, const QString& location)
{
    if (!m_host)
        return;
    if (sessionId.isEmpty()) {
        m_siteError = error.isEmpty() ? tr("unknown error") : error;
        m_log->append(LogModel::Level::Error, u"app"_s, m_siteError);
        showSiteError(tr("%1 failed to start").arg(siteName()), m_siteError, location);
        emit pageSessionChanged(QString());
        return;
    }
    m_siteError.clear();
    m_pageSession = sessionId;
    m_sessionsModel->refresh();
    m_sessionsModel->select(sessionId);
    m_stack->setCurrentWidget(m_view);
    m_view->load(QUrl(m_host->server().origin() + u'/' + sessionId));
    updateActions();
    updateStatus();
    emit pageSessionChanged(sessionId);
}

void MainWindow::showSiteError(
    const QString& headline, const QString& message, const QString& location)
{
    m_pageSession.clear();
    m_errorPage->showError(headline, message, location);
    m_stack->setCurrentWidget(m_errorPage);
    updateActions();
}

void MainWindow::connectHotLoader()
{
    lunette::HotLoader* loader = m_host ? m_host->hotLoader() : nullptr;
    if (!loader)
        return;
    LogModel* log = m_log;
    connect(loader, &lunette::HotLoader::luaReloaded, this,
        [this, log](const QString& key, int sessions) {
            log->append(LogModel::Level::Info, u"hot reload"_s,
                tr("reloaded %1 in %2 session(s)").arg(key).arg(sessions));
            if (m_statusReload) {
                m_statusReload->setText(
                    tr("Reloaded %1 at %2").arg(key, QTime::currentTime().toString(u"HH:mm:ss"_s)));
                m_statusReload->setStyleSheet(QString());
            }
        });
    connect(loader, &lunette::HotLoader::luaReloadFailed, this,
        [this, log](
            const QString& key, const QString& message, const QString&, const QString& traceback) {
            log->append(LogModel::Level::Error, u"hot reload"_s,
                traceback.isEmpty() ? message : message + u'\n' + traceback);
            if (m_statusReload) {
                m_statusReload->setText(
                    tr("Reload of %1 failed at %2")
                        .arg(key, QTime::currentTime().toString(u"HH:mm:ss"_s)));
                m_statusReload->setToolTip(message);
                m_statusReload->setStyleSheet(u"color: #c62828;"_s);
            }
        });
    connect(loader, &lunette::HotLoader::viewdefReloaded, this, [this](const QString& key) {
        if (m_statusReload) {
            m_statusReload->setText(
                tr("Reloaded %1 at %2").arg(key, QTime::currentTime().toString(u"HH:mm:ss"_s)));
            m_statusReload->setStyleSheet(QString());
        }
    });
}

// ---- actions ----------------------------------------------------------------------------------

void MainWindow::reloadPage()
{
    if (m_stack->currentWidget() == m_errorPage) {
        emit m_errorPage->retryRequested();
        return;
    }
    if (m_host && !m_pageSession.isEmpty()) {
        // A session that ended (idle, closed in the Sessions dock) is replaced by a new one.
        if (m_host->sessions().hasSession(m_pageSession))
            m_view->reload();
        else
            startPageSession();
    }
}

void MainWindow::restartSession(const QString& id)
{
    if (!m_host)
        return;
    const QString session = id.isEmpty() ? m_pageSession : id;
    if (session.isEmpty()) {
        startPageSession();
        return;
    }
    m_log->append(
        LogModel::Level::Info, u"app"_s, tr("Restarting session %1").arg(session.left(8)));
    // Both run on the executor in this order: the old state is gone before main.lua runs again.
    m_host->sessions().destroySession(session);
    if (session == m_pageSession)
        startPageSession();
}

void MainWindow::stopScript()
{
    if (!m_host)
        return;
    m_host->executor().requestStop();
    m_log->append(LogModel::Level::Warning, u"app"_s,
        tr("Stop script: the running Lua call, if any, is interrupted"));
}

void MainWindow::setHotload(bool on)
{
    if (!m_host)
        return;
    m_host->setHotload(on);
    if (on)
        connectHotLoader();
    m_log->append(LogModel::Level::Info, u"app"_s, on ? tr("Hot reload on") : tr("Hot reload off"));
    updateActions();
    updateStatus();
}

QUrl MainWindow::externalUrl(const QString& sessionId) const
{
    if (!m_host)
        return QUrl();
    const QString session = sessionId.isEmpty() ? m_pageSession : sessionId;
    QUrl url(m_host->server().origin() + u'/' + session);
    url.setQuery(u"token="_s + m_host->server().token());
    return url;
}

void MainWindow::openInExternalBrowser(const QString& sessionId)
{
    const QUrl url = externalUrl(sessionId);
    if (url.isEmpty())
        return;
    QGuiApplication::clipboard()->setText(url.toString());
    if (!QDesktopServices::openUrl(url)) {
        m_log->append(LogModel::Level::Warning, u"app"_s,
            tr("No browser could be started; the URL is on the clipboard: %1").arg(url.toString()));
        return;
    }
    m_log->append(
        LogModel::Level::Info, u"app"_s, tr("Opened in the browser (the URL is on the clipboard)"));
}

void MainWindow::showDevTools()
{
    if (!m_devTools) {
        auto* dock = new QDockWidget(tr("DevTools"), this);
        dock->setObjectName(u"devtools"_s);
        m_devTools = new QWebEngineView(dock);
        m_devTools->setPage(new QWebEnginePage(m_profile, m_devTools));
        dock->setWidget(m_devTools);
        addDockWidget(Qt::BottomDockWidgetArea, dock);
        m_view->page()->setDevToolsPage(m_devTools->page());
    }
    QDockWidget* dock = qobject_cast<QDockWidget*>(m_devTools->parentWidget());
    dock->show();
    dock->raise();
}

PackageDialog* MainWindow::openPackageDialog()
{
    if (m_options.player || m_sitePath.isEmpty())
        return nullptr;
    if (m_packageDialog && m_packageDialog->siteFolder() != m_sitePath
        && !m_packageDialog->isRunning())
        m_packageDialog->close(); // another site's, idle (deletes itself)
    if (!m_packageDialog || m_packageDialog->siteFolder() != m_sitePath) {
        // A dialog still packaging another site keeps running on its own until it is closed.
        m_packageDialog = new PackageDialog(m_sitePath, this);
        m_packageDialog->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_packageDialog->show();
    m_packageDialog->raise();
    m_packageDialog->activateWindow();
    return m_packageDialog;
}

void MainWindow::highlightElement(const QString& elementId)
{
    // Only the page's own session has its elements in this view.
    if (elementId.isEmpty() || m_sessionsModel->selectedSessionId() != m_pageSession)
        return;
    const QString id
        = QString::fromUtf8(QJsonDocument(QJsonArray { elementId }).toJson(QJsonDocument::Compact));
    m_view->page()->runJavaScript(
        u"(function(id){const el=document.getElementById(id);if(!el)return false;"
        "el.scrollIntoView({block:'nearest',inline:'nearest'});"
        "const o=el.style.outline,f=el.style.outlineOffset;"
        "el.style.outline='2px solid #3d7be0';el.style.outlineOffset='2px';"
        "clearTimeout(el.__lunetteHighlight);"
        "el.__lunetteHighlight=setTimeout(()=>{el.style.outline=o;el.style.outlineOffset=f;},1500);"
        "return true;})(%1[0])"_s.arg(id));
}

void MainWindow::openLocation(const QString& file, int line)
{
    Q_UNUSED(line) // QDesktopServices has no portable way to pass a line to the editor
    if (file.isEmpty())
        return;
    const QString path = QDir::isAbsolutePath(file) ? file : QDir(m_sitePath).filePath(file);
    if (!QFileInfo(path).isFile()) {
        m_log->append(LogModel::Level::Warning, u"app"_s, tr("No such file: %1").arg(path));
        return;
    }
    QDesktopServices::openUrl(QUrl::fromLocalFile(path));
}

void MainWindow::openSiteDialog()
{
    const QString start = m_sitePath.isEmpty() ? recentSites().value(0) : m_sitePath;
    const QString folder = QFileDialog::getExistingDirectory(
        this, tr("Open Site"), start.isEmpty() ? QDir::homePath() : QFileInfo(start).path());
    if (!folder.isEmpty())
        openSite(folder);
}

void MainWindow::newSiteDialog()
{
    const QString folder
        = QFileDialog::getSaveFileName(this, tr("New Site: choose a name for its folder"),
            QDir::homePath() + u"/my-site"_s, QString(), nullptr, QFileDialog::ShowDirsOnly);
    if (folder.isEmpty())
        return;
    bool ok = false;
    const QString title = QInputDialog::getText(this, tr("New Site"), tr("Window title:"),
        QLineEdit::Normal, QFileInfo(folder).fileName(), &ok);
    if (!ok)
        return;
    QString error;
    if (!newSite(folder, title, &error))
        QMessageBox::warning(
            this, tr("New Site"), tr("The site could not be created:\n%1").arg(error));
}

void MainWindow::preferencesDialog()
{
    PreferencesDialog dialog(m_preferences, this);
    if (dialog.exec() == QDialog::Accepted)
        setPreferences(dialog.preferences());
}

void MainWindow::setPreferences(const Preferences& preferences)
{
    m_preferences = preferences;
    QSettings settings = lunetteSettings();
    m_preferences.save(settings);
    if (!m_options.player)
        applyTheme(m_preferences.theme);
}

// ---- window furniture -------------------------------------------------------------------------

void MainWindow::createActions()
{
    auto make
        = [this](const QString& name, const QString& text, const QKeySequence& key, auto slot) {
              auto* a = new QAction(text, this);
              a->setObjectName(name);
              if (!key.isEmpty())
                  a->setShortcut(key);
              connect(a, &QAction::triggered, this, slot);
              addAction(a); // shortcuts work with the menu bar hidden (player mode with --inspect)
              return a;
          };
    make(u"openSite"_s, tr("&Open Site\u2026"), QKeySequence::Open, [this] { openSiteDialog(); });
    make(u"newSite"_s, tr("&New Site\u2026"), QKeySequence::New, [this] { newSiteDialog(); });
    make(u"closeSite"_s, tr("&Close Site"), QKeySequence(), [this] { closeSite(); });
    make(u"preferences"_s, tr("&Preferences\u2026"), QKeySequence::Preferences,
        [this] { preferencesDialog(); });
    make(u"quit"_s, tr("&Quit"), QKeySequence::Quit, [this] { close(); });
    QAction* reload = make(
        u"reloadPage"_s, tr("&Reload Page"), QKeySequence(Qt::Key_F5), [this] { reloadPage(); });
    reload->setShortcuts({ QKeySequence(Qt::Key_F5), QKeySequence(Qt::CTRL | Qt::Key_R) });
    make(u"restartSession"_s, tr("Re&start Session"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R), [this] { restartSession(); });
    QAction* hotload = make(
        u"hotload"_s, tr("&Hot Reload"), QKeySequence(), [this](bool on) { setHotload(on); });
    hotload->setCheckable(true);
    hotload->setToolTip(
        tr("Reload edited Lua files, templates and stylesheets while the site runs"));
    make(u"stopScript"_s, tr("S&top Script"), QKeySequence(Qt::SHIFT | Qt::Key_F5), [this] {
        stopScript();
    })->setToolTip(tr("Interrupt the Lua code running now (a runaway loop)"));
    make(u"devTools"_s, tr("&DevTools"), QKeySequence(Qt::Key_F12), [this] { showDevTools(); });
    make(u"openInBrowser"_s, tr("Open in &Browser"), QKeySequence(), [this] {
        openInExternalBrowser();
    })->setToolTip(tr("Open this session in the system browser (the URL is also copied)"));
    make(u"packageSite"_s, tr("&Package\u2026"), QKeySequence(), [this] { openPackageDialog(); })
        ->setToolTip(tr("Make the site a desktop app: one file, a Debian package or a portable "
                        "folder"));
    make(u"about"_s, tr("&About Lunette"), QKeySequence(), [this] {
        QMessageBox::about(this, tr("About Lunette"),
            tr("<b>Lunette %1</b><p>Desktop apps from Lua presenters and HTML views.</p>")
                .arg(QCoreApplication::applicationVersion()));
    });
    if (m_options.player) {
        // A packaged site: nothing of the developer tool, except what --inspect brings back.
        for (QAction* a : actions()) {
            const bool keep = m_options.inspect && (a->objectName() == u"devTools"_s);
            a->setEnabled(keep);
            a->setVisible(keep);
        }
    }
}

void MainWindow::createMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(action(u"openSite"_s));
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recentMenu->setObjectName(u"recentMenu"_s);
    file->addAction(action(u"newSite"_s));
    file->addAction(action(u"closeSite"_s));
    file->addSeparator();
    file->addAction(action(u"preferences"_s));
    file->addSeparator();
    file->addAction(action(u"quit"_s));

    QMenu* site = menuBar()->addMenu(tr("&Site"));
    for (const auto* name : { "reloadPage", "restartSession", "stopScript" })
        site->addAction(action(QString::fromLatin1(name)));
    site->addSeparator();
    site->addAction(action(u"hotload"_s));
    site->addAction(action(u"openInBrowser"_s));
    site->addSeparator();
    site->addAction(action(u"packageSite"_s));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(action(u"devTools"_s));
    view->addSeparator();
    for (const auto* name : { "sessions", "variables", "console", "log" }) {
        if (QDockWidget* d = dock(QString::fromLatin1(name)))
            view->addAction(d->toggleViewAction());
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(action(u"about"_s));

    QToolBar* toolbar = addToolBar(tr("Site"));
    toolbar->setObjectName(u"siteToolBar"_s);
    toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    for (const auto* name : { "openSite", "reloadPage", "restartSession", "hotload", "stopScript",
             "devTools", "openInBrowser" })
        toolbar->addAction(action(QString::fromLatin1(name)));
    updateRecentMenu();
}

void MainWindow::createDocks()
{
    auto add = [this](const QString& name, const QString& title, const QString& component,
                   const QString& property, QObject* model, Qt::DockWidgetArea area) {
        QDockWidget* dock = createQmlDock(
            this, name, title, component, { { property, QVariant::fromValue(model) } });
        addDockWidget(area, dock);
        return dock;
    };
    // Sessions above Variables on the right, Console and Log tabbed below the page.
    QDockWidget* sessions = add(u"sessions"_s, tr("Sessions"), u"SessionsDock"_s, u"sessions"_s,
        m_sessionsModel, Qt::RightDockWidgetArea);
    QDockWidget* variables = add(u"variables"_s, tr("Variables"), u"VariablesDock"_s,
        u"variables"_s, m_variablesModel, Qt::RightDockWidgetArea);
    splitDockWidget(sessions, variables, Qt::Vertical);
    QDockWidget* console = add(u"console"_s, tr("Console"), u"ConsoleDock"_s, u"console"_s,
        m_consoleModel, Qt::BottomDockWidgetArea);
    QDockWidget* log
        = add(u"log"_s, tr("Log"), u"LogDock"_s, u"log"_s, m_logFilter, Qt::BottomDockWidgetArea);
    tabifyDockWidget(console, log);
    console->raise();
    resizeDocks({ sessions }, { 470 }, Qt::Horizontal);
    resizeDocks({ sessions, variables }, { 150, 550 }, Qt::Vertical);
    resizeDocks({ console }, { 220 }, Qt::Vertical);
}

void MainWindow::createStatusBar()
{
    auto label = [this](const QString& name) {
        auto* l = new QLabel(this);
        l->setObjectName(name);
        statusBar()->addWidget(l);
        return l;
    };
    m_statusSite = label(u"statusSite"_s);
    m_statusUrl = label(u"statusUrl"_s);
    m_statusUrl->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_statusSessions = label(u"statusSessions"_s);
    m_statusHotload = label(u"statusHotload"_s);
    m_statusReload = label(u"statusReload"_s);
    updateStatus();
}

void MainWindow::updateActions()
{
    const bool running = m_host != nullptr;
    if (!m_options.player) {
        for (const auto* name : { "restartSession", "stopScript", "hotload" })
            action(QString::fromLatin1(name))->setEnabled(running);
        action(u"reloadPage"_s)->setEnabled(!m_sitePath.isEmpty());
        action(u"closeSite"_s)->setEnabled(!m_sitePath.isEmpty());
        // A site that fails to start can still be packaged: packaging does not run its Lua.
        action(u"packageSite"_s)->setEnabled(!m_sitePath.isEmpty());
        action(u"openInBrowser"_s)->setEnabled(running && !m_pageSession.isEmpty());
        action(u"devTools"_s)->setEnabled(running);
    }
    QAction* hotload = action(u"hotload"_s);
    const QSignalBlocker block(hotload);
    hotload->setChecked(m_host && m_host->hotloadEnabled());
}

void MainWindow::updateStatus()
{
    if (!m_statusSite)
        return;
    m_statusSite->setText(m_sitePath.isEmpty() ? tr("No site") : siteName());
    m_statusSite->setToolTip(QDir::toNativeSeparators(m_sitePath));
    m_statusUrl->setText(m_host ? m_host->server().origin() : QString());
    const int sessions = m_host ? m_sessionsModel->count() : 0;
    m_statusSessions->setText(m_host ? tr("%n session(s)", nullptr, sessions) : QString());
    m_statusHotload->setText(!m_host   ? QString()
            : m_host->hotloadEnabled() ? tr("Hot reload on")
                                       : tr("Hot reload off"));
    if (!m_host)
        m_statusReload->clear();
}

void MainWindow::updateTitle()
{
    QString title = u"Lunette"_s;
    if (m_host && !m_host->site()->manifest().title.isEmpty())
        title = m_host->site()->manifest().title;
    else if (!m_sitePath.isEmpty())
        title = siteName();
    if (!m_options.player && !m_sitePath.isEmpty())
        title += u" \u2014 Lunette"_s;
    setWindowTitle(title);
}

QDockWidget* MainWindow::dock(const QString& name) const
{
    return findChild<QDockWidget*>(name, Qt::FindDirectChildrenOnly);
}

QAction* MainWindow::action(const QString& name) const
{
    return findChild<QAction*>(name, Qt::FindDirectChildrenOnly);
}

// ---- recent sites and settings ----------------------------------------------------------------

QStringList MainWindow::recentSites() const
{
    return lunetteSettings().value(kRecentKey).toStringList();
}

void MainWindow::addRecentSite(const QString& folder)
{
    QSettings settings = lunetteSettings();
    QStringList recent = settings.value(kRecentKey).toStringList();
    recent.removeAll(folder);
    recent.prepend(folder);
    while (recent.size() > kMaxRecentSites)
        recent.removeLast();
    settings.setValue(kRecentKey, recent);
    settings.setValue(kLastKey, folder);
    updateRecentMenu();
}

void MainWindow::updateRecentMenu()
{
    const QStringList recent = recentSites();
    m_startPage->setRecentSites(recent);
    if (!m_recentMenu)
        return;
    m_recentMenu->clear();
    for (const QString& folder : recent) {
        QAction* a = m_recentMenu->addAction(QDir::toNativeSeparators(folder));
        connect(a, &QAction::triggered, this, [this, folder] { openSite(folder); });
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::restoreSettings()
{
    if (m_options.player) {
        resize(1000, 700);
        return;
    }
    const QSettings settings = lunetteSettings();
    const QByteArray geometry = settings.value(kGeometryKey).toByteArray();
    if (geometry.isEmpty() || !restoreGeometry(geometry))
        resize(1280, 820);
    restoreState(settings.value(kStateKey).toByteArray());
}

void MainWindow::saveSettings() const
{
    if (m_options.player)
        return;
    QSettings settings = lunetteSettings();
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveSettings();
    QMainWindow::closeEvent(event);
}

// ---- drag and drop of a site folder -----------------------------------------------------------

QString MainWindow::droppedFolder(const QMimeData* mime)
{
    if (!mime || !mime->hasUrls() || mime->urls().size() != 1)
        return QString();
    const QUrl url = mime->urls().constFirst();
    return url.isLocalFile() && QFileInfo(url.toLocalFile()).isDir() ? url.toLocalFile()
                                                                     : QString();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (!droppedFolder(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QString folder = droppedFolder(event->mimeData());
    if (folder.isEmpty())
        return;
    event->acceptProposedAction();
    // After the drop has finished: opening a site replaces the page the drop came through.
    QMetaObject::invokeMethod(
        this, [this, folder] { openSite(folder); }, Qt::QueuedConnection);
}

// The page's render widget takes drops itself; a folder dropped on it opens the folder.
bool MainWindow::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::ChildAdded && watched == m_view) {
        if (auto* child = qobject_cast<QWidget*>(static_cast<QChildEvent*>(event)->child()))
            child->installEventFilter(this);
    } else if (!m_options.player
        && (event->type() == QEvent::DragEnter || event->type() == QEvent::DragMove
            || event->type() == QEvent::Drop)) {
        auto* drop = static_cast<QDropEvent*>(event);
        if (!droppedFolder(drop->mimeData()).isEmpty()) {
            if (event->type() == QEvent::Drop)
                dropEvent(drop);
            else
                drop->acceptProposedAction();
            return true;
        }
    }
    return QMainWindow::eventFilter(watched, event);
}
