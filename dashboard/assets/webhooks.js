// Webhooks page (/webhooks): per-session webhook list, create/edit form, test delivery, delete.

import { api, isSignedOut, path } from './api.js';
import * as sessionStore from './store.js';
import {
  confirmDialog, el, field, fillSessionPicker, pageHead, plural, reportError, sessionPicker, showErrors, timeEl,
  toast, withBusy,
} from './ui.js';

export const WEBHOOK_EVENTS = [
  'message.received',
  'message.sent',
  'message.ack',
  'message.failed',
  'message.revoked',
  'message.reaction',
  'session.status',
  'session.qr',
  'session.authenticated',
  'session.disconnected',
];

const REMEMBER_KEY = 'openwa.webhooks.session';

export function mount(root, ctx) {
  const offs = [];
  let disposed = false;
  let selectedId = null;
  let editing = null; // webhook being edited, or null when creating
  let loadSeq = 0;
  const rows = new Map(); // webhook id -> { hook, tr }

  // ---- session picker ----
  const sessionSelect = sessionPicker({ id: 'webhook-session', name: 'session' });
  const noSessions = el(
    'div',
    { id: 'webhook-no-sessions', class: 'notice', hidden: true },
    'There is no session yet. Webhooks belong to a session: create one on the ',
    el('a', { href: '/sessions' }, 'Sessions'),
    ' page first.',
  );

  // ---- table ----
  const tbody = el('tbody');
  const table = el(
    'table',
    { id: 'webhooks-table', class: 'data-table responsive' },
    el('caption', { class: 'visually-hidden' }, 'Webhooks of the selected session'),
    el(
      'thead',
      null,
      el('tr', null, ['URL', 'Events', 'State', 'Retries', 'Last triggered', 'Actions'].map((h) => el('th', { scope: 'col', class: h === 'Actions' ? 'col-actions' : null }, h))),
    ),
    tbody,
  );
  const tableEmpty = el('p', { class: 'empty-state', id: 'webhooks-empty', role: 'status' }, 'Loading…');
  const tableSub = el('p', { class: 'card-sub' });

  // ---- form ----
  const formTitle = el('h2', { id: 'webhook-form-title' }, 'Add a webhook');
  const urlInput = el('input', {
    id: 'webhook-url',
    name: 'url',
    type: 'url',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    maxLength: 2048,
    placeholder: 'https://example.com/hooks/whatsapp',
    class: 'mono-input',
  });
  const allBox = el('input', { type: 'checkbox', name: 'event', value: '*', id: 'webhook-event-all' });
  const eventBoxes = WEBHOOK_EVENTS.map((name) =>
    el('input', { type: 'checkbox', name: 'event', value: name, id: `webhook-event-${name.replace('.', '-')}`, checked: name === 'message.received' }),
  );
  const eventsFieldset = el(
    'fieldset',
    { class: 'field', id: 'webhook-events' },
    el('legend', null, 'Events'),
    el(
      'div',
      { class: 'check-grid' },
      el('label', { class: 'check check-all', for: allBox.id }, allBox, 'All events'),
      eventBoxes.map((box) => el('label', { class: 'check', for: box.id }, box, el('code', null, box.value))),
    ),
  );
  const secretInput = el('input', {
    id: 'webhook-secret',
    name: 'secret',
    type: 'password',
    autocomplete: 'new-password',
    maxLength: 255,
    class: 'mono-input',
  });
  const secretField = field('Signing secret (optional)', secretInput, 'When set, each delivery carries X-OpenWA-Signature: sha256=HMAC(secret, body).');
  const secretHint = secretField.querySelector('.hint');
  const retryInput = el('input', { id: 'webhook-retry', name: 'retryCount', type: 'number', min: '0', max: '5', step: '1', value: '3', inputMode: 'numeric' });
  const activeInput = el('input', { id: 'webhook-active', name: 'active', type: 'checkbox', checked: true });
  const activeField = el(
    'div',
    { class: 'field', id: 'webhook-active-field', hidden: true },
    el('span', { class: 'field-label', 'aria-hidden': 'true' }, 'State'),
    el('label', { class: 'check', for: 'webhook-active' }, activeInput, 'Active (uncheck to pause deliveries)'),
  );
  const errors = el('div', { id: 'webhook-errors', class: 'form-errors', role: 'alert', hidden: true });
  const submit = el('button', { type: 'submit', class: 'btn btn-primary' }, 'Add webhook');
  const cancelEdit = el('button', { type: 'button', id: 'webhook-cancel', class: 'btn', hidden: true }, 'Cancel edit');
  const form = el(
    'form',
    { id: 'webhook-form', class: 'form', novalidate: true, 'aria-labelledby': 'webhook-form-title' },
    field('URL', urlInput, 'Must be reachable from the server over http(s). Private and loopback addresses are refused.'),
    eventsFieldset,
    el('div', { class: 'form-row form-row-3' }, secretField, field('Retries', retryInput, '0–5 attempts after a failed delivery.'), activeField),
    errors,
    el('div', { class: 'form-actions' }, submit, cancelEdit),
  );

  const formCard = el('section', { class: 'card', 'aria-labelledby': 'webhook-form-title' }, el('div', { class: 'card-head' }, formTitle), form);

  root.append(
    pageHead('Webhooks', 'OpenWA POSTs events of a session to your URL, signed when a secret is set, and retries failed deliveries.'),
    el('section', { class: 'card', 'aria-label': 'Session' }, el('div', { class: 'form-row form-row-2' }, field('Session', sessionSelect)), noSessions),
    el(
      'section',
      { class: 'card card-flush', 'aria-labelledby': 'webhooks-title' },
      el('div', { class: 'card-head' }, el('div', null, el('h2', { id: 'webhooks-title' }, 'Webhooks'), tableSub)),
      el('div', { class: 'table-wrap' }, table),
      tableEmpty,
    ),
    formCard,
  );

  // ---- events picker behaviour ----
  let formDisabled = false;
  function syncAll() {
    for (const box of eventBoxes) {
      box.disabled = allBox.checked || formDisabled;
      box.closest('label').classList.toggle('is-disabled', allBox.checked);
    }
  }
  allBox.addEventListener('change', syncAll);

  function setEvents(events) {
    const list = Array.isArray(events) && events.length ? events : ['message.received'];
    allBox.checked = list.includes('*');
    for (const box of eventBoxes) box.checked = !allBox.checked && list.includes(box.value);
    syncAll();
  }

  function selectedEvents() {
    if (allBox.checked) return ['*'];
    return eventBoxes.filter((b) => b.checked).map((b) => b.value);
  }

  // ---- form modes ----
  function startCreate() {
    editing = null;
    form.reset();
    setEvents(['message.received']);
    retryInput.value = '3';
    activeField.hidden = true;
    cancelEdit.hidden = true;
    formTitle.textContent = 'Add a webhook';
    submit.textContent = 'Add webhook';
    secretInput.placeholder = '';
    secretHint.textContent = 'When set, each delivery carries X-OpenWA-Signature: sha256=HMAC(secret, body).';
    showErrors(errors, null);
    for (const { tr } of rows.values()) tr.classList.remove('is-editing');
  }

  function startEdit(hook) {
    editing = hook;
    form.reset();
    urlInput.value = hook.url || '';
    setEvents(hook.events);
    retryInput.value = String(hook.retryCount ?? 3);
    activeInput.checked = hook.active !== false;
    activeField.hidden = false;
    cancelEdit.hidden = false;
    secretInput.value = '';
    secretInput.placeholder = 'Unchanged';
    secretHint.textContent = 'Leave empty to keep the current secret.';
    formTitle.textContent = 'Edit webhook';
    submit.textContent = 'Save changes';
    showErrors(errors, null);
    for (const [id, { tr }] of rows) tr.classList.toggle('is-editing', id === hook.id);
    formCard.scrollIntoView({ behavior: 'smooth', block: 'start' });
    urlInput.focus({ preventScroll: true });
  }

  cancelEdit.addEventListener('click', () => {
    startCreate();
    urlInput.focus();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showErrors(errors, null);
    if (!selectedId) {
      showErrors(errors, ['Pick a session first.']);
      return;
    }
    const events = selectedEvents();
    const problems = [];
    if (!urlInput.value.trim()) problems.push('Enter the URL to deliver to.');
    if (!events.length) problems.push('Pick at least one event.');
    if (problems.length) {
      showErrors(errors, problems);
      return;
    }
    const body = { url: urlInput.value.trim(), events };
    if (retryInput.value !== '') body.retryCount = Number(retryInput.value);
    if (secretInput.value) body.secret = secretInput.value;
    const target = editing;
    const sessionId = selectedId;
    if (target) body.active = activeInput.checked;

    await withBusy(submit, async () => {
      try {
        if (target) {
          const updated = await api.put(path`/api/sessions/${sessionId}/webhooks/${target.id}`, body);
          if (disposed || sessionId !== selectedId) return;
          upsertRow(updated);
          toast('Webhook saved.', 'success');
        } else {
          const created = await api.post(path`/api/sessions/${sessionId}/webhooks`, body);
          if (disposed || sessionId !== selectedId) return;
          upsertRow(created, { top: true });
          toast('Webhook added. Use “Test” to send it a sample event.', 'success');
        }
        startCreate();
      } catch (err) {
        if (disposed || isSignedOut(err)) return;
        showErrors(errors, err);
      }
    });
  });

  // ---- rows ----
  function eventsCell(events) {
    const list = Array.isArray(events) ? events : [];
    if (list.includes('*')) return el('div', { class: 'chips' }, el('span', { class: 'chip' }, 'All events'));
    return el('div', { class: 'chips' }, list.map((e) => el('span', { class: 'chip' }, e)));
  }

  function buildRow(hook) {
    const tr = el('tr', { dataset: { webhookId: hook.id } });
    fillRow(tr, hook);
    return tr;
  }

  function fillRow(tr, hook) {
    const actions = el(
      'div',
      { class: 'actions' },
      el('button', { type: 'button', class: 'btn btn-sm', dataset: { action: 'edit' }, 'aria-label': `Edit webhook ${hook.url}`, on: { click: () => startEdit(rows.get(hook.id).hook) } }, 'Edit'),
      el('button', { type: 'button', class: 'btn btn-sm', dataset: { action: 'test' }, 'aria-label': `Test webhook ${hook.url}`, on: { click: (e) => testHook(hook.id, e.currentTarget) } }, 'Test'),
      el('button', { type: 'button', class: 'btn btn-sm btn-danger-text', dataset: { action: 'delete' }, 'aria-label': `Delete webhook ${hook.url}`, on: { click: (e) => deleteHook(hook.id, e.currentTarget) } }, 'Delete'),
    );
    const active = hook.active !== false;
    tr.replaceChildren(
      el('td', { class: 'cell-title', 'data-label': 'URL' }, el('div', { class: 'cell-url webhook-url' }, hook.url)),
      el('td', { 'data-label': 'Events' }, eventsCell(hook.events)),
      el('td', { 'data-label': 'State' }, el('div', null, el('span', { class: 'badge webhook-active', dataset: { status: active ? 'active' : 'paused', active: String(active) } }, active ? 'Active' : 'Paused'))),
      el('td', { 'data-label': 'Retries' }, el('div', { class: 'webhook-retry' }, String(hook.retryCount ?? ''))),
      el('td', { 'data-label': 'Last triggered' }, el('div', { class: 'webhook-last' }, timeEl(hook.lastTriggeredAt, { empty: 'Never' }))),
      el('td', { class: 'col-actions', 'data-label': 'Actions' }, actions),
    );
    if (editing && editing.id === hook.id) tr.classList.add('is-editing');
  }

  function upsertRow(hook, { top = false } = {}) {
    const entry = rows.get(hook.id);
    if (entry) {
      entry.hook = hook;
      fillRow(entry.tr, hook);
    } else {
      const tr = buildRow(hook);
      rows.set(hook.id, { hook, tr });
      if (top) tbody.prepend(tr);
      else tbody.append(tr);
    }
    updateEmpty();
  }

  function updateEmpty() {
    const n = rows.size;
    tableEmpty.hidden = n > 0;
    tableEmpty.textContent = selectedId ? 'No webhooks for this session yet. Add one with the form.' : 'Pick a session.';
    tableSub.textContent = selectedId ? plural(n, 'webhook') : '';
  }

  async function testHook(id, button) {
    const sessionId = selectedId;
    await withBusy(button, async () => {
      try {
        const outcome = await api.post(path`/api/sessions/${sessionId}/webhooks/${id}/test`, {});
        const status = outcome && outcome.statusCode ? `HTTP ${outcome.statusCode}` : null;
        const took = outcome && typeof outcome.durationMs === 'number' ? `${outcome.durationMs} ms` : null;
        const error = outcome && outcome.error ? String(outcome.error) : null;
        if (outcome && outcome.success) {
          toast([['Delivered', status, took].filter(Boolean).join(' · ')], 'success', { title: 'Test event delivered' });
        } else {
          const showStatus = status && !(error && error.includes(String(outcome.statusCode)));
          const detail = [error, showStatus ? status : null, took].filter(Boolean).join(' · ');
          toast([detail || 'The receiver did not accept the test event.'], 'error', { title: 'Test delivery failed' });
        }
        refreshOne(sessionId, id);
      } catch (err) {
        reportError(err, 'Could not test the webhook');
      }
    });
  }

  async function refreshOne(sessionId, id) {
    try {
      const hook = await api.get(path`/api/sessions/${sessionId}/webhooks/${id}`);
      if (!disposed && sessionId === selectedId) upsertRow(hook);
    } catch {
      /* the list stays as it was */
    }
  }

  async function deleteHook(id, button) {
    const entry = rows.get(id);
    if (!entry) return;
    const ok = await confirmDialog({
      title: 'Delete webhook?',
      message: `Stop sending events to ${entry.hook.url} and delete this webhook? Deliveries still queued for it are dropped.`,
      confirmLabel: 'Delete webhook',
    });
    if (!ok) return;
    const sessionId = selectedId;
    await withBusy(button, async () => {
      try {
        await api.del(path`/api/sessions/${sessionId}/webhooks/${id}`);
        const current = rows.get(id);
        if (current) current.tr.remove();
        rows.delete(id);
        if (editing && editing.id === id) startCreate();
        updateEmpty();
        toast('Webhook deleted.', 'success');
      } catch (err) {
        reportError(err, 'Could not delete the webhook');
      }
    });
  }

  // ---- loading ----
  async function loadWebhooks() {
    const seq = ++loadSeq;
    rows.clear();
    tbody.replaceChildren();
    if (editing) startCreate();
    if (!selectedId) {
      updateEmpty();
      return;
    }
    tableEmpty.hidden = false;
    tableEmpty.textContent = 'Loading webhooks…';
    try {
      const list = await api.get(path`/api/sessions/${selectedId}/webhooks`);
      if (disposed || seq !== loadSeq) return;
      for (const hook of Array.isArray(list) ? list : []) upsertRow(hook);
      updateEmpty();
    } catch (err) {
      if (disposed || seq !== loadSeq) return;
      tableEmpty.textContent = 'Could not load webhooks.';
      reportError(err, 'Could not load webhooks');
    }
  }

  async function loadSessions() {
    let sessions;
    try {
      sessions = await sessionStore.load();
      if (disposed) return;
    } catch (err) {
      if (!disposed) reportError(err, 'Could not load sessions');
      return;
    }
    const previous = selectedId || sessionStorage.getItem(REMEMBER_KEY);
    fillSessionPicker(sessionSelect, sessions, { label: (s) => `${s.name} · ${s.status}`, chosen: [previous] });
    noSessions.hidden = sessions.length > 0;
    formDisabled = sessions.length === 0;
    for (const node of form.querySelectorAll('input, button')) node.disabled = formDisabled;
    syncAll();
    const keep = sessionSelect.value || null;
    const changed = keep !== selectedId;
    selectedId = keep;
    if (changed) loadWebhooks();
    else updateEmpty();
  }

  sessionSelect.addEventListener('change', () => {
    selectedId = sessionSelect.value || null;
    if (selectedId) {
      try {
        sessionStorage.setItem(REMEMBER_KEY, selectedId);
      } catch {
        /* not remembered */
      }
    }
    loadWebhooks();
  });

  offs.push(ctx.live.on('resync', () => loadSessions()));

  startCreate();
  loadSessions();

  return () => {
    disposed = true;
    for (const off of offs) off();
  };
}
