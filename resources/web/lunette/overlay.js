// The error overlay (like Vite's): a Lua error of the page (load error, hot-reload error, failed
// action) with its message, file:line and traceback. Dismissible (×, Esc, click outside); clears
// itself when the next reload succeeds. Lives in a shadow root so site CSS cannot break it.

const STYLE = `
:host { all: initial; }
.backdrop {
  position: fixed; inset: 0; z-index: 2147483647; overflow: auto;
  background: rgba(0, 0, 0, 0.66); display: flex; align-items: flex-start; justify-content: center;
  padding: 8vh 16px; box-sizing: border-box;
  font: 14px/1.5 ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
.panel {
  width: min(960px, 100%); box-sizing: border-box; border-radius: 8px; padding: 20px 24px;
  background: #181818; color: #d8d8d8; border-top: 6px solid #e5484d;
  box-shadow: 0 12px 40px rgba(0, 0, 0, 0.5);
}
header { display: flex; align-items: baseline; gap: 12px; }
.title { color: #ff6369; font-weight: 600; font-size: 16px; flex: 1; }
.count { color: #999; font-size: 12px; }
button {
  all: unset; cursor: pointer; color: #bbb; font-size: 22px; line-height: 1; padding: 0 4px;
  border-radius: 4px;
}
button:hover, button:focus-visible { color: #fff; background: #333; outline: none; }
.message {
  margin: 12px 0 8px; color: #ff8b8f; font: 600 15px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  white-space: pre-wrap; word-break: break-word;
}
.location { color: #6cb6ff; font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.location:empty { display: none; }
pre {
  margin: 12px 0 0; padding: 12px; border-radius: 6px; background: #101010; color: #c8c8c8;
  font: 12.5px/1.55 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  white-space: pre-wrap; word-break: break-word; max-height: 50vh; overflow: auto;
}
pre:empty { display: none; }
footer { margin-top: 14px; color: #888; font-size: 12px; }
`;

export class ErrorOverlay {
  constructor(doc = document) {
    this._doc = doc;
    this._host = null;
    this.errors = []; // shown since the last clear, oldest first
    this._onKey = (event) => {
      if (event.key === 'Escape') this.dismiss();
    };
  }

  get visible() {
    return Boolean(this._host?.isConnected);
  }

  // info: { message, location, traceback, code, kind, key }. kind "reload" (a hot-reload error,
  // one per file: a new failure of the same file replaces the old) or "event" (anything else).
  show(info) {
    const entry = { kind: 'event', ...info };
    if (entry.kind === 'reload') this.errors = this.errors.filter((e) => !(e.kind === 'reload' && e.key === entry.key));
    this.errors.push(entry);
    this._render();
  }

  // Hides the overlay; the errors stay listed until clear().
  dismiss() {
    this._host?.remove();
    this._doc.removeEventListener('keydown', this._onKey, true);
  }

  // Forgets errors (of one kind, or all) and hides the overlay when none is left.
  clear(kind = null) {
    const before = this.errors.length;
    this.errors = kind ? this.errors.filter((e) => e.kind !== kind) : [];
    if (this.errors.length === 0) this.dismiss();
    else if (this.errors.length !== before && this.visible) this._render();
  }

  _render() {
    const info = this.errors[this.errors.length - 1];
    if (!this._host) {
      this._host = this._doc.createElement('lunette-error-overlay');
      const root = this._host.attachShadow({ mode: 'open' });
      root.innerHTML = `<style>${STYLE}</style>
        <div class="backdrop" part="backdrop">
          <div class="panel" role="alertdialog" aria-modal="true" aria-labelledby="title">
            <header><span class="title" id="title"></span><span class="count"></span>
              <button type="button" class="close" aria-label="Dismiss" title="Dismiss (Esc)">×</button></header>
            <div class="message"></div>
            <div class="location"></div>
            <pre class="traceback"></pre>
            <footer>Fix the file and save: this closes when the reload succeeds. Esc or a click outside dismisses it.</footer>
          </div>
        </div>`;
      root.querySelector('.close').addEventListener('click', () => this.dismiss());
      root.querySelector('.backdrop').addEventListener('click', (event) => {
        if (event.target === event.currentTarget) this.dismiss();
      });
    }
    const root = this._host.shadowRoot;
    let title = 'Lua error';
    if (info.code === 'timeout') title = 'Lua script timed out';
    else if (info.kind === 'reload') title = `Reload failed${info.key ? `: ${info.key}` : ''}`;
    else if (info.code && info.code !== 'lua-error') title = `Engine error (${info.code})`;
    root.querySelector('.title').textContent = title;
    root.querySelector('.count').textContent = this.errors.length > 1 ? `${this.errors.length} errors, latest shown` : '';
    root.querySelector('.message').textContent = info.message || '(no message)';
    root.querySelector('.location').textContent = info.location || '';
    root.querySelector('.traceback').textContent = info.traceback || '';
    if (!this._host.isConnected) {
      (this._doc.body ?? this._doc.documentElement).append(this._host);
      this._doc.addEventListener('keydown', this._onKey, true);
    }
  }
}
