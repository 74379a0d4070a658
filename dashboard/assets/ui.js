// Small DOM helpers shared by every page: element builder, toasts, the confirm dialog, error
// display, the session picker and time formatting. Everything is built with
// createElement/textContent: API data never goes through innerHTML, and no inline styles are used
// (the Content-Security-Policy forbids them).

import { isSignedOut } from './api.js';
import { locale, t } from './i18n.js';

const PROPS = new Set([
  'id', 'type', 'name', 'value', 'checked', 'disabled', 'hidden', 'href', 'placeholder', 'min', 'max',
  'step', 'rows', 'selected', 'multiple', 'required', 'readOnly', 'title', 'tabIndex', 'htmlFor',
  'minLength', 'maxLength', 'autocomplete', 'inputMode', 'pattern', 'size', 'alt',
  'src', 'dateTime', 'colSpan', 'open',
]);

/**
 * el('button', { class: 'btn', type: 'button', on: { click: fn }, dataset: { action: 'x' } }, 'Text')
 * Children may be strings, nodes, arrays, or null/false (skipped).
 */
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'style') throw new Error('inline styles are not allowed (CSP)');
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = String(value);
      else if (key === 'for') node.htmlFor = value;
      else if (key === 'dataset') {
        for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) node.dataset[k] = String(v);
      } else if (key === 'on') {
        for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
      } else if (PROPS.has(key)) node[key] = value;
      else node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.append(child);
    else node.append(document.createTextNode(String(child)));
  }
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** A labelled form field: <div class="field"><label for=id>…</label>control<p class="hint">…</p></div> */
export function field(label, control, hint) {
  const hintEl = hint ? el('p', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return el('div', { class: 'field' }, el('label', { for: control.id }, label), control, hintEl);
}

/** Page heading block; the h1 takes focus after client-side navigation. */
export function pageHead(title, lead, ...extra) {
  return el(
    'div',
    { class: 'page-head' },
    el('div', null, el('h1', { tabIndex: -1 }, title), lead ? el('p', { class: 'page-lead' }, lead) : null),
    extra.length ? el('div', { class: 'actions' }, ...extra) : null,
  );
}

// ---------- Toasts ----------

const TOAST_TIMEOUT = { info: 5000, success: 4500, error: 9000 };

/**
 * toast('Saved', 'success'); toast(['line 1', 'line 2'], 'error', { title: 'Could not save' })
 */
export function toast(message, kind = 'info', { title, timeout } = {}) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const lines = Array.isArray(message) ? message : [message];
  let timer = null;
  const close = () => {
    clearTimeout(timer);
    node.remove();
  };
  const node = el(
    'div',
    { class: `toast toast-${kind}` },
    el(
      'div',
      { class: 'toast-text' },
      title ? el('span', { class: 'toast-title' }, title) : null,
      lines.map((line) => el('span', null, String(line))),
    ),
    el('button', { type: 'button', class: 'btn btn-ghost btn-icon toast-close', 'aria-label': t('Dismiss'), on: { click: close } }, '×'),
  );
  if (kind === 'error') node.dataset.kind = 'error';
  box.append(node);
  while (box.children.length > 5) box.firstElementChild.remove();
  const ms = timeout ?? TOAST_TIMEOUT[kind] ?? 5000;
  const arm = () => {
    timer = setTimeout(close, ms);
  };
  node.addEventListener('mouseenter', () => clearTimeout(timer));
  node.addEventListener('mouseleave', arm);
  node.addEventListener('focusin', () => clearTimeout(timer));
  arm();
  return close;
}

/** Shows an API error in a toast; a 401 that signed the user out is handled globally, not here. */
export function reportError(err, title) {
  if (!err || isSignedOut(err)) return;
  if (err.name === 'AbortError') return;
  const messages = err.messages && err.messages.length ? err.messages : [err.message || t('Something went wrong')];
  toast(messages, 'error', { title });
}

