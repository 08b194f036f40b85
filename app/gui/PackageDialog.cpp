#include "PackageDialog.h"

#include <atomic>
#include <initializer_list>
#include <utility>

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMutex>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QUrl>
#include <QVBoxLayout>

#include "PostToGui.h"
#include "site/Site.h"

using namespace Qt::StringLiterals;
namespace package = lunette::package;

namespace {

constexpr QLatin1StringView kOutputFolderKey("package/outputFolder");
constexpr QLatin1StringView kErrorStyle("color: #c62828;");

// The window's settings file (MainWindow's), whatever the QCoreApplication names are.
QSettings lunetteSettings()
{
    return QSettings(u"Lunette"_s, u"Lunette"_s);
}

QString formatHelp(package::Format format)
{
    switch (format) {
    case package::Format::Bundle:
        return QCoreApplication::translate("PackageDialog",
            "The Lunette player and the site in one executable file; it runs where "
            "Lunette's Qt and Lua libraries are installed.");
    case package::Format::Deb:
        return QCoreApplication::translate("PackageDialog",
            "Installs with apt on Debian 12 and derivatives: a menu entry, an icon "
            "and the library dependencies.");
    case package::Format::Portable:
        return QCoreApplication::translate("PackageDialog",
            "The app with every library it needs, as a folder and a .tar.zst "
            "archive; runs on Linux x86-64 without Qt installed.");
    }
    return QString();
}

// The title the site's window has (its manifest's), else its name.
QString siteTitle(const QString& folder)
{
    if (auto site = lunette::Site::open(folder)) {
        const QString& title = (*site)->manifest().title;
        return title.isEmpty() ? (*site)->name() : title;
    }
    return QFileInfo(folder).fileName();
}

} // namespace

// One makePackage run, shared by the dialog and its worker. The worker keeps only the latest
// progress here and posts at most one update at a time, so a job reporting per file never floods
// the GUI thread's queue.
struct PackageDialog::Run
{
    std::atomic_bool cancel = false;
    QMutex mutex;
    QString step;
    int percent = 0;
    bool progressPosted = false;
};

PackageDialog::PackageDialog(const QString& siteFolder, QWidget* parent)
    : QDialog(parent)
    , m_siteFolder(QDir(siteFolder).absolutePath())
    , m_playerFile(QFileInfo(u"/proc/self/exe"_s).symLinkTarget())
    , m_format(new QComboBox(this))
    , m_formatHelp(new QLabel(this))
    , m_folder(new QLineEdit(this))
    , m_chooseFolder(new QPushButton(tr("Choose\u2026"), this))
    , m_devtools(new QCheckBox(tr("Include DevTools (for --inspect)"), this))
    , m_preview(new QLabel(this))
    , m_progress(new QProgressBar(this))
    , m_step(new QLabel(this))
    , m_result(new QLabel(this))
    , m_error(new QLabel(this))
    , m_packageButton(new QPushButton(tr("&Package"), this))
    , m_cancelButton(new QPushButton(tr("Close"), this))
{
    setObjectName(u"packageDialog"_s);
    setWindowTitle(tr("Package %1").arg(siteTitle(m_siteFolder)));

    m_format->setObjectName(u"packageFormat"_s);
    m_format->addItem(
        tr("Bundle \u2014 one executable file"), static_cast<int>(package::Format::Bundle));
    m_format->addItem(tr("Debian package (.deb)"), static_cast<int>(package::Format::Deb));
    m_format->addItem(
        tr("Portable folder + .tar.zst"), static_cast<int>(package::Format::Portable));
    m_formatHelp->setObjectName(u"packageFormatHelp"_s);
    m_formatHelp->setWordWrap(true);
    m_formatHelp->setForegroundRole(QPalette::PlaceholderText);

    m_folder->setObjectName(u"packageFolder"_s);
    m_chooseFolder->setObjectName(u"packageChooseFolder"_s);
    m_devtools->setObjectName(u"packageDevtools"_s);
    m_devtools->setToolTip(tr("Ship the DevTools resources, so that the portable app can be "
                              "started with --inspect (a bigger download)"));
    m_preview->setObjectName(u"packagePreview"_s);
    m_preview->setWordWrap(true);
    m_preview->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_progress->setObjectName(u"packageProgress"_s);
    m_progress->setRange(0, 100);
    m_progress->setValue(0);
    m_step->setObjectName(u"packageStep"_s);
    m_step->setWordWrap(true);
    m_result->setObjectName(u"packageResult"_s);
    m_result->setWordWrap(true);
    m_result->setTextFormat(Qt::RichText);
    m_result->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_result->setOpenExternalLinks(false);
    m_result->hide();
    m_error->setObjectName(u"packageError"_s);
    m_error->setWordWrap(true);
    m_error->setTextFormat(Qt::PlainText);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(kErrorStyle);
    m_error->hide();

    m_packageButton->setObjectName(u"packageButton"_s);
    m_packageButton->setDefault(true);
    m_cancelButton->setObjectName(u"packageCancel"_s);

    // The explanation sits under the format it explains; labels have buddies for their mnemonics.
    auto* formatColumn = new QVBoxLayout;
    formatColumn->setSpacing(2);
    formatColumn->addWidget(m_format);
    formatColumn->addWidget(m_formatHelp);
    auto* formatLabel = new QLabel(tr("&Format:"), this);
    formatLabel->setBuddy(m_format);
    auto* folderRow = new QHBoxLayout;
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(m_chooseFolder);
    auto* folderLabel = new QLabel(tr("&Output folder:"), this);
    folderLabel->setBuddy(m_folder);
    auto* form = new QFormLayout;
    form->addRow(formatLabel, formatColumn);
    form->addRow(folderLabel, folderRow);
    form->addRow(QString(), m_devtools);
    form->addRow(tr("Writes:"), m_preview);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_packageButton);
    buttons->addWidget(m_cancelButton);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addSpacing(6);
    layout->addWidget(m_progress);
    layout->addWidget(m_step);
    layout->addWidget(m_result);
    layout->addWidget(m_error);
    layout->addStretch(1);
    layout->addLayout(buttons);
    setMinimumWidth(560);

    // The last folder packages went to, else the folder the site is in.
    const QString last = lunetteSettings().value(kOutputFolderKey).toString();
    m_folder->setText(QDir::toNativeSeparators(
        !last.isEmpty() && QFileInfo(last).isDir() ? last : QFileInfo(m_siteFolder).path()));

    connect(m_format, &QComboBox::currentIndexChanged, this, &PackageDialog::updateFormat);
    connect(m_folder, &QLineEdit::textChanged, this, &PackageDialog::updatePreview);
    connect(m_chooseFolder, &QPushButton::clicked, this, &PackageDialog::chooseFolder);
    connect(m_packageButton, &QPushButton::clicked, this, &PackageDialog::startPackage);
    connect(m_cancelButton, &QPushButton::clicked, this, [this] {
        if (isRunning())
            cancelPackage();
        else
            reject();
    });
    connect(m_result, &QLabel::linkActivated, this, &PackageDialog::openWrittenLink);
    updateFormat();
    setRunning(false);
}

