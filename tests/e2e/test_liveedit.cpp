// Live editing end to end (SCENARIOS.md "Live editing", HOTLOAD.md): a temporary copy of
// sites/contacts served with hot reload on, shown in a real page; real files are edited while the
// page is open with state in it, and the page must follow without losing that state.

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "PageDriver.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using namespace lunette;
using lunette::test::PageDriver;

namespace {

QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// Saved the way editors do: a temporary file renamed over the original.
bool saveAtomically(const QString& path, const QByteArray& content)
{
    const QString temporary = path + u".tmp~"_s;
    QFile file(temporary);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || file.write(content) != content.size())
        return false;
    file.close();
    return std::rename(temporary.toLocal8Bit().constData(), path.toLocal8Bit().constData()) == 0;
}

const QString kNames
    = u"[...document.querySelectorAll('[data-test=contact-card] [data-test=card-name]')]"
      ".map(e => e.textContent.trim()).join('|')"_s;

} // namespace

class TestE2eLiveEdit final : public QObject
{
    Q_OBJECT

public:
    static void initMain() { QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts); }

private:
    QTemporaryDir m_temp;
    QString m_site;
    std::unique_ptr<SiteHost> m_host;
    std::unique_ptr<PageDriver> m_page;

    PageDriver& page() { return *m_page; }
    QString file(const QString& relative) const { return m_site + u'/' + relative; }

    void edit(const QString& relative, const QByteArray& before, const QByteArray& after)
    {
        QByteArray content = readAll(file(relative));
        QVERIFY2(content.contains(before), before.constData());
        content.replace(before, after);
        QVERIFY(saveAtomically(file(relative), content));
    }

    // State the edits must not lose: a search, and a marker that only survives without a reload.
    void makeState()
    {
        QVERIFY(page().type(u"[data-test=search]"_s, u"bo"_s));
        QVERIFY(page().waitFor(kNames + u" === 'Bob Johnson'"_s));
        QVERIFY(page().eval(u"window.__noReload = true"_s));
    }
    void checkState()
    {
        QCOMPARE(page().eval(u"window.__noReload === true"_s)->toBool(), true);
        QCOMPARE(page().value(u"[data-test=search]"_s), u"bo"_s);
        QVERIFY(page().waitFor(kNames + u" === 'Bob Johnson'"_s));
    }

