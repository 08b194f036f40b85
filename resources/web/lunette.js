// lunette.js — the page side of Lunette. Load it as a module:
//   <script type="module" src="/lunette/lunette.js"></script>
// It binds the element carrying `ui-app` to variable 1 of the page's session and renders the
// engine's objects through their viewdefs.
//
// Modules (lunette/): paths, keys, batcher, connection, store, viewdefs, errors, stylesheets
// (pure, tested under tests/js/), and dom, widgets, bindings, views, reveal, scroll, overlay,
// app (the page), theme.

import { UIApp } from './lunette/app.js';
import { followSystemTheme } from './lunette/theme.js';

followSystemTheme();

const app = new UIApp();
window.uiApp = app;
window.uiStore = app.store;

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', () => app.start(), { once: true });
} else {
  app.start();
}

export default app;
