// The WebSocket to the engine, with reconnect (FRONTEND.md). No DOM: the socket factory and the
// timer are injected so the pure parts can be tested in Node.

// Reconnect delays in ms: 0.25, 0.5, 1, 2, 4 s, then every 5 s forever.
const BACKOFF_MS = [250, 500, 1000, 2000, 4000];
export const BACKOFF_STEADY_MS = 5000;

// attempt 0 is the first retry after a close.
export function reconnectDelay(attempt) {
  return attempt < BACKOFF_MS.length ? BACKOFF_MS[Math.max(0, attempt)] : BACKOFF_STEADY_MS;
}

// A server frame is one message object, an array of messages, or (older servers) a raw
// {"error": "..."} object. Returns the messages, each {type, data}.
export function parseServerFrame(text) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const messages = [];
  for (const item of list) {
    if (!item || typeof item !== 'object') continue;
    if (typeof item.type === 'string') messages.push({ type: item.type, data: item.data ?? {} });
    else if (typeof item.error === 'string') messages.push({ type: 'error', data: { code: '', description: item.error } });
  }
  return messages;
}

// The session id: the ui-session cookie the engine set with this page, else the first segment
// of the page's path ("/<sid>/anything").
export function sessionIdFrom(cookie, pathname) {
  for (const part of String(cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === 'ui-session') {
      const value = decodeURIComponent(part.slice(eq + 1).trim());
      if (value) return value;
    }
  }
  return String(pathname ?? '').split('/').filter(Boolean)[0] ?? '';
}

export function webSocketUrl(location, sessionId) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws/${encodeURIComponent(sessionId)}`;
}

export class Connection {
  // onMessages(messages) for each frame; onOpen(isReconnect) after each (re)connect;
  // onClose() when an open socket closes.
  constructor({
    url,
    createSocket = (u) => new WebSocket(u),
    setTimer = (fn, ms) => setTimeout(fn, ms),
    onMessages = () => {},
    onOpen = () => {},
    onClose = () => {},
    log = console,
  }) {
    this.url = url;
    this._createSocket = createSocket;
    this._setTimer = setTimer;
    this._onMessages = onMessages;
    this._onOpen = onOpen;
    this._onClose = onClose;
    this._log = log;
    this._socket = null;
    this._attempt = 0;
    this._openedOnce = false;
    this._waiters = [];
    this.connected = false;
    this.framesSent = 0;
    this.framesReceived = 0;
  }

  start() {
    this._connect();
  }

  // Resolves once the socket is open (at once when it already is).
  whenOpen() {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this._waiters.push(resolve));
  }

  // Sends a frame object; false (and nothing sent) when the socket is not open.
  send(frame) {
    if (!this.connected || !this._socket) {
      this._log.warn?.('lunette: not connected, frame dropped', frame);
      return false;
    }
    this._socket.send(JSON.stringify(frame));
    this.framesSent++;
    return true;
  }

  _connect() {
    let socket;
    try {
      socket = this._createSocket(this.url);
    } catch (error) {
      this._log.error?.('lunette: cannot open WebSocket', error);
      this._retry();
      return;
    }
    this._socket = socket;
    socket.onopen = () => {
      if (this._socket !== socket) return;
      const reconnect = this._openedOnce;
      this._openedOnce = true;
      this._attempt = 0;
      this.connected = true;
      this._onOpen(reconnect);
      const waiters = this._waiters;
      this._waiters = [];
      for (const resolve of waiters) resolve();
    };
    socket.onmessage = (event) => {
      if (this._socket !== socket) return;
      this.framesReceived++;
      const messages = parseServerFrame(typeof event.data === 'string' ? event.data : '');
      if (messages.length) this._onMessages(messages);
    };
    socket.onclose = () => {
      if (this._socket !== socket) return;
      const wasOpen = this.connected;
      this.connected = false;
      this._socket = null;
      if (wasOpen) this._onClose();
      this._retry();
    };
    socket.onerror = () => {}; // onclose follows and handles it
  }

  _retry() {
    const delay = reconnectDelay(this._attempt++);
    this._setTimer(() => this._connect(), delay);
  }
}
