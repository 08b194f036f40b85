#pragma once

// Matchers for the messages a ProtocolClient receives (ProtocolClient::waitForMessage): the
// message's data object, an update of one variable, an error with a code.

#include <QJsonObject>
#include <QString>

namespace lunette::test {

inline QJsonObject data(const QJsonObject& message)
{
    return message.value(QLatin1StringView("data")).toObject();
}

inline auto isUpdateOf(qint64 varId)
{
    return [varId](const QJsonObject& m) {
        return m.value(QLatin1StringView("type")) == QLatin1StringView("update")
            && data(m).value(QLatin1StringView("varId")).toInteger() == varId;
    };
}

inline auto isErrorWith(const QString& code)
{
    return [code](const QJsonObject& m) {
        return m.value(QLatin1StringView("type")) == QLatin1StringView("error")
            && data(m).value(QLatin1StringView("code")).toString() == code;
    };
}

} // namespace lunette::test
