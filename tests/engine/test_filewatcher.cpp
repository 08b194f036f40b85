#include <QtTest>

#include <chrono>
#include <cstdio>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>

#include "hotload/FileWatcher.h"
#include "support/TestSupport.h"

using namespace lunette;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

constexpr int kWaitMs = 5000;

using lunette::test::writeFile;

// What editors do: write a temporary file next to the original, then rename it over.
bool atomicSave(const QString& path, const QByteArray& content)
{
    const QFileInfo info(path);
    const QString temp = info.absolutePath() + u"/."_s + info.fileName() + u".tmp"_s;
    return writeFile(temp, content)
        && std::rename(QFile::encodeName(temp).constData(), QFile::encodeName(path).constData())
        == 0;
}

// `ln -sfn target link`: a new symlink renamed over the old one.
bool repoint(const QString& target, const QString& link)
{
    const QFileInfo info(link);
    const QString temp = info.absolutePath() + u"/."_s + info.fileName() + u".link"_s;
    return QFile::link(target, temp)
        && std::rename(QFile::encodeName(temp).constData(), QFile::encodeName(link).constData())
        == 0;
}

QString canonical(const QString& path)
{
    return QFileInfo(path).canonicalFilePath();
}

// A site in a temporary folder (root() is canonical, as Site::open makes it).
struct TempSite
{
    QTemporaryDir dir;

    QString root() const { return canonical(dir.path()); }
    QString path(const QString& relative) const { return root() + u'/' + relative; }
    bool write(const QString& relative, const QByteArray& content) const
    {
        return writeFile(path(relative), content);
    }
    bool save(const QString& relative, const QByteArray& content) const
    {
        return atomicSave(path(relative), content);
    }
    bool mkdir(const QString& relative) const { return QDir().mkpath(path(relative)); }
};

// The signals of one watcher, recorded.
struct Recorder
{
    explicit Recorder(FileWatcher& watcher)
        : changed(&watcher, &FileWatcher::fileChanged)
        , added(&watcher, &FileWatcher::fileAdded)
        , removed(&watcher, &FileWatcher::fileRemoved)
    {
    }

    static QStringList keys(const QSignalSpy& spy)
    {
        QStringList result;
        for (const QList<QVariant>& args : spy)
            result.append(args.at(0).toString());
        return result;
    }
    QStringList changedKeys() const { return keys(changed); }
    QStringList addedKeys() const { return keys(added); }
    QStringList removedKeys() const { return keys(removed); }
    int total() const { return int(changed.size() + added.size() + removed.size()); }

    QSignalSpy changed;
    QSignalSpy added;
    QSignalSpy removed;
};

} // namespace

class TestFileWatcher final : public QObject
{
    Q_OBJECT

private slots:
    void trackingKeyResolvesSymlinks();
    void trackingKeyMatchesTheSessionsKeyInsideTheSite();
    void initialPassIsSilent();
    void writeGivesOneSignalAfterTheDefaultQuietPeriod();
    void burstOfWritesGivesOneSignal();
    void eachEventRestartsTheQuietPeriod();
    void sameContentGivesNoSignal();
    void atomicSaveIsSeenAndTheWatchSurvives();
    void deleteThenRecreate();
    void quickDeleteAndRecreateIsAChange();
    void newFileInWatchedFolder();
    void filtersAndHiddenFilesAreIgnored();
    void symlinkInsideTheSiteUsesTheTargetsKey();
    void symlinkOutsideTheSiteUsesItsOwnKey();
    void repointedSymlinkMovesTheWatch();
    void repointedSymlinkInsideTheSiteChangesTheKey();
    void symlinksIntoOneFolderShareItsWatch();
    void danglingSymlinkReportsItsTargetWhenItAppears();
    void recursiveWatchPicksUpNewSubfolders();
    void removedSubfolderReportsItsFiles();
    void missingFolderIsWatchedOnceCreated();
    void watcherMayBeDeletedFromASlot();
};

