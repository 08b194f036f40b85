#pragma once

// The protocol's message model (PROTOCOL.md, ui-engine digest §2): what a client frame holds once
// parsed, and how outgoing messages are written. Parsing and writing use rapidjson on the hot
// path (PERFORMANCE.md P3); values travel as raw JSON text so the session decodes them straight
// into Lua.

#include <optional>
#include <utility>
#include <vector>

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringView>

#include "lua/Expected.h"

namespace lunette::protocol {

enum class MessageType { Create, Update, Destroy, Watch, Unwatch, Get, GetObjects, Poll, Error, Unknown };

// A property as the client sent it; the name may carry a priority suffix (":high").
struct Property
{
    QByteArray name;
    QByteArray value;
};

struct Message
{
    MessageType type = MessageType::Unknown;
    QByteArray typeName; // as sent, for error texts
    // `id` of a create, `varId` of everything else.
    qint64 varId = 0;
    bool hasVarId = false;
    qint64 parentId = 0;
    bool hasValue = false;
    QByteArray value; // raw JSON text of `value`
    bool hasProperties = false;
    std::vector<Property> properties;
    bool nowatch = false;
    bool unbound = false;
    std::vector<qint64> ids; // `varIds` of get, `objIds` of getObjects
    QString description; // `description` of a client error message
    // Non-empty when the message is malformed: why (the rest of the frame still runs).
    QString problem;
};

struct Frame
{
    bool userEvent = false;
    std::vector<Message> messages;
};

// Limits of an inbound frame (PROTOCOL.md "Transport rules").
inline constexpr int kMaxJsonDepth = 128;

// Parse a client frame: the wrapper {"userEvent":b,"messages":[…]}, a bare array of messages, or
// one message object. Unknown fields are ignored. Errors (invalid JSON or UTF-8, nesting deeper
// than kMaxJsonDepth, a frame that is not an object or array) describe the problem; one malformed
// message inside a valid frame only marks that message (Message::problem).
Expected<Frame, QString> parseFrame(QByteArrayView text);

// ---- writing -----------------------------------------------------------------------------------

struct OutProperty
{
    QByteArray name;
    QByteArray value;
};

// {"type":"update","data":{"varId":N[,"value":<valueJson>][,"properties":{…}]}}
QByteArray encodeUpdate(qint64 varId, const QByteArray* valueJson,
                        const std::vector<OutProperty>& properties);
// {"type":"destroy","data":{"varId":N}}
QByteArray encodeDestroy(qint64 varId);
// {"type":"error","data":{["varId":N,]"code":C,"description":D}}
// A Lua failure may carry its traceback (a Lunette extension field; clients that do not know it
// ignore it).
QByteArray encodeError(std::optional<qint64> varId, QByteArrayView code, QStringView description,
                       QStringView traceback = {});

// A JSON string literal (quotes included) for UTF-8 text.
QByteArray jsonString(QByteArrayView utf8);

// One message → the message itself; several → a JSON array of them (digest §2.3).
QByteArray joinFrame(const std::vector<QByteArray>& messages);

// Error codes (PROTOCOL.md improvement 3).
namespace code {
inline constexpr char PathFailure[] = "path-failure";
inline constexpr char NotFound[] = "not-found";
inline constexpr char BadAccess[] = "bad-access";
inline constexpr char BadMessage[] = "bad-message";
inline constexpr char LuaError[] = "lua-error";
inline constexpr char Timeout[] = "timeout";
inline constexpr char Unauthorized[] = "unauthorized";
} // namespace code

} // namespace lunette::protocol
