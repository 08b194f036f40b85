#include "support/TestSupport.h"

#include <QDir>

namespace lunette::test {

QString artifactsDir()
{
    QString dir = qEnvironmentVariable("LUNETTE_TEST_ARTIFACTS");
    if (dir.isEmpty())
        dir = QDir::current().filePath(QStringLiteral("test-artifacts"));
    QDir().mkpath(dir);
    return dir;
}

QString sourceDir()
{
    return qEnvironmentVariable("LUNETTE_SOURCE_DIR");
}

ExecutorState::ExecutorState(const LuaState::Options& options)
{
    m_executor.execute([&] { m_state = std::make_unique<LuaState>(options); });
}

ExecutorState::~ExecutorState()
{
    m_executor.execute([&] { m_state.reset(); });
}

} // namespace lunette::test
