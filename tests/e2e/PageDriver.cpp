#include "PageDriver.h"

#include <functional>
#include <semaphore>

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>
#include <QWebEnginePage>
#include <QWebEngineProfile>
#include <QWebEngineView>

#include "lua/LuaState.h"
#include "session/Session.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;

namespace lunette::test {

namespace {

// A JS string literal for any text.
QString jsString(const QString& text)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray { text }).toJson(QJsonDocument::Compact))
        .mid(1)
        .chopped(1);
}

// JS that runs `body` with `el` = the element matching selector: true when it ran, false when
// there is no such element.
QString onElement(const QString& selector, const QString& body)
{
    return u"(() => { const el = document.querySelector(%1); if (!el) return false; %2; return true; })()"_s
        .arg(jsString(selector), body);
}

} // namespace

class PageDriver::Page final : public QWebEnginePage
{
public:
    using QWebEnginePage::QWebEnginePage;
    QStringList problems;

protected:
    void javaScriptConsoleMessage(JavaScriptConsoleMessageLevel level, const QString& message,
        int line, const QString& source) override
    {
        if (level != InfoMessageLevel)
            problems.append(u"%1:%2: %3"_s.arg(source).arg(line).arg(message));
    }
};

PageDriver::PageDriver()
    : m_profile(std::make_unique<QWebEngineProfile>()) // off the record
    , m_view(std::make_unique<QWebEngineView>())
{
    m_ownPage = new Page(m_profile.get(), m_view.get());
    m_page = m_ownPage;
    m_viewPtr = m_view.get();
    m_view->setPage(m_page);
    m_view->resize(1100, 760);
    m_view->show();
}

PageDriver::PageDriver(QWebEngineView* view) : m_viewPtr(view), m_page(view->page()) { }

PageDriver::~PageDriver()
{
    // The page must go before its profile.
    m_view.reset();
    m_profile.reset();
}

QWebEnginePage* PageDriver::page() const
{
    return m_page;
}

QUrl PageDriver::url() const
{
    return m_page->url();
}

QString PageDriver::sessionId() const
{
    return url().path().section(u'/', 1, 1);
}

bool PageDriver::open(const QUrl& url)
{
    QElapsedTimer timer;
    timer.start();
    QSignalSpy loaded(m_page, &QWebEnginePage::loadFinished);
    m_page->load(url);
    if (!loaded.wait(20000) || !loaded.first().value(0).toBool()) {
        m_lastError = u"the page did not load: "_s + url.toString();
        return false;
    }
    const auto hasApp = eval(u"!!document.querySelector('[ui-app]')"_s);
    const qint64 loadMs = timer.elapsed();
    if (hasApp && hasApp->toBool()) {
        if (!waitFor(u"!!window.uiApp"_s, 20000))
            return false;
        if (!await(u"await window.uiApp.ready; return true;"_s, 20000))
            return false;
    }
    qInfo("page %s: loaded in %lld ms, ready in %lld ms", qUtf8Printable(url.path()), loadMs,
        timer.elapsed());
    return true;
}

bool PageDriver::waitReady(int timeoutMs)
{
    return waitFor(u"document.readyState === 'complete' && !!window.uiApp"_s, timeoutMs)
        && await(u"await window.uiApp.ready; return true;"_s, timeoutMs).has_value();
}

bool PageDriver::reload()
{
    return open(url());
}

std::optional<QVariant> PageDriver::eval(const QString& expression, int timeoutMs)
{
    // Exceptions would come back as an undefined result: catch them in the page instead.
    const QString code
        = u"(() => { try { return { ok: true, value: (%1) }; } "
          "catch (e) { return { ok: false, error: String(e && e.stack || e) }; } })()"_s.arg(
              expression);
    std::optional<QVariant> result;
    bool done = false;
    m_page->runJavaScript(code, [&](const QVariant& value) {
        result = value;
        done = true;
    });
    if (!spinUntil([&] { return done; }, timeoutMs, 1)) {
        m_lastError = u"timed out evaluating: "_s + expression;
        return std::nullopt;
    }
    const QVariantMap map = result->toMap();
    if (!map.value(u"ok"_s).toBool()) {
        m_lastError = map.value(u"error"_s).toString();
        return std::nullopt;
    }
    return map.value(u"value"_s);
}

