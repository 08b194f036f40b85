// The wire protocol end to end: a real SiteServer, real sessions running real Lua (the fixture
// site tests/data/sites/protocol), and a real QWebSocket client speaking ui-engine's protocol
// (PROTOCOL.md, ui-engine digest §2–§4). Expected values are written out by hand from the spec.

#include <mutex>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include "session/Session.h"
#include "support/ProtocolMatchers.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::test::data;
using lunette::test::isErrorWith;
using lunette::test::isUpdateOf;
using lunette::test::ProtocolClient;
using lunette::test::ServerFixture;

namespace {

QString protocolSite()
{
    return lunette::test::sourceDir() + u"/tests/data/sites/protocol"_s;
}

// The first message of `type` for `varId` in `messages` (empty object when none).
QJsonObject find(const QJsonArray& messages, const QString& type, qint64 varId)
{
    for (const QJsonValue& m : messages) {
        const QJsonObject o = m.toObject();
        if (o.value(u"type"_s).toString() == type
            && o.value(u"data"_s).toObject().value(u"varId"_s).toInteger() == varId)
            return o;
    }
    return {};
}

QJsonObject message(const QString& type, const QJsonObject& payload)
{
    return { { u"type"_s, type }, { u"data"_s, payload } };
}

auto isDestroyOf(qint64 varId)
{
    return [varId](const QJsonObject& m) {
        return m.value(u"type"_s) == u"destroy"_s && data(m).value(u"varId"_s).toInteger() == varId;
    };
}

// Records what the session layer sends (called on the executor thread).
class RecordingSink final : public lunette::ConnectionSink
{
public:
    void sendFrame(lunette::ConnectionId id, const QByteArray& frame) override
    {
        std::lock_guard lock(mutex);
        frames.append({ id, frame });
    }
    void closeConnection(lunette::ConnectionId, quint16, const QString&) override { }
    QList<QPair<lunette::ConnectionId, QByteArray>> taken()
    {
        std::lock_guard lock(mutex);
        return std::exchange(frames, {});
    }

private:
    std::mutex mutex;
    QList<QPair<lunette::ConnectionId, QByteArray>> frames;
};

} // namespace

class TestProtocol final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ServerFixture> m_server;
    QString m_session;

    // A connected client that has done `watch 1` and consumed the bootstrap frame.
    std::unique_ptr<ProtocolClient> bootstrapped(const QString& session = {})
    {
        auto client
            = std::make_unique<ProtocolClient>(*m_server, session.isEmpty() ? m_session : session);
        if (!client->open())
            return nullptr;
        client->sendMessages({ ProtocolClient::watch(1) });
        const QJsonArray first = client->nextMessages();
        if (find(first, u"update"_s, 1).isEmpty())
            return nullptr;
        return client;
    }

