// Binding paths: "a.b.c()?key=value&flag" (ui-engine digest §3.4). Pure: no DOM.
//
// The path itself is opaque to the page (the engine resolves it); the page only needs the query
// properties and whether the path ends in a getter "()" or a setter "(_)".

// Splits "path?query" into the bare path and its query properties. A key without "=" means
// "true" (x?keypress is x?keypress=true); values are URL-decoded ("+" is a space).
export function parsePath(text) {
  const source = String(text ?? '').trim();
  const mark = source.indexOf('?');
  if (mark < 0) return { path: source, query: {} };
  return { path: source.slice(0, mark), query: parseQuery(source.slice(mark + 1)) };
}

export function parseQuery(text) {
  const query = {};
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    if (key === '') continue;
    query[key] = eq < 0 ? 'true' : decode(pair.slice(eq + 1));
  }
  return query;
}

function decode(text) {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text; // a stray "%" is kept as written
  }
}

// "save()" and "a.b.total()": the last segment calls a method with no argument.
export function isGetterPath(path) {
  return /\(\)$/.test(path);
}

// "setName(_)": the last segment calls a method with the value.
export function isSetterPath(path) {
  return /\(_\)$/.test(path);
}

export function isMethodPath(path) {
  return isGetterPath(path) || isSetterPath(path);
}

// Query keys the page handles itself and never sends to the engine.
export const LOCAL_KEYS = new Set(['scrollOnOutput']);

// The create properties of a binding: defaults, then the query (which wins), then the path.
// Returns { properties, local } where local holds the keys in LOCAL_KEYS.
export function bindingProperties(text, defaults = {}) {
  const { path, query } = parsePath(text);
  const properties = { ...defaults };
  const local = {};
  for (const [key, value] of Object.entries(query)) {
    if (LOCAL_KEYS.has(key)) local[key] = value;
    else properties[key] = value;
  }
  properties.path = path;
  return { path, properties, local };
}

// "true", "", "1", "yes" as a flag: only an explicit "false"/"0"/"no" turns it off.
export function isTruthyFlag(value) {
  if (value === undefined || value === null) return false;
  return !/^(false|0|no|off)$/i.test(String(value));
}