void TestFileWatcher::trackingKeyResolvesSymlinks()
{
    TempSite site;
    QTemporaryDir outside;
    QVERIFY(site.write(u"lua/main.lua"_s, "--\n"));
    QVERIFY(site.write(u"shared/contact.lua"_s, "--\n"));
    QVERIFY(writeFile(outside.path() + u"/ext.lua"_s, "--\n"));
    QVERIFY(QFile::link(u"../shared/contact.lua"_s, site.path(u"lua/contact.lua"_s)));
    QVERIFY(QFile::link(outside.path() + u"/ext.lua"_s, site.path(u"lua/ext.lua"_s)));
    QVERIFY(QFile::link(u"../shared/later.lua"_s, site.path(u"lua/later.lua"_s)));
    QVERIFY(QFile::link(outside.path() + u"/nothing.lua"_s, site.path(u"lua/nothing.lua"_s)));

    const QString root = site.root();
    QCOMPARE(trackingKey(root, site.path(u"lua/main.lua"_s)), u"lua/main.lua"_s);
    QCOMPARE(trackingKey(root, site.path(u"lua/contact.lua"_s)), u"shared/contact.lua"_s);
    QCOMPARE(trackingKey(root, site.path(u"lua/ext.lua"_s)), u"lua/ext.lua"_s);
    // Dangling symlinks: followed as far as they go.
    QCOMPARE(trackingKey(root, site.path(u"lua/later.lua"_s)), u"shared/later.lua"_s);
    QCOMPARE(trackingKey(root, site.path(u"lua/nothing.lua"_s)), u"lua/nothing.lua"_s);
    // A file that does not exist (yet).
    QCOMPARE(trackingKey(root, site.path(u"lua/new.lua"_s)), u"lua/new.lua"_s);

    // The root as a non-canonical path (a symlink to the site), and paths built from it.
    QTemporaryDir links;
    const QString alias = links.path() + u"/alias"_s;
    QVERIFY(QFile::link(root, alias));
    QCOMPARE(trackingKey(alias, alias + u"/lua/main.lua"_s), u"lua/main.lua"_s);
    QCOMPARE(trackingKey(alias, alias + u"/lua/contact.lua"_s), u"shared/contact.lua"_s);
    QCOMPARE(trackingKey(alias, alias + u"/lua/ext.lua"_s), u"lua/ext.lua"_s);
    QCOMPARE(trackingKey(root, alias + u"/lua/ext.lua"_s), u"lua/ext.lua"_s);
}

void TestFileWatcher::trackingKeyMatchesTheSessionsKeyInsideTheSite()
{
    TempSite site;
    QVERIFY(site.write(u"lua/main.lua"_s, "--\n"));
    QVERIFY(site.write(u"apps/tasks/app.lua"_s, "--\n"));
    QVERIFY(QFile::link(u"../apps/tasks/app.lua"_s, site.path(u"lua/tasks.lua"_s)));
    QVERIFY(QFile::link(u"main.lua"_s, site.path(u"lua/alias.lua"_s)));
    // Session.cpp's key: QDir(root).relativeFilePath(QFileInfo(entry).canonicalFilePath()).
    for (const QString& entry :
        { u"lua/main.lua"_s, u"lua/tasks.lua"_s, u"lua/alias.lua"_s, u"apps/tasks/app.lua"_s }) {
        const QString path = site.path(entry);
        QCOMPARE(trackingKey(site.root(), path),
            QDir(site.root()).relativeFilePath(QFileInfo(path).canonicalFilePath()));
    }
}

