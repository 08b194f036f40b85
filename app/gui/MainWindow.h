#pragma once

// The desktop app's main window: a central QWebEngineView. Today it shows a built-in start page
// (the site's name and path, or "Open a site folder"); the embedded server, docks, menus and the
// status bar arrive with later milestones (docs/ARCHITECTURE.md, "The pieces").

#include <QMainWindow>
#include <QString>

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

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    QString startPageHtml() const;
    void restoreSettings();
    void saveSettings() const;

    QWebEngineView* m_view = nullptr;
    QString m_sitePath;
};
