// Views (ui-app, ui-view, list items) and frontend lists (ui-viewlist) — digest §6.7–§6.10.
//
// A View never renders inside its element: the placeholder is replaced by the template's root
// elements, the first of which takes the placeholder's id, classes and inline style. A View keeps
// its current top-level nodes; a child View sitting at one of those positions stands for its own
// nodes ("slot"), so nested root views keep working.
//
// Re-rendering (type change, hot reload) destroys child views and unbinds the old elements,
// destroying their variables: nothing is left behind on the engine. New content stays hidden
// (.ui-new-view) next to the old one until the reveal (reveal.js), so the page never flashes.

import { bindingProperties, isTruthyFlag } from './paths.js';
import { bindAttributes, refreshEnclosingSelect } from './bindings.js';
import { ensureId, ownClasses, insideNewView, neutralizeScripts, NEW_VIEW, OBSOLETE_VIEW, scrollToBottom } from './dom.js';

let lastView = 0;

// Placeholder attributes that belong to the view itself; any other ui-* attribute of a
// placeholder is bound on the view's first element after each render.
const VIEW_ATTRIBUTES = new Set(['ui-app', 'ui-view', 'ui-viewlist', 'ui-namespace', 'ui-viewdef', 'ui-item-wrapper', 'ui-error-code', 'ui-error-description']);

function describePlaceholder(el) {
  return {
    tag: el.localName,
    namespaceURI: el.namespaceURI,
    classes: ownClasses(el),
    style: el.getAttribute('style') || '',
    host: el
      .getAttributeNames()
      .filter((name) => name.startsWith('ui-') && !VIEW_ATTRIBUTES.has(name))
      .map((name) => [name, el.getAttribute(name)]),
  };
}

// The create properties of a view or list variable: the path's query, the namespace in effect,
// the fallback namespace of the context variable, access=r (digest §6.7).
function viewProperties(rt, pathText, contextVarId, namespace, elementId) {
  const { properties, local } = bindingProperties(pathText, { access: 'r' });
  if (namespace && !properties.namespace) properties.namespace = namespace;
  const fallback = rt.store.get(contextVarId)?.properties.fallbackNamespace;
  if (fallback && !properties.fallbackNamespace) properties.fallbackNamespace = fallback;
  properties.elementId = elementId;
  return { properties, local };
}

// Binds a freshly inserted subtree: ui-viewlist and ui-view elements become lists and views
// (their content is theirs), every other element gets its ui-* bindings, then its children.
export function bindTree(rt, el, ctx) {
  const tag = el.tagName;
  if (tag === 'TEMPLATE' || tag === 'SCRIPT' || tag === 'STYLE') return;
  const own = el.getAttribute('ui-namespace');
  const scope = own ? { ...ctx, namespace: own } : ctx;
  const owner = ctx.owner;
  if (el.hasAttribute('ui-viewlist')) {
    const widget = bindAttributes(rt, el, ctx);
    if (widget) owner.widgets.push(widget);
    owner.children.push(new ViewList(rt, { element: el, contextVarId: ctx.varId, namespace: scope.namespace, owner }));
    return;
  }
  if (el.hasAttribute('ui-view')) {
    const view = new View(rt, {
      element: el,
      pathText: el.getAttribute('ui-view'),
      contextVarId: ctx.varId,
      contextNamespace: ctx.namespace,
      namespace: scope.namespace,
      owner,
    });
    owner.adopt?.(el, view);
    owner.children.push(view);
    return;
  }
  const widget = bindAttributes(rt, el, ctx);
  if (widget) owner.widgets.push(widget);
  if (el.hasAttribute('ui-html')) return; // its content is the engine's HTML
  for (const child of [...el.children]) bindTree(rt, child, scope);
}