/** Fills an error box (role=alert) with the message(s) of an error, or clears it with null. */
export function showErrors(box, errOrMessages) {
  if (!box) return;
  box.replaceChildren();
  if (!errOrMessages) {
    box.hidden = true;
    return;
  }
  const messages = Array.isArray(errOrMessages)
    ? errOrMessages
    : errOrMessages.messages && errOrMessages.messages.length
      ? errOrMessages.messages
      : [errOrMessages.message || String(errOrMessages)];
  if (messages.length === 1) box.append(el('p', null, capitalize(messages[0])));
  else box.append(el('ul', null, messages.map((m) => el('li', null, capitalize(m)))));
  box.hidden = false;
}

function capitalize(text) {
  const s = String(text);
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ---------- Confirm dialog ----------

let pendingConfirm = null;

/**
 * Asks in <dialog id="confirm-dialog">; resolves true on #confirm-ok, false on cancel/Escape.
 */
export function confirmDialog({ title = t('Are you sure?'), message = '', confirmLabel = t('Confirm'), danger = true } = {}) {
  const dialog = document.getElementById('confirm-dialog');
  const ok = document.getElementById('confirm-ok');
  const cancel = document.getElementById('confirm-cancel');
  if (pendingConfirm) pendingConfirm(false);
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-message').textContent = message;
  ok.textContent = confirmLabel;
  ok.className = danger ? 'btn btn-danger' : 'btn btn-primary';

  return new Promise((resolve) => {
    const controller = new AbortController();
    const { signal } = controller;
    const finish = (result) => {
      if (!pendingConfirm) return;
      pendingConfirm = null;
      controller.abort();
      if (dialog.open) dialog.close();
      resolve(result);
    };
    pendingConfirm = finish;
    ok.addEventListener('click', () => finish(true), { signal });
    cancel.addEventListener('click', () => finish(false), { signal });
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); finish(false); }, { signal });
    dialog.addEventListener('close', () => finish(false), { signal });
    if (!dialog.open) dialog.showModal();
    cancel.focus();
  });
}

// ---------- Buttons ----------

/** Marks a button busy (disabled, aria-busy) for the duration of an async task. */
export async function withBusy(button, task) {
  const wasDisabled = button ? button.disabled : false;
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  try {
    return await task();
  } finally {
    if (button) {
      button.removeAttribute('aria-busy');
      button.disabled = wasDisabled;
    }
  }
}

// ---------- Status ----------

export const SESSION_STATUSES = ['created', 'initializing', 'qr_ready', 'authenticating', 'ready', 'disconnected', 'failed'];

const STATUS_HINTS = {
  created: t('Created, never started'),
  initializing: t('Starting the engine'),
  qr_ready: t('Waiting for a QR scan'),
  authenticating: t('Linking the phone'),
  ready: t('Linked and ready to send'),
  disconnected: t('Not connected'),
  failed: t('Stopped after an error'),
};

export function statusBadge(status) {
  return el('span', { class: 'badge', dataset: { status }, title: STATUS_HINTS[status] || null }, status);
}

export function setBadge(badge, status) {
  badge.dataset.status = status;
  badge.textContent = status;
  badge.title = STATUS_HINTS[status] || '';
}

// ---------- Session picker ----------

/** A <select> of sessions (multiple: a list box to pick several); filled by fillSessionPicker. */
export function sessionPicker({ id, name = 'session', multiple = false, size } = {}) {
  return el('select', { id, name, multiple, size });
}

/**
 * Lists `sessions` in a picker, keeping the `chosen` ids still listed; a single picker falls back
 * to the first session. With none, the picker is disabled and shows `empty` (if given).
 */
