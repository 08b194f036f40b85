// ui-event-keypress-[MODS-]KEY bindings (digest §6.5.3). Pure: works on any object shaped like
// a KeyboardEvent ({key, code, ctrlKey, shiftKey, altKey, metaKey}).
//
// Unlike the reference, every key name compares case-insensitively ("f1" matches "F1"), and a
// letter or digit also matches by physical key (event.code), so "shift-1" and "alt-a" work on
// layouts where the modifier changes event.key.

const MODIFIERS = {
  ctrl: 'ctrl',
  control: 'ctrl',
  shift: 'shift',
  alt: 'alt',
  option: 'alt',
  meta: 'meta',
  cmd: 'meta',
  command: 'meta',
};

// Binding key token → event.key (lower case). Anything else is compared as written.
const KEY_NAMES = {
  enter: 'enter',
  return: 'enter',
  escape: 'escape',
  esc: 'escape',
  left: 'arrowleft',
  right: 'arrowright',
  up: 'arrowup',
  down: 'arrowdown',
  tab: 'tab',
  space: ' ',
  spacebar: ' ',
  backspace: 'backspace',
  delete: 'delete',
  del: 'delete',
  insert: 'insert',
  home: 'home',
  end: 'end',
  pageup: 'pageup',
  pagedown: 'pagedown',
  plus: '+',
  minus: '-',
  comma: ',',
  period: '.',
  dot: '.',
  slash: '/',
};

// "ctrl-shift-s" → { key: "s", ctrl: true, shift: true, alt: false, meta: false };
// null when no key is named.
export function parseKeyBinding(suffix) {
  const binding = { key: '', ctrl: false, shift: false, alt: false, meta: false };
  for (const token of String(suffix).toLowerCase().split('-')) {
    if (token === '') continue;
    const modifier = MODIFIERS[token];
    if (modifier) binding[modifier] = true;
    else binding.key = token; // the last non-modifier token is the key
  }
  return binding.key ? binding : null;
}

// Modifiers must match exactly (none missing, none extra), except Shift for a symbol such as
// "+" or "?", which many layouts can only type with Shift.
export function keyMatches(binding, event) {
  if (!binding || !event) return false;
  const wanted = KEY_NAMES[binding.key] ?? binding.key;
  const symbol = wanted.length === 1 && !/^[a-z0-9 ]$/.test(wanted);
  if (Boolean(event.ctrlKey) !== binding.ctrl) return false;
  if (!symbol && Boolean(event.shiftKey) !== binding.shift) return false;
  if (Boolean(event.altKey) !== binding.alt) return false;
  if (Boolean(event.metaKey) !== binding.meta) return false;
  const key = String(event.key ?? '').toLowerCase();
  if (key === wanted) return true;
  // Physical key for letters and digits: "KeyA", "Digit1", "Numpad1".
  if (/^[a-z]$/.test(wanted)) return event.code === `Key${wanted.toUpperCase()}`;
  if (/^[0-9]$/.test(wanted)) return event.code === `Digit${wanted}` || event.code === `Numpad${wanted}`;
  return false;
}

// The value a keypress binding sends to a non-method path: the key token as written, lower case.
export function keyValue(binding) {
  return binding.key;
}
