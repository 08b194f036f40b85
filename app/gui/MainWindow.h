#pragma once

// The desktop app's main window: a central QWebEngineView showing the site, served by a SiteHost
// (executor + sessions + loopback server) the window owns. Without a site it shows a start page
// ("Open a site folder"); a folder that cannot be served shows why. Docks, menus and the status
// bar arrive with later milestones (docs/ARCHITECTURE.md, "The pieces").

#include <memory>

#include <QMainWindow>
#include <QString>

namespace lunette {
class SiteHost;
}

class LogModel;
class QCloseEvent;
class QWebEngineView;

class MainWindow final : public QMainWindow
{
    Q_OBJECT

public:
    // sitePath: the site folder to show, or empty for the start page.
    explicit MainWindow(const QString& sitePath = QString(), QWidget* parent = nullptr);
    ~MainWindow() override;

    // The central view (tests read the page through it).
    QWebEngineView* view() const { return m_view; }
    // Absolute, cleaned site folder path; empty when no site was given.
    QString sitePath() const { return m_sitePath; }
    // The folder's name as the title shows it; empty when no site was given.
    QString siteName() const;
    // The running site, or nullptr (no site given, or it could not be served: see siteError()).
    lunette::SiteHost* host() const { return m_host.get(); }
    QString siteError() const { return m_siteError; }
    // Everything the site's sessions and the hot loader log (the Log dock's model).
    LogModel* logModel() const { return m_log; }

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    QString startPageHtml() const;
    void restoreSettings();
    void saveSettings() const;

    void openSite();

    QWebEngineView* m_view = nullptr;
    LogModel* m_log = nullptr;
    QString m_sitePath;
    QString m_siteError;
    std::unique_ptr<lunette::SiteHost> m_host;
};