std::optional<QVariant> PageDriver::await(const QString& asyncBody, int timeoutMs)
{
    const QString slot = u"window.__lunetteTest[%1]"_s.arg(m_nextAwait++);
    const auto started
        = eval(u"(window.__lunetteTest = window.__lunetteTest || {}, "
               "(async () => { %1 })().then(v => { %2 = { ok: true, value: v === undefined ? null "
               ": v }; }, "
               "e => { %2 = { ok: false, error: String(e && e.stack || e) }; }), true)"_s.arg(
                   asyncBody, slot));
    if (!started)
        return std::nullopt;
    std::optional<QVariant> settled;
    const bool finished = spinUntil(
        [&] {
            settled = eval(slot + u" || null"_s);
            return settled && !settled->isNull();
        },
        timeoutMs);
    if (!finished) {
        m_lastError = u"timed out awaiting: "_s + asyncBody;
        return std::nullopt;
    }
    const QVariantMap map = settled->toMap();
    if (!map.value(u"ok"_s).toBool()) {
        m_lastError = map.value(u"error"_s).toString();
        return std::nullopt;
    }
    return map.value(u"value"_s);
}

bool PageDriver::waitFor(const QString& condition, int timeoutMs)
{
    const bool met = spinUntil(
        [&] {
            const auto value = eval(condition);
            return value && value->toBool();
        },
        timeoutMs);
    if (!met)
        m_lastError = u"condition never became true: "_s + condition;
    return met;
}

bool PageDriver::idle(int timeoutMs)
{
    return await(u"await window.uiApp.whenIdle(); return true;"_s, timeoutMs).has_value();
}

// ---- user actions ----------------------------------------------------------------------------

bool PageDriver::click(const QString& selector)
{
    const auto done
        = eval(onElement(selector, u"el.scrollIntoView({ block: 'center' }); el.click()"_s));
    return done && done->toBool();
}

bool PageDriver::type(const QString& selector, const QString& text)
{
    // Focus, set the value, then the events an input (native or Shoelace) fires while typing and
    // when it is left.
    const auto done = eval(onElement(selector,
        u"el.focus && el.focus(); el.value = %1; "
        "for (const type of ['input', 'sl-input', 'change', 'sl-change']) "
        "el.dispatchEvent(new Event(type, { bubbles: true, composed: true }))"_s.arg(
            jsString(text))));
    return done && done->toBool();
}

bool PageDriver::press(const QString& selector, const QString& key, const QStringList& modifiers)
{
    const auto flag
        = [&](const QString& name) { return modifiers.contains(name) ? u"true"_s : u"false"_s; };
    const QString init
        = u"{ key: %1, bubbles: true, cancelable: true, composed: true, ctrlKey: %2, "
          "shiftKey: %3, altKey: %4, metaKey: %5 }"_s.arg(
              jsString(key), flag(u"ctrl"_s), flag(u"shift"_s), flag(u"alt"_s), flag(u"meta"_s));
    const auto done = eval(onElement(selector,
        u"el.focus && el.focus(); "
        "for (const type of ['keydown', 'keypress', 'keyup']) "
        "el.dispatchEvent(new KeyboardEvent(type, %1))"_s.arg(init)));
    return done && done->toBool();
}

bool PageDriver::choose(const QString& selector, const QString& value)
{
    const auto done = eval(onElement(selector,
        u"el.value = %1; "
        "for (const type of ['input', 'change', 'sl-input', 'sl-change']) "
        "el.dispatchEvent(new Event(type, { bubbles: true, composed: true }))"_s.arg(
            jsString(value))));
    return done && done->toBool();
}

