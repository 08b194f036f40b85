// Engine errors → overlay content and the rule for which errors get the overlay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLuaError, parseReloadError, isOverlayError, isUnknownGetError } from '../../resources/web/lunette/errors.js';

test('message, file:line and traceback from a Lua error description', () => {
  const info = parseLuaError({
    code: 'lua-error',
    description:
      "lua/main.lua:12: attempt to index a nil value (field 'x')\nstack traceback:\n\t[C]: in ?\n\tlua/main.lua:12: in function 'App:fails'",
  });
  assert.equal(info.message, "lua/main.lua:12: attempt to index a nil value (field 'x')");
  assert.equal(info.file, 'lua/main.lua');
  assert.equal(info.line, 12);
  assert.equal(info.location, 'lua/main.lua:12');
  assert.equal(info.traceback, "[C]: in ?\n\tlua/main.lua:12: in function 'App:fails'");
  assert.equal(info.code, 'lua-error');
});

test('a prefixed description still yields the location', () => {
  const info = parseLuaError({ code: 'lua-error', varId: 7, description: 'timer callback failed: apps/tasks/app.lua:7: tick 1' });
  assert.equal(info.location, 'apps/tasks/app.lua:7');
  assert.equal(info.varId, 7);
  assert.equal(info.traceback, '');
});

test('string chunk names', () => {
  const info = parseLuaError({ description: '[string "console"]:1: boom' });
  assert.equal(info.file, '[string "console"]');
  assert.equal(info.line, 1);
});

test('explicit file, line and traceback fields win', () => {
  const info = parseLuaError({ description: 'syntax error near end', file: 'lua/x.lua', line: 3, traceback: 'tb' });
  assert.equal(info.location, 'lua/x.lua:3');
  assert.equal(info.traceback, 'tb');
});

test('no location known', () => {
  const info = parseLuaError({ code: 'bad-message', description: 'invalid JSON' });
  assert.equal(info.location, '');
  assert.equal(info.line, null);
  assert.equal(info.message, 'invalid JSON');
});

test('overlay: errors without a variable, and Lua errors of actions', () => {
  assert.equal(isOverlayError({ code: 'lua-error', description: 'x' }), true);
  assert.equal(isOverlayError({ code: 'bad-message', description: 'x', varId: 0 }), true);
  assert.equal(isOverlayError({ code: 'lua-error', varId: 5 }, 'action'), true);
  assert.equal(isOverlayError({ code: 'timeout', varId: 5 }, 'action'), true);
  assert.equal(isOverlayError({ code: 'lua-error', varId: 5 }, 'r'), false, 'shown on the element');
  assert.equal(isOverlayError({ code: 'path-failure', varId: 5 }, 'action'), false);
  assert.equal(isOverlayError({ code: 'lua-error', varId: 5 }, undefined), false);
});

test('the reply of a server that does not know get', () => {
  assert.equal(isUnknownGetError({ description: 'unknown message type: get' }), true);
  assert.equal(isUnknownGetError({ description: 'unknown message type: getObjects' }), false);
  assert.equal(isUnknownGetError({ description: 'boom' }), false);
});

test('variable 1 reloadError: JSON from the hot loader', () => {
  const info = parseReloadError(JSON.stringify({
    key: 'lua/contact.lua',
    message: "lua/contact.lua:12: '=' expected near 'x'",
    location: 'lua/contact.lua:12',
    traceback: 'stack traceback:\n\t[C]: in ?',
  }));
  assert.equal(info.kind, 'reload');
  assert.equal(info.key, 'lua/contact.lua');
  assert.equal(info.message, "lua/contact.lua:12: '=' expected near 'x'");
  assert.equal(info.location, 'lua/contact.lua:12');
  assert.equal(info.traceback, '[C]: in ?');
});

test('reloadError that is not JSON is shown as its text', () => {
  const info = parseReloadError('cannot read lua/x.lua');
  assert.equal(info.message, 'cannot read lua/x.lua');
  assert.equal(info.location, '');
  assert.equal(info.key, '');
});
