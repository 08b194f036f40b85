// SiteHost with live editing on: the FileWatcher and the HotLoader wired together on a temporary
// site, with real files (HOTLOAD.md rows the unit tests of each part cannot show alone: symlinked
// modules reload under their tracking key, rapid saves give one reload, a new viewdef becomes
// available, a deleted file harms nothing).

#include <cstdio>
#include <semaphore>

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "host/SiteHost.h"
#include "hotload/HotLoader.h"
#include "lua/LuaExecutor.h"
#include "lua/LuaState.h"
#include "session/Session.h"
#include "site/ViewdefStore.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using namespace lunette;

namespace {

using lunette::test::writeFile;

} // namespace

class TestSiteHost final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_temp;
    QString m_root; // the site
    std::unique_ptr<SiteHost> m_host;
    QString m_session;

    // Run Lua in the session and return its result as text.
    QString lua(const QString& code)
    {
        QString result = u"<no session>"_s;
        std::binary_semaphore done { 0 };
        m_host->sessions().withSession(m_session, [&](Session* s) {
            if (s) {
                auto ran = s->lua().run(code.toUtf8(), u"test"_s);
                result = !ran      ? u"<error: "_s + ran.error().message + u'>'
                    : ran->empty() ? QString()
                                   : QString::fromUtf8(ran->front().toJson());
            }
            done.release();
        });
        done.acquire();
        return result;
    }

