// New Site (engine/site/Scaffold): the template lands in a new folder, runs as a site, and never
// overwrites or half-writes anything.

#include <semaphore>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include "runtime/Module.h"
#include "session/Console.h"
#include "session/Session.h"
#include "site/Scaffold.h"
#include "site/Site.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::scaffoldSite;

namespace {

using lunette::test::readFile;

// The folder's entries (files and folders, dot files included), relative, sorted.
QStringList entries(const QString& folder)
{
    QStringList out;
    const QDir dir(folder);
    for (const QString& name :
        dir.entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden))
        out << name;
    return out;
}

} // namespace

class TestScaffold final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    // Evaluate Lua in a fresh session of the site at folder.
    QString evalInNewSession(const QString& folder, const QString& input)
    {
        lunette::test::ServerFixture server(folder);
        if (!server.start())
            return u"<start failed: "_s + server.error() + u'>';
        const QString id = server.createSession();
        if (id.isEmpty())
            return u"<no session>"_s;
        QString result;
        std::binary_semaphore done { 0 };
        server.sessions().withSession(id, [&](lunette::Session* session) {
            if (session) {
                const lunette::ConsoleReply reply = lunette::evaluateInConsole(*session, input);
                result = reply.status == lunette::ConsoleReply::Status::Ok ? reply.results
                                                                           : reply.error;
            }
            done.release();
        });
        done.acquire();
        return result;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void writesAWorkingSite()
    {
        const QString folder = m_dir.filePath(u"hello"_s);
        auto made = scaffoldSite(folder, u"Hello \"Lunette\""_s);
        QVERIFY2(made, made ? "" : qPrintable(made.error()));
        QStringList expected { u".luarc.json"_s, u".lunette/meta/lunette.lua"_s, u"README.md"_s,
            u"lua/main.lua"_s, u"lunette.json"_s, u"viewdefs/App.DEFAULT.html"_s };
        for (const lunette::ModuleDef* module : lunette::builtinModules())
            expected << u".lunette/meta/"_s + QString::fromLatin1(module->name) + u".lua"_s;
        expected.sort();
        QCOMPARE(*made, expected);
        for (const QString& file : *made)
            QVERIFY2(QFile::exists(folder + u'/' + file), qPrintable(file));

        // The manifest: the folder's name, the title as given.
        const QJsonObject manifest
            = QJsonDocument::fromJson(readFile(folder + u"/lunette.json"_s)).object();
        QCOMPARE(manifest.value(u"name"_s).toString(), u"hello"_s);
        QCOMPARE(manifest.value(u"window"_s).toObject().value(u"title"_s).toString(),
            u"Hello \"Lunette\""_s);
        auto site = lunette::Site::open(folder);
        QVERIFY2(site, site ? "" : qPrintable(site.error()));
        QCOMPARE((*site)->manifest().title, u"Hello \"Lunette\""_s);

        // .luarc.json is JSON that LuaLS reads as Lua 5.4 with the runtime's globals.
        const QJsonObject luarc
            = QJsonDocument::fromJson(readFile(folder + u"/.luarc.json"_s)).object();
        QCOMPARE(luarc.value(u"runtime.version"_s).toString(), u"Lua 5.4"_s);
        QCOMPARE(luarc.value(u"workspace.library"_s).toArray(), QJsonArray { u".lunette/meta"_s });
        QCOMPARE(luarc.value(u"workspace.library"_s).toArray(), QJsonArray { u".lunette/meta"_s });
        QVERIFY(luarc.value(u"diagnostics.globals"_s)
                    .toVariant()
                    .toStringList()
                    .contains(u"session"_s));

        // main.lua runs: the app object exists, with the title (quotes survived), and its action
        // and getter work.
        QCOMPARE(evalInNewSession(folder,
                     u"local app = session:getApp(); app:click(); app.name = 'Ada'; "
                     "return app.title, app.clicks, app:greeting()"_s),
            u"Hello \"Lunette\"\t1\tHello, Ada!"_s);
        // No staging folder is left behind.
        QCOMPARE(entries(m_dir.path()), QStringList({ u"hello"_s }));
    }

    void anEmptyFolderIsUsed()
    {
        const QString folder = m_dir.filePath(u"empty"_s);
        QVERIFY(QDir().mkpath(folder));
        auto made = scaffoldSite(folder);
        QVERIFY2(made, made ? "" : qPrintable(made.error()));
        QCOMPARE(QJsonDocument::fromJson(readFile(folder + u"/lunette.json"_s))
                     .object()
                     .value(u"window"_s)
                     .toObject()
                     .value(u"title"_s)
                     .toString(),
            u"empty"_s);
    }

    void nothingIsOverwritten()
    {
        const QString folder = m_dir.filePath(u"taken"_s);
        QVERIFY(QDir().mkpath(folder));
        {
            QFile mine(folder + u"/notes.txt"_s);
            QVERIFY(mine.open(QIODevice::WriteOnly));
            mine.write("mine");
        }
        auto made = scaffoldSite(folder);
        QVERIFY(!made);
        QVERIFY2(
            made.error().contains(u"already exists and is not empty"_s), qPrintable(made.error()));
        QCOMPARE(entries(folder), QStringList({ u"notes.txt"_s }));
        QCOMPARE(readFile(folder + u"/notes.txt"_s), QByteArray("mine"));

        // A file in the way.
        auto onFile = scaffoldSite(folder + u"/notes.txt"_s);
        QVERIFY(!onFile);
        QVERIFY2(onFile.error().contains(u"is not a folder"_s), qPrintable(onFile.error()));
        QVERIFY(!scaffoldSite(u"  "_s));
    }

    // A parent that cannot be created (a file is in the way, which stops root too): a clear error,
    // nothing written.
    void unusableParentFails()
    {
        const QString blocker = m_dir.filePath(u"blocker"_s);
        {
            QFile file(blocker);
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        const QStringList before = entries(m_dir.path());
        auto made = scaffoldSite(blocker + u"/sub/site"_s);
        QVERIFY(!made);
        QVERIFY2(made.error().contains(u"cannot create the folder"_s), qPrintable(made.error()));
        QCOMPARE(entries(m_dir.path()), before);
    }
};

QTEST_GUILESS_MAIN(TestScaffold)
#include "test_scaffold.moc"
