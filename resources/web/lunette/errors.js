// Engine error messages → what the overlay shows. Pure.
//
// An error message is {"type":"error","data":{"varId"?, "code", "description"}}; Lua errors carry
// "chunk:line: message" in the description, optionally followed by "stack traceback:\n…".
// Optional fields file, line, traceback (if the engine sends them) take precedence.

const TRACEBACK = /\r?\n?stack traceback:\r?\n?/;
// "lua/main.lua:12:" or "[string "x"]:3:" anywhere in the text (descriptions may be prefixed,
// e.g. "timer callback failed: lua/app.lua:7: boom").
const LOCATION = /(\[string "[^"]*"\]|[^\s:"'()]+\.lua):(\d+):\s*/;

export function parseLuaError(data = {}) {
  const description = String(data.description ?? '');
  let message = description;
  let traceback = typeof data.traceback === 'string' ? data.traceback : '';
  const split = TRACEBACK.exec(description);
  if (split) {
    message = description.slice(0, split.index);
    if (!traceback) traceback = description.slice(split.index + split[0].length);
  }
  message = message.trim();
  let file = typeof data.file === 'string' ? data.file : '';
  let line = Number.isInteger(data.line) ? data.line : null;
  const found = LOCATION.exec(message);
  if (found && !file) {
    file = found[1];
    line = Number(found[2]);
  }
  return {
    code: String(data.code ?? ''),
    varId: data.varId ?? null,
    message,
    file,
    line,
    location: file ? (line !== null ? `${file}:${line}` : file) : '',
    traceback: traceback.replace(/^\s*stack traceback:[^\S\n]*\n?/, '').replace(/^\s+|\s+$/g, ''),
  };
}

// Whether an error belongs in the page's overlay: errors not tied to a variable (load errors,
// hot-reload errors, failed turns), and Lua errors of actions (a click that failed). Errors of
// value bindings show on their element instead.
export function isOverlayError(data = {}, access = undefined) {
  const hasVar = data.varId !== undefined && data.varId !== null && data.varId !== 0;
  if (!hasVar) return true;
  const code = String(data.code ?? '');
  return (code === 'lua-error' || code === 'timeout') && access === 'action';
}

// The reply a ui-engine server gives to the `get` barrier it does not know.
export function isUnknownGetError(data = {}) {
  return /unknown message type:\s*get\b/.test(String(data.description ?? ''));
}

// Variable 1's `reloadError` property: JSON {key, message, location, traceback} → overlay info.
export function parseReloadError(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    data = { message: String(text) };
  }
  if (!data || typeof data !== 'object') data = { message: String(text) };
  const location = typeof data.location === 'string' ? data.location : '';
  const at = /^(.*):(\d+)$/.exec(location);
  const info = parseLuaError({
    code: 'lua-error',
    description: String(data.message ?? ''),
    traceback: typeof data.traceback === 'string' ? data.traceback : '',
    file: at ? at[1] : location,
    line: at ? Number(at[2]) : undefined,
  });
  return { ...info, kind: 'reload', key: typeof data.key === 'string' ? data.key : '' };
}
