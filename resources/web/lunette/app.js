// UIApp: wires the connection, the outgoing batcher, the variable store, viewdefs, views, the
// error overlay and stylesheet swaps together, and is the page's window.uiApp (digest §6.13).

import { Batcher } from './batcher.js';
import { Connection, sessionIdFrom, webSocketUrl } from './connection.js';
import { VariableStore } from './store.js';
import { ViewdefStore } from './viewdefs.js';
import { View } from './views.js';
import { RevealScheduler } from './reveal.js';
import { ScrollNotifier } from './scroll.js';
import { ErrorOverlay } from './overlay.js';
import { isOverlayError, isUnknownGetError, parseLuaError, parseReloadError } from './errors.js';
import { swapStylesheets } from './stylesheets.js';
import { compileTemplate, injectNoFlashStyle, nextTask, ownClasses } from './dom.js';
import * as bindings from './bindings.js';
import { readValue } from './widgets.js';

export class UIApp {
  constructor() {
    this.version = '0.1.0';
    this.sessionId = '';
    this.activity = 0; // bumped by everything that can lead to more work (not by sync barriers)
    this.unsynced = false; // frames sent since the last barrier
    this.syncSupported = true; // false against a server that does not know `get`
    this.connection = null;
    this.appView = null;
    this.views = new Set();
    this._gets = []; // resolvers of `get` requests, answered in order
    this._syncPromise = null;
    this._readyDone = false;
    this.ready = new Promise((resolve) => {
      this._resolveReady = resolve;
    });

    this.batcher = new Batcher({ send: (frame) => this._sendFrame(frame) });
    this.store = new VariableStore({
      send: (message, { priority, userEvent }) => {
        if (userEvent) this.batcher.enqueueUserEvent(message, priority);
        else this.batcher.enqueue(message, priority);
      },
    });
    this.viewdefs = new ViewdefStore({
      compile: (key, html) => compileTemplate(html),
      onInvalid: (key, why) => this._reportViewdef(key, why),
    });
    this.scroll = new ScrollNotifier(this.store);
    this.reveal = new RevealScheduler(this);
    this.overlay = new ErrorOverlay(document);
  }

  // ---- bootstrap ----------------------------------------------------------------------------

  start() {
    const element = document.querySelector('[ui-app]');
    if (!element) {
      this._finishReady(false);
      return false;
    }
    injectNoFlashStyle();
    this.appElement = element;
    this.appPlaceholder = {
      tag: element.localName,
      namespaceURI: element.namespaceURI,
      classes: ownClasses(element),
      style: element.getAttribute('style') || '',
      host: [],
    };
    this.appElementId = element.id || (element.id = 'ui-app');
    this.appNamespace = element.getAttribute('ui-namespace') || '';
    this.sessionId = sessionIdFrom(document.cookie, location.pathname);
    this.connection = new Connection({
      url: webSocketUrl(location, this.sessionId),
      onMessages: (messages) => this._receive(messages),
      onOpen: (reconnect) => this._opened(reconnect),
      onClose: () => this._closed(),
    });
    this.connection.start();
    return true;
  }

  _opened(reconnect) {
    document.documentElement.classList.remove('ui-disconnected');
    if (reconnect) this._restart();
    this._fresh = true;
    if (!this.appView) {
      this.appView = new View(this, {
        element: this.appElement,
        varId: 1,
        namespace: this.appNamespace,
        elementId: this.appElementId,
        placeholder: this.appPlaceholder,
      });
    }
    this.store.sendWatch(1);
    this.changed();
  }

  _closed() {
    document.documentElement.classList.add('ui-disconnected');
    this.batcher.clear();
    this.unsynced = false;
    this._answerAllGets();
    this.changed();
  }

  // After a reconnect the engine has dropped this page's variables (the session and its Lua
  // state stay): tear the views down locally and render again from variable 1. The old content
  // stays on screen (inert) until the new render is revealed.
  _restart() {
    const old = this.appView;
    const nodes = old ? old.flatNodes() : [];
    old?.destroy({ destroyVariables: false, removeNodes: false });
    for (const view of [...this.views]) view.destroy({ destroyVariables: false, removeNodes: false });
    this.views.clear();
    this.reveal.reset();
    this.batcher.clear();
    this.store.reset();
    this._answerAllGets();
    this.unsynced = false;
    this.appView = null;
    if (nodes.length) {
      for (const node of nodes) if (node.nodeType === Node.ELEMENT_NODE) node.setAttribute('inert', '');
      this.appView = new View(this, {
        element: nodes[0],
        nodes,
        varId: 1,
        namespace: this.appNamespace,
        elementId: this.appElementId,
        placeholder: this.appPlaceholder,
      });
    }
  }