// The worker must not outlive the dialog: it is told to stop and waited for (its posts that are
// still queued find the QPointer null and do nothing).
PackageDialog::~PackageDialog()
{
    if (m_run)
        m_run->cancel = true;
    if (m_worker.joinable())
        m_worker.join();
}

package::Format PackageDialog::format() const
{
    return static_cast<package::Format>(m_format->currentData().toInt());
}

void PackageDialog::setFormat(package::Format format)
{
    m_format->setCurrentIndex(m_format->findData(static_cast<int>(format)));
}

QString PackageDialog::outputFolder() const
{
    const QString folder = m_folder->text().trimmed();
    return folder.isEmpty() ? QString() : QDir::cleanPath(QDir::fromNativeSeparators(folder));
}

void PackageDialog::setOutputFolder(const QString& folder)
{
    m_folder->setText(QDir::toNativeSeparators(folder));
}

QString PackageDialog::outputPath() const
{
    const QString folder = outputFolder();
    if (folder.isEmpty() || m_outputName.isEmpty())
        return QString();
    return QDir(folder).absoluteFilePath(m_outputName);
}

QString PackageDialog::errorText() const
{
    return m_error->isHidden() ? QString() : m_error->text();
}

void PackageDialog::updateFormat()
{
    const package::Format chosen = format();
    m_formatHelp->setText(formatHelp(chosen));
    m_devtools->setEnabled(!isRunning() && chosen == package::Format::Portable);
    // The name depends on the site and the format only (a deb's asks dpkg for the architecture:
    // once per format change, not per keystroke in the folder field).
    auto output = package::defaultOutput(m_siteFolder, chosen, QFileInfo(m_siteFolder).path());
    m_outputName = output ? QFileInfo(*output).fileName() : QString();
    m_outputProblem = output ? QString() : output.error();
    updatePreview();
}

void PackageDialog::updatePreview()
{
    const QString path = outputPath();
    if (!m_outputProblem.isEmpty()) {
        m_preview->setText(tr("Nothing: %1").arg(m_outputProblem));
        m_preview->setStyleSheet(kErrorStyle);
    } else if (path.isEmpty()) {
        m_preview->setText(tr("Choose the folder to write the package in."));
        m_preview->setStyleSheet(QString());
    } else {
        const QString shown = QDir::toNativeSeparators(path);
        m_preview->setText(format() == package::Format::Portable
                ? tr("%1 (a folder) and %2").arg(shown, shown + u".tar.zst"_s)
                : shown);
        m_preview->setStyleSheet(QString());
    }
    m_packageButton->setEnabled(!isRunning() && m_outputProblem.isEmpty() && !path.isEmpty());
    fitHeight();
}

