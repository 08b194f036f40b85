// Shoelace's dark theme applies under <html class="sl-theme-dark">: follow the system setting
// unless the page chose a theme itself (sl-theme-light or sl-theme-dark already on <html>).

export function followSystemTheme(doc = document, win = window) {
  const root = doc.documentElement;
  if (root.classList.contains('sl-theme-light') || root.classList.contains('sl-theme-dark')) return;
  const query = win.matchMedia?.('(prefers-color-scheme: dark)');
  if (!query) return;
  const apply = () => root.classList.toggle('sl-theme-dark', query.matches);
  apply();
  query.addEventListener?.('change', apply);
}
