#include "SiteHost.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

#include "Instances.h"
#include "hotload/FileWatcher.h"
#include "hotload/HotLoader.h"
#include "lua/LuaExecutor.h"
#include "site/Site.h"

using namespace Qt::StringLiterals;

namespace lunette {

Expected<std::unique_ptr<SiteHost>, QString> SiteHost::start(
    const QString& siteFolder, Options options)
{
    SiteServer::preloadTls(); // on another core while the site loads
    auto site = Site::open(siteFolder);
    if (!site)
        return unexpected(site.error());
    if (options.server.shoelaceDir.isEmpty())
        options.server.shoelaceDir = shoelaceDirectory();

    std::unique_ptr<SiteHost> host(new SiteHost);
    host->m_site = *site;
    host->m_executor = std::make_unique<LuaExecutor>();
    host->m_sessions
        = std::make_unique<SessionManager>(*host->m_executor, host->m_site, options.sessions);
    host->m_server
        = std::make_unique<SiteServer>(host->m_site, *host->m_sessions, std::move(options.server));
    if (auto started = host->m_server->start(); !started)
        return unexpected(started.error());
    if (options.hotload)
        host->startHotload();
    if (options.advertise) {
        instances::Instance self;
        self.origin = host->m_server->origin();
        self.token = host->m_server->token();
        self.site = host->m_site->root();
        self.name = host->m_site->name();
        // Not being findable is no reason not to run: `lunette eval --url` still works.
        if (auto written = instances::advertise(self); written)
            host->m_instanceFile = *written;
        else
            qWarning("lunette: %s", qUtf8Printable(written.error()));
    }
    return host;
}

void SiteHost::startHotload()
{
    m_hotLoader = std::make_unique<HotLoader>(*m_sessions);
    m_watcher = std::make_unique<FileWatcher>(m_site->root());
    HotLoader* loader = m_hotLoader.get();
    QObject::connect(m_watcher.get(), &FileWatcher::fileChanged, loader,
        [loader](const QString& key) { loader->fileChanged(key); });
    QObject::connect(m_watcher.get(), &FileWatcher::fileAdded, loader,
        [loader](const QString& key) { loader->fileChanged(key); });
    QObject::connect(m_watcher.get(), &FileWatcher::fileRemoved, loader,
        [loader](const QString& key) { loader->fileRemoved(key); });
    // lua/ is recursive: dotted requires (require "ui.widgets") live in sub-folders.
    m_watcher->watchDirectory(u"lua"_s, true, { u"*.lua"_s });
    m_watcher->watchDirectory(u"apps"_s, true, { u"*.lua"_s, u"*.html"_s });
    m_watcher->watchDirectory(u"viewdefs"_s, true, { u"*.html"_s });
    m_watcher->watchDirectory(u"html"_s, true, { u"*"_s });

    // What GET /api/site reports: live editing is on, and how the last reload went.
    SiteServer* server = m_server.get();
    const auto record = [server](const QString& key, bool ok, const QString& message = {},
                            const QString& location = {}, const QString& traceback = {}) {
        HotReloadState state = server->hotReloadState();
        state.last = HotReloadState::Reload { key, ok, message, location, traceback,
            QDateTime::currentDateTimeUtc() };
        server->setHotReloadState(state);
    };
    QObject::connect(loader, &HotLoader::luaReloaded, loader,
        [record](const QString& key, int) { record(key, true); });
    QObject::connect(loader, &HotLoader::luaReloadFailed, loader,
        [record](const QString& key, const QString& message, const QString& location,
            const QString& traceback) { record(key, false, message, location, traceback); });
    QObject::connect(loader, &HotLoader::viewdefReloaded, loader,
        [record](const QString& key) { record(key, true); });
    QObject::connect(loader, &HotLoader::pageFileChanged, loader,
        [record](const QString& key) { record(key, true); });
    setHotReloadEnabled(true);
}

void SiteHost::setHotReloadEnabled(bool on)
{
    if (!m_server)
        return;
    HotReloadState state = m_server->hotReloadState();
    state.enabled = on;
    m_server->setHotReloadState(state);
}

void SiteHost::setHotload(bool on)
{
    if (on == hotloadEnabled())
        return;
    if (on)
        startHotload();
    else
        stopHotload();
}

void SiteHost::stopHotload()
{
    // No more reloads; reloads already queued on the executor finish (they report through the
    // loader) before it goes.
    m_watcher.reset();
    if (m_hotLoader && m_executor)
        m_executor->execute([] {});
    m_hotLoader.reset();
    setHotReloadEnabled(false);
}

SiteHost::~SiteHost()
{
    instances::withdraw(m_instanceFile);
    stopHotload();
    if (m_server)
        m_server->stop();
    if (m_sessions)
        m_sessions->shutdown();
    m_server.reset();
    m_sessions.reset();
    if (m_executor)
        m_executor->shutdown();
}

QString SiteHost::shoelaceDirectory()
{
    const auto isShoelace = [](const QString& dir) {
        return !dir.isEmpty() && QFileInfo(dir + u"/shoelace-autoloader.js"_s).isFile();
    };
    const QString fromEnvironment = qEnvironmentVariable("LUNETTE_SHOELACE_DIR");
    if (isShoelace(fromEnvironment))
        return QDir(fromEnvironment).absolutePath();
    if (QCoreApplication::instance()) {
        const QString appDir = QCoreApplication::applicationDirPath();
        for (const QString& candidate :
            QStringList { appDir + u"/../share/lunette/shoelace"_s, appDir + u"/shoelace"_s }) {
            if (isShoelace(candidate))
                return QDir(candidate).absolutePath();
        }
    }
#ifdef LUNETTE_BUILD_SHOELACE_DIR
    if (isShoelace(QStringLiteral(LUNETTE_BUILD_SHOELACE_DIR)))
        return QStringLiteral(LUNETTE_BUILD_SHOELACE_DIR);
#endif
    return {};
}

} // namespace lunette
