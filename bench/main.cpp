// lunette-bench: the PERFORMANCE.md benchmarks (bench/README.md).
//
//   lunette-bench [all|p1|p2|p3|p4|p7|p8|p9]... [--iterations N] [--seconds S]
//                 [--client-threads T] [--sites DIR] [--server PATH]
//
// Prints one Markdown table (the rows of the benchmarks asked for, in order) to stdout.

#include <cstdio>
#include <functional>
#include <thread>

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QLibraryInfo>
#include <QProcess>
#include <QSysInfo>

#include "Benchmarks.h"

using namespace Qt::StringLiterals;
using namespace lunette::bench;

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"lunette-bench"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(LUNETTE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Lunette benchmarks (docs/BENCHMARKS.md). Benchmarks: p1 (action round "
        "trip), p2 (change detection), p3 (frame encoding), p4 (memory per "
        "session), p7 (throughput), p8 (timers), p9 (server start), all (default)."_s);
    parser.addHelpOption();
    const QCommandLineOption iterationsOption(u"iterations"_s,
        u"Repetitions: P1 round trips (5000), P2 turns per size (1000; a tenth at 100k), P3 frames "
        u"(20000), "
        "P4 sessions per site (200), P9 launches (20)."_s,
        u"N"_s, u"0"_s);
    const QCommandLineOption secondsOption(
        u"seconds"_s, u"P7 measuring time (default 5)."_s, u"S"_s, u"5"_s);
    const QCommandLineOption threadsOption(
        u"client-threads"_s, u"P7 client threads (default 1)."_s, u"T"_s, u"1"_s);
    const QCommandLineOption sitesOption(u"sites"_s,
        u"The benchmark sites folder (default: bench/sites)."_s, u"DIR"_s,
        QStringLiteral(LUNETTE_BENCH_SITES));
    const QCommandLineOption serverOption(u"server"_s, u"The lunette-server binary for P9."_s,
        u"PATH"_s, QStringLiteral(LUNETTE_SERVER_PATH));
    // Internal: print only the rows (a benchmark re-run in a child process, see below).
    QCommandLineOption rowsOnlyOption(u"rows-only"_s, u"Print only the table rows."_s);
    rowsOnlyOption.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOptions({ iterationsOption, secondsOption, threadsOption, sitesOption, serverOption,
        rowsOnlyOption });
    parser.addPositionalArgument(
        u"benchmark"_s, u"all, p1, p2, p3, p4, p7, p8, p9"_s, u"[benchmark...]"_s);
    parser.process(app);

    Options options;
    options.iterations = parser.value(iterationsOption).toInt();
    options.seconds = parser.value(secondsOption).toInt();
    options.clientThreads = std::max(1, parser.value(threadsOption).toInt());
    options.sitesDir = parser.value(sitesOption);
    options.serverPath = parser.value(serverOption);

    const std::vector<std::pair<QString, std::function<void(const Options&)>>> benchmarks = {
        { u"p1"_s, runRoundTrip },
        { u"p2"_s, runChangeDetection },
        { u"p3"_s, runEncode },
        { u"p4"_s, runMemory },
        { u"p7"_s, runThroughput },
        { u"p8"_s, runTimers },
        { u"p9"_s, runStartup },
    };
    QStringList wanted = parser.positionalArguments();
    if (wanted.isEmpty() || wanted.contains(u"all"_s)) {
        wanted.clear();
        for (const auto& [name, run] : benchmarks)
            wanted.append(name);
    }
    for (const QString& name : wanted) {
        bool known = false;
        for (const auto& [n, run] : benchmarks)
            known = known || n == name.toLower();
        if (!known) {
            std::fprintf(
                stderr, "lunette-bench: unknown benchmark '%s' (see --help)\n", qPrintable(name));
            return 2;
        }
    }
    if (QStringLiteral(LUNETTE_BENCH_BUILD_TYPE) != u"Release"_s)
        std::fprintf(stderr,
            "lunette-bench: warning: this is a %s build; record numbers from a Release build\n",
            LUNETTE_BENCH_BUILD_TYPE);

    // Other processes' load matters on a shared 2-core machine: say what it was.
    QFile loadFile(u"/proc/loadavg"_s);
    const QString load = loadFile.open(QIODevice::ReadOnly)
        ? QString::fromLatin1(loadFile.readAll()).section(u' ', 0, 2)
        : u"?"_s;
    const QString info
        = u"lunette-bench %1 · %2 · %3 CPUs · %4 · Qt %5 · %6 build · load average %7\n\n"_s.arg(
            QCoreApplication::applicationVersion(),
            QDateTime::currentDateTime().toString(u"yyyy-MM-dd HH:mm"_s),
            QString::number(std::thread::hardware_concurrency()), QSysInfo::prettyProductName(),
            QString::fromLatin1(qVersion()), QStringLiteral(LUNETTE_BENCH_BUILD_TYPE), load);
    const bool rowsOnly = parser.isSet(rowsOnlyOption);
    if (!rowsOnly) {
        std::fputs(info.toUtf8().constData(), stdout);
        printHeader();
    }
    for (const QString& name : wanted) {
        // P4 measures this process's RSS growth: after other benchmarks, freed but still
        // resident heap would be reused and hide it, so it runs in a fresh process.
        if (name.toLower() == u"p4"_s && wanted.size() > 1) {
            QProcess child;
            child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
            child.start(QCoreApplication::applicationFilePath(),
                { u"p4"_s, u"--rows-only"_s, u"--iterations"_s, QString::number(options.iterations),
                    u"--sites"_s, options.sitesDir, u"--server"_s, options.serverPath });
            child.waitForFinished(-1);
            std::fputs(child.readAllStandardOutput().constData(), stdout);
            std::fflush(stdout);
            continue;
        }
        for (const auto& [n, run] : benchmarks) {
            if (n == name.toLower())
                run(options);
        }
    }
    return 0;
}