export class View {
  // options: element (the placeholder); varId (an existing variable, e.g. 1) or pathText (creates
  // a child of contextVarId); namespace; contextNamespace; owner; hostContext ('outer': the
  // placeholder's bindings see the context variable, 'self': they see this view's variable, as
  // for list items); placeholder/elementId/nodes to take over existing content (reconnect).
  constructor(rt, options) {
    this.rt = rt;
    this.n = ++lastView;
    this.alive = true;
    this.owner = options.owner ?? null;
    this.children = [];
    this.widgets = [];
    this.obsolete = []; // old nodes shown until the reveal
    this.scripts = []; // inert scripts waiting for the reveal
    this.rendered = false;
    this.renderedType = null;
    this.renderedKey = null;
    this.contextVarId = options.contextVarId ?? 0;
    this.contextNamespace = options.contextNamespace ?? '';
    this.hostContext = options.hostContext ?? 'outer';
    this.namespace = options.namespace || '';
    const el = options.element;
    this.placeholder = options.placeholder ?? describePlaceholder(el);
    this.elementId = options.elementId ?? ensureId(el);
    this.nodes = options.nodes ?? [el];
    this.scroll = false;
    const local = { element: () => this.firstElement(), scroll: () => this.scroll };
    if (options.varId !== undefined) {
      this.varId = options.varId;
      rt.store.ensure(this.varId).local = local;
    } else {
      const made = viewProperties(rt, options.pathText, this.contextVarId, this.namespace, this.elementId);
      this.scroll = isTruthyFlag(made.local.scrollOnOutput);
      if (!made.properties.path) {
        console.error('lunette: ui-view needs a path', el);
        this.varId = null;
        this._unwatch = () => {};
        return;
      }
      this.varId = rt.store.create({ parentId: this.contextVarId, properties: made.properties, local });
    }
    this._unwatch = rt.store.watch(this.varId, () => this.render());
    rt.views.add(this);
  }

  // Current top-level nodes, child slot views expanded.
  flatNodes() {
    return this.nodes.flatMap((node) => (node instanceof View ? node.flatNodes() : [node]));
  }

  firstElement() {
    return this.flatNodes().find((node) => node.nodeType === Node.ELEMENT_NODE) ?? null;
  }

  // A child view created on one of this view's top-level elements takes its place.
  adopt(element, view) {
    const index = this.nodes.indexOf(element);
    if (index >= 0) this.nodes[index] = view;
  }

  // The namespace used to pick this view's viewdef.
  effectiveNamespace(record = this.rt.store.get(this.varId)) {
    return record?.properties.namespace || this.namespace;
  }

  // The viewdef key this view would render with now (null: none).
  currentKey() {
    const record = this.rt.store.get(this.varId);
    const type = record?.properties.type;
    if (!type) return null;
    return this.rt.viewdefs.lookup(type, this.effectiveNamespace(record), record.properties.fallbackNamespace);
  }