void TestFileWatcher::initialPassIsSilent()
{
    TempSite site;
    QVERIFY(site.write(u"lua/main.lua"_s, "main\n"));
    QVERIFY(site.write(u"apps/tasks/app.lua"_s, "app\n"));
    QVERIFY(site.write(u"shared/contact.lua"_s, "contact\n"));
    QVERIFY(QFile::link(u"../shared/contact.lua"_s, site.path(u"lua/contact.lua"_s)));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });
    watcher.watchDirectory(u"apps"_s, true, { u"*.lua"_s });
    QCOMPARE(watcher.trackedKeys(),
        QStringList({ u"apps/tasks/app.lua"_s, u"lua/main.lua"_s, u"shared/contact.lua"_s }));
    QCOMPARE(rec.total(), 0);

    // A later, distinct event: by the time it is reported, nothing else has been.
    QVERIFY(site.write(u"lua/main.lua"_s, "main 2\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.changedKeys(), QStringList { u"lua/main.lua"_s });
    QCOMPARE(rec.total(), 1);
}

void TestFileWatcher::writeGivesOneSignalAfterTheDefaultQuietPeriod()
{
    TempSite site;
    QVERIFY(site.write(u"lua/main.lua"_s, "one\n"));
    FileWatcher watcher(site.root());
    QCOMPARE(watcher.quietPeriod(), 100ms);
    QCOMPARE(watcher.siteRoot(), site.root());
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });

    QElapsedTimer clock;
    qint64 reportedAfter = -1; // taken in the slot: QTRY_* only looks every 50 ms
    connect(&watcher, &FileWatcher::fileChanged, this, [&] { reportedAfter = clock.elapsed(); });
    clock.start();
    QVERIFY(site.write(u"lua/main.lua"_s, "two\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);
    // Not before the file has been quiet for the whole period.
    QVERIFY2(reportedAfter >= 100, qPrintable(QString::number(reportedAfter)));
    QCOMPARE(rec.changed.at(0).at(0).toString(), u"lua/main.lua"_s);
    QCOMPARE(rec.changed.at(0).at(1).toString(), site.path(u"lua/main.lua"_s));

    QVERIFY(site.write(u"lua/other.lua"_s, "other\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.added.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.addedKeys(), QStringList { u"lua/other.lua"_s });
    QCOMPARE(rec.changed.size(), qsizetype(1));
    QCOMPARE(rec.removed.size(), qsizetype(0));
}

void TestFileWatcher::burstOfWritesGivesOneSignal()
{
    TempSite site;
    QVERIFY(site.write(u"lua/main.lua"_s, "0\n"));
    QVERIFY(site.write(u"lua/marker.lua"_s, "0\n"));
    FileWatcher watcher(site.root()); // default quiet period, 100 ms
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });

    // Five saves, each delivered to the watcher as its own event.
    for (int i = 1; i <= 5; ++i) {
        QVERIFY(site.write(u"lua/main.lua"_s, QByteArray::number(i) + '\n'));
        QCoreApplication::processEvents();
    }
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.changedKeys(), QStringList { u"lua/main.lua"_s });

    // A later, distinct event, reported after anything the burst could still have caused.
    QVERIFY(site.write(u"lua/marker.lua"_s, "1\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(2), kWaitMs);
    QCOMPARE(rec.changedKeys(), QStringList({ u"lua/main.lua"_s, u"lua/marker.lua"_s }));
    QCOMPARE(rec.total(), 2);
}

void TestFileWatcher::eachEventRestartsTheQuietPeriod()
{
    TempSite site;
    QVERIFY(site.write(u"lua/main.lua"_s, "0\n"));
    FileWatcher watcher(site.root());
    // A long quiet period, so a loaded machine cannot stall between the two writes for longer.
    constexpr qint64 kQuietMs = 600;
    watcher.setQuietPeriod(std::chrono::milliseconds(kQuietMs));
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });
    QElapsedTimer clock;
    qint64 reportedAt = -1; // taken in the slot: QTRY_* only looks every 50 ms
    connect(&watcher, &FileWatcher::fileChanged, this, [&] {
        if (reportedAt < 0)
            reportedAt = clock.elapsed();
    });

    clock.start();
    QVERIFY(site.write(u"lua/main.lua"_s, "1\n"));
    QTest::qWait(150); // the gap between two saves is what this test is about
    const qint64 secondAt = clock.elapsed();
    QVERIFY(site.write(u"lua/main.lua"_s, "2\n"));
    QTRY_VERIFY_WITH_TIMEOUT(reportedAt >= 0, kWaitMs);
    QVERIFY2(reportedAt >= secondAt,
        "reported before the second write: the first write's quiet period was not restarted");
    // A full quiet period after the second write, not after the first.
    QVERIFY2(reportedAt - secondAt >= kQuietMs, qPrintable(QString::number(reportedAt - secondAt)));
    QCOMPARE(rec.changed.size(), qsizetype(1));
}