// A top-level layout sets the window's minimum size without heightForWidth, so wrapped labels
// (the explanation, the preview, the result, the error) would be squeezed when they grow: the
// window grows to the height they need at its width.
void PackageDialog::fitHeight()
{
    QLayout* top = layout();
    top->activate();
    if (!top->hasHeightForWidth())
        return;
    const int needed = top->totalHeightForWidth(width());
    if (height() < needed)
        resize(width(), needed);
}

void PackageDialog::chooseFolder()
{
    const QString start = outputFolder();
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Package Output Folder"),
        start.isEmpty() ? QFileInfo(m_siteFolder).path() : start);
    if (!folder.isEmpty())
        setOutputFolder(folder);
}

void PackageDialog::setRunning(bool running)
{
    for (QWidget* w : std::initializer_list<QWidget*> { m_format, m_folder, m_chooseFolder })
        w->setEnabled(!running);
    m_devtools->setEnabled(!running && format() == package::Format::Portable);
    m_cancelButton->setText(running ? tr("Cancel") : tr("Close"));
    m_cancelButton->setEnabled(true);
    updatePreview(); // the Package button
}

void PackageDialog::startPackage()
{
    if (isRunning())
        return;
    m_written.clear();
    m_result->hide();
    m_error->hide();
    const QString folder = outputFolder();
    if (folder.isEmpty()) {
        showError(tr("Choose the folder to write the package in."));
        return;
    }
    // The name is asked again: lunette.json may have changed since the format was chosen.
    auto output = package::defaultOutput(m_siteFolder, format(), folder);
    if (!output) {
        showError(output.error());
        return;
    }

    package::Options options;
    options.siteFolder = m_siteFolder;
    options.format = format();
    options.output = *output;
    options.playerFile = m_playerFile;
    options.withDevtools = options.format == package::Format::Portable && m_devtools->isChecked();

    auto run = std::make_shared<Run>();
    m_run = run;
    m_progress->setValue(0);
    m_step->setText(tr("Starting\u2026"));
    setRunning(true);
    m_cancelButton->setFocus();

    const QPointer<PackageDialog> self(this);
    m_worker = std::thread([self, run, options] {
        const package::ProgressFn progress = [self, run](const QString& step, int percent) {
            {
                QMutexLocker lock(&run->mutex);
                run->step = step;
                run->percent = percent;
                if (run->progressPosted)
                    return; // the update already queued shows this one
                run->progressPosted = true;
            }
            postToGui([self, run] {
                if (self && self->m_run == run)
                    self->showProgress(run);
            });
        };
        auto result = package::makePackage(options, progress, &run->cancel);
        // Queued after every progress update: the bar has its last value when this arrives.
        postToGui([self, run, result] {
            if (self && self->m_run == run)
                self->finishRun(result);
        });
    });
}

void PackageDialog::showProgress(const std::shared_ptr<Run>& run)
{
    QMutexLocker lock(&run->mutex);
    run->progressPosted = false;
    m_progress->setValue(run->percent);
    if (!run->cancel)
        m_step->setText(run->step);
}

void PackageDialog::cancelPackage()
{
    if (!m_run)
        return;
    m_run->cancel = true;
    m_step->setText(tr("Cancelling\u2026"));
    m_cancelButton->setEnabled(false);
}

void PackageDialog::reject()
{
    if (isRunning()) {
        // Closed while running: the job stops first (it removes its staging folder), then the
        // dialog closes. The close event is ignored meanwhile (QDialog: still visible).
        m_closeWhenDone = true;
        cancelPackage();
        return;
    }
    QDialog::reject();
}

void PackageDialog::finishRun(const lunette::Expected<package::Result, QString>& result)
{
    // The worker posted this as its last act: joining waits for its return at most.
    if (m_worker.joinable())
        m_worker.join();
    m_run.reset();
    setRunning(false);

    if (result) {
        m_written = result->written;
        lunetteSettings().setValue(kOutputFolderKey, outputFolder());
        QStringList links;
        for (const QString& path : std::as_const(m_written)) {
            links << u"<a href=\"%1\">%2</a>"_s.arg(
                QUrl::fromLocalFile(path).toString(QUrl::FullyEncoded).toHtmlEscaped(),
                QDir::toNativeSeparators(path).toHtmlEscaped());
        }
        m_result->setText(tr("Written:") + u"<br>"_s + links.join(u"<br>"_s));
        m_result->setToolTip(tr("Click to show it in its folder"));
        m_result->show();
        m_step->setText(tr("Done"));
        fitHeight();
    } else {
        showError(result.error() == u"cancelled"_s
                ? tr("Packaging cancelled.")
                : tr("Packaging failed: %1").arg(result.error()));
    }
    emit packageFinished(result.hasValue());
    if (m_closeWhenDone) {
        m_closeWhenDone = false;
        QDialog::reject();
    }
}

void PackageDialog::showError(const QString& message)
{
    m_error->setText(message);
    m_error->show();
    m_step->clear();
    fitHeight();
}

void PackageDialog::openWrittenLink(const QString& link)
{
    const QString path = QUrl(link).toLocalFile();
    if (!path.isEmpty())
        QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(path).absolutePath()));
}
