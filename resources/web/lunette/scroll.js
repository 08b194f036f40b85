// Scroll-on-output (digest §6.11): output under a variable scrolls the nearest enclosing binding,
// view or list marked ?scrollOnOutput to the bottom.

import { scrollToBottom } from './dom.js';

export class ScrollNotifier {
  constructor(store) {
    this._store = store;
    this._ids = new Set();
    this._scheduled = false;
  }

  // Output appeared under variable `id`.
  notify(id) {
    if (id === undefined || id === null) return;
    this._ids.add(id);
    if (this._scheduled) return;
    this._scheduled = true;
    queueMicrotask(() => this._process());
  }

  _process() {
    this._scheduled = false;
    let ids = this._ids;
    this._ids = new Set();
    const seen = new Set();
    while (ids.size) {
      const next = new Set();
      for (const id of ids) {
        if (seen.has(id)) continue;
        seen.add(id);
        const record = this._store.get(id);
        if (!record) continue;
        const local = record.local ?? {};
        if (local.scroll?.()) {
          scrollToBottom(local.element?.());
          continue; // the nearest marked ancestor takes it
        }
        if (record.parentId) next.add(record.parentId);
      }
      ids = next;
    }
  }
}
