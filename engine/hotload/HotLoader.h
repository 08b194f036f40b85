#pragma once

// HotLoader: turns saved files into session turns (HOTLOAD.md). It is fed tracking keys (paths
// relative to the site root, symlinks resolved) by the FileWatcher and does every piece of Lua
// work inside a turn on the executor, never beside one:
//
//   *.lua             re-run in every session that loaded it (session.reloading = true), then the
//                     prototype mutation queue and on_reload(); a load or runtime error replaces
//                     nothing — the old code keeps running and the page shows the error until
//                     the next good save
//   viewdefs/*.html   the viewdef store re-reads it; sessions that received it get the new one
//   html/**.css       the page swaps the stylesheet (no reload)
//   html/** (other)   the page reloads; the session and its Lua state stay
//
// What reaches the page travels as properties of variable 1 (ignored by clients that do not know
// them): `reloadError` (JSON {key, message, location, traceback}, "" once fixed),
// `reloaded` ("N" after every good Lua reload), `stylesheetChanged` ("/path.css?v=N") and
// `pageReload` ("N").

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include <QObject>
#include <QString>

namespace lunette {

class SessionManager;

class HotLoader final : public QObject
{
    Q_OBJECT

public:
    explicit HotLoader(SessionManager& sessions, QObject* parent = nullptr);
    ~HotLoader() override;

    // Thread-safe; the work is queued on the executor.
    void fileChanged(const QString& trackingKey);
    void fileRemoved(const QString& trackingKey);

    enum class Kind
    {
        Lua,
        Viewdef,
        Stylesheet,
        Page,
        Other
    };
    static Kind kindOf(const QString& trackingKey);

signals:
    // Emitted on the loader's own thread once every session has handled the change.
    void luaReloaded(const QString& trackingKey, int sessions);
    void luaReloadFailed(const QString& trackingKey, const QString& message,
        const QString& location, const QString& traceback);
    void viewdefReloaded(const QString& trackingKey);
    void pageFileChanged(const QString& trackingKey);

private:
    void reloadLua(const QString& key);
    void reloadViewdefs(const QString& key);
    void notifyPage(const QString& key, bool stylesheet);

    // How work queued on the executor reaches the loader: only while it exists. The destructor
    // clears it under the lock, so no signal is ever queued to a destroyed loader (a reload can
    // finish on the executor after the loader is gone, e.g. when hot reload is switched off).
    struct Self
    {
        std::mutex mutex;
        HotLoader* loader = nullptr;
        // fn(loader) under the lock, if the loader still exists (fn queues a signal).
        void call(const std::function<void(HotLoader*)>& fn)
        {
            std::lock_guard lock(mutex);
            if (loader)
                fn(loader);
        }
    };

    SessionManager& m_sessions;
    std::atomic<quint64> m_serial { 0 };
    std::shared_ptr<Self> m_self;
};

} // namespace lunette
