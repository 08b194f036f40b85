// The ui-* attribute bindings of one element (digest §6.5): ui-value, ui-attr-*, ui-class-*,
// ui-style-*, ui-event-* (and ui-event-keypress-*), ui-action, ui-code, ui-html.
//
// Each binding creates one child variable of the context variable. All bindings of an element
// share a Widget, which the owning view unbinds when it re-renders or goes away: listeners are
// removed and the variables destroyed.

import { bindingProperties, isGetterPath, isMethodPath, isSetterPath, isTruthyFlag } from './paths.js';
import { parseKeyBinding, keyMatches, keyValue } from './keys.js';
import { elementKind, isEditable, isReadOnlyComponent, isTextEntry, isToggle, readValue, valueEvents, writeValue } from './widgets.js';
import { ensureId, vendId, scrollToBottom } from './dom.js';

// Attributes that are not bindings of the element itself.
const STRUCTURAL = new Set(['ui-app', 'ui-view', 'ui-viewlist', 'ui-namespace', 'ui-viewdef', 'ui-item-wrapper', 'ui-error-code', 'ui-error-description']);

const widgets = new WeakMap();

export function widgetOf(el) {
  return widgets.get(el) ?? null;
}

export class Widget {
  constructor(el) {
    this.element = el;
    this.bindings = new Map(); // attribute name → variable id
    this.cleanups = [];
    this.valueVar = null;
    this.valueKind = null;
    this.scrollOnOutput = false;
  }

  // Removes listeners; with destroyVariables, also destroys the binding variables.
  unbind(store, destroyVariables = true) {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (destroyVariables) for (const id of this.bindings.values()) store.destroy(id);
    this.bindings.clear();
    if (widgets.get(this.element) === this) widgets.delete(this.element);
  }
}

// The binding attributes of an element in processing order.
export function bindingAttributes(el) {
  return orderBindings(el.getAttributeNames());
}

function orderBindings(attributeNames) {
  const names = attributeNames.filter((n) => n.startsWith('ui-') && !STRUCTURAL.has(n));
  const rank = (n) => {
    if (n === 'ui-value') return 0;
    if (n.startsWith('ui-attr-')) return 1;
    if (n.startsWith('ui-class-')) return 2;
    if (n.startsWith('ui-style-')) return 3;
    if (n.startsWith('ui-event-')) return 4;
    if (n === 'ui-action') return 5;
    if (n === 'ui-code') return 6;
    if (n === 'ui-html') return 7;
    return -1;
  };
  return names
    .map((name) => ({ name, rank: rank(name) }))
    .filter((b) => b.rank >= 0)
    .sort((a, b) => a.rank - b.rank)
    .map((b) => b.name);
}

export function hasBindings(el) {
  return bindingAttributes(el).length > 0;
}

// Binds every ui-* attribute of `el` against the context variable ctx.varId. `attributes`
// ([[name, value]]) replaces the element's own (a view binds its placeholder's attributes on its
// first element). Returns the Widget (null when there is nothing to bind).
export function bindAttributes(rt, el, ctx, attributes = null) {
  const source = attributes ? new Map(attributes) : null;
  const names = source ? orderBindings([...source.keys()]) : bindingAttributes(el);
  if (names.length === 0) return null;
  const widget = new Widget(el);
  widgets.set(el, widget);
  for (const name of names) {
    const text = source ? source.get(name) : el.getAttribute(name);
    try {
      if (name === 'ui-value') bindValue(rt, widget, ctx, text);
      else if (name.startsWith('ui-attr-')) bindAttr(rt, widget, ctx, name, text, name.slice(8));
      else if (name.startsWith('ui-class-')) bindClass(rt, widget, ctx, name, text, name.slice(9));
      else if (name.startsWith('ui-style-')) bindStyle(rt, widget, ctx, name, text, name.slice(9));
      else if (name.startsWith('ui-event-keypress-')) bindKeypress(rt, widget, ctx, name, text, name.slice(18));
      else if (name.startsWith('ui-event-')) bindEvent(rt, widget, ctx, name, text, name.slice(9));
      else if (name === 'ui-action') bindAction(rt, widget, ctx, text);
      else if (name === 'ui-code') bindCode(rt, widget, ctx, text);
      else if (name === 'ui-html') bindHtml(rt, widget, ctx, text);
    } catch (error) {
      console.error(`lunette: cannot bind ${name}="${text}"`, el, error);
    }
  }
  return widget;
}

// ---- shared -------------------------------------------------------------------------------

function createVariable(rt, widget, ctx, name, text, defaults) {
  const { path, properties, local } = bindingProperties(text, defaults);
  if (!path) {
    console.error(`lunette: ${name} needs a path`, widget.element);
    return null;
  }
  const scroll = isTruthyFlag(local.scrollOnOutput);
  if (scroll) widget.scrollOnOutput = true;
  const el = widget.element;
  properties.elementId = ensureId(el);
  const id = rt.store.create({
    parentId: ctx.varId,
    properties,
    local: { element: () => el, scroll: () => widget.scrollOnOutput },
  });
  widget.bindings.set(name, id);
  return { id, path, properties };
}

