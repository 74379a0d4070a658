// Sessions page (/sessions): create, list (newest first) and drive sessions; rows follow the
// session store, which session.* events update live, each change then read back from
// GET /api/sessions/:id.

import { api, isSignedOut, path } from './api.js';
import { closeQrDialog, openQrDialog } from './qr.js';
import * as sessionStore from './store.js';
import {
  confirmDialog, el, field, formatPhone, pageHead, plural, reportError, setBadge, showErrors,
  statusBadge, timeEl, toast, withBusy,
} from './ui.js';

const STARTED = ['initializing', 'qr_ready', 'authenticating', 'ready'];

const ACTIONS = [
  { action: 'start', label: 'Start', className: 'btn btn-sm btn-primary', enabled: (s) => ['created', 'disconnected', 'failed'].includes(s) },
  { action: 'qr', label: 'Show QR', className: 'btn btn-sm', enabled: (s) => ['initializing', 'qr_ready'].includes(s) },
  { action: 'stop', label: 'Stop', className: 'btn btn-sm', enabled: (s) => STARTED.includes(s) },
  { action: 'restart', label: 'Restart', className: 'btn btn-sm', enabled: (s) => s !== 'created' },
  { action: 'logout', label: 'Log out', className: 'btn btn-sm', enabled: (s) => STARTED.includes(s) },
  { action: 'delete', label: 'Delete', className: 'btn btn-sm btn-danger-text', enabled: () => true },
];

const DONE = { start: 'started', stop: 'stopped', restart: 'restarted', logout: 'logged out' };

