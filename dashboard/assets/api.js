// The REST client: adds the API key, parses the error envelope
// ({"statusCode","message": string | string[],"error","code"?}) and throws ApiError with .status,
// .messages and .code. A 401 on an authenticated route signs the user out (handler set by app.js).

import { t, tn } from './i18n.js';

const STORAGE_KEY = 'openwa.apiKey';

export function getKey() {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY) || null;
  } catch {
    return null;
  }
}

export function setKey(key) {
  window.sessionStorage.setItem(STORAGE_KEY, key);
}

export function clearKey() {
  try {
    window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    /* nothing to clear */
  }
}

export class ApiError extends Error {
  constructor(status, messages, error, code = null) {
    super(messages.join(' '));
    this.name = 'ApiError';
    this.status = status;
    this.messages = messages;
    this.error = error;
    this.code = code;
  }
}

let unauthorizedHandler = null;

/** Called with the ApiError of any 401 answered to an authenticated request. */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

// A 401 that is about one session being outside the key's scope does not mean the key is bad:
// it must not sign the user out. The server marks it with this code (the WebSocket's word too).
const FORBIDDEN_SESSION = 'FORBIDDEN_SESSION';

/** True for a 401 that signed the user out: the sign-in page tells why, so pages stay quiet. */
export function isSignedOut(err) {
  return Boolean(err) && err.status === 401 && !err.keepSession;
}

function toMessages(message, fallback) {
  if (Array.isArray(message)) {
    const list = message.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).filter(Boolean);
    return list.length ? list : [fallback];
  }
  if (typeof message === 'string' && message.trim()) return [message];
  if (message && typeof message === 'object') return [JSON.stringify(message)];
  return [fallback];
}

/** Builds a path with each interpolated value URI-encoded: path`/api/sessions/${id}/start`. */
export function path(strings, ...values) {
  let out = strings[0];
  values.forEach((value, i) => {
    out += encodeURIComponent(String(value)) + strings[i + 1];
  });
  return out;
}

/**
 * request('POST', '/api/sessions', { body: {...} })
 * options: body (JSON), key (override the stored key), anonymous (a public route: a 401 does not sign
 * out), signal.
 */
export async function request(method, url, options = {}) {
  // A rate-limited read waits as long as the server asks (Retry-After) and tries again, a few
  // times; a write is never repeated on its own: its 429 is told in words.
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await requestOnce(method, url, options);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 429 || method !== 'GET' || attempt >= 2) throw err;
      if (backoffListener) backoffListener(err.retryAfter);
      await new Promise((resolve) => setTimeout(resolve, err.retryAfter * 1000));
    }
  }
}

let backoffListener = null;

/** Called with the seconds a rate-limited read waits before it is tried again. */
export function onBackoff(listener) {
  backoffListener = listener;
}

/** Seconds to wait from a Retry-After header (seconds or an HTTP date), between 1 and 60. */
function retryAfterSeconds(header) {
  if (!header) return 5;
  let seconds = Number(header);
  if (!Number.isFinite(seconds)) seconds = (Date.parse(header) - Date.now()) / 1000;
  if (!Number.isFinite(seconds)) return 5;
  return Math.min(60, Math.max(1, Math.ceil(seconds)));
}

async function requestOnce(method, url, { body, key, anonymous = false, signal } = {}) {
  const headers = { Accept: 'application/json' };
  const apiKey = key ?? getKey();
  if (apiKey) headers['X-API-Key'] = apiKey;
  const init = { method, headers, cache: 'no-store', credentials: 'same-origin', signal };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, [t('Cannot reach the OpenWA server. Check that it is running, then try again.')], 'Network Error');
  }

  let data = null;
  if (response.status !== 204) {
    const text = await response.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
  }

  if (!response.ok) {
    const envelope = data && typeof data === 'object' ? data : { message: typeof data === 'string' ? data : null };
    const fallback = `${response.status} ${response.statusText || t('Request failed')}`.trim();
    let messages = toMessages(envelope.message, fallback);
    let retryAfter = null;
    if (response.status === 429) {
      // The server's own text ("ThrottlerException: Too Many Requests") is for programs.
      retryAfter = retryAfterSeconds(response.headers.get('Retry-After'));
      // English has always said "seconds", even for 1: both its forms are the same.
      messages = [tn(
        retryAfter,
        'The server is getting too many requests from this key. Wait {n} seconds, then try again.',
        'The server is getting too many requests from this key. Wait {n} seconds, then try again.',
      )];
    }
    const code = typeof envelope.code === 'string' ? envelope.code : null;
    const err = new ApiError(response.status, messages, envelope.error || response.statusText, code);
    err.retryAfter = retryAfter;
    if (response.status === 401 && !anonymous) {
      if (err.code === FORBIDDEN_SESSION) err.keepSession = true;
      else if (unauthorizedHandler) unauthorizedHandler(err);
    }
    throw err;
  }
  return data;
}

export const api = {
  get: (url, options) => request('GET', url, options),
  post: (url, body, options) => request('POST', url, { ...options, body }),
  put: (url, body, options) => request('PUT', url, { ...options, body }),
  patch: (url, body, options) => request('PATCH', url, { ...options, body }),
  del: (url, options) => request('DELETE', url, options),
};

let serverAnswer = null;

/**
 * GET /api/server, asked once per sign-in: {version, defaultEngine, engines, docsUrl}.
 * forgetServerInfo() drops it with the key.
 */
export function serverInfo() {
  if (!serverAnswer) {
    serverAnswer = request('GET', '/api/server').catch((err) => {
      serverAnswer = null;
      throw err;
    });
  }
  return serverAnswer;
}

export function forgetServerInfo() {
  serverAnswer = null;
}

/** POST /api/auth/validate with the given key: {valid, role?}. Public route. */
export function validateKey(key) {
  return request('POST', '/api/auth/validate', { key, anonymous: true });
}
