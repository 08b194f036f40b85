#include <QtTest>

#include <atomic>
#include <thread>
#include <vector>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include "site/Site.h"
#include "site/ViewdefStore.h"
#include "support/TestSupport.h"

using namespace lunette;
using namespace Qt::StringLiterals;

namespace {

using lunette::test::writeFile;

// Moves a file's mtime, so a same-size rewrite within one clock tick is still seen as touched.
bool touch(const QString& path, qint64 secondsAhead)
{
    QFile file(path);
    return file.open(QIODevice::ReadWrite)
        && file.setFileTime(
            QDateTime::currentDateTime().addSecs(secondsAhead), QFileDevice::FileModificationTime);
}

QStringList keys(const std::vector<ViewdefStore::Viewdef>& viewdefs)
{
    QStringList result;
    for (const auto& viewdef : viewdefs)
        result.append(viewdef.key);
    return result;
}

} // namespace

class TestViewdefStore final : public QObject
{
    Q_OBJECT

private slots:
    void scansTheFixtureRecursively();
    void followsSymlinkedFilesAndFolders();
    void missingFolderIsEmpty();
    void changedContentGetsANewVersion();
    void saveWithoutChangesKeepsTheVersion();
    void addedAndRemovedFilesAreSeen();
    void refreshWithoutChangesReportsNothing();
    void reloadKeepsVersionsOfUnchangedContent();
    void retargetedSymlinkIsReread();
    void sameNameInTwoFoldersIsDeterministic();
    void concurrentReadersAndRefreshers();
};

void TestViewdefStore::scansTheFixtureRecursively()
{
    const auto site = Site::open(test::sourceDir() + u"/tests/data/sites/static"_s);
    QVERIFY(site);
    ViewdefStore store(**site);
    const auto all = store.all();
    // Sorted by key; README.txt is not a viewdef; items/ contributes by file name only.
    QCOMPARE(keys(all),
        QStringList({ u"App.DEFAULT"_s, u"Item.list-item"_s, u"lua.ViewList.DEFAULT"_s }));
    QFile app((*site)->viewdefsDir() + u"/App.DEFAULT.html"_s);
    QVERIFY(app.open(QIODevice::ReadOnly));
    QCOMPARE(all.front().html, app.readAll());
    const auto item = store.find(u"Item.list-item"_s);
    QVERIFY(item);
    QVERIFY(item->html.contains("ui-value=\"name\""));
    QVERIFY(!store.find(u"README"_s));
    QVERIFY(!store.find(u"Item"_s));
    QVERIFY(store.generation() >= 3);
    // Versions are distinct counter values, each at most the generation.
    QVERIFY(all[0].version != all[1].version && all[1].version != all[2].version);
    for (const auto& viewdef : all)
        QVERIFY(viewdef.version >= 1 && viewdef.version <= store.generation());
}

void TestViewdefStore::followsSymlinkedFilesAndFolders()
{
    QTemporaryDir dir;
    const QString root = dir.path();
    QVERIFY(writeFile(
        root + u"/apps/tasks/viewdefs/Task.list-item.html"_s, "<template>task</template>"));
    QVERIFY(writeFile(root + u"/apps/more/Extra.DEFAULT.html"_s, "<template>extra</template>"));
    QVERIFY(QDir().mkpath(root + u"/viewdefs"_s));
    QVERIFY(QFile::link(root + u"/apps/tasks/viewdefs/Task.list-item.html"_s,
        root + u"/viewdefs/Task.list-item.html"_s));
    QVERIFY(QFile::link(root + u"/apps/more"_s, root + u"/viewdefs/more"_s));
    // A loop must not hang the scan.
    QVERIFY(QFile::link(root + u"/viewdefs"_s, root + u"/viewdefs/loop"_s));

    ViewdefStore store(root + u"/viewdefs"_s);
    QCOMPARE(keys(store.all()), QStringList({ u"Extra.DEFAULT"_s, u"Task.list-item"_s }));
    QCOMPARE(store.find(u"Task.list-item"_s)->html, QByteArray("<template>task</template>"));

    // Editing the link's target is an edit of the viewdef.
    const quint64 before = store.find(u"Task.list-item"_s)->version;
    QVERIFY(writeFile(
        root + u"/apps/tasks/viewdefs/Task.list-item.html"_s, "<template>task 2</template>"));
    QVERIFY(store.refresh());
    QCOMPARE(store.find(u"Task.list-item"_s)->html, QByteArray("<template>task 2</template>"));
    QVERIFY(store.find(u"Task.list-item"_s)->version > before);
}

