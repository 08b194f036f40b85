// libFuzzer target: HTTP request path canonicalization and static file lookup
// (Site::resolveStatic, engine/site/Site.h).
//
// Input: the request target of an HTTP request line. It reaches resolveStatic the way
// SiteServer::Core::handleRequest gets it from Qt 6.4's QHttpServerRequest: the target is the text
// between the request line's first two spaces (so it holds neither a space nor a line feed),
// parsed with QUrl::fromEncoded (QHttpServerRequestPrivate::parseRequestLine), then given the
// Host header's authority, a scheme and a port (readHeader), and read back with
// url.path(QUrl::FullyEncoded). The raw bytes (as UTF-8) are also passed directly, since
// resolveStatic must be safe for any text.
//
// Fixture (made once): a site in a temporary folder with html/index.html, html/sub/a b.css,
// html/sub/deeper/index.html, a secret beside html/, and links inside html/: to the secret, to a
// file outside the site, to html/ itself, to a missing file, and a loop.
//
// Oracle: every resolved path is an existing regular file, canonical, strictly inside the
// canonical html/ folder, and never the secret or the outside file.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <QByteArray>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QUrl>

#include "site/Site.h"

using namespace Qt::StringLiterals;

namespace {

struct Fixture
{
    QTemporaryDir dir;
    std::shared_ptr<const lunette::Site> site;
    QString htmlRoot; // canonical
    QString secret; // canonical
    QString outside; // canonical
};

Fixture* g_fixture = nullptr;

[[noreturn]] void fail(const char* what, const QByteArray& detail = {})
{
    std::fprintf(stderr, "fuzz_static: %s %s\n", what, detail.constData());
    std::abort();
}

bool write(const QString& path, const QByteArray& content)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(content) == content.size();
}

void removeFixture()
{
    delete g_fixture;
    g_fixture = nullptr;
}

void check(QStringView urlPath, const QByteArray& input)
{
    const auto resolved = g_fixture->site->resolveStatic(urlPath);
    if (!resolved)
        return;
    const QString& file = *resolved;
    const QFileInfo info(file);
    const QByteArray detail = "for " + urlPath.toUtf8().toPercentEncoding("/") + " (input "
        + input.toPercentEncoding() + "): " + file.toUtf8();
    if (!info.isFile())
        fail("resolved to something that is not a regular file", detail);
    if (info.canonicalFilePath() != file)
        fail("resolved to a path that is not canonical", detail);
    if (!file.startsWith(g_fixture->htmlRoot + u'/'))
        fail("resolved to a file outside html/", detail);
    if (file == g_fixture->secret || file == g_fixture->outside)
        fail("resolved to a file that must never be served", detail);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv)
{
    (void)new QCoreApplication(*argc, *argv); // lives as long as the process
    auto* fixture = new Fixture;
    g_fixture = fixture;
    std::atexit(removeFixture);
    if (!fixture->dir.isValid())
        fail("no temporary folder");
    const QString root = fixture->dir.path();
    const QString site = root + u"/site"_s;
    const bool written = write(site + u"/lua/main.lua"_s, "-- fuzz_static fixture\n")
        && write(site + u"/html/index.html"_s, "<p>index</p>")
        && write(site + u"/html/sub/a b.css"_s, "p {}")
        && write(site + u"/html/sub/deeper/index.html"_s, "<p>deeper</p>")
        && write(site + u"/html/%41.txt"_s, "percent in a file name")
        && write(site + u"/secret.txt"_s, "secret") && write(root + u"/outside.txt"_s, "outside");
    if (!written)
        fail("cannot write the fixture site");
    const bool linked = QFile::link(u"../secret.txt"_s, site + u"/html/secret-link.txt"_s)
        && QFile::link(root + u"/outside.txt"_s, site + u"/html/outside-link.txt"_s)
        && QFile::link(u".."_s, site + u"/html/sub/up"_s)
        && QFile::link(u"../.."_s, site + u"/html/sub/top"_s)
        && QFile::link(u"sub/a b.css"_s, site + u"/html/inside-link.css"_s)
        && QFile::link(u"missing.txt"_s, site + u"/html/dangling"_s)
        && QFile::link(u"loop"_s, site + u"/html/loop"_s);
    if (!linked)
        fail("cannot make the fixture's links");

    auto opened = lunette::Site::open(site);
    if (!opened)
        fail("cannot open the fixture site", opened.error().toUtf8());
    fixture->site = *opened;
    fixture->htmlRoot = QFileInfo(site + u"/html"_s).canonicalFilePath();
    fixture->secret = QFileInfo(site + u"/secret.txt"_s).canonicalFilePath();
    fixture->outside = QFileInfo(root + u"/outside.txt"_s).canonicalFilePath();

    // The fixture must serve what it should, or the oracle checks nothing.
    for (const auto& [path, expected] : { std::pair { u"/index.html"_s, u"/index.html"_s },
             std::pair { u"/sub/a%20b.css"_s, u"/sub/a b.css"_s },
             std::pair { u"/sub/deeper/"_s, u"/sub/deeper/index.html"_s },
             std::pair { u"/inside-link.css"_s, u"/sub/a b.css"_s } }) {
        const auto resolved = fixture->site->resolveStatic(path);
        if (!resolved || *resolved != fixture->htmlRoot + expected)
            fail("the fixture does not serve", path.toUtf8());
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));

    // Any text at all.
    check(QString::fromUtf8(input), input);

    // The request target as QHttpServer 6.4 reads it from "GET <target> HTTP/1.1\r\n".
    qsizetype end = 0;
    while (end < input.size() && input.at(end) != ' ' && input.at(end) != '\n')
        ++end;
    QUrl url = QUrl::fromEncoded(input.left(end));
    url.setAuthority(u"127.0.0.1:8080"_s); // the Host header the Authorizer lets through
    if (url.scheme().isEmpty())
        url.setScheme(u"http"_s);
    check(url.path(QUrl::FullyEncoded), input);
    return 0;
}
