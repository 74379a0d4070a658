// Audit log page (/audit, admins): GET /api/audit filtered by action, severity and session, a page
// of PAGE at a time, and CSV export of everything the filters match (read a page of 200 at a time).

import { api } from './api.js';
import { t, tn } from './i18n.js';
import * as sessionStore from './store.js';
import { el, field, fillSessionFilter, pageHead, reportError, timeEl, withBusy } from './ui.js';

const PAGE = 50;
const EXPORT_PAGE = 200;
const EXPORT_MAX = 10000;
const ACTIONS = [
  'auth.failed', 'api_key.create', 'api_key.update', 'api_key.revoke', 'api_key.delete', 'session.create', 'session.start',
  'session.stop', 'session.restart', 'session.logout', 'session.delete', 'webhook.create', 'webhook.update', 'webhook.delete',
];
const COLUMNS = ['createdAt', 'action', 'severity', 'apiKeyName', 'apiKeyId', 'sessionId', 'ipAddress', 'method', 'path', 'statusCode'];

/** One CSV field: quoted when it holds a comma, quote or line break; a leading =+-@ is defused. */
function csvField(value) {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows) {
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => csvField(r[c])).join(','))].join('\r\n');
}

export function mount(root) {
  let disposed = false;
  let offset = 0;
  let seq = 0;

  const action = el('select', { id: 'audit-action', on: { change: () => reload() } }, el('option', { value: '' }, t('Any action')), ACTIONS.map((a) => el('option', { value: a }, a)));
  const severity = el(
    'select',
    { id: 'audit-severity', on: { change: () => reload() } },
    el('option', { value: '' }, t('Any severity')),
    ['info', 'warning', 'error'].map((s) => el('option', { value: s }, s)),
  );
  const session = el('select', { id: 'audit-session', on: { change: () => reload() } });
  const exportButton = el('button', { type: 'button', id: 'audit-export', class: 'btn', on: { click: () => exportCsv() } }, t('Export CSV'));
  // The last export stays downloadable from this link until the next one (or leaving the page).
  const download = el('a', { id: 'audit-download', hidden: true }, t('Download the CSV again'));
  const tbody = el('tbody');
  const table = el(
    'table',
    { id: 'audit-table', class: 'data-table responsive' },
    el('caption', { class: 'visually-hidden' }, t('Audit log, newest first')),
    el('thead', null, el('tr', null, [t('When'), t('Action'), t('Severity'), t('Key'), t('Session'), t('Request'), t('Status')].map((h) => el('th', { scope: 'col' }, h)))),
    tbody,
  );
  const summary = el('p', { id: 'audit-summary', class: 'card-sub', role: 'status' }, t('Loading…'));
  const prev = el('button', { type: 'button', id: 'audit-prev', class: 'btn btn-sm', on: { click: () => { offset = Math.max(0, offset - PAGE); load(); } } }, t('Newer'));
  const next = el('button', { type: 'button', id: 'audit-next', class: 'btn btn-sm', on: { click: () => { offset += PAGE; load(); } } }, t('Older'));

  root.append(
    pageHead(t('Audit log'), t('Who changed keys, sessions and webhooks, and which keys were refused.')),
    el(
      'section',
      { class: 'card card-flush', 'aria-labelledby': 'audit-title' },
      el('div', { class: 'card-head' }, el('div', null, el('h2', { id: 'audit-title' }, t('Entries')), summary), exportButton),
      el('div', { class: 'toolbar', role: 'search', 'aria-label': t('Filter the audit log') }, field(t('Action'), action), field(t('Severity'), severity), field(t('Session'), session)),
      el('div', { class: 'table-wrap' }, table),
      el('nav', { class: 'pager', 'aria-label': t('Audit pages') }, prev, next),
    ),
    download,
  );

  function query(limit, at) {
    const q = new URLSearchParams({ limit: String(limit), offset: String(at) });
    if (action.value) q.set('action', action.value);
    if (severity.value) q.set('severity', severity.value);
    if (session.value) q.set('sessionId', session.value);
    return `/api/audit?${q}`;
  }

  function row(entry) {
    const s = entry.sessionId ? sessionStore.get(entry.sessionId) : null;
    return el(
      'tr',
      { dataset: { auditId: entry.id, action: entry.action } },
      el('td', { 'data-label': t('When') }, timeEl(entry.createdAt, { mode: 'short' })),
      el('td', { 'data-label': t('Action') }, el('span', { class: 'tag' }, entry.action)),
      el('td', { 'data-label': t('Severity') }, entry.severity),
      el('td', { 'data-label': t('Key') }, entry.apiKeyName || entry.apiKeyId || '—'),
      el('td', { 'data-label': t('Session') }, s ? s.name : entry.sessionId || '—'),
      el('td', { 'data-label': t('Request'), class: 'mono' }, `${entry.method} ${entry.path}`),
      el('td', { 'data-label': t('Status') }, String(entry.statusCode)),
    );
  }

  async function load() {
    const mine = ++seq;
    try {
      const page = await api.get(query(PAGE, offset));
      if (disposed || mine !== seq) return;
      tbody.replaceChildren(...page.data.map(row));
      const to = offset + page.data.length;
      summary.textContent = page.total
        ? tn(page.total, '{from}–{to} of {n} entry', '{from}–{to} of {n} entries', { from: offset + 1, to })
        : t('No entry matches.');
      prev.disabled = offset === 0;
      next.disabled = to >= page.total;
      exportButton.disabled = page.total === 0;
    } catch (err) {
      if (disposed) return;
      summary.textContent = t('Could not load the audit log.');
      reportError(err, t('Could not load the audit log'));
    }
  }

  function reload() {
    offset = 0;
    load();
  }

  async function exportCsv() {
    await withBusy(exportButton, async () => {
      try {
        const rows = [];
        for (let at = 0; at < EXPORT_MAX; at += EXPORT_PAGE) {
          const page = await api.get(query(EXPORT_PAGE, at));
          rows.push(...page.data);
          if (rows.length >= page.total || page.data.length < EXPORT_PAGE) break;
        }
        const blob = new Blob([toCsv(rows)], { type: 'text/csv;charset=utf-8' });
        if (download.href) URL.revokeObjectURL(download.href);
        download.href = URL.createObjectURL(blob);
        download.download = `openwa-audit-${new Date().toISOString().slice(0, 10)}.csv`;
        download.dataset.rows = String(rows.length);
        download.click();
      } catch (err) {
        reportError(err, t('Could not export the audit log'));
      }
    });
  }

  const view = sessionStore.follow(() => fillSessionFilter(session, sessionStore.all(), t('Any session')));
  view.load().catch(() => {
    /* names only */
  });
  load();
  return () => {
    disposed = true;
    view.stop();
    if (download.href) URL.revokeObjectURL(download.href);
  };
}