private slots:
    void init()
    {
        QVERIFY(m_temp.isValid());
        m_site = m_temp.filePath(QString::fromLatin1(QTest::currentTestFunction()));
        QVERIFY(lunette::test::copyTree(test::exampleSite(u"contacts"_s), m_site));
        SiteHost::Options options;
        options.hotload = true;
        const QString problem = test::openSite(m_site, m_host, m_page, options);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY(page().waitFor(kNames + u" === 'Alice Smith|Bob Johnson|Carol Williams'"_s));
        makeState();
    }

    void cleanup()
    {
        if (QTest::currentTestFailed() && m_page)
            m_page->saveScreenshot(u"e2e-liveedit-%1-failed.png"_s.arg(
                QString::fromLatin1(QTest::currentTestFunction())));
        m_page.reset();
        m_host.reset();
    }

    // 1. An item viewdef edit re-renders the cards in place; search text and filter stay.
    void viewdefEditRerendersInPlace()
    {
        edit(u"viewdefs/ContactPresenter.list-item.html"_s, "<strong class=\"contact-card__name\"",
            "<em data-test=\"card-marker\">edited</em><strong class=\"contact-card__name\"");
        QVERIFY2(
            page().waitFor(u"document.querySelectorAll('[data-test=card-marker]').length === 1"_s),
            qPrintable(page().lastError()));
        checkState();
        QVERIFY(page().idle());
        QCOMPARE(page().eval(u"uiApp.overlay.visible"_s)->toBool(), false);
    }

    // 2. A method added to Contact and used from a viewdef works on the existing contacts.
    void methodAddedToAPrototype()
    {
        edit(u"lua/contact.lua"_s, "function Contact:noPhone()",
            "function Contact:initials() return self.firstName:sub(1, 1) .. self.lastName:sub(1, "
            "1) end\n"
            "function Contact:noPhone()");
        // The reload reaches the session before the viewdef uses the method.
        QVERIFY(QTest::qWaitFor(
            [&] {
                const auto r = test::runLua(*m_host, page().sessionId(),
                    u"return session:getApp()._allContacts[2].initials ~= nil"_s);
                return r && r->toBool();
            },
            5000));
        edit(u"viewdefs/ContactPresenter.list-item.html"_s, "<strong class=\"contact-card__name\"",
            "<span data-test=\"card-initials\" ui-value=\"contact.initials()\"></span><strong "
            "class=\"contact-card__name\"");
        QVERIFY2(
            page().waitFor(
                u"document.querySelector('[data-test=card-initials]')?.textContent === 'BJ'"_s),
            qPrintable(page().lastError()));
        checkState();
        QCOMPARE(
            test::runLua(*m_host, page().sessionId(), u"return #session:getApp()._allContacts"_s)
                ->toInteger(),
            3);
    }

    // 3. A syntax error: overlay with file:line, the app keeps working; the fix clears it.
    void syntaxErrorShowsTheOverlay()
    {
        const QByteArray good = readAll(file(u"lua/contact.lua"_s));
        QVERIFY(saveAtomically(file(u"lua/contact.lua"_s), good + "\nfunction Contact:broken(\n"));
        QVERIFY2(
            page().waitFor(
                u"uiApp.overlay.visible && uiApp.overlay.errors.some(e => String(e.location).startsWith('lua/contact.lua:'))"_s),
            qPrintable(page().lastError()));
        // Still working on the old code.
        QVERIFY(page().type(u"[data-test=search]"_s, u"car"_s));
        QVERIFY(page().waitFor(kNames + u" === 'Carol Williams'"_s));
        QVERIFY(page().type(u"[data-test=search]"_s, u"bo"_s));

        QVERIFY(saveAtomically(file(u"lua/contact.lua"_s),
            QByteArray(good).replace("function Contact:noPhone()",
                "function Contact:fixed() return true end\nfunction Contact:noPhone()")));
        QVERIFY2(page().waitFor(u"!uiApp.overlay.visible"_s), qPrintable(page().lastError()));
        const auto fixed = test::runLua(
            *m_host, page().sessionId(), u"return session:getApp()._allContacts[1]:fixed()"_s);
        QVERIFY2(fixed && fixed->toBool(), fixed ? "" : qPrintable(fixed.error()));
        checkState();
    }

    // 4. The site stylesheet restyles the page without a reload.
    void stylesheetIsSwapped()
    {
        QByteArray css = readAll(file(u"html/contacts.css"_s));
        QVERIFY(saveAtomically(
            file(u"html/contacts.css"_s), css + "\n[data-test=title] { color: rgb(1, 2, 3); }\n"));
        QVERIFY2(
            page().waitFor(
                u"getComputedStyle(document.querySelector('[data-test=title]')).color === 'rgb(1, 2, 3)'"_s),
            qPrintable(page().lastError()));
        checkState();
    }

    // Any other html/ file reloads the page; the session's state stays.
    void pageFileReloadsThePage()
    {
        edit(u"html/index.html"_s, "</body>", "<p id=\"added-by-edit\">added</p></body>");
        QVERIFY2(
            page().waitFor(
                u"!!document.getElementById('added-by-edit') && window.__noReload === undefined"_s,
                15000),
            qPrintable(page().lastError()));
        QVERIFY(page().waitFor(u"!!window.uiApp"_s));
        QVERIFY(page().await(u"await window.uiApp.ready; return true;"_s));
        QVERIFY(page().waitFor(kNames + u" === 'Bob Johnson'"_s));
        QCOMPARE(page().value(u"[data-test=search]"_s), u"bo"_s);
    }

    // A view whose type has no viewdef yet renders once the new viewdef file appears.
    void newViewdefRendersAPendingView()
    {
        edit(u"viewdefs/ContactApp.DEFAULT.html"_s,
            "<h1 data-test=\"title\" ui-value=\"title\"></h1>",
            "<h1 data-test=\"title\" ui-value=\"title\"></h1><div data-test=\"note-slot\" "
            "ui-view=\"note\"></div>");
        QVERIFY(page().waitFor(
            u"!!document.querySelector('[ui-view=note]') || !!document.querySelector('[data-test=note-slot]')"_s));
        const auto set = test::runLua(*m_host, page().sessionId(),
            u"Note = session:prototype('Note', { text = '' })\n"
            "session:getApp().note = Note:new({ text = 'hello' })"_s);
        QVERIFY2(set, set ? "" : qPrintable(set.error()));
        QVERIFY(page().idle());
        QVERIFY(!page().exists(u"[data-test=note]"_s)); // pending: no Note viewdef yet
        QVERIFY(saveAtomically(file(u"viewdefs/Note.DEFAULT.html"_s),
            "<template><p data-test=\"note\" ui-value=\"text\"></p></template>"));
        QVERIFY2(page().waitFor(
                     u"document.querySelector('[data-test=note]')?.textContent === 'hello'"_s),
            qPrintable(page().lastError()));
        checkState();
    }

    // A broken template is reported (overlay, console) and the page keeps the old one.
    void brokenTemplateIsReportedNotFatal()
    {
        QVERIFY(saveAtomically(file(u"viewdefs/ContactPresenter.list-item.html"_s),
            "<template><p>one</p></template><template><p>two</p></template>"));
        QVERIFY2(
            page().waitFor(
                u"uiApp.overlay.visible && uiApp.overlay.errors.some(e => e.message.includes('ContactPresenter.list-item'))"_s),
            qPrintable(page().lastError()));
        checkState(); // the cards still render with the previous template
        QVERIFY(page().type(u"[data-test=search]"_s, QString()));
        QVERIFY(page().waitFor(kNames + u" === 'Alice Smith|Bob Johnson|Carol Williams'"_s));
    }
};

QTEST_MAIN(TestE2eLiveEdit)
#include "test_liveedit.moc"