export function mount(root, ctx) {
  const canWrite = ctx.hasRole('operator');
  const rows = new Map(); // id -> { session, tr, refs, busy }
  const offs = [];
  let disposed = false;
  let highlightId = null; // the session just created here, highlighted when its row appears
  const sessionView = sessionStore.follow(render);

  // ---- create form ----
  let createCard = null;
  if (canWrite) {
    const nameInput = el('input', {
      id: 'session-name',
      name: 'name',
      type: 'text',
      autocomplete: 'off',
      spellcheck: 'false',
      autocapitalize: 'off',
      required: true,
      minLength: 3,
      maxLength: 50,
      pattern: '[A-Za-z0-9\\-]{3,50}',
      placeholder: 'sales-bot',
    });
    const engineSelect = el(
      'select',
      { id: 'session-engine', name: 'engine' },
      el('option', { value: 'whatsapp', selected: true }, 'WhatsApp'),
      el('option', { value: 'sandbox' }, 'Sandbox (simulated phone)'),
    );
    const submit = el('button', { type: 'submit', class: 'btn btn-primary' }, 'Create session');
    const errors = el('div', { id: 'session-create-errors', class: 'form-errors', role: 'alert', hidden: true });
    const form = el(
      'form',
      { id: 'session-create', class: 'form', novalidate: true, 'aria-labelledby': 'session-create-title' },
      el(
        'div',
        { class: 'form-row form-row-create' },
        field('Name', nameInput, '3–50 letters, numbers and hyphens.'),
        field('Engine', engineSelect, 'Sandbox plays the phone itself: for trying things out.'),
        el('div', { class: 'form-actions' }, submit),
      ),
      errors,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      showErrors(errors, null);
      nameInput.removeAttribute('aria-invalid');
      const name = nameInput.value.trim();
      await withBusy(submit, async () => {
        try {
          const session = await api.post('/api/sessions', { name, engine: engineSelect.value });
          ctx.live.subscribeSession(session.id);
          highlightId = session.id;
          sessionStore.apply(session);
          form.reset();
          toast(`Session “${session.name}” created. Start it to link a phone.`, 'success');
          nameInput.focus();
        } catch (err) {
          if (isSignedOut(err)) return;
          showErrors(errors, err);
          nameInput.setAttribute('aria-invalid', 'true');
          nameInput.focus();
        }
      });
    });
    createCard = el(
      'section',
      { class: 'card', 'aria-labelledby': 'session-create-title' },
      el('div', { class: 'card-head' }, el('h2', { id: 'session-create-title' }, 'New session')),
      form,
    );
  }

  // ---- table ----
  const tbody = el('tbody');
  const headers = ['Name', 'Status', 'Phone', 'Last error'];
  if (canWrite) headers.push('Actions');
  const table = el(
    'table',
    { id: 'sessions-table', class: 'data-table responsive' },
    el('caption', { class: 'visually-hidden' }, 'Sessions, newest first'),
    el('thead', null, el('tr', null, headers.map((h) => el('th', { scope: 'col', class: h === 'Actions' ? 'col-actions' : null }, h)))),
    tbody,
  );
  const emptyState = el(
    'div',
    { id: 'sessions-empty', class: 'empty-state', hidden: true },
    el('strong', null, 'No sessions yet'),
    el('p', null, canWrite ? 'Create one above, then start it and scan the QR code with WhatsApp.' : 'An operator or admin can create one.'),
  );
  const loading = el('p', { class: 'empty-state', role: 'status' }, 'Loading sessions…');
  const summary = el('p', { class: 'card-sub', id: 'sessions-summary', 'aria-live': 'polite' });
  const reload = el('button', { type: 'button', class: 'btn btn-sm btn-ghost', on: { click: () => load() } }, 'Refresh');

  root.append(
    pageHead('Sessions', 'Each session is one linked WhatsApp account. Start a session, scan its QR code, and it is ready to send and receive.'),
    createCard,
    el(
      'section',
      { class: 'card card-flush', 'aria-labelledby': 'sessions-title' },
      el('div', { class: 'card-head' }, el('div', null, el('h2', { id: 'sessions-title' }, 'All sessions'), summary), reload),
      el('div', { class: 'table-wrap' }, table),
      loading,
      emptyState,
    ),
  );

  // ---- rows ----
  function buildRow(session) {
    const refs = {
      name: el('span', { class: 'session-name' }),
      engine: el('span', { class: 'tag session-engine' }),
      created: el('span', { class: 'cell-secondary' }),
      badge: statusBadge(session.status),
      phone: el('span', { class: 'session-phone' }),
      pushName: el('span', { class: 'session-pushname' }),
      lastError: el('span', { class: 'last-error' }),
      buttons: {},
    };
    const tr = el(
      'tr',
      { dataset: { sessionId: session.id } },
      el('td', { class: 'cell-title', 'data-label': 'Name' }, el('div', null, refs.name, refs.engine), refs.created),
      el('td', { 'data-label': 'Status' }, el('div', null, refs.badge)),
      el('td', { 'data-label': 'Phone' }, el('div', null, refs.phone, refs.pushName)),
      el('td', { 'data-label': 'Last error' }, el('div', null, refs.lastError)),
    );
    if (canWrite) {
      const cell = el('div', { class: 'actions' });
      for (const def of ACTIONS) {
        const button = el('button', { type: 'button', class: def.className, dataset: { action: def.action } }, def.label);
        button.addEventListener('click', () => runAction(session.id, def.action, button));
        refs.buttons[def.action] = button;
        cell.append(button);
      }
      tr.append(el('td', { class: 'col-actions', 'data-label': 'Actions' }, cell));
    }
    return { session, tr, refs, busy: false };
  }

  function paint(entry) {
    const s = entry.session;
    const { refs } = entry;
    entry.tr.dataset.status = s.status;
    refs.name.textContent = s.name;
    refs.engine.textContent = s.engine === 'sandbox' ? 'sandbox' : 'whatsapp';
    refs.engine.hidden = !s.engine;
    refs.created.replaceChildren('Created ', timeEl(s.createdAt));
    setBadge(refs.badge, s.status);
    if (s.phone) {
      refs.phone.textContent = formatPhone(s.phone);
      refs.phone.classList.remove('not-linked');
    } else {
      refs.phone.textContent = 'Not linked';
      refs.phone.classList.add('not-linked');
    }
    refs.pushName.textContent = s.pushName || '';
    refs.pushName.hidden = !s.pushName;
    refs.lastError.textContent = s.lastError || '';
    for (const def of ACTIONS) {
      const button = refs.buttons[def.action];
      if (!button) continue;
      button.disabled = entry.busy || !def.enabled(s.status);
      button.setAttribute('aria-label', `${def.label} ${s.name}`);
    }
  }

  function addRow(session) {
    const entry = buildRow(session);
    rows.set(session.id, entry);
    if (session.id === highlightId) {
      highlightId = null;
      entry.tr.classList.add('is-highlight');
      setTimeout(() => entry.tr.classList.remove('is-highlight'), 1700);
    }
    return entry;
  }

  /** Brings the table in line with the store: rows added, repainted, removed, newest first. */
  function render() {
    if (disposed) return;
    const list = sessionStore.all();
    const seen = new Set();
    for (const session of list) {
      seen.add(session.id);
      ctx.live.subscribeSession(session.id);
      const known = rows.get(session.id);
      if (known && known.session === session) continue;
      const entry = known || addRow(session);
      entry.session = session;
      paint(entry);
    }
    for (const [id, entry] of rows) {
      if (seen.has(id)) continue;
      entry.tr.remove();
      rows.delete(id);
    }
    // Only rows out of place move: moving a row would take the focus off its buttons.
    list.forEach((session, i) => {
      const { tr } = rows.get(session.id);
      if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null);
    });
    updateSummary();
  }

  function updateSummary() {
    loading.hidden = true;
    const all = [...rows.values()].map((e) => e.session);
    emptyState.hidden = all.length > 0;
    const ready = all.filter((s) => s.status === 'ready').length;
    const failed = all.filter((s) => s.status === 'failed').length;
    const parts = [plural(all.length, 'session')];
    if (all.length) parts.push(`${ready} ready`);
    if (failed) parts.push(`${failed} failed`);
    summary.textContent = parts.join(' · ');
  }

  async function load() {
    try {
      await sessionView.load();
    } catch (err) {
      if (disposed) return;
      loading.textContent = 'Could not load sessions.';
      reportError(err, 'Could not load sessions');
    }
  }

  // Status events come in bursts (initializing -> qr_ready -> ...; many sessions at once after a
  // restart). Collect the sessions that changed for a moment, then read them back: one by one for
  // a few, the whole list for more, so the dashboard stays well inside the API rate limits.
  const dirty = new Set();
  let flushTimer = null;
  let flushing = false;

  function refresh(id) {
    dirty.add(id);
    if (!flushTimer) flushTimer = setTimeout(flush, 150);
  }

  async function fetchOne(id) {
    try {
      await sessionStore.loadOne(id);
    } catch {
      /* a 404 took it off the list; anything else waits for the next read */
    }
  }

  async function flush() {
    flushTimer = null;
    if (disposed) return;
    if (flushing) {
      flushTimer = setTimeout(flush, 150);
      return;
    }
    const ids = [...dirty];
    dirty.clear();
    if (!ids.length) return;
    flushing = true;
    try {
      if (ids.length > 2) await load();
      else await Promise.all(ids.map(fetchOne));
    } finally {
      flushing = false;
    }
  }

  async function runAction(id, action, button) {
    const entry = rows.get(id);
    if (!entry) return;
    const session = entry.session;

    if (action === 'qr') {
      openQrDialog(session, ctx);
      return;
    }

    if (action === 'delete') {
      const ok = await confirmDialog({
        title: 'Delete session?',
        message: `Delete session “${session.name}”? Its engine stops, and its device keys, messages, webhooks and batches are deleted. This cannot be undone.`,
        confirmLabel: 'Delete session',
      });
      if (!ok) return;
    }

    entry.busy = true;
    paint(entry);
    try {
      await withBusy(button, async () => {
        if (action === 'delete') {
          await api.del(path`/api/sessions/${id}`);
          sessionStore.remove(id);
          closeQrDialog(id);
          ctx.live.forgetSession(id);
          toast(`Session “${session.name}” deleted.`, 'success');
          return;
        }
        const updated = await api.post(path`/api/sessions/${id}/${action}`);
        entry.busy = false;
        sessionStore.apply(updated);
        toast(`Session “${session.name}” ${DONE[action]}.`, 'success');
        if (action === 'start') openQrDialog(updated, ctx);
      });
    } catch (err) {
      reportError(err, `Could not ${action === 'logout' ? 'log out' : action} “${session.name}”`);
      refresh(id);
    } finally {
      const current = rows.get(id);
      if (current) {
        current.busy = false;
        paint(current);
      }
    }
  }

  // ---- live updates ----
  // The store has already applied what the event says; read the session back for the rest.
  const READ_BACK = new Set(['session.status', 'session.authenticated', 'session.disconnected']);
  offs.push(
    ctx.live.on('event', (payload) => {
      const id = payload.sessionId || (payload.data && payload.data.sessionId);
      if (id && READ_BACK.has(payload.event)) refresh(id);
    }),
    ctx.live.on('resync', () => load()),
  );

  load();
  // Without live updates, poll now and then so the table does not go stale.
  const poll = setInterval(() => {
    if (ctx.live.state !== 'live' && !document.hidden) load();
  }, 10000);

  return () => {
    disposed = true;
    clearInterval(poll);
    clearTimeout(flushTimer);
    sessionView.stop();
    for (const off of offs) off();
  };
}
