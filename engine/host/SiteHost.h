#pragma once

// SiteHost: one running site — its Lua executor, its sessions and its loopback server — put
// together the same way for the desktop app, `lunette-server` and the end-to-end tests.
//
//   auto host = SiteHost::start(u"sites/contacts"_s);
//   if (!host) report(host.error());          // "no lua/main.lua in …", "cannot listen on …"
//   view->load((*host)->url());               // http://127.0.0.1:PORT/?token=…
//
// Destroying the host stops the server (WebSockets close with 1001), ends every session and
// joins the executor, in that order.

#include <memory>

#include <QString>
#include <QUrl>

#include "lua/Expected.h"
#include "server/SiteServer.h"
#include "session/SessionManager.h"

namespace lunette {

class FileWatcher;
class HotLoader;
class LuaExecutor;
class Site;

class SiteHost final
{
public:
    struct Options
    {
        SessionManager::Options sessions;
        SiteServerOptions server; // server.shoelaceDir empty: shoelaceDirectory() is used
        // Live editing (HOTLOAD.md): watch lua/, apps/, viewdefs/ and html/ and reload what
        // changes. The watcher lives on the thread that calls start().
        bool hotload = false;
        // Advertise this instance to `lunette eval` (Instances.h): a private file with the URL
        // and the token in the user's runtime folder while the host runs.
        bool advertise = false;
    };

    static Expected<std::unique_ptr<SiteHost>, QString> start(
        const QString& siteFolder, Options options);
    static Expected<std::unique_ptr<SiteHost>, QString> start(const QString& siteFolder)
    {
        return start(siteFolder, Options {});
    }
    ~SiteHost();

    SiteHost(const SiteHost&) = delete;
    SiteHost& operator=(const SiteHost&) = delete;

    const std::shared_ptr<const Site>& site() const { return m_site; }
    LuaExecutor& executor() { return *m_executor; }
    SessionManager& sessions() { return *m_sessions; }
    SiteServer& server() { return *m_server; }
    // The site's URL with the launch token (opening it creates a session).
    QUrl url() const { return m_server->url(); }
    // Turn live editing on or off while the site runs (the app's "Hot reload" toggle). Turning it
    // off lets reloads already queued finish first; edits made while it is off are picked up by
    // the next save after it is back on. Call on the thread that called start().
    void setHotload(bool on);
    bool hotloadEnabled() const { return m_watcher != nullptr; }
    // The live-editing pieces, or nullptr when hot reload is off.
    HotLoader* hotLoader() const { return m_hotLoader.get(); }
    FileWatcher* fileWatcher() const { return m_watcher.get(); }

    // The installed copy of Shoelace's cdn/ folder, or empty when there is none. Looked up in
    // order: $LUNETTE_SHOELACE_DIR, <app dir>/../share/lunette/shoelace, <app dir>/shoelace,
    // then the build tree's copy (web/, when this binary was built with it).
    static QString shoelaceDirectory();

private:
    SiteHost() = default;
    void startHotload();
    void stopHotload();
    void setHotReloadEnabled(bool on); // in the server's HotReloadState

    std::shared_ptr<const Site> m_site;
    std::unique_ptr<LuaExecutor> m_executor;
    std::unique_ptr<SessionManager> m_sessions;
    std::unique_ptr<SiteServer> m_server;
    std::unique_ptr<HotLoader> m_hotLoader;
    std::unique_ptr<FileWatcher> m_watcher;
    QString m_instanceFile; // advertised (Instances.h); removed when the host goes
};

} // namespace lunette
