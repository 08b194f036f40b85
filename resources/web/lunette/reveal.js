// No-flash reveal (digest §6.8 step 10, done differently): a rendered view stays hidden
// (.ui-new-view) until the page has settled — the engine has answered everything the render
// asked for and nothing more is rendering — so nested views appear together with their parent.
// A slow engine cannot keep new content hidden longer than REVEAL_CAP_MS.
// Scripts of revealed views run once, in document order, when they become visible.

import { activateScript, insideNewView } from './dom.js';
import { refreshEnclosingSelect } from './bindings.js';

export const REVEAL_CAP_MS = 250;

export class RevealScheduler {
  // app: { activity, settle(), changed(), onRevealed() }
  constructor(app) {
    this._app = app;
    this._pending = new Set();
    this._scripts = [];
    this._running = null;
  }

  get busy() {
    return this._pending.size > 0 || this._running !== null;
  }

  add(view) {
    this._pending.add(view);
    if (!this._running) this._running = this._run();
  }

  forget(view) {
    this._pending.delete(view);
  }

  // Resolves when no reveal is pending.
  async idle() {
    while (this._running) await this._running;
  }

  reset() {
    this._pending.clear();
    this._scripts = [];
  }

  async _run() {
    try {
      const deadline = Date.now() + REVEAL_CAP_MS;
      for (;;) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        const before = this._app.activity;
        let timer;
        const cap = new Promise((resolve) => {
          timer = setTimeout(resolve, remaining);
        });
        await Promise.race([this._app.settle(), cap]);
        clearTimeout(timer);
        if (this._app.activity === before) break;
      }
      this._revealPending();
    } catch (error) {
      console.error('lunette: reveal failed', error);
    } finally {
      this._running = null;
    }
    if (this._pending.size) this._running = this._run();
  }

  _revealPending() {
    const views = [...this._pending].filter((v) => v.alive).sort((a, b) => a.n - b.n);
    this._pending.clear();
    const parents = new Set();
    for (const view of views) {
      this._scripts.push(...view.scripts.splice(0));
      view.reveal();
      const parent = view.firstElement()?.parentElement;
      if (parent) parents.add(parent);
    }
    for (const parent of parents) refreshEnclosingSelect(this._app, parent);
    const waiting = [];
    for (const script of this._scripts) {
      if (!script.isConnected) continue;
      if (insideNewView(script)) {
        waiting.push(script);
        continue;
      }
      try {
        activateScript(script);
      } catch (error) {
        console.error('lunette: view script failed', error);
      }
    }
    this._scripts = waiting;
    if (views.length) {
      this._app.changed();
      this._app.onRevealed();
    }
  }
}