  // ---- traffic ------------------------------------------------------------------------------

  _sendFrame(frame) {
    const sent = this.connection ? this.connection.send(frame) : false;
    if (sent && !frame.messages.every((m) => m.type === 'get')) {
      this.unsynced = true;
      this.changed();
    }
    return sent;
  }

  _receive(messages) {
    // The first frame after (re)connecting answers `watch 1` with variable 1's current state.
    const initial = this._fresh;
    let work = false;
    for (const message of messages) {
      try {
        switch (message.type) {
          case 'get':
            this._answerGet(message.data);
            break;
          case 'update':
            work = true;
            if (message.data?.varId === 1) this._fresh = false;
            this._receiveUpdate(message, initial);
            break;
          case 'error':
            work = true;
            this._receiveError(message.data);
            break;
          case 'destroy':
            work = true;
            this.store.handle(message);
            break;
          default:
            break;
        }
      } catch (error) {
        console.error('lunette: failed to handle', message, error);
      }
    }
    if (work) this.changed();
  }

  // Variable 1 also carries the engine's page notices (HotLoader): viewdefs (templates to
  // install), reloadError (JSON, "" once fixed), reloaded ("N" after a good Lua reload),
  // stylesheetChanged ("/a.css?v=N") and pageReload ("N"). The last three are events: their values
  // in the initial state are not acted on.
  _receiveUpdate(message, initial) {
    const data = message.data;
    let installed = null;
    if (data.varId === 1 && data.properties) {
      const { viewdefs, ...rest } = data.properties;
      if (typeof viewdefs === 'string' && viewdefs !== '') installed = this.viewdefs.install(viewdefs);
      if ('reloadError' in rest) {
        if (rest.reloadError) this.overlay.show(parseReloadError(rest.reloadError));
        else this.overlay.clear();
      }
      if (!initial) {
        if (installed && (installed.added.length || installed.updated.length)) this.overlay.clear('event');
        if (rest.reloaded) this.overlay.clear(); // fixed code is running: older errors are stale
        if (rest.stylesheetChanged) this.reloadStylesheet(rest.stylesheetChanged);
        if (rest.pageReload) {
          location.reload();
          return;
        }
      }
      // The templates are kept by the viewdef store, not as a property.
      if ('viewdefs' in data.properties) message = { type: 'update', data: { ...data, properties: rest } };
    }
    this.store.handle(message);
    if (installed) this._viewdefsChanged(installed);
  }

  // New templates: pending views may render now; views whose template changed (or that would
  // now pick a more specific one) re-render in place, parents first.
  _viewdefsChanged({ added, updated }) {
    if (!added.length && !updated.length) return;
    const changed = new Set(updated);
    for (const view of [...this.views].sort((a, b) => a.n - b.n)) {
      if (!view.alive) continue;
      if (!view.rendered) {
        view.render();
        continue;
      }
      const key = view.currentKey();
      if (key && (key !== view.renderedKey || changed.has(key))) view.render(true);
    }
  }

  _receiveError(data) {
    if (isUnknownGetError(data)) {
      this.syncSupported = false;
      this._answerGet(null);
      return;
    }
    const record = data.varId ? this.store.get(data.varId) : undefined;
    this.store.handle({ type: 'error', data });
    if (isOverlayError(data, record?.properties.access)) {
      console.error(`lunette: ${data.code || 'error'}: ${data.description}`);
      this.overlay.show(parseLuaError(data));
    } else {
      // A binding's error shows on its element (ui-error); path failures come and go.
      console.debug(`lunette: ${data.code || 'error'} on variable ${data.varId}: ${data.description}`);
    }
  }

  // A broken template is reported, never fatal: the console, the overlay and the engine's log;
  // the previous version of the template (if any) stays in use.
  _reportViewdef(key, why) {
    console.error(`lunette: viewdef ${key} rejected: ${why}`);
    this.overlay.show({ kind: 'event', message: `viewdef ${key} rejected: ${why}`, location: `viewdefs/${key}.html` });
    this.batcher.enqueue({ type: 'error', data: { varId: 1, code: 'bad-viewdef', description: `${key}: ${why}` } });
  }

  // ---- get requests and the sync barrier ----------------------------------------------------

  _answerGet(data) {
    const resolve = this._gets.shift();
    if (resolve) resolve(data);
  }

