#include "SiteStorage.h"

#include <memory>
#include <string_view>

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSaveFile>

#include <lua.hpp>

#include "lua/JsonText.h"
#include "lua/LuaJson.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

Q_LOGGING_CATEGORY(lcStorage, "lunette.storage")

using Entries = std::map<QByteArray, QByteArray>;

SiteStorage::Failure ioFailure(const QString& message)
{
    return { SiteStorage::Failure::Kind::Io, message };
}

// A key as a JSON string. Keys are valid UTF-8 (checkKey), so only quotes, backslashes and
// control characters need escapes.
void appendJsonString(QByteArray& out, const QByteArray& text)
{
    static constexpr char kHex[] = "0123456789abcdef";
    out.append('"');
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.append('\\').append(c);
        } else if (byte < 0x20) {
            out.append("\\u00").append(kHex[byte >> 4]).append(kHex[byte & 0xf]);
        } else {
            out.append(c);
        }
    }
    out.append('"');
}

// The file's text: one entry per line, keys sorted, so that it reads and diffs well.
QByteArray fileText(
    const Entries& entries, const QByteArray& key, const std::optional<QByteArray>& json)
{
    QByteArray out("{");
    bool first = true;
    const auto appendEntry = [&](const QByteArray& k, const QByteArray& v) {
        out.append(first ? "\n" : ",\n");
        first = false;
        appendJsonString(out, k);
        out.append(':').append(v);
    };
    bool written = false;
    for (const auto& [k, v] : entries) {
        if (!written && json && key < k) {
            appendEntry(key, *json);
            written = true;
        }
        if (k == key) {
            if (json)
                appendEntry(key, *json);
            written = true;
            continue;
        }
        appendEntry(k, v);
    }
    if (!written && json)
        appendEntry(key, *json);
    out.append(first ? "}\n" : "\n}\n");
    return out;
}

// Parsing runs in a private Lua state with LuaJson, so what is accepted is exactly what the
// module can give back to Lua later (same UTF-8, depth and number rules).
struct ParseJob
{
    const QByteArray* text = nullptr;
    Entries entries;
    QString error;
};

int parseEntries(lua_State* L)
{
    auto* job = static_cast<ParseJob*>(lua_touserdata(L, 1));
    if (auto decoded = LuaJson::decode(L, QByteArrayView(*job->text)); !decoded) {
        job->error = decoded.error();
        return 0;
    }
    const int top = lua_gettop(L);
    // The text, not the table, tells an object from an array: "[]" decodes to an empty table.
    const QString notObject = u"the top level is not a JSON object"_s;
    if (!lua_istable(L, top) || !job->text->trimmed().startsWith('{')) {
        job->error = notObject;
        return 0;
    }
    lua_pushnil(L);
    while (lua_next(L, top) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            job->error = notObject;
            return 0;
        }
        size_t len = 0;
        const char* k = lua_tolstring(L, -2, &len);
        const QByteArray key(k, static_cast<qsizetype>(len));
        if (const QString why = SiteStorage::checkKey(key); !why.isEmpty()) {
            job->error = why;
            return 0;
        }
        auto encoded = LuaJson::encode(L, -1);
        if (!encoded) {
            job->error = u"the value of \"%1\": %2"_s.arg(QString::fromUtf8(key), encoded.error());
            return 0;
        }
        job->entries.emplace(key, *encoded);
        lua_pop(L, 1);
    }
    return 0;
}

Expected<Entries, QString> parseFile(const QByteArray& text)
{
    std::unique_ptr<lua_State, decltype(&lua_close)> state(luaL_newstate(), &lua_close);
    if (!state)
        return unexpected(u"not enough memory"_s);
    ParseJob job;
    job.text = &text;
    lua_State* L = state.get();
    lua_pushcfunction(L, parseEntries);
    lua_pushlightuserdata(L, &job);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK)
        return unexpected(QString::fromUtf8(lua_tostring(L, -1)));
    if (!job.error.isEmpty())
        return unexpected(job.error);
    return std::move(job.entries);
}

std::mutex g_registryMutex;
std::map<QString, std::weak_ptr<SiteStorage>> g_registry; // data folder -> its store

} // namespace

std::shared_ptr<SiteStorage> SiteStorage::forDirectory(const QString& directory)
{
    const QString key = QDir::cleanPath(directory);
    std::lock_guard lock(g_registryMutex);
    if (auto it = g_registry.find(key); it != g_registry.end()) {
        if (auto store = it->second.lock())
            return store;
    }
    std::erase_if(g_registry, [](const auto& entry) { return entry.second.expired(); });
    auto store = std::make_shared<SiteStorage>(key);
    g_registry[key] = store;
    return store;
}

SiteStorage::SiteStorage(QString directory) : m_directory(std::move(directory)) { }

QString SiteStorage::filePath() const
{
    return m_directory + u"/storage.json"_s;
}

QString SiteStorage::checkKey(const QByteArray& key)
{
    if (key.isEmpty())
        return u"a storage key must not be empty"_s;
    if (key.size() > kMaxKeyBytes)
        return u"a storage key has at most %1 bytes, this one has %2"_s.arg(kMaxKeyBytes)
            .arg(key.size());
    if (!detail::isValidUtf8(std::string_view(key.constData(), static_cast<size_t>(key.size()))))
        return u"a storage key must be valid UTF-8"_s;
    return {};
}

