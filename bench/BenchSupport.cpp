#include "BenchSupport.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <thread>

#include <QDir>
#include <QFile>
#include <QLocale>
#include <QTcpSocket>

#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace Qt::StringLiterals;

namespace lunette::bench {

// ---- table -------------------------------------------------------------------------------------

void printHeader()
{
    std::fputs("| # | benchmark | measured | iterations | target | verdict |\n", stdout);
    std::fputs("|---|---|---|---|---|---|\n", stdout);
    std::fflush(stdout);
}

void printRow(const Row& row)
{
    const QString line = u"| "_s + row.id + u" | "_s + row.what + u" | "_s + row.measured + u" | "_s
        + row.iterations + u" | "_s + row.target + u" | "_s + row.verdict + u" |\n"_s;
    std::fputs(line.toUtf8().constData(), stdout);
    std::fflush(stdout);
}

// ---- statistics --------------------------------------------------------------------------------

qint64 Samples::percentile(double p)
{
    if (m_values.empty())
        return 0;
    if (!m_sorted) {
        std::sort(m_values.begin(), m_values.end());
        m_sorted = true;
    }
    const double rank = std::ceil(p / 100.0 * static_cast<double>(m_values.size()));
    const std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
    return m_values[std::min(index, m_values.size() - 1)];
}

double Samples::mean() const
{
    if (m_values.empty())
        return 0;
    return std::accumulate(m_values.begin(), m_values.end(), 0.0)
        / static_cast<double>(m_values.size());
}

QString us(qint64 ns, int decimals)
{
    return QString::number(static_cast<double>(ns) / 1000.0, 'f', decimals) + u" µs"_s;
}

QString ms(qint64 ns, int decimals)
{
    return QString::number(static_cast<double>(ns) / 1e6, 'f', decimals) + u" ms"_s;
}

QString kb(double bytes)
{
    return QString::number(bytes / 1024.0, 'f', 1) + u" KB"_s;
}

QString mb(double bytes)
{
    return QString::number(bytes / (1024.0 * 1024.0), 'f', 1) + u" MB"_s;
}

QString count(double n)
{
    return QLocale(QLocale::English).toString(static_cast<qlonglong>(std::llround(n)));
}

// ---- process memory ----------------------------------------------------------------------------

qint64 selfRss()
{
    QFile file(u"/proc/self/statm"_s);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> fields = file.readAll().simplified().split(' ');
    if (fields.size() < 2)
        return -1;
    return fields.at(1).toLongLong() * static_cast<qint64>(sysconf(_SC_PAGESIZE));
}

qint64 processRss(qint64 pid)
{
    QFile file(u"/proc/"_s + QString::number(pid) + u"/status"_s);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> lines = file.readAll().split('\n');
    for (const QByteArray& line : lines) {
        if (line.startsWith("VmRSS:")) {
            const QList<QByteArray> parts = line.mid(6).simplified().split(' ');
            return parts.value(0).toLongLong() * 1024; // kB
        }
    }
    return -1;
}

std::map<QString, qint64> threadCpuNs()
{
    std::map<QString, qint64> out;
    const QDir tasks(u"/proc/self/task"_s);
    const QStringList tids = tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString& tid : tids) {
        QFile comm(tasks.filePath(tid + u"/comm"_s));
        QFile schedstat(tasks.filePath(tid + u"/schedstat"_s));
        if (!comm.open(QIODevice::ReadOnly) || !schedstat.open(QIODevice::ReadOnly))
            continue;
        const QString name = QString::fromUtf8(comm.readAll().trimmed());
        const qint64 ns = schedstat.readAll().split(' ').value(0).toLongLong();
        out[name] += ns;
    }
    return out;
}

std::map<QString, qint64> cpuDelta(
    const std::map<QString, qint64>& before, const std::map<QString, qint64>& after)
{
    std::map<QString, qint64> out;
    for (const auto& [name, ns] : after) {
        const auto it = before.find(name);
        const qint64 delta = ns - (it == before.end() ? 0 : it->second);
        if (delta > 0)
            out[name] = delta;
    }
    return out;
}

void trimHeap()
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

