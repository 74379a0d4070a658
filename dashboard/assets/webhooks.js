// Webhooks page (/webhooks): per-session webhook list, create/edit form with a filter builder
// (conditions on the message, all must hold), test delivery, delete; for admins, the session's
// deliveries that failed for good, each retried or all redriven.

import { api, isSignedOut, path } from './api.js';
import { fillNodes, t, tn } from './i18n.js';
import * as sessionStore from './store.js';
import {
  confirmDialog, el, field, fillSessionPicker, pageHead, reportError, sessionPicker, showErrors, timeEl,
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
  'message.poll_vote',
  'group.join',
  'group.leave',
  'group.update',
  'presence.update',
  'contact.update',
  'chat.update',
  'call.received',
  'call.rejected',
  'call.missed',
];

// What a filter condition can look at, and how (API.md §6; README "Filters").
const FILTER_FIELDS = ['sender', 'recipient', 'body', 'type', 'isGroup', 'fromMe', 'hasMedia', 'mentions'];
const BOOLEAN_FIELDS = new Set(['isGroup', 'fromMe', 'hasMedia']);
const FILTER_OPERATORS = [
  ['is', t('is')],
  ['isNot', t('is not')],
  ['contains', t('contains')],
  ['equals', t('equals')],
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
    fillNodes(t('There is no session yet. Webhooks belong to a session: create one on the {link} page first.'), {
      link: el('a', { href: '/sessions' }, t('Sessions')),
    }),
  );

  // ---- table ----
  const actionsHead = t('Actions');
  const tbody = el('tbody');
  const table = el(
    'table',
    { id: 'webhooks-table', class: 'data-table responsive' },
    el('caption', { class: 'visually-hidden' }, t('Webhooks of the selected session')),
    el(
      'thead',
      null,
      el('tr', null, [t('URL'), t('Events'), t('State'), t('Retries'), t('Last triggered'), actionsHead].map((h) => el('th', { scope: 'col', class: h === actionsHead ? 'col-actions' : null }, h))),
    ),
    tbody,
  );
  const tableEmpty = el('p', { class: 'empty-state', id: 'webhooks-empty', role: 'status' }, t('Loading…'));
  const tableSub = el('p', { class: 'card-sub' });

  // ---- form ----
  const formTitle = el('h2', { id: 'webhook-form-title' }, t('Add a webhook'));
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
    el('legend', null, t('Events')),
    el(
      'div',
      { class: 'check-grid' },
      el('label', { class: 'check check-all', for: allBox.id }, allBox, t('All events')),
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
  const secretField = field(t('Signing secret (optional)'), secretInput, t('When set, each delivery carries X-OpenWA-Signature: sha256=HMAC(secret, body).'));
  const secretHint = secretField.querySelector('.hint');
  // ---- filter builder ----
  const conditionList = el('ol', { id: 'webhook-conditions', class: 'condition-list' });
  const addCondition = el('button', { type: 'button', id: 'webhook-add-condition', class: 'btn btn-sm', on: { click: () => conditionRow() } }, t('Add a condition'));
  const filterFieldset = el(
    'fieldset',
    { class: 'field', id: 'webhook-filters' },
    el('legend', null, t('Only when (optional)')),
    el('p', { class: 'hint' }, t('Conditions on message.received and message.sent; every one must hold. Other events always pass.')),
    conditionList,
    addCondition,
  );
  let conditionSeq = 0;
  function conditionRow(condition = {}) {
    conditionSeq += 1;
    const n = conditionSeq;
    const fieldSelect = el('select', { id: `webhook-cond-field-${n}`, class: 'cond-field' }, FILTER_FIELDS.map((f) => el('option', { value: f }, f)));
    const opSelect = el('select', { id: `webhook-cond-op-${n}`, class: 'cond-op' }, FILTER_OPERATORS.map(([v, label]) => el('option', { value: v }, label)));
    const value = el('input', { id: `webhook-cond-value-${n}`, class: 'cond-value', type: 'text', autocomplete: 'off', spellcheck: 'false' });
    const caseBox = el('input', { id: `webhook-cond-case-${n}`, class: 'cond-case', type: 'checkbox' });
    fieldSelect.value = FILTER_FIELDS.includes(condition.field) ? condition.field : 'sender';
    opSelect.value = condition.operator || 'contains';
    value.value = condition.value === undefined || condition.value === null ? '' : String(condition.value);
    caseBox.checked = condition.caseSensitive === true;
    const item = el(
      'li',
      { class: 'condition' },
      el('label', { class: 'visually-hidden', for: fieldSelect.id }, t('Condition {n}: field', { n })),
      fieldSelect,
      el('label', { class: 'visually-hidden', for: opSelect.id }, t('Condition {n}: operator', { n })),
      opSelect,
      el('label', { class: 'visually-hidden', for: value.id }, t('Condition {n}: value', { n })),
      value,
      el('label', { class: 'check', for: caseBox.id }, caseBox, t('Match case')),
      el('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'aria-label': t('Remove condition {n}', { n }), on: { click: () => { item.remove(); addCondition.focus(); } } }, t('Remove')),
    );
    conditionList.append(item);
    if (!condition.field) fieldSelect.focus();
    return item;
  }
  function setConditions(filters) {
    conditionList.replaceChildren();
    const list = filters && Array.isArray(filters.conditions) ? filters.conditions : [];
    for (const c of list) conditionRow(c);
  }
  function readConditions() {
    return [...conditionList.children].map((item) => {
      const c = { field: item.querySelector('.cond-field').value, operator: item.querySelector('.cond-op').value, value: item.querySelector('.cond-value').value };
      // Yes/no fields compare with a boolean.
      if (BOOLEAN_FIELDS.has(c.field) && /^(true|false)$/i.test(c.value.trim())) c.value = c.value.trim().toLowerCase() === 'true';
      if (item.querySelector('.cond-case').checked) c.caseSensitive = true;
      return c;
    });
  }

  const retryInput = el('input', { id: 'webhook-retry', name: 'retryCount', type: 'number', min: '0', max: '5', step: '1', value: '3', inputMode: 'numeric' });
  const activeInput = el('input', { id: 'webhook-active', name: 'active', type: 'checkbox', checked: true });
  const activeField = el(
    'div',
    { class: 'field', id: 'webhook-active-field', hidden: true },
    el('span', { class: 'field-label', 'aria-hidden': 'true' }, t('State')),
    el('label', { class: 'check', for: 'webhook-active' }, activeInput, t('Active (uncheck to pause deliveries)')),
  );
  const errors = el('div', { id: 'webhook-errors', class: 'form-errors', role: 'alert', hidden: true });
  const submit = el('button', { type: 'submit', class: 'btn btn-primary' }, t('Add webhook'));
  const cancelEdit = el('button', { type: 'button', id: 'webhook-cancel', class: 'btn', hidden: true }, t('Cancel edit'));
  const form = el(
    'form',
    { id: 'webhook-form', class: 'form', novalidate: true, 'aria-labelledby': 'webhook-form-title' },
    field(t('URL'), urlInput, t('Must be reachable from the server over http(s). Private and loopback addresses are refused.')),
    eventsFieldset,
    filterFieldset,
    el('div', { class: 'form-row form-row-3' }, secretField, field(t('Retries'), retryInput, t('0–5 attempts after a failed delivery.')), activeField),
    errors,
    el('div', { class: 'form-actions' }, submit, cancelEdit),
  );

  const formCard = el('section', { class: 'card', 'aria-labelledby': 'webhook-form-title' }, el('div', { class: 'card-head' }, formTitle), form);

  // ---- deliveries that failed for good (admins) ----
  const failBody = el('tbody');
  const failSub = el('p', { class: 'card-sub', id: 'failures-summary', role: 'status' });
  const redrive = el('button', { type: 'button', id: 'failures-redrive', class: 'btn btn-sm', hidden: true, on: { click: (e) => redriveAll(e.currentTarget) } }, t('Retry all'));
  const failCard = ctx.hasRole('admin')
    ? el(
      'section',
      { class: 'card card-flush', 'aria-labelledby': 'failures-title', id: 'failures' },
      el('div', { class: 'card-head' }, el('div', null, el('h2', { id: 'failures-title' }, t('Failed deliveries')), failSub), redrive),
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          { id: 'failures-table', class: 'data-table responsive' },
          el('caption', { class: 'visually-hidden' }, t('Deliveries of this session that failed for good, newest first')),
          el('thead', null, el('tr', null, [t('Event'), t('URL'), t('Attempts'), t('Last error'), t('When'), actionsHead].map((h) => el('th', { scope: 'col', class: h === actionsHead ? 'col-actions' : null }, h)))),
          failBody,
        ),
      ),
    )
    : null;

  root.append(
    pageHead(t('Webhooks'), t('OpenWA POSTs events of a session to your URL, signed when a secret is set, and retries failed deliveries.')),
    el('section', { class: 'card', 'aria-label': t('Session') }, el('div', { class: 'form-row form-row-2' }, field(t('Session'), sessionSelect)), noSessions),
    el(
      'section',
      { class: 'card card-flush', 'aria-labelledby': 'webhooks-title' },
      el('div', { class: 'card-head' }, el('div', null, el('h2', { id: 'webhooks-title' }, t('Webhooks')), tableSub)),
      el('div', { class: 'table-wrap' }, table),
      tableEmpty,
    ),
    formCard,
    ...[failCard].filter(Boolean),
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
    setConditions(null);
    activeField.hidden = true;
    cancelEdit.hidden = true;
    formTitle.textContent = t('Add a webhook');
    submit.textContent = t('Add webhook');
    secretInput.placeholder = '';
    secretHint.textContent = t('When set, each delivery carries X-OpenWA-Signature: sha256=HMAC(secret, body).');
    showErrors(errors, null);
    for (const { tr } of rows.values()) tr.classList.remove('is-editing');
  }

  function startEdit(hook) {
    editing = hook;
    form.reset();
    urlInput.value = hook.url || '';
    setEvents(hook.events);
    setConditions(hook.filters);
    retryInput.value = String(hook.retryCount ?? 3);
    activeInput.checked = hook.active !== false;
    activeField.hidden = false;
    cancelEdit.hidden = false;
    secretInput.value = '';
    secretInput.placeholder = t('Unchanged');
    secretHint.textContent = t('Leave empty to keep the current secret.');
    formTitle.textContent = t('Edit webhook');
    submit.textContent = t('Save changes');
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
      showErrors(errors, [t('Pick a session first.')]);
      return;
    }
    const events = selectedEvents();
    const problems = [];
    if (!urlInput.value.trim()) problems.push(t('Enter the URL to deliver to.'));
    if (!events.length) problems.push(t('Pick at least one event.'));
    if (problems.length) {
      showErrors(errors, problems);
      return;
    }
    const conditions = readConditions();
    if (conditions.some((c) => typeof c.value === 'string' && c.value.trim() === '')) problems.push(t('Give every condition a value, or remove it.'));
    if (problems.length) {
      showErrors(errors, problems);
      return;
    }
    const body = { url: urlInput.value.trim(), events };
    // An edit that removed every condition clears the filters; a new webhook without any has none.
    if (conditions.length) body.filters = { conditions };
    else if (editing && editing.filters) body.filters = null;
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
          toast(t('Webhook saved.'), 'success');
        } else {
          const created = await api.post(path`/api/sessions/${sessionId}/webhooks`, body);
          if (disposed || sessionId !== selectedId) return;
          upsertRow(created, { top: true });
          toast(t('Webhook added. Use “Test” to send it a sample event.'), 'success');
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
    if (list.includes('*')) return el('div', { class: 'chips' }, el('span', { class: 'chip' }, t('All events')));
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
      el('button', { type: 'button', class: 'btn btn-sm', dataset: { action: 'edit' }, 'aria-label': t('Edit webhook {url}', { url: hook.url }), on: { click: () => startEdit(rows.get(hook.id).hook) } }, t('Edit')),
      el('button', { type: 'button', class: 'btn btn-sm', dataset: { action: 'test' }, 'aria-label': t('Test webhook {url}', { url: hook.url }), on: { click: (e) => testHook(hook.id, e.currentTarget) } }, t('Test')),
      el('button', { type: 'button', class: 'btn btn-sm btn-danger-text', dataset: { action: 'delete' }, 'aria-label': t('Delete webhook {url}', { url: hook.url }), on: { click: (e) => deleteHook(hook.id, e.currentTarget) } }, t('Delete')),
    );
    const active = hook.active !== false;
    tr.replaceChildren(
      el('td', { class: 'cell-title', 'data-label': t('URL') }, el('div', { class: 'cell-url webhook-url' }, hook.url)),
      el('td', { 'data-label': t('Events') }, eventsCell(hook.events)),
      el('td', { 'data-label': t('State') }, el('div', null, el('span', { class: 'badge webhook-active', dataset: { status: active ? 'active' : 'paused', active: String(active) } }, active ? t('Active') : t('Paused')))),
      el('td', { 'data-label': t('Retries') }, el('div', { class: 'webhook-retry' }, String(hook.retryCount ?? ''))),
      el('td', { 'data-label': t('Last triggered') }, el('div', { class: 'webhook-last' }, timeEl(hook.lastTriggeredAt, { empty: t('Never') }))),
      el('td', { class: 'col-actions', 'data-label': actionsHead }, actions),
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
    tableEmpty.textContent = selectedId ? t('No webhooks for this session yet. Add one with the form.') : t('Pick a session.');
    tableSub.textContent = selectedId ? tn(n, '{n} webhook', '{n} webhooks') : '';
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
          toast([[t('Delivered'), status, took].filter(Boolean).join(' · ')], 'success', { title: t('Test event delivered') });
        } else {
          const showStatus = status && !(error && error.includes(String(outcome.statusCode)));
          const detail = [error, showStatus ? status : null, took].filter(Boolean).join(' · ');
          toast([detail || t('The receiver did not accept the test event.')], 'error', { title: t('Test delivery failed') });
        }
        refreshOne(sessionId, id);
      } catch (err) {
        reportError(err, t('Could not test the webhook'));
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
      title: t('Delete webhook?'),
      message: t('Stop sending events to {url} and delete this webhook? Deliveries still queued for it are dropped.', { url: entry.hook.url }),
      confirmLabel: t('Delete webhook'),
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
        toast(t('Webhook deleted.'), 'success');
      } catch (err) {
        reportError(err, t('Could not delete the webhook'));
      }
    });
  }

  // ---- failed deliveries ----
  let failSeq = 0;
  async function loadFailures() {
    if (!failCard) return;
    const seq = ++failSeq;
    failBody.replaceChildren();
    redrive.hidden = true;
    if (!selectedId) {
      failSub.textContent = '';
      return;
    }
    try {
      const list = await api.get(`/api/webhooks/delivery-failures?sessionId=${encodeURIComponent(selectedId)}&limit=100`);
      if (disposed || seq !== failSeq) return;
      const failures = Array.isArray(list) ? list : [];
      failBody.replaceChildren(...failures.map(failureRow));
      failSub.textContent = failures.length
        ? tn(failures.length, '{n} delivery', '{n} deliveries')
        : t('None: every delivery of this session went through or is still being tried.');
      redrive.hidden = !failures.some((f) => f.replayable);
    } catch (err) {
      if (disposed || seq !== failSeq) return;
      failSub.textContent = t('Could not load the failed deliveries.');
      reportError(err, t('Could not load the failed deliveries'));
    }
  }

  function failureRow(f) {
    const retry = el('button', { type: 'button', class: 'btn btn-sm', dataset: { action: 'retry' }, disabled: !f.replayable, 'aria-label': t('Retry delivery {id}', { id: f.id }) }, t('Retry'));
    retry.addEventListener('click', () =>
      withBusy(retry, async () => {
        try {
          await api.post(path`/api/webhooks/delivery-failures/${f.id}/retry`, {});
          toast(t('Delivery queued again.'), 'success');
          loadFailures();
        } catch (err) {
          reportError(err, t('Could not retry the delivery'));
        }
      }));
    const error = [f.lastStatusCode ? `HTTP ${f.lastStatusCode}` : null, f.lastError].filter(Boolean).join(' · ');
    return el(
      'tr',
      { dataset: { deliveryId: f.id } },
      el('td', { 'data-label': t('Event') }, el('code', null, f.event)),
      el('td', { 'data-label': t('URL') }, el('div', { class: 'cell-url' }, f.url)),
      el('td', { 'data-label': t('Attempts') }, String(f.attempts)),
      el('td', { 'data-label': t('Last error') }, el('span', { class: 'last-error' }, error)),
      el('td', { 'data-label': t('When') }, timeEl(f.updatedAt)),
      el('td', { class: 'col-actions', 'data-label': actionsHead }, el('div', { class: 'actions' }, retry)),
    );
  }

  async function redriveAll(button) {
    const sessionId = selectedId;
    await withBusy(button, async () => {
      try {
        const result = await api.post('/api/webhooks/delivery-failures/redrive', { sessionId, limit: 500 });
        toast(tn(result.enqueued || 0, '{n} delivery queued again.', '{n} deliveries queued again.'), 'success');
        loadFailures();
      } catch (err) {
        reportError(err, t('Could not retry the deliveries'));
      }
    });
  }

  // ---- loading ----
  async function loadWebhooks() {
    loadFailures();
    const seq = ++loadSeq;
    rows.clear();
    tbody.replaceChildren();
    if (editing) startCreate();
    if (!selectedId) {
      updateEmpty();
      return;
    }
    tableEmpty.hidden = false;
    tableEmpty.textContent = t('Loading webhooks…');
    try {
      const list = await api.get(path`/api/sessions/${selectedId}/webhooks`);
      if (disposed || seq !== loadSeq) return;
      for (const hook of Array.isArray(list) ? list : []) upsertRow(hook);
      updateEmpty();
    } catch (err) {
      if (disposed || seq !== loadSeq) return;
      tableEmpty.textContent = t('Could not load webhooks.');
      reportError(err, t('Could not load webhooks'));
    }
  }

  // The picker follows the session store: sessions created, renamed by status or deleted by any
  // client show here without a reload.
  function applySessions() {
    if (disposed) return;
    const sessions = sessionStore.all();
    const previous = selectedId || sessionStorage.getItem(REMEMBER_KEY);
    fillSessionPicker(sessionSelect, sessions, { label: (s) => `${s.name} · ${s.status}`, chosen: [previous] });
    noSessions.hidden = sessions.length > 0;
    const none = sessions.length === 0;
    if (none !== formDisabled) {
      formDisabled = none;
      for (const node of form.querySelectorAll('input, button')) node.disabled = formDisabled;
      syncAll();
    }
    const keep = sessionSelect.value || null;
    const changed = keep !== selectedId;
    selectedId = keep;
    if (changed) loadWebhooks();
    else updateEmpty();
  }
  const sessionView = sessionStore.follow(applySessions);

  async function loadSessions() {
    try {
      await sessionView.load();
    } catch (err) {
      if (!disposed) reportError(err, t('Could not load sessions'));
    }
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
    sessionView.stop();
    for (const off of offs) off();
  };
}
