// Outgoing priorities and frames (digest §2.7, §2.9; FRONTEND.md: user events go at once,
// everything else is batched in a microtask).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  normalizePriority,
  splitPriority,
  splitByPriority,
  buildFrame,
  Batcher,
} from '../../resources/web/lunette/batcher.js';

const update = (varId, extra = {}) => ({ type: 'update', data: { varId, ...extra } });

test('priority names', () => {
  assert.equal(normalizePriority('HIGH'), 'high');
  assert.equal(normalizePriority('low'), 'low');
  assert.equal(normalizePriority('med'), 'medium');
  assert.equal(normalizePriority('medium'), 'medium');
  assert.equal(normalizePriority(undefined), 'medium');
  assert.equal(normalizePriority('urgent'), 'medium');
});

test('priority suffixes on property names', () => {
  assert.deepEqual(splitPriority('viewdefs:high'), { name: 'viewdefs', priority: 'high' });
  assert.deepEqual(splitPriority('x:MED'), { name: 'x', priority: 'medium' });
  assert.deepEqual(splitPriority('x:low'), { name: 'x', priority: 'low' });
  assert.deepEqual(splitPriority('plain'), { name: 'plain', priority: null });
  assert.deepEqual(splitPriority('a:b'), { name: 'a:b', priority: null });
});

test('frames order high, medium, low; arrival order within a level', () => {
  const frame = buildFrame([
    { message: update(2), priority: 'low' },
    { message: update(3), priority: 'medium' },
    { message: update(4), priority: 'high' },
    { message: update(5), priority: 'medium' },
    { message: update(6), priority: 'high' },
  ]);
  assert.deepEqual(frame.messages.map((m) => m.data.varId), [4, 6, 3, 5, 2]);
  assert.equal(frame.userEvent, false);
});

test('an update never moves ahead of the create of its variable', () => {
  const frame = buildFrame([
    { message: { type: 'create', data: { id: 7, parentId: 1, properties: { path: 'x' } } }, priority: 'medium' },
    { message: update(7, { value: 1 }), priority: 'high' },
    { message: update(2, { value: 2 }), priority: 'high' },
  ]);
  assert.deepEqual(
    frame.messages.map((m) => `${m.type}:${m.data.id ?? m.data.varId}`),
    ['update:2', 'create:7', 'update:7'],
  );
});

test('one variable at two priorities becomes two messages', () => {
  const parts = splitByPriority(update(9, { value: 'v', properties: { 'a:high': '1', b: '2' } }), 'medium');
  assert.deepEqual(parts, [
    { message: { type: 'update', data: { varId: 9, properties: { 'a:high': '1' } } }, priority: 'high' },
    { message: { type: 'update', data: { varId: 9, value: 'v', properties: { b: '2' } } }, priority: 'medium' },
  ]);
});

test('a message at a single priority is not split; creates never are', () => {
  const plain = update(9, { value: 1 });
  assert.deepEqual(splitByPriority(plain, 'low'), [{ message: plain, priority: 'low' }]);
  const create = { type: 'create', data: { id: 3, parentId: 1, properties: { path: 'x', 'y:high': '1' } } };
  assert.deepEqual(splitByPriority(create), [{ message: create, priority: 'medium' }]);
});

test('batched messages go out as one frame after the microtask', async () => {
  const frames = [];
  const batcher = new Batcher({ send: (f) => (frames.push(f), true) });
  batcher.enqueue(update(2, { value: 'a' }));
  batcher.enqueue(update(3, { value: 'b' }), 'high');
  assert.equal(frames.length, 0, 'nothing sent synchronously');
  assert.equal(batcher.pending, 2);
  await Promise.resolve();
  assert.deepEqual(frames, [
    { userEvent: false, messages: [update(3, { value: 'b' }), update(2, { value: 'a' })] },
  ]);
  assert.equal(batcher.pending, 0);
});

test('a user event goes at once and takes what was queued with it', async () => {
  const frames = [];
  const batcher = new Batcher({ send: (f) => (frames.push(f), true) });
  batcher.enqueue(update(2, { value: 'typed' }));
  const sent = batcher.enqueueUserEvent(update(5, { value: null }), 'low');
  assert.equal(sent, true);
  assert.deepEqual(frames, [
    { userEvent: true, messages: [update(2, { value: 'typed' }), update(5, { value: null })] },
  ]);
  await Promise.resolve();
  assert.equal(frames.length, 1, 'the scheduled flush finds nothing left');
  batcher.enqueue(update(6));
  await Promise.resolve();
  assert.equal(frames[1].userEvent, false, 'the flag is reset after a flush');
});

test('clear drops what is queued', async () => {
  const frames = [];
  const batcher = new Batcher({ send: (f) => (frames.push(f), true) });
  batcher.enqueue(update(2));
  batcher.clear();
  await Promise.resolve();
  assert.equal(frames.length, 0);
});
