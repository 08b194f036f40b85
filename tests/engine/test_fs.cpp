// The fs module (runtime/SiteFiles, modules/lua_fs.cpp): the require gate, read/write/append/
// list/exists/remove/mkdir inside the site's data folder, and every way out of it refused —
// absolute paths, '..', backslashes, NUL, symbolic links that lead outside (or nowhere) — with
// nothing written outside.
//
// Every test copies the fixture site into a temporary folder: data/ is written there, never into
// the repository.

#include <semaphore>

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "runtime/DataDir.h"
#include "runtime/SiteFiles.h"
#include "session/Console.h"
#include "session/Session.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::ConsoleReply;
using lunette::test::ServerFixture;

class TestFs final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_temp;
    QString m_site; // the copied fixture
    QString m_outside; // a folder next to the site, which no fs call may change
    std::unique_ptr<ServerFixture> m_server;
    QString m_session;

    QString copyFixture(const QString& name)
    {
        const QString to = m_temp->path() + u'/' + name;
        if (!lunette::test::copyTree(
                lunette::test::sourceDir() + u"/tests/data/sites/"_s + name, to))
            return {};
        return to;
    }

    bool start(const QString& folder)
    {
        m_server.reset();
        m_server = std::make_unique<ServerFixture>(folder);
        if (!m_server->start()) {
            qWarning("%s", qPrintable(m_server->error()));
            return false;
        }
        m_session = m_server->createSession();
        return !m_session.isEmpty();
    }

    // Evaluate in the session (as the console does): its results or "error: …".
    QString eval(const QString& input)
    {
        QString out = u"<no session>"_s;
        std::binary_semaphore done { 0 };
        m_server->sessions().withSession(m_session, [&](lunette::Session* s) {
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

    // Every path under the temporary folder except the data folder, with its size: what fs
    // calls must leave alone.
    QStringList outsideTree() const
    {
        QStringList tree;
        QDirIterator it(m_temp->path(),
            QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
            QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            if (path == dataDir() || path.startsWith(dataDir() + u'/'))
                continue;
            tree << path + u' ' + QString::number(QFileInfo(path).size());
        }
        tree.sort();
        return tree;
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
        m_outside = m_temp->path() + u"/outside"_s;
        QVERIFY(writeFile(m_outside + u"/secret.txt"_s, "secret"));
    }

    void cleanup()
    {
        m_server.reset();
        m_temp.reset();
    }

    // ---- the require gate ----

    void requireNeedsThePermission()
    {
        QVERIFY(start(copyFixture(u"no-permissions"_s)));
        QCOMPARE(eval(u"return select(2, pcall(require, 'fs'))"_s),
            u"module 'fs' needs the 'fs' permission: add \"fs\" to permissions in lunette.json"_s);
    }

    void requireWithThePermission()
    {
        QVERIFY(start(m_site));
        QCOMPARE(
            eval(u"local names = {} for k in pairs(require('fs')) do names[#names + 1] = k end "
                 "table.sort(names) return table.concat(names, ' ')"_s),
            u"append exists list mkdir read remove write"_s);
        QCOMPARE(eval(u"require('fs').read = print"_s),
            u"error: console:1: module 'fs' is read-only: cannot set 'read'"_s);
        QCOMPARE(eval(u"return getmetatable(require('fs')), tostring(require('fs'))"_s),
            u"locked\tmodule: fs"_s);
    }

    // ---- the operations ----

    void writeAndRead()
    {
        QVERIFY(start(m_site));
        // Before the first write there is no data folder, and nothing in it.
        QCOMPARE(eval(u"local fs = require('fs'); local v, err = fs.read('notes.txt'); "
                      "return v, err.kind, fs.exists('notes.txt'), "
                      "require('json').encode(fs.list())"_s),
            u"nil\tnot_found\tfalse\t[]"_s);
        QVERIFY(!QFileInfo::exists(dataDir()));

        QCOMPARE(eval(u"local fs = require('fs'); return fs.write('notes.txt', 'hello'), "
                      "fs.read('notes.txt')"_s),
            u"true\thello"_s);
        QCOMPARE(readFile(dataDir() + u"/notes.txt"_s), QByteArray("hello"));
        // Bytes as they are (NUL included); a write replaces the whole file.
        QCOMPARE(eval(u"local fs = require('fs'); assert(fs.write('bin', 'a\\0b\\255')); "
                      "local v = fs.read('bin'); return #v, v == 'a\\0b\\255', "
                      "fs.write('notes.txt', 'hi'), fs.read('notes.txt')"_s),
            u"4\ttrue\ttrue\thi"_s);
        QCOMPARE(readFile(dataDir() + u"/bin"_s), QByteArray("a\0b\xff", 4));
        // Parent folders are created; "." and empty segments are ignored.
        QCOMPARE(eval(u"local fs = require('fs'); return fs.write('a/b/c.txt', 'deep'), "
                      "fs.read('./a//b/c.txt'), fs.exists('a/b'), fs.exists('a/b/c.txt/')"_s),
            u"true\tdeep\ttrue\ttrue"_s);
        QCOMPARE(readFile(dataDir() + u"/a/b/c.txt"_s), QByteArray("deep"));
        // A folder is not a file.
        QCOMPARE(eval(u"local fs = require('fs'); local a, e1 = fs.read('a'); "
                      "local b, e2 = fs.write('a', 'x'); local c, e3 = fs.write('', 'x'); "
                      "return a, e1.kind, b, e2.kind, c, e3.kind"_s),
            u"nil\tinvalid\tnil\tinvalid\tnil\tinvalid"_s);
        // A file in the way of a folder.
        QCOMPARE(eval(u"local v, err = require('fs').write('notes.txt/inner', 'x'); "
                      "return v, err.kind"_s),
            u"nil\tio"_s);
        // Misuse raises.
        QVERIFY(eval(u"require('fs').read(42)"_s).contains(u"string expected, got number"_s));
        QVERIFY(eval(u"require('fs').write('x')"_s).contains(u"bad argument #2"_s));
    }

    void append()
    {
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"local fs = require('fs'); return fs.append('logs/today.log', 'one\\n'), "
                      "fs.append('logs/today.log', 'two\\n'), fs.read('logs/today.log')"_s),
            u"true\ttrue\tone\ntwo\n"_s);
        QCOMPARE(readFile(dataDir() + u"/logs/today.log"_s), QByteArray("one\ntwo\n"));
        QCOMPARE(eval(u"local v, err = require('fs').append('logs', 'x'); return v, err.kind"_s),
            u"nil\tinvalid"_s);
    }

    void list()
    {
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"local fs = require('fs'); assert(fs.write('b.txt', '12345')); "
                      "assert(fs.write('B.txt', '')); assert(fs.write('ä.txt', 'x')); "
                      "assert(fs.mkdir('a')); assert(fs.write('a/inner', 'x')); "
                      "assert(fs.write('.hidden', 'h')); "
                      "local out = {} for _, e in ipairs(fs.list()) do "
                      "out[#out + 1] = e.name .. ':' .. e.type .. ':' .. e.size end "
                      "return table.concat(out, ' ')"_s),
            u".hidden:file:1 B.txt:file:0 a:dir:0 b.txt:file:5 ä.txt:file:1"_s);
        QCOMPARE(eval(u"local fs = require('fs'); local e = fs.list('a'); "
                      "return #e, e[1].name, e[1].type, fs.list('.')[3].name, #fs.list('')"_s),
            u"1\tinner\tfile\ta\t5"_s);
        QCOMPARE(eval(u"local fs = require('fs'); local a, e1 = fs.list('nope'); "
                      "local b, e2 = fs.list('b.txt'); return a, e1.kind, b, e2.kind"_s),
            u"nil\tnot_found\tnil\tinvalid"_s);
        QCOMPARE(eval(u"local fs = require('fs'); assert(fs.mkdir('empty')); "
                      "return require('json').encode(fs.list('empty'))"_s),
            u"[]"_s);
    }

    void removeAndMkdir()
    {
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"local fs = require('fs'); return fs.mkdir('x/y/z'), fs.mkdir('x/y'), "
                      "fs.exists('x/y/z')"_s),
            u"true\ttrue\ttrue"_s);
        QVERIFY(QFileInfo(dataDir() + u"/x/y/z"_s).isDir());
        QCOMPARE(eval(u"local fs = require('fs'); assert(fs.write('x/file', 'f')); "
                      "local a, e1 = fs.mkdir('x/file'); local b, e2 = fs.remove('x/y'); "
                      "local c, e3 = fs.remove('x/nope'); local d, e4 = fs.remove('.'); "
                      "return a, e1.kind, b, e2.kind, c, e3.kind, d, e4.kind"_s),
            u"nil\tinvalid\tnil\tinvalid\tnil\tnot_found\tnil\tinvalid"_s);
        QCOMPARE(eval(u"local fs = require('fs'); return fs.remove('x/file'), "
                      "fs.exists('x/file'), fs.remove('x/y/z'), fs.remove('x/y'), "
                      "table.concat((function() local n = {} for _, e in ipairs(fs.list('x')) "
                      "do n[#n + 1] = e.name end return n end)(), ',')"_s),
            u"true\tfalse\ttrue\ttrue\t"_s);
        QVERIFY(!QFileInfo::exists(dataDir() + u"/x/y"_s));
        QVERIFY(QFileInfo(dataDir()).isDir());
    }

    // ---- ways out ----

    void escapesAreRefused_data()
    {
        QTest::addColumn<QString>("path"); // a Lua expression
        QTest::addColumn<QString>("why");
        QTest::newRow("dot-dot") << u"'../x'"_s << u"'..' segments are not allowed"_s;
        QTest::newRow("dot-dot inside") << u"'a/../../x'"_s << u"'..' segments"_s;
        QTest::newRow("dot-dot at the end") << u"'a/..'"_s << u"'..' segments"_s;
        QTest::newRow("absolute") << u"'/etc/passwd'"_s << u"absolute paths are not allowed"_s;
        QTest::newRow("absolute outside") << u"outside .. '/secret.txt'"_s << u"absolute"_s;
        QTest::newRow("backslash") << u"'a\\\\b'"_s << u"backslashes are not allowed"_s;
        QTest::newRow("backslash dot-dot") << u"'..\\\\x'"_s << u"backslashes"_s;
        QTest::newRow("nul") << u"'a\\0b'"_s << u"NUL"_s;
    }

    void escapesAreRefused()
    {
        QFETCH(QString, path);
        QFETCH(QString, why);
        QVERIFY(writeFile(dataDir() + u"/a/keep.txt"_s, "keep"));
        QVERIFY(start(m_site));
        const QStringList before = outsideTree();
        const QString setup
            = u"local fs = require('fs'); local outside = '%1'; local p = %2; "_s.arg(
                m_outside, path);
        for (const QString& call : { u"read(p)"_s, u"write(p, 'pwned')"_s, u"append(p, 'pwned')"_s,
                 u"list(p)"_s, u"exists(p)"_s, u"remove(p)"_s, u"mkdir(p)"_s }) {
            const QString result = eval(
                setup + u"local v, err = fs."_s + call + u"; return v, err.kind, err.message"_s);
            QVERIFY2(result.startsWith(u"nil\tpermission_denied\tfs: '"_s),
                qPrintable(call + u" -> "_s + result));
            QVERIFY2(result.contains(why), qPrintable(call + u" -> "_s + result));
        }
        QCOMPARE(outsideTree(), before);
        QCOMPARE(readFile(m_outside + u"/secret.txt"_s), QByteArray("secret"));
        QCOMPARE(readFile(dataDir() + u"/a/keep.txt"_s), QByteArray("keep"));
    }

    // Links inside data/ are followed only while they stay inside it.
    void symlinksOutsideAreRefused()
    {
        QVERIFY(QDir().mkpath(dataDir() + u"/sub"_s));
        QVERIFY(writeFile(dataDir() + u"/sub/inside.txt"_s, "inside"));
        QVERIFY(QFile::link(m_outside, dataDir() + u"/out-dir"_s));
        QVERIFY(QFile::link(m_outside + u"/secret.txt"_s, dataDir() + u"/out-file"_s));
        QVERIFY(QFile::link(m_outside + u"/new.txt"_s, dataDir() + u"/dangling"_s));
        QVERIFY(QFile::link(u"../.."_s, dataDir() + u"/sub/up"_s));
        QVERIFY(QFile::link(dataDir() + u"/sub"_s, dataDir() + u"/in-dir"_s));
        QVERIFY(QFile::link(u"sub/inside.txt"_s, dataDir() + u"/in-file"_s));
        QVERIFY(start(m_site));
        const QStringList before = outsideTree();

        for (const QString& path : { u"out-dir/secret.txt"_s, u"out-dir/new.txt"_s, u"out-dir"_s,
                 u"out-file"_s, u"dangling"_s, u"sub/up/outside/secret.txt"_s, u"sub/up"_s,
                 u"out-dir/deeper/new.txt"_s }) {
            for (const QString& call :
                { u"read(p)"_s, u"write(p, 'pwned')"_s, u"append(p, 'pwned')"_s, u"list(p)"_s,
                    u"exists(p)"_s, u"remove(p)"_s, u"mkdir(p)"_s }) {
                const QString result = eval(u"local fs = require('fs'); local p = '"_s + path
                    + u"'; local v, err = fs."_s + call + u"; return v, err.kind, err.message"_s);
                QVERIFY2(result.startsWith(u"nil\tpermission_denied\tfs: '"_s)
                        && result.contains(u"symbolic link"_s),
                    qPrintable(path + u": "_s + call + u" -> "_s + result));
            }
        }
        QCOMPARE(outsideTree(), before);
        QCOMPARE(readFile(m_outside + u"/secret.txt"_s), QByteArray("secret"));
        QVERIFY(!QFileInfo::exists(m_outside + u"/new.txt"_s));

        // Links that stay inside work; links that leave are not listed.
        QCOMPARE(eval(u"local fs = require('fs'); return fs.read('in-dir/inside.txt'), "
                      "fs.read('in-file'), fs.write('in-dir/via-link.txt', 'v'), "
                      "fs.read('sub/via-link.txt')"_s),
            u"inside\tinside\ttrue\tv"_s);
        QCOMPARE(eval(u"local out = {} for _, e in ipairs(require('fs').list()) do "
                      "out[#out + 1] = e.name .. ':' .. e.type end "
                      "return table.concat(out, ' ')"_s),
            u"in-dir:dir in-file:file sub:dir"_s);
    }

    // The storage module's file is not fs's to change.
    void storageFileIsReserved()
    {
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"return require('storage').set('k', 1)"_s), u"true"_s);
        QCOMPARE(eval(u"local fs = require('fs'); local a, e1 = fs.write('storage.json', '{'); "
                      "local b, e2 = fs.remove('storage.json'); "
                      "local c, e3 = fs.append('./storage.json', 'x'); "
                      "return a, e1.kind, b, e2.kind, c, e3.kind, fs.read('storage.json')"_s),
            u"nil\tpermission_denied\tnil\tpermission_denied\tnil\tpermission_denied\t{\n\"k\":1\n}\n"_s);
        QCOMPARE(eval(u"return require('fs').write('sub/storage.json', 'mine')"_s), u"true"_s);
    }

    // `data` is a regular file, so the folder cannot be created (not even by root).
    void unwritableDataFolder()
    {
        QVERIFY(writeFile(dataDir(), "not a folder"));
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"local fs = require('fs'); local a, e1 = fs.write('x', 'y'); "
                      "local b, e2 = fs.mkdir('d'); local c, e3 = fs.append('x', 'y'); "
                      "local d, e4 = fs.read('x'); "
                      "return a, e1.kind, b, e2.kind, c, e3.kind, d, e4.kind"_s),
            u"nil\tio\tnil\tio\tnil\tio\tnil\tnot_found"_s);
        QCOMPARE(readFile(dataDir()), QByteArray("not a folder"));
    }

    // Files over 64 MiB are refused both ways.
    void sizeLimit()
    {
        QFile big(dataDir() + u"/big.bin"_s);
        QVERIFY(QDir().mkpath(dataDir()));
        QVERIFY(
            big.open(QIODevice::WriteOnly) && big.resize(lunette::SiteFiles::kMaxFileBytes + 1));
        big.close();
        QVERIFY(start(m_site));
        QCOMPARE(eval(u"local v, err = require('fs').read('big.bin'); return v, err.kind, "
                      "err.message:find('more than the limit', 1, true) ~= nil"_s),
            u"nil\tinvalid\ttrue"_s);
        QCOMPARE(
            eval(u"local fs = require('fs'); collectgarbage(); local v, err = fs.write('huge', "
                 "string.rep('x', 64 * 1024 * 1024 + 1)); return v, err.kind, fs.exists('huge')"_s),
            u"nil\tinvalid\tfalse"_s);
        QCOMPARE(
            eval(u"local fs = require('fs'); assert(fs.write('edge', string.rep('x', 64 * "
                 "1024 * 1024 - 1))); collectgarbage(); local v, err = fs.append('edge', 'yy'); "
                 "return v, err.kind, #fs.read('edge')"_s),
            u"nil\tinvalid\t67108863"_s);
    }
};

QTEST_GUILESS_MAIN(TestFs)
#include "test_fs.moc"