void TestFileWatcher::sameContentGivesNoSignal()
{
    TempSite site;
    QVERIFY(site.write(u"lua/main.lua"_s, "same\n"));
    QVERIFY(site.write(u"lua/marker.lua"_s, "0\n"));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });

    QVERIFY(site.write(u"lua/main.lua"_s, "same\n")); // plain save
    QVERIFY(site.save(u"lua/main.lua"_s, "same\n")); // atomic save
    QVERIFY(site.write(u"lua/marker.lua"_s, "1\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.changedKeys(), QStringList { u"lua/marker.lua"_s });

    // Still watched: a real change is reported.
    QVERIFY(site.write(u"lua/main.lua"_s, "different\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(2), kWaitMs);
    QCOMPARE(rec.changedKeys(), QStringList({ u"lua/marker.lua"_s, u"lua/main.lua"_s }));
    QCOMPARE(rec.total(), 2);
}

void TestFileWatcher::atomicSaveIsSeenAndTheWatchSurvives()
{
    TempSite site;
    QVERIFY(site.write(u"lua/main.lua"_s, "0\n"));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });

    QVERIFY(site.save(u"lua/main.lua"_s, "1\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);
    // In place, after the rename: the watch follows the new file.
    QVERIFY(site.write(u"lua/main.lua"_s, "2\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(2), kWaitMs);
    for (int i = 3; i <= 5; ++i) {
        QVERIFY(site.save(u"lua/main.lua"_s, QByteArray::number(i) + '\n'));
        QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(i), kWaitMs);
    }
    QVERIFY(site.write(u"lua/main.lua"_s, "6\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(6), kWaitMs);
    for (const QList<QVariant>& args : std::as_const(rec.changed)) {
        QCOMPARE(args.at(0).toString(), u"lua/main.lua"_s);
        QCOMPARE(args.at(1).toString(), site.path(u"lua/main.lua"_s));
    }
    // The temporary file (hidden) was never reported; the file was never "removed".
    QCOMPARE(rec.total(), 6);
    QCOMPARE(watcher.trackedKeys(), QStringList { u"lua/main.lua"_s });
}

void TestFileWatcher::deleteThenRecreate()
{
    TempSite site;
    QVERIFY(site.write(u"lua/main.lua"_s, "0\n"));
    QVERIFY(site.write(u"lua/gone.lua"_s, "0\n"));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });

    QVERIFY(QFile::remove(site.path(u"lua/gone.lua"_s)));
    QTRY_COMPARE_WITH_TIMEOUT(rec.removed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.removedKeys(), QStringList { u"lua/gone.lua"_s });
    QCOMPARE(watcher.trackedKeys(), QStringList { u"lua/main.lua"_s });

    QVERIFY(site.write(u"lua/gone.lua"_s, "back\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.added.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.addedKeys(), QStringList { u"lua/gone.lua"_s });
    QCOMPARE(rec.added.at(0).at(1).toString(), site.path(u"lua/gone.lua"_s));

    QVERIFY(site.write(u"lua/gone.lua"_s, "changed\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.changedKeys(), QStringList { u"lua/gone.lua"_s });
    QCOMPARE(rec.total(), 3);

    // The whole folder.
    QVERIFY(QDir(site.path(u"lua"_s)).removeRecursively());
    QTRY_COMPARE_WITH_TIMEOUT(rec.removed.size(), qsizetype(3), kWaitMs);
    QCOMPARE(rec.removedKeys(),
        QStringList({ u"lua/gone.lua"_s, u"lua/gone.lua"_s, u"lua/main.lua"_s }));
    QVERIFY(watcher.trackedKeys().isEmpty());
    QVERIFY(site.write(u"lua/main.lua"_s, "again\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.added.size(), qsizetype(2), kWaitMs);
    QCOMPARE(rec.added.at(1).at(0).toString(), u"lua/main.lua"_s);
    QVERIFY(site.write(u"lua/main.lua"_s, "and again\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(2), kWaitMs);
    QCOMPARE(rec.changed.at(1).at(0).toString(), u"lua/main.lua"_s);
}

void TestFileWatcher::quickDeleteAndRecreateIsAChange()
{
    TempSite site;
    QVERIFY(site.write(u"lua/main.lua"_s, "0\n"));
    QVERIFY(site.write(u"lua/same.lua"_s, "same\n"));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });

    // Within one quiet period: what it was before and after is all that counts.
    QVERIFY(QFile::remove(site.path(u"lua/same.lua"_s)));
    QCoreApplication::processEvents();
    QVERIFY(site.write(u"lua/same.lua"_s, "same\n"));
    QVERIFY(QFile::remove(site.path(u"lua/main.lua"_s)));
    QCoreApplication::processEvents();
    QVERIFY(site.write(u"lua/main.lua"_s, "1\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.changedKeys(), QStringList { u"lua/main.lua"_s });
    QVERIFY(site.write(u"lua/same.lua"_s, "different\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(2), kWaitMs);
    QCOMPARE(rec.changedKeys(), QStringList({ u"lua/main.lua"_s, u"lua/same.lua"_s }));
    QCOMPARE(rec.total(), 2);
}

void TestFileWatcher::newFileInWatchedFolder()
{
    TempSite site;
    QVERIFY(site.write(u"lua/main.lua"_s, "0\n"));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });

    QVERIFY(site.write(u"lua/new.lua"_s, "new\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.added.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.addedKeys(), QStringList { u"lua/new.lua"_s });
    QCOMPARE(watcher.trackedKeys(), QStringList({ u"lua/main.lua"_s, u"lua/new.lua"_s }));

    QVERIFY(site.write(u"lua/new.lua"_s, "newer\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.changedKeys(), QStringList { u"lua/new.lua"_s });

    // Created by an atomic save.
    QVERIFY(site.save(u"lua/saved.lua"_s, "saved\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.added.size(), qsizetype(2), kWaitMs);
    QCOMPARE(rec.added.at(1).at(0).toString(), u"lua/saved.lua"_s);
    QVERIFY(site.write(u"lua/saved.lua"_s, "edited\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(2), kWaitMs);
    QCOMPARE(rec.changed.at(1).at(0).toString(), u"lua/saved.lua"_s);
    QCOMPARE(rec.total(), 4);
}

void TestFileWatcher::filtersAndHiddenFilesAreIgnored()
{
    TempSite site;
    QVERIFY(site.write(u"lua/main.lua"_s, "0\n"));
    QVERIFY(site.write(u"lua/sub/deep.lua"_s, "0\n"));
    QVERIFY(site.write(u"lua/notes.txt"_s, "0\n"));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });
    QCOMPARE(watcher.trackedKeys(), QStringList { u"lua/main.lua"_s });

    QVERIFY(site.write(u"lua/notes.txt"_s, "1\n")); // not a *.lua
    QVERIFY(site.write(u"lua/readme.md"_s, "1\n"));
    QVERIFY(site.write(u"lua/.main.lua.swp"_s, "1\n")); // hidden
    QVERIFY(site.write(u"lua/.#main.lua"_s, "1\n"));
    QVERIFY(site.write(u"lua/sub/deep.lua"_s, "1\n")); // not recursive
    QVERIFY(site.write(u"lua/sub/new.lua"_s, "1\n"));
    QVERIFY(site.write(u"lua/main.lua"_s, "1\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.changedKeys(), QStringList { u"lua/main.lua"_s });
    QCOMPARE(rec.total(), 1);
    QCOMPARE(watcher.trackedKeys(), QStringList { u"lua/main.lua"_s });
}

void TestFileWatcher::symlinkInsideTheSiteUsesTheTargetsKey()
{
    TempSite site;
    QVERIFY(site.write(u"lua/main.lua"_s, "0\n"));
    QVERIFY(site.write(u"shared/contact.lua"_s, "0\n"));
    QVERIFY(QFile::link(u"../shared/contact.lua"_s, site.path(u"lua/contact.lua"_s)));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });
    QCOMPARE(watcher.trackedKeys(), QStringList({ u"lua/main.lua"_s, u"shared/contact.lua"_s }));
    QVERIFY(watcher.watchedDirectories().contains(site.path(u"shared"_s)));

    QVERIFY(site.write(u"shared/contact.lua"_s, "1\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.changed.at(0).at(0).toString(), u"shared/contact.lua"_s);
    QCOMPARE(rec.changed.at(0).at(1).toString(), site.path(u"shared/contact.lua"_s));

    // An atomic save of the target replaces the file the symlink leads to.
    QVERIFY(site.save(u"shared/contact.lua"_s, "2\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(2), kWaitMs);
    QVERIFY(site.write(u"shared/contact.lua"_s, "3\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(3), kWaitMs);
    QCOMPARE(rec.changedKeys(),
        QStringList({ u"shared/contact.lua"_s, u"shared/contact.lua"_s, u"shared/contact.lua"_s }));
    QCOMPARE(rec.total(), 3);
}

void TestFileWatcher::symlinkOutsideTheSiteUsesItsOwnKey()
{
    TempSite site;
    QTemporaryDir outside;
    const QString target = canonical(outside.path()) + u"/ext.lua"_s;
    QVERIFY(site.write(u"lua/main.lua"_s, "0\n"));
    QVERIFY(writeFile(target, "0\n"));
    QVERIFY(QFile::link(target, site.path(u"lua/ext.lua"_s)));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });
    QCOMPARE(watcher.trackedKeys(), QStringList({ u"lua/ext.lua"_s, u"lua/main.lua"_s }));
    QVERIFY(watcher.watchedDirectories().contains(canonical(outside.path())));

    QVERIFY(writeFile(target, "1\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.changed.at(0).at(0).toString(), u"lua/ext.lua"_s);
    QCOMPARE(rec.changed.at(0).at(1).toString(), target);

    QVERIFY(atomicSave(target, "2\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(2), kWaitMs);
    QVERIFY(writeFile(target, "3\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(3), kWaitMs);
    QCOMPARE(
        rec.changedKeys(), QStringList({ u"lua/ext.lua"_s, u"lua/ext.lua"_s, u"lua/ext.lua"_s }));

    // Removing the target is a removal of the key; bringing it back an addition.
    QVERIFY(QFile::remove(target));
    QTRY_COMPARE_WITH_TIMEOUT(rec.removed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.removedKeys(), QStringList { u"lua/ext.lua"_s });
    QVERIFY(writeFile(target, "4\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.added.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.addedKeys(), QStringList { u"lua/ext.lua"_s });
    QVERIFY(writeFile(target, "5\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(4), kWaitMs);
    QCOMPARE(rec.total(), 6);
}

void TestFileWatcher::repointedSymlinkMovesTheWatch()
{
    TempSite site;
    QTemporaryDir outA;
    QTemporaryDir outB;
    const QString a = canonical(outA.path()) + u"/ext.lua"_s;
    const QString b = canonical(outB.path()) + u"/ext.lua"_s;
    QVERIFY(writeFile(a, "a\n"));
    QVERIFY(writeFile(b, "b\n"));
    QVERIFY(site.mkdir(u"lua"_s));
    QVERIFY(QFile::link(a, site.path(u"lua/ext.lua"_s)));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });
    QVERIFY(watcher.watchedDirectories().contains(canonical(outA.path())));

    // Same key, another file with other content: a change.
    QVERIFY(repoint(b, site.path(u"lua/ext.lua"_s)));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.changed.at(0).at(0).toString(), u"lua/ext.lua"_s);
    QCOMPARE(rec.changed.at(0).at(1).toString(), b);
    QVERIFY(!watcher.watchedDirectories().contains(canonical(outA.path())));
    QVERIFY(watcher.watchedDirectories().contains(canonical(outB.path())));

    // The old target is no longer followed, the new one is (written second: if the old one
    // were reported, it would be first).
    QVERIFY(writeFile(a, "a2\n"));
    QVERIFY(writeFile(b, "b2\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(2), kWaitMs);
    QCOMPARE(rec.changed.at(1).at(1).toString(), b);

    // Re-pointed by remove + create as well.
    QVERIFY(QFile::remove(site.path(u"lua/ext.lua"_s)));
    QVERIFY(QFile::link(a, site.path(u"lua/ext.lua"_s)));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(3), kWaitMs);
    QCOMPARE(rec.changed.at(2).at(1).toString(), a);
    QVERIFY(writeFile(b, "b3\n"));
    QVERIFY(writeFile(a, "a3\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(4), kWaitMs);
    QCOMPARE(rec.changed.at(3).at(1).toString(), a);
    QCOMPARE(rec.total(), 4);
    QVERIFY(!watcher.watchedDirectories().contains(canonical(outB.path())));
}

void TestFileWatcher::repointedSymlinkInsideTheSiteChangesTheKey()
{
    TempSite site;
    QVERIFY(site.write(u"shared/one.lua"_s, "1\n"));
    QVERIFY(site.write(u"other/two.lua"_s, "2\n"));
    QVERIFY(site.mkdir(u"lua"_s));
    QVERIFY(QFile::link(u"../shared/one.lua"_s, site.path(u"lua/contact.lua"_s)));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });
    QCOMPARE(watcher.trackedKeys(), QStringList { u"shared/one.lua"_s });

    QVERIFY(repoint(u"../other/two.lua"_s, site.path(u"lua/contact.lua"_s)));
    QTRY_COMPARE_WITH_TIMEOUT(rec.added.size(), qsizetype(1), kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(rec.removed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.addedKeys(), QStringList { u"other/two.lua"_s });
    QCOMPARE(rec.removedKeys(), QStringList { u"shared/one.lua"_s });
    QCOMPARE(watcher.trackedKeys(), QStringList { u"other/two.lua"_s });
    QVERIFY(!watcher.watchedDirectories().contains(site.path(u"shared"_s)));

    QVERIFY(site.write(u"shared/one.lua"_s, "1b\n"));
    QVERIFY(site.write(u"other/two.lua"_s, "2b\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.changedKeys(), QStringList { u"other/two.lua"_s });
    QCOMPARE(rec.total(), 3);
}

void TestFileWatcher::symlinksIntoOneFolderShareItsWatch()
{
    TempSite site;
    QTemporaryDir outside;
    const QString dir = canonical(outside.path());
    QVERIFY(writeFile(dir + u"/a.lua"_s, "a\n"));
    QVERIFY(writeFile(dir + u"/b.lua"_s, "b\n"));
    QVERIFY(site.write(u"shared/c.lua"_s, "c\n"));
    QVERIFY(site.write(u"shared/d.lua"_s, "d\n"));
    QVERIFY(site.mkdir(u"lua"_s));
    QVERIFY(QFile::link(dir + u"/a.lua"_s, site.path(u"lua/a.lua"_s)));
    QVERIFY(QFile::link(dir + u"/b.lua"_s, site.path(u"lua/b.lua"_s)));
    QVERIFY(QFile::link(u"../shared/c.lua"_s, site.path(u"lua/c.lua"_s)));
    QVERIFY(QFile::link(u"../shared/d.lua"_s, site.path(u"lua/d.lua"_s)));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });
    QCOMPARE(watcher.trackedKeys(),
        QStringList({ u"lua/a.lua"_s, u"lua/b.lua"_s, u"shared/c.lua"_s, u"shared/d.lua"_s }));
    QStringList expectedDirs { dir, site.path(u"lua"_s), site.path(u"shared"_s) };
    expectedDirs.sort();
    QCOMPARE(watcher.watchedDirectories(), expectedDirs);

    // One symlink into each folder goes: the other keeps the folder watched and working.
    QVERIFY(QFile::remove(site.path(u"lua/a.lua"_s)));
    QVERIFY(QFile::remove(site.path(u"lua/c.lua"_s)));
    QTRY_COMPARE_WITH_TIMEOUT(rec.removed.size(), qsizetype(2), kWaitMs);
    QCOMPARE(rec.removedKeys(), QStringList({ u"lua/a.lua"_s, u"shared/c.lua"_s }));
    QCOMPARE(watcher.watchedDirectories(), expectedDirs);

    QVERIFY(writeFile(dir + u"/a.lua"_s, "a2\n"));
    QVERIFY(site.write(u"shared/c.lua"_s, "c2\n"));
    QVERIFY(writeFile(dir + u"/b.lua"_s, "b2\n"));
    QVERIFY(site.write(u"shared/d.lua"_s, "d2\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(2), kWaitMs);
    QCOMPARE(rec.changedKeys(), QStringList({ u"lua/b.lua"_s, u"shared/d.lua"_s }));
    // An atomic save in the shared folder still reaches the remaining symlink.
    QVERIFY(atomicSave(dir + u"/b.lua"_s, "b3\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(3), kWaitMs);
    QCOMPARE(rec.changed.at(2).at(0).toString(), u"lua/b.lua"_s);

    // The last symlink into a folder goes: the folder is no longer watched.
    QVERIFY(QFile::remove(site.path(u"lua/b.lua"_s)));
    QVERIFY(QFile::remove(site.path(u"lua/d.lua"_s)));
    QTRY_COMPARE_WITH_TIMEOUT(rec.removed.size(), qsizetype(4), kWaitMs);
    QCOMPARE(watcher.watchedDirectories(), QStringList { site.path(u"lua"_s) });
    QVERIFY(watcher.trackedKeys().isEmpty());
    QCOMPARE(rec.total(), 7);
}

void TestFileWatcher::danglingSymlinkReportsItsTargetWhenItAppears()
{
    TempSite site;
    QVERIFY(site.mkdir(u"shared"_s));
    QVERIFY(site.mkdir(u"lua"_s));
    QVERIFY(QFile::link(u"../shared/later.lua"_s, site.path(u"lua/later.lua"_s)));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"lua"_s, false, { u"*.lua"_s });
    QCOMPARE(watcher.trackedKeys(), QStringList { u"shared/later.lua"_s });

    QVERIFY(site.write(u"shared/later.lua"_s, "here\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.added.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.added.at(0).at(0).toString(), u"shared/later.lua"_s);
    QCOMPARE(rec.added.at(0).at(1).toString(), site.path(u"shared/later.lua"_s));
    QVERIFY(site.write(u"shared/later.lua"_s, "edited\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.total(), 2);
}

void TestFileWatcher::recursiveWatchPicksUpNewSubfolders()
{
    TempSite site;
    QVERIFY(site.write(u"apps/tasks/app.lua"_s, "0\n"));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"apps"_s, true, { u"*.lua"_s });
    QCOMPARE(watcher.trackedKeys(), QStringList { u"apps/tasks/app.lua"_s });

    QVERIFY(site.write(u"apps/tasks/app.lua"_s, "1\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);

    // A new folder with a file already in it by the time the watcher looks, and nested ones.
    QVERIFY(site.write(u"apps/contacts/model/contact.lua"_s, "0\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.added.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.addedKeys(), QStringList { u"apps/contacts/model/contact.lua"_s });
    QVERIFY(site.write(u"apps/contacts/model/contact.lua"_s, "1\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(2), kWaitMs);
    QCOMPARE(rec.changed.at(1).at(0).toString(), u"apps/contacts/model/contact.lua"_s);
    // A file created later in the new folder.
    QVERIFY(site.write(u"apps/contacts/view.lua"_s, "0\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.added.size(), qsizetype(2), kWaitMs);
    QCOMPARE(rec.added.at(1).at(0).toString(), u"apps/contacts/view.lua"_s);

    // A symlinked folder is followed; its files keep their resolved keys.
    QVERIFY(site.write(u"lib/util/strings.lua"_s, "0\n"));
    QVERIFY(QFile::link(u"../lib/util"_s, site.path(u"apps/util"_s)));
    QTRY_COMPARE_WITH_TIMEOUT(rec.added.size(), qsizetype(3), kWaitMs);
    QCOMPARE(rec.added.at(2).at(0).toString(), u"lib/util/strings.lua"_s);
    QVERIFY(site.write(u"lib/util/strings.lua"_s, "1\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(3), kWaitMs);
    QCOMPARE(rec.changed.at(2).at(0).toString(), u"lib/util/strings.lua"_s);

    // A loop (a folder symlinked to its parent) is not followed forever.
    QVERIFY(QFile::link(u".."_s, site.path(u"apps/tasks/up"_s)));
    QVERIFY(site.write(u"apps/tasks/app.lua"_s, "2\n"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(4), kWaitMs);
    QCOMPARE(rec.total(), 7);
}

void TestFileWatcher::removedSubfolderReportsItsFiles()
{
    TempSite site;
    QVERIFY(site.write(u"viewdefs/App.DEFAULT.html"_s, "<div></div>"));
    QVERIFY(site.write(u"viewdefs/items/Item.list.html"_s, "<li></li>"));
    QVERIFY(site.write(u"viewdefs/items/more/Other.DEFAULT.html"_s, "<p></p>"));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"viewdefs"_s, true, { u"*.html"_s });
    QCOMPARE(watcher.trackedKeys().size(), 3);

    QVERIFY(QDir(site.path(u"viewdefs/items"_s)).removeRecursively());
    QTRY_COMPARE_WITH_TIMEOUT(rec.removed.size(), qsizetype(2), kWaitMs);
    QCOMPARE(rec.removedKeys(),
        QStringList(
            { u"viewdefs/items/Item.list.html"_s, u"viewdefs/items/more/Other.DEFAULT.html"_s }));
    QCOMPARE(watcher.trackedKeys(), QStringList { u"viewdefs/App.DEFAULT.html"_s });
    QCOMPARE(watcher.watchedDirectories(), QStringList { site.path(u"viewdefs"_s) });

    QVERIFY(site.write(u"viewdefs/items/Item.list.html"_s, "<li>again</li>"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.added.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.addedKeys(), QStringList { u"viewdefs/items/Item.list.html"_s });
    QCOMPARE(rec.total(), 3);
}

void TestFileWatcher::missingFolderIsWatchedOnceCreated()
{
    TempSite site;
    QVERIFY(site.write(u"lua/main.lua"_s, "0\n"));
    FileWatcher watcher(site.root());
    watcher.setQuietPeriod(50ms);
    Recorder rec(watcher);
    watcher.watchDirectory(u"viewdefs/deep"_s, false, { u"*.html"_s });
    QVERIFY(watcher.trackedKeys().isEmpty());

    QVERIFY(site.mkdir(u"viewdefs"_s));
    QVERIFY(site.write(u"viewdefs/deep/App.DEFAULT.html"_s, "<div></div>"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.added.size(), qsizetype(1), kWaitMs);
    QCOMPARE(rec.addedKeys(), QStringList { u"viewdefs/deep/App.DEFAULT.html"_s });
    QVERIFY(site.write(u"viewdefs/deep/App.DEFAULT.html"_s, "<div>1</div>"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.changed.size(), qsizetype(1), kWaitMs);

    // Gone again, and back again.
    QVERIFY(QDir(site.path(u"viewdefs"_s)).removeRecursively());
    QTRY_COMPARE_WITH_TIMEOUT(rec.removed.size(), qsizetype(1), kWaitMs);
    QVERIFY(site.write(u"viewdefs/deep/App.DEFAULT.html"_s, "<div>2</div>"));
    QTRY_COMPARE_WITH_TIMEOUT(rec.added.size(), qsizetype(2), kWaitMs);
    QCOMPARE(rec.total(), 4);
}

void TestFileWatcher::watcherMayBeDeletedFromASlot()
{
    TempSite site;
    QVERIFY(site.write(u"lua/a.lua"_s, "0\n"));
    QVERIFY(site.write(u"lua/b.lua"_s, "0\n"));
    auto* watcher = new FileWatcher(site.root());
    watcher->setQuietPeriod(50ms);
    watcher->watchDirectory(u"lua"_s, false, { u"*.lua"_s });
    QPointer<FileWatcher> alive(watcher);
    int calls = 0;
    connect(watcher, &FileWatcher::fileChanged, this, [&] {
        ++calls;
        delete alive.data();
    });
    // Both files due in the same tick: the second signal must not reach a deleted watcher.
    QVERIFY(site.write(u"lua/a.lua"_s, "1\n"));
    QVERIFY(site.write(u"lua/b.lua"_s, "1\n"));
    QTRY_VERIFY_WITH_TIMEOUT(alive.isNull(), kWaitMs);
    QCOMPARE(calls, 1);
}

QTEST_GUILESS_MAIN(TestFileWatcher)
#include "test_filewatcher.moc"
