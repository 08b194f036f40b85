#pragma once

// The two pages the window shows instead of a site: the start page (Open / New / recent sites)
// and the error page of a site that could not be opened or started (message, file:line, Retry).
// Plain widgets, so they work before, and whatever happens to, the web view.

#include <QWidget>

class QLabel;
class QListWidget;
class QListWidgetItem;
class QPlainTextEdit;
class QPushButton;

class StartPage final : public QWidget
{
    Q_OBJECT

public:
    explicit StartPage(QWidget* parent = nullptr);
    // Folders, most recent first. Missing folders are listed, greyed, with a note.
    void setRecentSites(const QStringList& folders);

signals:
    void openSiteRequested();
    void newSiteRequested();
    void recentSiteActivated(const QString& folder);

private:
    QListWidget* m_recent = nullptr;
    QLabel* m_recentTitle = nullptr;
};

class ErrorPage final : public QWidget
{
    Q_OBJECT

public:
    explicit ErrorPage(QWidget* parent = nullptr);
    // headline: "contacts could not be opened"; message: the error (may be several lines, a
    // traceback); location: "lua/main.lua:12" or "".
    void showError(const QString& headline, const QString& message, const QString& location);
    QString message() const;
    QString location() const;

signals:
    void retryRequested();
    void openOtherRequested();
    void locationActivated(const QString& location);

private:
    QLabel* m_headline = nullptr;
    QLabel* m_location = nullptr;
    QPlainTextEdit* m_message = nullptr;
    QString m_locationText;
};