  // Renders when the variable has a type with a viewdef; returns whether the view shows it.
  // A value change to another object of the same type does not re-render (children re-resolve).
  render(force = false) {
    if (!this.alive || this.varId === null) return false;
    const record = this.rt.store.get(this.varId);
    if (!record) return false;
    const type = record.properties.type;
    if (!type) {
      if (this.rendered) this.clear();
      return false;
    }
    const key = this.rt.viewdefs.lookup(type, this.effectiveNamespace(record), record.properties.fallbackNamespace);
    if (!key) {
      if (this.rendered && type !== this.renderedType) this.clear();
      return false; // pending until a viewdef arrives
    }
    if (this.rendered && !force && key === this.renderedKey && type === this.renderedType) return true;
    const template = this.rt.viewdefs.template(key);
    if (!template) return false;

    const oldNodes = this.flatNodes();
    const parent = oldNodes[0]?.parentNode;
    if (!parent) {
      console.error(`lunette: view ${this.elementId} is not in the page`);
      return false;
    }

    const fragment = document.importNode(template.content, true);
    for (const node of [...fragment.childNodes]) if (node.nodeType !== Node.ELEMENT_NODE) node.remove();
    const roots = [...fragment.children];
    if (roots.length === 0) {
      console.error(`lunette: viewdef ${key} has no elements`);
      return false;
    }
    const scripts = neutralizeScripts(fragment);
    roots[0].id = this.elementId;
    const styled = roots.find((r) => r.tagName !== 'SCRIPT' && r.tagName !== 'STYLE');
    if (styled) {
      if (this.placeholder.classes.length) styled.classList.add(...this.placeholder.classes);
      if (this.placeholder.style) {
        const own = styled.getAttribute('style');
        styled.setAttribute('style', own ? `${own}; ${this.placeholder.style}` : this.placeholder.style);
      }
    }
    roots[0].setAttribute('ui-viewdef', key);

    // Out with the old: child views and bindings go (their variables are destroyed).
    this.teardownContent(true);
    const buffered = insideNewView(parent);
    if (buffered) {
      // An ancestor is not revealed yet: swap directly, it reveals everything at once.
      parent.insertBefore(fragment, oldNodes[0]);
      for (const node of oldNodes) node.remove();
      for (const node of this.obsolete.splice(0)) node.remove();
    } else {
      // New content goes first, so lookups by selector find it rather than the retired one.
      for (const root of roots) root.classList.add(NEW_VIEW);
      parent.insertBefore(fragment, oldNodes[0]);
      for (const node of oldNodes) this._retire(node);
    }

    this.nodes = roots;
    this.rendered = true;
    this.renderedType = type;
    this.renderedKey = key;
    this.scripts.push(...scripts);

    const ctx = { varId: this.varId, namespace: this.effectiveNamespace(record), owner: this };
    if (this.placeholder.host.length) {
      const hostCtx = this.hostContext === 'self' ? ctx : { varId: this.contextVarId, namespace: this.contextNamespace, owner: this };
      const widget = bindAttributes(this.rt, roots[0], hostCtx, this.placeholder.host);
      if (widget) this.widgets.push(widget);
    }
    for (const root of roots) bindTree(this.rt, root, ctx);

    this.rt.store.update(this.varId, undefined, { viewdef: key });
    this.rt.reveal.add(this);
    this.rt.changed();
    return true;
  }

  // Old content stays visible (inert, without ids) until the new one is revealed; content that
  // was never revealed goes at once.
  _retire(node) {
    if (node.nodeType !== Node.ELEMENT_NODE || node.classList.contains(NEW_VIEW)) {
      node.remove();
      return;
    }
    node.removeAttribute('id');
    for (const inner of node.querySelectorAll('[id]')) inner.removeAttribute('id');
    node.classList.add(OBSOLETE_VIEW);
    node.setAttribute('inert', '');
    this.obsolete.push(node);
  }

  // The type went away (e.g. a selection became nil): back to an empty placeholder.
  clear() {
    const oldNodes = this.flatNodes();
    this.teardownContent(true);
    const ph = this.placeholder;
    const empty = ph.namespaceURI ? document.createElementNS(ph.namespaceURI, ph.tag) : document.createElement(ph.tag);
    empty.id = this.elementId;
    if (ph.classes.length) empty.classList.add(...ph.classes);
    if (ph.style) empty.setAttribute('style', ph.style);
    oldNodes[0]?.parentNode?.insertBefore(empty, oldNodes[0]);
    for (const node of oldNodes) node.remove();
    for (const node of this.obsolete.splice(0)) node.remove();
    this.nodes = [empty];
    this.rendered = false;
    this.renderedType = null;
    this.renderedKey = null;
    this.rt.reveal.forget(this);
    this.rt.store.update(this.varId, undefined, { viewdef: '' });
    this.rt.changed();
  }

  // Shows new content: drops the old, un-hides the new, scrolls.
  reveal() {
    for (const node of this.obsolete.splice(0)) node.remove();
    for (const node of this.flatNodes()) {
      if (node.nodeType !== Node.ELEMENT_NODE || !node.classList.contains(NEW_VIEW)) continue;
      node.classList.remove(NEW_VIEW);
      if (node.classList.length === 0) node.removeAttribute('class');
    }
    if (this.scroll) scrollToBottom(this.firstElement());
    this.rt.scroll.notify(this.contextVarId);
  }

