// Keypress bindings: ui-event-keypress-[MODS-]KEY (digest §6.5.3), with key names compared
// case-insensitively (FRONTEND.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKeyBinding, keyMatches, keyValue } from '../../resources/web/lunette/keys.js';

// A KeyboardEvent-shaped object.
function key(k, mods = {}, code = undefined) {
  return { key: k, code, ctrlKey: false, shiftKey: false, altKey: false, metaKey: false, ...mods };
}

test('parsing: modifiers in any order, the last other token is the key', () => {
  assert.deepEqual(parseKeyBinding('enter'), { key: 'enter', ctrl: false, shift: false, alt: false, meta: false });
  assert.deepEqual(parseKeyBinding('shift-ctrl-s'), { key: 's', ctrl: true, shift: true, alt: false, meta: false });
  assert.deepEqual(parseKeyBinding('alt-meta-F5'), { key: 'f5', ctrl: false, shift: false, alt: true, meta: true });
});

test('parsing: modifiers alone name no key', () => {
  assert.equal(parseKeyBinding('ctrl-shift'), null);
  assert.equal(parseKeyBinding(''), null);
});

test('named keys', () => {
  assert.equal(keyMatches(parseKeyBinding('enter'), key('Enter')), true);
  assert.equal(keyMatches(parseKeyBinding('escape'), key('Escape')), true);
  assert.equal(keyMatches(parseKeyBinding('esc'), key('Escape')), true);
  assert.equal(keyMatches(parseKeyBinding('left'), key('ArrowLeft')), true);
  assert.equal(keyMatches(parseKeyBinding('down'), key('ArrowDown')), true);
  assert.equal(keyMatches(parseKeyBinding('tab'), key('Tab')), true);
  assert.equal(keyMatches(parseKeyBinding('space'), key(' ')), true);
  assert.equal(keyMatches(parseKeyBinding('enter'), key('Escape')), false);
});

test('key names compare case-insensitively: f1 matches F1', () => {
  assert.equal(keyMatches(parseKeyBinding('f1'), key('F1')), true);
  assert.equal(keyMatches(parseKeyBinding('F1'), key('F1')), true);
  assert.equal(keyMatches(parseKeyBinding('pagedown'), key('PageDown')), true);
  assert.equal(keyMatches(parseKeyBinding('a'), key('A')), true);
  assert.equal(keyMatches(parseKeyBinding('f1'), key('F2')), false);
});

test('modifiers must match exactly: none missing, none extra', () => {
  const ctrlS = parseKeyBinding('ctrl-s');
  assert.equal(keyMatches(ctrlS, key('s', { ctrlKey: true })), true);
  assert.equal(keyMatches(ctrlS, key('s')), false, 'ctrl missing');
  assert.equal(keyMatches(ctrlS, key('s', { ctrlKey: true, altKey: true })), false, 'alt extra');
  assert.equal(keyMatches(parseKeyBinding('enter'), key('Enter', { shiftKey: true })), false, 'shift extra');
  assert.equal(keyMatches(parseKeyBinding('shift-enter'), key('Enter', { shiftKey: true })), true);
  assert.equal(keyMatches(parseKeyBinding('meta-k'), key('k', { metaKey: true })), true);
});

test('shift with a letter: event.key is upper case, still a match', () => {
  assert.equal(keyMatches(parseKeyBinding('ctrl-shift-a'), key('A', { ctrlKey: true, shiftKey: true })), true);
});

test('letters and digits also match by physical key', () => {
  // Shift-1 types "!" on a US layout; Alt-a types "å" on a Mac.
  assert.equal(keyMatches(parseKeyBinding('shift-1'), key('!', { shiftKey: true }, 'Digit1')), true);
  assert.equal(keyMatches(parseKeyBinding('alt-a'), key('å', { altKey: true }, 'KeyA')), true);
  assert.equal(keyMatches(parseKeyBinding('alt-a'), key('å', { altKey: true }, 'KeyB')), false);
});

test('symbols that need Shift match with or without it', () => {
  assert.equal(keyMatches(parseKeyBinding('plus'), key('+', { shiftKey: true })), true);
  assert.equal(keyMatches(parseKeyBinding('plus'), key('+')), true);
  assert.equal(keyMatches(parseKeyBinding('ctrl-plus'), key('+', { shiftKey: true })), false, 'ctrl still required');
});

test('the value sent to a plain field is the key token in lower case', () => {
  assert.equal(keyValue(parseKeyBinding('Enter')), 'enter');
  assert.equal(keyValue(parseKeyBinding('ctrl-F1')), 'f1');
});
