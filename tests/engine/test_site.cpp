#include <QtTest>

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>

#include "site/MimeTypes.h"
#include "site/Site.h"
#include "support/TestSupport.h"

using namespace lunette;
using namespace Qt::StringLiterals;

namespace {

QString fixtureSite()
{
    return test::sourceDir() + u"/tests/data/sites/static"_s;
}

using lunette::test::writeFile;

// A minimal site in a temporary folder: lua/main.lua and, optionally, lunette.json.
struct TempSite
{
    QTemporaryDir dir;
    QString root() const { return dir.path() + u"/site"_s; }

    explicit TempSite(const QByteArray& manifest = {})
    {
        writeFile(root() + u"/lua/main.lua"_s, "-- entry\n");
        if (!manifest.isNull())
            writeFile(root() + u"/lunette.json"_s, manifest);
    }
};

} // namespace

class TestSite final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void opensTheFixture();
    void nameDefaultsToTheFolderName();
    void rootIsCanonical();
    void missingFolderIsAnError();
    void fileIsNotAFolder();
    void folderWithoutEntryIsNotASite();
    void customEntry();
    void entryMustStayInsideTheSite();
    void malformedManifestNamesFileLineAndColumn();
    void columnCountsCharactersNotBytes();
    void wrongTypedFieldsAreNamed_data();
    void wrongTypedFieldsAreNamed();
    void webSection();
    void resolveStatic_data();
    void resolveStatic();
    void resolveStaticFollowsSymlinksInsideHtml();
    void resolveStaticRefusesSymlinksOutside();
    void resolveStaticWithoutHtml();
    void mimeTypes_data();
    void mimeTypes();
};

void TestSite::initTestCase()
{
    QVERIFY2(!test::sourceDir().isEmpty(), "LUNETTE_SOURCE_DIR must be set (run through ctest)");
    QVERIFY(QFileInfo(fixtureSite()).isDir());
}

void TestSite::opensTheFixture()
{
    const auto site = Site::open(fixtureSite());
    QVERIFY2(site, qPrintable(site ? QString() : site.error()));
    const Site& s = **site;
    QCOMPARE(s.root(), QFileInfo(fixtureSite()).canonicalFilePath());
    QCOMPARE(s.name(), u"Static Fixture"_s);
    QCOMPARE(s.manifest().version, u"1.2.3"_s);
    QCOMPARE(s.manifest().title, u"Static fixture"_s);
    QCOMPARE(s.manifest().width, 800);
    QCOMPARE(s.manifest().height, 600);
    QCOMPARE(s.manifest().icon, u"html/icon.svg"_s);
    QCOMPARE(s.manifest().permissions, QStringList({ u"network"_s, u"storage"_s }));
    QCOMPARE(s.manifest().entry, u"lua/main.lua"_s);
    QCOMPARE(s.entryPath(), s.root() + u"/lua/main.lua"_s);
    QCOMPARE(s.luaDir(), s.root() + u"/lua"_s);
    QCOMPARE(s.htmlDir(), s.root() + u"/html"_s);
    QCOMPARE(s.viewdefsDir(), s.root() + u"/viewdefs"_s);
    QVERIFY(s.hasHtml());
}

void TestSite::nameDefaultsToTheFolderName()
{
    TempSite temp;
    const auto site = Site::open(temp.root());
    QVERIFY(site);
    QCOMPARE((*site)->name(), u"site"_s);
    QCOMPARE((*site)->manifest().entry, u"lua/main.lua"_s);
    QCOMPARE((*site)->manifest().width, 0);
    QVERIFY((*site)->manifest().permissions.isEmpty());
    QVERIFY(!(*site)->hasHtml());
}

void TestSite::rootIsCanonical()
{
    TempSite temp;
    const QString link = temp.dir.path() + u"/link"_s;
    QVERIFY(QFile::link(temp.root(), link));
    const auto site = Site::open(link + u"/../site/"_s);
    QVERIFY(site);
    QCOMPARE((*site)->root(), QFileInfo(temp.root()).canonicalFilePath());
    const auto viaLink = Site::open(link);
    QVERIFY(viaLink);
    QCOMPARE((*viaLink)->root(), QFileInfo(temp.root()).canonicalFilePath());
}

void TestSite::missingFolderIsAnError()
{
    QTemporaryDir dir;
    const QString missing = dir.path() + u"/nope"_s;
    const auto site = Site::open(missing);
    QVERIFY(!site);
    QCOMPARE(site.error(), u"'%1' does not exist"_s.arg(QDir::toNativeSeparators(missing)));
}

