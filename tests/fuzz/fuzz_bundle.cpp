// libFuzzer target: the bundle footer and archive reader (engine/package/Bundle.h).
//
// Input: a whole bundle file ([player][tar archive][32-byte footer]). It is written to one reused
// temporary file and read with findBundle, listBundle and extractBundle. Since a footer only fits
// a file of one exact length, most mutations of a real bundle break it; so when the input has no
// valid footer, the input (without a trailing footer-like block) is also read as a bare archive
// behind a correct footer, which keeps the tar reader reachable for every input.
//
// Extraction goes into a fresh folder deep inside a sandbox folder. Oracle: afterwards every entry
// below the extraction folder (walked without following links) resolves, when it resolves at all,
// to a path inside it; and nothing but the extraction folder and its parents exists in the
// sandbox. findBundle's location, when it reports one, lies inside the file.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <QByteArray>
#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtEndian>

#include "package/Bundle.h"

using namespace Qt::StringLiterals;
using namespace lunette::package;

namespace {

// Extraction writes each file with QSaveFile, which syncs it to disk: tens of milliseconds per
// input on a disk, nothing on a RAM-backed folder, so that is preferred where there is one.
QString scratchFolder()
{
    const QFileInfo shm(u"/dev/shm"_s);
    return shm.isDir() && shm.isWritable() ? shm.filePath() : QDir::tempPath();
}

struct Fixture
{
    QTemporaryDir dir { scratchFolder() + u"/fuzz_bundle-XXXXXX"_s };
    QString bundleFile;
    QString sandbox; // canonical; holds only the chain down to the extraction folder
    QString extractDir; // sandbox/a/b/c/d/e/f/out
    QStringList chain; // sandbox/a … sandbox/a/b/c/d/e/f
};

Fixture* g_fixture = nullptr;
QByteArray g_input;

[[noreturn]] void fail(const char* what, const QString& detail = {})
{
    std::fprintf(stderr, "fuzz_bundle: %s %s\n  input (percent-encoded): %s\n", what,
        detail.toUtf8().constData(), g_input.left(300).toPercentEncoding().constData());
    std::abort();
}

void removeFixture()
{
    delete g_fixture;
    g_fixture = nullptr;
}

bool writeFile(const QString& path, const QByteArray& content)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        && file.write(content) == content.size();
}

bool inside(const QString& path, const QString& root)
{
    return path == root || path.startsWith(root + u'/');
}

void checkExtraction()
{
    const Fixture& f = *g_fixture;
    const QString root = QFileInfo(f.extractDir).canonicalFilePath();
    if (root.isEmpty())
        return; // extraction failed before creating it (or made it a dangling link: see below)
    if (root != f.extractDir)
        fail("the extraction folder was replaced by a link", root);
    QDirIterator entries(f.extractDir,
        QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
        QDirIterator::Subdirectories);
    while (entries.hasNext()) {
        const QString path = entries.next();
        const QFileInfo info(path);
        const QString canonical = info.canonicalFilePath();
        if (canonical.isEmpty()) {
            if (!info.isSymLink())
                fail("an extracted entry that does not resolve", path);
            continue; // a dangling link points nowhere yet
        }
        if (!inside(canonical, root))
            fail("an extracted entry resolves outside the extraction folder",
                path + u" -> "_s + canonical);
    }
    // Nothing may have landed beside the extraction folder or its parents.
    QDirIterator all(f.sandbox,
        QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
        QDirIterator::Subdirectories);
    while (all.hasNext()) {
        const QString path = all.next();
        if (!inside(path, f.extractDir) && !f.chain.contains(path))
            fail("extraction created something outside its folder", path);
    }
}

void readBundle(const QByteArray& content)
{
    Fixture& f = *g_fixture;
    if (!writeFile(f.bundleFile, content))
        fail("cannot write the bundle file");

    const auto found = findBundle(f.bundleFile);
    if (found && *found) {
        const BundleLocation& at = **found;
        if (at.archiveOffset < 0 || at.archiveSize <= 0
            || at.archiveOffset + at.archiveSize + kFooterSize != content.size())
            fail("findBundle reports a location outside the file");
    }
    const auto names = listBundle(f.bundleFile);
    if (names && !(found && *found))
        fail("listBundle lists a file findBundle does not accept");

    QDir(f.sandbox + u"/a"_s).removeRecursively();
    const auto extracted = extractBundle(f.bundleFile, f.extractDir);
    if (extracted && !(found && *found))
        fail("extractBundle unpacks a file findBundle does not accept");
    checkExtraction();
    QDir(f.sandbox + u"/a"_s).removeRecursively();
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
    const QString root = QFileInfo(fixture->dir.path()).canonicalFilePath();
    fixture->bundleFile = root + u"/input.bundle"_s;
    fixture->sandbox = root + u"/sandbox"_s;
    QString folder = fixture->sandbox;
    for (const char16_t* step : { u"a", u"b", u"c", u"d", u"e", u"f" }) {
        folder += u'/' + QString::fromUtf16(step);
        fixture->chain << folder;
    }
    fixture->extractDir = folder + u"/out"_s;
    if (!QDir().mkpath(fixture->sandbox))
        fail("cannot create the sandbox");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    g_input = QByteArray(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    readBundle(g_input);

    const auto found = findBundle(g_fixture->bundleFile);
    if (!(found && *found) && !g_input.isEmpty()) {
        // The input as a bare archive: drop a trailing footer-like block, add a correct footer.
        QByteArray archive = g_input;
        if (archive.size() >= kFooterSize
            && std::memcmp(archive.constData() + archive.size() - 16, kBundleMagic, 16) == 0)
            archive.chop(kFooterSize);
        if (!archive.isEmpty()) {
            QByteArray footer(kFooterSize, '\0');
            qToLittleEndian<qint64>(0, footer.data());
            qToLittleEndian<qint64>(archive.size(), footer.data() + 8);
            std::memcpy(footer.data() + 16, kBundleMagic, 16);
            readBundle(archive + footer);
        }
    }
    return 0;
}
