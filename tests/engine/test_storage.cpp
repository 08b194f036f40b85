// The storage module (runtime/SiteStorage, modules/lua_storage.cpp) and where site data goes
// (runtime/DataDir): the require gate, round trips of JSON values, sharing between sessions,
// persistence across restarts and crashes (a writer process killed with SIGKILL in the middle of
// its writes), a corrupt file kept aside, an unwritable data folder, the size limit, and the
// data folder rules (site folder, LUNETTE_DATA_DIR, the user's data folder).
//
// Every test copies its fixture site into a temporary folder: data/ is written there, never into
// the repository.

#include <csignal>
#include <mutex>
#include <semaphore>
#include <thread>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "runtime/DataDir.h"
#include "runtime/SiteStorage.h"
#include "session/Console.h"
#include "session/Session.h"
#include "site/Site.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::ConsoleReply;
using lunette::test::ServerFixture;

class TestStorage final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_temp;
    QString m_site; // the copied fixture
    std::unique_ptr<ServerFixture> m_server;
    QString m_session;
    std::mutex m_logMutex;
    QStringList m_log;

    // Copy the fixture site `name` into the temporary folder and return its path.
    QString copyFixture(const QString& name)
    {
        const QString to = m_temp->path() + u'/' + name;
        if (!lunette::test::copyTree(
                lunette::test::sourceDir() + u"/tests/data/sites/"_s + name, to))
            return {};
        return to;
    }

    // (Re)start the server on `folder` with one session.
    bool start(const QString& folder)
    {
        m_server.reset();
        m_server = std::make_unique<ServerFixture>(folder);
        if (!m_server->start()) {
            qWarning("%s", qPrintable(m_server->error()));
            return false;
        }
        m_server->sessions().setLogger([this](const QString&, int, const QString& text) {
            std::lock_guard lock(m_logMutex);
            m_log << text;
        });
        m_session = m_server->createSession();
        return !m_session.isEmpty();
    }

    // Evaluate in a session (as the console does): its results or "error: …".
    QString eval(const QString& input, const QString& session = {})
    {
        QString out = u"<no session>"_s;
        std::binary_semaphore done { 0 };
        m_server->sessions().withSession(
            session.isEmpty() ? m_session : session, [&](lunette::Session* s) {
                if (s) {
                    const ConsoleReply reply = lunette::evaluateInConsole(*s, input);
                    out = reply.status == ConsoleReply::Status::Ok ? reply.results
                                                                   : u"error: "_s + reply.error;
                }
                done.release();
            });
        done.acquire();
        return out;
    }

    QStringList logLines()
    {
        std::lock_guard lock(m_logMutex);
        return m_log;
    }

    QString dataDir() const { return m_site + u"/data"_s; }

    static QByteArray readFile(const QString& path)
    {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

    static bool writeFile(const QString& path, const QByteArray& bytes)
    {
        QFile file(path);
        return QDir().mkpath(QFileInfo(path).path()) && file.open(QIODevice::WriteOnly)
            && file.write(bytes) == bytes.size();
    }

    // The writer fixture's counter in storage.json: -1 when there is no file yet. A file that
    // does not parse, or whose fill does not match its counter, is recorded as torn.
    qint64 counterInFile(const QString& path, QStringList& torn)
    {
        if (!QFileInfo::exists(path))
            return -1;
        const QByteArray text = readFile(path);
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(text, &error);
        const QJsonObject counter = document.object().value(u"counter"_s).toObject();
        if (error.error != QJsonParseError::NoError || !document.isObject()) {
            torn << u"does not parse (%1 bytes): %2"_s.arg(text.size()).arg(error.errorString());
            return -1;
        }
        if (counter.isEmpty())
            return 0; // main.lua wrote "fixed" only, so far
        const qint64 n = counter.value(u"n"_s).toInteger(-1);
        const QString expected(1000000, QChar(char16_t(u'A' + n % 26)));
        if (counter.value(u"fill"_s).toString() != expected)
            torn << u"counter %1 with a wrong fill"_s.arg(n);
        if (document.object().value(u"fixed"_s).toObject().value(u"hello"_s).toString()
            != u"world"_s)
            torn << u"the key 'fixed' is missing"_s;
        return n;
    }

    // Whether process `pid` has a file inside `folder` open (Linux: /proc/<pid>/fd).
    static bool isWritingIn(qint64 pid, const QString& folder)
    {
        const QFileInfoList fds
            = QDir(u"/proc/%1/fd"_s.arg(pid))
                  .entryInfoList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot);
        for (const QFileInfo& fd : fds) {
            if (fd.symLinkTarget().startsWith(folder + u'/'))
                return true;
        }
        return false;
    }

