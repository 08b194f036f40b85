// Helper of test_storage's crash test: runs a site headless — one session, no server — until it
// is killed. With tests/data/sites/storage-writer, main.lua rewrites storage.json in a loop.
//
//   storage_writer SITE

#include <cstdio>
#include <cstdlib>

#include <QCoreApplication>

#include "lua/LuaExecutor.h"
#include "session/SessionManager.h"
#include "site/Site.h"

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fputs("usage: storage_writer SITE\n", stderr);
        return 2;
    }
    auto site = lunette::Site::open(QString::fromLocal8Bit(argv[1]));
    if (!site) {
        std::fprintf(stderr, "storage_writer: %s\n", qUtf8Printable(site.error()));
        return 2;
    }
    lunette::LuaExecutor executor;
    lunette::SessionManager sessions(executor, *site);
    sessions.setLogger([](const QString&, int, const QString& text) {
        std::fprintf(stderr, "storage_writer: %s\n", qUtf8Printable(text));
    });
    sessions.createSession([](const lunette::SessionService::Created& created) {
        if (!created.ok()) {
            std::fprintf(stderr, "storage_writer: %s\n", qUtf8Printable(created.error));
            std::fflush(stderr);
            std::_Exit(1);
        }
        std::puts("started");
        std::fflush(stdout);
    });
    return QCoreApplication::exec(); // until killed
}
