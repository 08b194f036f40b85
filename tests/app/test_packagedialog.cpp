// The Package… dialog (GUI.md, PACKAGING.md) driven as a user does, with the real packager and
// the real lunette binary as the player: a bundle and a Debian package of sites/contacts, errors
// for output folders that cannot be written, Cancel and closing while a job runs, and the main
// window's Package… action. The dialog after a successful package is saved as package-dialog.png.

#include <memory>

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "MainWindow.h"
#include "PackageDialog.h"
#include "WidgetShot.h"
#include "package/Bundle.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::package::Format;

namespace {

// Packaging strips a copy of the (RelWithDebInfo) player and, for a deb, runs dpkg-shlibdeps.
constexpr int kPackageTimeoutMs = 400000; // a portable build compresses ~250 MB

QString native(const QString& path)
{
    return QDir::toNativeSeparators(path);
}

// Every entry of a folder, hidden ones too (a staging folder is ".lunette-package-*").
QStringList entries(const QString& folder)
{
    return QDir(folder).entryList(
        QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name);
}

QString runProgram(const QString& program, const QStringList& arguments)
{
    QProcess process;
    process.start(program, arguments);
    if (!process.waitForFinished(60000) || process.exitStatus() != QProcess::NormalExit
        || process.exitCode() != 0)
        return QString();
    return QString::fromUtf8(process.readAllStandardOutput()).trimmed();
}

// Records the URLs QDesktopServices is asked to open (instead of starting a file manager).
class UrlRecorder final : public QObject
{
    Q_OBJECT

public:
    QList<QUrl> urls;

public slots:
    void open(const QUrl& url) { urls << url; }
};

// The dialog's parts, by the objectNames tests rely on.
struct Parts
{
    explicit Parts(PackageDialog& dialog)
        : format(dialog.findChild<QComboBox*>(u"packageFormat"_s))
        , folder(dialog.findChild<QLineEdit*>(u"packageFolder"_s))
        , devtools(dialog.findChild<QCheckBox*>(u"packageDevtools"_s))
        , button(dialog.findChild<QPushButton*>(u"packageButton"_s))
        , cancel(dialog.findChild<QPushButton*>(u"packageCancel"_s))
        , progress(dialog.findChild<QProgressBar*>(u"packageProgress"_s))
        , step(dialog.findChild<QLabel*>(u"packageStep"_s))
        , result(dialog.findChild<QLabel*>(u"packageResult"_s))
        , error(dialog.findChild<QLabel*>(u"packageError"_s))
        , preview(dialog.findChild<QLabel*>(u"packagePreview"_s))
    {
    }

    bool complete() const
    {
        return format && folder && devtools && button && cancel && progress && step && result
            && error && preview;
    }

    // Choose a format in the combo box as a user does.
    bool choose(Format chosen) const
    {
        const int index = format->findData(static_cast<int>(chosen));
        if (index < 0)
            return false;
        format->setCurrentIndex(index);
        return true;
    }

    bool formEnabled() const
    {
        return format->isEnabled() && folder->isEnabled() && button->isEnabled();
    }

    // The run has ended one way or the other.
    bool finished() const { return result->isVisible() || error->isVisible(); }

    QComboBox* format;
    QLineEdit* folder;
    QCheckBox* devtools;
    QPushButton* button;
    QPushButton* cancel;
    QProgressBar* progress;
    QLabel* step;
    QLabel* result;
    QLabel* error;
    QLabel* preview;
};

} // namespace

class TestPackageDialog final : public QObject
{
    Q_OBJECT

public:
    // Called by QTEST_MAIN before the QApplication exists.
    static void initMain()
    {
        QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
        lunette::test::isolateSettings();
    }

private:
    QTemporaryDir m_temp;
    QString m_site; // a copy of sites/contacts

