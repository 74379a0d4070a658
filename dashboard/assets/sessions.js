// Sessions page (/sessions): create, find (search by name or phone, status filter, sort, pages of
// PAGE_SIZE rows so a thousand sessions stay smooth) and drive sessions; rows follow the session
// store, which session.* events (created and deleted elsewhere too) update live, each change then
// read back from GET /api/sessions/:id.

import { api, isSignedOut, path, serverInfo } from './api.js';
import { fillNodes, t, tn } from './i18n.js';
import { closeQrDialog, openQrDialog } from './qr.js';
import * as sessionStore from './store.js';
import {
  confirmDialog, el, field, formatPhone, pageHead, reportError, setBadge, showErrors,
  statusBadge, timeEl, toast, withBusy,
} from './ui.js';

const STARTED = ['initializing', 'qr_ready', 'authenticating', 'ready'];

const ACTIONS = [
  { action: 'start', label: t('Start'), className: 'btn btn-sm btn-primary', enabled: (s) => ['created', 'disconnected', 'failed'].includes(s) },
  { action: 'qr', label: t('Show QR'), className: 'btn btn-sm', enabled: (s) => ['initializing', 'qr_ready'].includes(s) },
  { action: 'stop', label: t('Stop'), className: 'btn btn-sm', enabled: (s) => STARTED.includes(s) },
  { action: 'restart', label: t('Restart'), className: 'btn btn-sm', enabled: (s) => s !== 'created' },
  { action: 'logout', label: t('Log out'), className: 'btn btn-sm', enabled: (s) => STARTED.includes(s) },
  { action: 'force-kill', label: t('Force kill'), className: 'btn btn-sm', enabled: (s) => STARTED.includes(s) },
  { action: 'proxy', label: t('Proxy'), className: 'btn btn-sm', enabled: () => true },
  { action: 'delete', label: t('Delete'), className: 'btn btn-sm btn-danger-text', enabled: () => true },
];

// Whole sentences, so that each language words them its own way.
const DONE = {
  start: (name) => t('Session “{name}” started.', { name }),
  stop: (name) => t('Session “{name}” stopped.', { name }),
  restart: (name) => t('Session “{name}” restarted.', { name }),
  logout: (name) => t('Session “{name}” logged out.', { name }),
  'force-kill': (name) => t('Session “{name}” force-killed.', { name }),
};
const FAILED = {
  start: (name) => t('Could not start “{name}”', { name }),
  stop: (name) => t('Could not stop “{name}”', { name }),
  restart: (name) => t('Could not restart “{name}”', { name }),
  logout: (name) => t('Could not log out “{name}”', { name }),
  'force-kill': (name) => t('Could not force kill “{name}”', { name }),
  delete: (name) => t('Could not delete “{name}”', { name }),
};

const PAGE_SIZE = 50;
const STATUSES = ['created', 'initializing', 'qr_ready', 'authenticating', 'ready', 'disconnected', 'failed'];
const SORTS = {
  newest: { label: t('Newest first'), compare: null },
  oldest: { label: t('Oldest first'), compare: (a, b) => (Date.parse(a.createdAt) || 0) - (Date.parse(b.createdAt) || 0) },
  name: { label: t('Name A–Z'), compare: (a, b) => String(a.name).localeCompare(String(b.name)) },
  status: { label: t('Status'), compare: (a, b) => STATUSES.indexOf(a.status) - STATUSES.indexOf(b.status) || String(a.name).localeCompare(String(b.name)) },
};