private slots:
    void init()
    {
        QVERIFY(m_temp.isValid());
        const QString base = m_temp.filePath(QString::fromLatin1(QTest::currentTestFunction()));
        m_root = base + u"/site"_s;
        QVERIFY(writeFile(m_root + u"/lua/main.lua"_s,
            "local inside = require('inside')\nlocal outside = require('outside')\n"
            "App = session:prototype('App', { n = 0 })\n"
            "if not session:getApp() then session:createAppVariable(App:new()) end\n"));
        QVERIFY(writeFile(
            m_root + u"/shared/inside.lua"_s, "Inside = { version = 1 }\nreturn Inside\n"));
        QVERIFY(writeFile(
            base + u"/elsewhere/outside.lua"_s, "Outside = { version = 1 }\nreturn Outside\n"));
        QVERIFY(QFile::link(u"../shared/inside.lua"_s, m_root + u"/lua/inside.lua"_s));
        QVERIFY(QFile::link(base + u"/elsewhere/outside.lua"_s, m_root + u"/lua/outside.lua"_s));
        QVERIFY(
            writeFile(m_root + u"/viewdefs/App.DEFAULT.html"_s, "<template><p>app</p></template>"));

        SiteHost::Options options;
        options.hotload = true;
        auto host = SiteHost::start(m_root, options);
        QVERIFY2(host, host ? "" : qPrintable(host.error()));
        m_host = std::move(*host);
        QVERIFY(m_host->hotLoader() && m_host->fileWatcher());
        std::binary_semaphore created { 0 };
        m_host->sessions().createSession([&](const SessionService::Created& c) {
            m_session = c.sessionId;
            created.release();
        });
        created.acquire();
        QVERIFY(!m_session.isEmpty());
    }

    void cleanup() { m_host.reset(); }

    // A symlink to a file in the site reloads under the target's key, one to a file outside it
    // under the link's own key; both change the running session.
    void symlinkedModulesReload()
    {
        QSignalSpy reloaded(m_host->hotLoader(), &HotLoader::luaReloaded);
        QVERIFY(writeFile(
            m_root + u"/shared/inside.lua"_s, "Inside = { version = 2 }\nreturn Inside\n"));
        QVERIFY(reloaded.wait(5000));
        QCOMPARE(reloaded.first().at(0).toString(), u"shared/inside.lua"_s);
        QCOMPARE(reloaded.first().at(1).toInt(), 1);
        QCOMPARE(lua(u"return Inside.version"_s), u"2"_s);

        reloaded.clear();
        QVERIFY(writeFile(QFileInfo(m_root).path() + u"/elsewhere/outside.lua"_s,
            "Outside = { version = 3 }\nreturn Outside\n"));
        QVERIFY(reloaded.wait(5000));
        QCOMPARE(reloaded.first().at(0).toString(), u"lua/outside.lua"_s);
        QCOMPARE(reloaded.first().at(1).toInt(), 1);
        QCOMPARE(lua(u"return Outside.version"_s), u"3"_s);
    }

    // Several saves inside the quiet period are one reload; the main file reloads too.
    void rapidSavesAreOneReload()
    {
        QSignalSpy reloaded(m_host->hotLoader(), &HotLoader::luaReloaded);
        for (int i = 2; i <= 6; ++i)
            QVERIFY(writeFile(m_root + u"/shared/inside.lua"_s,
                "Inside = { version = " + QByteArray::number(i) + " }\nreturn Inside\n"));
        QVERIFY(reloaded.wait(5000));
        // A later, distinct change: once it is reported, a second reload of inside.lua would have
        // been too.
        QVERIFY(writeFile(m_root + u"/lua/main.lua"_s,
            "local inside = require('inside')\nlocal outside = require('outside')\n"
            "App = session:prototype('App', { n = 0 })\nmainVersion = 2\n"
            "if not session:getApp() then session:createAppVariable(App:new()) end\n"));
        QTRY_COMPARE_WITH_TIMEOUT(reloaded.size(), 2, 5000);
        QCOMPARE(reloaded.at(0).at(0).toString(), u"shared/inside.lua"_s);
        QCOMPARE(reloaded.at(1).at(0).toString(), u"lua/main.lua"_s);
        QCOMPARE(lua(u"return Inside.version"_s), u"6"_s);
        QCOMPARE(lua(u"return mainVersion"_s), u"2"_s);
    }

    // A new viewdef file is in the store for the next turn; deleting one harms nothing.
    void newAndDeletedViewdefs()
    {
        QSignalSpy viewdefs(m_host->hotLoader(), &HotLoader::viewdefReloaded);
        QVERIFY(writeFile(
            m_root + u"/viewdefs/Item.DEFAULT.html"_s, "<template><p>item</p></template>"));
        QVERIFY(viewdefs.wait(5000));
        const auto found = m_host->executor().execute(
            [&] { return m_host->sessions().viewdefs()->find(u"Item.DEFAULT"_s); });
        QVERIFY(found.has_value());

        viewdefs.clear();
        QVERIFY(QFile::remove(m_root + u"/viewdefs/Item.DEFAULT.html"_s));
        QVERIFY(viewdefs.wait(5000));
        QCOMPARE(lua(u"return 1 + 1"_s), u"2"_s); // the session is fine
    }

    // The app's Hot reload toggle: off, the loader is gone and an edit then is not applied (not
    // even once it is back on); on again, the next save reloads.
    void hotloadTurnsOffAndOn()
    {
        m_host->setHotload(false);
        QVERIFY(!m_host->hotloadEnabled());
        QVERIFY(!m_host->hotLoader() && !m_host->fileWatcher());
        QVERIFY(writeFile(
            m_root + u"/shared/inside.lua"_s, "Inside = { version = 7 }\nreturn Inside\n"));

        m_host->setHotload(true);
        QVERIFY(m_host->hotloadEnabled() && m_host->hotLoader());
        QSignalSpy reloaded(m_host->hotLoader(), &HotLoader::luaReloaded);
        QVERIFY(writeFile(m_root + u"/lua/main.lua"_s,
            "local inside = require('inside')\nlocal outside = require('outside')\n"
            "App = session:prototype('App', { n = 0 })\nmainVersion = 3\n"
            "if not session:getApp() then session:createAppVariable(App:new()) end\n"));
        QVERIFY(reloaded.wait(5000));
        QCOMPARE(reloaded.size(), 1);
        QCOMPARE(reloaded.first().at(0).toString(), u"lua/main.lua"_s);
        QCOMPARE(lua(u"return mainVersion"_s), u"3"_s);
        QCOMPARE(lua(u"return Inside.version"_s), u"1"_s); // the edit made while off

        QVERIFY(writeFile(
            m_root + u"/shared/inside.lua"_s, "Inside = { version = 8 }\nreturn Inside\n"));
        QTRY_COMPARE_WITH_TIMEOUT(reloaded.size(), 2, 5000);
        QCOMPARE(lua(u"return Inside.version"_s), u"8"_s);
    }
};

QTEST_GUILESS_MAIN(TestSiteHost)
#include "test_sitehost.moc"
