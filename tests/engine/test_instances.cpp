// engine/host/Instances.cpp: the private files that let `lunette eval` find a running instance —
// written 0600 in a 0700 folder of the user's runtime folder, listed newest first, removed on
// withdraw, and skipped and removed once their process is gone.

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include "host/Instances.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
namespace instances = lunette::instances;

class TestInstances final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_runtime;

    static instances::Instance sample(int port)
    {
        instances::Instance instance;
        instance.origin = u"http://127.0.0.1:%1"_s.arg(port);
        instance.token = u"secret-%1"_s.arg(port);
        instance.site = u"/sites/demo"_s;
        instance.name = u"demo"_s;
        return instance;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        QVERIFY(lunette::test::useRuntimeFolder(m_runtime.path()));
    }
    void cleanup() { QDir(instances::directory()).removeRecursively(); }

    void theFolderIsInTheRuntimeFolder()
    {
        QCOMPARE(instances::directory(), m_runtime.path() + u"/lunette"_s);
    }

    void advertisedPrivatelyAndListed()
    {
        const auto written = instances::advertise(sample(8123));
        QVERIFY2(written, written ? "" : qPrintable(written.error()));
        QVERIFY(QFileInfo(*written).fileName().startsWith(u"instance-"_s));
        const auto mode = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
            | QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup
            | QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther;
        QCOMPARE(QFileInfo(*written).permissions() & mode,
            QFileDevice::ReadOwner | QFileDevice::WriteOwner); // 0600
        QCOMPARE(QFileInfo(instances::directory()).permissions()
                & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::ExeOther),
            QFileDevice::Permissions());
        QVERIFY(!QFile::exists(*written + u".part"_s));

        const auto listed = instances::list();
        QCOMPARE(listed.size(), std::size_t(1));
        QCOMPARE(listed.front().origin, u"http://127.0.0.1:8123"_s);
        QCOMPARE(listed.front().token, u"secret-8123"_s);
        QCOMPARE(listed.front().name, u"demo"_s);
        QCOMPARE(listed.front().pid, QCoreApplication::applicationPid());
        QVERIFY(listed.front().started.isValid());

        instances::withdraw(*written);
        QVERIFY(!QFile::exists(*written));
        QVERIFY(instances::list().empty());
    }

    void newestFirst()
    {
        QVERIFY(instances::advertise(sample(1001)));
        // Start times have millisecond resolution: make the second one later for sure.
        const QDateTime first = QDateTime::currentDateTimeUtc();
        QTRY_VERIFY(QDateTime::currentDateTimeUtc() > first);
        QVERIFY(instances::advertise(sample(1002)));
        const auto listed = instances::list();
        QCOMPARE(listed.size(), std::size_t(2));
        QCOMPARE(listed.at(0).origin, u"http://127.0.0.1:1002"_s);
        QCOMPARE(listed.at(1).origin, u"http://127.0.0.1:1001"_s);
    }

    void filesOfGoneProcessesAreRemoved()
    {
        // No process has the pid pid_max (pids are below it).
        const QByteArray pidMax = lunette::test::readFile(u"/proc/sys/kernel/pid_max"_s).trimmed();
        QVERIFY(pidMax.toLongLong() > 0);
        QVERIFY(instances::advertise(sample(2001)));
        const QString file = instances::directory() + u"/instance-1-2002.json"_s;
        QVERIFY(lunette::test::writeFile(file,
            "{\"pid\": " + pidMax + ", \"origin\": \"http://127.0.0.1:2002\", \"token\": \"t\"}"));
        const QString garbage = instances::directory() + u"/instance-garbage.json"_s;
        QVERIFY(lunette::test::writeFile(garbage, "not json"));

        const auto listed = instances::list();
        QCOMPARE(listed.size(), std::size_t(1));
        QCOMPARE(listed.front().origin, u"http://127.0.0.1:2001"_s);
        QVERIFY(!QFile::exists(file)); // its process is gone
        QVERIFY(QFile::exists(garbage)); // not ours to judge: skipped, left alone
    }
};

QTEST_GUILESS_MAIN(TestInstances)
#include "test_instances.moc"
