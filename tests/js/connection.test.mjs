// Connection: reconnect backoff (0.25, 0.5, 1, 2, 4 s, then every 5 s), server frame shapes,
// session id and URL, and the reconnect cycle with a fake socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  reconnectDelay,
  parseServerFrame,
  sessionIdFrom,
  webSocketUrl,
  Connection,
} from '../../resources/web/lunette/connection.js';

test('backoff sequence', () => {
  const delays = Array.from({ length: 9 }, (_, attempt) => reconnectDelay(attempt));
  assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 5000, 5000, 5000, 5000]);
  assert.equal(reconnectDelay(1000), 5000, 'forever');
});

test('server frames: one object, an array, raw {"error"}; junk ignored', () => {
  assert.deepEqual(parseServerFrame('{"type":"update","data":{"varId":1,"value":2}}'), [
    { type: 'update', data: { varId: 1, value: 2 } },
  ]);
  assert.deepEqual(parseServerFrame('[{"type":"destroy","data":{"varId":5}},{"type":"get"}]'), [
    { type: 'destroy', data: { varId: 5 } },
    { type: 'get', data: {} },
  ]);
  assert.deepEqual(parseServerFrame('{"error":"variable 3 not found in tracker"}'), [
    { type: 'error', data: { code: '', description: 'variable 3 not found in tracker' } },
  ]);
  assert.deepEqual(parseServerFrame('not json'), []);
  assert.deepEqual(parseServerFrame('[1, null, {"x":1}]'), []);
});

test('session id: the ui-session cookie, else the first path segment', () => {
  const sid = '0123456789abcdef0123456789abcdef';
  assert.equal(sessionIdFrom(`a=1; ui-session=${sid}; b=2`, '/other/page'), sid);
  assert.equal(sessionIdFrom('a=1', `/${sid}/contacts/3`), sid);
  assert.equal(sessionIdFrom('ui-session=', `/${sid}`), sid);
  assert.equal(sessionIdFrom('', '/'), '');
});

test('WebSocket URL follows the page scheme and host', () => {
  assert.equal(webSocketUrl({ protocol: 'http:', host: '127.0.0.1:8099' }, 'abc'), 'ws://127.0.0.1:8099/ws/abc');
  assert.equal(webSocketUrl({ protocol: 'https:', host: 'example.org' }, 'abc'), 'wss://example.org/ws/abc');
});

class FakeSocket {
  constructor(url, all) {
    this.url = url;
    this.sent = [];
    all.push(this);
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
}

test('reconnects with the backoff delays and reports reconnects', () => {
  const sockets = [];
  const timers = [];
  const events = [];
  const connection = new Connection({
    url: 'ws://h/ws/s',
    createSocket: (url) => new FakeSocket(url, sockets),
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    onOpen: (reconnect) => events.push(reconnect ? 'reopen' : 'open'),
    onClose: () => events.push('close'),
    onMessages: (messages) => events.push(messages.map((m) => m.type).join(',')),
    log: { warn() {}, error() {} },
  });
  connection.start();
  assert.equal(connection.send({ userEvent: false, messages: [] }), false, 'not open yet');
  sockets[0].onopen();
  assert.equal(connection.connected, true);
  assert.equal(connection.send({ userEvent: false, messages: [{ type: 'watch', data: { varId: 1 } }] }), true);
  assert.deepEqual(sockets[0].sent, [{ userEvent: false, messages: [{ type: 'watch', data: { varId: 1 } }] }]);
  sockets[0].onmessage({ data: '[{"type":"update","data":{"varId":1}},{"type":"error","data":{}}]' });

  sockets[0].onclose(); // the engine went away
  assert.equal(connection.connected, false);
  // Three failed attempts, then success: delays 250, 500, 1000, 2000.
  for (let attempt = 0; attempt < 3; attempt++) {
    timers.shift().fn();
    sockets.at(-1).onclose();
  }
  timers.shift().fn();
  sockets.at(-1).onopen();
  assert.deepEqual(events, ['open', 'update,error', 'close', 'reopen']);
  assert.equal(sockets.length, 5);

  // After a successful open the backoff starts over.
  sockets.at(-1).onclose();
  assert.equal(timers.at(-1).ms, 250);
});

test('the delays used between attempts', () => {
  const timers = [];
  const sockets = [];
  const connection = new Connection({
    url: 'ws://h/ws/s',
    createSocket: (url) => new FakeSocket(url, sockets),
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    log: { warn() {}, error() {} },
  });
  connection.start();
  for (let i = 0; i < 8; i++) {
    sockets.at(-1).onclose();
    timers.at(-1).fn();
  }
  assert.deepEqual(timers.map((t) => t.ms), [250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
});

test('whenOpen resolves once connected', async () => {
  const sockets = [];
  const connection = new Connection({ url: 'u', createSocket: (url) => new FakeSocket(url, sockets), setTimer() {} });
  connection.start();
  let opened = false;
  const waiting = connection.whenOpen().then(() => (opened = true));
  await Promise.resolve();
  assert.equal(opened, false);
  sockets[0].onopen();
  await waiting;
  assert.equal(opened, true);
});
