// Small DOM helpers shared by views and bindings.

let lastId = 0;

// A fresh element id "ui-N" not used in the document yet.
export function vendId() {
  let id;
  do id = `ui-${++lastId}`;
  while (document.getElementById(id));
  return id;
}

export function ensureId(el) {
  if (!el.id) el.id = vendId();
  return el.id;
}

// Classes Lunette puts on elements itself; never copied from a placeholder to a view.
export const INTERNAL_CLASS = /^ui-(view-\d+|new-view|obsolete-view)$/;

export function ownClasses(el) {
  return [...el.classList].filter((c) => !INTERNAL_CLASS.test(c));
}

// Hidden until revealed (no-flash): a node inside such a buffer is not visible yet.
export const NEW_VIEW = 'ui-new-view';
export const OBSOLETE_VIEW = 'ui-obsolete-view';

export function insideNewView(node) {
  const el = node?.nodeType === 1 ? node : node?.parentElement;
  return Boolean(el?.closest(`.${NEW_VIEW}`));
}

export function injectNoFlashStyle(doc = document) {
  if (doc.getElementById('ui-no-flash-style')) return;
  const style = doc.createElement('style');
  style.id = 'ui-no-flash-style';
  style.textContent = `.${NEW_VIEW}{display:none !important}`;
  (doc.head ?? doc.documentElement).append(style);
}

// Viewdef HTML → its <template> element, or null unless the HTML is exactly one <template>
// (comments and whitespace around it are fine).
export function compileTemplate(html) {
  const holder = document.createElement('template');
  holder.innerHTML = String(html).trim();
  let found = null;
  for (const node of holder.content.childNodes) {
    if (node.nodeType === Node.COMMENT_NODE) continue;
    if (node.nodeType === Node.TEXT_NODE && node.textContent.trim() === '') continue;
    if (node.nodeType === Node.ELEMENT_NODE && node.tagName === 'TEMPLATE' && !found) {
      found = node;
      continue;
    }
    return null;
  }
  return found;
}

const INERT_TYPE = 'text/x-lunette-inert';

// Scripts of a freshly cloned template must not run on insertion: they run once the view is
// revealed (activateScript). Returns the scripts in document order.
export function neutralizeScripts(root) {
  const scripts = [...root.querySelectorAll('script')];
  for (const script of scripts) {
    if (script.hasAttribute('type')) script.setAttribute('data-lunette-type', script.getAttribute('type'));
    script.setAttribute('type', INERT_TYPE);
  }
  return scripts;
}

// Replaces an inert script by a live copy (same attributes, id and class), which runs it.
export function activateScript(inert) {
  const live = document.createElement('script');
  for (const { name, value } of [...inert.attributes]) {
    if (name === 'type' || name === 'data-lunette-type') continue;
    live.setAttribute(name, value);
  }
  const type = inert.getAttribute('data-lunette-type');
  if (type) live.setAttribute('type', type);
  live.text = inert.text;
  inert.replaceWith(live);
  return live;
}

// Resolves after the current task and the microtasks it queued (no timer, not throttled in
// background pages the way requestAnimationFrame is).
export function nextTask() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

export function scrollToBottom(el) {
  if (el && el.scrollHeight > el.clientHeight) el.scrollTop = el.scrollHeight;
}