/** True when a session matches the search text (name, phone or push name, case-insensitive). */
function matches(session, needle) {
  if (!needle) return true;
  const digits = needle.replace(/[^0-9]/g, '');
  const hay = `${session.name || ''} ${session.pushName || ''}`.toLowerCase();
  return hay.includes(needle) || Boolean(digits && session.phone && String(session.phone).includes(digits));
}

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
      el('option', { value: 'whatsapp' }, 'WhatsApp'),
      el('option', { value: 'sandbox' }, t('Sandbox (simulated phone)')),
    );
    // The daemon's own default (ENGINE_TYPE): what a session created without an engine gets.
    const pickDefaultEngine = () => {
      serverInfo()
        .then((info) => {
          if (disposed || !info || !info.defaultEngine) return;
          engineSelect.value = info.defaultEngine;
          engineSelect.dataset.default = info.defaultEngine;
        })
        .catch(() => {
          /* the API's own default applies: leave the first option */
        });
    };
    pickDefaultEngine();
    const proxyInput = el('input', {
      id: 'session-proxy', name: 'proxyUrl', type: 'url', autocomplete: 'off', spellcheck: 'false', maxLength: 255,
      placeholder: 'socks5://user:pass@10.0.0.2:1080', class: 'mono-input',
    });
    const submit = el('button', { type: 'submit', class: 'btn btn-primary' }, t('Create session'));
    const errors = el('div', { id: 'session-create-errors', class: 'form-errors', role: 'alert', hidden: true });
    const form = el(
      'form',
      { id: 'session-create', class: 'form', novalidate: true, 'aria-labelledby': 'session-create-title' },
      el(
        'div',
        { class: 'form-row form-row-create' },
        field(t('Name'), nameInput, t('3–50 letters, numbers and hyphens.')),
        field(t('Engine'), engineSelect, t('Sandbox plays the phone itself: for trying things out.')),
        el('div', { class: 'form-actions' }, submit),
      ),
      field(t('Proxy (optional)'), proxyInput, t('The engine reaches WhatsApp through it: http, https, socks4 or socks5.')),
      errors,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      showErrors(errors, null);
      nameInput.removeAttribute('aria-invalid');
      const name = nameInput.value.trim();
      await withBusy(submit, async () => {
        try {
          const body = { name, engine: engineSelect.value };
          if (proxyInput.value.trim()) body.proxyUrl = proxyInput.value.trim();
          const session = await api.post('/api/sessions', body);
          ctx.live.subscribeSession(session.id);
          highlightId = session.id;
          sessionStore.apply(session);
          form.reset();
          if (engineSelect.dataset.default) engineSelect.value = engineSelect.dataset.default;
          toast(t('Session “{name}” created. Start it to link a phone.', { name: session.name }), 'success');
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
      el('div', { class: 'card-head' }, el('h2', { id: 'session-create-title' }, t('New session'))),
      form,
    );
  }

  // ---- table ----
  const tbody = el('tbody');
  const actionsHead = t('Actions');
  const headers = [t('Name'), t('Status'), t('Phone'), t('Last error')];
  if (canWrite) headers.push(actionsHead);
  const table = el(
    'table',
    { id: 'sessions-table', class: 'data-table responsive' },
    el('caption', { class: 'visually-hidden' }, t('Sessions, newest first')),
    el('thead', null, el('tr', null, headers.map((h) => el('th', { scope: 'col', class: h === actionsHead ? 'col-actions' : null }, h)))),
    tbody,
  );
  const emptyState = el(
    'div',
    { id: 'sessions-empty', class: 'empty-state', hidden: true },
    el('strong', null, t('No sessions yet')),
    el('p', null, canWrite ? t('Create one above, then start it and scan the QR code with WhatsApp.') : t('An operator or admin can create one.')),
  );
  const noMatch = el('div', { id: 'sessions-no-match', class: 'empty-state', hidden: true }, el('strong', null, t('No session matches')), el('p', null, t('Change the search or the status filter.')));
  const loading = el('p', { class: 'empty-state', role: 'status' }, t('Loading sessions…'));

  // ---- finding: search, status, sort, pages ----
  const view = { needle: '', status: '', sort: 'newest', page: 0 };
  const searchInput = el('input', {
    id: 'sessions-search', type: 'search', autocomplete: 'off', spellcheck: 'false', placeholder: t('Name or phone'),
    // 'change' too: a field cleared by a script (or autofill) fires no input event.
    on: { input: () => onSearch(), change: () => onSearch() },
  });
  function onSearch() {
    const needle = searchInput.value.trim().toLowerCase();
    if (needle === view.needle) return;
    view.needle = needle;
    view.page = 0;
    render();
  }
  const statusFilter = el(
    'select',
    { id: 'sessions-status-filter', on: { change: () => { view.status = statusFilter.value; view.page = 0; render(); } } },
    el('option', { value: '' }, t('Any status')),
    STATUSES.map((st) => el('option', { value: st }, st.replace('_', ' '))),
  );
  const sortSelect = el(
    'select',
    { id: 'sessions-sort', on: { change: () => { view.sort = sortSelect.value; view.page = 0; render(); } } },
    Object.entries(SORTS).map(([value, def]) => el('option', { value }, def.label)),
  );
  const toolbar = el(
    'div',
    { class: 'toolbar', role: 'search', 'aria-label': t('Find sessions') },
    field(t('Search'), searchInput),
    field(t('Status'), statusFilter),
    field(t('Sort'), sortSelect),
  );
  const pageInfo = el('span', { id: 'sessions-page-info', class: 'cell-secondary', 'aria-live': 'polite' });
  const prev = el('button', { type: 'button', id: 'sessions-prev', class: 'btn btn-sm', on: { click: () => { view.page -= 1; render(); } } }, t('Previous'));
  const next = el('button', { type: 'button', id: 'sessions-next', class: 'btn btn-sm', on: { click: () => { view.page += 1; render(); } } }, t('Next'));
  const pager = el('nav', { class: 'pager', 'aria-label': t('Session pages'), hidden: true }, prev, pageInfo, next);
  const summary = el('p', { class: 'card-sub', id: 'sessions-summary', 'aria-live': 'polite' });
  const reload = el('button', { type: 'button', id: 'sessions-refresh', class: 'btn btn-sm btn-ghost', on: { click: () => load() } }, t('Refresh'));

  root.append(
    ...[
      pageHead(t('Sessions'), t('Each session is one linked WhatsApp account. Start a session, scan its QR code, and it is ready to send and receive.')),
      createCard,
      el(
        'section',
        { class: 'card card-flush', 'aria-labelledby': 'sessions-title' },
        el('div', { class: 'card-head' }, el('div', null, el('h2', { id: 'sessions-title' }, t('All sessions')), summary), reload),
        toolbar,
        el('div', { class: 'table-wrap' }, table),
        loading,
        emptyState,
        noMatch,
        pager,
      ),
    ].filter(Boolean),
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
      el('td', { class: 'cell-title', 'data-label': t('Name') }, el('div', null, refs.name, refs.engine), refs.created),
      el('td', { 'data-label': t('Status') }, el('div', null, refs.badge)),
      el('td', { 'data-label': t('Phone') }, el('div', null, refs.phone, refs.pushName)),
      el('td', { 'data-label': t('Last error') }, el('div', null, refs.lastError)),
    );
    if (canWrite) {
      const cell = el('div', { class: 'actions' });
      for (const def of ACTIONS) {
        const button = el('button', { type: 'button', class: def.className, dataset: { action: def.action } }, def.label);
        button.addEventListener('click', () => runAction(session.id, def.action, button));
        refs.buttons[def.action] = button;
        cell.append(button);
      }
      tr.append(el('td', { class: 'col-actions', 'data-label': actionsHead }, cell));
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
    refs.created.replaceChildren(...fillNodes(t('Created {time}'), { time: timeEl(s.createdAt) }));
    setBadge(refs.badge, s.status);
    if (s.phone) {
      refs.phone.textContent = formatPhone(s.phone);
      refs.phone.classList.remove('not-linked');
    } else {
      refs.phone.textContent = t('Not linked');
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
    const everything = sessionStore.all();
    for (const session of everything) ctx.live.subscribeSession(session.id);
    let found = everything.filter((x) => (!view.status || x.status === view.status) && matches(x, view.needle));
    const compare = SORTS[view.sort] && SORTS[view.sort].compare;
    if (compare) found = found.slice().sort(compare);
    const pages = Math.max(1, Math.ceil(found.length / PAGE_SIZE));
    view.page = Math.min(Math.max(0, view.page), pages - 1);
    const list = found.slice(view.page * PAGE_SIZE, (view.page + 1) * PAGE_SIZE);
    pager.hidden = found.length <= PAGE_SIZE;
    prev.disabled = view.page === 0;
    next.disabled = view.page >= pages - 1;
    pageInfo.textContent = found.length
      ? t('{from}–{to} of {total}', { from: view.page * PAGE_SIZE + 1, to: view.page * PAGE_SIZE + list.length, total: found.length })
      : '';
    noMatch.hidden = found.length > 0 || everything.length === 0;
    const seen = new Set();
    for (const session of list) {
      seen.add(session.id);
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
    updateSummary(everything);
  }

  function updateSummary(all) {
    loading.hidden = true;
    emptyState.hidden = all.length > 0;
    const ready = all.filter((s) => s.status === 'ready').length;
    const failed = all.filter((s) => s.status === 'failed').length;
    const parts = [tn(all.length, '{n} session', '{n} sessions')];
    // "ready" and "failed" do not change in English, but do in other languages.
    if (all.length) parts.push(tn(ready, '{n} ready', '{n} ready'));
    if (failed) parts.push(tn(failed, '{n} failed', '{n} failed'));
    summary.textContent = parts.join(' · ');
  }

  async function load() {
    try {
      await sessionView.load();
    } catch (err) {
      if (disposed) return;
      loading.textContent = t('Could not load sessions.');
      reportError(err, t('Could not load sessions'));
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
      openQrDialog(session, ctx, button);
      return;
    }
    if (action === 'proxy') {
      editProxy(session, button);
      return;
    }

    const CONFIRM = {
      delete: {
        title: t('Delete session?'),
        message: t('Delete session “{name}”? Its engine stops, and its device keys, messages, webhooks and batches are deleted. This cannot be undone.', { name: session.name }),
        confirmLabel: t('Delete session'),
      },
      logout: {
        title: t('Log out?'),
        message: t('Log out “{name}”? The phone is unlinked: it shows this device gone, and linking again needs a new QR scan.', { name: session.name }),
        confirmLabel: t('Log out'),
      },
      'force-kill': {
        title: t('Force kill?'),
        message: t('Tear down the engine of “{name}” at once, without a clean stop? The link is kept: Start connects again without a QR.', { name: session.name }),
        confirmLabel: t('Force kill'),
      },
    };
    if (CONFIRM[action]) {
      const ok = await confirmDialog(CONFIRM[action]);
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
          toast(t('Session “{name}” deleted.', { name: session.name }), 'success');
          return;
        }
        const updated = await api.post(path`/api/sessions/${id}/${action}`);
        entry.busy = false;
        sessionStore.apply(updated);
        toast(DONE[action](session.name), 'success');
        if (action === 'start') openQrDialog(updated, ctx, button);
      });
    } catch (err) {
      reportError(err, FAILED[action](session.name));
      refresh(id);
    } finally {
      const current = rows.get(id);
      if (current) {
        current.busy = false;
        paint(current);
      }
    }
  }

  // ---- proxy ----
  // One dialog for the page, built on first use: the proxy's URL is never shown back (it may hold
  // credentials), only its type and host; a change takes effect at the session's next start.
  let proxyDialog = null;
  function editProxy(session, opener) {
    if (!proxyDialog) proxyDialog = buildProxyDialog();
    const d = proxyDialog;
    d.session = session;
    d.opener = opener;
    d.title.textContent = t('Proxy of “{name}”', { name: session.name });
    d.input.value = '';
    d.current.textContent = t('Reading…');
    showErrors(d.errors, null);
    d.node.showModal();
    d.input.focus();
    api
      .get(path`/api/sessions/${session.id}/proxy`)
      .then((p) => {
        if (d.session !== session) return;
        d.current.textContent = p.enabled
          ? t('Now: {type} via {host}{auth}', { type: p.proxyType, host: p.proxyHost, auth: p.hasCredentials ? t(', with credentials') : '' })
          : t('Now: no proxy, the engine connects directly.');
        d.remove.disabled = !p.enabled;
      })
      .catch((err) => {
        d.current.textContent = '';
        reportError(err, t('Could not read the proxy'));
      });
  }

  function buildProxyDialog() {
    const title = el('h2', { id: 'proxy-title', class: 'dialog-title' });
    const current = el('p', { id: 'proxy-current', class: 'dialog-text', role: 'status' });
    const input = el('input', { id: 'proxy-url', type: 'url', autocomplete: 'off', spellcheck: 'false', maxLength: 255, class: 'mono-input', placeholder: 'http://10.0.0.2:3128' });
    const errors = el('div', { id: 'proxy-errors', class: 'form-errors', role: 'alert', hidden: true });
    const save = el('button', { type: 'submit', class: 'btn btn-primary' }, t('Save proxy'));
    const remove = el('button', { type: 'button', id: 'proxy-remove', class: 'btn btn-danger-text' }, t('Remove proxy'));
    const cancel = el('button', { type: 'button', class: 'btn', on: { click: () => node.close() } }, t('Cancel'));
    const form = el(
      'form',
      { id: 'proxy-form', class: 'form', novalidate: true },
      current,
      field(t('New proxy URL'), input, t('Takes effect at the next start; a running session keeps its connection.')),
      errors,
      el('div', { class: 'dialog-actions' }, cancel, remove, save),
    );
    const node = el('dialog', { id: 'proxy-dialog', class: 'dialog', 'aria-labelledby': 'proxy-title' }, title, form);
    document.body.append(node);
    const d = { node, title, current, input, errors, remove, session: null, opener: null };
    const send = (proxyUrl, button) =>
      withBusy(button, async () => {
        showErrors(errors, null);
        try {
          await api.patch(path`/api/sessions/${d.session.id}/proxy`, { proxyUrl });
          toast(proxyUrl ? t('Proxy saved: it applies from the next start.') : t('Proxy removed: the next start connects directly.'), 'success');
          node.close();
        } catch (err) {
          if (!isSignedOut(err)) showErrors(errors, err);
        }
      });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!input.value.trim()) {
        showErrors(errors, [t('Enter the proxy URL, or use Remove proxy.')]);
        input.focus();
        return;
      }
      send(input.value.trim(), save);
    });
    remove.addEventListener('click', () => send(null, remove));
    node.addEventListener('close', () => {
      if (d.opener && d.opener.isConnected) d.opener.focus();
    });
    return d;
  }

  // ---- live updates ----
  // The store has already applied what the event says; read the session back for the rest.
  const READ_BACK = new Set(['session.created', 'session.status', 'session.authenticated', 'session.disconnected']);
  offs.push(
    ctx.live.on('event', (payload) => {
      const id = payload.sessionId || (payload.data && payload.data.sessionId);
      if (!id) return;
      if (payload.event === 'session.deleted') {
        closeQrDialog(id);
        ctx.live.forgetSession(id);
      } else if (READ_BACK.has(payload.event)) refresh(id);
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
    if (proxyDialog) proxyDialog.node.remove();
    clearInterval(poll);
    clearTimeout(flushTimer);
    sessionView.stop();
    for (const off of offs) off();
  };
}
