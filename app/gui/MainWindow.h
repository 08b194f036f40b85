#pragma once

// The desktop app's main window (GUI.md): the site in a central QWebEngineView, the Sessions,
// Variables, Console and Log docks (QML, qml/), DevTools in a dock, menus, toolbar and status bar.
// The window owns the running site (a SiteHost: executor + sessions + loopback server) and creates
// the page's session itself, so a site that cannot start shows the error page (message, file:line,
// Retry) instead of the site. Without a site it shows the start page (Open / New / recent sites).
//
// The page never sees the launch token in its URL: the window puts it in the view's cookie store
// (an off-the-record profile of its own) and loads http://127.0.0.1:PORT/<session>.
//
// Player mode (a packaged site): no docks, menus, toolbar or hot reload, title and size from the
// site's manifest; --inspect brings the docks and DevTools back.

#include <memory>

#include <QMainWindow>
#include <QPointer>
#include <QString>
#include <QUrl>

#include "Preferences.h"

namespace lunette {
class SiteHost;
}

class ConsoleModel;
class ErrorPage;
class LogFilterModel;
class LogModel;
class PackageDialog;
class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QMimeData;
class QStackedWidget;
class QWebEngineProfile;
class QWebEngineView;
class SessionsModel;
class StartPage;
class VariablesModel;

class MainWindow final : public QMainWindow
{
    Q_OBJECT

public:
    struct Options
    {
        QString sitePath; // empty: the start page (or, with reopenLast, the last site)
        bool reopenLast = false; // `lunette` without a SITE reopens the last site
        int port = -1; // -1: the preference; 0: any free port
        bool noHotload = false; // --no-hotload: overrides the preference
        bool player = false; // a packaged site: no docks, menus, toolbar, hot reload
        bool inspect = false; // player mode with the docks and DevTools
    };

    explicit MainWindow(const Options& options, QWidget* parent = nullptr);
    explicit MainWindow(const QString& sitePath = QString(), QWidget* parent = nullptr);
    ~MainWindow() override;

    // ---- the site ----
    // Open a site folder (closing the current one). Shows the site, or the error page.
    void openSite(const QString& folder);
    // Close the current site and show the start page.
    void closeSite();
    // Create a new site from the template in folder and open it. Returns false (and says why in
    // a message box unless quiet) when it could not be created.
    bool newSite(const QString& folder, const QString& title = QString(), QString* error = nullptr);
    // Absolute, cleaned folder of the current site; empty when none.
    QString sitePath() const { return m_sitePath; }
    // The folder's name; empty when no site.
    QString siteName() const;
    // The running site, or nullptr (no site, or it could not be served: see siteError()).
    lunette::SiteHost* host() const { return m_host.get(); }
    // Why the current site is not running ("" when it is, or none was asked for).
    QString siteError() const { return m_siteError; }
    // The session the page shows ("" until it has been created).
    QString pageSessionId() const { return m_pageSession; }
    bool isPlayer() const { return m_options.player; }

    // ---- parts (tests drive them) ----
    QWebEngineView* view() const { return m_view; }
    StartPage* startPage() const { return m_startPage; }
    ErrorPage* errorPage() const { return m_errorPage; }
    LogModel* logModel() const { return m_log; }
    SessionsModel* sessionsModel() const { return m_sessionsModel; }
    VariablesModel* variablesModel() const { return m_variablesModel; }
    ConsoleModel* consoleModel() const { return m_consoleModel; }
    // "sessions", "variables", "console", "log", "devtools" (created on first use); nullptr in
    // player mode without --inspect.
    QDockWidget* dock(const QString& name) const;
    QAction* action(const QString& name) const; // by objectName, e.g. "stopScript"
    QStringList recentSites() const;
    const Preferences& preferences() const { return m_preferences; }
    void setPreferences(const Preferences& preferences);

    // ---- actions (menus, toolbar and tests) ----
    void reloadPage();
    // Fresh Lua state for the session (the page's when id is empty); the page reloads if it
    // showed that session.
    void restartSession(const QString& id = QString());
    void stopScript();
    void setHotload(bool on);
    // The session's URL with the token, for a browser outside the app ("" without a site).
    QUrl externalUrl(const QString& sessionId = QString()) const;
    void openInExternalBrowser(const QString& sessionId = QString());
    void showDevTools();
    // The Package… dialog for the current site (shown; the one already open for it is raised);
    // nullptr without a site or in player mode.
    PackageDialog* openPackageDialog();

signals:
    // The page's session was created and its page is loading ("" id: creation failed).
    void pageSessionChanged(const QString& sessionId);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void createActions();
    void createMenus();
    void createDocks();
    void createStatusBar();
    void restoreSettings();
    void saveSettings() const;
    void addRecentSite(const QString& folder);
    void updateRecentMenu();
    void updateActions();
    void updateStatus();
    void updateTitle();

    void startPageSession();
    void pageSessionCreated(
        const QString& sessionId, const QString& error, const QString& location);
    void showSiteError(const QString& headline, const QString& message, const QString& location);
    void connectHotLoader();
    void openSiteDialog();
    void newSiteDialog();
    void preferencesDialog();
    void highlightElement(const QString& elementId);
    void openLocation(const QString& file, int line);
    static QString droppedFolder(const QMimeData* mime);

    Options m_options;
    Preferences m_preferences;
    QStackedWidget* m_stack = nullptr;
    StartPage* m_startPage = nullptr;
    ErrorPage* m_errorPage = nullptr;
    QWebEngineProfile* m_profile = nullptr;
    QWebEngineView* m_view = nullptr;
    QPointer<QWebEngineView> m_devTools;
    QPointer<PackageDialog> m_packageDialog;

    LogModel* m_log = nullptr;
    LogFilterModel* m_logFilter = nullptr;
    SessionsModel* m_sessionsModel = nullptr;
    VariablesModel* m_variablesModel = nullptr;
    ConsoleModel* m_consoleModel = nullptr;

    QMenu* m_recentMenu = nullptr;
    QLabel* m_statusSite = nullptr;
    QLabel* m_statusUrl = nullptr;
    QLabel* m_statusSessions = nullptr;
    QLabel* m_statusHotload = nullptr;
    QLabel* m_statusReload = nullptr;

    QString m_sitePath;
    QString m_siteError;
    QString m_pageSession;
    quint64 m_siteGeneration = 0; // replies for an older site or session are dropped
    std::unique_ptr<lunette::SiteHost> m_host;
};
