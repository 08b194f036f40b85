// sites/adder end to end (SCENARIOS.md, digest §9.2): two inputs and their sum, in a real page.

#include <QTest>

#include "PageDriver.h"

using namespace Qt::StringLiterals;
using namespace lunette;
using lunette::test::PageDriver;

class TestE2eAdder final : public QObject
{
    Q_OBJECT

public:
    static void initMain() { QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts); }

private:
    std::unique_ptr<SiteHost> m_host;
    std::unique_ptr<PageDriver> m_page;

    QString luaString(const QString& expression)
    {
        const auto value = test::runLua(*m_host, m_page->sessionId(), u"return "_s + expression);
        return value ? value->toString() : u"<error: "_s + value.error() + u'>';
    }

private slots:
    void init()
    {
        const QString problem = test::openSite(test::exampleSite(u"adder"_s), m_host, m_page);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    void cleanup()
    {
        m_page.reset();
        m_host.reset();
    }

    void addsTwoNumbers()
    {
        PageDriver& page = *m_page;
        // 1. Title, two empty inputs with placeholders, "+", "=", an empty result.
        QVERIFY2(
            page.waitFor(
                u"document.querySelector('[data-test=adder-title]')?.textContent === 'Simple Adder'"_s),
            qPrintable(page.lastError()));
        QCOMPARE(
            page.eval(u"document.querySelector('[data-test=value1]').placeholder"_s)->toString(),
            u"Value 1"_s);
        QCOMPARE(
            page.eval(u"document.querySelector('[data-test=value2]').placeholder"_s)->toString(),
            u"Value 2"_s);
        QCOMPARE(page.text(u"[data-test=sum]"_s), QString());

        // 2. 2 in the first field: no sum yet, but Lua has the value.
        QVERIFY(page.type(u"[data-test=value1]"_s, u"2"_s));
        QVERIFY(page.idle());
        QCOMPARE(luaString(u"session:getApp().value1"_s), u"2"_s);
        QCOMPARE(page.text(u"[data-test=sum]"_s), QString());

        // 3. 3 in the second: 5.
        QVERIFY(page.type(u"[data-test=value2]"_s, u"3"_s));
        QVERIFY2(
            page.waitFor(u"document.querySelector('[data-test=sum]').textContent.trim() === '5'"_s),
            qPrintable(page.lastError()));
        QCOMPARE(luaString(u"session:getApp():sum()"_s), u"5"_s);
        page.saveScreenshot(u"e2e-adder.png"_s);

        // 4. Not a number: empty; 1.5 + 2 = 3.5.
        QVERIFY(page.type(u"[data-test=value1]"_s, u"abc"_s));
        QVERIFY(
            page.waitFor(u"document.querySelector('[data-test=sum]').textContent.trim() === ''"_s));
        QVERIFY(page.type(u"[data-test=value1]"_s, u"1.5"_s));
        QVERIFY(page.type(u"[data-test=value2]"_s, u"2"_s));
        QVERIFY2(page.waitFor(
                     u"document.querySelector('[data-test=sum]').textContent.trim() === '3.5'"_s),
            qPrintable(page.lastError()));
        QVERIFY2(page.consoleProblems().isEmpty(), qPrintable(page.consoleProblems().join(u'\n')));
    }

    // The values live in Lua: a reload of the page shows them again.
    void reloadKeepsState()
    {
        PageDriver& page = *m_page;
        QVERIFY(page.type(u"[data-test=value1]"_s, u"20"_s));
        QVERIFY(page.type(u"[data-test=value2]"_s, u"22"_s));
        QVERIFY(page.waitFor(
            u"document.querySelector('[data-test=sum]').textContent.trim() === '42'"_s));
        const QString session = page.sessionId();
        QVERIFY(page.reload());
        QCOMPARE(page.sessionId(), session);
        QVERIFY2(page.waitFor(
                     u"document.querySelector('[data-test=sum]').textContent.trim() === '42'"_s),
            qPrintable(page.lastError()));
        QCOMPARE(page.value(u"[data-test=value1]"_s), u"20"_s);
    }
};

QTEST_MAIN(TestE2eAdder)
#include "test_adder.moc"
