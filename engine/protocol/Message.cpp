#include "Message.h"

#include <cmath>
#include <limits>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "lua/JsonText.h"

using namespace Qt::StringLiterals;

namespace lunette::protocol {

namespace {

using Value = rapidjson::Value;

// Counts nesting only: a cheap first pass so the DOM (whose writer recurses) never sees input
// deeper than kMaxJsonDepth, and invalid JSON gets the engine's usual error text.
class DepthCheck final : public detail::JsonSaxHandler<DepthCheck>
{
public:
    bool Null() { return true; }
    bool Bool(bool) { return true; }
    bool integer(qint64) { return true; }
    bool number(double) { return true; }
    bool string(const char*, rapidjson::SizeType) { return true; }
    bool key(const char*, rapidjson::SizeType) { return true; }
    bool StartObject() { return checkDepth(++m_depth, kMaxJsonDepth); }
    bool StartArray() { return checkDepth(++m_depth, kMaxJsonDepth); }
    bool EndObject(rapidjson::SizeType)
    {
        --m_depth;
        return true;
    }
    bool EndArray(rapidjson::SizeType)
    {
        --m_depth;
        return true;
    }

private:
    std::size_t m_depth = 0;
};

QByteArray bytesOf(const Value& v)
{
    return QByteArray(v.GetString(), static_cast<qsizetype>(v.GetStringLength()));
}

bool toId(const Value& v, qint64* out)
{
    if (v.IsInt64()) {
        *out = v.GetInt64();
        return true;
    }
    if (v.IsDouble()) {
        const double d = v.GetDouble();
        if (std::trunc(d) == d && std::fabs(d) <= detail::kMaxExactDouble) {
            *out = static_cast<qint64>(d);
            return true;
        }
    }
    return false;
}

QByteArray rawJson(const Value& v)
{
    detail::JsonBuffer buffer;
    detail::JsonWriter writer(buffer);
    v.Accept(writer);
    return QByteArray(buffer.GetString(), static_cast<qsizetype>(buffer.GetSize()));
}

// Property values are strings on the wire; a number or boolean is taken as its text so a
// sloppy client still gets what it meant.
bool propertyText(const Value& v, QByteArray* out)
{
    if (v.IsString()) {
        *out = bytesOf(v);
        return true;
    }
    if (v.IsNull()) {
        out->clear();
        return true;
    }
    if (v.IsBool() || v.IsNumber()) {
        *out = rawJson(v);
        return true;
    }
    return false;
}

MessageType typeOf(QByteArrayView name)
{
    if (name == "update")
        return MessageType::Update;
    if (name == "create")
        return MessageType::Create;
    if (name == "watch")
        return MessageType::Watch;
    if (name == "unwatch")
        return MessageType::Unwatch;
    if (name == "destroy")
        return MessageType::Destroy;
    if (name == "get")
        return MessageType::Get;
    if (name == "getObjects")
        return MessageType::GetObjects;
    if (name == "poll")
        return MessageType::Poll;
    if (name == "error")
        return MessageType::Error;
    return MessageType::Unknown;
}

Message parseMessage(const Value& v)
{
    Message m;
    if (!v.IsObject()) {
        m.problem = u"a message must be a JSON object"_s;
        return m;
    }
    const auto type = v.FindMember("type");
    if (type == v.MemberEnd() || !type->value.IsString()) {
        m.problem = u"a message needs a \"type\" string"_s;
        return m;
    }
    m.typeName = bytesOf(type->value);
    m.type = typeOf(m.typeName);
    if (m.type == MessageType::Unknown)
        return m; // reported by the session, with the name

    const auto dataMember = v.FindMember("data");
    if (dataMember == v.MemberEnd() || dataMember->value.IsNull()) {
        if (m.type != MessageType::Poll)
            m.problem
                = u"message '"_s + QString::fromUtf8(m.typeName) + u"' has no \"data\" object"_s;
        return m;
    }
    const Value& data = dataMember->value;
    if (!data.IsObject()) {
        m.problem
            = u"\"data\" of message '"_s + QString::fromUtf8(m.typeName) + u"' is not an object"_s;
        return m;
    }

    const char* idKey = m.type == MessageType::Create ? "id" : "varId";
    if (const auto id = data.FindMember(idKey); id != data.MemberEnd()) {
        if (!toId(id->value, &m.varId)) {
            m.problem = u"\""_s + QLatin1StringView(idKey) + u"\" must be an integer"_s;
            return m;
        }
        m.hasVarId = true;
    }
    if (const auto parent = data.FindMember("parentId"); parent != data.MemberEnd()
        && !parent->value.IsNull() && !toId(parent->value, &m.parentId)) {
        m.problem = u"\"parentId\" must be an integer"_s;
        return m;
    }
    if (const auto value = data.FindMember("value"); value != data.MemberEnd()) {
        m.hasValue = true;
        m.value = rawJson(value->value);
    }
    if (const auto props = data.FindMember("properties");
        props != data.MemberEnd() && !props->value.IsNull()) {
        if (!props->value.IsObject()) {
            m.problem = u"\"properties\" must be an object of strings"_s;
            return m;
        }
        m.hasProperties = true;
        m.properties.reserve(props->value.MemberCount());
        for (const auto& p : props->value.GetObject()) {
            Property prop { bytesOf(p.name), {} };
            if (!propertyText(p.value, &prop.value)) {
                m.problem
                    = u"property \""_s + QString::fromUtf8(prop.name) + u"\" must be a string"_s;
                return m;
            }
            m.properties.push_back(std::move(prop));
        }
    }
    if (const auto nowatch = data.FindMember("nowatch"); nowatch != data.MemberEnd())
        m.nowatch = nowatch->value.IsBool() ? nowatch->value.GetBool() : !nowatch->value.IsNull();
    if (const auto unbound = data.FindMember("unbound"); unbound != data.MemberEnd())
        m.unbound = unbound->value.IsBool() ? unbound->value.GetBool() : !unbound->value.IsNull();
    if (const auto description = data.FindMember("description");
        description != data.MemberEnd() && description->value.IsString())
        m.description = QString::fromUtf8(bytesOf(description->value));

    if (m.type == MessageType::Get || m.type == MessageType::GetObjects) {
        const char* listKey = m.type == MessageType::Get ? "varIds" : "objIds";
        const auto list = data.FindMember(listKey);
        if (list == data.MemberEnd() || !list->value.IsArray()) {
            m.problem = u"message '"_s + QString::fromUtf8(m.typeName) + u"' needs a \""_s
                + QLatin1StringView(listKey) + u"\" array"_s;
            return m;
        }
        for (const auto& item : list->value.GetArray()) {
            qint64 id = 0;
            if (!toId(item, &id)) {
                m.problem = u"\""_s + QLatin1StringView(listKey) + u"\" must hold integers"_s;
                return m;
            }
            m.ids.push_back(id);
        }
    }
    return m;
}

} // namespace

Expected<Frame, QString> parseFrame(QByteArrayView text)
{
    if (!detail::isValidUtf8(std::string_view(text.data(), static_cast<std::size_t>(text.size()))))
        return unexpected(u"the frame is not valid UTF-8 text"_s);
    DepthCheck check;
    if (auto ok = detail::parseJson(text, check); !ok)
        return unexpected(ok.error());

    rapidjson::Document doc;
    constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag;
    doc.Parse<kFlags>(text.data(), static_cast<std::size_t>(text.size()));
    if (doc.HasParseError())
        return unexpected(u"invalid JSON"_s); // unreachable: DepthCheck parsed it already

    Frame frame;
    const Value* list = nullptr;
    if (doc.IsArray()) {
        list = &doc;
    } else if (doc.IsObject()) {
        const Value& root = doc; // const iterators on both sides of != (clang's C++20 check)
        const auto messages = root.FindMember("messages");
        if (messages != root.MemberEnd() && messages->value.IsArray()) {
            list = &messages->value;
            if (const auto user = root.FindMember("userEvent");
                user != root.MemberEnd() && user->value.IsBool())
                frame.userEvent = user->value.GetBool();
        } else {
            frame.messages.push_back(parseMessage(doc));
            return frame;
        }
    } else {
        return unexpected(u"a frame must be a JSON object or array"_s);
    }
    frame.messages.reserve(list->Size());
    for (const auto& item : list->GetArray())
        frame.messages.push_back(parseMessage(item));
    return frame;
}

// ---- writing -----------------------------------------------------------------------------------

namespace {

using Writer = detail::JsonWriter;

void writeBytes(Writer& w, QByteArrayView bytes)
{
    w.String(bytes.data(), static_cast<rapidjson::SizeType>(bytes.size()));
}

QByteArray finish(const detail::JsonBuffer& buffer)
{
    return QByteArray(buffer.GetString(), static_cast<qsizetype>(buffer.GetSize()));
}

} // namespace

QByteArray encodeUpdate(
    qint64 varId, const QByteArray* valueJson, const std::vector<OutProperty>& properties)
{
    detail::JsonBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    w.Key("type");
    w.String("update");
    w.Key("data");
    w.StartObject();
    w.Key("varId");
    w.Int64(varId);
    if (valueJson) {
        w.Key("value");
        w.RawValue(valueJson->constData(), static_cast<std::size_t>(valueJson->size()),
            rapidjson::kObjectType);
    }
    if (!properties.empty()) {
        w.Key("properties");
        w.StartObject();
        for (const OutProperty& p : properties) {
            w.Key(p.name.constData(), static_cast<rapidjson::SizeType>(p.name.size()));
            writeBytes(w, p.value);
        }
        w.EndObject();
    }
    w.EndObject();
    w.EndObject();
    return finish(buffer);
}

QByteArray encodeDestroy(qint64 varId)
{
    return "{\"type\":\"destroy\",\"data\":{\"varId\":" + QByteArray::number(varId) + "}}";
}

QByteArray encodeError(std::optional<qint64> varId, QByteArrayView code, QStringView description,
    QStringView traceback)
{
    detail::JsonBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    w.Key("type");
    w.String("error");
    w.Key("data");
    w.StartObject();
    if (varId) {
        w.Key("varId");
        w.Int64(*varId);
    }
    w.Key("code");
    writeBytes(w, code);
    w.Key("description");
    const QByteArray text = description.toUtf8();
    writeBytes(w, text);
    if (!traceback.isEmpty()) {
        w.Key("traceback");
        const QByteArray trace = traceback.toUtf8();
        writeBytes(w, trace);
    }
    w.EndObject();
    w.EndObject();
    return finish(buffer);
}

QByteArray jsonString(QByteArrayView utf8)
{
    detail::JsonBuffer buffer;
    Writer w(buffer);
    writeBytes(w, utf8);
    return finish(buffer);
}

QByteArray joinFrame(const std::vector<QByteArray>& messages)
{
    if (messages.size() == 1)
        return messages.front();
    qsizetype size = 2 + static_cast<qsizetype>(messages.size());
    for (const QByteArray& m : messages)
        size += m.size();
    QByteArray frame;
    frame.reserve(size);
    frame += '[';
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (i)
            frame += ',';
        frame += messages[i];
    }
    frame += ']';
    return frame;
}

} // namespace lunette::protocol