    // A shown dialog for the site with the real lunette binary as its player.
    std::unique_ptr<PackageDialog> makeDialog()
    {
        auto dialog = std::make_unique<PackageDialog>(m_site);
        dialog->setPlayerFile(QStringLiteral(LUNETTE_APP_BINARY));
        dialog->show();
        return dialog;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_temp.isValid());
        QVERIFY(QFileInfo(QStringLiteral(LUNETTE_APP_BINARY)).isExecutable());
        // The site in a folder of its own, so that its parent (the default output folder) holds
        // nothing else.
        m_site = m_temp.filePath(u"sites/contacts"_s);
        QVERIFY(lunette::test::copyTree(lunette::test::sourceDir() + u"/sites/contacts"_s, m_site));
        QSettings(u"Lunette"_s, u"Lunette"_s).clear();
    }

    // Bundle: the form, the progress, the file (an executable bundle with the site inside), the
    // link to its folder, and the folder remembered for next time.
    void bundleThroughTheDialog()
    {
        QTemporaryDir out;
        QVERIFY(out.isValid());
        auto dialog = makeDialog();
        Parts parts(*dialog);
        QVERIFY(parts.complete());
        QCOMPARE(dialog->windowTitle(), u"Package Contact Manager"_s); // lunette.json's title
        // No folder used before: the site's parent folder.
        QCOMPARE(parts.folder->text(), native(m_temp.filePath(u"sites"_s)));

        // DevTools is a portable-only choice.
        QVERIFY(parts.choose(Format::Portable));
        QVERIFY(parts.devtools->isEnabled());
        QVERIFY(parts.preview->text().contains(
            native(m_temp.filePath(u"sites/contacts-0.1.0-portable"_s))));
        QVERIFY(parts.choose(Format::Bundle));
        QVERIFY(!parts.devtools->isEnabled());
        QCOMPARE(dialog->format(), Format::Bundle);
        QCOMPARE(parts.preview->text(), native(m_temp.filePath(u"sites/contacts"_s)));

        // The preview follows the folder as it is typed.
        parts.folder->clear();
        QTest::keyClicks(parts.folder, out.path());
        const QString bundle = out.filePath(u"contacts"_s); // lunette.json's name
        QCOMPARE(parts.preview->text(), native(bundle));

        QList<int> percents;
        connect(parts.progress, &QProgressBar::valueChanged, this,
            [&](int value) { percents << value; });
        QTest::mouseClick(parts.button, Qt::LeftButton);
        // Running: the form is locked, Cancel cancels, nothing is finished yet.
        QVERIFY(dialog->isRunning());
        QVERIFY(!parts.format->isEnabled());
        QVERIFY(!parts.folder->isEnabled());
        QVERIFY(!parts.button->isEnabled());
        QCOMPARE(parts.cancel->text(), u"Cancel"_s);
        QCOMPARE(parts.progress->value(), 0);

        QTRY_VERIFY_WITH_TIMEOUT(parts.finished(), kPackageTimeoutMs);
        QVERIFY2(parts.result->isVisible(), qPrintable(parts.error->text()));
        QVERIFY(!parts.error->isVisible());
        QVERIFY(!dialog->isRunning());
        QVERIFY(parts.formEnabled());
        QCOMPARE(parts.cancel->text(), u"Close"_s);
        QCOMPARE(parts.progress->value(), 100);
        QVERIFY(!percents.isEmpty());
        QCOMPARE(percents.last(), 100);
        QCOMPARE(parts.step->text(), u"Done"_s);

        QCOMPARE(dialog->written(), QStringList { bundle });
        QVERIFY(QFileInfo(bundle).isFile());
        QVERIFY(QFileInfo(bundle).isExecutable());
        auto listed = lunette::package::listBundle(bundle);
        QVERIFY2(listed, qPrintable(listed ? QString() : listed.error()));
        QVERIFY(listed->contains(u"lua/main.lua"_s));
        QVERIFY(listed->contains(u"lunette.json"_s));
        // Only the bundle is left in the folder (no staging folder).
        QCOMPARE(entries(out.path()), QStringList { u"contacts"_s });

        // The result links to the file; a click shows its folder.
        QVERIFY(parts.result->text().contains(native(bundle)));
        const auto href = QRegularExpression(u"href=\"([^\"]+)\""_s).match(parts.result->text());
        QVERIFY(href.hasMatch());
        QCOMPARE(QUrl(href.captured(1)).toLocalFile(), bundle);
        UrlRecorder recorder;
        QDesktopServices::setUrlHandler(u"file"_s, &recorder, "open");
        emit parts.result->linkActivated(href.captured(1));
        QDesktopServices::unsetUrlHandler(u"file"_s);
        QCOMPARE(recorder.urls, QList<QUrl> { QUrl::fromLocalFile(out.path()) });

        QVERIFY(!lunette::test::saveWidgetShot(*dialog, u"package-dialog.png"_s).isEmpty());

        // The folder is remembered: the next dialog starts there.
        QCOMPARE(QSettings(u"Lunette"_s, u"Lunette"_s).value(u"package/outputFolder"_s).toString(),
            out.path());
        auto next = makeDialog();
        QCOMPARE(Parts(*next).folder->text(), native(out.path()));
        QSettings(u"Lunette"_s, u"Lunette"_s).remove(u"package/outputFolder"_s);
    }

    // Debian package: a .deb whose control file names the site's package.
    void debThroughTheDialog()
    {
        const QString dpkgDeb = QStandardPaths::findExecutable(u"dpkg-deb"_s);
        if (dpkgDeb.isEmpty())
            QSKIP("dpkg-deb is not installed");
        const QString arch = runProgram(u"dpkg"_s, { u"--print-architecture"_s });
        QVERIFY(!arch.isEmpty());
        QTemporaryDir out;
        QVERIFY(out.isValid());
        auto dialog = makeDialog();
        Parts parts(*dialog);
        QVERIFY(parts.complete());
        QVERIFY(parts.choose(Format::Deb));
        dialog->setOutputFolder(out.path());
        const QString deb = out.filePath(u"contacts_0.1.0_%1.deb"_s.arg(arch));
        QCOMPARE(parts.preview->text(), native(deb));

        QTest::mouseClick(parts.button, Qt::LeftButton);
        QVERIFY(dialog->isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(parts.finished(), kPackageTimeoutMs);
        QVERIFY2(parts.result->isVisible(), qPrintable(parts.error->text()));
        QCOMPARE(parts.progress->value(), 100);
        QCOMPARE(dialog->written(), QStringList { deb });
        QVERIFY(QFileInfo(deb).isFile());
        QVERIFY(parts.result->text().contains(native(deb)));
        QCOMPARE(runProgram(dpkgDeb, { u"--field"_s, deb, u"Package"_s }), u"contacts"_s);
        QCOMPARE(entries(out.path()), QStringList { QFileInfo(deb).fileName() });
    }

    // The portable format to the end, with DevTools: the folder and its archive, the launcher,
    // the DevTools pak that only this option ships.
    void portableThroughTheDialog()
    {
        QTemporaryDir out;
        QVERIFY(out.isValid());
        auto dialog = makeDialog();
        Parts parts(*dialog);
        QVERIFY(parts.complete());
        QVERIFY(parts.choose(Format::Portable));
        dialog->setOutputFolder(out.path());
        QVERIFY(parts.devtools->isEnabled());
        parts.devtools->setChecked(true);
        const QString folder = out.filePath(u"contacts-0.1.0-portable"_s);
        QCOMPARE(parts.preview->text(),
            native(folder) + u" (a folder) and "_s + native(folder + u".tar.zst"_s));

        QTest::mouseClick(parts.button, Qt::LeftButton);
        QVERIFY(dialog->isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(parts.finished(), kPackageTimeoutMs);
        QVERIFY2(parts.result->isVisible(), qPrintable(parts.error->text()));
        QCOMPARE(parts.progress->value(), 100);
        QCOMPARE(dialog->written(), QStringList({ folder, folder + u".tar.zst"_s }));
        QVERIFY(QFileInfo(folder + u"/contacts"_s).isExecutable());
        QVERIFY(QFileInfo(folder + u"/libexec/QtWebEngineProcess"_s).isExecutable());
        QVERIFY(QFile::exists(folder + u"/resources/qtwebengine_devtools_resources.pak"_s));
        QVERIFY(QFileInfo(folder + u".tar.zst"_s).size() > 0);
        QCOMPARE(entries(out.path()),
            QStringList({ u"contacts-0.1.0-portable"_s, u"contacts-0.1.0-portable.tar.zst"_s }));
    }

    // A folder that cannot be written (missing; "under" a regular file — both fail for root too):
    // the error in red names the folder, the form is back, nothing is written anywhere.
    void unwritableFolder_data()
    {
        QTest::addColumn<QString>("relative");
        QTest::newRow("missing") << u"no-such-folder"_s;
        QTest::newRow("under a file") << u"a-file/sub"_s;
    }

    void unwritableFolder()
    {
        QFETCH(QString, relative);
        QSettings(u"Lunette"_s, u"Lunette"_s).remove(u"package/outputFolder"_s);
        QTemporaryDir parent;
        QVERIFY(parent.isValid());
        QFile file(parent.filePath(u"a-file"_s));
        QVERIFY(file.open(QIODevice::WriteOnly) && file.write("not a folder\n") > 0);
        file.close();
        const QString folder = parent.filePath(relative);
        const QString above = QFileInfo(folder).path();
        const QStringList before = entries(parent.path());
        const QStringList beforeAbove = QFileInfo(above).isDir() ? entries(above) : QStringList();

        auto dialog = makeDialog();
        Parts parts(*dialog);
        QVERIFY(parts.complete());
        QVERIFY(parts.choose(Format::Bundle));
        dialog->setOutputFolder(folder);
        QVERIFY(parts.button->isEnabled());
        QTest::mouseClick(parts.button, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(parts.finished(), kPackageTimeoutMs);

        QVERIFY(parts.error->isVisible());
        QVERIFY(!parts.result->isVisible());
        QVERIFY2(parts.error->text().contains(native(folder)), qPrintable(parts.error->text()));
        QVERIFY(parts.error->styleSheet().contains(u"#c62828"_s)); // red
        QCOMPARE(dialog->errorText(), parts.error->text());
        QVERIFY(dialog->written().isEmpty());
        QVERIFY(!dialog->isRunning());
        QVERIFY(parts.formEnabled());
        QCOMPARE(parts.cancel->text(), u"Close"_s);
        QCOMPARE(entries(parent.path()), before);
        if (QFileInfo(above).isDir())
            QCOMPARE(entries(above), beforeAbove);
        QVERIFY(!QFileInfo::exists(folder));
        // A failed run does not become the remembered folder.
        QVERIFY(!QSettings(u"Lunette"_s, u"Lunette"_s).contains(u"package/outputFolder"_s));
    }

    // Cancel right after starting a portable package: "cancelled", nothing left behind (no
    // output, no staging folder), the form back.
    void cancelWhileRunning()
    {
        QTemporaryDir out;
        QVERIFY(out.isValid());
        auto dialog = makeDialog();
        Parts parts(*dialog);
        QVERIFY(parts.complete());
        QVERIFY(parts.choose(Format::Portable));
        parts.devtools->setChecked(true);
        dialog->setOutputFolder(out.path());
        bool finishedOk = true;
        int finishedCount = 0;
        connect(dialog.get(), &PackageDialog::packageFinished, this, [&](bool ok) {
            finishedOk = ok;
            ++finishedCount;
        });

        QTest::mouseClick(parts.button, Qt::LeftButton);
        QVERIFY(dialog->isRunning());
        QCOMPARE(parts.cancel->text(), u"Cancel"_s);
        QTest::mouseClick(parts.cancel, Qt::LeftButton);
        QVERIFY(dialog->isVisible()); // Cancel while running does not close the dialog
        QTRY_VERIFY_WITH_TIMEOUT(parts.finished(), kPackageTimeoutMs);

        QCOMPARE(finishedCount, 1);
        QVERIFY(!finishedOk);
        QVERIFY(parts.error->isVisible());
        QVERIFY2(parts.error->text().contains(u"cancelled"_s), qPrintable(parts.error->text()));
        QVERIFY(!parts.result->isVisible());
        QVERIFY(dialog->isVisible());
        QVERIFY(parts.formEnabled());
        QVERIFY(parts.devtools->isEnabled());
        QCOMPARE(entries(out.path()), QStringList());

        // Idle, the same button closes the dialog.
        QCOMPARE(parts.cancel->text(), u"Close"_s);
        QTest::mouseClick(parts.cancel, Qt::LeftButton);
        QVERIFY(!dialog->isVisible());
    }

    // Cancel in the middle of a portable package (copying libraries or compressing): the job
    // stops there and removes everything it had made.
    void cancelPortableMidway()
    {
        QTemporaryDir out;
        QVERIFY(out.isValid());
        auto dialog = makeDialog();
        Parts parts(*dialog);
        QVERIFY(parts.complete());
        QVERIFY(parts.choose(Format::Portable));
        dialog->setOutputFolder(out.path());
        QTest::mouseClick(parts.button, Qt::LeftButton);
        // Past preparing the player (< 15%), before moving into place (98%).
        QTRY_VERIFY_WITH_TIMEOUT(
            parts.finished() || (parts.progress->value() >= 15 && parts.progress->value() < 98),
            kPackageTimeoutMs);
        QVERIFY2(!parts.finished(), qPrintable(parts.error->text()));
        const QString step = parts.step->text();
        QVERIFY(!step.isEmpty());
        QTest::mouseClick(parts.cancel, Qt::LeftButton);
        QCOMPARE(parts.step->text(), u"Cancelling\u2026"_s);
        QVERIFY(!parts.cancel->isEnabled()); // asked once
        QTRY_VERIFY_WITH_TIMEOUT(parts.finished(), kPackageTimeoutMs);
        QVERIFY2(parts.error->text().contains(u"cancelled"_s),
            qPrintable(step + u": "_s + parts.error->text()));
        QVERIFY(dialog->written().isEmpty());
        QVERIFY(parts.formEnabled());
        QVERIFY(parts.cancel->isEnabled());
        QCOMPARE(entries(out.path()), QStringList());
    }

    // Closing the dialog while it packages cancels, and it closes once the job has cleaned up;
    // deleting it while it packages waits for the job (no crash, nothing left).
    void closeWhileRunning()
    {
        QTemporaryDir out;
        QVERIFY(out.isValid());
        auto dialog = makeDialog();
        Parts parts(*dialog);
        QVERIFY(parts.complete());
        dialog->setOutputFolder(out.path());
        QTest::mouseClick(parts.button, Qt::LeftButton);
        QVERIFY(dialog->isRunning());
        QVERIFY(!dialog->close()); // refused for now: the job is told to stop first
        QVERIFY(dialog->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->isVisible(), kPackageTimeoutMs);
        QVERIFY(!dialog->isRunning());
        QVERIFY2(dialog->errorText().contains(u"cancelled"_s), qPrintable(dialog->errorText()));
        QCOMPARE(entries(out.path()), QStringList());

        auto doomed = makeDialog();
        doomed->setOutputFolder(out.path());
        QTest::mouseClick(Parts(*doomed).button, Qt::LeftButton);
        QVERIFY(doomed->isRunning());
        doomed.reset(); // cancels and joins the worker
        QCOMPARE(entries(out.path()), QStringList());
        // Its queued progress and result find no dialog.
        QTest::qWait(50);
        QCOMPARE(entries(out.path()), QStringList());
    }

    // The main window's Package… action: in the Site menu, only with a site, opens the dialog for
    // the current site (one per site).
    void mainWindowAction()
    {
        MainWindow window;
        QAction* action = window.action(u"packageSite"_s);
        QVERIFY(action);
        QVERIFY(!action->isEnabled());
        QVERIFY(!window.openPackageDialog());

        QMenu* siteMenu = nullptr;
        for (QAction* menu : window.menuBar()->actions()) {
            if (menu->menu() && menu->menu()->actions().contains(action))
                siteMenu = menu->menu();
        }
        QVERIFY(siteMenu);
        QVERIFY(siteMenu->actions().contains(window.action(u"reloadPage"_s)));

        window.openSite(m_site);
        QVERIFY2(window.host(), qPrintable(window.siteError()));
        QVERIFY(action->isEnabled());
        action->trigger();
        auto* dialog = window.findChild<PackageDialog*>();
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        QCOMPARE(dialog->siteFolder(), m_site);
        QCOMPARE(dialog->windowTitle(), u"Package Contact Manager"_s);
        QCOMPARE(window.openPackageDialog(), dialog); // the same one, raised
        QCOMPARE(window.findChildren<PackageDialog*>().size(), 1);

        window.closeSite();
        QVERIFY(!action->isEnabled());
        QVERIFY(!window.openPackageDialog());
    }
};

QTEST_MAIN(TestPackageDialog)
#include "test_packagedialog.moc"
