// Every lunette.js binding on one page (tests/js/site, FRONTEND.md "Must do"), in a real page
// against the real engine: two-way widgets native and Shoelace, attribute/class/style bindings,
// ui-html (and ?replace), ui-code, actions and their errors, keypress bindings with modifiers,
// scroll-on-output, lists with item wrappers and namespaces, views that clear, no leaked
// variables after a re-render.

#include <semaphore>

#include <QTest>

#include "PageDriver.h"
#include "session/Session.h"
#include "support/TestSupport.h"
#include "variables/VariableTree.h"

using namespace Qt::StringLiterals;
using namespace lunette;
using lunette::test::PageDriver;

class TestE2eBindings final : public QObject
{
    Q_OBJECT

public:
    static void initMain() { QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts); }

private:
    std::unique_ptr<SiteHost> m_host;
    std::unique_ptr<PageDriver> m_page;

    PageDriver& page() { return *m_page; }
    QString lua(const QString& expression)
    {
        const auto value = test::runLua(*m_host, page().sessionId(), u"return "_s + expression);
        if (!value)
            return u"<error: "_s + value.error() + u'>';
        return value->isString() ? value->toString() : QString::fromUtf8(value->toJson());
    }
    bool shows(const QString& hook, const QString& text)
    {
        return page().waitFor(
            u"document.querySelector('[data-test=%1]')?.textContent.trim() === '%2'"_s.arg(
                hook, text));
    }
    // Variables the session holds (all connections).
    std::size_t serverVariables()
    {
        std::size_t count = 0;
        std::binary_semaphore done { 0 };
        m_host->sessions().withSession(page().sessionId(), [&](Session* s) {
            count = s ? s->tree().size() : 0;
            done.release();
        });
        done.acquire();
        return count;
    }