private slots:
    void init()
    {
        lunette::SessionManager::Options options;
        m_server = std::make_unique<ServerFixture>(protocolSite(), options);
        QVERIFY2(m_server->start(), qPrintable(m_server->error()));
        m_session = m_server->createSession();
        QCOMPARE(m_session.size(), 32);
    }

    void cleanup() { m_server.reset(); }

    // Digest §2.11: watch 1 → viewdefs first, then var 1's value and type; creates → updates.
    void bootstrapExchange()
    {
        ProtocolClient client(*m_server, m_session);
        QVERIFY(client.open());
        client.sendMessages({ ProtocolClient::watch(1) });
        const auto frame = client.nextFrame();
        QVERIFY(frame);
        QVERIFY2(frame->isArray(), "several messages travel as one array frame");
        const QJsonArray messages = frame->toArray();
        QVERIFY(messages.size() >= 2);

        const QJsonObject viewdefs = data(messages.at(0).toObject());
        QCOMPARE(viewdefs.value(u"varId"_s).toInteger(), 1);
        const QString templatesText
            = viewdefs.value(u"properties"_s).toObject().value(u"viewdefs"_s).toString();
        const QJsonObject templates = QJsonDocument::fromJson(templatesText.toUtf8()).object();
        QCOMPARE(templates.keys(),
            (QStringList { u"App.DEFAULT"_s, u"Item.DEFAULT"_s, u"ItemPresenter.list-item"_s,
                u"lua.ViewList.DEFAULT"_s }));
        QVERIFY(templates.value(u"App.DEFAULT"_s).toString().startsWith(u"<template>"_s));

        const QJsonObject app = data(
            find(messages, u"update"_s, 1).isEmpty() ? QJsonObject() : messages.at(1).toObject());
        QCOMPARE(app.value(u"varId"_s).toInteger(), 1);
        QCOMPARE(app.value(u"value"_s).toObject(), (QJsonObject { { u"obj"_s, 2 } }));
        QCOMPARE(app.value(u"properties"_s).toObject().value(u"type"_s).toString(), u"App"_s);

        client.sendMessages({ ProtocolClient::create(2, 1, u"title"_s, { { u"access"_s, u"r"_s } }),
            ProtocolClient::create(3, 1, u"count"_s) });
        const QJsonArray updates = client.nextMessages();
        QCOMPARE(data(find(updates, u"update"_s, 2)).value(u"value"_s).toString(), u"Protocol"_s);
        QCOMPARE(data(find(updates, u"update"_s, 3)).value(u"value"_s).toInteger(), 0);
        QCOMPARE(client.pendingFrames(), 0u);
    }

    // The frontend's creates carry an unknown `widget` object: ignored.
    void createIgnoresUnknownFields()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->send(
            R"({"userEvent":false,"messages":[{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"title"},"widget":{"elementId":"ui-5","x":[1,2]}}}]})");
        const QJsonObject update = client->waitForMessage(isUpdateOf(2));
        QCOMPARE(data(update).value(u"value"_s).toString(), u"Protocol"_s);
    }

    void singleMessageAndBareArrayFrames()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->send(
            R"({"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"title"}}})");
        QCOMPARE(data(client->waitForMessage(isUpdateOf(2))).value(u"value"_s).toString(),
            u"Protocol"_s);
        client->send(
            R"([{"type":"create","data":{"id":3,"parentId":1,"properties":{"path":"count"}}}])");
        const auto frame = client->nextFrame();
        QVERIFY(frame);
        QVERIFY2(frame->isObject(), "exactly one message travels as an object frame");
        QCOMPARE(data(frame->toObject()).value(u"varId"_s).toInteger(), 3);
    }

    void actionIsCalledAndFlushedAtOnce()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages({ ProtocolClient::create(2, 1, u"count"_s),
            ProtocolClient::create(3, 1, u"increment()"_s, { { u"access"_s, u"action"_s } }) });
        QCOMPARE(data(client->waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger(), 0);
        client->sendMessages({ ProtocolClient::update(3, QJsonValue::Null) }, true);
        QCOMPARE(data(client->waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger(), 1);
        client->sendMessages({ ProtocolClient::update(3, QJsonValue::Null) }, true);
        QCOMPARE(data(client->waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger(), 2);
    }

    void getterSetterAndReadWritePaths()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages({
            ProtocolClient::create(2, 1, u"name"_s),
            ProtocolClient::create(3, 1, u"setName(_)"_s, { { u"access"_s, u"w"_s } }),
            ProtocolClient::create(4, 1, u"upper()"_s, { { u"access"_s, u"rw"_s } }),
            ProtocolClient::create(5, 1, u"items.1.label()"_s, { { u"access"_s, u"r"_s } }),
        });
        QCOMPARE(data(client->waitForMessage(isUpdateOf(5))).value(u"value"_s).toString(),
            u"b (done)"_s);
        client->sendMessages({ ProtocolClient::update(3, u"Ada"_s) });
        QCOMPARE(
            data(client->waitForMessage(isUpdateOf(4))).value(u"value"_s).toString(), u"ADA"_s);
        client->sendMessages({ ProtocolClient::update(4, u"GRACE"_s) });
        // upper(v) stores lower case; the plain field shows it, the getter reads upper case.
        QCOMPARE(
            data(client->waitForMessage(isUpdateOf(2))).value(u"value"_s).toString(), u"grace"_s);
    }

    void writingAFieldFromTheClient()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages({ ProtocolClient::create(2, 1, u"name"_s),
            ProtocolClient::create(3, 1, u"upper()"_s) });
        client->nextMessages();
        client->sendMessages({ ProtocolClient::update(2, u"lin"_s) });
        const QJsonArray messages = client->nextMessages();
        // The writer's own value is not echoed back, the dependent getter is updated.
        QVERIFY(find(messages, u"update"_s, 2).isEmpty());
        QCOMPARE(data(find(messages, u"update"_s, 3)).value(u"value"_s).toString(), u"LIN"_s);
    }

    // Control characters in values go out escaped: every frame stays JSON. Found by fuzz_luajson
    // (docs/RELIABILITY.md, Fuzzing): the engine's JSON writers left U+001A..U+001F raw once a
    // string was long enough for rapidjson's SSE2 scan.
    void controlCharactersInValuesAreEscaped()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages({ ProtocolClient::create(2, 1, u"name"_s),
            ProtocolClient::create(3, 1, u"upper()"_s) });
        client->nextMessages();
        QString text = u"abcdefghijklmnopqrstuvwxyz"_s;
        for (char16_t c = 1; c < 0x20; ++c)
            text += QChar(c) + u"abcdefghijklmnop"_s;
        client->sendMessages({ ProtocolClient::update(2, text) });
        const QJsonObject upper = client->waitForMessage(isUpdateOf(3));
        QCOMPARE(data(upper).value(u"value"_s).toString(), text.toUpper());
        for (const QByteArray& frame : client->rawFrames())
            QVERIFY2(!QJsonDocument::fromJson(frame).isNull(), frame.constData());
    }

    void viewListGrowsShrinksWithItemPresenters()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages({ ProtocolClient::create(2, 1,
            u"list()?wrapper=lua.ViewList&itemWrapper=ItemPresenter"_s,
            { { u"access"_s, u"r"_s } }) });
        const QJsonArray first = client->nextMessages();
        // fallbackNamespace at high priority comes before the value and type (medium).
        QCOMPARE(data(first.at(0).toObject()).value(u"properties"_s).toObject(),
            (QJsonObject { { u"fallbackNamespace"_s, u"list-item"_s } }));
        const QJsonObject list = data(first.at(1).toObject());
        QVERIFY(list.value(u"value"_s).toObject().contains(u"obj"_s));
        QCOMPARE(
            list.value(u"properties"_s).toObject().value(u"type"_s).toString(), u"lua.ViewList"_s);

        client->sendMessages(
            { ProtocolClient::create(3, 2, u"items"_s, { { u"access"_s, u"r"_s } }) });
        QCOMPARE(data(client->waitForMessage(isUpdateOf(3))).value(u"value"_s).toArray().size(), 2);
        client->sendMessages(
            { ProtocolClient::create(4, 3, u"1"_s), ProtocolClient::create(5, 4, u"item"_s),
                ProtocolClient::create(6, 5, u"caption()"_s, { { u"access"_s, u"r"_s } }) });
        const QJsonArray items = client->nextMessages();
        QCOMPARE(data(find(items, u"update"_s, 4))
                     .value(u"properties"_s)
                     .toObject()
                     .value(u"type"_s)
                     .toString(),
            u"lua.ViewListItem"_s);
        QCOMPARE(data(find(items, u"update"_s, 5))
                     .value(u"properties"_s)
                     .toObject()
                     .value(u"type"_s)
                     .toString(),
            u"ItemPresenter"_s);
        QCOMPARE(data(find(items, u"update"_s, 6)).value(u"value"_s).toString(), u"1: b"_s);

        client->sendMessages({ ProtocolClient::create(
                                   7, 1, u"add()"_s, { { u"access"_s, u"action"_s } }),
            ProtocolClient::create(8, 1, u"removeLast()"_s, { { u"access"_s, u"action"_s } }) });
        client->sendMessages({ ProtocolClient::update(7, QJsonValue::Null) }, true);
        QCOMPARE(data(client->waitForMessage(isUpdateOf(3))).value(u"value"_s).toArray().size(), 3);
        client->sendMessages({ ProtocolClient::update(8, QJsonValue::Null) }, true);
        client->sendMessages({ ProtocolClient::update(8, QJsonValue::Null) }, true);
        const QJsonObject shrunk = client->waitForMessage([](const QJsonObject& m) {
            return isUpdateOf(3)(m) && data(m).value(u"value"_s).toArray().size() == 1;
        });
        QVERIFY2(!shrunk.isEmpty(), "the items array shrinks to one element");
    }

    void errorsAreMessagesWithCodes()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->send("this is not json");
        QVERIFY(!client->waitForMessage(isErrorWith(u"bad-message"_s)).isEmpty());
        client->send(R"({"type":"teleport","data":{"varId":1}})");
        const QJsonObject unknown = client->waitForMessage(isErrorWith(u"bad-message"_s));
        QVERIFY(data(unknown).value(u"description"_s).toString().contains(u"teleport"_s));

        client->sendMessages({ ProtocolClient::update(99, 1) });
        QCOMPARE(
            data(client->waitForMessage(isErrorWith(u"not-found"_s))).value(u"varId"_s).toInteger(),
            99);

        client->sendMessages(
            { ProtocolClient::create(2, 1, u"title"_s, { { u"access"_s, u"r"_s } }) });
        client->waitForMessage(isUpdateOf(2));
        client->sendMessages({ ProtocolClient::update(2, u"x"_s) });
        QCOMPARE(data(client->waitForMessage(isErrorWith(u"bad-access"_s)))
                     .value(u"varId"_s)
                     .toInteger(),
            2);

        // A failed message does not abandon the rest of its frame.
        client->sendMessages(
            { ProtocolClient::create(3, 1, u"fails()"_s, { { u"access"_s, u"action"_s } }),
                ProtocolClient::create(4, 1, u"count"_s) });
        QCOMPARE(data(client->waitForMessage(isUpdateOf(4))).value(u"value"_s).toInteger(), 0);
        client->sendMessages(
            { ProtocolClient::update(3, QJsonValue::Null), ProtocolClient::create(5, 1, u"name"_s),
                ProtocolClient::create(6, 1, u"title"_s) },
            true);
        const QJsonArray afterFailure = client->nextMessages();
        const QJsonObject luaError = find(afterFailure, u"error"_s, 3);
        QCOMPARE(data(luaError).value(u"code"_s).toString(), u"lua-error"_s);
        QVERIFY(data(luaError).value(u"description"_s).toString().contains(u"boom from fails()"_s));
        QVERIFY2(data(luaError).value(u"traceback"_s).toString().startsWith(u"stack traceback:"_s),
            qPrintable(data(luaError).value(u"traceback"_s).toString()));
        QCOMPARE(
            data(find(afterFailure, u"update"_s, 6)).value(u"value"_s).toString(), u"Protocol"_s);

        // Create without a path, and with an invalid access for a setter path.
        client->sendMessages({ message(u"create"_s, { { u"id"_s, 7 }, { u"parentId"_s, 1 } }) });
        QCOMPARE(data(client->waitForMessage(isErrorWith(u"bad-message"_s)))
                     .value(u"varId"_s)
                     .toInteger(),
            7);
        client->sendMessages(
            { ProtocolClient::create(8, 1, u"setName(_)"_s, { { u"access"_s, u"r"_s } }) });
        QCOMPARE(data(client->waitForMessage(isErrorWith(u"bad-access"_s)))
                     .value(u"varId"_s)
                     .toInteger(),
            8);
        // A path of only a query names no field: writing it is refused (found by fuzz_frame:
        // it read past the end of the empty segment list).
        client->sendMessages(
            { ProtocolClient::create(10, 1, u"?fails()"_s, { { u"access"_s, u"action"_s } }) });
        client->sendMessages({ ProtocolClient::update(10, QJsonValue::Null) }, true);
        const QJsonObject empty = client->waitForMessage(isErrorWith(u"bad-access"_s));
        QCOMPARE(data(empty).value(u"varId"_s).toInteger(), 10);
        QVERIFY2(data(empty).value(u"description"_s).toString().contains(u"names no field"_s),
            qPrintable(data(empty).value(u"description"_s).toString()));
        // The connection is still up and working.
        client->sendMessages({ ProtocolClient::create(9, 1, u"count"_s) });
        QCOMPARE(data(client->waitForMessage(isUpdateOf(9))).value(u"value"_s).toInteger(), 0);
    }

    // Improvements 2 and 3: a nil step is a path-failure (sent once), and type is cleared when
    // the value stops being an object.
    void pathFailureAndTypeClearing()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages({ ProtocolClient::create(2, 1, u"selected"_s),
            ProtocolClient::create(3, 1, u"selected.name"_s),
            ProtocolClient::create(4, 1, u"selectFirst()"_s, { { u"access"_s, u"action"_s } }),
            ProtocolClient::create(
                5, 1, u"clearSelection()"_s, { { u"access"_s, u"action"_s } }) });
        const QJsonArray created = client->nextMessages();
        QCOMPARE(data(find(created, u"error"_s, 3)).value(u"code"_s).toString(), u"path-failure"_s);
        QVERIFY(find(created, u"update"_s, 2).isEmpty()); // nil: no update at all

        client->sendMessages({ ProtocolClient::update(4, QJsonValue::Null) }, true);
        const QJsonArray selected = client->nextMessages();
        QCOMPARE(data(find(selected, u"update"_s, 2))
                     .value(u"properties"_s)
                     .toObject()
                     .value(u"type"_s)
                     .toString(),
            u"Item"_s);
        QCOMPARE(data(find(selected, u"update"_s, 3)).value(u"value"_s).toString(), u"a"_s);

        client->sendMessages({ ProtocolClient::update(5, QJsonValue::Null) }, true);
        const QJsonArray cleared = client->nextMessages();
        const QJsonObject v2 = data(find(cleared, u"update"_s, 2));
        QCOMPARE(v2.value(u"value"_s), QJsonValue(QJsonValue::Null));
        QCOMPARE(v2.value(u"properties"_s).toObject().value(u"type"_s).toString(), u""_s);
        QCOMPARE(data(find(cleared, u"error"_s, 3)).value(u"code"_s).toString(), u"path-failure"_s);
    }

    // Improvements 4 and 5, and the value JSON rules of digest §3.5.
    void valueJsonRules()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages({ ProtocolClient::create(2, 1, u"empty"_s),
            ProtocolClient::create(3, 1, u"increment"_s),
            ProtocolClient::create(4, 1, u"numbers"_s),
            ProtocolClient::create(5, 1, u"makeNames()"_s),
            ProtocolClient::create(6, 1, u"items"_s) });
        const QJsonArray messages = client->nextMessages();
        QCOMPARE(client->rawFrames().last().contains(R"("varId":4,"value":[1,2.5,3])"), true);
        QCOMPARE(data(find(messages, u"update"_s, 2)).value(u"value"_s).toArray(), QJsonArray());
        QVERIFY2(find(messages, u"update"_s, 3).isEmpty(),
            "a function named without () is null: no update");
        QCOMPARE(data(find(messages, u"update"_s, 5)).value(u"value"_s).toArray(),
            (QJsonArray { u"x"_s, u"y"_s }));
        const QJsonArray refs = data(find(messages, u"update"_s, 6)).value(u"value"_s).toArray();
        QCOMPARE(refs.size(), 2);
        QVERIFY(refs.at(0).toObject().contains(u"obj"_s));
        QVERIFY(refs.at(0) != refs.at(1));
    }

    // Improvement 1: an object keeps its id when the variable showing it is destroyed.
    void objectIdsAreStable()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages({ ProtocolClient::create(2, 1, u"items.0"_s) });
        const QJsonValue before = data(client->waitForMessage(isUpdateOf(2))).value(u"value"_s);
        client->sendMessages({ message(u"destroy"_s, { { u"varId"_s, 2 } }) });
        QCOMPARE(data(client->nextMessages().at(0).toObject()).value(u"varId"_s).toInteger(), 2);
        client->sendMessages({ ProtocolClient::create(3, 1, u"items.0"_s) });
        QCOMPARE(data(client->waitForMessage(isUpdateOf(3))).value(u"value"_s), before);
    }

    void destroyNotifiesChildrenFirst()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages({ ProtocolClient::create(2, 1, u"items"_s),
            ProtocolClient::create(3, 2, u"0"_s), ProtocolClient::create(4, 3, u"name"_s) });
        client->waitForMessage(isUpdateOf(4));
        client->sendMessages({ message(u"destroy"_s, { { u"varId"_s, 2 } }) });
        const QJsonArray destroyed = client->nextMessages();
        QCOMPARE(destroyed.size(), 3);
        QCOMPARE(data(destroyed.at(0).toObject()).value(u"varId"_s).toInteger(), 4);
        QCOMPARE(data(destroyed.at(1).toObject()).value(u"varId"_s).toInteger(), 3);
        QCOMPARE(data(destroyed.at(2).toObject()).value(u"varId"_s).toInteger(), 2);
        client->sendMessages({ ProtocolClient::update(4, 1) });
        QVERIFY(!client->waitForMessage(isErrorWith(u"not-found"_s)).isEmpty());
    }

    void unwatchedVariablesAreNotSent()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages({ ProtocolClient::create(2, 1, u"count"_s, {}),
            ProtocolClient::create(3, 1, u"increment()"_s, { { u"access"_s, u"action"_s } }) });
        client->waitForMessage(isUpdateOf(2));
        client->sendMessages({ message(u"unwatch"_s, { { u"varId"_s, 2 } }),
                                 ProtocolClient::update(3, QJsonValue::Null) },
            true);
        // Watch again: the full current value (1) arrives, proving the change was held back.
        client->sendMessages({ ProtocolClient::watch(2) });
        const QJsonObject full = client->waitForMessage(isUpdateOf(2));
        QCOMPARE(data(full).value(u"value"_s).toInteger(), 1);
        QCOMPARE(
            data(full).value(u"properties"_s).toObject().value(u"path"_s).toString(), u"count"_s);
    }

    void prioritiesOrderTheFrame()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages(
            { ProtocolClient::create(2, 1, u"count"_s, { { u"priority"_s, u"low"_s } }),
                ProtocolClient::create(3, 1, u"title"_s),
                ProtocolClient::create(4, 1, u"name"_s, { { u"priority"_s, u"high"_s } }),
                ProtocolClient::create(5, 1, u"upper()"_s) });
        const QJsonArray messages = client->nextMessages();
        QList<qint64> order;
        for (const QJsonValue& m : messages)
            order.append(data(m.toObject()).value(u"varId"_s).toInteger());
        // name is "" (not null) so it is sent; high first, then medium by creation, then low.
        QCOMPARE(order, (QList<qint64> { 4, 3, 5, 2 }));
    }

    void getAndGetObjects()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages({ ProtocolClient::create(2, 1, u"title"_s) });
        client->waitForMessage(isUpdateOf(2));
        client->send(R"({"type":"get","data":{"varIds":[2]}})");
        const QJsonObject got = client->waitForMessage(
            [](const QJsonObject& m) { return m.value(u"type"_s) == u"get"_s; });
        const QJsonObject variable = data(got).value(u"variables"_s).toArray().at(0).toObject();
        QCOMPARE(variable.value(u"id"_s).toInteger(), 2);
        QCOMPARE(variable.value(u"value"_s).toString(), u"Protocol"_s);
        QCOMPARE(
            variable.value(u"properties"_s).toObject().value(u"path"_s).toString(), u"title"_s);

        client->send(R"({"type":"getObjects","data":{"objIds":[2]}})");
        const QJsonObject objects = client->waitForMessage(
            [](const QJsonObject& m) { return m.value(u"type"_s) == u"getObjects"_s; });
        const QJsonObject app = data(objects).value(u"objects"_s).toArray().at(0).toObject();
        QCOMPARE(app.value(u"obj"_s).toInteger(), 2);
        const QJsonObject fields = app.value(u"value"_s).toObject();
        QCOMPARE(fields.value(u"title"_s).toString(), u"Protocol"_s);
        QVERIFY(fields.value(u"items"_s).toObject().contains(u"obj"_s));
    }

    void reconnectKeepsLuaState()
    {
        {
            auto client = bootstrapped();
            QVERIFY(client);
            client->sendMessages({ ProtocolClient::create(2, 1, u"count"_s),
                ProtocolClient::create(3, 1, u"increment()"_s, { { u"access"_s, u"action"_s } }) });
            client->waitForMessage(isUpdateOf(2));
            client->sendMessages({ ProtocolClient::update(3, QJsonValue::Null) }, true);
            QCOMPARE(data(client->waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger(), 1);
            client->close();
        }
        auto again = bootstrapped();
        QVERIFY(again);
        // Ids restart at 2 on the new connection: the old connection's variables are gone.
        again->sendMessages({ ProtocolClient::create(2, 1, u"count"_s) });
        QCOMPARE(data(again->waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger(), 1);
    }

    void twoConnectionsShareTheSessionNotTheIds()
    {
        auto a = bootstrapped();
        auto b = bootstrapped();
        QVERIFY(a && b);
        a->sendMessages({ ProtocolClient::create(2, 1, u"title"_s),
            ProtocolClient::create(3, 1, u"increment()"_s, { { u"access"_s, u"action"_s } }) });
        b->sendMessages({ ProtocolClient::create(2, 1, u"count"_s) });
        QCOMPARE(
            data(a->waitForMessage(isUpdateOf(2))).value(u"value"_s).toString(), u"Protocol"_s);
        QCOMPARE(data(b->waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger(), 0);
        // A's action changes shared Lua state; B sees it on its own variable 2.
        a->sendMessages({ ProtocolClient::update(3, QJsonValue::Null) }, true);
        QCOMPARE(data(b->waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger(), 1);
        // Closing A leaves B's variables alone.
        a->close();
        b->sendMessages({ ProtocolClient::update(2, 5) });
        b->sendMessages({ ProtocolClient::create(3, 1, u"count"_s) });
        QCOMPARE(data(b->waitForMessage(isUpdateOf(3))).value(u"value"_s).toInteger(), 5);
    }

    void sessionsAreIndependent()
    {
        const QString other = m_server->createSession();
        QVERIFY(!other.isEmpty() && other != m_session);
        auto a = bootstrapped();
        auto b = bootstrapped(other);
        QVERIFY(a && b);
        a->sendMessages({ ProtocolClient::create(2, 1, u"count"_s),
            ProtocolClient::create(3, 1, u"increment()"_s, { { u"access"_s, u"action"_s } }) });
        a->waitForMessage(isUpdateOf(2));
        a->sendMessages({ ProtocolClient::update(3, QJsonValue::Null) }, true);
        QCOMPARE(data(a->waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger(), 1);
        b->sendMessages({ ProtocolClient::create(2, 1, u"count"_s) });
        QCOMPARE(data(b->waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger(), 0);
    }

    void timersFireAsTurns()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages({ ProtocolClient::create(2, 1, u"count"_s),
            ProtocolClient::create(3, 1, u"later()"_s, { { u"access"_s, u"action"_s } }) });
        client->waitForMessage(isUpdateOf(2));
        client->sendMessages({ ProtocolClient::update(3, QJsonValue::Null) }, true);
        // No further client message: the timer's turn pushes the change on its own.
        QCOMPARE(data(client->waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger(), 100);
    }

    // Digest §3.8: create=Type makes a new instance the value, stores it at the path, sets type.
    void createPropertyMakesAnInstance()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages(
            { ProtocolClient::create(2, 1, u"draftName()"_s, { { u"access"_s, u"r"_s } }) });
        QCOMPARE(
            data(client->waitForMessage(isUpdateOf(2))).value(u"value"_s).toString(), u"(none)"_s);

        client->sendMessages(
            { ProtocolClient::create(3, 1, u"draft"_s, { { u"create"_s, u"Item"_s } }) });
        const QJsonArray created = client->nextMessages();
        const QJsonObject draft = data(find(created, u"update"_s, 3));
        QVERIFY(draft.value(u"value"_s).toObject().contains(u"obj"_s));
        QCOMPARE(draft.value(u"properties"_s).toObject().value(u"type"_s).toString(), u"Item"_s);
        // Stored at the path: the app's getter now sees an Item with an empty name.
        QCOMPARE(data(find(created, u"update"_s, 2)).value(u"value"_s).toString(), u""_s);

        client->sendMessages({ ProtocolClient::create(4, 3, u"name"_s) });
        QCOMPARE(data(client->waitForMessage(isUpdateOf(4))).value(u"value"_s).toString(), u""_s);
        client->sendMessages({ ProtocolClient::update(4, u"typed"_s) }, true);
        QCOMPARE(
            data(client->waitForMessage(isUpdateOf(2))).value(u"value"_s).toString(), u"typed"_s);
    }

    // Digest §3.7 / improvement 9: a Lua global T:new(varTable) and a ui.registerWrapper factory
    // wrap a value; child paths navigate the wrapper; the varTable works with . and :.
    void luaWrappersWrapValues()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        const QJsonObject r { { u"access"_s, u"r"_s } };
        client->sendMessages({
            ProtocolClient::create(
                2, 1, u"name"_s, { { u"wrapper"_s, u"Shout"_s }, { u"suffix"_s, u"!"_s } }),
            ProtocolClient::create(3, 2, u"text()"_s, r),
            ProtocolClient::create(4, 2, u"methodStyle()"_s, r),
            ProtocolClient::create(
                5, 1, u"title"_s, { { u"wrapper"_s, u"Reverse"_s }, { u"access"_s, u"r"_s } }),
            ProtocolClient::create(6, 5, u"reversed()"_s, r),
        });
        const QJsonArray messages = client->nextMessages();
        const QJsonObject shout = data(find(messages, u"update"_s, 2));
        QVERIFY2(shout.value(u"value"_s).toObject().contains(u"obj"_s),
            "a wrapped value is the wrapper's ref");
        QCOMPARE(shout.value(u"properties"_s).toObject().value(u"type"_s).toString(), u"Shout"_s);
        QCOMPARE(data(find(messages, u"update"_s, 3)).value(u"value"_s).toString(), u"!"_s);
        QCOMPARE(data(find(messages, u"update"_s, 4)).value(u"value"_s).toString(), u"!"_s);
        QCOMPARE(data(find(messages, u"update"_s, 6)).value(u"value"_s).toString(), u"locotorP"_s);

        // The wrapped value changes: the wrapper sees the new value.
        client->sendMessages(
            { ProtocolClient::create(7, 1, u"setName(_)"_s, { { u"access"_s, u"w"_s } }) });
        client->sendMessages({ ProtocolClient::update(7, u"abc"_s) }, true);
        const QJsonArray changed = client->nextMessages();
        QCOMPARE(data(find(changed, u"update"_s, 3)).value(u"value"_s).toString(), u"ABC!"_s);
        QCOMPARE(data(find(changed, u"update"_s, 4)).value(u"value"_s).toString(), u"!abc"_s);
    }

    // Improvement 8: session:createVariable with a non-root parent gets a negative id; a client
    // can watch it; destroyVariable tells the client.
    void luaCreatedChildVariables()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        const QJsonObject action { { u"access"_s, u"action"_s } };
        client->sendMessages({ ProtocolClient::create(2, 1, u"childId"_s),
            ProtocolClient::create(3, 1, u"addChild()"_s, action),
            ProtocolClient::create(4, 1, u"dropChild()"_s, action) });
        QCOMPARE(data(client->waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger(), 0);
        client->sendMessages({ ProtocolClient::update(3, QJsonValue::Null) }, true);
        QCOMPARE(data(client->waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger(), -1);

        client->sendMessages({ ProtocolClient::watch(-1) });
        const QJsonObject child = data(client->waitForMessage(isUpdateOf(-1)));
        QVERIFY(child.value(u"value"_s).toObject().contains(u"obj"_s));
        client->sendMessages({ message(u"getObjects"_s,
            { { u"objIds"_s,
                QJsonArray { child.value(u"value"_s).toObject().value(u"obj"_s) } } }) });
        const QJsonObject objects = client->waitForMessage([](const QJsonObject& m) {
            return m.value(u"type"_s) == u"getObjects"_s || m.value(u"type"_s) == u"objects"_s;
        });
        QVERIFY2(QJsonDocument(objects).toJson().contains("from Lua"),
            QJsonDocument(objects).toJson().constData());

        client->sendMessages({ ProtocolClient::update(4, QJsonValue::Null) }, true);
        QVERIFY(!client->waitForMessage(isDestroyOf(-1)).isEmpty());
        client->sendMessages({ ProtocolClient::update(-1, 5) });
        QCOMPARE(
            data(client->waitForMessage(isErrorWith(u"not-found"_s))).value(u"varId"_s).toInteger(),
            -1);
    }

    // A cleared timer never fires; an interval failing three times in a row stops, each failure
    // reported as lua-error on the variable whose action scheduled it.
    void clearedAndFailingTimers()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        const QJsonObject action { { u"access"_s, u"action"_s } };
        client->sendMessages({ ProtocolClient::create(2, 1, u"count"_s),
            ProtocolClient::create(3, 1, u"cancelled()"_s, action),
            ProtocolClient::create(4, 1, u"ticks"_s),
            ProtocolClient::create(5, 1, u"failing()"_s, action) });
        QCOMPARE(data(client->waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger(), 0);
        client->sendMessages({ ProtocolClient::update(3, QJsonValue::Null) }, true);
        // The 5 ms timer was cleared; the 20 ms one adds 1.
        QCOMPARE(data(client->waitForMessage(isUpdateOf(2))).value(u"value"_s).toInteger(), 1);

        client->sendMessages({ ProtocolClient::update(5, QJsonValue::Null) }, true);
        QList<qint64> ticks;
        QStringList errors;
        while (errors.size() < 3) {
            const QJsonArray messages = client->nextMessages();
            QVERIFY2(!messages.isEmpty(), "three timer errors arrive");
            for (const QJsonValue& m : messages) {
                const QJsonObject o = m.toObject();
                if (isUpdateOf(4)(o))
                    ticks.append(data(o).value(u"value"_s).toInteger());
                else if (isErrorWith(u"lua-error"_s)(o)) {
                    QCOMPARE(data(o).value(u"varId"_s).toInteger(), 5);
                    errors.append(data(o).value(u"description"_s).toString());
                }
            }
        }
        QVERIFY2(errors.at(2).contains(u"tick 3"_s), qPrintable(errors.join(u'\n')));
        // Another 20 ms timer: by the time it fires a live 5 ms interval would have ticked again.
        client->sendMessages({ ProtocolClient::update(3, QJsonValue::Null) }, true);
        for (;;) {
            const QJsonArray messages = client->nextMessages();
            QVERIFY(!messages.isEmpty());
            bool done = false;
            for (const QJsonValue& m : messages) {
                const QJsonObject o = m.toObject();
                QVERIFY2(
                    !isErrorWith(u"lua-error"_s)(o), "the interval stopped after three failures");
                if (isUpdateOf(4)(o))
                    ticks.append(data(o).value(u"value"_s).toInteger());
                done = done || (isUpdateOf(2)(o) && data(o).value(u"value"_s).toInteger() == 2);
            }
            if (done)
                break;
        }
        QCOMPARE(ticks.last(), 3);
    }

    // Sessions hold no pointer to the server: with the server gone they keep running and drop
    // their frames; a new sink gets them; unsetting it waits out frames in flight.
    void sessionsOutliveTheServer()
    {
        m_server->destroyServer();
        RecordingSink sink;
        auto& sessions = m_server->sessions();
        const auto sendDestroy = [&] {
            sessions.withSession(m_session, [](lunette::Session* s) {
                QVERIFY(s);
                s->openConnection(777);
                (void)s->runTurn([s] { s->notifyDestroyed({ 42 }); }, true);
            });
            m_server->executor().execute([] {}); // the queue is in order: wait for the above
        };
        sendDestroy();
        sessions.setConnectionSink(&sink);
        sendDestroy();
        const auto frames = sink.taken();
        QCOMPARE(frames.size(), 1);
        QCOMPARE(frames.at(0).first, 777u);
        QCOMPARE(frames.at(0).second, QByteArray(R"({"type":"destroy","data":{"varId":42}})"));
        sessions.setConnectionSink(nullptr);
        sendDestroy();
        QCOMPARE(sink.taken().size(), 0);
        QVERIFY(sessions.hasSession(m_session));
    }

    void userEventsFlushAtOnceOthersAreBatched()
    {
        // A long debounce makes the batching observable without timing the fast path.
        m_server.reset();
        lunette::SessionManager::Options options;
        options.session.debounce = std::chrono::milliseconds(300);
        m_server = std::make_unique<ServerFixture>(protocolSite(), options);
        QVERIFY(m_server->start());
        m_session = m_server->createSession();
        ProtocolClient client(*m_server, m_session);
        QVERIFY(client.open());
        client.sendMessages({ ProtocolClient::watch(1) }, true);
        QVERIFY(client.nextFrame());

        QElapsedTimer timer;
        timer.start();
        client.sendMessages({ ProtocolClient::create(2, 1, u"title"_s) });
        client.sendMessages({ ProtocolClient::create(3, 1, u"count"_s) });
        const QJsonArray batched = client.nextMessages();
        QVERIFY2(timer.elapsed() >= 290, "non-user-event changes wait for the debounce");
        QCOMPARE(batched.size(), 2); // both frames' changes in one frame
        QCOMPARE(client.pendingFrames(), 0u);

        client.sendMessages(
            { ProtocolClient::create(4, 1, u"increment()"_s, { { u"access"_s, u"action"_s } }) });
        client.nextMessages(); // nothing to send for an action, but wait out any frame
        timer.restart();
        client.sendMessages({ ProtocolClient::update(4, QJsonValue::Null) }, true);
        const QJsonObject update = client.waitForMessage(isUpdateOf(3));
        QCOMPARE(data(update).value(u"value"_s).toInteger(), 1);
        QVERIFY2(timer.elapsed() < 290, "a user event is flushed without waiting for the debounce");
    }

    // Sessions without a connection end after the idle timeout; a connected one stays.
    void idleSessionsEnd()
    {
        m_server.reset();
        lunette::SessionManager::Options options;
        options.idleTimeout = std::chrono::milliseconds(200);
        m_server = std::make_unique<ServerFixture>(protocolSite(), options);
        QVERIFY(m_server->start());
        const QString idle = m_server->createSession();
        const QString busy = m_server->createSession();
        QVERIFY(!idle.isEmpty() && !busy.isEmpty());
        auto client = bootstrapped(busy);
        QVERIFY(client);
        QTRY_VERIFY_WITH_TIMEOUT(!m_server->sessions().hasSession(idle), 5000);
        QVERIFY(m_server->sessions().hasSession(busy));
        QCOMPARE(m_server->get(u"/"_s + idle).status, 404);
        // Once its last connection closes, the other one ends too.
        client->close();
        QTRY_VERIFY_WITH_TIMEOUT(!m_server->sessions().hasSession(busy), 5000);
    }

    void variablesJsonDescribesTheTree()
    {
        auto client = bootstrapped();
        QVERIFY(client);
        client->sendMessages(
            { ProtocolClient::create(2, 1, u"title"_s, { { u"access"_s, u"r"_s } }) });
        client->waitForMessage(isUpdateOf(2));
        const auto result = m_server->get(u"/"_s + m_session + u"/variables.json"_s);
        QCOMPARE(result.status, 200);
        const QJsonArray rows = QJsonDocument::fromJson(result.body).array();
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows.at(0).toObject().value(u"id"_s).toInteger(), 1);
        QCOMPARE(rows.at(0).toObject().value(u"type"_s).toString(), u"App"_s);
        const QJsonObject title = rows.at(1).toObject();
        QCOMPARE(title.value(u"path"_s).toString(), u"title"_s);
        QCOMPARE(title.value(u"value"_s).toString(), u"Protocol"_s);
        QCOMPARE(title.value(u"access"_s).toString(), u"r"_s);
        QCOMPARE(title.value(u"depth"_s).toInt(), 1);
        QCOMPARE(title.value(u"active"_s).toBool(), true);
    }
};

QTEST_GUILESS_MAIN(TestProtocol)
#include "test_protocol.moc"
