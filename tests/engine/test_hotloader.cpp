// HotLoader: file changes become session turns (HOTLOAD.md). A real server and real sessions on a
// temporary copy of the protocol fixture site; files are edited for real, then the loader is told
// (the FileWatcher that tells it in the product is tested on its own); a protocol client sees
// what a page would.

#include <semaphore>

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "hotload/HotLoader.h"
#include "support/ProtocolMatchers.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::HotLoader;
using lunette::test::data;
using lunette::test::isUpdateOf;
using lunette::test::ProtocolClient;
using lunette::test::ServerFixture;

namespace {

QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeAll(const QString& path, const QByteArray& content)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        && file.write(content) == content.size();
}

// An update of variable 1 carrying the property `name`.
auto appProperty(const QString& name)
{
    return [name](const QJsonObject& m) {
        return isUpdateOf(1)(m) && data(m).value(u"properties"_s).toObject().contains(name);
    };
}

QString propertyOf(const QJsonObject& message, const QString& name)
{
    return data(message).value(u"properties"_s).toObject().value(name).toString();
}

} // namespace

class TestHotLoader final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_temp;
    QString m_site;
    std::unique_ptr<ServerFixture> m_server;
    std::unique_ptr<HotLoader> m_loader;

    QString file(const QString& relative) const { return m_site + u'/' + relative; }

    // A client of a new session that watches count (2) and has increment() as action 3.
    std::unique_ptr<ProtocolClient> connect()
    {
        const QString session = m_server->createSession();
        auto client = std::make_unique<ProtocolClient>(*m_server, session);
        if (!client->open())
            return nullptr;
        client->sendMessages({ ProtocolClient::watch(1), ProtocolClient::create(2, 1, u"count"_s),
            ProtocolClient::create(3, 1, u"increment()"_s, { { u"access"_s, u"action"_s } }) });
        if (client->waitForMessage(isUpdateOf(2)).isEmpty())
            return nullptr;
        return client;
    }

    static qint64 increment(ProtocolClient& client)
    {
        client.sendMessages({ ProtocolClient::update(3, QJsonValue::Null) }, true);
        return data(client.waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger();
    }

    void replaceInFile(const QString& relative, const QByteArray& before, const QByteArray& after)
    {
        QByteArray content = readAll(file(relative));
        QVERIFY2(content.contains(before), before.constData());
        content.replace(before, after);
        QVERIFY(writeAll(file(relative), content));
    }

private slots:
    void init()
    {
        QVERIFY(m_temp.isValid());
        m_site
            = m_temp.filePath(u"site-%1"_s.arg(QString::fromLatin1(QTest::currentTestFunction())));
        QVERIFY(lunette::test::copyTree(
            lunette::test::sourceDir() + u"/tests/data/sites/protocol"_s, m_site));
        m_server = std::make_unique<ServerFixture>(m_site);
        QVERIFY2(m_server->start(), qPrintable(m_server->error()));
        m_loader = std::make_unique<HotLoader>(m_server->sessions());
    }

    void cleanup()
    {
        m_loader.reset();
        m_server.reset();
    }

    void kinds()
    {
        QCOMPARE(HotLoader::kindOf(u"lua/main.lua"_s), HotLoader::Kind::Lua);
        QCOMPARE(HotLoader::kindOf(u"apps/tasks/app.lua"_s), HotLoader::Kind::Lua);
        QCOMPARE(HotLoader::kindOf(u"viewdefs/App.DEFAULT.html"_s), HotLoader::Kind::Viewdef);
        QCOMPARE(HotLoader::kindOf(u"html/css/site.css"_s), HotLoader::Kind::Stylesheet);
        QCOMPARE(HotLoader::kindOf(u"html/index.html"_s), HotLoader::Kind::Page);
        QCOMPARE(HotLoader::kindOf(u"apps/tasks/Task.list-item.html"_s), HotLoader::Kind::Viewdef);
        QCOMPARE(HotLoader::kindOf(u"README.md"_s), HotLoader::Kind::Other);
    }

    // A method edit takes effect in the running session; the state (count) survives; the site's
    // on_reload hook runs after the prototypes are updated.
    void luaEditKeepsState()
    {
        auto client = connect();
        QVERIFY(client);
        QCOMPARE(increment(*client), 1);
        QSignalSpy reloaded(m_loader.get(), &HotLoader::luaReloaded);
        replaceInFile(u"lua/main.lua"_s, "function App:increment() self.count = self.count + 1 end",
            "function App:increment() self.count = self.count + 10 end\n"
            "function on_reload(key) app.title = 'reloaded ' .. key end");
        m_loader->fileChanged(u"lua/main.lua"_s);
        QVERIFY(reloaded.wait());
        QCOMPARE(reloaded.first().at(1).toInt(), 1);
        QVERIFY(!propertyOf(client->waitForMessage(appProperty(u"reloaded"_s)), u"reloaded"_s)
                     .isEmpty());
        QCOMPARE(increment(*client), 11);
        client->sendMessages({ ProtocolClient::create(4, 1, u"title"_s) });
        QCOMPARE(data(client->waitForMessage(isUpdateOf(4))).value(u"value"_s).toString(),
            u"reloaded lua/main.lua"_s);
    }

    // A required module is reloaded under its key; every session that loaded it gets it.
    void moduleEditReachesEverySession()
    {
        auto first = connect();
        auto second = connect();
        QVERIFY(first && second);
        QSignalSpy reloaded(m_loader.get(), &HotLoader::luaReloaded);
        replaceInFile(
            u"lua/util.lua"_s, "return index .. \": \" .. name", "return index .. \" = \" .. name");
        m_loader->fileChanged(u"lua/util.lua"_s);
        QVERIFY(reloaded.wait());
        QCOMPARE(reloaded.first().at(1).toInt(), 2);
    }

    // A syntax error replaces nothing: the old code keeps running, the page is told where the
    // error is, and the next good save clears it.
    void brokenSaveKeepsTheOldCode()
    {
        auto client = connect();
        QVERIFY(client);
        const QByteArray good = readAll(file(u"lua/main.lua"_s));
        QSignalSpy failed(m_loader.get(), &HotLoader::luaReloadFailed);
        QVERIFY(writeAll(file(u"lua/main.lua"_s), good + "\nfunction App:broken(\n"));
        m_loader->fileChanged(u"lua/main.lua"_s);
        QVERIFY(failed.wait());
        QVERIFY(failed.first().at(2).toString().startsWith(u"lua/main.lua:"_s));

        const QJsonObject shown = client->waitForMessage(appProperty(u"reloadError"_s));
        const QJsonObject error
            = QJsonDocument::fromJson(propertyOf(shown, u"reloadError"_s).toUtf8()).object();
        QCOMPARE(error.value(u"key"_s).toString(), u"lua/main.lua"_s);
        QVERIFY(error.value(u"location"_s).toString().startsWith(u"lua/main.lua:"_s));
        QVERIFY(!error.value(u"message"_s).toString().isEmpty());
        QCOMPARE(increment(*client), 1); // the old App:increment still runs

        QSignalSpy reloaded(m_loader.get(), &HotLoader::luaReloaded);
        QVERIFY(writeAll(file(u"lua/main.lua"_s), good));
        m_loader->fileChanged(u"lua/main.lua"_s);
        QVERIFY(reloaded.wait());
        const QJsonObject cleared = client->waitForMessage(appProperty(u"reloadError"_s));
        QCOMPARE(propertyOf(cleared, u"reloadError"_s), QString());
        QCOMPARE(increment(*client), 2);
    }

    // A runtime error while re-running the file is reported the same way.
    void runtimeErrorIsReported()
    {
        auto client = connect();
        QVERIFY(client);
        QSignalSpy failed(m_loader.get(), &HotLoader::luaReloadFailed);
        replaceInFile(u"lua/main.lua"_s, "local util = require(\"util\")",
            "local util = require(\"util\")\nif session.reloading then error('reload refused') "
            "end");
        m_loader->fileChanged(u"lua/main.lua"_s);
        QVERIFY(failed.wait());
        QVERIFY(failed.first().at(1).toString().contains(u"reload refused"_s));
        QVERIFY(!client->waitForMessage(appProperty(u"reloadError"_s)).isEmpty());
        QCOMPARE(increment(*client), 1);
    }

    // A Lua file no session has required is ignored.
    void fileNotLoadedIsIgnored()
    {
        auto client = connect();
        QVERIFY(client);
        QVERIFY(writeAll(file(u"lua/later.lua"_s), "error('must not run')\n"));
        QSignalSpy reloaded(m_loader.get(), &HotLoader::luaReloaded);
        QSignalSpy failed(m_loader.get(), &HotLoader::luaReloadFailed);
        m_loader->fileChanged(u"lua/later.lua"_s);
        QVERIFY(reloaded.wait());
        QCOMPARE(reloaded.first().at(1).toInt(), 0);
        QCOMPARE(failed.size(), 0);
    }

    // An edited viewdef goes to the sessions that have it — only that one.
    void viewdefEditIsPushed()
    {
        auto client = connect();
        QVERIFY(client);
        QVERIFY(writeAll(file(u"viewdefs/Item.DEFAULT.html"_s),
            "<template><b ui-value=\"name\"></b></template>"));
        m_loader->fileChanged(u"viewdefs/Item.DEFAULT.html"_s);
        const QJsonObject update = client->waitForMessage(appProperty(u"viewdefs"_s));
        const QJsonObject viewdefs
            = QJsonDocument::fromJson(propertyOf(update, u"viewdefs"_s).toUtf8()).object();
        QCOMPARE(viewdefs.keys(), QStringList { u"Item.DEFAULT"_s });
        QCOMPARE(viewdefs.value(u"Item.DEFAULT"_s).toString(),
            u"<template><b ui-value=\"name\"></b></template>"_s);
    }

    // A reload can end on the executor after the loader is gone (hot reload switched off, the
    // site closed): its end is then dropped, never signalled to the destroyed loader.
    void aReloadEndingAfterTheLoaderIsGone()
    {
        auto client = connect();
        QVERIFY(client);
        std::binary_semaphore release(0);
        m_server->executor().post([&release] { release.acquire(); }); // the executor is busy
        m_loader->fileChanged(u"viewdefs/Item.DEFAULT.html"_s);
        m_loader->fileChanged(u"html/css/site.css"_s);
        m_loader->fileChanged(u"lua/main.lua"_s);
        m_loader.reset();
        release.release();
        m_server->executor().execute([] {}); // the three reloads have ended by now
        QCoreApplication::processEvents(); // and nothing was queued to the dead loader
        QVERIFY(client->isOpen());
    }

    // Stylesheets are swapped in place (a new URL each time); other html/ files reload the page.
    void pageFilesNotifyThePage()
    {
        auto client = connect();
        QVERIFY(client);
        m_loader->fileChanged(u"html/css/site.css"_s);
        const QString first = propertyOf(
            client->waitForMessage(appProperty(u"stylesheetChanged"_s)), u"stylesheetChanged"_s);
        QVERIFY2(first.startsWith(u"/css/site.css?v="_s), qPrintable(first));
        m_loader->fileChanged(u"html/css/site.css"_s);
        const QString second = propertyOf(
            client->waitForMessage(appProperty(u"stylesheetChanged"_s)), u"stylesheetChanged"_s);
        QVERIFY(second.startsWith(u"/css/site.css?v="_s));
        QVERIFY(second != first);
        m_loader->fileChanged(u"html/index.html"_s);
        QVERIFY(!propertyOf(client->waitForMessage(appProperty(u"pageReload"_s)), u"pageReload"_s)
                     .isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestHotLoader)
#include "test_hotloader.moc"
