// sites/tasks end to end (SCENARIOS.md, digest §9.3): a lua.ViewList of rows with selection,
// inline rename (double-click, Enter, Escape), detail panels, two-way checkboxes, insert after the
// selected task, search.

#include <QTest>

#include "PageDriver.h"

using namespace Qt::StringLiterals;
using namespace lunette;
using lunette::test::PageDriver;

namespace {

// JS: the row whose name is `name` (or undefined).
QString row(const QString& name)
{
    return u"[...document.querySelectorAll('[data-test=task]')]"
           ".find(r => r.querySelector('[data-test=task-name]')?.textContent.trim() === '%1')"_s
               .arg(name);
}

const QString kNames = u"[...document.querySelectorAll('[data-test=task] [data-test=task-name]')]"
                       ".map(e => e.textContent.trim()).join('|')"_s;

} // namespace

class TestE2eTasks final : public QObject
{
    Q_OBJECT

public:
    static void initMain() { QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts); }

private:
    std::unique_ptr<SiteHost> m_host;
    std::unique_ptr<PageDriver> m_page;

    PageDriver& page() { return *m_page; }

    bool namesAre(const QString& names)
    {
        return page().waitFor(kNames + u" === '"_s + names + u"'"_s);
    }
    // Run JS against the row: `r` is the row element.
    bool inRow(const QString& name, const QString& js)
    {
        const auto done = page().eval(
            u"(() => { const r = %1; if (!r) return false; %2; return true; })()"_s.arg(
                row(name), js));
        return done && done->toBool();
    }
    bool rowIs(const QString& name, const QString& condition)
    {
        return page().waitFor(
            u"(() => { const r = %1; return !!r && (%2); })()"_s.arg(row(name), condition));
    }
    QString lua(const QString& expression)
    {
        const auto value = test::runLua(*m_host, page().sessionId(), u"return "_s + expression);
        if (!value)
            return u"<error: "_s + value.error() + u'>';
        return value->isString() ? value->toString() : QString::fromUtf8(value->toJson());
    }