void TestSite::fileIsNotAFolder()
{
    QTemporaryDir dir;
    const QString file = dir.path() + u"/file.txt"_s;
    QVERIFY(writeFile(file, "x"));
    const auto site = Site::open(file);
    QVERIFY(!site);
    QCOMPARE(site.error(), u"'%1' is not a folder"_s.arg(QDir::toNativeSeparators(file)));
}

void TestSite::folderWithoutEntryIsNotASite()
{
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkpath(u"empty/lua"_s));
    const QString folder = dir.path() + u"/empty"_s;
    const auto site = Site::open(folder);
    QVERIFY(!site);
    QCOMPARE(site.error(),
        u"'%1' is not a site: it has no lua/main.lua"_s.arg(QDir::toNativeSeparators(folder)));
}

void TestSite::customEntry()
{
    TempSite temp(R"({"entry": "app/start.lua"})");
    const auto missing = Site::open(temp.root());
    QVERIFY(!missing);
    QVERIFY2(missing.error().endsWith(u"is not a site: it has no app/start.lua"_s),
        qPrintable(missing.error()));

    QVERIFY(writeFile(temp.root() + u"/app/start.lua"_s, "-- start\n"));
    const auto site = Site::open(temp.root());
    QVERIFY(site);
    QCOMPARE((*site)->entryPath(), (*site)->root() + u"/app/start.lua"_s);
}

void TestSite::entryMustStayInsideTheSite()
{
    for (const QByteArray entry : { "../outside.lua", "/etc/passwd", "lua/../../x.lua", "" }) {
        TempSite temp(R"({"entry": ")" + entry + R"("})");
        const auto site = Site::open(temp.root());
        QVERIFY2(!site, entry.constData());
        QVERIFY2(site.error().contains(u"\"entry\" must be a relative path inside the site"_s),
            qPrintable(site.error()));
    }
}

void TestSite::malformedManifestNamesFileLineAndColumn()
{
    // Missing comma at the end of line 2: the parser stops on line 3.
    TempSite temp("{\n  \"name\": \"x\"\n  \"version\": \"1\"\n}\n");
    const auto site = Site::open(temp.root());
    QVERIFY(!site);
    const QString manifest
        = QDir::toNativeSeparators(QFileInfo(temp.root()).canonicalFilePath() + u"/lunette.json"_s);
    const QRegularExpression pattern(
        u"^"_s + QRegularExpression::escape(manifest) + u":3:(\\d+): invalid JSON: .+$"_s);
    const auto match = pattern.match(site.error());
    QVERIFY2(match.hasMatch(), qPrintable(site.error()));
    const int column = match.captured(1).toInt();
    QVERIFY2(column >= 1 && column <= 4, qPrintable(site.error())); // at the second key's quote
}

void TestSite::columnCountsCharactersNotBytes()
{
    // Same error position, but the line before it holds multi-byte characters: the reported
    // line must be the same and the column must be counted on the error's own line.
    TempSite ascii("{\"a\": \"xx\",\n \"b\": ?}");
    TempSite utf8("{\"a\": \"\xC3\xA9\xC3\xA9\",\n \"b\": ?}");
    TempSite sameLine("{\"a\": \"\xC3\xA9\xC3\xA9\", \"b\": ?}");
    TempSite sameLineAscii("{\"a\": \"xx\", \"b\": ?}");
    const auto position = [](const TempSite& temp) {
        const auto site = Site::open(temp.root());
        const QRegularExpression pattern(u"lunette\\.json:(\\d+):(\\d+): invalid JSON"_s);
        const auto match = pattern.match(site ? QString() : site.error());
        return match.hasMatch() ? std::pair(match.captured(1).toInt(), match.captured(2).toInt())
                                : std::pair(-1, -1);
    };
    QCOMPARE(position(ascii).first, 2);
    QCOMPARE(position(utf8), position(ascii));
    QCOMPARE(position(sameLine).first, 1);
    QCOMPARE(position(sameLine), position(sameLineAscii));
}

