#pragma once

// Seams shared by the test suites: where artifacts go, where the sources are, and a LuaState
// that lives on a real executor thread.

#include <functional>
#include <memory>

#include <QString>
#include <QUrl>

#include "lua/LuaExecutor.h"
#include "lua/LuaState.h"

namespace lunette::test {

// $LUNETTE_TEST_ARTIFACTS, or "test-artifacts" in the working directory; created if missing.
QString artifactsDir();
// $LUNETTE_SOURCE_DIR (set by CTest), the repository root.
QString sourceDir();
// Run the event loop until done() or the timeout (false). Not QTest::qWaitFor where QtWebEngine
// is involved: it sleeps between event passes, and QtWebEngine's browser side runs on this
// thread, so every IPC hop of a page (each module it imports, each runJavaScript) would wait.
bool spinUntil(const std::function<bool()>& done, int timeoutMs, int pollMs = 5);
// Point QSettings (native and INI, user scope) at a temporary folder of this process, removed at
// exit: tests never touch the user's settings, and test processes run in parallel never share
// (and clear) each other's. Call before the first QSettings is made.
void isolateSettings();
// Copy the files of folder `from` (recursively) into `to`, creating folders; false on a failure.
bool copyTree(const QString& from, const QString& to);
// Write content as the file path (replacing it), creating its folders; false on a failure.
bool writeFile(const QString& path, const QByteArray& content);
// The file's bytes; empty when it cannot be read.
QByteArray readFile(const QString& path);
// Make `folder` (a temporary one) this process's runtime folder: mode 0700 and $XDG_RUNTIME_DIR,
// where running Lunette instances advertise themselves (engine/host/Instances.h). Child
// processes inherit it. False when the mode cannot be set.
bool useRuntimeFolder(const QString& folder);
// GET `siteUrl` (a server's URL with its token) without following the redirect: the id of the
// session it made, or empty.
QString openSession(const QUrl& siteUrl);

// A LuaExecutor plus one LuaState created on (and closed on) its thread.
class ExecutorState
{
public:
    explicit ExecutorState(const LuaState::Options& options = {});
    ~ExecutorState();

    LuaExecutor& executor() { return m_executor; }
    // Only touch it inside executor().execute/post.
    LuaState& state() { return *m_state; }

private:
    LuaExecutor m_executor;
    std::unique_ptr<LuaState> m_state;
};

} // namespace lunette::test