  // Destroys child views/lists and unbinds this view's own elements.
  teardownContent(destroyVariables) {
    for (const child of this.children.splice(0)) child.destroy({ destroyVariables, removeNodes: false });
    for (const widget of this.widgets.splice(0)) widget.unbind(this.rt.store, destroyVariables);
    this.scripts = [];
  }

  // destroyVariables=false tears down locally only (after a reconnect the engine already dropped
  // them); removeNodes=false leaves the elements to the caller.
  destroy({ destroyVariables = true, removeNodes = true } = {}) {
    if (!this.alive) return;
    this.alive = false;
    this._unwatch();
    this.rt.views.delete(this);
    this.rt.reveal.forget(this);
    // The engine destroys the descendants with the variable, so child bindings send nothing more.
    if (destroyVariables && this.varId !== null && this.varId !== 1) this.rt.store.destroy(this.varId);
    const nodes = this.flatNodes();
    this.teardownContent(destroyVariables);
    for (const node of this.obsolete.splice(0)) node.remove();
    if (removeNodes) for (const node of nodes) node.remove();
  }
}

// ui-viewlist: the element stays; its first child element is the exemplar cloned for each item,
// and each clone becomes a View of the item variable (path "i", or "i?wrapper=T" with
// ui-item-wrapper). Items are matched by index.
export class ViewList {
  constructor(rt, { element, contextVarId, namespace, owner }) {
    this.rt = rt;
    this.alive = true;
    this.owner = owner;
    this.element = element;
    this.elementId = ensureId(element);
    this.contextVarId = contextVarId;
    const first = element.firstElementChild;
    this.exemplar = first ? first.cloneNode(true) : document.createElement('div');
    first?.remove();
    this.itemWrapper = element.getAttribute('ui-item-wrapper') || '';
    this.items = [];
    const made = viewProperties(rt, element.getAttribute('ui-viewlist'), contextVarId, namespace, this.elementId);
    if ('wrapper' in made.properties) {
      console.warn('lunette: ui-viewlist ignores wrapper= (use ui-view="…?wrapper=lua.ViewList")', element);
      delete made.properties.wrapper;
    }
    this.namespace = made.properties.namespace || '';
    this.scroll = isTruthyFlag(made.local.scrollOnOutput);
    if (!made.properties.path) {
      console.error('lunette: ui-viewlist needs a path', element);
      this.varId = null;
      this._unwatch = () => {};
      return;
    }
    this.varId = rt.store.create({
      parentId: contextVarId,
      properties: made.properties,
      local: { element: () => this.element, scroll: () => this.scroll },
    });
    this._unwatch = rt.store.watch(this.varId, (record, data) => {
      if ('value' in data) this.sync(record.value);
    });
  }

  get children() {
    return this.items;
  }

  sync(value) {
    if (!this.alive) return;
    const list = Array.isArray(value) ? value : [];
    const shrunk = this.items.length > list.length;
    while (this.items.length > list.length) this.items.pop().destroy();
    for (let i = this.items.length; i < list.length; i++) this.items.push(this._makeItem(i));
    if (shrunk) refreshEnclosingSelect(this.rt, this.element);
    if (this.scroll) scrollToBottom(this.element);
    this.rt.scroll.notify(this.contextVarId);
    this.rt.changed();
  }

  _makeItem(index) {
    const clone = this.exemplar.cloneNode(true);
    this.element.append(clone);
    const record = this.rt.store.get(this.varId);
    const namespace = clone.getAttribute('ui-namespace') || record?.properties.namespace || this.namespace;
    const pathText = this.itemWrapper ? `${index}?wrapper=${encodeURIComponent(this.itemWrapper)}` : String(index);
    return new View(this.rt, {
      element: clone,
      pathText,
      contextVarId: this.varId,
      namespace,
      owner: this,
      hostContext: 'self',
    });
  }

  destroy({ destroyVariables = true, removeNodes = true } = {}) {
    if (!this.alive) return;
    this.alive = false;
    this._unwatch();
    if (destroyVariables && this.varId !== null) this.rt.store.destroy(this.varId);
    for (const item of this.items.splice(0)) item.destroy({ destroyVariables, removeNodes });
  }
}
