#pragma once

// End-to-end harness: a real site served by a real SiteHost, shown in a real QWebEngineView
// (offscreen), driven through runJavaScript the way a user would — click, type, press keys,
// pick options — and observed through the DOM, lunette.js's window.uiApp and the Lua state.
// Every wait is on a condition (uiApp.ready, uiApp.whenIdle(), a DOM predicate), never a sleep.

#include <memory>
#include <optional>

#include <QImage>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QVariant>

#include "host/SiteHost.h"
#include "lua/LuaValue.h"

class QWebEnginePage;
class QWebEngineProfile;
class QWebEngineView;

namespace lunette::test {

// A page in its own view (so it paints and can be grabbed) and its own off-the-record profile.
class PageDriver
{
public:
    PageDriver();
    // Drive the page of a view someone else owns (the app window's); it must outlive the driver.
    // consoleProblems() is then always empty.
    explicit PageDriver(QWebEngineView* view);
    ~PageDriver();

    PageDriver(const PageDriver&) = delete;
    PageDriver& operator=(const PageDriver&) = delete;

    // Load url and wait for loadFinished; then, when the page has lunette.js, for uiApp.ready.
    bool open(const QUrl& url);
    bool reload();
    // For a page someone else loads: wait until it has loaded lunette.js and uiApp.ready.
    bool waitReady(int timeoutMs = 20000);
    QWebEnginePage* page() const;
    QWebEngineView* view() const { return m_viewPtr; }
    QUrl url() const;
    QString sessionId() const; // the first path segment of the page URL

    // Evaluate an expression; nullopt on timeout. Exceptions come back as nullopt too (see
    // lastError()).
    std::optional<QVariant> eval(const QString& expression, int timeoutMs = 10000);
    // Run the body of an async function in the page and wait for its result.
    std::optional<QVariant> await(const QString& asyncBody, int timeoutMs = 10000);
    // Poll a boolean expression until it is true.
    bool waitFor(const QString& condition, int timeoutMs = 10000);
    // await uiApp.whenIdle(): nothing pending in either direction, everything rendered.
    bool idle(int timeoutMs = 10000);
    QString lastError() const { return m_lastError; }

    // ---- user actions (by CSS selector; false when the element is missing) ----
    bool click(const QString& selector);
    bool type(
        const QString& selector, const QString& text); // replaces the value, fires input events
    bool press(const QString& selector, const QString& key, const QStringList& modifiers = {});
    bool choose(const QString& selector, const QString& value); // <select>/<sl-select>
    bool setChecked(const QString& selector, bool checked);

    // ---- reading the page ----
    QString text(const QString& selector); // textContent, trimmed; "" when missing
    QString value(const QString& selector); // .value
    int count(const QString& selector);
    bool exists(const QString& selector) { return count(selector) > 0; }
    QStringList texts(const QString& selector); // textContent of every match, trimmed

    // Console messages at warning level or above since the page was opened.
    QStringList consoleProblems() const;

    // The painted view, once it is not one flat colour (nullopt on timeout).
    std::optional<QImage> screenshot(int timeoutMs = 10000);
    // Save screenshot() under the test artifacts folder; returns the path or "".
    QString saveScreenshot(const QString& fileName);

private:
    class Page;
    std::unique_ptr<QWebEngineProfile> m_profile;
    std::unique_ptr<QWebEngineView> m_view; // when the driver owns its view
    QWebEngineView* m_viewPtr = nullptr;
    QWebEnginePage* m_page = nullptr; // owned by the view
    Page* m_ownPage = nullptr; // m_page, when the driver made it
    QString m_lastError;
    int m_nextAwait = 1;
};

// Run Lua in a session of the host (on the executor, as a turn so the page sees the changes)
// and return its first result, or an error text.
Expected<LuaValue, QString> runLua(SiteHost& host, const QString& sessionId, const QString& code);

// The folder of an example site (sites/<name> in the source tree).
QString exampleSite(const QString& name);

// Serve siteFolder with a new SiteHost and open it in a new page: "" when both are ready, else
// what went wrong.
QString openSite(const QString& siteFolder, std::unique_ptr<SiteHost>& host,
    std::unique_ptr<PageDriver>& page, const SiteHost::Options& options = {});

} // namespace lunette::test
