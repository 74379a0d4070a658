// API keys page (/keys, admin): list, create (secret shown once), revoke, delete.

import { api, isSignedOut, path } from './api.js';
import { fillNodes, t, tn } from './i18n.js';
import * as sessionStore from './store.js';
import {
  confirmDialog, el, field, fillSessionPicker, pageHead, pickedSessions, reportError, sessionPicker,
  showErrors, timeEl, toast, toDate, withBusy,
} from './ui.js';

function keyState(key) {
  if (!key.isActive) return 'revoked';
  const expires = toDate(key.expiresAt);
  if (expires && expires.getTime() <= Date.now()) return 'expired';
  return 'active';
}

const STATE_TEXT = { active: t('Active'), revoked: t('Revoked'), expired: t('Expired') };

export function mount(root, ctx) {
  const offs = [];
  let disposed = false;
  const rows = new Map(); // key id -> { key, tr }

  // ---- new key secret (shown once) ----
  const secretInput = el('input', { id: 'new-key-secret', type: 'text', readOnly: true, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'new-key-warning' });
  const copyButton = el('button', { type: 'button', id: 'copy-key', class: 'btn btn-primary' }, t('Copy'));
  const secretName = el('strong');
  const secretPanel = el(
    'section',
    { id: 'new-key-panel', class: 'card secret-panel', hidden: true, 'aria-labelledby': 'new-key-title', tabIndex: -1 },
    el('div', { class: 'card-head' }, el('h2', { id: 'new-key-title' }, fillNodes(t('New key: {name}'), { name: secretName }))),
    el('div', { class: 'field' }, el('label', { for: 'new-key-secret' }, t('Secret')), el('div', { class: 'secret-row' }, secretInput, copyButton)),
    el('p', { id: 'new-key-warning', class: 'notice notice-warning', role: 'alert' }, t('Copy this key now and keep it somewhere safe. It will not be shown again: OpenWA stores only a hash of it.')),
    el('div', { class: 'form-actions' }, el('button', { type: 'button', class: 'btn', id: 'new-key-dismiss', on: { click: () => hideSecret() } }, t('I have saved it'))),
  );

  function hideSecret() {
    secretInput.value = '';
    secretPanel.hidden = true;
  }

  copyButton.addEventListener('click', async () => {
    const secret = secretInput.value;
    if (!secret) return;
    try {
      if (!navigator.clipboard || !window.isSecureContext) throw new Error('no clipboard');
      await navigator.clipboard.writeText(secret);
      copyButton.textContent = t('Copied');
      toast(t('Key copied to the clipboard.'), 'success');
      setTimeout(() => {
        copyButton.textContent = t('Copy');
      }, 2000);
    } catch {
      secretInput.focus();
      secretInput.select();
      let copied = false;
      try {
        copied = document.execCommand('copy');
      } catch {
        copied = false;
      }
      toast(copied ? t('Key copied to the clipboard.') : t('The key is selected: press Ctrl+C (or ⌘C) to copy it.'), copied ? 'success' : 'info');
    }
  });

  // ---- create form ----
  const nameInput = el('input', { id: 'key-name', name: 'name', type: 'text', autocomplete: 'off', required: true, minLength: 3, maxLength: 100, placeholder: t('CRM integration') });
  const roleSelect = el(
    'select',
    { id: 'key-role', name: 'role' },
    el('option', { value: 'viewer' }, t('Viewer: read only')),
    el('option', { value: 'operator', selected: true }, t('Operator: read, send, manage sessions')),
    el('option', { value: 'admin' }, t('Admin: everything, including keys')),
  );
  const sessionsSelect = sessionPicker({ id: 'key-sessions', name: 'allowedSessions', multiple: true, size: 4 });
  const ipsInput = el('input', { id: 'key-ips', name: 'allowedIps', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: '203.0.113.7, 198.51.100.0/24', class: 'mono-input' });
  const expiresInput = el('input', { id: 'key-expires', name: 'expiresAt', type: 'datetime-local' });
  const errors = el('div', { id: 'key-errors', class: 'form-errors', role: 'alert', hidden: true });
  const submit = el('button', { type: 'submit', class: 'btn btn-primary' }, t('Create key'));
  const form = el(
    'form',
    { id: 'key-form', class: 'form', novalidate: true, 'aria-labelledby': 'key-form-title' },
    el(
      'div',
      { class: 'form-row form-row-3' },
      field(t('Name'), nameInput, t('3–100 characters, to tell keys apart.')),
      field(t('Role'), roleSelect),
      field(t('Expires (optional)'), expiresInput, t('Local time. Empty: never expires.')),
    ),
    el(
      'div',
      { class: 'form-row form-row-even' },
      field(t('Limit to sessions (optional)'), sessionsSelect, t('None selected: all sessions. Ctrl/⌘-click to pick several.')),
      field(t('Allowed IPs (optional)'), ipsInput, t('IPv4 addresses or CIDR ranges, separated by commas. Empty: any address.')),
    ),
    errors,
    el('div', { class: 'form-actions' }, submit),
  );

  // ---- table ----
  const actionsHead = t('Actions');
  const tbody = el('tbody');
  const table = el(
    'table',
    { id: 'keys-table', class: 'data-table responsive' },
    el('caption', { class: 'visually-hidden' }, t('API keys, newest first')),
    el(
      'thead',
      null,
      el('tr', null, [t('Name'), t('Key'), t('Role'), t('Scope'), t('State'), t('Expires'), t('Last used'), t('Uses'), t('Created'), actionsHead].map((h) => el('th', { scope: 'col', class: h === actionsHead ? 'col-actions' : null }, h))),
    ),
    tbody,
  );
  const tableEmpty = el('p', { class: 'empty-state', role: 'status' }, t('Loading keys…'));
  const tableSub = el('p', { class: 'card-sub' });

  root.append(
    pageHead(t('API keys'), t('Keys authenticate every API call. Give each integration its own key, with the lowest role and narrowest scope it needs.')),
    secretPanel,
    el('section', { class: 'card', 'aria-labelledby': 'key-form-title' }, el('div', { class: 'card-head' }, el('h2', { id: 'key-form-title' }, t('New key'))), form),
    el(
      'section',
      { class: 'card card-flush', 'aria-labelledby': 'keys-title' },
      el('div', { class: 'card-head' }, el('div', null, el('h2', { id: 'keys-title' }, t('All keys')), tableSub)),
      el('div', { class: 'table-wrap' }, table),
      tableEmpty,
    ),
  );

  // ---- rows ----
  function sessionName(id) {
    const s = sessionStore.get(id);
    return s ? s.name : `${id.slice(0, 8)}…`;
  }

  function scopeCell(key) {
    const list = Array.isArray(key.allowedSessions) ? key.allowedSessions : [];
    const parts = [];
    if (list.length) {
      parts.push(el('span', { title: list.map(sessionName).join(', ') }, tn(list.length, '{n} session', '{n} sessions')));
    } else {
      parts.push(el('span', null, t('All sessions')));
    }
    if (Array.isArray(key.allowedIps) && key.allowedIps.length) {
      parts.push(el('span', { class: 'cell-secondary', title: key.allowedIps.join(', ') }, t('IPs: {list}', { list: key.allowedIps.join(', ') })));
    }
    return el('div', { class: 'key-scope' }, parts);
  }

  function fillRow(tr, key) {
    const state = keyState(key);
    const isMine = ctx.keyPrefix && key.keyPrefix === ctx.keyPrefix;
    tr.dataset.state = state;
    tr.replaceChildren(
      el('td', { class: 'cell-title', 'data-label': t('Name') }, el('div', null, el('span', { class: 'cell-primary key-name' }, key.name), isMine ? ' ' : null, isMine ? el('span', { class: 'tag tag-accent', title: t('You are signed in with this key') }, t('this browser')) : null)),
      el('td', { 'data-label': t('Key') }, el('div', null, el('code', { class: 'key-prefix' }, `${key.keyPrefix}…`))),
      el('td', { 'data-label': t('Role') }, el('div', null, el('span', { class: 'badge', dataset: { role: key.role } }, key.role))),
      el('td', { 'data-label': t('Scope') }, scopeCell(key)),
      el('td', { 'data-label': t('State') }, el('div', null, el('span', { class: 'badge key-state', dataset: { status: state } }, STATE_TEXT[state]))),
      el('td', { 'data-label': t('Expires') }, el('div', null, timeEl(key.expiresAt, { empty: t('Never') }))),
      el('td', { 'data-label': t('Last used') }, el('div', null, timeEl(key.lastUsedAt, { empty: t('Never') }))),
      el('td', { 'data-label': t('Uses') }, el('div', { class: 'key-usage' }, String(key.usageCount ?? 0))),
      el('td', { 'data-label': t('Created') }, el('div', null, timeEl(key.createdAt))),
      el(
        'td',
        { class: 'col-actions', 'data-label': actionsHead },
        el(
          'div',
          { class: 'actions' },
          el('button', { type: 'button', class: 'btn btn-sm', dataset: { action: 'revoke' }, disabled: !key.isActive, 'aria-label': t('Revoke key {name}', { name: key.name }), on: { click: (e) => revokeKey(key.id, e.currentTarget) } }, t('Revoke')),
          el('button', { type: 'button', class: 'btn btn-sm btn-danger-text', dataset: { action: 'delete' }, 'aria-label': t('Delete key {name}', { name: key.name }), on: { click: (e) => deleteKey(key.id, e.currentTarget) } }, t('Delete')),
        ),
      ),
    );
  }

  function upsertRow(key, { top = false } = {}) {
    const entry = rows.get(key.id);
    if (entry) {
      entry.key = key;
      fillRow(entry.tr, key);
    } else {
      const tr = el('tr', { dataset: { keyId: key.id } });
      fillRow(tr, key);
      rows.set(key.id, { key, tr });
      if (top) tbody.prepend(tr);
      else tbody.append(tr);
    }
    updateEmpty();
  }

  function updateEmpty() {
    tableEmpty.hidden = rows.size > 0;
    tableEmpty.textContent = t('No keys.');
    const active = [...rows.values()].filter((r) => keyState(r.key) === 'active').length;
    tableSub.textContent = `${tn(rows.size, '{n} key', '{n} keys')} · ${tn(active, '{n} active', '{n} active')}`;
  }

  function isMine(key) {
    return ctx.keyPrefix && key.keyPrefix === ctx.keyPrefix;
  }

  async function revokeKey(id, button) {
    const entry = rows.get(id);
    if (!entry) return;
    const mine = isMine(entry.key);
    const ok = await confirmDialog({
      title: t('Revoke key?'),
      message: t('Revoke “{name}” ({prefix}…)? Every client using it is refused from now on, and its live connections are closed.', { name: entry.key.name, prefix: entry.key.keyPrefix })
        + (mine ? ` ${t('This is the key you are signed in with: you will be signed out.')}` : ''),
      confirmLabel: t('Revoke key'),
    });
    if (!ok) return;
    await withBusy(button, async () => {
      try {
        const updated = await api.post(path`/api/auth/api-keys/${id}/revoke`);
        if (disposed) return;
        upsertRow(updated);
        toast(t('Key “{name}” revoked.', { name: updated.name }), 'success');
        if (mine) ctx.signOut(t('API key is revoked'), 'error');
      } catch (err) {
        reportError(err, t('Could not revoke the key'));
      }
    });
  }

  async function deleteKey(id, button) {
    const entry = rows.get(id);
    if (!entry) return;
    const mine = isMine(entry.key);
    const ok = await confirmDialog({
      title: t('Delete key?'),
      message: t('Delete “{name}” ({prefix}…) for good? Clients using it are refused from now on.', { name: entry.key.name, prefix: entry.key.keyPrefix })
        + (mine ? ` ${t('This is the key you are signed in with: you will be signed out.')}` : ''),
      confirmLabel: t('Delete key'),
    });
    if (!ok) return;
    await withBusy(button, async () => {
      try {
        await api.del(path`/api/auth/api-keys/${id}`);
        if (disposed) return;
        const current = rows.get(id);
        if (current) current.tr.remove();
        rows.delete(id);
        updateEmpty();
        toast(t('Key “{name}” deleted.', { name: entry.key.name }), 'success');
        if (mine) ctx.signOut(t('Your API key was deleted.'), 'error');
      } catch (err) {
        reportError(err, t('Could not delete the key'));
      }
    });
  }

  // ---- create ----
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showErrors(errors, null);
    const body = { name: nameInput.value.trim(), role: roleSelect.value };
    const chosen = pickedSessions(sessionsSelect);
    if (chosen.length) body.allowedSessions = chosen;
    const ips = ipsInput.value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
    if (ips.length) body.allowedIps = ips;
    if (expiresInput.value) {
      const date = new Date(expiresInput.value);
      if (Number.isNaN(date.getTime())) {
        showErrors(errors, [t('Enter a valid expiry date and time, or leave it empty.')]);
        return;
      }
      body.expiresAt = date.toISOString();
    }
    await withBusy(submit, async () => {
      try {
        const created = await api.post('/api/auth/api-keys', body);
        if (disposed) return;
        const { apiKey, ...key } = created;
        upsertRow(key, { top: true });
        secretName.textContent = key.name;
        secretInput.value = apiKey || '';
        secretPanel.hidden = false;
        form.reset();
        roleSelect.value = 'operator';
        secretPanel.scrollIntoView({ behavior: 'smooth', block: 'start' });
        secretInput.focus({ preventScroll: true });
        secretInput.select();
        toast(t('Key “{name}” created. Copy it now: it is shown only once.', { name: key.name }), 'success');
      } catch (err) {
        if (disposed || isSignedOut(err)) return;
        showErrors(errors, err);
      }
    });
  });

  // ---- loading ----
  async function loadSessions() {
    try {
      const sessions = await sessionStore.load();
      if (disposed) return;
      fillSessionPicker(sessionsSelect, sessions, { chosen: pickedSessions(sessionsSelect), empty: t('No sessions yet') });
      for (const entry of rows.values()) fillRow(entry.tr, entry.key);
    } catch (err) {
      if (!disposed) reportError(err, t('Could not load sessions'));
    }
  }

  async function loadKeys() {
    try {
      const list = await api.get('/api/auth/api-keys');
      if (disposed) return;
      rows.clear();
      tbody.replaceChildren();
      for (const key of Array.isArray(list) ? list : []) upsertRow(key);
      updateEmpty();
    } catch (err) {
      if (disposed) return;
      tableEmpty.textContent = t('Could not load keys.');
      reportError(err, t('Could not load keys'));
    }
  }

  offs.push(ctx.live.on('resync', () => loadKeys()));

  loadKeys();
  loadSessions();

  return () => {
    disposed = true;
    hideSecret();
    for (const off of offs) off();
  };
}
