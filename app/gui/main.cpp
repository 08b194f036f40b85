// lunette: the desktop app. Opens the main window on a site folder (or the last one, or the start
// page); see CommandLine.cpp for the options.

#include <cstdio>

#include <unistd.h>

#include <QApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include "CommandLine.h"
#include "MainWindow.h"
#include "SelfTest.h"
#include "package/Bundle.h"
#include "package/Packager.h"
#include "runtime/DataDir.h"
#include "runtime/TypeStubs.h"

using namespace Qt::StringLiterals;

namespace {

// When this binary is a bundle (a packaged site, PACKAGING.md), the folder its site is unpacked
// in: once per bundle file version, under the user's cache folder. "" when it is not a bundle.
QString unpackOwnBundle(const QString& self, QString* error)
{
    auto found = lunette::package::findBundle(self);
    if (!found) {
        *error = found.error();
        return QString();
    }
    if (!*found)
        return QString();
    const QFileInfo info(self);
    const QByteArray key
        = QCryptographicHash::hash((self + u'|' + QString::number(info.size()) + u'|'
                                       + QString::number(info.lastModified().toMSecsSinceEpoch()))
                                       .toUtf8(),
            QCryptographicHash::Sha1)
              .toHex()
              .left(16);
    const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation)
        + u"/lunette/bundles/"_s;
    const QString dir = base + QString::fromLatin1(key);
    if (QFileInfo::exists(dir + u"/.complete"_s))
        return dir;
    const QString staging = dir + u".part"_s;
    QDir(staging).removeRecursively();
    if (auto extracted = lunette::package::extractBundle(self, staging); !extracted) {
        *error = extracted.error();
        QDir(staging).removeRecursively();
        return QString();
    }
    QFile marker(staging + u"/.complete"_s);
    QDir(dir).removeRecursively();
    if (!marker.open(QIODevice::WriteOnly) || !QDir().rename(staging, dir)) {
        *error = u"cannot unpack the app into "_s + QDir::toNativeSeparators(dir);
        return QString();
    }
    return dir;
}

} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication::setOrganizationName(u"Lunette"_s);
    QCoreApplication::setApplicationName(u"Lunette"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(LUNETTE_VERSION));

    // Parsed before the application exists: --help, --version and bad options need no display.
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    CommandLine command = CommandLine::parse(arguments);
    if (command.exit) {
        std::fputs(qPrintable(command.output), command.exitCode == 0 ? stdout : stderr);
        return command.exitCode;
    }

    if (command.eval) {
        QCoreApplication app(argc, argv);
        if (command.evalFromStdin) {
            QFile in;
            if (!in.open(stdin, QIODevice::ReadOnly)) {
                std::fputs("lunette eval: cannot read standard input\n", stderr);
                return 1;
            }
            command.evalRequest.code = QString::fromUtf8(in.readAll());
        }
        const auto report = lunette::remote::evaluate(command.evalRequest);
        std::fputs(report.out.toUtf8().constData(), stdout);
        if (!report.err.isEmpty())
            std::fprintf(stderr, "lunette eval: %s", report.err.toUtf8().constData());
        return report.exitCode;
    }
    if (!command.listBundle.isEmpty()) {
        const auto listed = lunette::package::listBundle(command.listBundle);
        if (!listed) {
            std::fprintf(stderr, "lunette: %s\n", qPrintable(listed.error()));
            return 1;
        }
        for (const QString& line : *listed)
            std::printf("%s\n", qPrintable(line));
        return 0;
    }
    if (!command.extractBundle.isEmpty()) {
        const auto extracted
            = lunette::package::extractBundle(command.extractBundle, command.extractTo);
        if (!extracted) {
            std::fprintf(stderr, "lunette: %s\n", qPrintable(extracted.error()));
            return 1;
        }
        return 0;
    }
    if (!command.packageSite.isEmpty()) {
        // The player is this very binary (a bundle's own archive is stripped first).
        lunette::package::Options options;
        options.siteFolder = command.packageSite;
        options.format = command.packageFormat;
        options.output = command.packageOutput;
        options.playerFile = QFileInfo(u"/proc/self/exe"_s).symLinkTarget();
        options.withDevtools = command.packageWithDevtools;
        const bool terminal = ::isatty(STDERR_FILENO);
        QString lastStep;
        const auto made
            = lunette::package::makePackage(options, [&](const QString& step, int percent) {
                  // On a terminal one line updates in place; in a log, one line per step.
                  if (terminal)
                      std::fprintf(stderr, "\r\033[K[%3d%%] %s", percent, qPrintable(step));
                  else if (step != lastStep)
                      std::fprintf(stderr, "[%3d%%] %s\n", percent, qPrintable(step));
                  lastStep = step;
              });
        if (terminal)
            std::fputc('\n', stderr);
        if (!made) {
            std::fprintf(stderr, "lunette package: %s\n", qPrintable(made.error()));
            return 1;
        }
        for (const QString& file : made->written)
            std::printf("%s\n", qPrintable(QDir::toNativeSeparators(file)));
        return 0;
    }
    if (!command.typesFor.isEmpty()) {
        const auto written = lunette::writeTypeStubs(command.typesFor);
        if (!written) {
            std::fprintf(stderr, "lunette types: %s\n", qPrintable(written.error()));
            return 1;
        }
        for (const QString& file : *written)
            std::printf("%s\n", qPrintable(file));
        return 0;
    }

    // A packaged site: this binary carries it; it runs as the app (player mode), its data in the
    // user's data folder.
    const QString self = QFileInfo(u"/proc/self/exe"_s).symLinkTarget();
    QString bundleError;
    const QString bundled = unpackOwnBundle(self, &bundleError);
    if (!bundleError.isEmpty()) {
        std::fprintf(stderr, "lunette: %s\n", qPrintable(bundleError));
        return 1;
    }
    if (!bundled.isEmpty()) {
        command.window.player = true;
        command.window.sitePath = bundled;
        command.window.reopenLast = false;
        lunette::setDataPlacement(lunette::DataPlacement::UserData);
    }

    // QtWebEngine shares OpenGL contexts with the widgets; this must be set before the app exists.
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
    QApplication app(argc, argv);
    MainWindow window(command.window);
    window.show();
    if (command.selfTest)
        new SelfTest(&window); // owned by the window
    return app.exec();
}
