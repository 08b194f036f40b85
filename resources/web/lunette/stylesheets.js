// CSS hot swap: replace a <link rel="stylesheet"> by a fresh copy without reloading the page.
// The URL helpers are pure; swapStylesheets() needs a document.

const BUST = 'lunette-reload';

// The href with a cache-busting query parameter (replacing an earlier one).
export function cacheBustedHref(href, stamp, base = 'http://localhost/') {
  const url = new URL(href, base);
  url.searchParams.set(BUST, String(stamp));
  return url.href;
}

// The path a changed-stylesheet notice names: "/app.css?v=3#x" → "/app.css". The engine may
// add a query or fragment to make repeated notices differ.
export function stylesheetPath(href) {
  return String(href ?? '').replace(/[?#].*$/, '');
}

// Whether a link's href (absolute, as the browser resolved it) is the changed stylesheet.
// `wanted` may be absolute, root-relative ("/app.css") or relative to the site ("app.css",
// "css/app.css", "html/css/app.css").
export function sameStylesheet(linkHref, wanted, base = 'http://localhost/') {
  const path = stylesheetPath(wanted);
  if (!path) return false;
  let link;
  let target;
  try {
    link = new URL(linkHref, base);
    target = new URL(path, base);
  } catch {
    return false;
  }
  if (link.origin !== target.origin) return false;
  if (link.pathname === target.pathname) return true;
  // A site-relative name ("app.css", "css/app.css", "html/css/app.css") matches by suffix.
  if (path.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(path)) return false;
  const relative = path.replace(/^\.\//, '').replace(/^html\//, '');
  return relative !== '' && link.pathname.endsWith(`/${relative}`);
}

// Swaps every matching stylesheet link (all same-origin ones when href is empty). The new link
// goes in next to the old one, which is removed once the new one has loaded, so the page never
// shows unstyled. Resolves with the number of links swapped.
export function swapStylesheets(document, href, stamp = Date.now()) {
  const base = document.baseURI;
  const links = [...document.querySelectorAll('link[rel~="stylesheet"][href]')].filter((link) => {
    if (link.dataset.lunetteOutgoing) return false;
    if (!href) return new URL(link.href, base).origin === new URL(base).origin;
    return sameStylesheet(link.href, href, base);
  });
  return Promise.all(
    links.map(
      (old) =>
        new Promise((resolve) => {
          const fresh = old.cloneNode(false);
          fresh.href = cacheBustedHref(old.href, stamp, base);
          old.dataset.lunetteOutgoing = 'true';
          const done = () => {
            old.remove();
            resolve();
          };
          fresh.addEventListener('load', done, { once: true });
          fresh.addEventListener('error', done, { once: true });
          old.after(fresh);
        }),
    ),
  ).then(() => links.length);
}