  _answerAllGets() {
    for (const resolve of this._gets.splice(0)) resolve(null);
  }

  // Sends `get` and resolves with the reply's data (null when the connection went away).
  _request(message) {
    return new Promise((resolve) => {
      this._gets.push(resolve);
      if (!this.batcher.enqueueUserEvent(message)) {
        this._gets.splice(this._gets.indexOf(resolve), 1);
        resolve(null);
      }
    });
  }

  // Resolves once the engine has processed every frame sent so far and its answers have been
  // handled: an empty `get` goes out after them and the engine answers in order.
  sync() {
    if (!this.connection?.connected) return Promise.resolve();
    if (!this.syncSupported) {
      this.unsynced = false;
      return nextTask();
    }
    if (!this.unsynced && !this.batcher.pending && this._syncPromise) return this._syncPromise;
    const covered = [...this.store.awaitingFirst];
    const promise = this._request({ type: 'get', data: { varIds: [] } }).then((reply) => {
      if (reply) this.store.acknowledge(covered);
    });
    this.unsynced = false;
    const tracked = promise.finally(() => {
      if (this._syncPromise === tracked) this._syncPromise = null;
    });
    this._syncPromise = tracked;
    return tracked;
  }

  // One settling round for the reveal: let queued work run, sync with the engine, let the
  // answers' work run.
  async settle() {
    await nextTask();
    if (this.connection?.connected && (this.unsynced || this.batcher.pending)) await this.sync();
    await nextTask();
  }

  changed() {
    this.activity++;
  }

  onRevealed() {
    if (!this._readyDone && this.appView?.rendered) this._finishReady(true);
  }

  _finishReady(value) {
    if (this._readyDone) return;
    this._readyDone = true;
    this._resolveReady(value);
  }

  // ---- public API ---------------------------------------------------------------------------

  get connected() {
    return Boolean(this.connection?.connected);
  }

  // Resolves when nothing is pending in either direction: no unsent messages, no frame the engine
  // has not answered, no render or reveal in progress.
  async whenIdle() {
    if (!this.connection) return;
    for (;;) {
      if (!this.connection.connected) {
        await this.connection.whenOpen();
        continue;
      }
      const before = this.activity;
      await nextTask();
      if (this.batcher.pending) continue;
      if (this.unsynced) {
        await this.sync();
        continue;
      }
      if (this.reveal.busy) {
        await this.reveal.idle();
        continue;
      }
      if (before === this.activity) return;
    }
  }

  variableCount() {
    return this.store.size;
  }

  // What whenIdle() is waiting for, for tests and debugging.
  pending() {
    return {
      unsent: this.batcher.pending,
      unsynced: this.unsynced,
      requests: this._gets.length,
      awaitingFirst: this.store.awaitingFirst.size,
      revealing: this.reveal.busy,
      unrendered: [...this.views].filter((v) => !v.rendered).length,
    };
  }

  // Current values of variables from the engine: [{id, value, properties}].
  async get(varIds) {
    const reply = await this._request({ type: 'get', data: { varIds: [...varIds] } });
    return reply?.variables ?? [];
  }

  reloadStylesheet(href) {
    return swapStylesheets(document, href);
  }

  getStore() {
    return this.store;
  }

  getViewdefStore() {
    return this.viewdefs;
  }

  getConnection() {
    return this.connection;
  }

  getAppView() {
    return this.appView;
  }

  getBinding() {
    return bindings;
  }

  // Sends the ui-value of the element with this id: `value`, or what the element holds now.
  updateValue(elementId, value) {
    const el = document.getElementById(elementId);
    const widget = el && bindings.widgetOf(el);
    if (!widget || widget.valueVar === null) return false;
    const v = value === undefined ? readValue(el, widget.valueKind) : value;
    if (v === undefined) return false;
    return this.store.update(widget.valueVar, v, undefined, { userEvent: true, force: true });
  }

  // Pushes a URL under the session's path and tells the engine (variable 1, property url).
  navigateTo(url) {
    const target = new URL(url, location.href);
    const prefix = `/${this.sessionId}`;
    let path = target.pathname;
    if (path === prefix || path.startsWith(`${prefix}/`)) path = path.slice(prefix.length) || '/';
    const pageUrl = location.pathname.startsWith(prefix) ? `${prefix}${path === '/' ? '' : path}` : path;
    history.pushState(null, '', pageUrl + target.search + target.hash);
    this.store.update(1, undefined, { url: path + target.search });
  }
}
