// How ui-value talks to each kind of element: native inputs and Shoelace components (digest
// §6.5.1, with the two-way checked/number bindings the reference lacks).
//
// Kinds:
//   checked  – checkbox, switch, native radio without a value attribute: boolean ↔ .checked
//   radio    – native radio with a value attribute: checked when the value equals it
//   number   – range, rating: numbers
//   value    – text inputs, textarea, select, sl-select, sl-radio-group, color pickers…
//   content  – anything else: textContent (read-only)

const NATIVE_FORM = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

const SHOELACE_KINDS = {
  'SL-CHECKBOX': 'checked',
  'SL-SWITCH': 'checked',
  'SL-RANGE': 'number',
  'SL-RATING': 'number',
  'SL-INPUT': 'value',
  'SL-TEXTAREA': 'value',
  'SL-SELECT': 'value',
  'SL-RADIO-GROUP': 'value',
  'SL-COLOR-PICKER': 'value',
  // Components with a value the user cannot change: read-only by default.
  'SL-OPTION': 'value',
  'SL-RADIO': 'value',
  'SL-RADIO-BUTTON': 'value',
  'SL-COPY-BUTTON': 'value',
  'SL-PROGRESS-BAR': 'value',
  'SL-PROGRESS-RING': 'value',
  'SL-QR-CODE': 'value',
  'SL-FORMAT-NUMBER': 'value',
  'SL-FORMAT-BYTES': 'value',
};

const READ_ONLY = new Set([
  'SL-OPTION',
  'SL-RADIO',
  'SL-RADIO-BUTTON',
  'SL-COPY-BUTTON',
  'SL-PROGRESS-BAR',
  'SL-PROGRESS-RING',
  'SL-QR-CODE',
  'SL-FORMAT-NUMBER',
  'SL-FORMAT-BYTES',
]);

// Elements whose typed text must not be moved by scroll-on-output notifications.
const TEXT_ENTRY = new Set(['INPUT', 'TEXTAREA', 'SL-INPUT', 'SL-TEXTAREA']);

export function elementKind(el) {
  const tag = el.tagName;
  if (tag === 'INPUT') {
    const type = (el.getAttribute('type') || 'text').toLowerCase();
    if (type === 'checkbox') return 'checked';
    if (type === 'radio') return el.hasAttribute('value') ? 'radio' : 'checked';
    if (type === 'range') return 'number';
    return 'value';
  }
  if (tag === 'TEXTAREA' || tag === 'SELECT') return 'value';
  if (SHOELACE_KINDS[tag]) return SHOELACE_KINDS[tag];
  if (tag === 'BUTTON' || tag.startsWith('SL-')) return 'content';
  // Another library's form-associated custom element.
  if (tag.includes('-') && 'value' in el) return 'value';
  return 'content';
}

export function isEditable(el) {
  return elementKind(el) !== 'content';
}

export function isReadOnlyComponent(el) {
  return READ_ONLY.has(el.tagName) || elementKind(el) === 'content';
}

export function isTextEntry(el) {
  return TEXT_ENTRY.has(el.tagName);
}

export function isShoelace(el) {
  return el.tagName.startsWith('SL-');
}

function truthy(value) {
  if (typeof value === 'string') return value !== '' && !/^(false|0)$/i.test(value);
  return Boolean(value);
}

function display(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// Engine value → element.
export function writeValue(el, value, kind = elementKind(el)) {
  switch (kind) {
    case 'checked': {
      const checked = truthy(value);
      if (el.checked !== checked) el.checked = checked;
      return;
    }
    case 'radio': {
      const checked = value !== null && value !== undefined && String(value) === el.value;
      if (el.checked !== checked) el.checked = checked;
      return;
    }
    case 'number': {
      if (NATIVE_FORM.has(el.tagName)) {
        const text = value === null || value === undefined ? '' : String(value);
        if (el.value !== text) el.value = text;
      } else {
        const number = Number(value ?? 0);
        el.value = Number.isFinite(number) ? number : 0;
      }
      return;
    }
    case 'value': {
      if (Array.isArray(value) && el.tagName === 'SL-SELECT') {
        el.value = value.map(String);
        return;
      }
      if (typeof value === 'number' && !NATIVE_FORM.has(el.tagName) && el.tagName !== 'SL-INPUT' && el.tagName !== 'SL-SELECT') {
        el.value = value; // progress bars, formatted numbers, ratings keep numbers
        return;
      }
      const text = display(value);
      if (el.value !== text) el.value = text;
      return;
    }
    default: {
      const text = display(value);
      if (el.textContent !== text) el.textContent = text;
    }
  }
}

// Element → engine value; undefined when there is nothing to send (an unchecked radio).
export function readValue(el, kind = elementKind(el)) {
  switch (kind) {
    case 'checked':
      return Boolean(el.checked);
    case 'radio':
      return el.checked ? el.value : undefined;
    case 'number': {
      if (el.value === '' || el.value === null || el.value === undefined) return null;
      const number = Number(el.value);
      return Number.isFinite(number) ? number : null;
    }
    case 'value':
      return el.value ?? null;
    default:
      return undefined;
  }
}

// DOM events after which the element's value is sent. `live` (?keypress) also sends while typing
// or dragging.
export function valueEvents(el, live) {
  if (isShoelace(el)) return live ? ['sl-input', 'input', 'sl-change', 'change'] : ['sl-change', 'change'];
  const kind = elementKind(el);
  if (kind === 'checked' || kind === 'radio') return ['change'];
  return live ? ['input', 'change'] : ['change'];
}

// ui-action on these must not cancel the click: it is what toggles them.
export function isToggle(el) {
  const kind = elementKind(el);
  return kind === 'checked' || kind === 'radio';
}