private slots:
    void init()
    {
        qunsetenv("LUNETTE_DATA_DIR");
        lunette::setDataPlacement(lunette::DataPlacement::Auto);
        m_temp = std::make_unique<QTemporaryDir>();
        QVERIFY(m_temp->isValid());
        m_site = copyFixture(u"storage"_s);
        QVERIFY(!m_site.isEmpty());
    }

    void cleanup()
    {
        m_server.reset();
        m_temp.reset();
        m_log.clear();
        qunsetenv("LUNETTE_DATA_DIR");
        qunsetenv("XDG_DATA_HOME");
        lunette::setDataPlacement(lunette::DataPlacement::Auto);
    }

    // ---- the require gate ----

    void requireNeedsThePermission()
    {
        QVERIFY(start(copyFixture(u"no-permissions"_s)));
        QCOMPARE(eval(u"return select(2, pcall(require, 'storage'))"_s),
            u"module 'storage' needs the 'storage' permission: add \"storage\" to permissions in "
            "lunette.json"_s);
    }

    void requireWithThePermission()
    {
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"local s = require('storage'); return type(s.get), tostring(s)"_s),
            u"function\tmodule: storage"_s);
        QCOMPARE(
            eval(u"local names = {} for k in pairs(require('storage')) do names[#names + 1] = k "
                 "end table.sort(names) return table.concat(names, ' ')"_s),
            u"delete get keys set"_s);
        // The export table is read-only, even for rawset.
        QCOMPARE(eval(u"require('storage').set = nil"_s),
            u"error: console:1: module 'storage' is read-only: cannot set 'set'"_s);
        QVERIFY(eval(u"rawset(require('storage'), 'x', 1)"_s)
                    .contains(u"table expected, got module storage"_s));
        // Nothing was written by merely loading the module.
        QVERIFY(!QFileInfo::exists(dataDir()));
    }

    // ---- values ----

    void roundTrips()
    {
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"local s = require('storage'); return s.get('missing'), #s.keys()"_s),
            u"nil\t0"_s);
        QCOMPARE(eval(u"local s = require('storage'); return s.set('nested', {name = 'Ada', "
                      "tags = {'a', 'b'}, inner = {deep = {x = 1.5, y = -3, ok = false}}})"_s),
            u"true"_s);
        QCOMPARE(eval(u"local v = require('storage').get('nested'); return v.name, v.tags[1], "
                      "v.tags[2], #v.tags, v.inner.deep.x, v.inner.deep.y, v.inner.deep.ok, "
                      "math.type(v.inner.deep.y)"_s),
            u"Ada\ta\tb\t2\t1.5\t-3\tfalse\tinteger"_s);
        QCOMPARE(eval(u"local s = require('storage'); assert(s.set('int', 9007199254740993)); "
                      "assert(s.set('float', 0.25)); assert(s.set('yes', true)); "
                      "assert(s.set('no', false)); "
                      "assert(s.set('text', 'say \"hi\"\\n\\tüñï \\\\ ✓')); "
                      "assert(s.set('empty', {})); "
                      "return s.get('int'), math.type(s.get('int')), s.get('float'), s.get('yes'), "
                      "s.get('no'), s.get('text') == 'say \"hi\"\\n\\tüñï \\\\ ✓', "
                      "require('json').encode(s.get('empty'))"_s),
            u"9007199254740993\tinteger\t0.25\ttrue\tfalse\ttrue\t[]"_s);
        // Keys: sorted bytewise, any UTF-8 text.
        QCOMPARE(eval(u"local s = require('storage'); assert(s.set('B', 1)); "
                      "assert(s.set('a \"quoted\"\\nkey', 2)); assert(s.set('ключ', 3)); "
                      "return table.concat(s.keys(), ',')"_s),
            u"B,a \"quoted\"\nkey,empty,float,int,nested,no,text,yes,ключ"_s);
        // Changing a value replaces it; a value got is a copy.
        QCOMPARE(eval(u"local s = require('storage'); assert(s.set('int', 'now text')); "
                      "local v = s.get('nested'); v.name = 'changed'; "
                      "return s.get('int'), s.get('nested').name"_s),
            u"now text\tAda"_s);
        // delete, set(k, nil) and set(k, json.null) remove; removing a missing key is fine.
        QCOMPARE(eval(u"local s = require('storage'); return s.delete('B'), s.get('B'), "
                      "s.set('yes', nil), s.get('yes'), s.set('no', require('json').null), "
                      "s.get('no'), s.delete('never there')"_s),
            u"true\tnil\ttrue\tnil\ttrue\tnil\ttrue"_s);

        // The file is a JSON object with what was stored, and survives a reload of the store.
        const QJsonObject file
            = QJsonDocument::fromJson(readFile(dataDir() + u"/storage.json"_s)).object();
        QCOMPARE(file.value(u"float"_s).toDouble(), 0.25);
        QCOMPARE(file.value(u"ключ"_s).toInt(), 3);
        QCOMPARE(file.value(u"a \"quoted\"\nkey"_s).toInt(), 2);
        QVERIFY(!file.contains(u"B"_s) && !file.contains(u"yes"_s) && !file.contains(u"no"_s));
        QCOMPARE(file.value(u"nested"_s).toObject().value(u"tags"_s).toArray().size(), 2);

        QVERIFY(start(m_site));
        QCOMPARE(
            eval(u"local s = require('storage'); return table.concat(s.keys(), ','), "
                 "s.get('text') == 'say \"hi\"\\n\\tüñï \\\\ ✓', s.get('nested').inner.deep.x"_s),
            u"a \"quoted\"\nkey,empty,float,int,nested,text,ключ\ttrue\t1.5"_s);
        // Everything deleted: keys() is an empty array.
        QCOMPARE(eval(u"local s = require('storage'); for _, k in ipairs(s.keys()) do "
                      "assert(s.delete(k)) end; return require('json').encode(s.keys())"_s),
            u"[]"_s);
        QCOMPARE(QJsonDocument::fromJson(readFile(dataDir() + u"/storage.json"_s)).object(),
            QJsonObject());
    }

    // Values JSON cannot hold are `nil, err` (invalid) and leave the stored value alone.
    void valuesThatCannotBeStored()
    {
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"return require('storage').set('k', 'old')"_s), u"true"_s);
        QCOMPARE(eval(u"local v, err = require('storage').set('k', function() end); "
                      "return v, err.kind, err.message:find('storage.set: the value cannot be "
                      "stored as JSON', 1, true) ~= nil"_s),
            u"nil\tinvalid\ttrue"_s);
        QCOMPARE(eval(u"local t = {}; t.self = t; local v, err = require('storage').set('k', t); "
                      "return v, err.kind"_s),
            u"nil\tinvalid"_s);
        QCOMPARE(eval(u"local v, err = require('storage').set('k', 0/0); return v, err.kind"_s),
            u"nil\tinvalid"_s);
        QCOMPARE(eval(u"return require('storage').get('k')"_s), u"old"_s);
    }

    // A key that is not a string is misuse (raises); a bad string key is `nil, err`.
    void keyRules()
    {
        QVERIFY(start(m_site));
        for (const QString& call : { u"get(1)"_s, u"set({}, 1)"_s, u"delete(nil)"_s, u"get()"_s }) {
            const QString result = eval(u"require('storage')."_s + call);
            QVERIFY2(result.startsWith(u"error: "_s) && result.contains(u"bad argument #1"_s)
                    && result.contains(u"string expected"_s),
                qPrintable(call + u" -> "_s + result));
        }
        QVERIFY(eval(u"require('storage').set('k')"_s).contains(u"bad argument #2"_s));
        for (const QString& key : { u"''"_s, u"string.rep('k', 257)"_s, u"'\\xff'"_s }) {
            QCOMPARE(eval(u"local s = require('storage'); local k = %1; "
                          "local a, e1 = s.set(k, 1); local b, e2 = s.get(k); "
                          "local c, e3 = s.delete(k); "
                          "return a, e1.kind, b, e2.kind, c, e3.kind"_s.arg(key)),
                u"nil\tinvalid\tnil\tinvalid\tnil\tinvalid"_s);
        }
        QCOMPARE(eval(u"local s = require('storage'); local k = string.rep('k', 256); "
                      "return s.set(k, 1), s.get(k)"_s),
            u"true\t1"_s);
    }

    // ---- sharing and persistence ----

    void sharedBetweenSessions()
    {
        QVERIFY(start(m_site));
        const QString other = m_server->createSession();
        QVERIFY(!other.isEmpty() && other != m_session);
        QCOMPARE(eval(u"return require('storage').set('greeting', {text = 'hello'})"_s), u"true"_s);
        QCOMPARE(eval(u"return require('storage').get('greeting').text"_s, other), u"hello"_s);
        QCOMPARE(eval(u"return require('storage').delete('greeting')"_s, other), u"true"_s);
        QCOMPARE(eval(u"return require('storage').get('greeting')"_s), u"nil"_s);
        QCOMPARE(eval(u"return require('storage').set('n', 2)"_s, other), u"true"_s);
        QCOMPARE(eval(u"return table.concat(require('storage').keys(), ',')"_s), u"n"_s);
    }

    void survivesARestart()
    {
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"local s = require('storage'); return s.set('a', {1, 2, {x = 'y'}}), "
                      "s.set('b', 'bee')"_s),
            u"true\ttrue"_s);
        m_server.reset(); // every session ends: the store is dropped with them
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"local s = require('storage'); local a = s.get('a'); "
                      "return a[1], a[2], a[3].x, s.get('b'), table.concat(s.keys(), ',')"_s),
            u"1\t2\ty\tbee\ta,b"_s);
    }

    // The store is one per data folder and takes writers from several threads.
    void oneStorePerFolderAcrossThreads()
    {
        const QString folder = m_temp->path() + u"/threads"_s;
        auto store = lunette::SiteStorage::forDirectory(folder);
        QCOMPARE(lunette::SiteStorage::forDirectory(folder + u'/').get(), store.get());
        QVERIFY(lunette::SiteStorage::forDirectory(folder + u"-other"_s).get() != store.get());
        std::vector<std::thread> writers;
        std::atomic<int> failures { 0 };
        for (int t = 0; t < 4; ++t) {
            writers.emplace_back([&, t] {
                auto shared = lunette::SiteStorage::forDirectory(folder);
                for (int i = 0; i < 25; ++i) {
                    const QByteArray key
                        = "t" + QByteArray::number(t) + "-" + QByteArray::number(i);
                    if (!shared->set(key, QByteArray::number(i)))
                        ++failures;
                }
            });
        }
        for (std::thread& writer : writers)
            writer.join();
        QCOMPARE(failures.load(), 0);
        QCOMPARE(store->keys()->size(), 100);
        // A fresh store reads all of them back from the file.
        lunette::SiteStorage fresh(folder);
        const auto keys = fresh.keys();
        QVERIFY(keys);
        QCOMPARE(keys->size(), 100);
        QCOMPARE(**fresh.get("t3-24"), QByteArray("24"));
    }

    // A writer killed (SIGKILL) while it rewrites storage.json in a loop leaves the old or the
    // new complete file, every time, and the next run loads it and carries on.
    void crashWhileWritingLeavesAWholeFile()
    {
        const QString site = copyFixture(u"storage-writer"_s);
        QVERIFY(!site.isEmpty());
        const QString file = site + u"/data/storage.json"_s;
        QStringList torn;
        qint64 last = 0;
        for (int round = 1; round <= 4; ++round) {
            QProcess writer;
            writer.setProcessChannelMode(QProcess::ForwardedErrorChannel);
            writer.start(QStringLiteral(STORAGE_WRITER_BINARY), { site });
            QVERIFY(writer.waitForStarted());
            // Once it has written a few times past where the last run stopped, kill it while it
            // has a file of data/ open: the temporary file of a write in progress (QSaveFile).
            const qint64 target = last + 2 + round;
            bool writing = false; // latched: QTRY_VERIFY evaluates its condition once more
            QTRY_VERIFY_WITH_TIMEOUT(writing || !torn.isEmpty()
                    || writer.state() == QProcess::NotRunning
                    || (writing = counterInFile(file, torn) >= target
                            && isWritingIn(writer.processId(), site + u"/data"_s)),
                30000);
            QVERIFY2(writer.state() == QProcess::Running, "the writer stopped on its own");
            QCOMPARE(::kill(static_cast<pid_t>(writer.processId()), SIGKILL), 0);
            QVERIFY(writer.waitForFinished());
            QCOMPARE(writer.exitStatus(), QProcess::CrashExit);
            QVERIFY2(torn.isEmpty(), qPrintable(torn.join(u"; "_s)));

            const qint64 n = counterInFile(file, torn);
            QVERIFY2(torn.isEmpty(), qPrintable(torn.join(u"; "_s)));
            QVERIFY2(n >= target, qPrintable(u"counter %1 < %2"_s.arg(n).arg(target)));
            last = n;
        }

        // The engine loads what the last run left (a temporary file left behind is ignored).
        qputenv("LUNETTE_DATA_DIR", (site + u"/data"_s).toLocal8Bit());
        QVERIFY(start(m_site)); // a site that does not write by itself
        QCOMPARE(eval(u"local s = require('storage'); local c = s.get('counter'); "
                      "return c.n, #c.fill, s.get('fixed').hello, table.concat(s.keys(), ',')"_s),
            u"%1\t1000000\tworld\tcounter,fixed"_s.arg(last));
    }

    // ---- failures ----

    void corruptFileIsKeptAside_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::newRow("truncated") << QByteArray("{\"a\": 1, \"b\": [1, 2");
        QTest::newRow("not json") << QByteArray("hello");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("array") << QByteArray("[1, 2]");
        QTest::newRow("empty array") << QByteArray("[]");
        QTest::newRow("invalid utf-8") << QByteArray("{\"a\": \"\xff\"}");
        QTest::newRow("empty key") << QByteArray("{\"\": 1}");
        QTest::newRow("trailing garbage") << QByteArray("{\"a\": 1} x");
    }

    void corruptFileIsKeptAside()
    {
        QFETCH(QByteArray, content);
        QVERIFY(writeFile(dataDir() + u"/storage.json"_s, content));
        QVERIFY(start(m_site));
        QCOMPARE(
            eval(u"local s = require('storage'); return s.get('a'), #s.keys()"_s), u"nil\t0"_s);
        const QStringList aside
            = QDir(dataDir()).entryList({ u"storage.json.corrupt-*"_s }, QDir::Files);
        QCOMPARE(aside.size(), 1);
        QCOMPARE(readFile(dataDir() + u'/' + aside.first()), content);
        QVERIFY(!QFileInfo::exists(dataDir() + u"/storage.json"_s));
        const QStringList warnings = logLines().filter(u"was corrupt"_s);
        QCOMPARE(warnings.size(), 1);
        QVERIFY2(warnings.first().contains(aside.first()), qPrintable(warnings.first()));

        // Storage works from empty, and the bad file stays where it was put.
        QCOMPARE(eval(u"return require('storage').set('a', 2)"_s), u"true"_s);
        QCOMPARE(QJsonDocument::fromJson(readFile(dataDir() + u"/storage.json"_s))
                     .object()
                     .value(u"a"_s)
                     .toInt(),
            2);
        QCOMPARE(readFile(dataDir() + u'/' + aside.first()), content);
    }

    // `data` is a regular file, so the folder cannot be created (not even by root).
    void unwritableDataFolder()
    {
        QVERIFY(writeFile(dataDir(), "not a folder"));
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"local v, err = require('storage').set('k', 1); return v, err.kind, "
                      "err.retryable, tostring(err):sub(1, 4)"_s),
            u"nil\tio\tfalse\tio: "_s);
        QCOMPARE(
            eval(u"local s = require('storage'); return s.get('k'), #s.keys()"_s), u"nil\t0"_s);
        QCOMPARE(readFile(dataDir()), QByteArray("not a folder"));
    }

    // A storage.json that cannot be read is never replaced: every operation fails instead.
    void unreadableFileIsNotReplaced()
    {
        QVERIFY(QDir().mkpath(dataDir() + u"/storage.json/inside"_s));
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"local s = require('storage'); local a, e1 = s.get('k'); "
                      "local b, e2 = s.set('k', 1); local c, e3 = s.keys(); "
                      "return a, e1.kind, b, e2.kind, c, e3.kind"_s),
            u"nil\tio\tnil\tio\tnil\tio"_s);
        QVERIFY(QFileInfo(dataDir() + u"/storage.json/inside"_s).isDir());
        QVERIFY(QDir(dataDir()).entryList({ u"storage.json.corrupt-*"_s }).isEmpty());
    }

    // The file may not grow beyond 16 MiB; shrinking is always allowed.
    void sizeLimit()
    {
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"local v, err = require('storage').set('big', string.rep('x', 17 * 1024 * "
                      "1024)); return v, err.kind, err.message:match('^storage is full') ~= nil"_s),
            u"nil\tinvalid\ttrue"_s);
        QCOMPARE(eval(u"local s = require('storage'); local nine = string.rep('x', 9 * 1024 * "
                      "1024); local a = s.set('a', nine); local b, err = s.set('b', nine); "
                      "return a, b, err.kind"_s),
            u"true\tnil\tinvalid"_s);
        QCOMPARE(
            eval(u"local s = require('storage'); return s.delete('a'), "
                 "s.set('b', string.rep('y', 9 * 1024 * 1024)), table.concat(s.keys(), ',')"_s),
            u"true\ttrue\tb"_s);
        QVERIFY(QFileInfo(dataDir() + u"/storage.json"_s).size()
            <= lunette::SiteStorage::kMaxFileBytes);
    }

    // ---- where data goes ----

    void dataFolderInTheSite()
    {
        auto site = lunette::Site::open(m_site);
        QVERIFY(site);
        QCOMPARE(lunette::siteDataDirectory(**site), (*site)->root() + u"/data"_s);
        lunette::setDataPlacement(lunette::DataPlacement::InSite);
        QCOMPARE(lunette::siteDataDirectory(**site), (*site)->root() + u"/data"_s);
    }

    // LUNETTE_DATA_DIR is the data folder, whatever else applies.
    void dataFolderOverride()
    {
        const QString elsewhere = m_temp->path() + u"/elsewhere/data"_s;
        qputenv("LUNETTE_DATA_DIR", elsewhere.toLocal8Bit());
        lunette::setDataPlacement(lunette::DataPlacement::UserData);
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"return require('storage').set('where', 'elsewhere')"_s), u"true"_s);
        QVERIFY(QFileInfo::exists(elsewhere + u"/storage.json"_s));
        QVERIFY(!QFileInfo::exists(dataDir()));
    }

    // A packaged (read-only) site keeps its data in the user's data folder, named after it.
    void dataFolderOfAPackagedSite()
    {
        const QString xdg = m_temp->path() + u"/xdg"_s;
        qputenv("XDG_DATA_HOME", xdg.toLocal8Bit());
        lunette::setDataPlacement(lunette::DataPlacement::UserData);
        const QString base = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
        QVERIFY2(base.startsWith(xdg + u'/'), qPrintable(base));

        auto site = lunette::Site::open(m_site);
        QVERIFY(site);
        QCOMPARE(lunette::siteDataDirectory(**site), base + u"/Storage Fixture"_s);
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"return require('storage').set('where', 'user data')"_s), u"true"_s);
        QVERIFY(QFileInfo::exists(base + u"/Storage Fixture/storage.json"_s));
        QVERIFY(!QFileInfo::exists(dataDir()));

        // No manifest name: the folder's name. A name that is no safe file name is made one.
        QVERIFY(QFile::remove(m_site + u"/lunette.json"_s));
        site = lunette::Site::open(m_site);
        QVERIFY(site);
        QCOMPARE(lunette::siteDataDirectory(**site), base + u"/storage"_s);
        QVERIFY(writeFile(m_site + u"/lunette.json"_s, R"({"name": "../Evil/..Name:"})"));
        site = lunette::Site::open(m_site);
        QVERIFY(site);
        QCOMPARE(lunette::siteDataDirectory(**site), base + u"/_Evil_..Name_"_s);
    }
};

QTEST_GUILESS_MAIN(TestStorage)
#include "test_storage.moc"