bool PageDriver::setChecked(const QString& selector, bool checked)
{
    // True only when the element ends up in the wanted state.
    const QString wanted = checked ? u"true"_s : u"false"_s;
    const auto done
        = eval(u"(() => { const el = document.querySelector(%1); if (!el) return false; "
               "if (el.checked !== %2) el.click(); return el.checked === %2; })()"_s.arg(
                   jsString(selector), wanted));
    return done && done->toBool();
}

// ---- reading the page ------------------------------------------------------------------------

QString PageDriver::text(const QString& selector)
{
    const auto value
        = eval(u"(document.querySelector(%1)?.textContent ?? '').trim()"_s.arg(jsString(selector)));
    return value ? value->toString() : QString();
}

QString PageDriver::value(const QString& selector)
{
    const auto value
        = eval(u"String(document.querySelector(%1)?.value ?? '')"_s.arg(jsString(selector)));
    return value ? value->toString() : QString();
}

int PageDriver::count(const QString& selector)
{
    const auto value = eval(u"document.querySelectorAll(%1).length"_s.arg(jsString(selector)));
    return value ? value->toInt() : -1;
}

QStringList PageDriver::texts(const QString& selector)
{
    const auto value
        = eval(u"[...document.querySelectorAll(%1)].map(e => e.textContent.trim())"_s.arg(
            jsString(selector)));
    return value ? value->toStringList() : QStringList();
}

QStringList PageDriver::consoleProblems() const
{
    return m_ownPage ? m_ownPage->problems : QStringList();
}

std::optional<QImage> PageDriver::screenshot(int timeoutMs)
{
    // Shoelace's autoloader defines elements lazily: wait until none is left undefined and a
    // frame has been painted after that.
    waitFor(
        u"document.querySelectorAll(':not(:defined)').length === 0 && "
        "[...document.querySelectorAll('sl-icon')].every(i => i.shadowRoot?.querySelector('svg'))"_s,
        timeoutMs);
    await(
        u"await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); return true;"_s,
        timeoutMs);
    QImage image;
    const bool painted = spinUntil(
        [&] {
            image = m_viewPtr->grab().toImage();
            if (image.isNull())
                return false;
            const QRgb first = image.pixel(0, 0);
            for (int y = 0; y < image.height(); y += 4) {
                for (int x = 0; x < image.width(); x += 4) {
                    if (image.pixel(x, y) != first)
                        return true;
                }
            }
            return false;
        },
        timeoutMs);
    if (!painted)
        return std::nullopt;
    return image;
}

QString PageDriver::saveScreenshot(const QString& fileName)
{
    const auto image = screenshot();
    if (!image)
        return {};
    const QString dir = artifactsDir();
    QDir().mkpath(dir);
    const QString path = QDir(dir).filePath(fileName);
    return image->save(path, "PNG") ? path : QString();
}

// ---- Lua -------------------------------------------------------------------------------------

Expected<LuaValue, QString> runLua(SiteHost& host, const QString& sessionId, const QString& code)
{
    Expected<LuaValue, QString> result = unexpected(u"the session does not exist"_s);
    std::binary_semaphore done { 0 };
    host.sessions().withSession(sessionId, [&](Session* session) {
        if (session) {
            const auto turn = session->runTurn(
                [&] {
                    auto ran = session->lua().run(code.toUtf8(), u"test"_s);
                    if (!ran)
                        result = unexpected(ran.error().fullText());
                    else
                        result = ran->empty() ? LuaValue() : ran->front();
                },
                true);
            if (!turn)
                result = unexpected(turn.error().fullText());
        }
        done.release();
    });
    done.acquire();
    return result;
}

QString exampleSite(const QString& name)
{
    return sourceDir() + u"/sites/"_s + name;
}

QString openSite(const QString& siteFolder, std::unique_ptr<SiteHost>& host,
    std::unique_ptr<PageDriver>& page, const SiteHost::Options& options)
{
    auto started = SiteHost::start(siteFolder, options);
    if (!started)
        return started.error();
    host = std::move(*started);
    page = std::make_unique<PageDriver>();
    return page->open(host->url()) ? QString() : page->lastError();
}

} // namespace lunette::test
