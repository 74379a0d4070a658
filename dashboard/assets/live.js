// The live-update client for GET /api/ws (API.md §7).
//
//   const live = new LiveClient({ getKey, listSessionIds, onAuthFailure });
//   const off = live.on('event', (payload, frame) => { ... });   // payload = {event, sessionId, data}
//   live.on('state', (state) => ...);                            // 'connecting' | 'live' | 'offline'
//   live.on('resync', () => ...);                                // re-authenticated after a drop: reload
//   live.start(); live.stop();
//
// The key goes in the first frame, never in the URL. A key scoped to some sessions cannot subscribe
// to "*": the client then subscribes to each session id it knows, one by one.

const PING_INTERVAL_MS = 25000;
const MIN_RETRY_MS = 1000;
const MAX_RETRY_MS = 30000;

export class LiveClient {
  constructor({ getKey, listSessionIds, onAuthFailure }) {
    this._getKey = getKey;
    this._listSessionIds = listSessionIds;
    this._onAuthFailure = onAuthFailure;
    this._listeners = new Map();
    this._ws = null;
    this._running = false;
    this._authenticated = false;
    this._everAuthenticated = false;
    this._retryMs = MIN_RETRY_MS;
    this._retryTimer = null;
    this._pingTimer = null;
    this._scoped = false;
    this._sessionIds = new Set();
    this._wildcardRequest = null;
    this._authError = null;
    this._seq = 0;
    this.state = 'offline';
    this.role = null;
    this.nextRetryAt = null;
    this._onOnline = () => {
      if (this._running && !this._ws) this._connect();
    };
  }

  /** Adds a listener; returns a function that removes it. */
  on(type, handler) {
    if (!this._listeners.has(type)) this._listeners.set(type, new Set());
    this._listeners.get(type).add(handler);
    return () => this._listeners.get(type)?.delete(handler);
  }

  _emit(type, ...args) {
    for (const handler of [...(this._listeners.get(type) || [])]) {
      try {
        handler(...args);
      } catch (err) {
        console.error(`live: a '${type}' listener failed`, err);
      }
    }
  }

  start() {
    if (this._running) return;
    this._running = true;
    this._retryMs = MIN_RETRY_MS;
    window.addEventListener('online', this._onOnline);
    this._connect();
  }

