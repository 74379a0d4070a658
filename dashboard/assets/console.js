// Message console (/console): send a text from a ready session and watch its recent messages,
// updated live from message.received / message.sent / message.ack events.

import { api, isSignedOut, path } from './api.js';
import { fillNodes, t } from './i18n.js';
import * as sessionStore from './store.js';
import { el, field, fillSessionPicker, formatPhone, pageHead, reportError, sessionPicker, timeEl, withBusy } from './ui.js';

const HISTORY_LIMIT = 50;
const MAX_ITEMS = 200;
const MAX_TEXT = 4096;
const REMEMBER_KEY = 'openwa.console.session';

function messageKey(message) {
  // History rows carry the WhatsApp-side id in waMessageId (events call it id); rows whose send
  // failed before WhatsApp gave one only have their row id.
  return message.waMessageId || message.id;
}

function normalizeChatId(value) {
  const v = value.trim();
  if (/^\+?[\d\s-]{5,}$/.test(v)) return `${v.replace(/[^\d]/g, '')}@c.us`;
  return v;
}

export function mount(root, ctx) {
  const canSend = ctx.hasRole('operator');
  const offs = [];
  const items = new Map(); // message id -> { li, status }
  let disposed = false;
  let sessions = []; // ready sessions
  let selectedId = null;
  let historySeq = 0;
  let reloadTimer = null;
  const sessionView = sessionStore.follow(renderSessions);

  // ---- form ----
  const sessionSelect = sessionPicker({ id: 'console-session', name: 'session' });
  const chatInput = el('input', {
    id: 'console-chat',
    name: 'chatId',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    autocapitalize: 'off',
    placeholder: '628123456789@c.us',
    class: 'mono-input',
  });
  const textInput = el('textarea', { id: 'console-text', name: 'text', rows: 4, maxLength: MAX_TEXT, placeholder: t('Hello from OpenWA') });
  const counter = el('p', { class: 'char-count', 'aria-live': 'off' }, `0 / ${MAX_TEXT}`);
  const submit = el('button', { type: 'submit', class: 'btn btn-primary' }, t('Send'));
  const result = el('p', { id: 'console-result', class: 'result-line', role: 'status', 'aria-live': 'polite' });
  const emptyNotice = el(
    'div',
    { id: 'console-empty', class: 'notice', hidden: true },
    fillNodes(t('No session is ready to send. Start a session and link a phone on the {link} page; it shows up here as soon as it is ready.'), {
      link: el('a', { href: '/sessions' }, t('Sessions')),
    }),
  );
  const sendFields = el(
    'fieldset',
    { class: 'form', disabled: !canSend },
    el('legend', { class: 'visually-hidden' }, t('Message')),
    field(t('Chat ID'), chatInput, t('A person is <number>@c.us (country code, no +), a group <id>@g.us. A bare number gets @c.us added.')),
    el('div', { class: 'field' }, el('label', { for: 'console-text' }, t('Message')), textInput, counter),
  );
  const form = el(
    'form',
    { id: 'console-form', class: 'form', novalidate: true, 'aria-labelledby': 'console-form-title' },
    field(t('Session'), sessionSelect, t('Only sessions that are ready are listed.')),
    sendFields,
    el('div', { class: 'form-actions' }, submit, el('span', { class: 'hint' }, fillNodes(t('{ctrl} + {enter} sends'), { ctrl: el('kbd', null, 'Ctrl'), enter: el('kbd', null, 'Enter') })), el('span', { class: 'spacer' })),
    result,
  );

  // ---- history ----
  const historyList = el('ul', { id: 'console-history', class: 'history', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const historyEmpty = el('p', { class: 'empty-state', id: 'console-history-empty' }, t('Pick a session to see its messages.'));
  const historyTitle = el('span', { class: 'card-sub' });
  const reload = el('button', { type: 'button', class: 'btn btn-sm btn-ghost', on: { click: () => loadHistory() } }, t('Refresh'));

  root.append(
    pageHead(t('Message console'), t('Send a test message from a linked session and watch its traffic as it happens.')),
    el(
      'div',
      { class: 'grid-2' },
      el(
        'section',
        { class: 'card', 'aria-labelledby': 'console-form-title' },
        el('div', { class: 'card-head' }, el('h2', { id: 'console-form-title' }, t('Send a text'))),
        canSend ? null : el('p', { class: 'notice' }, t('Your key has the viewer role: you can read messages but not send them.')),
        emptyNotice,
        form,
      ),
      el(
        'section',
        { class: 'card card-flush', 'aria-labelledby': 'console-history-title' },
        el('div', { class: 'card-head' }, el('div', null, el('h2', { id: 'console-history-title' }, t('Recent messages')), historyTitle), reload),
        historyList,
        historyEmpty,
      ),
    ),
  );

  // ---- sessions ----
  function optionText(session) {
    return session.phone ? `${session.name} (${formatPhone(session.phone)})` : session.name;
  }

  async function loadSessions() {
    try {
      await sessionView.load();
    } catch (err) {
      if (!disposed) reportError(err, t('Could not load sessions'));
    }
  }

  function renderSessions() {
    if (disposed) return;
    sessions = sessionStore.all().filter((s) => s.status === 'ready');
    const previous = selectedId || sessionStorage.getItem(REMEMBER_KEY);
    fillSessionPicker(sessionSelect, sessions, { label: optionText, chosen: [previous], empty: t('No ready session') });
    const none = sessions.length === 0;
    emptyNotice.hidden = !none;
    submit.disabled = none || !canSend;
    select(sessionSelect.value || null);
  }

  function scheduleSessionsReload() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(loadSessions, 250);
  }

  function select(id) {
    if (id === selectedId) return;
    selectedId = id;
    if (id) {
      try {
        sessionStorage.setItem(REMEMBER_KEY, id);
      } catch {
        /* not remembered */
      }
    }
    loadHistory();
  }

  // ---- history ----
  function renderItem(message, { fresh = false } = {}) {
    const outgoing = message.direction ? message.direction === 'outgoing' : Boolean(message.fromMe);
    const direction = outgoing ? 'outgoing' : 'incoming';
    const status = message.status || (outgoing ? 'sent' : 'received');
    const id = messageKey(message);
    const chatId = message.chatId || (outgoing ? message.to : message.from) || '';
    const statusEl = el('span', { class: 'status msg-status', dataset: { status } }, status);
    const hasText = message.body !== null && message.body !== undefined && message.body !== '';
    const chatButton = el(
      'button',
      { type: 'button', class: 'link-button chat-id', title: t('Send to this chat'), disabled: !canSend },
      chatId,
    );
    chatButton.addEventListener('click', () => {
      chatInput.value = chatId;
      textInput.focus();
    });
    const li = el(
      'li',
      { class: `message ${direction}${fresh ? ' is-new' : ''}`, dataset: { messageId: id, direction } },
      el(
        'div',
        { class: 'message-meta' },
        el('span', { class: 'direction' }, outgoing ? t('Outgoing') : t('Incoming')),
        el('span', { 'aria-hidden': 'true' }, outgoing ? '→' : '←'),
        chatButton,
        statusEl,
        timeEl(message.timestamp, { epoch: true, mode: 'short' }),
      ),
      el('p', { class: `body${hasText ? '' : ' is-empty'}` }, hasText ? message.body : `[${message.type || 'message'}]`),
    );
    items.set(id, { li, statusEl });
    return li;
  }

  function setStatus(id, status) {
    const item = items.get(id);
    if (!item || !status) return;
    item.statusEl.dataset.status = status;
    item.statusEl.textContent = status;
  }

  function prepend(message) {
    const id = messageKey(message);
    if (!id || items.has(id)) return;
    historyList.prepend(renderItem(message, { fresh: true }));
    historyEmpty.hidden = true;
    while (historyList.children.length > MAX_ITEMS) {
      const last = historyList.lastElementChild;
      items.delete(last.dataset.messageId);
      last.remove();
    }
  }

  async function loadHistory() {
    const seq = ++historySeq;
    items.clear();
    historyList.replaceChildren();
    const session = sessions.find((s) => s.id === selectedId);
    historyTitle.textContent = session ? optionText(session) : '';
    if (!selectedId) {
      historyEmpty.textContent = sessions.length ? t('Pick a session to see its messages.') : t('No ready session.');
      historyEmpty.hidden = false;
      return;
    }
    historyEmpty.textContent = t('Loading messages…');
    historyEmpty.hidden = false;
    try {
      const data = await api.get(`${path`/api/sessions/${selectedId}/messages`}?limit=${HISTORY_LIMIT}`);
      if (disposed || seq !== historySeq) return;
      const list = Array.isArray(data && data.messages) ? data.messages : [];
      // Messages that arrived as events while this loaded are already on top; skip them here.
      for (const message of list) {
        const id = messageKey(message);
        if (!items.has(id)) historyList.append(renderItem(message));
      }
      historyEmpty.hidden = historyList.children.length > 0;
      historyEmpty.textContent = t('No messages yet. Send one, or write to the linked number from another phone.');
    } catch (err) {
      if (disposed || seq !== historySeq) return;
      historyEmpty.textContent = t('Could not load messages.');
      reportError(err, t('Could not load messages'));
    }
  }

  // ---- send ----
  function showResult(text, kind) {
    result.textContent = text;
    result.classList.toggle('is-error', kind === 'error');
    result.classList.toggle('is-success', kind === 'success');
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!canSend) return;
    const sessionId = sessionSelect.value;
    const chatId = normalizeChatId(chatInput.value);
    const text = textInput.value;
    if (!sessionId) {
      showResult(t('No ready session to send from.'), 'error');
      return;
    }
    if (!chatId) {
      showResult(t('Enter a chat ID, for example 628123456789@c.us.'), 'error');
      chatInput.focus();
      return;
    }
    if (!text.trim()) {
      showResult(t('Write a message first.'), 'error');
      textInput.focus();
      return;
    }
    chatInput.value = chatId;
    showResult(t('Sending…'), null);
    await withBusy(submit, async () => {
      try {
        const sent = await api.post(path`/api/sessions/${sessionId}/messages/send-text`, { chatId, text });
        if (disposed) return;
        showResult(t('Sent to {chat} · {id}', { chat: chatId, id: sent.messageId }), 'success');
        if (sessionId === selectedId) {
          prepend({ id: sent.messageId, chatId, to: chatId, body: text, type: 'text', direction: 'outgoing', timestamp: sent.timestamp, status: 'sent' });
        }
        textInput.value = '';
        updateCounter();
        textInput.focus();
      } catch (err) {
        if (disposed || isSignedOut(err)) return;
        showResult(err.messages ? err.messages.join(' ') : String(err.message), 'error');
        if (err.status === 400 && /not ready/i.test(err.message)) scheduleSessionsReload();
      }
    });
  });

  function updateCounter() {
    const n = textInput.value.length;
    counter.textContent = `${n} / ${MAX_TEXT}`;
    counter.classList.toggle('is-over', n > MAX_TEXT);
  }
  textInput.addEventListener('input', updateCounter);
  textInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  sessionSelect.addEventListener('change', () => select(sessionSelect.value || null));

  // ---- live ----
  offs.push(
    ctx.live.on('event', (payload) => {
      const data = payload.data || {};
      const sid = payload.sessionId || data.sessionId;
      switch (payload.event) {
        case 'message.received':
        case 'message.sent':
          if (sid && sid === selectedId) {
            prepend({ ...data, direction: payload.event === 'message.sent' || data.fromMe ? 'outgoing' : 'incoming', status: payload.event === 'message.sent' ? 'sent' : 'received' });
          }
          break;
        case 'message.ack':
          if (sid && sid === selectedId) setStatus(data.messageId || data.id, data.status);
          break;
        case 'session.status':
        case 'session.authenticated':
          scheduleSessionsReload();
          break;
        default:
          break;
      }
    }),
    ctx.live.on('resync', () => {
      loadSessions().then(() => loadHistory());
    }),
  );

  loadSessions();

  return () => {
    disposed = true;
    clearTimeout(reloadTimer);
    sessionView.stop();
    for (const off of offs) off();
  };
}