function onValue(rt, widget, id, fn) {
  const unwatch = rt.store.watch(id, (record, data) => {
    if (!('value' in data)) return;
    try {
      fn(record.value, record);
    } catch (error) {
      console.error('lunette: binding update failed', widget.element, error);
    }
    rt.changed();
  });
  widget.cleanups.push(unwatch);
}

function listen(widget, target, event, handler) {
  target.addEventListener(event, handler);
  widget.cleanups.push(() => target.removeEventListener(event, handler));
}

// Before an event or keypress is sent, the element's own ui-value goes first if the user changed
// it without the value event firing yet (typing then pressing Enter).
export function syncValue(rt, widget) {
  if (widget.valueVar === null) return;
  const value = readValue(widget.element, widget.valueKind);
  if (value === undefined) return;
  const record = rt.store.get(widget.valueVar);
  if (record && record.value !== value) rt.store.update(widget.valueVar, value);
}

// Options rendered by views inside a <select> or <sl-select> may arrive after the select's
// value: select what the value names again. (sl-select only notices options added directly to
// its slot, not inside a view's element, so it is asked to re-read them.)
export function refreshEnclosingSelect(rt, el) {
  const select = el?.closest?.('select, sl-select');
  const widget = select && widgets.get(select);
  if (!widget || widget.valueVar === null) return;
  const record = rt.store.get(widget.valueVar);
  if (!record || record.value === undefined) return;
  if (select.tagName === 'SL-SELECT' && typeof select.handleDefaultSlotChange === 'function') {
    select.handleDefaultSlotChange();
    return;
  }
  writeValue(select, record.value, widget.valueKind);
}

// ---- ui-value -----------------------------------------------------------------------------

function bindValue(rt, widget, ctx, text) {
  const el = widget.element;
  const { path, query } = splitForAccess(text);
  const editable = isEditable(el);
  const defaults = {};
  if (isGetterPath(path)) {
    if (query.access && !['r', 'rw', 'action'].includes(query.access)) {
      console.error(`lunette: ui-value="${text}": a path ending in () needs access r, rw or action`, el);
      return;
    }
    defaults.access = 'r';
  } else if (!editable || isReadOnlyComponent(el)) {
    defaults.access = 'r';
  }
  const made = createVariable(rt, widget, ctx, 'ui-value', text, defaults);
  if (!made) return;
  const { id, properties } = made;
  const kind = elementKind(el);
  widget.valueVar = id;
  widget.valueKind = kind;

  onValue(rt, widget, id, (value) => {
    writeValue(el, value, kind);
    if (widget.scrollOnOutput) scrollToBottom(el);
    if (!isTextEntry(el)) rt.scroll.notify(ctx.varId);
  });

  const showError = (record, error) => {
    el.classList.toggle('ui-error', Boolean(error));
    if (error) {
      el.setAttribute('ui-error-code', error.code);
      el.setAttribute('ui-error-description', error.description);
      el.setAttribute('aria-invalid', 'true');
    } else {
      el.removeAttribute('ui-error-code');
      el.removeAttribute('ui-error-description');
      el.removeAttribute('aria-invalid');
    }
  };
  widget.cleanups.push(rt.store.onError(id, showError));

  const access = properties.access;
  if (!editable || access === 'r') return;
  const send = (value) => {
    if (value === undefined) return;
    rt.store.update(id, value, undefined, { userEvent: true });
  };
  for (const event of valueEvents(el, isTruthyFlag(properties.keypress))) {
    listen(widget, el, event, () => send(readValue(el, kind)));
  }
  listen(widget, el, 'ui-value-change', (event) => send(event.detail?.value ?? null));
}

function splitForAccess(text) {
  const { path, properties } = bindingProperties(text);
  return { path, query: properties };
}

// ---- ui-attr-*, ui-class-*, ui-style-* ----------------------------------------------------

function bindAttr(rt, widget, ctx, name, text, attribute) {
  const made = createVariable(rt, widget, ctx, name, text, { access: 'r' });
  if (!made) return;
  const el = widget.element;
  onValue(rt, widget, made.id, (value) => {
    if (value === null || value === undefined || value === false) el.removeAttribute(attribute);
    else el.setAttribute(attribute, typeof value === 'object' ? JSON.stringify(value) : String(value));
  });
}

function bindClass(rt, widget, ctx, name, text, className) {
  const made = createVariable(rt, widget, ctx, name, text, { access: 'r' });
  if (!made) return;
  const el = widget.element;
  onValue(rt, widget, made.id, (value) => el.classList.toggle(className, Boolean(value)));
}