void TestSite::wrongTypedFieldsAreNamed_data()
{
    QTest::addColumn<QByteArray>("manifest");
    QTest::addColumn<QString>("message");
    QTest::newRow("top level") << QByteArray("[1, 2]") << u"the top level must be a JSON object"_s;
    QTest::newRow("name") << QByteArray(R"({"name": 5})") << u"\"name\" must be a string"_s;
    QTest::newRow("version") << QByteArray(R"({"version": 1.5})")
                             << u"\"version\" must be a string"_s;
    QTest::newRow("entry") << QByteArray(R"({"entry": true})") << u"\"entry\" must be a string"_s;
    QTest::newRow("window") << QByteArray(R"({"window": []})") << u"\"window\" must be an object"_s;
    QTest::newRow("title") << QByteArray(R"({"window": {"title": {}}})")
                           << u"\"window.title\" must be a string"_s;
    QTest::newRow("width string") << QByteArray(R"({"window": {"width": "800"}})")
                                  << u"\"window.width\" must be a positive integer"_s;
    QTest::newRow("width fraction") << QByteArray(R"({"window": {"width": 800.5}})")
                                    << u"\"window.width\" must be a positive integer"_s;
    QTest::newRow("height negative") << QByteArray(R"({"window": {"height": -1}})")
                                     << u"\"window.height\" must be a positive integer"_s;
    QTest::newRow("icon") << QByteArray(R"({"window": {"icon": 3}})")
                          << u"\"window.icon\" must be a string"_s;
    QTest::newRow("permissions string") << QByteArray(R"({"permissions": "network"})")
                                        << u"\"permissions\" must be an array of strings"_s;
    QTest::newRow("permissions items") << QByteArray(R"({"permissions": ["network", 1]})")
                                       << u"\"permissions\" must be an array of strings"_s;
    QTest::newRow("web") << QByteArray(R"({"web": "/hooks"})") << u"\"web\" must be an object"_s;
    const QString prefix
        = u"\"web.prefix\" must be a path like \"/hooks\" (letters, digits, '-', '_', "
          "'.', '~' between slashes; not /api, /ws, /lunette or a session id)"_s;
    QTest::newRow("web.prefix api") << QByteArray(R"({"web": {"prefix": "/api"}})") << prefix;
    QTest::newRow("web.prefix ws below") << QByteArray(R"({"web": {"prefix": "/ws/x"}})") << prefix;
    QTest::newRow("web.prefix lunette")
        << QByteArray(R"({"web": {"prefix": "/lunette"}})") << prefix;
    QTest::newRow("web.prefix root") << QByteArray(R"({"web": {"prefix": "/"}})") << prefix;
    QTest::newRow("web.prefix relative") << QByteArray(R"({"web": {"prefix": "hooks"}})") << prefix;
    QTest::newRow("web.prefix dot-dot")
        << QByteArray(R"({"web": {"prefix": "/a/../b"}})") << prefix;
    QTest::newRow("web.prefix session id")
        << QByteArray(R"({"web": {"prefix": "/0123456789abcdef0123456789abcdef"}})") << prefix;
    QTest::newRow("web.prefix number")
        << QByteArray(R"({"web": {"prefix": 7}})") << u"\"web.prefix\" must be a string"_s;
    QTest::newRow("web.public outside")
        << QByteArray(R"({"web": {"prefix": "/hooks", "public": ["/other/ping"]}})")
        << u"\"web.public\" must be an array of route paths under web.prefix (/hooks)"_s;
}

void TestSite::webSection()
{
    TempSite plain(QByteArray("{}"));
    const auto defaults = Site::open(plain.root());
    QVERIFY(defaults);
    QCOMPARE((*defaults)->manifest().webPrefix, u"/hooks"_s);
    QVERIFY((*defaults)->manifest().webPublic.isEmpty());
    TempSite custom(
        QByteArray(R"({"web": {"prefix": "/app/v1", "public": ["/app/v1/ping", "/app/v1"]}})"));
    const auto site = Site::open(custom.root());
    QVERIFY2(site, site ? "" : qPrintable(site.error()));
    QCOMPARE((*site)->manifest().webPrefix, u"/app/v1"_s);
    QCOMPARE((*site)->manifest().webPublic, (QStringList { u"/app/v1/ping"_s, u"/app/v1"_s }));
}

void TestSite::wrongTypedFieldsAreNamed()
{
    QFETCH(QByteArray, manifest);
    QFETCH(QString, message);
    TempSite temp(manifest);
    const auto site = Site::open(temp.root());
    QVERIFY(!site);
    const QString path
        = QDir::toNativeSeparators(QFileInfo(temp.root()).canonicalFilePath() + u"/lunette.json"_s);
    QCOMPARE(site.error(), path + u": "_s + message);
}

