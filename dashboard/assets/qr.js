// The QR panel (<dialog id="qr-dialog">) for linking one session: fetches the current QR, then
// follows session.qr / session.status / session.authenticated events; also offers a pairing code.
// When live updates are down it polls the session instead.

import { api, isSignedOut, path } from './api.js';
import { t } from './i18n.js';
import * as sessionStore from './store.js';
import { formatPhone, reportError, showErrors, withBusy } from './ui.js';

const POLL_MS = 3000;

let current = null; // { id, name, ctx, off, poll, hasQr, done }
let wired = false;
let opener = null; // what had the focus when the panel opened: it gets it back on close

function refs() {
  return {
    dialog: document.getElementById('qr-dialog'),
    title: document.getElementById('qr-title'),
    frame: document.getElementById('qr-frame'),
    image: document.getElementById('qr-image'),
    placeholder: document.getElementById('qr-placeholder'),
    done: document.getElementById('qr-done'),
    state: document.getElementById('qr-state'),
    steps: document.getElementById('qr-steps'),
    rotationHint: document.getElementById('qr-rotation-hint'),
    pairingSection: document.getElementById('pairing-section'),
    pairingForm: document.getElementById('pairing-form'),
    pairingPhone: document.getElementById('pairing-phone'),
    pairingErrors: document.getElementById('pairing-errors'),
    pairingResult: document.getElementById('pairing-result'),
    pairingCode: document.getElementById('pairing-code'),
    close: document.getElementById('qr-close'),
  };
}

function wire() {
  if (wired) return;
  wired = true;
  const r = refs();
  r.close.addEventListener('click', () => r.dialog.close());
  r.dialog.addEventListener('close', () => {
    teardown();
    restoreFocus();
  });
  r.pairingForm.addEventListener('submit', onPairingSubmit);
  r.pairingPhone.addEventListener('input', () => r.pairingPhone.removeAttribute('aria-invalid'));
}

function teardown() {
  if (!current) return;
  if (current.off) current.off();
  clearInterval(current.poll);
  current = null;
}

// The opener may have been re-rendered or disabled meanwhile (a Start button while the session
// runs): then the same action's button of the same row, else the row's first enabled button, else
// the page heading.
function restoreFocus() {
  const was = opener;
  opener = null;
  if (!was) return;
  const usable = (node) => node && node.isConnected && !node.disabled && !node.hidden;
  if (usable(was.node)) {
    was.node.focus();
    return;
  }
  const row = was.sessionId ? document.querySelector(`tr[data-session-id="${CSS.escape(was.sessionId)}"]`) : null;
  const candidates = row ? [...row.querySelectorAll('button')] : [];
  const same = candidates.find((b) => b.dataset.action === was.action && usable(b));
  const any = candidates.find(usable);
  const target = same || any || document.querySelector('#app h1');
  if (target) target.focus();
}

/** Sets the state line; `kind` is waiting | qr | ready | failed. */
function setState(kind, text) {
  const r = refs();
  r.state.dataset.state = kind;
  r.state.textContent = text;
  r.frame.dataset.state = kind;
  const linked = kind === 'ready';
  r.done.hidden = !linked;
  r.placeholder.hidden = kind === 'qr' || linked || kind === 'failed';
  if (kind !== 'qr') {
    r.image.hidden = true;
  }
  r.steps.hidden = linked || kind === 'failed';
  r.rotationHint.hidden = linked || kind === 'failed';
  r.pairingSection.hidden = linked || kind === 'failed';
}

function showQr(dataUrl) {
  if (!current || !dataUrl) return;
  const r = refs();
  current.hasQr = true;
  r.image.src = dataUrl;
  r.image.hidden = false;
  setState('qr', t('Scan with WhatsApp → Linked devices → Link a device'));
  r.image.hidden = false;
}

function showReady(phone, pushName) {
  if (!current) return;
  // A bare "ready" status carries no phone: keep what session.authenticated told us.
  if (phone) {
    current.phone = phone;
    current.pushName = pushName || null;
  } else {
    phone = current.phone;
    pushName = current.pushName;
  }
  current.done = true;
  current.hasQr = false;
  const r = refs();
  r.image.removeAttribute('src');
  let who = t('Linked');
  if (phone && pushName) who = t('Linked as {phone} ({name})', { phone: formatPhone(phone), name: pushName });
  else if (phone) who = t('Linked as {phone}', { phone: formatPhone(phone) });
  setState('ready', who);
}

function showFailed(lastError) {
  if (!current) return;
  current.done = true;
  current.hasQr = false;
  refs().image.removeAttribute('src');
  setState('failed', t('Failed: {error}', { error: lastError || t('the session stopped with an error.') }));
}

/** Applies a session object (from the API) to the panel. */
function applySession(session) {
  if (!current || !session) return;
  // A QR shown from an event is newer than a snapshot that still says "initializing".
  if (session.status === 'initializing' && current.hasQr) return;
  switch (session.status) {
    case 'ready':
      showReady(session.phone, session.pushName);
      break;
    case 'failed':
      showFailed(session.lastError);
      break;
    default:
      applyStatus(session.status);
  }
}