void TestViewdefStore::missingFolderIsEmpty()
{
    QTemporaryDir dir;
    ViewdefStore store(dir.path() + u"/viewdefs"_s);
    QVERIFY(store.all().empty());
    QCOMPARE(store.generation(), quint64(0));
    QVERIFY(!store.refresh());

    // The folder may appear later.
    QVERIFY(writeFile(dir.path() + u"/viewdefs/A.DEFAULT.html"_s, "a"));
    QVERIFY(store.refresh());
    QCOMPARE(keys(store.all()), QStringList({ u"A.DEFAULT"_s }));
}

void TestViewdefStore::changedContentGetsANewVersion()
{
    QTemporaryDir dir;
    const QString file = dir.path() + u"/A.DEFAULT.html"_s;
    QVERIFY(writeFile(file, "<template>one</template>"));
    QVERIFY(writeFile(dir.path() + u"/B.DEFAULT.html"_s, "<template>b</template>"));
    ViewdefStore store(dir.path());
    const quint64 version = store.find(u"A.DEFAULT"_s)->version;
    const quint64 other = store.find(u"B.DEFAULT"_s)->version;
    const quint64 generation = store.generation();

    // Same size, so only the mtime (moved explicitly) tells the store to look.
    QVERIFY(writeFile(file, "<template>two</template>"));
    QVERIFY(touch(file, 5));
    QVERIFY(store.refresh());
    const auto changed = store.find(u"A.DEFAULT"_s);
    QCOMPARE(changed->html, QByteArray("<template>two</template>"));
    QVERIFY(changed->version > version);
    QVERIFY(store.generation() > generation);
    QCOMPARE(changed->version, store.generation());
    QCOMPARE(store.find(u"B.DEFAULT"_s)->version, other); // untouched file keeps its version
}

void TestViewdefStore::saveWithoutChangesKeepsTheVersion()
{
    QTemporaryDir dir;
    const QString file = dir.path() + u"/A.DEFAULT.html"_s;
    QVERIFY(writeFile(file, "<template>same</template>"));
    ViewdefStore store(dir.path());
    const quint64 version = store.find(u"A.DEFAULT"_s)->version;
    const quint64 generation = store.generation();

    QVERIFY(writeFile(file, "<template>same</template>"));
    QVERIFY(touch(file, 10));
    QVERIFY(!store.refresh());
    QCOMPARE(store.find(u"A.DEFAULT"_s)->version, version);
    QCOMPARE(store.generation(), generation);
}

void TestViewdefStore::addedAndRemovedFilesAreSeen()
{
    QTemporaryDir dir;
    QVERIFY(writeFile(dir.path() + u"/A.DEFAULT.html"_s, "a"));
    ViewdefStore store(dir.path());
    quint64 generation = store.generation();

    QVERIFY(writeFile(dir.path() + u"/sub/B.list-item.html"_s, "b"));
    QVERIFY(store.refresh());
    QCOMPARE(keys(store.all()), QStringList({ u"A.DEFAULT"_s, u"B.list-item"_s }));
    QVERIFY(store.generation() > generation);
    QCOMPARE(store.find(u"B.list-item"_s)->version, store.generation());
    generation = store.generation();

    QVERIFY(QFile::remove(dir.path() + u"/A.DEFAULT.html"_s));
    QVERIFY(store.refresh());
    QCOMPARE(keys(store.all()), QStringList({ u"B.list-item"_s }));
    QVERIFY(!store.find(u"A.DEFAULT"_s));
    QVERIFY(store.generation() > generation);
}

void TestViewdefStore::refreshWithoutChangesReportsNothing()
{
    const auto site = Site::open(test::sourceDir() + u"/tests/data/sites/static"_s);
    QVERIFY(site);
    ViewdefStore store(**site);
    const quint64 generation = store.generation();
    QVERIFY(!store.refresh());
    QVERIFY(!store.refresh());
    QCOMPARE(store.generation(), generation);
}

