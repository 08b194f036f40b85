// Outgoing messages: priorities and frames (digest §2.7, §2.9). Pure: the scheduler and the
// sender are injected.
//
// Frames are {"userEvent": bool, "messages": [...]}. A user event (click, typing into an action,
// keypress action) goes out at once with userEvent=true, taking everything queued before it along;
// everything else is collected for the current microtask and sent as one frame. Within a frame,
// messages are ordered high → medium → low, first-come first within a level.

export const PRIORITY_ORDER = { high: 0, medium: 1, low: 2 };

// "low", "Medium", "med", "HIGH" → "low" | "medium" | "high"; anything else → "medium".
export function normalizePriority(value) {
  const p = String(value ?? '').toLowerCase();
  if (p === 'high' || p === 'low') return p;
  return 'medium';
}

// "viewdefs:high" → { name: "viewdefs", priority: "high" }; no suffix → priority null.
export function splitPriority(name) {
  const match = /^(.*):(high|medium|med|low)$/i.exec(name);
  if (!match) return { name, priority: null };
  return { name: match[1], priority: normalizePriority(match[2]) };
}

// Splits an update whose property names carry priority suffixes into one message per priority,
// high first. Names keep their suffix (the engine stores the property's priority from it); the
// value and varId stay with the message at `priority`. Other messages are never split: a create
// carries all its properties at once. Returns [{ message, priority }].
export function splitByPriority(message, priority = 'medium') {
  const base = normalizePriority(priority);
  const data = message.data ?? {};
  const properties = data.properties;
  if (message.type !== 'update' || !properties) return [{ message, priority: base }];
  const buckets = new Map();
  for (const [name, value] of Object.entries(properties)) {
    const level = splitPriority(name).priority ?? base;
    if (!buckets.has(level)) buckets.set(level, {});
    buckets.get(level)[name] = value;
  }
  if (buckets.size === 1 && buckets.has(base)) return [{ message, priority: base }];
  const result = [];
  for (const level of ['high', 'medium', 'low']) {
    const props = buckets.get(level);
    if (level === base) {
      const own = { ...data };
      if (props) own.properties = props;
      else delete own.properties;
      if ('value' in own || props) result.push({ message: { type: 'update', data: own }, priority: level });
    } else if (props) {
      result.push({ message: { type: 'update', data: { varId: data.varId, properties: props } }, priority: level });
    }
  }
  return result;
}

// entries: [{ message, priority }] in arrival order → the frame object.
// An update for a variable created in the same frame never moves ahead of its create.
export function buildFrame(entries, userEvent = false) {
  const created = new Map(); // id → index of its create in arrival order
  entries.forEach((entry, index) => {
    if (entry.message.type === 'create') created.set(entry.message.data?.id, index);
  });
  const ranked = entries.map((entry, index) => {
    let rank = PRIORITY_ORDER[normalizePriority(entry.priority)];
    const varId = entry.message.data?.varId;
    if (entry.message.type !== 'create' && created.has(varId) && created.get(varId) < index) {
      const createRank = PRIORITY_ORDER[normalizePriority(entries[created.get(varId)].priority)];
      rank = Math.max(rank, createRank);
    }
    return { rank, index, message: entry.message };
  });
  ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return { userEvent: Boolean(userEvent), messages: ranked.map((r) => r.message) };
}

export class Batcher {
  // send(frame) → bool (false when the frame could not be sent); schedule(fn) runs fn later
  // (queueMicrotask in the page).
  constructor({ send, schedule = (fn) => queueMicrotask(fn) }) {
    this._send = send;
    this._schedule = schedule;
    this._entries = [];
    this._scheduled = false;
    this._userEvent = false;
  }

  get pending() {
    return this._entries.length;
  }

  // Queues a message for the end of the current microtask.
  enqueue(message, priority = 'medium') {
    for (const entry of splitByPriority(message, priority)) this._entries.push(entry);
    if (!this._scheduled) {
      this._scheduled = true;
      this._schedule(() => {
        this._scheduled = false;
        this.flush();
      });
    }
  }

  // Queues a message and sends the frame now, flagged as a user event. Returns whether it went.
  enqueueUserEvent(message, priority = 'medium') {
    for (const entry of splitByPriority(message, priority)) this._entries.push(entry);
    this._userEvent = true;
    return this.flush();
  }

  flush() {
    if (this._entries.length === 0) {
      this._userEvent = false;
      return true;
    }
    const frame = buildFrame(this._entries, this._userEvent);
    this._entries = [];
    this._userEvent = false;
    return this._send(frame);
  }

  clear() {
    this._entries = [];
    this._userEvent = false;
  }
}
