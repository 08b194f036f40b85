// The page's copy of its variables (digest §6.12). Pure: messages go out through an injected
// send(message, {priority, userEvent}); incoming messages come in through handle().
//
// Variable 1 belongs to the engine; every other variable is created here with ids from 2 up.
// After a reconnect the engine has dropped this page's variables, so reset() starts again at 2.

const UNREADABLE = new Set(['action', 'w']);

export class VariableStore {
  constructor({ send }) {
    this._send = send;
    this.reset();
  }

  reset() {
    this._records = new Map();
    this._nextId = 2;
    // Readable variables created but not answered yet (first update, error or destroy).
    this.awaitingFirst = new Set();
  }

  get size() {
    return this._records.size;
  }

  get(id) {
    return this._records.get(id);
  }

  ids() {
    return [...this._records.keys()];
  }

  // The record for an engine-owned variable (1, or negative ids created from Lua).
  ensure(id, parentId = 0) {
    let record = this._records.get(id);
    if (!record) {
      record = newRecord(id, parentId, {});
      this._records.set(id, record);
    }
    return record;
  }

  // Creates a child variable; returns its id. `local` holds page-only state (never sent).
  create({ parentId, properties, nowatch = false, local = {} }) {
    const id = this._nextId++;
    const record = newRecord(id, parentId, { ...properties });
    record.local = local;
    this._records.set(id, record);
    this._records.get(parentId)?.children.add(id);
    if (!UNREADABLE.has(record.properties.access)) this.awaitingFirst.add(id);
    const data = { id, parentId, properties: { ...properties } };
    if (nowatch) data.nowatch = true;
    this._send({ type: 'create', data }, { priority: 'medium' });
    return id;
  }

  // Sends a new value and/or properties. The local copy is written first (listeners are not
  // told: the element already shows what the user did). An unchanged value of a readable
  // variable is not sent again; actions and write-only variables always are.
  // `force` sends an unchanged value anyway.
  update(id, value, properties, { userEvent = false, priority, force = false } = {}) {
    const record = this._records.get(id);
    if (!record) return false; // destroyed meanwhile: the engine no longer knows it either
    const hasValue = value !== undefined;
    const readable = !UNREADABLE.has(record.properties.access);
    if (hasValue && readable && !force && !properties && record.value === value) return false;
    if (hasValue) record.value = value;
    for (const [name, v] of Object.entries(properties ?? {})) {
      if (v === '') delete record.properties[name];
      else record.properties[name] = v;
    }
    const data = { varId: id };
    if (hasValue) data.value = value;
    if (properties) data.properties = { ...properties };
    this._send(
      { type: 'update', data },
      { priority: priority ?? record.properties.priority ?? 'medium', userEvent },
    );
    return true;
  }

  // Destroys a variable: the engine destroys its descendants too, so they are dropped here
  // without messages of their own.
  destroy(id) {
    if (!this._records.has(id) || id === 1) return;
    this._drop(id);
    this._send({ type: 'destroy', data: { varId: id } }, { priority: 'medium' });
  }

  // Sends watch (only variable 1 needs it: created variables are watched from the start).
  sendWatch(id) {
    this.ensure(id);
    if (id !== 1) this.awaitingFirst.add(id);
    this._send({ type: 'watch', data: { varId: id } }, { priority: 'medium' });
  }

  // listener(record, data) after each incoming update; returns the unsubscribe function.
  watch(id, listener) {
    const record = this._records.get(id);
    if (!record) return () => {};
    record.listeners.add(listener);
    return () => record.listeners.delete(listener);
  }

  // listener(record, error|null) when the variable gets or loses an error.
  onError(id, listener) {
    const record = this._records.get(id);
    if (!record) return () => {};
    record.errorListeners.add(listener);
    return () => record.errorListeners.delete(listener);
  }

  // The engine processed everything sent so far: created variables that got no update hold nil.
  acknowledge(ids) {
    for (const id of ids) this.awaitingFirst.delete(id);
  }

  // Incoming update / error / destroy. Returns the record concerned, if any.
  handle(message) {
    const data = message.data ?? {};
    const id = data.varId;
    switch (message.type) {
      case 'update':
        return this._handleUpdate(id, data);
      case 'error':
        return this._handleError(id, data);
      case 'destroy': {
        const record = this._records.get(id);
        if (record) this._drop(id);
        return record;
      }
      default:
        return undefined;
    }
  }

  _handleUpdate(id, data) {
    let record = this._records.get(id);
    if (!record) {
      // Late updates for variables this page destroyed are ignored; engine-owned ones are new.
      if (id === 1 || id < 0) record = this.ensure(id);
      else return undefined;
    }
    const hasValue = 'value' in data;
    if (hasValue) record.value = data.value;
    if (data.properties) {
      for (const [name, value] of Object.entries(data.properties)) {
        if (value === '') delete record.properties[name];
        else record.properties[name] = value;
      }
    }
    this.awaitingFirst.delete(id);
    if (hasValue && record.error) {
      record.error = null;
      for (const listener of [...record.errorListeners]) listener(record, null);
    }
    for (const listener of [...record.listeners]) listener(record, data);
    return record;
  }

  _handleError(id, data) {
    if (id === undefined || id === null) return undefined;
    const record = this._records.get(id);
    if (!record) return undefined;
    this.awaitingFirst.delete(id);
    record.error = { code: data.code ?? '', description: data.description ?? '' };
    for (const listener of [...record.errorListeners]) listener(record, record.error);
    return record;
  }

  _drop(id) {
    const record = this._records.get(id);
    if (!record) return;
    for (const child of record.children) this._drop(child);
    this._records.get(record.parentId)?.children.delete(id);
    this._records.delete(id);
    this.awaitingFirst.delete(id);
    record.listeners.clear();
    record.errorListeners.clear();
    record.destroyed = true;
  }
}

function newRecord(id, parentId, properties) {
  return {
    id,
    parentId,
    value: undefined,
    properties,
    error: null,
    children: new Set(),
    listeners: new Set(),
    errorListeners: new Set(),
    local: {},
    destroyed: false,
  };
}