/** Applies a bare status (from a session.status event) to the panel. */
function applyStatus(status) {
  if (!current) return;
  switch (status) {
    case 'qr_ready':
      current.done = false;
      if (current.hasQr) setState('qr', t('Scan with WhatsApp → Linked devices → Link a device'));
      else {
        setState('waiting', t('Waiting for the QR code…'));
        fetchQr();
      }
      break;
    case 'initializing':
      current.done = false;
      current.hasQr = false;
      setState('waiting', t('Waiting for the QR code…'));
      break;
    case 'authenticating':
      current.hasQr = false;
      setState('waiting', t('Code scanned. Linking the phone…'));
      break;
    case 'ready':
      showReady(null, null);
      refreshSession();
      break;
    case 'failed':
      showFailed(null);
      refreshSession();
      break;
    case 'created':
    case 'disconnected':
      current.hasQr = false;
      setState('waiting', t('The session is not running. Start it to get a QR code.'));
      break;
    default:
      break;
  }
}

async function fetchQr() {
  const mine = current;
  if (!mine || mine.fetching) return;
  mine.fetching = true;
  try {
    const result = await api.get(path`/api/sessions/${mine.id}/qr`);
    if (current !== mine) return;
    if (result && result.qrCode) showQr(result.qrCode);
  } catch (err) {
    if (current !== mine) return;
    if (err.status === 400) {
      // Not started / not ready yet: keep waiting. Already authenticated: read who it is.
      if (/already authenticated/i.test(err.message)) refreshSession();
    } else {
      reportError(err, t('Could not get the QR code'));
    }
  } finally {
    mine.fetching = false;
  }
}

async function refreshSession({ refetchQr = false } = {}) {
  const mine = current;
  if (!mine) return;
  try {
    const session = await sessionStore.loadOne(mine.id);
    if (current !== mine) return;
    applySession(session);
    if (session.status === 'qr_ready' && (!mine.hasQr || refetchQr)) fetchQr();
  } catch (err) {
    if (current !== mine) return;
    if (err.status === 404) showFailed(t('this session was deleted.'));
  }
}

function onEvent(payload) {
  if (!current) return;
  const id = payload.sessionId || (payload.data && payload.data.sessionId);
  if (id !== current.id) return;
  const data = payload.data || {};
  switch (payload.event) {
    case 'session.qr':
      if (data.qrCode) showQr(data.qrCode);
      break;
    case 'session.status':
      applyStatus(data.status);
      break;
    case 'session.authenticated':
      showReady(data.phone, data.pushName);
      break;
    default:
      break;
  }
}

function formatPairingCode(code) {
  const clean = String(code || '').replace(/[^A-Za-z0-9]/g, '').toUpperCase();
  return clean.length === 8 ? `${clean.slice(0, 4)}-${clean.slice(4)}` : String(code || '');
}

async function onPairingSubmit(event) {
  event.preventDefault();
  if (!current) return;
  const mine = current;
  const r = refs();
  const raw = r.pairingPhone.value.trim();
  const phoneNumber = raw.replace(/[\s+().-]/g, '');
  showErrors(r.pairingErrors, null);
  if (!phoneNumber) {
    showErrors(r.pairingErrors, [t('Enter the phone number of the WhatsApp account to link, with its country code.')]);
    r.pairingPhone.setAttribute('aria-invalid', 'true');
    r.pairingPhone.focus();
    return;
  }
  const button = r.pairingForm.querySelector('button[type="submit"]');
  await withBusy(button, async () => {
    try {
      const result = await api.post(path`/api/sessions/${mine.id}/pairing-code`, { phoneNumber });
      if (current !== mine) return;
      r.pairingCode.textContent = formatPairingCode(result.pairingCode);
      r.pairingCode.setAttribute('aria-label', t('Pairing code {code}', { code: String(result.pairingCode || '').split('').join(' ') }));
      r.pairingResult.hidden = false;
    } catch (err) {
      if (current !== mine || isSignedOut(err)) return;
      showErrors(r.pairingErrors, err);
      r.pairingPhone.setAttribute('aria-invalid', 'true');
    }
  });
}

/** Opens the QR panel for a session object ({id, name, status, ...}). */
export function openQrDialog(session, ctx, returnFocus = null) {
  wire();
  teardown();
  const r = refs();
  current = { id: session.id, name: session.name, ctx, off: null, poll: null, hasQr: false, done: false, fetching: false };

  r.title.textContent = t('Link “{name}”', { name: session.name });
  r.image.alt = t('QR code for {name}', { name: session.name });
  r.image.removeAttribute('src');
  r.image.hidden = true;
  r.pairingResult.hidden = true;
  r.pairingCode.textContent = '';
  r.pairingPhone.value = '';
  r.pairingPhone.removeAttribute('aria-invalid');
  showErrors(r.pairingErrors, null);
  setState('waiting', t('Waiting for the QR code…'));

  const mine = current;
  mine.off = ctx.live.on('event', onEvent);
  mine.poll = setInterval(() => {
    if (current !== mine || mine.done) return;
    if (ctx.live.state !== 'live') refreshSession({ refetchQr: true });
  }, POLL_MS);

  if (!r.dialog.open) {
    // The caller names the button it opened from: a busy button was disabled and lost the focus.
    const from = returnFocus || (document.activeElement !== document.body ? document.activeElement : null);
    opener = { node: from, sessionId: session.id, action: from && from.dataset ? from.dataset.action : null };
  }
  applySession(session);
  if (!r.dialog.open) r.dialog.showModal();
  r.close.focus();
  // The QR is asked for once the session says it has one (qr_ready, from the snapshot, its
  // read-back or an event): asking earlier only earns a 400.
  refreshSession();
}

/** Closes the panel if it shows this session (e.g. the session was deleted). */
export function closeQrDialog(sessionId) {
  if (current && (!sessionId || current.id === sessionId)) refs().dialog.close();
}
