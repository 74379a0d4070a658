// The session list, held once for every page (GET /api/sessions, newest first as the API lists
// them). Pages ask it to load when they need fresh data, read it, and follow its changes; app.js
// feeds it the live session.* events and clears it on sign-out.
//
//   const view = follow(render);   // render() after this page's first load(), then on each change
//   await view.load(); view.stop();
//   all(); get(id); await loadOne(id); apply(session); applyEvent(payload); remove(id);

import { api, path } from './api.js';

const PAGE = 1000; // the most GET /api/sessions answers at once
let list = []; // newest first
const listeners = new Set();
// Answers to requests made before a sign-out belong to another key: they are dropped.
let epoch = 0;
let loadSeq = 0;
let appliedSeq = 0;

function notify() {
  for (const listener of [...listeners]) {
    try {
      listener();
    } catch (err) {
      console.error('store: a listener failed', err);
    }
  }
}

function indexOf(id) {
  return list.findIndex((s) => s.id === id);
}

// An answer that left the server before a newer one (say a start's answer arriving after the
// refresh its status events caused) must not roll the session back.
function isOlder(session, held) {
  const before = Date.parse(held.updatedAt);
  const after = Date.parse(session.updatedAt);
  return Boolean(before && after && after < before);
}

/** The sessions, newest first (a copy). */
export function all() {
  return list.slice();
}

/** One session by id, or null. */
export function get(id) {
  return list.find((s) => s.id === id) || null;
}

/** Calls listener() after every change; returns a function that stops it. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Reads the whole list afresh; resolves with it. Every answer notifies, changed or not. */
export async function load() {
  const mine = epoch;
  const seq = ++loadSeq;
  // The list route answers at most PAGE sessions at a time: read pages until a short one.
  const answer = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await api.get(`/api/sessions?limit=${PAGE}&offset=${offset}`);
    if (!Array.isArray(page)) break;
    answer.push(...page);
    if (page.length < PAGE) break;
  }
  // A list asked for later has already been applied: this one is older.
  if (mine !== epoch || seq < appliedSeq) return all();
  appliedSeq = seq;
  const held = new Map(list.map((s) => [s.id, s]));
  list = answer.map((session) => {
    const before = held.get(session.id);
    if (!before) return session;
    return isOlder(session, before) ? before : { ...before, ...session };
  });
  notify();
  return all();
}

/** Reads one session (GET /api/sessions/:id) into the list; a 404 drops it. Resolves with the answer. */
export async function loadOne(id) {
  const mine = epoch;
  try {
    const session = await api.get(path`/api/sessions/${id}`);
    if (mine === epoch) apply(session);
    return session;
  } catch (err) {
    if (err.status === 404 && mine === epoch) remove(id);
    throw err;
  }
}

/** Applies a session from any API answer: updates it in place, or adds it by creation time. */
export function apply(session) {
  if (!session || !session.id) return;
  const i = indexOf(session.id);
  if (i >= 0) {
    if (isOlder(session, list[i])) return;
    list[i] = { ...list[i], ...session };
  } else {
    const created = Date.parse(session.createdAt) || Date.now();
    const at = list.findIndex((other) => (Date.parse(other.createdAt) || 0) <= created);
    list.splice(at < 0 ? list.length : at, 0, session);
  }
  notify();
}

/**
 * Applies what a live session.* event says: a session created or deleted by any client joins or
 * leaves the list; status and authentication update a known one.
 */
export function applyEvent(payload, frame) {
  const id = payload.sessionId || (payload.data && payload.data.sessionId);
  if (!id) return;
  const data = payload.data || {};
  if (payload.event === 'session.created') {
    if (indexOf(id) < 0) {
      const at = payload.timestamp || (frame && frame.timestamp) || new Date().toISOString();
      apply({ id, name: data.name, engine: data.engine, status: data.status || 'created', createdAt: at, updatedAt: at });
    }
    return;
  }
  if (payload.event === 'session.deleted') {
    remove(id);
    return;
  }
  const i = indexOf(id);
  if (i < 0) return;
  const held = list[i];
  if (payload.event === 'session.status' && data.status) {
    list[i] = { ...held, status: data.status };
  } else if (payload.event === 'session.authenticated') {
    list[i] = { ...held, phone: data.phone ?? held.phone, pushName: data.pushName ?? held.pushName };
  } else {
    return;
  }
  notify();
}

/** Drops a session (deleted, or answered 404). */
export function remove(id) {
  const i = indexOf(id);
  if (i < 0) return;
  list.splice(i, 1);
  notify();
}

/** Forgets every session, without notifying: the pages are going away with the key. */
export function clear() {
  epoch += 1;
  list = [];
}

/**
 * A page's view of the list. render() waits for the page's own first load(), so a page never
 * opens on what an earlier page left, then runs after every change until stop().
 */
export function follow(render) {
  let fresh = false;
  let stopped = false;
  const off = subscribe(() => {
    if (fresh && !stopped) render();
  });
  return {
    async load() {
      const sessions = await load();
      if (!fresh && !stopped) {
        fresh = true;
        render();
      }
      return sessions;
    },
    stop() {
      stopped = true;
      off();
    },
  };
}
