// Built-in modules (runtime/Module, LUA_API.md "Modules"): require finds them, their export
// tables are read-only, errors are structured values, stubs and exports agree both ways, and the
// json, log and time modules do what their API says. (Waiting — time.sleep — is in test_tasks.)

#include <mutex>
#include <semaphore>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <lua.hpp>

#include "lua/LuaState.h"
#include "runtime/Module.h"
#include "runtime/TypeStubs.h"
#include "session/Console.h"
#include "session/Session.h"
#include "support/SiteSession.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::ConsoleReply;
using lunette::test::SiteSession;

class TestModules final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<SiteSession> m_s;

    QString eval(const QString& input) { return m_s->eval(input); }

private slots:
    void init()
    {
        m_s = std::make_unique<SiteSession>(u"/tests/data/sites/async"_s);
        QVERIFY2(m_s->start(), qPrintable(m_s->error()));
    }

    void cleanup() { m_s.reset(); }

    void builtinModulesAreListed()
    {
        QStringList names;
        for (const lunette::ModuleDef* module : lunette::builtinModules())
            names << QString::fromLatin1(module->name);
        QVERIFY(names.contains(u"json"_s) && names.contains(u"log"_s) && names.contains(u"time"_s));
        QStringList sorted = names;
        sorted.sort();
        QCOMPARE(names, sorted);
        QVERIFY(lunette::findBuiltinModule("json"));
        QVERIFY(!lunette::findBuiltinModule("nope"));
    }

    // The exact message of LUA_API.md for a module the site was not granted.
    void permissionMessage()
    {
        const lunette::ModuleDef network { "http", "", lunette::Capability::Network, nullptr, "" };
        QCOMPARE(lunette::permissionError(network),
            u"module 'http' needs the 'network' permission: add \"network\" to permissions in lunette.json"_s);
        QVERIFY(lunette::alwaysGranted(lunette::Capability::Deterministic));
        QVERIFY(lunette::alwaysGranted(lunette::Capability::Nondeterministic));
        for (const auto capability : { lunette::Capability::Io, lunette::Capability::Network,
                 lunette::Capability::Storage, lunette::Capability::Fs, lunette::Capability::Web })
            QVERIFY(!lunette::alwaysGranted(capability));
    }

    // Export tables cannot be changed, not even with rawset; require gives the same one again.
    void exportsAreReadOnly()
    {
        QCOMPARE(eval(u"local json = require('json'); json.encode = nil"_s),
            u"error: console:1: module 'json' is read-only: cannot set 'encode'"_s);
        QVERIFY(eval(u"rawset(require('json'), 'x', 1)"_s)
                    .contains(u"table expected, got module json"_s));
        QCOMPARE(eval(u"return getmetatable(require('json'))"_s), u"locked"_s);
        QCOMPARE(eval(u"return require('json') == require('json'), tostring(require('time'))"_s),
            u"true\tmodule: time"_s);
        QCOMPARE(
            eval(u"local names = {} for k in pairs(require('json')) do names[#names + 1] = k end "
                 "table.sort(names) return table.concat(names, ' ')"_s),
            u"array decode encode null object"_s);
        QVERIFY(eval(u"require('json').null.x = 1"_s).contains(u"json.null is read-only"_s));
    }

    void jsonModule()
    {
        QCOMPARE(
            eval(
                u"local json = require('json'); return json.encode({b = 2, a = {1, 2, json.null}})"_s),
            u"{\"a\":[1,2,null],\"b\":2}"_s);
        QCOMPARE(
            eval(
                u"local json = require('json'); return json.encode(json.array({})), json.encode(json.object({}))"_s),
            u"[]\t{}"_s);
        QCOMPARE(eval(u"return require('json').encode({a = 1}, {pretty = true})"_s),
            u"{\n  \"a\": 1\n}"_s);
        QCOMPARE(
            eval(
                u"local v = require('json').decode('{\"x\":[1,null,3]}'); return v.x[1], v.x[2], v.x[3]"_s),
            u"1\tnil\t3"_s);
        QCOMPARE(eval(u"local json = require('json'); local v = json.decode('[null]', {null = "
                      u"json.null}); "
                      "return v[1] == json.null, json.encode(v)"_s),
            u"true\t[null]"_s);
    }

    // Expected failures are `nil, err` with kind, message, retryable and a __tostring.
    void errorsAreStructured()
    {
        QCOMPARE(
            eval(u"local v, err = require('json').decode('{'); return v, err.kind, err.retryable, "
                 "type(err.message), tostring(err):sub(1, 9)"_s),
            u"nil\tinvalid\tfalse\tstring\tinvalid: "_s);
        QCOMPARE(
            eval(u"local v, err = require('json').encode(function() end); return v, err.kind"_s),
            u"nil\tinvalid"_s);
        // Misuse raises.
        QVERIFY(eval(u"require('json').decode({})"_s).contains(u"bad argument #1 to 'decode'"_s));
    }

    void logModule()
    {
        QCOMPARE(eval(u"local log = require('log'); log.warn('%d apples', 3); log.error('bad'); "
                      "log.info({}); log.debug('detail')"_s),
            QString());
        QList<QPair<int, QString>> lines;
        for (const auto& line : m_s->logEntries()) {
            if (line.second == u"3 apples"_s || line.second == u"bad"_s
                || line.second.startsWith(u"table: "_s) || line.second == u"detail"_s)
                lines << line;
        }
        QCOMPARE(lines.size(), 4);
        QCOMPARE(lines[0], qMakePair(int(lunette::Session::LogWarning), u"3 apples"_s));
        QCOMPARE(lines[1], qMakePair(int(lunette::Session::LogError), u"bad"_s));
        QCOMPARE(lines[2].first, int(lunette::Session::LogInfo));
        QCOMPARE(lines[3], qMakePair(int(lunette::Session::LogDebug), u"detail"_s));
    }

    void timeModule()
    {
        QCOMPARE(eval(u"local t = require('time'); return math.abs(t.now() - os.time()) < 2"_s),
            u"true"_s);
        QCOMPARE(
            eval(
                u"local t = require('time'); local a = t.monotonic(); return t.monotonic() >= a"_s),
            u"true"_s);
        QCOMPARE(eval(u"return require('time').format(86400 * 365, '!%Y-%m-%d %H:%M')"_s),
            u"1971-01-01 00:00"_s);
        QCOMPARE(eval(u"return require('time').format(0, '!%Y')"_s), u"1970"_s);
        QVERIFY(eval(u"return require('time').format(0/0)"_s).contains(u"not a finite time"_s));
    }

    // The globals' stub and the runtime agree both ways: session methods, ui functions, the
    // timer globals and diag.
    void globalsStubMatchesTheRuntime()
    {
        const QString stub = QString::fromUtf8(lunette::globalsStub());
        const auto stubbed = [&](const QString& pattern) {
            QStringList names;
            auto it = QRegularExpression(pattern, QRegularExpression::MultilineOption)
                          .globalMatch(stub);
            while (it.hasNext())
                names << it.next().captured(1);
            names.sort();
            return names.join(u' ');
        };
        const auto functionsOf = [&](const QString& table) {
            return eval(u"local t = {} for k, v in pairs(%1) do if type(v) == 'function' then t[#t "
                        u"+ 1] = k end end "
                        "table.sort(t) return table.concat(t, ' ')"_s.arg(table));
        };
        QCOMPARE(stubbed(u"^function session:(\\w+)\\("_s), functionsOf(u"session"_s));
        QCOMPARE(stubbed(u"^function ui\\.(\\w+)\\("_s), functionsOf(u"ui"_s));
        QCOMPARE(stubbed(u"^function (\\w+)\\("_s),
            eval(u"local t = {} for _, k in ipairs({'setTimeout', 'setInterval', 'setImmediate', "
                 u"'clearTimeout', "
                 "'clearInterval', 'clearImmediate', 'diag'}) do if type(_G[k]) == 'function' then "
                 "t[#t + 1] = k end end "
                 "table.sort(t) return table.concat(t, ' ')"_s));
        QVERIFY(stub.contains(u"\nEMPTY = {}"_s));
    }

    // `lunette types`: the stubs and .luarc.json in the site; other .luarc.json settings kept.
    void typeStubsAreWritten()
    {
        QTemporaryDir dir;
        QVERIFY(lunette::test::copyTree(
            lunette::test::sourceDir() + u"/tests/data/sites/async"_s, dir.path()));
        {
            QFile luarc(dir.filePath(u".luarc.json"_s));
            QVERIFY(luarc.open(QIODevice::WriteOnly));
            luarc.write(R"({"diagnostics.globals": ["mine"]})");
        }
        auto written = lunette::writeTypeStubs(dir.path());
        QVERIFY2(written, written ? "" : qPrintable(written.error()));
        QVERIFY(written->contains(u".lunette/meta/lunette.lua"_s));
        for (const lunette::ModuleDef* module : lunette::builtinModules()) {
            const QString file
                = u".lunette/meta/"_s + QString::fromLatin1(module->name) + u".lua"_s;
            QVERIFY2(written->contains(file), qPrintable(file));
            QFile stub(dir.filePath(file));
            QVERIFY(stub.open(QIODevice::ReadOnly));
            QCOMPARE(stub.readAll(), QByteArray(module->stub));
        }
        QFile luarc(dir.filePath(u".luarc.json"_s));
        QVERIFY(luarc.open(QIODevice::ReadOnly));
        const QJsonObject settings = QJsonDocument::fromJson(luarc.readAll()).object();
        QCOMPARE(settings.value(u"diagnostics.globals"_s).toArray(), QJsonArray { u"mine"_s });
        QCOMPARE(
            settings.value(u"workspace.library"_s).toArray(), QJsonArray { u".lunette/meta"_s });

        QVERIFY(!lunette::writeTypeStubs(dir.filePath(u"nope"_s)));
        QCOMPARE(lunette::writeTypeStubs(dir.filePath(u"lua"_s)).error(),
            dir.filePath(u"lua"_s) + u" is not a site: it has no lua/main.lua"_s);
    }

    // Every stub names a function the module exports and every export has a stub.
    void stubsMatchExports()
    {
        static const QRegularExpression declared(
            u"^function (\\w+)\\.(\\w+)\\(|^(\\w+)\\.(\\w+) = "_s,
            QRegularExpression::MultilineOption);
        for (const lunette::ModuleDef* module : lunette::builtinModules()) {
            const QString name = QString::fromLatin1(module->name);
            const QString stub = QString::fromUtf8(module->stub);
            QVERIFY2(stub.startsWith(u"---@meta "_s + name + u'\n'), qPrintable(name));
            QSet<QString> stubbed;
            auto it = declared.globalMatch(stub);
            while (it.hasNext()) {
                const auto m = it.next();
                const QString owner = m.captured(1).isEmpty() ? m.captured(3) : m.captured(1);
                QCOMPARE(owner, name);
                stubbed << (m.captured(2).isEmpty() ? m.captured(4) : m.captured(2));
            }
            lunette::LuaState lua;
            lua_State* L = lua.state();
            lua_pushcfunction(L, module->build);
            QVERIFY(lua.call(0, 1));
            QSet<QString> exported;
            lua_pushnil(L);
            while (lua_next(L, -2) != 0) {
                exported << QString::fromUtf8(lua_tostring(L, -2));
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
            QCOMPARE(stubbed, exported);
        }
    }
};

QTEST_GUILESS_MAIN(TestModules)
#include "test_modules.moc"