Expected<std::optional<QByteArray>, SiteStorage::Failure> SiteStorage::get(const QByteArray& key)
{
    if (const QString why = checkKey(key); !why.isEmpty())
        return unexpected(Failure { Failure::Kind::Invalid, why });
    std::lock_guard lock(m_mutex);
    if (auto loaded = ensureLoaded(); !loaded)
        return unexpected(loaded.error());
    const auto it = m_entries.find(key);
    if (it == m_entries.end())
        return std::optional<QByteArray>();
    return std::optional<QByteArray>(it->second);
}

Expected<void, SiteStorage::Failure> SiteStorage::set(const QByteArray& key, const QByteArray& json)
{
    if (const QString why = checkKey(key); !why.isEmpty())
        return unexpected(Failure { Failure::Kind::Invalid, why });
    std::lock_guard lock(m_mutex);
    if (auto loaded = ensureLoaded(); !loaded)
        return unexpected(loaded.error());
    if (json == "null") {
        if (m_entries.find(key) == m_entries.end())
            return {};
        return write(key, std::nullopt);
    }
    if (const auto it = m_entries.find(key); it != m_entries.end() && it->second == json)
        return {}; // unchanged: no need to touch the disk
    return write(key, json);
}

Expected<bool, SiteStorage::Failure> SiteStorage::remove(const QByteArray& key)
{
    if (const QString why = checkKey(key); !why.isEmpty())
        return unexpected(Failure { Failure::Kind::Invalid, why });
    std::lock_guard lock(m_mutex);
    if (auto loaded = ensureLoaded(); !loaded)
        return unexpected(loaded.error());
    if (m_entries.find(key) == m_entries.end())
        return false;
    if (auto written = write(key, std::nullopt); !written)
        return unexpected(written.error());
    return true;
}

Expected<QList<QByteArray>, SiteStorage::Failure> SiteStorage::keys()
{
    std::lock_guard lock(m_mutex);
    if (auto loaded = ensureLoaded(); !loaded)
        return unexpected(loaded.error());
    QList<QByteArray> result;
    result.reserve(static_cast<qsizetype>(m_entries.size()));
    for (const auto& entry : m_entries) // std::map of QByteArray: bytewise order
        result.append(entry.first);
    return result;
}

QString SiteStorage::takeWarning()
{
    std::lock_guard lock(m_mutex);
    return std::exchange(m_warning, QString());
}

Expected<void, SiteStorage::Failure> SiteStorage::ensureLoaded()
{
    if (m_loaded)
        return {};
    const QString path = filePath();
    if (!QFileInfo::exists(path)) { // also when the data folder is missing or not a folder
        m_loaded = true;
        m_fileBytes = 0;
        return {};
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return unexpected(ioFailure(u"cannot read %1: %2"_s.arg(path, file.errorString())));
    const QByteArray text = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return unexpected(ioFailure(u"cannot read %1: %2"_s.arg(path, file.errorString())));
    file.close();

    auto parsed = parseFile(text);
    if (parsed) {
        m_entries = std::move(*parsed);
        m_fileBytes = text.size();
        m_loaded = true;
        return {};
    }

    // Corrupt: keep it aside (never overwrite it), start empty.
    const QString stamp = QDateTime::currentDateTime().toString(u"yyyyMMdd-HHmmss-zzz"_s);
    QString aside = path + u".corrupt-"_s + stamp;
    for (int n = 2; QFileInfo::exists(aside); ++n)
        aside = path + u".corrupt-"_s + stamp + u'-' + QString::number(n);
    if (!QFile::rename(path, aside)) {
        return unexpected(ioFailure(u"%1 is corrupt (%2) and cannot be set aside as %3"_s.arg(
            path, parsed.error(), QFileInfo(aside).fileName())));
    }
    m_warning = u"storage: %1 was corrupt (%2); it was kept as %3 and storage starts empty"_s.arg(
        path, parsed.error(), QFileInfo(aside).fileName());
    qCWarning(lcStorage, "%s", qUtf8Printable(m_warning));
    m_entries.clear();
    m_fileBytes = 0;
    m_loaded = true;
    return {};
}

Expected<void, SiteStorage::Failure> SiteStorage::write(
    const QByteArray& key, const std::optional<QByteArray>& json)
{
    const QByteArray text = fileText(m_entries, key, json);
    // Over the limit only when growing, so that a site can always delete its way back under it.
    if (text.size() > kMaxFileBytes && text.size() > m_fileBytes) {
        return unexpected(Failure { Failure::Kind::Invalid,
            u"storage is full: it would take %1 bytes, the limit is %2 bytes"_s.arg(text.size())
                .arg(kMaxFileBytes) });
    }
    if (!QDir().mkpath(m_directory))
        return unexpected(ioFailure(u"cannot create the data folder %1"_s.arg(m_directory)));
    const QString path = filePath();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return unexpected(ioFailure(u"cannot write %1: %2"_s.arg(path, file.errorString())));
    if (file.write(text) != text.size() || !file.commit()) {
        const QString why = file.errorString();
        file.cancelWriting();
        return unexpected(ioFailure(u"cannot write %1: %2"_s.arg(path, why)));
    }
    if (json)
        m_entries[key] = *json;
    else
        m_entries.erase(key);
    m_fileBytes = text.size();
    return {};
}

} // namespace lunette
