// The page's variable store (digest §6.12): ids, local records, duplicate suppression, incoming
// updates/errors/destroys, and leak-free destroys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VariableStore } from '../../resources/web/lunette/store.js';

function makeStore() {
  const sent = [];
  const store = new VariableStore({ send: (message, options) => sent.push({ message, ...options }) });
  store.ensure(1);
  return { store, sent };
}

test('ids start at 2 and restart at 2 after reset', () => {
  const { store } = makeStore();
  assert.equal(store.create({ parentId: 1, properties: { path: 'a' } }), 2);
  assert.equal(store.create({ parentId: 1, properties: { path: 'b' } }), 3);
  store.reset();
  store.ensure(1);
  assert.equal(store.create({ parentId: 1, properties: { path: 'c' } }), 2);
});

test('create sends the create message and records the properties locally', () => {
  const { store, sent } = makeStore();
  const id = store.create({ parentId: 1, properties: { path: 'title', access: 'r' } });
  assert.deepEqual(sent[0].message, { type: 'create', data: { id, parentId: 1, properties: { path: 'title', access: 'r' } } });
  assert.equal(store.get(id).properties.access, 'r');
  assert.equal(store.get(id).value, undefined);
  assert.deepEqual([...store.awaitingFirst], [id]);
});

test('action variables are not awaited: the engine never sends them a value', () => {
  const { store } = makeStore();
  store.create({ parentId: 1, properties: { path: 'save()', access: 'action' } });
  assert.equal(store.awaitingFirst.size, 0);
});

test('an unchanged value of a readable variable is not sent again; actions always are', () => {
  const { store, sent } = makeStore();
  const name = store.create({ parentId: 1, properties: { path: 'name' } });
  const save = store.create({ parentId: 1, properties: { path: 'save()', access: 'action' } });
  sent.length = 0;
  assert.equal(store.update(name, 'bob'), true);
  assert.equal(store.update(name, 'bob'), false);
  assert.equal(store.update(name, 'bob', undefined, { force: true }), true);
  assert.equal(store.update(save, null, undefined, { userEvent: true }), true);
  assert.equal(store.update(save, null, undefined, { userEvent: true }), true);
  assert.deepEqual(sent.map((s) => [s.message.data.varId, s.message.data.value, s.userEvent]), [
    [name, 'bob', false],
    [name, 'bob', false],
    [save, null, true],
    [save, null, true],
  ]);
});

test('the value priority comes from the priority property', () => {
  const { store, sent } = makeStore();
  const id = store.create({ parentId: 1, properties: { path: 'click()', access: 'action', priority: 'low' } });
  store.update(id, null, undefined, { userEvent: true });
  assert.equal(sent.at(-1).priority, 'low');
});

test('incoming update: value, merged properties, "" removes a property', () => {
  const { store } = makeStore();
  const id = store.create({ parentId: 1, properties: { path: 'sel', namespace: 'x' } });
  const seen = [];
  store.watch(id, (record, data) => seen.push([record.value, { ...record.properties }, 'value' in data]));
  store.handle({ type: 'update', data: { varId: id, value: { obj: 4 }, properties: { type: 'Contact' } } });
  store.handle({ type: 'update', data: { varId: id, properties: { type: '' } } });
  assert.deepEqual(seen, [
    [{ obj: 4 }, { path: 'sel', namespace: 'x', type: 'Contact' }, true],
    [{ obj: 4 }, { path: 'sel', namespace: 'x' }, false],
  ]);
  assert.equal(store.awaitingFirst.size, 0);
});

test('errors are stored and cleared by the next value', () => {
  const { store } = makeStore();
  const id = store.create({ parentId: 1, properties: { path: 'x' } });
  const errors = [];
  store.onError(id, (record, error) => errors.push(error));
  store.handle({ type: 'error', data: { varId: id, code: 'path-failure', description: 'no x' } });
  assert.deepEqual(store.get(id).error, { code: 'path-failure', description: 'no x' });
  store.handle({ type: 'update', data: { varId: id, value: 3 } });
  assert.deepEqual(errors, [{ code: 'path-failure', description: 'no x' }, null]);
  assert.equal(store.get(id).error, null);
});

test('destroying a variable drops its descendants locally with one message', () => {
  const { store, sent } = makeStore();
  const view = store.create({ parentId: 1, properties: { path: 'a' } });
  const inner = store.create({ parentId: view, properties: { path: 'b' } });
  const deeper = store.create({ parentId: inner, properties: { path: 'c' } });
  sent.length = 0;
  store.destroy(view);
  store.destroy(inner); // already gone with its parent
  store.destroy(deeper);
  assert.deepEqual(sent.map((s) => s.message), [{ type: 'destroy', data: { varId: view } }]);
  assert.equal(store.size, 1, 'only variable 1 is left');
  assert.equal(store.awaitingFirst.size, 0);
});

test('variable 1 belongs to the engine and is never destroyed by the page', () => {
  const { store, sent } = makeStore();
  store.destroy(1);
  assert.equal(sent.length, 0);
  assert.ok(store.get(1));
});

test('late updates for destroyed variables are ignored; engine-owned ids are adopted', () => {
  const { store } = makeStore();
  const id = store.create({ parentId: 1, properties: { path: 'a' } });
  store.destroy(id);
  assert.equal(store.handle({ type: 'update', data: { varId: id, value: 1 } }), undefined);
  assert.equal(store.get(id), undefined);
  assert.ok(store.handle({ type: 'update', data: { varId: -1, value: 2 } }));
  assert.equal(store.get(-1).value, 2);
});

test('an incoming destroy drops the record and its listeners', () => {
  const { store } = makeStore();
  const id = store.create({ parentId: 1, properties: { path: 'a' } });
  let calls = 0;
  store.watch(id, () => calls++);
  store.handle({ type: 'destroy', data: { varId: id } });
  store.handle({ type: 'update', data: { varId: id, value: 1 } });
  assert.equal(calls, 0);
  assert.equal(store.get(id), undefined);
});

test('watch is sent for variable 1 only when asked; the barrier acknowledges null variables', () => {
  const { store, sent } = makeStore();
  store.sendWatch(1);
  assert.deepEqual(sent.at(-1).message, { type: 'watch', data: { varId: 1 } });
  const a = store.create({ parentId: 1, properties: { path: 'nothing' } });
  const b = store.create({ parentId: 1, properties: { path: 'later' } });
  store.acknowledge([a]);
  assert.deepEqual([...store.awaitingFirst], [b]);
});

test('outgoing properties: "" removes locally and is sent; nothing goes for a destroyed variable', () => {
  const { store, sent } = makeStore();
  const id = store.create({ parentId: 1, properties: { path: 'v' } });
  store.update(id, undefined, { viewdef: 'T.DEFAULT' });
  assert.equal(store.get(id).properties.viewdef, 'T.DEFAULT');
  store.update(id, undefined, { viewdef: '' });
  assert.equal('viewdef' in store.get(id).properties, false);
  assert.deepEqual(sent.at(-1).message, { type: 'update', data: { varId: id, properties: { viewdef: '' } } });
  store.destroy(id);
  const count = sent.length;
  assert.equal(store.update(id, 'late'), false);
  assert.equal(sent.length, count);
});