function bindStyle(rt, widget, ctx, name, text, property) {
  const made = createVariable(rt, widget, ctx, name, text, { access: 'r' });
  if (!made) return;
  const el = widget.element;
  onValue(rt, widget, made.id, (value) => {
    if (value === null || value === undefined || value === false || value === '') el.style.removeProperty(property);
    else el.style.setProperty(property, String(value));
  });
}

// ---- events and actions -------------------------------------------------------------------

function bindEvent(rt, widget, ctx, name, text, eventName) {
  const made = createVariable(rt, widget, ctx, name, text, { access: 'action', priority: 'low' });
  if (!made) return;
  const el = widget.element;
  listen(widget, el, eventName, (event) => {
    syncValue(rt, widget);
    const value = isSetterPath(made.path) ? (event.detail?.value ?? el.value ?? null) : null;
    rt.store.update(made.id, value, undefined, { userEvent: true, priority: 'low' });
  });
}

function bindKeypress(rt, widget, ctx, name, text, suffix) {
  const binding = parseKeyBinding(suffix);
  const el = widget.element;
  if (!binding) {
    console.error(`lunette: ${name} names no key`, el);
    return;
  }
  const { path } = bindingProperties(text);
  const method = isMethodPath(path);
  const made = createVariable(rt, widget, ctx, name, text, method ? { access: 'action' } : {});
  if (!made) return;
  listen(widget, el, 'keydown', (event) => {
    if (!keyMatches(binding, event)) return;
    if (method) event.preventDefault();
    syncValue(rt, widget);
    const value = isGetterPath(made.path) ? null : keyValue(binding);
    // A plain field gets the key name like any value (not a user event, but sent every time).
    rt.store.update(made.id, value, undefined, { userEvent: method, force: true });
  });
}

function bindAction(rt, widget, ctx, text) {
  const made = createVariable(rt, widget, ctx, 'ui-action', text, { access: 'action' });
  if (!made) return;
  const el = widget.element;
  const event = el.tagName === 'FORM' ? 'submit' : 'click';
  listen(widget, el, event, (e) => {
    if (event === 'submit' || !isToggle(el)) e.preventDefault();
    syncValue(rt, widget);
    const value = isSetterPath(made.path) ? (el.value ?? null) : null;
    rt.store.update(made.id, value, undefined, { userEvent: true });
  });
}

// ---- ui-code, ui-html ---------------------------------------------------------------------

function bindCode(rt, widget, ctx, text) {
  const made = createVariable(rt, widget, ctx, 'ui-code', text, { access: 'r' });
  if (!made) return;
  const el = widget.element;
  onValue(rt, widget, made.id, (value, record) => {
    if (typeof value !== 'string' || value === '') return;
    try {
      // eslint-disable-next-line no-new-func -- running engine-sent code is this binding's job
      new Function('element', 'value', 'variable', 'store', value)(el, value, record, rt.store);
    } catch (error) {
      console.error('lunette: ui-code failed', el, error);
    }
  });
}

function bindHtml(rt, widget, ctx, text) {
  const made = createVariable(rt, widget, ctx, 'ui-html', text, { access: 'r' });
  if (!made) return;
  const el = widget.element;
  const replace = isTruthyFlag(made.properties.replace);
  if (!replace) {
    onValue(rt, widget, made.id, (value) => {
      el.innerHTML = value === null || value === undefined ? '' : String(value);
      if (widget.scrollOnOutput) scrollToBottom(el);
      rt.scroll.notify(ctx.varId);
    });
    return;
  }
  // Replace mode: the element itself is replaced by the HTML's nodes; the first element keeps
  // its id so the next value finds where to go.
  const originalId = ensureId(el);
  let tracked = [el];
  onValue(rt, widget, made.id, (value) => {
    const first = tracked[0];
    const parent = first.parentNode;
    if (!parent) return;
    const anchor = tracked[tracked.length - 1].nextSibling;
    for (const node of tracked) node.remove();
    const holder = document.createElement('template');
    holder.innerHTML = value === null || value === undefined ? '' : String(value);
    const nodes = [...holder.content.childNodes];
    const elements = nodes.filter((n) => n.nodeType === Node.ELEMENT_NODE);
    if (nodes.length === 0) {
      const span = document.createElement('span');
      span.id = originalId;
      span.style.display = 'none';
      tracked = [span];
    } else if (elements.length === 0) {
      const span = document.createElement('span');
      span.id = originalId;
      span.append(...nodes);
      tracked = [span];
    } else {
      elements[0].id = originalId;
      for (const other of elements.slice(1)) if (!other.id) other.id = vendId();
      tracked = nodes;
    }
    const fragment = document.createDocumentFragment();
    fragment.append(...tracked);
    parent.insertBefore(fragment, anchor);
    rt.scroll.notify(ctx.varId);
  });
}