void sleepMs(int ms)
{
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// ---- HTTP --------------------------------------------------------------------------------------

QByteArray HttpReply::header(QByteArrayView name) const
{
    for (const auto& [key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

HttpReply httpGet(quint16 port, const QByteArray& target, const QByteArray& cookie, int timeoutMs)
{
    HttpReply reply;
    QTcpSocket socket;
    socket.connectToHost(u"127.0.0.1"_s, port);
    if (!socket.waitForConnected(timeoutMs))
        return reply;
    socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    QByteArray request = "GET " + target
        + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) + "\r\nConnection: close\r\n";
    if (!cookie.isEmpty())
        request += "Cookie: " + cookie + "\r\n";
    request += "\r\n";
    socket.write(request);

    QByteArray data;
    qsizetype headerEnd = -1;
    qsizetype contentLength = -1;
    while (true) {
        if (headerEnd < 0) {
            headerEnd = data.indexOf("\r\n\r\n");
            if (headerEnd >= 0) {
                const QList<QByteArray> lines = data.left(headerEnd).split('\n');
                const QList<QByteArray> status = lines.value(0).trimmed().split(' ');
                reply.status = status.value(1).toInt();
                for (qsizetype i = 1; i < lines.size(); ++i) {
                    const QByteArray& line = lines.at(i);
                    const qsizetype colon = line.indexOf(':');
                    if (colon <= 0)
                        continue;
                    reply.headers.append(
                        { line.left(colon).trimmed(), line.mid(colon + 1).trimmed() });
                }
                if (const QByteArray length = reply.header("Content-Length"); !length.isEmpty())
                    contentLength = length.toLongLong();
            }
        }
        if (headerEnd >= 0 && contentLength >= 0 && data.size() - headerEnd - 4 >= contentLength)
            break;
        if (socket.state() != QAbstractSocket::ConnectedState && socket.bytesAvailable() == 0)
            break;
        if (socket.bytesAvailable() == 0 && !socket.waitForReadyRead(timeoutMs))
            break;
        data += socket.readAll();
    }
    if (headerEnd < 0) {
        reply.status = 0;
        return reply;
    }
    reply.body = data.mid(headerEnd + 4);
    return reply;
}

// ---- sites and the contacts page ----------------------------------------------------------------

QString sitePath(const Options& options, const QString& name)
{
    return options.sitesDir + u'/' + name;
}

namespace {

class FrameBuilder
{
public:
    qint64 create(qint64 parent, QByteArrayView path, QByteArrayView access = {})
    {
        const qint64 id = m_next++;
        QByteArray message = R"({"type":"create","data":{"id":)" + QByteArray::number(id)
            + R"(,"parentId":)" + QByteArray::number(parent) + R"(,"properties":{"path":")"
            + path.toByteArray() + '"';
        if (!access.isEmpty())
            message += R"(,"access":")" + access.toByteArray() + '"';
        message += "}}}";
        m_messages.push_back(message);
        return id;
    }
    void add(const QByteArray& message) { m_messages.push_back(message); }
    QByteArray frame() const
    {
        QByteArray out = R"({"userEvent":false,"messages":[)";
        for (std::size_t i = 0; i < m_messages.size(); ++i) {
            if (i)
                out += ',';
            out += m_messages[i];
        }
        out += "]}";
        return out;
    }
    int created() const { return static_cast<int>(m_next - 2); }

private:
    qint64 m_next = 2;
    std::vector<QByteArray> m_messages;
};

ContactsPage buildContactsPage()
{
    ContactsPage page;
    FrameBuilder b;
    // ContactApp.DEFAULT
    b.create(1, "title", "r");
    b.create(1, "contactCount()", "r");
    b.create(1, "error", "r");
    b.create(1, "isEditView", "r");
    b.create(1, "isListView", "r");
    b.create(1, "searchQuery?keypress");
    b.create(1, "hasContacts()", "r");
    b.create(1, "formTitle", "r");
    b.create(1, "toggleView()", "action");
    b.create(1, "deselect()", "action");
    // ui-view="selectedContact" rendering Contact.DEFAULT
    const qint64 selected = b.create(1, "selectedContact", "r");
    b.create(selected, "fullName()", "r");
    b.create(selected, "email", "r");
    // ui-viewlist: the ViewList, its items, and ContactPresenter.list-item per card
    const qint64 list
        = b.create(1, "contacts()?wrapper=lua.ViewList&itemWrapper=ContactPresenter", "r");
    const qint64 items = b.create(list, "items", "r");
    for (int card = 0; card < 3; ++card) {
        const qint64 item = b.create(items, QByteArray::number(card), "r");
        const qint64 presenter = b.create(item, "item", "r");
        b.create(presenter, "contact.fullName()", "r");
        b.create(presenter, "contact.email", "r");
        b.create(presenter, "contact.phone", "r");
        b.create(presenter, "noPhone()", "r");
        b.create(presenter, "contact.noEmergencyContact()", "r");
        b.create(presenter, "contact.emergencyContactName()", "r");
        page.selectActions.push_back(b.create(presenter, "select()", "action"));
    }
    page.selectNextAction = b.create(1, "selectNext()", "action");
    b.add(R"({"type":"update","data":{"varId":1,"properties":{"viewdef":"ContactApp.DEFAULT"}}})");
    page.createFrame = b.frame();
    page.variableCount = b.created();
    return page;
}

} // namespace

const ContactsPage& contactsPage()
{
    static const ContactsPage page = buildContactsPage();
    return page;
}

QByteArray watchFrame(qint64 varId)
{
    return R"({"userEvent":false,"messages":[{"type":"watch","data":{"varId":)"
        + QByteArray::number(varId) + "}}]}";
}

QByteArray actionFrame(qint64 varId)
{
    return R"({"userEvent":true,"messages":[{"type":"update","data":{"varId":)"
        + QByteArray::number(varId) + R"(,"value":null}}]})";
}

} // namespace lunette::bench