void TestSite::resolveStatic_data()
{
    QTest::addColumn<QString>("urlPath");
    QTest::addColumn<QString>("file"); // relative to html/, or empty on failure
    QTest::addColumn<int>("kind"); // StaticError::Kind on failure
    const int notFound = int(StaticError::Kind::NotFound);
    const int forbidden = int(StaticError::Kind::Forbidden);
    QTest::newRow("file") << u"/app.css"_s << u"app.css"_s << -1;
    QTest::newRow("root dir") << u"/"_s << u"index.html"_s << -1;
    QTest::newRow("empty") << QString() << u"index.html"_s << -1;
    QTest::newRow("sub dir") << u"/sub"_s << u"sub/index.html"_s << -1;
    QTest::newRow("sub dir slash") << u"/sub/"_s << u"sub/index.html"_s << -1;
    QTest::newRow("double slash") << u"//sub//index.html"_s << u"sub/index.html"_s << -1;
    QTest::newRow("encoded space") << u"/a%20b.txt"_s << u"a b.txt"_s << -1;
    QTest::newRow("encoded letter") << u"/app.%63ss"_s << u"app.css"_s << -1;
    QTest::newRow("missing") << u"/missing.css"_s << QString() << notFound;
    QTest::newRow("missing dir index") << u"/nothing/"_s << QString() << notFound;
    QTest::newRow("dot dot") << u"/../lunette.json"_s << QString() << forbidden;
    QTest::newRow("dot dot inside") << u"/sub/../../lunette.json"_s << QString() << forbidden;
    QTest::newRow("dot") << u"/./app.css"_s << QString() << forbidden;
    QTest::newRow("encoded dot dot") << u"/%2e%2e/lunette.json"_s << QString() << forbidden;
    QTest::newRow("encoded dot dot upper") << u"/%2E%2E/lunette.json"_s << QString() << forbidden;
    QTest::newRow("half encoded") << u"/.%2e/lunette.json"_s << QString() << forbidden;
    QTest::newRow("encoded slash") << u"/..%2flunette.json"_s << QString() << forbidden;
    QTest::newRow("encoded slash upper") << u"/sub%2Findex.html"_s << QString() << forbidden;
    QTest::newRow("backslash") << u"/..\\lunette.json"_s << QString() << forbidden;
    QTest::newRow("encoded backslash") << u"/..%5clunette.json"_s << QString() << forbidden;
    QTest::newRow("nul") << u"/app.css%00.txt"_s << QString() << forbidden;
    QTest::newRow("raw nul") << u"/app.css"_s + QChar(0) << QString() << forbidden;
}

void TestSite::resolveStatic()
{
    QFETCH(QString, urlPath);
    QFETCH(QString, file);
    QFETCH(int, kind);
    const auto site = Site::open(fixtureSite());
    QVERIFY(site);
    const auto resolved = (*site)->resolveStatic(urlPath);
    if (file.isEmpty()) {
        QVERIFY2(!resolved, qPrintable(resolved ? *resolved : QString()));
        QCOMPARE(int(resolved.error().kind), kind);
        QVERIFY(!resolved.error().reason.isEmpty());
    } else {
        QVERIFY2(resolved, qPrintable(resolved ? QString() : resolved.error().reason));
        QCOMPARE(*resolved, (*site)->htmlDir() + u'/' + file);
    }
}

void TestSite::resolveStaticFollowsSymlinksInsideHtml()
{
    TempSite temp;
    QVERIFY(writeFile(temp.root() + u"/html/real/page.html"_s, "real"));
    QVERIFY(
        QFile::link(temp.root() + u"/html/real/page.html"_s, temp.root() + u"/html/alias.html"_s));
    QVERIFY(QFile::link(temp.root() + u"/html/real"_s, temp.root() + u"/html/linked"_s));
    const auto site = Site::open(temp.root());
    QVERIFY(site);
    const QString real = (*site)->htmlDir() + u"/real/page.html"_s;
    QCOMPARE((*site)->resolveStatic(u"/alias.html").value(), real);
    QCOMPARE((*site)->resolveStatic(u"/linked/page.html").value(), real);
}