export function fillSessionPicker(select, sessions, { label = (s) => s.name, chosen = [], empty = null } = {}) {
  const keep = new Set(chosen);
  const multiple = select.multiple;
  select.replaceChildren(...sessions.map((s) => el('option', { value: s.id, selected: multiple && keep.has(s.id) }, label(s))));
  if (!multiple) {
    const current = sessions.find((s) => keep.has(s.id)) || sessions[0];
    if (current) select.value = current.id;
  }
  select.disabled = sessions.length === 0;
  // A list box would let the placeholder itself be picked; a disabled drop-down cannot anyway.
  if (!sessions.length && empty) select.append(el('option', { value: '', disabled: multiple }, empty));
}

/**
 * Lists `sessions` in a filter <select> after a first option `anyLabel` (value ''), keeping the
 * chosen session while it is still listed, else back to "any".
 */
export function fillSessionFilter(select, sessions, anyLabel) {
  const chosen = select.value;
  select.replaceChildren(el('option', { value: '' }, anyLabel), ...sessions.map((s) => el('option', { value: s.id }, s.name)));
  select.value = sessions.some((s) => s.id === chosen) ? chosen : '';
}

/** The ids picked in a session picker, in list order. */
export function pickedSessions(select) {
  return Array.from(select.selectedOptions).map((o) => o.value).filter(Boolean);
}

export function formatPhone(phone) {
  if (!phone) return '';
  return String(phone).startsWith('+') ? String(phone) : `+${phone}`;
}

// ---------- Time ----------

// In the dashboard's language (locale() of i18n.js), not the browser's default.
const rtf = typeof Intl.RelativeTimeFormat === 'function' ? new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' }) : null;
const fullFormat = new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'medium' });
const timeFormat = new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dayTimeFormat = new Intl.DateTimeFormat(locale(), { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

export function toDate(value, epochSeconds = false) {
  if (value === null || value === undefined || value === '') return null;
  const d = epochSeconds || typeof value === 'number' ? new Date(Number(value) * 1000) : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function relativeTime(date) {
  if (!date) return '';
  const diff = (date.getTime() - Date.now()) / 1000;
  const abs = Math.abs(diff);
  if (!rtf) return fullFormat.format(date);
  if (abs < 45) return diff < 0 ? t('just now') : t('in a few seconds');
  const units = [
    ['minute', 60, 3600],
    ['hour', 3600, 86400],
    ['day', 86400, 86400 * 30],
    ['month', 86400 * 30, 86400 * 365],
    ['year', 86400 * 365, Infinity],
  ];
  for (const [unit, size, limit] of units) {
    if (abs < limit) return rtf.format(Math.round(diff / size), unit);
  }
  return fullFormat.format(date);
}

export function formatFull(date) {
  return date ? fullFormat.format(date) : '';
}

/** Clock time for today, short date and time otherwise. */
export function formatShort(date) {
  if (!date) return '';
  const now = new Date();
  return date.toDateString() === now.toDateString() ? timeFormat.format(date) : dayTimeFormat.format(date);
}

/**
 * <time> element. mode 'relative' (kept fresh by a timer) or 'short'. Empty value shows `empty`.
 */
export function timeEl(value, { epoch = false, mode = 'relative', empty = '—' } = {}) {
  const date = toDate(value, epoch);
  if (!date) return el('span', { class: 'faint' }, empty);
  const node = el('time', { dateTime: date.toISOString(), title: formatFull(date) }, mode === 'relative' ? relativeTime(date) : formatShort(date));
  if (mode === 'relative') node.dataset.relative = '';
  return node;
}

let clock = null;
/** Refreshes every relative <time> on the page twice a minute. */
export function startRelativeClock() {
  if (clock) return;
  clock = setInterval(() => {
    for (const node of document.querySelectorAll('time[data-relative]')) {
      const date = new Date(node.dateTime);
      if (!Number.isNaN(date.getTime())) node.textContent = relativeTime(date);
    }
  }, 30000);
}

/** English only (kept for older callers): pages count with tn() of i18n.js, which translates. */
export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}
