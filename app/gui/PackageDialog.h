#pragma once

// The Package… dialog (GUI.md, PACKAGING.md): one site made into a bundle, a Debian package or a
// portable folder by lunette::package::makePackage — the same code as `lunette package` — with a
// format chooser, an output folder (remembered in QSettings), a preview of what will be written,
// a progress bar and, at the end, links to what was written or the error in red.
//
// makePackage runs on a worker thread of the dialog; its progress and result come back through
// postToGui, guarded by a QPointer and the run they belong to. Cancel sets the run's atomic flag;
// closing the dialog while it runs cancels and closes once the worker has cleaned up, and the
// destructor cancels and joins, so the worker never outlives the dialog.

#include <memory>
#include <thread>

#include <QDialog>
#include <QString>
#include <QStringList>

#include "package/Packager.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

class PackageDialog final : public QDialog
{
    Q_OBJECT

public:
    // siteFolder: the site to package (its lunette.json gives the title, name and version).
    explicit PackageDialog(const QString& siteFolder, QWidget* parent = nullptr);
    ~PackageDialog() override;

    QString siteFolder() const { return m_siteFolder; }
    // The Lunette binary that becomes the player: this executable unless set (tests run from a
    // test binary and pass the real lunette).
    QString playerFile() const { return m_playerFile; }
    void setPlayerFile(const QString& file) { m_playerFile = file; }

    lunette::package::Format format() const;
    void setFormat(lunette::package::Format format);
    QString outputFolder() const;
    void setOutputFolder(const QString& folder);
    // What the chosen format writes in the chosen folder (the file, or the portable folder);
    // empty when the site does not make a package (the preview says why).
    QString outputPath() const;

    bool isRunning() const { return m_run != nullptr; }
    // What the last successful run wrote; empty before, and after a failure.
    QStringList written() const { return m_written; }
    // The last run's error as shown ("" after a success).
    QString errorText() const;

public slots:
    // Start packaging with the form's choices (nothing when already running).
    void startPackage();
    // Ask the running job to stop (it ends with the error "cancelled" and leaves nothing).
    void cancelPackage();
    // While running: cancel, and close once the worker has finished.
    void reject() override;

signals:
    // A run ended (ok: written() has the paths; else errorText() says why).
    void packageFinished(bool ok);

private:
    struct Run;

    void updateFormat();
    void updatePreview();
    void fitHeight();
    void chooseFolder();
    void setRunning(bool running);
    void showProgress(const std::shared_ptr<Run>& run);
    void finishRun(const lunette::Expected<lunette::package::Result, QString>& result);
    void showError(const QString& message);
    void openWrittenLink(const QString& link);

    QString m_siteFolder;
    QString m_playerFile;
    QString m_outputName; // the file name defaultOutput gives the chosen format
    QString m_outputProblem; // why the site makes no package ("" when it does)
    QStringList m_written;
    bool m_closeWhenDone = false;

    QComboBox* m_format = nullptr;
    QLabel* m_formatHelp = nullptr;
    QLineEdit* m_folder = nullptr;
    QPushButton* m_chooseFolder = nullptr;
    QCheckBox* m_devtools = nullptr;
    QLabel* m_preview = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_step = nullptr;
    QLabel* m_result = nullptr;
    QLabel* m_error = nullptr;
    QPushButton* m_packageButton = nullptr;
    QPushButton* m_cancelButton = nullptr;

    std::shared_ptr<Run> m_run; // the job running now; nullptr when idle
    std::thread m_worker;
};