void TestViewdefStore::reloadKeepsVersionsOfUnchangedContent()
{
    QTemporaryDir dir;
    QVERIFY(writeFile(dir.path() + u"/A.DEFAULT.html"_s, "a"));
    QVERIFY(writeFile(dir.path() + u"/B.DEFAULT.html"_s, "b"));
    ViewdefStore store(dir.path());
    const auto before = store.all();
    const quint64 generation = store.generation();

    store.reload();
    const auto same = store.all();
    QCOMPARE(same.size(), before.size());
    for (std::size_t i = 0; i < same.size(); ++i)
        QCOMPARE(same[i].version, before[i].version);
    QCOMPARE(store.generation(), generation);

    QVERIFY(writeFile(dir.path() + u"/B.DEFAULT.html"_s, "bb"));
    store.reload();
    QCOMPARE(store.find(u"A.DEFAULT"_s)->version, before[0].version);
    QVERIFY(store.find(u"B.DEFAULT"_s)->version > before[1].version);
    QCOMPARE(store.find(u"B.DEFAULT"_s)->html, QByteArray("bb"));
}

void TestViewdefStore::retargetedSymlinkIsReread()
{
    QTemporaryDir dir;
    const QString root = dir.path();
    QVERIFY(writeFile(root + u"/one.html"_s, "111"));
    QVERIFY(writeFile(root + u"/two.html"_s, "222")); // same size
    QVERIFY(touch(root + u"/two.html"_s, 0));
    QVERIFY(touch(root + u"/one.html"_s, 0));
    QVERIFY(QDir().mkpath(root + u"/viewdefs"_s));
    const QString link = root + u"/viewdefs/X.DEFAULT.html"_s;
    QVERIFY(QFile::link(root + u"/one.html"_s, link));
    ViewdefStore store(root + u"/viewdefs"_s);
    QCOMPARE(store.find(u"X.DEFAULT"_s)->html, QByteArray("111"));

    QVERIFY(QFile::remove(link));
    QVERIFY(QFile::link(root + u"/two.html"_s, link));
    QVERIFY(store.refresh());
    QCOMPARE(store.find(u"X.DEFAULT"_s)->html, QByteArray("222"));
}

void TestViewdefStore::sameNameInTwoFoldersIsDeterministic()
{
    QTemporaryDir dir;
    // Created in reverse order, so the result cannot come from creation order.
    QVERIFY(writeFile(dir.path() + u"/b/X.DEFAULT.html"_s, "from b"));
    QVERIFY(writeFile(dir.path() + u"/a/X.DEFAULT.html"_s, "from a"));
    QTest::ignoreMessage(
        QtWarningMsg, QRegularExpression(u"viewdef X.DEFAULT: b/X.DEFAULT.html is ignored"_s));
    ViewdefStore store(dir.path());
    QCOMPARE(keys(store.all()), QStringList({ u"X.DEFAULT"_s }));
    QCOMPARE(store.find(u"X.DEFAULT"_s)->html, QByteArray("from a"));
    QVERIFY(!store.refresh());
}

void TestViewdefStore::concurrentReadersAndRefreshers()
{
    QTemporaryDir dir;
    for (int i = 0; i < 20; ++i)
        QVERIFY(writeFile(dir.path() + u"/T%1.DEFAULT.html"_s.arg(i), "x"));
    ViewdefStore store(dir.path());

    std::atomic<bool> stop { false };
    std::atomic<int> badReads { 0 };
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&] {
            while (!stop.load()) {
                const auto all = store.all();
                for (std::size_t i = 1; i < all.size(); ++i) {
                    if (!(all[i - 1].key < all[i].key))
                        ++badReads;
                }
                store.refresh();
            }
        });
    }
    for (int round = 0; round < 30; ++round) {
        QVERIFY(writeFile(
            dir.path() + u"/T%1.DEFAULT.html"_s.arg(round % 20), QByteArray::number(round)));
        if (round % 7 == 0)
            store.reload();
    }
    stop = true;
    for (auto& thread : threads)
        thread.join();
    QCOMPARE(badReads.load(), 0);
    store.refresh();
    QCOMPARE(store.all().size(), std::size_t(20));
    QCOMPARE(store.find(u"T9.DEFAULT"_s)->html, QByteArray("29"));
}

QTEST_GUILESS_MAIN(TestViewdefStore)
#include "test_viewdefstore.moc"