private slots:
    void init()
    {
        const QString problem = test::openSite(test::exampleSite(u"tasks"_s), m_host, m_page);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY2(namesAre(u"First task|Second task|Third task"_s), qPrintable(page().lastError()));
    }

    void cleanup()
    {
        if (QTest::currentTestFailed() && m_page)
            m_page->saveScreenshot(u"e2e-tasks-%1-failed.png"_s.arg(
                QString::fromLatin1(QTest::currentTestFunction())));
        m_page.reset();
        m_host.reset();
    }

    // 1. Header, three rows; the completed one is struck through and its checkbox checked;
    // inline inputs and detail panels hidden.
    void initialView()
    {
        QCOMPARE(page().text(u"[data-test=tasks-title]"_s), u"Tasks:"_s);
        QVERIFY(page().exists(u"[data-test=task-search]"_s));
        QVERIFY(page().exists(u"[data-test=add-task]"_s));
        QVERIFY(rowIs(u"Second task"_s,
            u"r.classList.contains('done') && r.querySelector('[data-test=task-done]').checked"_s));
        QVERIFY(rowIs(u"Second task"_s,
            u"getComputedStyle(r.querySelector('[data-test=task-name]')).textDecorationLine.includes('line-through')"_s));
        QVERIFY(rowIs(u"First task"_s,
            u"!r.classList.contains('done') && !r.querySelector('[data-test=task-done]').checked"_s));
        QCOMPARE(
            page()
                .eval(
                    u"[...document.querySelectorAll('[data-test=task-name-input]')].every(e => e.hidden)"_s)
                ->toBool(),
            true);
        QCOMPARE(
            page()
                .eval(
                    u"[...document.querySelectorAll('[data-test=task-details]')].every(e => e.hidden)"_s)
                ->toBool(),
            true);
        QVERIFY(!page().saveScreenshot(u"e2e-tasks.png"_s).isEmpty());
    }

    // 2. A click selects one row only.
    void clickSelectsOneRow()
    {
        QVERIFY(inRow(u"First task"_s, u"r.click()"_s));
        QVERIFY(rowIs(u"First task"_s, u"r.classList.contains('selected')"_s));
        QVERIFY(inRow(u"Third task"_s, u"r.click()"_s));
        QVERIFY(rowIs(u"Third task"_s, u"r.classList.contains('selected')"_s));
        QVERIFY(page().waitFor(
            u"document.querySelectorAll('[data-test=task].selected').length === 1"_s));
        QCOMPARE(lua(u"session:getApp().selected.name"_s), u"Third task"_s);
    }

    // 3. Double-click renames inline: Enter saves, Escape cancels.
    void inlineRename()
    {
        QVERIFY(inRow(u"First task"_s,
            u"r.querySelector('[data-test=task-name]').dispatchEvent(new MouseEvent('dblclick', { bubbles: true }))"_s));
        QVERIFY(rowIs(u"First task"_s,
            u"r.querySelector('[data-test=task-name]').hidden && !r.querySelector('[data-test=task-name-input]').hidden"_s));
        QVERIFY(page().waitFor(
            u"[...document.querySelectorAll('[data-test=task-name-input]')].some(e => !e.hidden && e.value === 'First task')"_s));
        QVERIFY(page().type(u"[data-test=task-name-input]:not([hidden])"_s, u"Renamed task"_s));
        QVERIFY(page().press(u"[data-test=task-name-input]:not([hidden])"_s, u"Enter"_s));
        QVERIFY2(
            namesAre(u"Renamed task|Second task|Third task"_s), qPrintable(page().lastError()));
        QVERIFY(rowIs(u"Renamed task"_s, u"!r.querySelector('[data-test=task-name]').hidden"_s));

        QVERIFY(inRow(u"Third task"_s,
            u"r.querySelector('[data-test=task-name]').dispatchEvent(new MouseEvent('dblclick', { bubbles: true }))"_s));
        QVERIFY(page().waitFor(
            u"[...document.querySelectorAll('[data-test=task-name-input]')].some(e => !e.hidden)"_s));
        QVERIFY(page().type(u"[data-test=task-name-input]:not([hidden])"_s, u"Not kept"_s));
        QVERIFY(
            page().press(u"[data-test=task-name-input]:not([hidden])"_s, u"escape"_s)); // any case
        QVERIFY(page().waitFor(
            u"[...document.querySelectorAll('[data-test=task-name-input]')].every(e => e.hidden)"_s));
        QVERIFY(namesAre(u"Renamed task|Second task|Third task"_s));
    }

    // 4. Edit opens the detail panel: Save applies, Cancel discards.
    void detailPanel()
    {
        QVERIFY(inRow(u"Third task"_s, u"r.querySelector('[data-test=task-edit]').click()"_s));
        QVERIFY(rowIs(u"Third task"_s, u"!r.querySelector('[data-test=task-details]').hidden"_s));
        QVERIFY(rowIs(u"Third task"_s,
            u"r.querySelector('[data-test=task-detail-description]').value === 'Another task with details'"_s));
        QVERIFY(
            page().type(u"[data-test=task-details]:not([hidden]) [data-test=task-detail-name]"_s,
                u"Third, edited"_s));
        QVERIFY(page().type(
            u"[data-test=task-details]:not([hidden]) [data-test=task-detail-description]"_s,
            u"New details"_s));
        QVERIFY(
            page().click(u"[data-test=task-details]:not([hidden]) [data-test=task-detail-save]"_s));
        QVERIFY2(
            namesAre(u"First task|Second task|Third, edited"_s), qPrintable(page().lastError()));
        QVERIFY(rowIs(u"Third, edited"_s, u"r.querySelector('[data-test=task-details]').hidden"_s));
        QCOMPARE(lua(u"session:getApp().tasks[3].description"_s), u"New details"_s);

        QVERIFY(inRow(u"First task"_s, u"r.querySelector('[data-test=task-edit]').click()"_s));
        QVERIFY(rowIs(u"First task"_s, u"!r.querySelector('[data-test=task-details]').hidden"_s));
        QVERIFY(
            page().type(u"[data-test=task-details]:not([hidden]) [data-test=task-detail-name]"_s,
                u"Discarded"_s));
        QVERIFY(page().click(
            u"[data-test=task-details]:not([hidden]) [data-test=task-detail-cancel]"_s));
        QVERIFY(rowIs(u"First task"_s, u"r.querySelector('[data-test=task-details]').hidden"_s));
        QVERIFY(namesAre(u"First task|Second task|Third, edited"_s));
    }

    // 5. The checkbox is bound two-way to `completed`, in the row and in the detail panel.
    void checkboxesToggleCompletion()
    {
        QVERIFY(inRow(u"First task"_s, u"r.querySelector('[data-test=task-done]').click()"_s));
        QVERIFY(rowIs(u"First task"_s, u"r.classList.contains('done')"_s));
        QCOMPARE(lua(u"session:getApp().tasks[1].completed"_s), u"true"_s);
        QVERIFY(inRow(u"Second task"_s, u"r.querySelector('[data-test=task-done]').click()"_s));
        QVERIFY(rowIs(u"Second task"_s, u"!r.classList.contains('done')"_s));
        QCOMPARE(lua(u"session:getApp().tasks[2].completed"_s), u"false"_s);
        // Lua changes it: both checkboxes follow.
        QVERIFY(test::runLua(
            *m_host, page().sessionId(), u"session:getApp().tasks[3].completed = true"_s));
        QVERIFY(rowIs(u"Third task"_s,
            u"r.querySelector('[data-test=task-done]').checked && r.querySelector('[data-test=task-detail-completed]').checked"_s));
        // The Shoelace checkbox in the panel writes back too.
        QVERIFY(inRow(u"Third task"_s, u"r.querySelector('[data-test=task-edit]').click()"_s));
        QVERIFY(rowIs(u"Third task"_s, u"!r.querySelector('[data-test=task-details]').hidden"_s));
        QVERIFY(inRow(
            u"Third task"_s, u"r.querySelector('[data-test=task-detail-completed]').click()"_s));
        QVERIFY(rowIs(u"Third task"_s, u"!r.querySelector('[data-test=task-done]').checked"_s));
        QCOMPARE(lua(u"session:getApp().tasks[3].completed"_s), u"false"_s);
    }

    // 6. "+" inserts after the selected task (else at the end), selects it, opens the rename.
    void addInsertsAfterTheSelection()
    {
        QVERIFY(inRow(u"First task"_s, u"r.click()"_s));
        QVERIFY(rowIs(u"First task"_s, u"r.classList.contains('selected')"_s));
        QVERIFY(page().click(u"[data-test=add-task]"_s));
        QVERIFY2(page().waitFor(u"document.querySelectorAll('[data-test=task]').length === 4"_s),
            qPrintable(page().lastError()));
        QVERIFY(page().waitFor(
            u"document.querySelectorAll('[data-test=task]')[1].classList.contains('selected')"_s));
        QVERIFY(page().waitFor(
            u"!document.querySelectorAll('[data-test=task]')[1].querySelector('[data-test=task-name-input]').hidden"_s));
        QVERIFY(page().type(u"[data-test=task-name-input]:not([hidden])"_s, u"Inserted"_s));
        QVERIFY(page().press(u"[data-test=task-name-input]:not([hidden])"_s, u"Enter"_s));
        QVERIFY(namesAre(u"First task|Inserted|Second task|Third task"_s));
        QCOMPARE(lua(u"session:getApp().tasks[2].name"_s), u"Inserted"_s);
    }

    // 7. Search filters by name as you type; clearing restores.
    void searchFilters()
    {
        QVERIFY(page().type(u"[data-test=task-search]"_s, u"THIRD"_s));
        QVERIFY2(namesAre(u"Third task"_s), qPrintable(page().lastError()));
        QVERIFY(page().type(u"[data-test=task-search]"_s, u"nothing like it"_s));
        QVERIFY(namesAre(QString()));
        QVERIFY(page().waitFor(u"!document.querySelector('[data-test=tasks-empty]').hidden"_s));
        QVERIFY(page().type(u"[data-test=task-search]"_s, QString()));
        QVERIFY(namesAre(u"First task|Second task|Third task"_s));
        QVERIFY2(
            page().consoleProblems().isEmpty(), qPrintable(page().consoleProblems().join(u'\n')));
    }
};

QTEST_MAIN(TestE2eTasks)
#include "test_tasks.moc"
