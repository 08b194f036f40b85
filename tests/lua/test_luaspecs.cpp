// Runs every tests/lua/*_spec.lua inside a real session of the fixture site
// tests/data/sites/specs (copied to a temporary folder, so specs may write files and hot-reload
// them). The spec framework is tests/lua/spec.lua; the driver adds two globals:
//   writeFile(relativePath, text)  writes a file of the temporary site
//   reload(trackingKey)            hot-reloads that file in this session (Session::reloadFile)

#include <future>

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "lua/LuaExecutor.h"
#include "lua/LuaRuntime.h"
#include "session/SessionManager.h"
#include "site/Site.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;

namespace {


lunette::Session* sessionOf(lua_State* L)
{
    return static_cast<lunette::Session*>(lua_touserdata(L, lua_upvalueindex(1)));
}

int writeFile(lua_State* L)
{
    lunette::Session* s = sessionOf(L);
    const QString path = lunette::lua::checkQString(L, 1);
    size_t len = 0;
    const char* text = luaL_checklstring(L, 2, &len);
    if (path.contains(u".."_s) || QDir::isAbsolutePath(path))
        return luaL_error(L, "writeFile: path must stay inside the site");
    QFile file(s->site().root() + u'/' + path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || file.write(text, static_cast<qint64>(len)) != static_cast<qint64>(len))
        return luaL_error(L, "writeFile: cannot write %s", path.toUtf8().constData());
    return 0;
}

int reload(lua_State* L)
{
    lunette::Session* s = sessionOf(L);
    const QString key = lunette::lua::checkQString(L, 1);
    auto result = s->reloadFile(key);
    if (!result) {
        const QByteArray message = result.error().message.toUtf8();
        return luaL_error(L, "reload %s failed: %s", key.toUtf8().constData(), message.constData());
    }
    return 0;
}

struct SpecResult
{
    QString error; // the spec file itself failed to load or run
    int count = 0;
    QStringList failures;
};

} // namespace

class TestLuaSpecs final : public QObject
{
    Q_OBJECT

private slots:
    void specs_data()
    {
        QTest::addColumn<QString>("file");
        const QString dir = lunette::test::sourceDir() + u"/tests/lua"_s;
        const QStringList files = QDir(dir).entryList({ u"*_spec.lua"_s }, QDir::Files, QDir::Name);
        QVERIFY(!files.isEmpty());
        for (const QString& f : files)
            QTest::newRow(qPrintable(f)) << dir + u'/' + f;
    }

    void specs()
    {
        QFETCH(QString, file);
        QTemporaryDir temp;
        QVERIFY(temp.isValid());
        QVERIFY(lunette::test::copyTree(lunette::test::sourceDir() + u"/tests/data/sites/specs"_s, temp.path()));
        auto site = lunette::Site::open(temp.path());
        QVERIFY2(site, qPrintable(site ? QString() : site.error()));

        QFile framework(lunette::test::sourceDir() + u"/tests/lua/spec.lua"_s);
        QFile spec(file);
        QVERIFY(framework.open(QIODevice::ReadOnly) && spec.open(QIODevice::ReadOnly));
        const QByteArray frameworkCode = framework.readAll();
        const QByteArray specCode = spec.readAll();
        const QString specName = u"tests/lua/"_s + QFileInfo(file).fileName();

        lunette::LuaExecutor executor;
        lunette::SessionManager sessions(executor, *site);
        std::promise<QString> created;
        sessions.createSession([&](const lunette::SessionService::Created& c) {
            created.set_value(c.ok() ? c.sessionId : u"!"_s + c.error);
        });
        const QString id = created.get_future().get();
        QVERIFY2(!id.startsWith(u'!'), qPrintable(id));

        std::promise<SpecResult> done;
        sessions.withSession(id, [&](lunette::Session* s) {
            SpecResult result;
            auto turn = s->runTurn([&] {
                lua_State* L = s->lua().state();
                lua_pushlightuserdata(L, s);
                lua_pushcclosure(L, writeFile, 1);
                lua_setglobal(L, "writeFile");
                lua_pushlightuserdata(L, s);
                lua_pushcclosure(L, reload, 1);
                lua_setglobal(L, "reload");
                for (const auto& [code, name] : { std::pair { frameworkCode, u"tests/lua/spec.lua"_s },
                                                   std::pair { specCode, specName } }) {
                    if (auto loaded = s->lua().load(code, name); !loaded) {
                        result.error = loaded.error().message;
                        return;
                    }
                    if (auto ran = s->lua().call(0, 0); !ran) {
                        result.error = ran.error().fullText();
                        return;
                    }
                }
                lua_getglobal(L, "__runSpecs");
                auto ran = s->lua().call(0, 2);
                if (!ran) {
                    result.error = ran.error().fullText();
                    return;
                }
                result.count = static_cast<int>(lua_tointeger(L, -2));
                const lua_Integer n = luaL_len(L, -1);
                for (lua_Integer i = 1; i <= n; ++i) {
                    lua_rawgeti(L, -1, i);
                    result.failures << lunette::lua::toQString(L, -1);
                    lua_pop(L, 1);
                }
                lua_pop(L, 2);
            });
            if (!turn && result.error.isEmpty())
                result.error = turn.error().fullText();
            done.set_value(result);
        });
        const SpecResult result = done.get_future().get();
        sessions.shutdown();
        executor.shutdown();

        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        QVERIFY2(result.count > 0, "the spec registered no tests");
        for (const QString& f : result.failures)
            qWarning().noquote() << "FAILED:" << f;
        QVERIFY2(result.failures.isEmpty(),
                 qPrintable(u"%1 of %2 specs failed"_s.arg(result.failures.size()).arg(result.count)));
        qInfo().noquote() << result.count << "specs passed in" << QFileInfo(file).fileName();
    }
};

QTEST_GUILESS_MAIN(TestLuaSpecs)
#include "test_luaspecs.moc"