  stop() {
    this._running = false;
    window.removeEventListener('online', this._onOnline);
    clearTimeout(this._retryTimer);
    this._stopPing();
    const ws = this._ws;
    this._ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000, 'Signed out');
      } catch {
        /* already closed */
      }
    }
    this._authenticated = false;
    this._everAuthenticated = false;
    this._scoped = false;
    this._sessionIds.clear();
    this.role = null;
    this._setState('offline');
  }

  /** Make sure events of this session arrive (needed for scoped keys, harmless otherwise). */
  subscribeSession(sessionId) {
    if (!sessionId || this._sessionIds.has(sessionId)) return;
    this._sessionIds.add(sessionId);
    if (this._scoped && this._authenticated) this._subscribe(sessionId);
  }

  forgetSession(sessionId) {
    if (!this._sessionIds.delete(sessionId)) return;
    if (this._scoped && this._authenticated) this._send({ type: 'unsubscribe', sessionId, requestId: this._requestId('unsub') });
  }

  /** Reconnect now (e.g. from a "retry" button), skipping the back-off wait. */
  reconnectNow() {
    if (!this._running || this._ws) return;
    this._retryMs = MIN_RETRY_MS;
    this._connect();
  }

  _setState(state) {
    if (state === this.state) return;
    this.state = state;
    this._emit('state', state);
  }

  _url() {
    const scheme = window.location.protocol === 'https:' ? 'wss://' : 'ws://';
    return `${scheme}${window.location.host}/api/ws`;
  }

  _requestId(prefix) {
    this._seq += 1;
    return `${prefix}-${this._seq}`;
  }

  _connect() {
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this.nextRetryAt = null;
    const key = this._getKey();
    if (!key) {
      this.stop();
      return;
    }
    this._setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this._url());
    } catch {
      this._scheduleReconnect();
      return;
    }
    this._ws = ws;
    this._authenticated = false;
    this._authError = null;
    ws.onopen = () => {
      if (ws !== this._ws) return;
      ws.send(JSON.stringify({ type: 'auth', apiKey: this._getKey() || key }));
    };
    ws.onmessage = (event) => this._onFrame(ws, event);
    ws.onclose = (event) => this._onClose(ws, event);
    ws.onerror = () => {
      /* a close event follows */
    };
  }

  _send(frame) {
    const ws = this._ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  _subscribe(sessionId) {
    const requestId = this._requestId(sessionId === '*' ? 'sub-all' : 'sub');
    this._send({ type: 'subscribe', sessionId, events: ['*'], requestId });
    return requestId;
  }

  _onFrame(ws, event) {
    if (ws !== this._ws) return;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object') return;
    switch (frame.type) {
      case 'authenticated':
        this._onAuthenticated(frame);
        break;
      case 'event':
        if (frame.payload && frame.payload.event) this._emit('event', frame.payload, frame);
        break;
      case 'error':
        this._onError(frame);
        break;
      default:
        // subscribed, unsubscribed, pong: nothing to do
        break;
    }
  }

  _onAuthenticated(frame) {
    this._authenticated = true;
    this._retryMs = MIN_RETRY_MS;
    this.role = frame.role || null;
    this._startPing();
    if (this._scoped) this._subscribeEach();
    else this._wildcardRequest = this._subscribe('*');
    this._setState('live');
    if (this._everAuthenticated) this._emit('resync');
    this._everAuthenticated = true;
  }

  async _subscribeEach() {
    try {
      const ids = await this._listSessionIds();
      for (const id of ids) this._sessionIds.add(id);
    } catch {
      /* use the ids known so far */
    }
    if (!this._authenticated) return;
    for (const id of this._sessionIds) this._subscribe(id);
  }

  _onError(frame) {
    if (frame.code === 'FORBIDDEN_SESSION' && this._wildcardRequest && frame.requestId === this._wildcardRequest) {
      this._wildcardRequest = null;
      this._scoped = true;
      this._subscribeEach();
      return;
    }
    if (frame.code === 'UNAUTHORIZED' && !this._authenticated) {
      this._authError = frame.message || 'Unauthorized';
      return;
    }
    this._emit('error', frame);
  }

  _onClose(ws, event) {
    if (ws !== this._ws) return;
    this._ws = null;
    this._authenticated = false;
    this._stopPing();
    if (!this._running) return;
    const reason = event.reason || this._authError || '';
    // 1008 (policy) whose reason is about the key ("API key is revoked", "Invalid API key", ...)
    // or the key's IP allow list: signing in again is the only way on. Anything else (say an
    // authentication timeout): reconnect.
    if (event.code === 1008 && /key|IP address not allowed/i.test(reason)) {
      this._running = false;
      this._setState('offline');
      this._onAuthFailure(reason);
      return;
    }
    this._scheduleReconnect();
  }

  _scheduleReconnect() {
    const delay = this._retryMs;
    this._retryMs = Math.min(this._retryMs * 2, MAX_RETRY_MS);
    this.nextRetryAt = Date.now() + delay;
    this._setState('offline');
    this._emit('retry', delay);
    clearTimeout(this._retryTimer);
    this._retryTimer = setTimeout(() => this._connect(), delay);
  }

  _startPing() {
    this._stopPing();
    this._pingTimer = setInterval(() => this._send({ type: 'ping', requestId: this._requestId('ping') }), PING_INTERVAL_MS);
  }

  _stopPing() {
    clearInterval(this._pingTimer);
    this._pingTimer = null;
  }
}