private slots:
    void init()
    {
        const QString problem
            = test::openSite(test::sourceDir() + u"/tests/js/site"_s, m_host, m_page);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY(shows(u"title"_s, u"Bindings"_s));
    }

    void cleanup()
    {
        m_page.reset();
        m_host.reset();
    }

    void twoWayWidgets()
    {
        QVERIFY(page().type(u"[data-test=name]"_s, u"Ada"_s));
        QVERIFY(shows(u"name-out"_s, u"Ada"_s));
        QCOMPARE(lua(u"session:getApp().name"_s), u"Ada"_s);

        QVERIFY(page().setChecked(u"[data-test=agree]"_s, true));
        QVERIFY(shows(u"agree-out"_s, u"true"_s));
        QCOMPARE(lua(u"session:getApp().agree"_s), u"true"_s);
        QVERIFY(test::runLua(*m_host, page().sessionId(), u"session:getApp().agree = false"_s));
        QVERIFY(page().waitFor(u"document.querySelector('[data-test=agree]').checked === false"_s));

        QVERIFY(page().click(u"[data-test=blue]"_s));
        QVERIFY(shows(u"color-out"_s, u"blue"_s));
        QVERIFY(test::runLua(*m_host, page().sessionId(), u"session:getApp().color = 'red'"_s));
        QVERIFY(page().waitFor(
            u"document.querySelector('[data-test=red]').checked && !document.querySelector('[data-test=blue]').checked"_s));

        QVERIFY(page().choose(u"[data-test=level]"_s, u"8"_s));
        QVERIFY(shows(u"level-out"_s, u"8"_s));
        QCOMPARE(lua(u"math.type(session:getApp().level)"_s), u"integer"_s); // a number, not "8"

        QVERIFY(page().click(u"[data-test=on]"_s)); // sl-switch
        QVERIFY(shows(u"on-out"_s, u"true"_s));
        QVERIFY(test::runLua(*m_host, page().sessionId(),
            u"session:getApp().volume = 70; session:getApp().size = 'l'"_s));
        QVERIFY(page().waitFor(
            u"document.querySelector('[data-test=volume]').value === 70 && document.querySelector('[data-test=size]').value === 'l'"_s));
        QVERIFY(page().choose(u"[data-test=stars]"_s, u"5"_s)); // sl-rating
        QVERIFY(shows(u"stars-out"_s, u"5"_s));
    }

    void attributesHtmlAndCode()
    {
        QVERIFY(page().type(u"[data-test=name]"_s, u"tip"_s));
        QVERIFY(page().waitFor(u"document.querySelector('[data-test=attrs]').title === 'tip'"_s));
        QVERIFY(page().waitFor(
            u"document.querySelector('[data-test=attrs]').style.width === '10px'"_s));
        QVERIFY(page().click(u"[data-test=click]"_s));
        QVERIFY(page().waitFor(u"document.querySelector('[data-test=attrs]').hidden === true"_s));
        QVERIFY(page().choose(u"[data-test=level]"_s, u"9"_s));
        QVERIFY(page().waitFor(
            u"document.querySelector('[data-test=attrs]').classList.contains('big')"_s));

        QVERIFY(page().waitFor(
            u"document.querySelector('[data-test=html]').innerHTML === '<b>bold</b>'"_s));
        // ?replace (digest §6.6): the bound element is replaced by the fragment's elements (they
        // take over its id and vended ones), and they again on the next change.
        const QString swapped
            = u"[...document.querySelector('[data-test=after-swap]').parentElement.children].map(e => e.tagName + ':' + e.textContent).join()"_s;
        QVERIFY2(page().waitFor(swapped + u" === 'EM:one,EM:two,I:after'"_s),
            qPrintable(page().lastError()));
        QVERIFY(test::runLua(
            *m_host, page().sessionId(), u"session:getApp().swap = '<em>three</em>'"_s));
        QVERIFY2(
            page().waitFor(swapped + u" === 'EM:three,I:after'"_s), qPrintable(page().lastError()));

        QVERIFY(page().click(u"[data-test=run-code]"_s));
        QVERIFY(
            page().waitFor(u"document.querySelector('[data-test=code]').dataset.ran === '1'"_s));
    }

    void actionsAndErrors()
    {
        QVERIFY(page().click(u"[data-test=set-it]"_s));
        QVERIFY(shows(u"set-out"_s, u"set:42"_s));
        QVERIFY(page().eval(
            u"document.querySelector('[data-test=dbl]').dispatchEvent(new MouseEvent('dblclick', { bubbles: true }))"_s));
        QVERIFY(shows(u"clicks"_s, u"1"_s));
        QVERIFY(page().click(u"[data-test=fails]"_s));
        QVERIFY2(
            page().waitFor(
                u"uiApp.overlay.visible && uiApp.overlay.errors.some(e => e.message.includes('boom from fails()') && String(e.traceback).includes('in function'))"_s),
            qPrintable(page().lastError()));
        QVERIFY(page().eval(u"uiApp.overlay.dismiss()"_s));
        QVERIFY(page().waitFor(u"!uiApp.overlay.visible"_s));
    }

    void keypressBindings()
    {
        QVERIFY(page().press(u"[data-test=keys]"_s, u"Enter"_s));
        QVERIFY(page().press(u"[data-test=keys]"_s, u"Escape"_s));
        QVERIFY(page().press(u"[data-test=keys]"_s, u"F1"_s));
        QVERIFY(page().press(u"[data-test=keys]"_s, u"S"_s, { u"ctrl"_s, u"shift"_s }));
        QVERIFY(page().press(
            u"[data-test=keys]"_s, u"s"_s, { u"ctrl"_s })); // modifiers must match exactly
        QVERIFY(shows(u"keys-out"_s, u"enter;escape;f1;ctrl-shift-s;"_s));
        QVERIFY(page().press(u"[data-test=keys]"_s, u"k"_s, { u"ctrl"_s }));
        QVERIFY(shows(u"last-key"_s, u"k"_s));
    }

    void scrollOnOutput()
    {
        for (int i = 0; i < 6; ++i)
            QVERIFY(page().click(u"[data-test=append]"_s));
        QVERIFY(page().waitFor(
            u"document.querySelector('[data-test=log]').textContent.includes('line 6')"_s));
        QVERIFY2(
            page().waitFor(
                u"(() => { const e = document.querySelector('[data-test=log]'); "
                "return e.scrollHeight > e.clientHeight && e.scrollTop + e.clientHeight >= e.scrollHeight - 2; })()"_s),
            qPrintable(page().lastError()));
    }

    // Lists grow and shrink; the wrapped list renders through the Shout wrapper in its namespace;
    // a view clears when its value becomes nil; a re-render leaks no variable.
    void listsViewsAndNoLeaks()
    {
        // The frontend list renders each Item with its type's viewdef (Item.DEFAULT).
        const QString plain
            = u"document.querySelectorAll('[data-test=plain-list] [data-test=item-label]')"_s;
        QVERIFY(page().waitFor(plain + u".length === 2"_s));
        QVERIFY(page().waitFor(
            u"[...document.querySelectorAll('[data-test=shout]')].map(e => e.textContent).join() === 'A,B'"_s));
        QVERIFY(page().waitFor(plain + u"[1].classList.contains('done') && "_s + plain
            + u"[1].textContent === 'b ✓'"_s));
        QVERIFY(page().click(u"[data-test=add]"_s));
        QVERIFY(page().waitFor(
            u"[...document.querySelectorAll('[data-test=shout]')].map(e => e.textContent).join() === 'A,B,ITEM 3'"_s));
        QVERIFY(page().waitFor(
            u"document.querySelectorAll('[data-test=vl] [data-test=vl-item] [data-test=item-label]').length === 3"_s));
        QVERIFY(page().click(u"[data-test=pop]"_s));
        QVERIFY(page().click(u"[data-test=pop]"_s));
        QVERIFY(page().waitFor(plain + u".length === 1"_s));
        QVERIFY(page().waitFor(
            u"document.querySelectorAll('[data-test=vl] [data-test=vl-item] [data-test=item-label]').length === 1"_s));
        QVERIFY(page().idle());

        const std::size_t before = serverVariables();
        QVERIFY(page().type(u"[data-test=name]"_s, u"x"_s));
        QVERIFY(page().click(u"[data-test=show-detail]"_s));
        QVERIFY(shows(u"detail-text"_s, u"detail of x"_s));
        QVERIFY(page().waitFor(
            u"window.detailScripts === 1 && window.detailVisible === true"_s)); // once, after
                                                                                // reveal
        QVERIFY(page().click(u"[data-test=hide-detail]"_s));
        QVERIFY(page().waitFor(u"!document.querySelector('[data-test=detail]')"_s));
        for (int i = 0; i < 3; ++i) {
            QVERIFY(page().click(u"[data-test=show-detail]"_s));
            QVERIFY(page().waitFor(u"!!document.querySelector('[data-test=detail]')"_s));
            QVERIFY(page().click(u"[data-test=hide-detail]"_s));
            QVERIFY(page().waitFor(u"!document.querySelector('[data-test=detail]')"_s));
        }
        QVERIFY(page().idle());
        QCOMPARE(serverVariables(), before);
        QVERIFY2(
            page().consoleProblems().isEmpty(), qPrintable(page().consoleProblems().join(u'\n')));
    }
};

QTEST_MAIN(TestE2eBindings)
#include "test_bindings.moc"
