// Viewdefs: "TYPE.NAMESPACE" → template HTML (digest §6.2). Pure: compiling the HTML into a
// <template> element is the caller's business (views.js), through `compile`.

// The keys tried for a type, in order: TYPE.ns, TYPE.fallbackNs, TYPE.DEFAULT (duplicates and
// empty namespaces skipped).
export function viewdefCandidates(type, namespace, fallbackNamespace) {
  const keys = [];
  for (const ns of [namespace, fallbackNamespace, 'DEFAULT']) {
    if (!ns) continue;
    const key = `${type}.${ns}`;
    if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}

export class ViewdefStore {
  // compile(key, html) → a compiled template or null when the HTML is not one <template>.
  constructor({ compile = (key, html) => html, onInvalid = () => {} } = {}) {
    this._compile = compile;
    this._onInvalid = onInvalid;
    this._html = new Map();
    this._compiled = new Map();
  }

  get size() {
    return this._html.size;
  }

  has(key) {
    return this._html.has(key);
  }

  html(key) {
    return this._html.get(key);
  }

  keys() {
    return [...this._html.keys()];
  }

  // Installs the `viewdefs` property of variable 1: JSON text (or an object) of key → HTML.
  // Returns { added, updated, invalid } (keys). An update is a key that existed before with
  // different HTML; re-sending identical HTML changes nothing.
  install(viewdefs) {
    const result = { added: [], updated: [], invalid: [] };
    let map = viewdefs;
    if (typeof viewdefs === 'string') {
      if (viewdefs.trim() === '') return result;
      try {
        map = JSON.parse(viewdefs);
      } catch (error) {
        this._onInvalid('(viewdefs)', `viewdefs is not JSON: ${error.message}`);
        return result;
      }
    }
    if (!map || typeof map !== 'object') return result;
    for (const [key, html] of Object.entries(map)) {
      if (typeof html !== 'string') continue;
      const existed = this._html.has(key);
      if (existed && this._html.get(key) === html) continue;
      const compiled = this._compile(key, html);
      if (compiled === null || compiled === undefined) {
        result.invalid.push(key);
        this._onInvalid(key, 'a viewdef must be exactly one <template> element');
        continue;
      }
      this._html.set(key, html);
      this._compiled.set(key, compiled);
      (existed ? result.updated : result.added).push(key);
    }
    return result;
  }

  // The key to render a type with, or null when none of the candidates exists.
  lookup(type, namespace, fallbackNamespace) {
    if (!type) return null;
    for (const key of viewdefCandidates(type, namespace, fallbackNamespace)) {
      if (this._html.has(key)) return key;
    }
    return null;
  }

  template(key) {
    return this._compiled.get(key) ?? null;
  }

  clear() {
    this._html.clear();
    this._compiled.clear();
  }
}