void TestSite::resolveStaticRefusesSymlinksOutside()
{
    TempSite temp;
    QVERIFY(writeFile(temp.root() + u"/html/index.html"_s, "index"));
    QVERIFY(writeFile(temp.root() + u"/private/secret.txt"_s, "inside the site, outside html"));
    QVERIFY(writeFile(temp.dir.path() + u"/outside.txt"_s, "outside the site"));
    const QString html = temp.root() + u"/html"_s;
    QVERIFY(QFile::link(temp.root() + u"/private/secret.txt"_s, html + u"/secret.txt"_s));
    QVERIFY(QFile::link(temp.dir.path() + u"/outside.txt"_s, html + u"/outside.txt"_s));
    QVERIFY(QFile::link(temp.root() + u"/private"_s, html + u"/private"_s));
    QVERIFY(QFile::link(temp.dir.path(), html + u"/up"_s));
    QVERIFY(QFile::link(temp.root() + u"/nowhere"_s, html + u"/dangling.txt"_s));

    const auto site = Site::open(temp.root());
    QVERIFY(site);
    for (const auto path :
        { u"/secret.txt", u"/outside.txt", u"/private/secret.txt", u"/up/outside.txt" }) {
        const auto resolved = (*site)->resolveStatic(path);
        QVERIFY2(!resolved, qPrintable(QStringView(path).toString()));
        QCOMPARE(resolved.error().kind, StaticError::Kind::Forbidden);
    }
    const auto dangling = (*site)->resolveStatic(u"/dangling.txt");
    QVERIFY(!dangling);
    QCOMPARE(dangling.error().kind, StaticError::Kind::NotFound);
}

void TestSite::resolveStaticWithoutHtml()
{
    TempSite temp;
    const auto site = Site::open(temp.root());
    QVERIFY(site);
    QVERIFY(!(*site)->hasHtml());
    const auto resolved = (*site)->resolveStatic(u"/index.html");
    QVERIFY(!resolved);
    QCOMPARE(resolved.error().kind, StaticError::Kind::NotFound);
}

void TestSite::mimeTypes_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("type");
    QTest::newRow("html") << u"index.html"_s << QByteArray("text/html; charset=utf-8");
    QTest::newRow("upper case") << u"INDEX.HTML"_s << QByteArray("text/html; charset=utf-8");
    QTest::newRow("js") << u"/a/b/app.js"_s << QByteArray("text/javascript; charset=utf-8");
    QTest::newRow("mjs") << u"mod.mjs"_s << QByteArray("text/javascript; charset=utf-8");
    QTest::newRow("css") << u"app.css"_s << QByteArray("text/css; charset=utf-8");
    QTest::newRow("json") << u"data.json"_s << QByteArray("application/json");
    QTest::newRow("map") << u"app.js.map"_s << QByteArray("application/json");
    QTest::newRow("svg") << u"icon.svg"_s << QByteArray("image/svg+xml");
    QTest::newRow("png") << u"a.png"_s << QByteArray("image/png");
    QTest::newRow("jpg") << u"a.jpg"_s << QByteArray("image/jpeg");
    QTest::newRow("jpeg") << u"a.jpeg"_s << QByteArray("image/jpeg");
    QTest::newRow("gif") << u"a.gif"_s << QByteArray("image/gif");
    QTest::newRow("webp") << u"a.webp"_s << QByteArray("image/webp");
    QTest::newRow("ico") << u"favicon.ico"_s << QByteArray("image/x-icon");
    QTest::newRow("woff") << u"f.woff"_s << QByteArray("font/woff");
    QTest::newRow("woff2") << u"f.woff2"_s << QByteArray("font/woff2");
    QTest::newRow("ttf") << u"f.ttf"_s << QByteArray("font/ttf");
    QTest::newRow("otf") << u"f.otf"_s << QByteArray("font/otf");
    QTest::newRow("wasm") << u"m.wasm"_s << QByteArray("application/wasm");
    QTest::newRow("txt") << u"notes.txt"_s << QByteArray("text/plain; charset=utf-8");
    // Not in the table: Qt's built-in MIME database answers.
    QTest::newRow("pdf (database)") << u"doc.pdf"_s << QByteArray("application/pdf");
    QTest::newRow("unknown") << u"blob.zzqx"_s << QByteArray("application/octet-stream");
    QTest::newRow("no extension") << u"blobfile"_s << QByteArray("application/octet-stream");
    QTest::newRow("dot in folder") << u"v1.2/blobfile"_s << QByteArray("application/octet-stream");
}

void TestSite::mimeTypes()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, type);
    QCOMPARE(mimeTypeFor(name), type);
}

QTEST_GUILESS_MAIN(TestSite)
#include "test_site.moc"
