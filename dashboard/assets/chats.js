// Chats page (/chats): a ready session's chats, read and answered in the browser. The chat list
// (unread counts, newest first, a search box), the open chat's thread from the stored history
// (newest at the bottom) with quoted replies, reactions and image previews, a composer for every
// send kind, mark read, typing shown both ways, and below them the session's groups (with their
// participants) and contacts (a number check, block and unblock). Viewers read; operators also
// send, react, mark read and block. Everything follows the live events of the chosen session.
//
// Routes, all under /api/sessions/:id:
//   GET  chats?limit                          the chat list
//   POST chats/read {chatId}                  mark read
//   POST chats/typing {chatId, state}         'typing' while the operator writes, 'paused' after
//   POST presence/subscribe {chatId}          ask WhatsApp for a contact's typing reports
//   GET  messages?chatId&limit&after          the thread (stored history, newest first)
//   GET  messages/:rowId/media                an incoming message's kept file (image previews)
//   POST messages/send-text | reply | send-image | send-video | send-audio | send-document |
//        send-sticker | send-location | send-contact | send-poll | react
//   GET  groups, groups/:groupId              groups, and one group's participants
//   GET  contacts, contacts/check/:number     the address book, whether a number has WhatsApp
//   POST / DELETE contacts/:contactId/block   block, unblock
// Live: message.received / sent / ack / failed / reaction / revoked, chat.update,
// presence.update, contact.update and group.* of the chosen session.

import { api, getKey, isSignedOut, path } from './api.js';
import { fillNodes, t, tn } from './i18n.js';
import * as sessionStore from './store.js';
import {
  confirmDialog, el, field, fillSessionPicker, formatPhone, pageHead, reportError, sessionPicker, showErrors,
  timeEl, toast, withBusy,
} from './ui.js';

const REMEMBER_KEY = 'openwa.chats.session';
const CHAT_LIMIT = 500;
const THREAD_LIMIT = 100; // the history route's ceiling
const RECENT_LIMIT = 20; // rows read back after a live message
const CONTACTS_SHOWN = 500;
const MAX_TEXT = 4096;
const TYPING_EVERY_MS = 5000;
// WhatsApp sends "paused" when someone stops typing, but a report can be lost with the link.
const TYPING_STALE_MS = 30000;
// An incoming file is fetched after its message is announced, and no event says when it is kept.
const MEDIA_RETRY_MS = 3000;
const MEDIA_RETRIES = 3;
const PREVIEW_MAX_BYTES = 5 * 1024 * 1024;
const PREVIEW_CACHE = 40;
// Below this the chat list and the thread stack (app.css, Chats).
const NARROW = '(max-width: 899px)';

const REACTIONS = [
  ['👍', t('thumbs up')], ['❤️', t('heart')], ['😂', t('laughing')], ['😮', t('surprised')], ['😢', t('sad')], ['🙏', t('thank you')],
];

// Each send kind, its route under messages/, and which media fields it takes: the API refuses a
// field it does not declare (a caption on audio, say), so only these are sent.
const KINDS = {
  text: { label: t('Text'), route: 'send-text' },
  image: { label: t('Image (by URL)'), route: 'send-image', media: true, caption: true, filename: true },
  video: { label: t('Video (by URL)'), route: 'send-video', media: true, caption: true, filename: true },
  audio: { label: t('Audio (by URL)'), route: 'send-audio', media: true, filename: true, ptt: true },
  document: { label: t('Document (by URL)'), route: 'send-document', media: true, caption: true, filename: true },
  sticker: { label: t('Sticker (WebP by URL)'), route: 'send-sticker', media: true },
  location: { label: t('Location'), route: 'send-location' },
  contact: { label: t('Contact card'), route: 'send-contact' },
  poll: { label: t('Poll'), route: 'send-poll' },
};

const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'ptt', 'document', 'sticker']);
const STATUS_RANK = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

// ---------- Helpers ----------

/** Timeouts the page can drop all at once when it goes away. */
function timers() {
  const pending = new Set();
  return {
    after(ms, fn) {
      const id = setTimeout(() => {
        pending.delete(id);
        fn();
      }, ms);
      pending.add(id);
      return id;
    },
    cancel(id) {
      clearTimeout(id);
      pending.delete(id);
    },
    clear() {
      for (const id of pending) clearTimeout(id);
      pending.clear();
    },
  };
}

/** fn, run once `ms` after the last call of a burst (a burst of events costs one request). */
function debounced(page, ms, fn) {
  let id = null;
  return () => {
    page.timers.cancel(id);
    id = page.timers.after(ms, fn);
  };
}

function readRemembered() {
  try {
    return sessionStorage.getItem(REMEMBER_KEY);
  } catch {
    return null;
  }
}

function remember(id) {
  try {
    if (id) sessionStorage.setItem(REMEMBER_KEY, id);
  } catch {
    /* not remembered */
  }
}

function isGroup(chatId) {
  return String(chatId || '').endsWith('@g.us');
}

/** A person's or group's name as far as the page knows it, else the number, else the id. */
function displayName(page, jid) {
  if (!jid) return '';
  const known = page.names.get(jid);
  if (known) return known;
  const id = String(jid);
  return id.endsWith('@c.us') ? formatPhone(id.split('@')[0]) : id;
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** A short text standing for a message (reply bar, quoted block). */
function snippet(m) {
  const poll = m.metadata && m.metadata.poll;
  const text = m.body || (poll && poll.name) || `[${m.type || 'message'}]`;
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** One shape for a message: from a history row (GET messages). */
function fromRow(row) {
  return {
    // Events and acks name a message by its WhatsApp id; rows not yet sent only have their row id.
    key: row.waMessageId || row.id,
    rowId: row.id,
    chatId: row.chatId,
    from: row.from,
    body: row.body,
    type: row.type || 'text',
    fromMe: row.direction === 'outgoing',
    timestamp: row.timestamp,
    status: row.status,
    metadata: row.metadata || {},
  };
}

/** The same shape from a message.received / message.sent event, which has no row id yet. */
function fromEvent(data, fromMe) {
  const metadata = {};
  if (data.media) metadata.media = data.media;
  if (data.location) metadata.location = data.location;
  if (data.quotedMessage && data.quotedMessage.id) metadata.quotedMessageId = data.quotedMessage.id;
  if (data.isForwarded) metadata.forwarded = true;
  return {
    key: data.id,
    rowId: null,
    chatId: data.chatId,
    from: data.from,
    body: data.body,
    type: data.type || 'text',
    fromMe,
    timestamp: data.timestamp,
    status: 'sent',
    metadata,
  };
}

// Acks only move forward: a late message.sent must not undo a 'read'.
function laterStatus(a, b) {
  if (!b) return a;
  if (!a) return b;
  return (STATUS_RANK[b] ?? -1) >= (STATUS_RANK[a] ?? -1) ? b : a;
}

/** `next` over `old`; a row read back from the API is the truth about its metadata. */
function merge(old, next, authoritative) {
  return {
    ...old,
    ...next,
    rowId: next.rowId || old.rowId,
    from: next.from || old.from,
    status: laterStatus(old.status, next.status),
    metadata: authoritative ? { ...next.metadata } : { ...old.metadata, ...next.metadata },
  };
}

function readDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/**
 * An incoming image as a data: URL, or null. An <img src> cannot carry the API key (the media
 * route takes it from a header, never the query string), and the CSP allows images from 'self'
 * and data: only: so the file is fetched with the key and shown as a data URL.
 */
async function fetchPreview(page, rowId) {
  const response = await fetch(path`/api/sessions/${page.sessionId}/messages/${rowId}/media`, {
    headers: { 'X-API-Key': getKey() || '' },
    credentials: 'same-origin',
    signal: page.abort.signal,
  });
  if (!response.ok) return null;
  const blob = await response.blob();
  if (!blob.type.startsWith('image/') || blob.size > PREVIEW_MAX_BYTES) return null;
  return readDataUrl(blob);
}

// ---------- Session bar ----------

function sessionLabel(s) {
  const phone = s.phone ? ` (${formatPhone(s.phone)})` : '';
  return s.status === 'ready' ? `${s.name}${phone}` : `${s.name}${phone} · ${s.status}`;
}

function createSessionBar(page, onChoose) {
  const select = sessionPicker({ id: 'chats-session', name: 'session' });
  const notice = el('div', { id: 'chats-not-ready', class: 'notice notice-warning', role: 'status', hidden: true });
  select.addEventListener('change', () => onChoose(select.value || null));

  /** Refills the picker; answers the session to show (the one held, remembered, or first ready). */
  function render() {
    const sessions = sessionStore.all();
    const wanted = page.sessionId || readRemembered();
    const ready = sessions.find((s) => s.status === 'ready');
    const chosen = sessions.some((s) => s.id === wanted) ? wanted : ready && ready.id;
    fillSessionPicker(select, sessions, { label: sessionLabel, chosen: [chosen], empty: t('No sessions') });
    return select.value || null;
  }

  /** Says why a session cannot be browsed; answers whether it can. */
  function showState(session) {
    const ready = Boolean(session && session.status === 'ready');
    notice.hidden = ready;
    if (!session) {
      notice.replaceChildren(...fillNodes(t('There is no session yet. Create one and link a phone on the {link} page.'), { link: el('a', { href: '/sessions' }, t('Sessions')) }));
    } else if (!ready) {
      const text = t('{name} is {status}: only a ready session (linked and connected) can be browsed. Start it on the {link} page; its chats show here as soon as it is ready.', { name: session.name, status: session.status });
      notice.replaceChildren(...fillNodes(text, { link: el('a', { href: '/sessions' }, t('Sessions')) }));
    }
    return ready;
  }

  const node = el(
    'section',
    { class: 'card chats-session-bar', 'aria-label': t('Session') },
    field(t('Session'), select, t('Only a session that is ready can be browsed.')),
    notice,
  );
  return { node, render, showState };
}

// ---------- Chat list ----------

function unreadBadge(n) {
  if (!n) return null;
  // -1: marked unread with no unread message, which WhatsApp shows as a dot.
  if (n < 0) return [el('span', { class: 'unread', dataset: { count: -1 }, title: t('Marked unread') }, '•'), el('span', { class: 'visually-hidden' }, ` ${t('marked unread')}`)];
  return [el('span', { class: 'unread', dataset: { count: n } }, String(n)), el('span', { class: 'visually-hidden' }, ` ${tn(n, 'unread message', 'unread messages')}`)];
}

function chatTags(chat) {
  const tags = [
    chat.isGroup ? t('group') : null,
    chat.pinned ? t('pinned') : null,
    chat.muted ? t('muted') : null,
    chat.archived ? t('archived') : null,
  ].filter(Boolean);
  return tags.length ? el('span', { class: 'chat-tags' }, tags.map((tag) => el('span', { class: 'tag' }, tag))) : null;
}

function lastText(chat) {
  if (chat.lastMessage) return chat.lastMessage;
  return chat.lastMessageType ? `[${chat.lastMessageType}]` : '';
}

function createChatList(page, { onOpen, onChange }) {
  const chats = new Map(); // in the API's order: newest message first
  let openId = null;
  let seq = 0;
  const search = el('input', { id: 'chat-search', type: 'search', autocomplete: 'off', spellcheck: 'false', placeholder: t('Name or number') });
  const list = el('ul', { id: 'chat-list', class: 'chat-list', 'aria-labelledby': 'chat-list-title' });
  const empty = el('p', { id: 'chat-list-empty', class: 'empty-state' }, t('Loading chats…'));
  const count = el('span', { id: 'chat-count', class: 'card-sub' });
  const refresh = el('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'aria-label': t('Refresh chats'), on: { click: () => load() } }, t('Refresh'));
  search.addEventListener('input', render);

  function ordered() {
    // A stable sort: chats with the same time keep the API's order.
    return [...chats.values()].sort((a, b) => (b.timestamp || 0) - (a.timestamp || 0));
  }

  function item(chat) {
    const button = el(
      'button',
      { type: 'button', class: 'chat-item', dataset: { chatId: chat.id }, 'aria-current': chat.id === openId ? 'true' : null, on: { click: () => onOpen(chat.id) } },
      el('span', { class: 'chat-line' }, el('span', { class: 'chat-name' }, chat.name || chat.id), timeEl(chat.timestamp || null, { epoch: true, mode: 'short', empty: '' })),
      el('span', { class: 'chat-line' }, el('span', { class: 'chat-last' }, lastText(chat)), unreadBadge(chat.unreadCount)),
      chatTags(chat),
    );
    return el('li', null, button);
  }

  function render() {
    // Rebuilding the list must not take the keyboard focus away from the chat it was on.
    const focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest('#chat-list [data-chat-id]') : null;
    const q = search.value.trim().toLowerCase();
    const shown = ordered().filter((c) => !q || `${c.name || ''} ${c.id}`.toLowerCase().includes(q));
    list.replaceChildren(...shown.map(item));
    count.textContent = chats.size ? tn(chats.size, '{n} chat', '{n} chats') : '';
    empty.hidden = shown.length > 0;
    if (!shown.length) empty.textContent = chats.size ? t('No chat matches the search.') : t('No chats yet: a chat shows up with its first message.');
    if (focused) {
      const again = list.querySelector(`[data-chat-id="${CSS.escape(focused.dataset.chatId)}"]`);
      if (again) again.focus({ preventScroll: true });
    }
    onChange();
  }

  async function load() {
    const sid = page.sessionId;
    const mine = ++seq;
    if (!chats.size) {
      empty.textContent = t('Loading chats…');
      empty.hidden = false;
    }
    try {
      const rows = await api.get(`${path`/api/sessions/${sid}/chats`}?limit=${CHAT_LIMIT}`);
      if (page.disposed || mine !== seq) return;
      chats.clear();
      for (const chat of Array.isArray(rows) ? rows : []) {
        chats.set(chat.id, chat);
        if (chat.name && chat.name !== chat.id) page.names.set(chat.id, chat.name);
      }
      render();
    } catch (err) {
      if (page.disposed || mine !== seq) return;
      empty.textContent = t('Could not load the chats.');
      empty.hidden = false;
      reportError(err, t('Could not load chats'));
    }
  }

  /** A new message moves its chat up; answers false for a chat not listed yet (reload then). */
  function noteMessage(m) {
    const chat = chats.get(m.chatId);
    if (!chat) return false;
    if ((m.timestamp || 0) >= (chat.timestamp || 0)) {
      chat.timestamp = m.timestamp;
      chat.lastMessage = m.body || undefined;
      chat.lastMessageType = m.type;
    }
    // The server counts every incoming message since the last read, the open chat's too.
    if (!m.fromMe) chat.unreadCount = Math.max(0, chat.unreadCount || 0) + 1;
    render();
    return true;
  }

  /** A chat.update; answers false for a chat not listed yet. */
  function applyUpdate(d) {
    if (d.deleted) {
      chats.delete(d.chatId);
      render();
      return true;
    }
    const chat = chats.get(d.chatId);
    if (!chat) return false;
    Object.assign(chat, { unreadCount: d.unreadCount, archived: d.archived, pinned: d.pinned, muted: d.muted, muteExpiration: d.muteExpiration });
    render();
    return true;
  }

  function setUnread(id, n) {
    const chat = chats.get(id);
    if (!chat) return;
    chat.unreadCount = n;
    render();
  }

  function setOpen(id) {
    openId = id;
    for (const button of list.querySelectorAll('[data-chat-id]')) {
      if (button.dataset.chatId === id) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
  }

  function clear() {
    seq += 1;
    chats.clear();
    openId = null;
    list.replaceChildren();
    count.textContent = '';
    empty.textContent = t('Loading chats…');
    empty.hidden = false;
  }

  const node = el(
    'section',
    { id: 'chats-pane', class: 'card card-flush chat-pane', 'aria-labelledby': 'chat-list-title' },
    el('div', { class: 'card-head' }, el('div', null, el('h2', { id: 'chat-list-title' }, t('Chat list')), count), refresh),
    el('div', { class: 'chat-search' }, field(t('Search chats'), search)),
    list,
    empty,
  );
  return { node, load, clear, noteMessage, applyUpdate, setUnread, setOpen, get: (id) => chats.get(id) || null };
}

// ---------- One message ----------

function messageMeta(r, m) {
  const status = m.fromMe ? m.status || 'sent' : 'received';
  const sender = !m.fromMe && isGroup(m.chatId) && m.from ? el('span', { class: 'sender' }, displayName(r.page, m.from)) : null;
  return el(
    'div',
    { class: 'message-meta' },
    el('span', { class: 'direction' }, m.fromMe ? t('Outgoing') : t('Incoming')),
    sender,
    el('span', { class: 'status msg-status ack', dataset: { status }, title: m.fromMe ? t('Delivery: {status}', { status }) : null }, status),
    m.metadata.forwarded ? el('span', { class: 'tag' }, t('forwarded')) : null,
    m.metadata.edited ? el('span', { class: 'tag' }, t('edited')) : null,
    timeEl(m.timestamp, { epoch: true, mode: 'short' }),
  );
}

function quotedBlock(r, m) {
  const id = m.metadata.quotedMessageId;
  if (!id) return null;
  const quoted = r.quoted(id);
  const who = quoted ? (quoted.fromMe ? t('You') : displayName(r.page, quoted.from)) : t('Reply');
  return el(
    'blockquote',
    { class: 'quoted', dataset: { quotedId: id } },
    el('span', { class: 'quoted-who' }, who),
    el('span', { class: 'quoted-text' }, quoted ? snippet(quoted) : t('to a message not shown here')),
  );
}

function canPreview(m, facts) {
  // Only incoming files are kept by the daemon, and only once `stored` says so.
  const image = m.type === 'image' || m.type === 'sticker' || String(facts.mimetype || '').startsWith('image/');
  return !m.fromMe && Boolean(m.rowId) && facts.stored === true && image;
}

function mediaLabel(m, facts) {
  const kind = m.type === 'ptt' || m.metadata.ptt ? t('voice note') : m.type;
  const parts = [kind, facts.filename, facts.mimetype, facts.sizeBytes ? formatBytes(facts.sizeBytes) : null].filter(Boolean);
  let state = '';
  if (!m.fromMe && facts.stored === false) state = ` · ${facts.error ? t('not kept: {error}', { error: facts.error }) : t('not kept')}`;
  else if (!m.fromMe && m.metadata.media && facts.stored === undefined) state = ` · ${t('fetching the file…')}`;
  return parts.join(' · ') + state;
}

function mediaBlock(r, m) {
  const facts = m.metadata.media || {};
  if (!m.metadata.media && !MEDIA_TYPES.has(m.type)) return null;
  const box = el('div', { class: 'media', dataset: { mediaType: m.type } });
  if (canPreview(m, facts)) {
    const img = el('img', { class: 'media-preview', alt: facts.filename ? t('Image: {name}', { name: facts.filename }) : t('Image in this message'), hidden: true });
    box.append(img);
    r.preview(img, m.rowId);
  }
  box.append(el('span', { class: 'media-label' }, mediaLabel(m, facts)));
  return box;
}

function extraBlock(m) {
  const { location, contact, poll } = m.metadata;
  if (location) {
    const where = [location.description, location.address].filter(Boolean).join(' · ');
    const at = t('Location: {latitude}, {longitude}', { latitude: location.latitude, longitude: location.longitude });
    return el('p', { class: 'msg-extra' }, where ? `${at} · ${where}` : at);
  }
  if (contact) return el('p', { class: 'msg-extra' }, t('Contact card: {name} · {number}', { name: contact.name, number: formatPhone(contact.number) }));
  if (poll) {
    return el(
      'div',
      { class: 'msg-extra poll' },
      el('p', { class: 'poll-question' }, poll.allowMultipleAnswers ? t('Poll: {question} (several answers allowed)', { question: poll.name }) : t('Poll: {question}', { question: poll.name })),
      el('ul', { class: 'poll-options' }, (poll.options || []).map((o) => el('li', null, o))),
    );
  }
  return null;
}

function bodyLine(m) {
  if (m.metadata.revoked) return el('p', { class: 'body is-empty' }, t('This message was deleted.'));
  const has = m.body !== null && m.body !== undefined && m.body !== '';
  return has ? el('p', { class: 'body' }, m.body) : el('p', { class: 'body is-empty' }, `[${m.type || 'message'}]`);
}

function failureLine(m) {
  if (!m.fromMe || m.status !== 'failed') return null;
  return el('p', { class: 'last-error' }, m.metadata.error || t('WhatsApp did not take this message.'));
}

function reactionsLine(m) {
  const counts = new Map();
  for (const emoji of Object.values(m.metadata.reactions || {})) if (emoji) counts.set(emoji, (counts.get(emoji) || 0) + 1);
  const mine = m.metadata.myReaction;
  if (mine) counts.set(mine, (counts.get(mine) || 0) + 1);
  if (!counts.size) return null;
  return el(
    'ul',
    { class: 'reactions', 'aria-label': t('Reactions') },
    [...counts].map(([emoji, n]) => el('li', { class: `reaction${emoji === mine ? ' is-mine' : ''}`, title: emoji === mine ? t('Yours among them') : null }, `${emoji} ${n}`)),
  );
}

function reactionPicker(r, m) {
  const mine = m.metadata.myReaction;
  return el(
    'div',
    { id: r.pickerId(), class: 'react-picker', role: 'group', 'aria-label': t('Pick a reaction'), hidden: true },
    REACTIONS.map(([emoji, name]) =>
      el(
        'button',
        { type: 'button', class: `btn btn-sm react-emoji${emoji === mine ? ' is-mine' : ''}`, 'aria-label': t('React with {name}', { name }), 'aria-pressed': String(emoji === mine), title: name, dataset: { emoji }, on: { click: () => r.react(m.key, emoji) } },
        emoji,
      ),
    ),
    mine ? el('button', { type: 'button', class: 'btn btn-sm btn-ghost', dataset: { action: 'unreact' }, on: { click: () => r.react(m.key, '') } }, t('Remove reaction')) : null,
  );
}

function messageActions(r, m) {
  const picker = reactionPicker(r, m);
  const toggle = el('button', { type: 'button', class: 'btn btn-sm btn-ghost', dataset: { action: 'react' }, 'aria-expanded': 'false', 'aria-controls': picker.id }, t('React'));
  toggle.addEventListener('click', () => {
    picker.hidden = !picker.hidden;
    toggle.setAttribute('aria-expanded', String(!picker.hidden));
    if (!picker.hidden) picker.querySelector('button').focus();
  });
  const reply = el('button', { type: 'button', class: 'btn btn-sm btn-ghost', dataset: { action: 'reply' }, on: { click: () => r.reply(m.key) } }, t('Reply'));
  return el('div', { class: 'message-actions' }, reply, toggle, picker);
}

function renderMessage(r, m, fresh) {
  const direction = m.fromMe ? 'outgoing' : 'incoming';
  const classes = `message ${direction}${fresh ? ' is-new' : ''}${m.metadata.revoked ? ' is-revoked' : ''}`;
  return el(
    'li',
    { class: classes, dataset: { messageId: m.key, direction, timestamp: m.timestamp || 0 } },
    messageMeta(r, m),
    quotedBlock(r, m),
    mediaBlock(r, m),
    extraBlock(m),
    bodyLine(m),
    failureLine(m),
    reactionsLine(m),
    r.page.canSend && !m.metadata.revoked ? messageActions(r, m) : null,
  );
}

// ---------- Thread ----------

function createThread(page, hooks) {
  const state = { chatId: null, gen: 0, cursor: null, typingTimer: null, pickers: 0 };
  const items = new Map(); // message key -> { message, li }
  const previews = new Map(); // row id -> data URL
  const title = el('h2', { id: 'thread-title', tabIndex: -1 }, t('No chat open'));
  const sub = el('p', { id: 'thread-chat-id', class: 'card-sub' }, t('Pick a chat from the list to read it.'));
  const markRead = el('button', { type: 'button', id: 'mark-read', class: 'btn btn-sm', hidden: true, on: { click: () => doMarkRead() } }, t('Mark read'));
  const typing = el('p', { id: 'typing', class: 'typing', 'aria-live': 'polite' });
  const olderButton = el('button', { type: 'button', id: 'thread-older', class: 'btn btn-sm btn-ghost thread-older', hidden: true, on: { click: () => load({ more: true }) } }, t('Load older messages'));
  // Focusable: a viewer's thread has no buttons, and a scrolled region must be reachable by keyboard.
  const list = el('ol', { id: 'thread-messages', class: 'history thread-list', tabIndex: 0, 'aria-label': t('Messages'), hidden: true });
  const empty = el('p', { id: 'thread-empty', class: 'empty-state' }, t('No chat open.'));
  const node = el(
    'section',
    { id: 'thread', class: 'card card-flush thread', 'aria-labelledby': 'thread-title' },
    el('div', { class: 'card-head' }, el('div', { class: 'thread-head-text' }, title, sub), markRead),
    olderButton,
    list,
    empty,
    typing,
  );

  const r = {
    page,
    quoted: (id) => (items.get(id) ? items.get(id).message : null),
    reply: (key) => items.get(key) && hooks.onReply(items.get(key).message),
    react: (key, emoji) => react(key, emoji),
    preview: (img, rowId) => showPreview(img, rowId),
    pickerId: () => `react-picker-${++state.pickers}`,
  };

  function nearBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  }

  function scrollToBottom() {
    list.scrollTop = list.scrollHeight;
  }

  function showEmpty(text) {
    list.hidden = items.size === 0;
    empty.hidden = items.size > 0;
    if (text) empty.textContent = text;
  }

  function placeNode(li, timestamp) {
    const after = [...list.children].find((node) => Number(node.dataset.timestamp) > (timestamp || 0));
    list.insertBefore(li, after || null);
  }

  function findKey(next) {
    if (items.has(next.key)) return next.key;
    if (!next.rowId) return null;
    for (const [key, held] of items) if (held.message.rowId === next.rowId) return key;
    return null;
  }

  /** Adds a message, or redraws it when it changed (an ack, a reaction, the row read back). */
  function upsert(next, { authoritative = false, fresh = false } = {}) {
    if (!next.key || next.chatId !== state.chatId) return;
    const heldKey = findKey(next);
    const held = heldKey ? items.get(heldKey) : null;
    const message = held ? merge(held.message, next, authoritative) : next;
    // Redrawing an unchanged message would only close its reaction picker and drop the focus.
    if (held && heldKey === message.key && JSON.stringify(held.message) === JSON.stringify(message)) return;
    const li = renderMessage(r, message, fresh && !held);
    if (held) {
      held.li.replaceWith(li);
      items.delete(heldKey);
    } else {
      placeNode(li, message.timestamp);
    }
    items.set(message.key, { message, li });
    showEmpty();
  }

  function fetchPage(sid, query) {
    return api.get(`${path`/api/sessions/${sid}/messages`}?${query}`);
  }

  function fetchingMedia(rows) {
    return rows.some((row) => row.direction === 'incoming' && row.metadata && row.metadata.media && row.metadata.media.stored === undefined);
  }

  function addRows(rows, attempt) {
    // The API lists newest first; the thread reads top to bottom.
    for (const row of rows.slice().reverse()) upsert(fromRow(row), { authoritative: true });
    if (attempt < MEDIA_RETRIES && fetchingMedia(rows)) page.timers.after(MEDIA_RETRY_MS, () => refreshRecent(attempt + 1));
  }

  async function load({ more = false } = {}) {
    const { chatId, gen } = state;
    const sid = page.sessionId;
    const query = new URLSearchParams({ chatId, limit: String(THREAD_LIMIT) });
    if (more && state.cursor) query.set('after', state.cursor);
    try {
      const data = await (more ? withBusy(olderButton, () => fetchPage(sid, query)) : fetchPage(sid, query));
      if (page.disposed || gen !== state.gen) return;
      addRows(Array.isArray(data && data.messages) ? data.messages : [], 0);
      state.cursor = (data && data.nextCursor) || null;
      olderButton.hidden = !state.cursor;
      showEmpty(t('No stored messages in this chat yet. Messages from before the session linked are not kept.'));
      if (!more) scrollToBottom();
    } catch (err) {
      if (page.disposed || gen !== state.gen) return;
      showEmpty(t('Could not load the messages.'));
      reportError(err, t('Could not load the messages'));
    }
  }

  /** Reads the newest rows back: an event lacks the row id, stored media and final status. */
  async function refreshRecent(attempt = 0) {
    const { chatId, gen } = state;
    if (!chatId || page.disposed) return;
    try {
      const query = new URLSearchParams({ chatId, limit: String(RECENT_LIMIT) });
      const data = await fetchPage(page.sessionId, query);
      if (page.disposed || gen !== state.gen) return;
      const follow = nearBottom();
      addRows(Array.isArray(data && data.messages) ? data.messages : [], attempt);
      if (follow) scrollToBottom();
    } catch (err) {
      if (!page.disposed && gen === state.gen) reportError(err, t('Could not update the chat'));
    }
  }

  function open(chatId) {
    state.chatId = chatId;
    state.gen += 1;
    state.cursor = null;
    items.clear();
    list.replaceChildren();
    olderButton.hidden = true;
    clearTyping();
    renderHead();
    showEmpty(t('Loading messages…'));
    return load();
  }

  function close() {
    state.chatId = null;
    state.gen += 1;
    items.clear();
    previews.clear();
    list.replaceChildren();
    olderButton.hidden = true;
    clearTyping();
    renderHead();
    showEmpty(t('No chat open.'));
  }

  function renderHead() {
    const chat = state.chatId ? hooks.chat(state.chatId) : null;
    title.textContent = state.chatId ? (chat && chat.name) || displayName(page, state.chatId) : t('No chat open');
    sub.textContent = state.chatId || t('Pick a chat from the list to read it.');
    markRead.hidden = !(page.canSend && chat && chat.unreadCount);
  }

  async function doMarkRead() {
    const { chatId } = state;
    const sid = page.sessionId;
    await withBusy(markRead, async () => {
      try {
        await api.post(path`/api/sessions/${sid}/chats/read`, { chatId });
        if (page.disposed || chatId !== state.chatId) return;
        hooks.markedRead(chatId);
        // The button hides with the unread count; the focus goes to the chat it was about.
        title.focus();
      } catch (err) {
        if (!page.disposed) reportError(err, t('Could not mark the chat read'));
      }
    });
  }

  async function react(key, emoji) {
    const held = items.get(key);
    if (!held) return;
    try {
      await api.post(path`/api/sessions/${page.sessionId}/messages/react`, { chatId: held.message.chatId, messageId: key, emoji });
      const now = items.get(key);
      if (page.disposed || !now) return;
      upsert({ ...now.message, metadata: { ...now.message.metadata, myReaction: emoji || undefined } }, { authoritative: true });
      const toggle = items.get(key) && items.get(key).li.querySelector('[data-action="react"]');
      if (toggle) toggle.focus();
    } catch (err) {
      if (!page.disposed) reportError(err, t('Could not react to the message'));
    }
  }

  async function showPreview(img, rowId) {
    const cached = previews.get(rowId);
    if (cached) {
      img.src = cached;
      img.hidden = false;
      return;
    }
    try {
      const url = await fetchPreview(page, rowId);
      if (!url || page.disposed) return;
      if (previews.size >= PREVIEW_CACHE) previews.delete(previews.keys().next().value);
      previews.set(rowId, url);
      img.src = url;
      img.hidden = false;
    } catch {
      /* no preview: the label still says what the file is */
    }
  }

  function addLive(message) {
    const follow = nearBottom() || message.fromMe;
    upsert(message, { fresh: true });
    if (follow) scrollToBottom();
  }

  function setStatus(key, status) {
    const held = items.get(key);
    if (held && status) upsert({ ...held.message, status });
  }

  function applyReaction(d) {
    const held = d.chatId === state.chatId ? items.get(d.messageId) : null;
    if (!held) return;
    const reactions = { ...(held.message.metadata.reactions || {}) };
    if (d.reaction) reactions[d.senderId] = d.reaction;
    else delete reactions[d.senderId];
    upsert({ ...held.message, metadata: { ...held.message.metadata, reactions } }, { authoritative: true });
  }

  function applyRevoked(d) {
    const held = d.chatId === state.chatId ? items.get(d.messageId || d.id) : null;
    if (held) upsert({ ...held.message, body: null, metadata: { ...held.message.metadata, revoked: true } });
  }

  function showTyping(participants) {
    const active = (participants || []).find((p) => p.state === 'composing' || p.state === 'recording');
    if (!active) {
      clearTyping();
      return;
    }
    const recording = active.state === 'recording';
    const who = displayName(page, active.id);
    if (!isGroup(state.chatId)) typing.textContent = recording ? t('recording audio…') : t('typing…');
    else typing.textContent = recording ? t('{name} is recording audio…', { name: who }) : t('{name} is typing…', { name: who });
    page.timers.cancel(state.typingTimer);
    state.typingTimer = page.timers.after(TYPING_STALE_MS, clearTyping);
  }

  function clearTyping() {
    page.timers.cancel(state.typingTimer);
    typing.textContent = '';
  }

  return {
    node, open, close, load, renderHead, addLive, setStatus, applyReaction, applyRevoked, showTyping, clearTyping, refreshRecent,
    chatId: () => state.chatId,
    upsert: (m) => upsert(m, { fresh: true }),
    scrollToBottom,
    focusTitle: () => title.focus(),
  };
}

// ---------- Composer ----------

function textGroup() {
  const text = el('textarea', { id: 'composer-text', name: 'text', rows: 3, maxLength: MAX_TEXT, placeholder: t('Write a message') });
  const counter = el('p', { class: 'char-count', 'aria-live': 'off' }, `0 / ${MAX_TEXT}`);
  const box = field(t('Message'), text, t('Ctrl + Enter sends.'));
  box.append(counter);
  return { group: el('div', { class: 'composer-group' }, box), text, counter };
}

function mediaGroup() {
  const url = el('input', { id: 'composer-url', name: 'url', type: 'url', autocomplete: 'off', spellcheck: 'false', class: 'mono-input', placeholder: 'https://example.com/photo.jpg' });
  const caption = el('input', { id: 'composer-caption', name: 'caption', type: 'text', autocomplete: 'off', maxLength: 1024 });
  const filename = el('input', { id: 'composer-filename', name: 'filename', type: 'text', autocomplete: 'off', maxLength: 255 });
  const ptt = el('input', { id: 'composer-ptt', name: 'ptt', type: 'checkbox' });
  const captionField = field(t('Caption'), caption, t('Optional.'));
  const filenameField = field(t('File name'), filename, t('Optional: the name the recipient sees.'));
  const pttField = el('label', { class: 'check', for: 'composer-ptt' }, ptt, t('Send as a voice note'));
  const group = el('div', { class: 'composer-group', hidden: true }, field(t('File URL'), url, t('An http or https address the server downloads the file from.')), captionField, filenameField, pttField);
  return { group, url, caption, filename, ptt, captionField, filenameField, pttField };
}

function locationGroup() {
  const latitude = el('input', { id: 'composer-latitude', name: 'latitude', type: 'number', step: 'any', min: -90, max: 90, inputMode: 'decimal' });
  const longitude = el('input', { id: 'composer-longitude', name: 'longitude', type: 'number', step: 'any', min: -180, max: 180, inputMode: 'decimal' });
  const name = el('input', { id: 'composer-location-name', name: 'description', type: 'text', autocomplete: 'off', maxLength: 1024 });
  const address = el('input', { id: 'composer-location-address', name: 'address', type: 'text', autocomplete: 'off', maxLength: 1024 });
  const group = el(
    'div',
    { class: 'composer-group', hidden: true },
    el('div', { class: 'form-row form-row-even' }, field(t('Latitude'), latitude, t('-90 to 90')), field(t('Longitude'), longitude, t('-180 to 180'))),
    field(t('Place name'), name, t('Optional.')),
    field(t('Address'), address, t('Optional.')),
  );
  return { group, latitude, longitude, name, address };
}

function contactGroup() {
  const name = el('input', { id: 'composer-contact-name', name: 'contactName', type: 'text', autocomplete: 'off', maxLength: 256 });
  const number = el('input', { id: 'composer-contact-number', name: 'contactNumber', type: 'text', autocomplete: 'off', inputMode: 'tel', placeholder: '628123456789' });
  const group = el('div', { class: 'composer-group', hidden: true }, field(t('Contact name'), name), field(t('Contact number'), number, t('International, with the country code.')));
  return { group, name, number };
}

function pollGroup() {
  const question = el('input', { id: 'composer-poll-question', name: 'name', type: 'text', autocomplete: 'off', maxLength: 255 });
  const options = el('textarea', { id: 'composer-poll-options', name: 'options', rows: 4, placeholder: `${t('Yes')}\n${t('No')}` });
  const multiple = el('input', { id: 'composer-poll-multiple', name: 'allowMultipleAnswers', type: 'checkbox' });
  const group = el(
    'div',
    { class: 'composer-group', hidden: true },
    field(t('Question'), question),
    field(t('Options'), options, t('One per line: 2 to 12, each different.')),
    el('label', { class: 'check', for: 'composer-poll-multiple' }, multiple, t('Allow several answers')),
  );
  return { group, question, options, multiple };
}

function optional(body, key, value) {
  if (value && value.trim()) body[key] = value.trim();
}

function toNumber(value) {
  return value === '' ? undefined : Number(value);
}

/** What the composer sent, as the thread shows it until the row is read back. */
function sentMessage(kind, chatId, body, sent, reply) {
  const metadata = {};
  if (reply) metadata.quotedMessageId = reply.key;
  if (kind === 'location') metadata.location = { latitude: body.latitude, longitude: body.longitude, description: body.description, address: body.address };
  if (kind === 'contact') metadata.contact = { name: body.contactName, number: body.contactNumber };
  if (kind === 'poll') metadata.poll = { name: body.name, options: body.options, allowMultipleAnswers: body.allowMultipleAnswers };
  if (KINDS[kind].media) metadata.media = { filename: body.filename };
  return {
    key: sent.messageId, rowId: null, chatId, from: '', body: body.text ?? body.caption ?? null, type: kind,
    fromMe: true, timestamp: sent.timestamp, status: 'sent', metadata,
  };
}

function createComposer(page, hooks) {
  const state = { reply: null, typingAt: 0, typingChat: null, typingSession: null };
  const kind = el('select', { id: 'composer-kind', name: 'kind' }, Object.entries(KINDS).map(([value, k]) => el('option', { value }, k.label)));
  const text = textGroup();
  const media = mediaGroup();
  const location = locationGroup();
  const contact = contactGroup();
  const poll = pollGroup();
  const errors = el('div', { id: 'composer-errors', class: 'form-errors', role: 'alert', hidden: true });
  const submit = el('button', { type: 'submit', id: 'composer-send', class: 'btn btn-primary' }, t('Send'));
  const replyText = el('span', { id: 'reply-target-text', class: 'reply-text' });
  const replyBar = el(
    'div',
    { id: 'reply-target', class: 'reply-target', hidden: true },
    el('span', { class: 'reply-label' }, t('Replying to')),
    replyText,
    el('button', { type: 'button', id: 'reply-cancel', class: 'btn btn-sm btn-ghost', on: { click: () => cancelReply() } }, t('Cancel reply')),
  );
  const fields = el(
    'fieldset',
    { id: 'composer-fields', class: 'form', disabled: true },
    el('legend', { class: 'visually-hidden' }, t('New message')),
    replyBar,
    field(t('Kind'), kind),
    text.group, media.group, location.group, contact.group, poll.group,
    errors,
    el('div', { class: 'form-actions' }, submit),
  );
  const form = el('form', { id: 'composer', class: 'composer', novalidate: true, 'aria-label': t('Send a message') }, fields);

  function showKind() {
    const k = kind.value;
    const spec = KINDS[k];
    text.group.hidden = k !== 'text';
    media.group.hidden = !spec.media;
    media.captionField.hidden = !spec.caption;
    media.filenameField.hidden = !spec.filename;
    media.pttField.hidden = !spec.ptt;
    location.group.hidden = k !== 'location';
    contact.group.hidden = k !== 'contact';
    poll.group.hidden = k !== 'poll';
    showErrors(errors, null);
  }

  function mediaBody(k, chatId) {
    const spec = KINDS[k];
    const body = { chatId, url: media.url.value.trim() };
    if (spec.caption) optional(body, 'caption', media.caption.value);
    if (spec.filename) optional(body, 'filename', media.filename.value);
    if (spec.ptt && media.ptt.checked) body.ptt = true;
    return body;
  }

  function pollBody(chatId) {
    const options = poll.options.value.split('\n').map((o) => o.trim()).filter(Boolean);
    const body = { chatId, name: poll.question.value.trim(), options, allowMultipleAnswers: poll.multiple.checked };
    if (state.reply) body.quotedMessageId = state.reply.key;
    return body;
  }

  function textRequest(chatId) {
    const value = text.text.value;
    if (!value.trim()) return { problem: t('Write a message first.') };
    // A quoting text has its own route: send-text takes no quoted message.
    if (state.reply) return { route: 'reply', body: { chatId, quotedMessageId: state.reply.key, text: value } };
    return { route: 'send-text', body: { chatId, text: value } };
  }

  /** The route and body for the chosen kind, or { problem } to say before asking the server. */
  function request(k, chatId) {
    if (state.reply && k !== 'text' && k !== 'poll') return { problem: t('Only a text or a poll can quote a message: pick Text or Poll, or cancel the reply.') };
    if (k === 'text') return textRequest(chatId);
    if (k === 'location') {
      const body = { chatId, latitude: toNumber(location.latitude.value), longitude: toNumber(location.longitude.value) };
      optional(body, 'description', location.name.value);
      optional(body, 'address', location.address.value);
      return { route: 'send-location', body };
    }
    if (k === 'contact') return { route: 'send-contact', body: { chatId, contactName: contact.name.value.trim(), contactNumber: contact.number.value.trim() } };
    if (k === 'poll') return { route: 'send-poll', body: pollBody(chatId) };
    if (!media.url.value.trim()) return { problem: t('Enter the address (URL) of the file to send.') };
    return { route: KINDS[k].route, body: mediaBody(k, chatId) };
  }

  function clearInputs(k) {
    const groups = { text: [text.text], location: [location.latitude, location.longitude, location.name, location.address], contact: [contact.name, contact.number], poll: [poll.question, poll.options] };
    for (const input of groups[k] || [media.url, media.caption, media.filename]) input.value = '';
    media.ptt.checked = false;
    poll.multiple.checked = false;
    updateCounter();
  }

  async function send(k, chatId, req) {
    const sid = page.sessionId;
    try {
      const sent = await api.post(path`/api/sessions/${sid}/messages/${req.route}`, req.body);
      if (page.disposed || sid !== page.sessionId) return;
      hooks.sent(sentMessage(k, chatId, req.body, sent, state.reply));
      clearInputs(k);
      setReply(null);
      stopTyping();
      if (k === 'text') text.text.focus();
    } catch (err) {
      if (!page.disposed && !isSignedOut(err)) showErrors(errors, err);
    }
  }

  async function onSubmit(event) {
    event.preventDefault();
    showErrors(errors, null);
    const chatId = hooks.chatId();
    if (!chatId) {
      showErrors(errors, [t('Open a chat first.')]);
      return;
    }
    const k = kind.value;
    const req = request(k, chatId);
    if (req.problem) {
      showErrors(errors, [req.problem]);
      return;
    }
    await withBusy(submit, () => send(k, chatId, req));
  }

  function sendTyping(sessionId, chatId, value) {
    // A lost typing notice is harmless; a toast for each would bury the errors that matter.
    api.post(path`/api/sessions/${sessionId}/chats/typing`, { chatId, state: value }).catch(() => {});
  }

  function onTextInput() {
    updateCounter();
    const chatId = hooks.chatId();
    if (!chatId) return;
    if (!text.text.value) {
      stopTyping();
      return;
    }
    const now = Date.now();
    if (state.typingChat === chatId && now - state.typingAt < TYPING_EVERY_MS) return;
    Object.assign(state, { typingAt: now, typingChat: chatId, typingSession: page.sessionId });
    sendTyping(page.sessionId, chatId, 'typing');
  }

  function stopTyping() {
    if (!state.typingChat) return;
    sendTyping(state.typingSession, state.typingChat, 'paused');
    Object.assign(state, { typingAt: 0, typingChat: null, typingSession: null });
  }

  function updateCounter() {
    const n = text.text.value.length;
    text.counter.textContent = `${n} / ${MAX_TEXT}`;
    text.counter.classList.toggle('is-over', n > MAX_TEXT);
  }

  function setReply(m) {
    state.reply = m;
    replyBar.hidden = !m;
    replyText.textContent = m ? `${m.fromMe ? t('You') : displayName(page, m.from)}: ${snippet(m)}` : '';
    if (!m) return;
    if (kind.value !== 'text' && kind.value !== 'poll') {
      kind.value = 'text';
      showKind();
    }
    (kind.value === 'poll' ? poll.question : text.text).focus();
  }

  function cancelReply() {
    setReply(null);
    text.text.focus();
  }

  /** Leaves the chat: stops typing there, drops the reply and the draft. */
  function reset() {
    stopTyping();
    setReply(null);
    text.text.value = '';
    updateCounter();
    showErrors(errors, null);
  }

  kind.addEventListener('change', showKind);
  text.text.addEventListener('input', onTextInput);
  text.text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', onSubmit);

  return { node: form, setReply, reset, setEnabled: (on) => { fields.disabled = !on; } };
}

// ---------- Groups ----------

function participantItem(page, p) {
  const mark = p.isSuperAdmin ? t('super admin') : p.isAdmin ? t('admin') : null;
  return el(
    'li',
    { class: 'dir-row participant', dataset: { participantId: p.id, admin: p.isSuperAdmin ? 'super' : p.isAdmin ? 'admin' : null } },
    el('span', { class: 'dir-text' }, el('span', { class: 'dir-name' }, displayName(page, p.id)), el('span', { class: 'dir-sub' }, p.id)),
    mark ? el('span', { class: 'tag tag-accent admin-mark' }, mark) : null,
  );
}

function createGroups(page, openChat) {
  const groups = new Map();
  let seq = 0;
  let detailSeq = 0;
  const list = el('ul', { id: 'groups-list', class: 'dir-list' });
  const empty = el('p', { id: 'groups-empty', class: 'empty-state' }, t('Loading groups…'));
  const detailTitle = el('h3', { id: 'group-participants-title' });
  const detailNote = el('p', { id: 'group-participants-note', class: 'card-sub', role: 'status' });
  const participants = el('ul', { id: 'group-participants', class: 'dir-list participants', tabIndex: 0, 'aria-labelledby': 'group-participants-title' });
  const detail = el('div', { id: 'group-detail', class: 'group-detail', hidden: true }, detailTitle, detailNote, participants);
  const refresh = el('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'aria-label': t('Refresh groups'), on: { click: () => load() } }, t('Refresh'));

  function item(g) {
    const name = g.name || g.id;
    return el(
      'li',
      { class: 'dir-row' },
      el(
        'button',
        { type: 'button', class: 'dir-item', dataset: { groupId: g.id }, 'aria-controls': 'group-detail', on: { click: () => show(g) } },
        el('span', { class: 'dir-name' }, name),
        el('span', { class: 'dir-sub' }, tn(g.participantsCount || 0, '{n} participant', '{n} participants')),
        g.isAdmin ? el('span', { class: 'tag tag-accent' }, t('you are an admin')) : null,
      ),
      el('button', { type: 'button', class: 'btn btn-sm btn-ghost', dataset: { action: 'open-chat' }, 'aria-label': t('Open chat of {name}', { name }), on: { click: () => openChat(g.id, { focus: true }) } }, t('Open chat')),
    );
  }

  function render() {
    list.replaceChildren(...[...groups.values()].map(item));
    empty.hidden = groups.size > 0;
    empty.textContent = t('This account is in no group.');
  }

  async function load() {
    const sid = page.sessionId;
    const mine = ++seq;
    try {
      const rows = await api.get(path`/api/sessions/${sid}/groups`);
      if (page.disposed || mine !== seq) return;
      groups.clear();
      for (const g of Array.isArray(rows) ? rows : []) {
        groups.set(g.id, g);
        if (g.name) page.names.set(g.id, g.name);
      }
      render();
    } catch (err) {
      if (page.disposed || mine !== seq) return;
      empty.textContent = t('Could not load the groups.');
      empty.hidden = false;
      reportError(err, t('Could not load groups'));
    }
  }

  function markCurrent(id) {
    for (const button of list.querySelectorAll('[data-group-id]')) {
      if (button.dataset.groupId === id) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
  }

  async function show(g) {
    const sid = page.sessionId;
    const mine = ++detailSeq;
    markCurrent(g.id);
    detail.hidden = false;
    detailTitle.textContent = t('Participants of {name}', { name: g.name || g.id });
    detailNote.textContent = t('Loading participants…');
    participants.replaceChildren();
    try {
      const group = await api.get(path`/api/sessions/${sid}/groups/${g.id}`);
      if (page.disposed || mine !== detailSeq) return;
      // Admins first, as WhatsApp lists them.
      const people = (group.participants || []).slice().sort((a, b) => Number(b.isSuperAdmin) - Number(a.isSuperAdmin) || Number(b.isAdmin) - Number(a.isAdmin));
      participants.replaceChildren(...people.map((p) => participantItem(page, p)));
      const admins = people.filter((p) => p.isAdmin || p.isSuperAdmin).length;
      detailNote.textContent = `${tn(people.length, '{n} participant', '{n} participants')}, ${tn(admins, '{n} admin', '{n} admins')}`;
    } catch (err) {
      if (page.disposed || mine !== detailSeq) return;
      detailNote.textContent = t('Could not load the participants.');
      reportError(err, t('Could not load the group'));
    }
  }

  function clear() {
    seq += 1;
    detailSeq += 1;
    groups.clear();
    list.replaceChildren();
    detail.hidden = true;
    empty.textContent = t('Loading groups…');
    empty.hidden = false;
  }

  const node = el(
    'section',
    { id: 'groups', class: 'card card-flush dir-pane', 'aria-labelledby': 'groups-title' },
    el('div', { class: 'card-head' }, el('h2', { id: 'groups-title' }, t('Groups')), refresh),
    list,
    empty,
    detail,
  );
  return { node, load, clear };
}

// ---------- Contacts ----------

function contactName(c) {
  return c.name || c.pushName || (c.number ? formatPhone(c.number) : c.id);
}

function createContacts(page, openChat) {
  const contacts = new Map(); // in id order, as the API lists them
  let seq = 0;
  const list = el('ul', { id: 'contacts-list', class: 'dir-list' });
  const empty = el('p', { id: 'contacts-empty', class: 'empty-state' }, t('Loading contacts…'));
  const more = el('p', { id: 'contacts-more', class: 'hint contacts-more', hidden: true });
  const check = createNumberCheck(page, openChat);
  const refresh = el('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'aria-label': t('Refresh contacts'), on: { click: () => load() } }, t('Refresh'));

  function actions(c) {
    const name = contactName(c);
    const open = el('button', { type: 'button', class: 'btn btn-sm btn-ghost', dataset: { action: 'open' }, 'aria-label': t('Open chat with {name}', { name }), on: { click: () => openChat(c.id, { focus: true }) } }, t('Open chat'));
    if (!page.canSend) return el('div', { class: 'actions' }, open);
    const block = c.isBlocked
      ? el('button', { type: 'button', class: 'btn btn-sm', dataset: { action: 'unblock' }, 'aria-label': t('Unblock {name}', { name }) }, t('Unblock'))
      : el('button', { type: 'button', class: 'btn btn-sm btn-danger-text', dataset: { action: 'block' }, 'aria-label': t('Block {name}', { name }) }, t('Block'));
    block.addEventListener('click', () => setBlocked(c.id, !c.isBlocked, block));
    return el('div', { class: 'actions' }, open, block);
  }

  function row(c) {
    const tags = [c.isBlocked ? el('span', { class: 'tag tag-blocked' }, t('blocked')) : null, c.isMyContact ? el('span', { class: 'tag' }, t('in address book')) : null].filter(Boolean);
    return el(
      'li',
      { class: 'dir-row', dataset: { contactId: c.id, blocked: String(Boolean(c.isBlocked)) } },
      el(
        'span',
        { class: 'dir-text' },
        el('span', { class: 'dir-name' }, contactName(c)),
        el('span', { class: 'dir-sub' }, c.number ? `${formatPhone(c.number)} · ${c.id}` : c.id),
        tags.length ? el('span', { class: 'chips' }, tags) : null,
      ),
      actions(c),
    );
  }

  function render() {
    const all = [...contacts.values()];
    list.replaceChildren(...all.slice(0, CONTACTS_SHOWN).map(row));
    empty.hidden = all.length > 0;
    empty.textContent = t('No contacts yet: they come from the phone’s address book and from people who write.');
    more.hidden = all.length <= CONTACTS_SHOWN;
    more.textContent = t('Showing the first {shown} of {n} contacts.', { shown: CONTACTS_SHOWN, n: all.length });
  }

  /** Redraws one contact in place, keeping the focus on its block button. */
  function redraw(id) {
    const old = list.querySelector(`[data-contact-id="${CSS.escape(id)}"]`);
    if (!old) return;
    const hadFocus = old.contains(document.activeElement);
    const next = row(contacts.get(id));
    old.replaceWith(next);
    if (hadFocus) {
      const button = next.querySelector('[data-action="block"], [data-action="unblock"]');
      if (button) button.focus();
    }
  }

  async function setBlocked(id, blocked, button) {
    const c = contacts.get(id);
    const name = contactName(c);
    if (blocked) {
      const ok = await confirmDialog({
        title: t('Block {name}?', { name }),
        message: t('They can no longer call or message this WhatsApp account, on any of its devices. You can unblock them later.'),
        confirmLabel: t('Block'),
      });
      if (!ok || page.disposed) return;
    }
    await withBusy(button, async () => {
      try {
        const url = path`/api/sessions/${page.sessionId}/contacts/${id}/block`;
        await (blocked ? api.post(url) : api.del(url));
        if (page.disposed) return;
        contacts.set(id, { ...contacts.get(id), isBlocked: blocked });
        toast(blocked ? t('{name} is blocked.', { name }) : t('{name} is unblocked.', { name }), 'success');
      } catch (err) {
        if (!page.disposed) reportError(err, blocked ? t('Could not block') : t('Could not unblock'));
      }
    });
    if (!page.disposed) redraw(id);
  }

  async function load() {
    const sid = page.sessionId;
    const mine = ++seq;
    try {
      const rows = await api.get(path`/api/sessions/${sid}/contacts`);
      if (page.disposed || mine !== seq) return;
      contacts.clear();
      for (const c of Array.isArray(rows) ? rows : []) {
        contacts.set(c.id, c);
        if (c.name || c.pushName) page.names.set(c.id, c.name || c.pushName);
      }
      render();
    } catch (err) {
      if (page.disposed || mine !== seq) return;
      empty.textContent = t('Could not load the contacts.');
      empty.hidden = false;
      reportError(err, t('Could not load contacts'));
    }
  }

  /** A contact.update: a name, a push name or a block changed, here or on the phone. */
  function applyUpdate(d) {
    if (!d || !d.id) return;
    const known = contacts.has(d.id);
    contacts.set(d.id, { ...(contacts.get(d.id) || {}), ...d, number: d.number || (contacts.get(d.id) || {}).number || '' });
    if (d.name || d.pushName) page.names.set(d.id, d.name || d.pushName);
    if (known) redraw(d.id);
    else render();
  }

  function clear() {
    seq += 1;
    contacts.clear();
    list.replaceChildren();
    more.hidden = true;
    check.clear();
    empty.textContent = t('Loading contacts…');
    empty.hidden = false;
  }

  const node = el(
    'section',
    { id: 'contacts', class: 'card card-flush dir-pane', 'aria-labelledby': 'contacts-title' },
    el('div', { class: 'card-head' }, el('h2', { id: 'contacts-title' }, t('Contacts')), refresh),
    check.node,
    list,
    empty,
    more,
  );
  return { node, load, clear, applyUpdate };
}

function createNumberCheck(page, openChat) {
  const phone = el('input', { id: 'check-number-phone', name: 'number', type: 'text', inputMode: 'tel', autocomplete: 'off', placeholder: '628123456789' });
  const submit = el('button', { type: 'submit', class: 'btn' }, t('Check'));
  const errors = el('div', { id: 'check-number-errors', class: 'form-errors', role: 'alert', hidden: true });
  const result = el('p', { id: 'check-number-result', class: 'result-line', role: 'status' });
  const form = el(
    'form',
    { id: 'check-number', class: 'form check-number', novalidate: true, 'aria-label': t('Check a number') },
    // The hint goes below the row, so that the button lines up with the input.
    el('div', { class: 'inline-field' }, field(t('Does this number have WhatsApp?'), phone), submit),
    el('p', { id: 'check-number-hint', class: 'hint' }, t('International, with the country code; spaces, dashes and + are dropped.')),
    errors,
    result,
  );

  phone.setAttribute('aria-describedby', 'check-number-hint');

  function showAnswer(answer) {
    const number = formatPhone(answer.number);
    result.dataset.exists = String(Boolean(answer.exists));
    if (!answer.exists || !answer.whatsappId) {
      result.replaceChildren(t('{number} is not on WhatsApp.', { number }));
      return;
    }
    const id = el('code', null, answer.whatsappId);
    const open = el('button', { type: 'button', class: 'link-button', dataset: { action: 'open' }, on: { click: () => openChat(answer.whatsappId, { focus: true }) } }, t('Open chat'));
    result.replaceChildren(...fillNodes(t('{number} is on WhatsApp as {id}.', { number }), { id }), ' ', open);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showErrors(errors, null);
    result.replaceChildren();
    delete result.dataset.exists;
    const number = phone.value.replace(/[\s\-().+]/g, '');
    if (!number) {
      showErrors(errors, [t('Enter a phone number with its country code.')]);
      phone.focus();
      return;
    }
    await withBusy(submit, async () => {
      try {
        const answer = await api.get(path`/api/sessions/${page.sessionId}/contacts/check/${number}`);
        if (!page.disposed) showAnswer(answer);
      } catch (err) {
        if (!page.disposed && !isSignedOut(err)) showErrors(errors, err);
      }
    });
  });

  function clear() {
    showErrors(errors, null);
    result.replaceChildren();
  }

  return { node: form, clear };
}

// ---------- Page ----------

export function mount(root, ctx) {
  const page = {
    canSend: ctx.hasRole('operator'),
    sessionId: null,
    ready: false,
    disposed: false,
    timers: timers(),
    names: new Map(), // jid -> name, from chats, groups and contacts
    abort: new AbortController(),
  };
  const offs = [];
  const sessionView = sessionStore.follow(onSessions);
  const bar = createSessionBar(page, choose);
  const chats = createChatList(page, { onOpen: (id) => openChat(id), onChange: () => thread.renderHead() });
  const thread = createThread(page, {
    chat: (id) => chats.get(id),
    markedRead: (id) => chats.setUnread(id, 0),
    onReply: (m) => composer && composer.setReply(m),
  });
  const composer = page.canSend ? createComposer(page, { chatId: () => thread.chatId(), sent: onSent }) : null;
  const groups = createGroups(page, openChat);
  const contacts = createContacts(page, openChat);
  const reloadChats = debounced(page, 400, () => chats.load());
  const reloadGroups = debounced(page, 1000, () => groups.load());
  const refreshThread = debounced(page, 400, () => thread.refreshRecent());

  thread.node.append(
    composer
      ? composer.node
      : el('p', { class: 'notice thread-notice' }, t('Your key has the viewer role: you can read chats, but not send, react, mark read or block.')),
  );
  const workspace = el('div', { id: 'chats-workspace', class: 'chats-layout', hidden: true }, chats.node, thread.node);
  const directory = el('div', { id: 'chats-directory', class: 'chats-directory', hidden: true }, groups.node, contacts.node);
  root.append(
    pageHead(t('Chats'), t('Read and answer the chats of a linked session, and look up its groups and contacts.')),
    bar.node,
    workspace,
    directory,
  );

  // ---- sessions ----
  async function loadSessions() {
    try {
      await sessionView.load();
    } catch (err) {
      if (!page.disposed) reportError(err, t('Could not load sessions'));
    }
  }

  function onSessions() {
    if (!page.disposed) choose(bar.render());
  }

  function choose(id) {
    const ready = bar.showState(id ? sessionStore.get(id) : null);
    const changed = id !== page.sessionId;
    const cameBack = ready && !page.ready;
    if (changed) leaveSession(id);
    page.ready = ready;
    workspace.hidden = !ready;
    directory.hidden = !ready;
    if (ready && (changed || cameBack)) enterSession();
  }

  function leaveSession(id) {
    if (composer) composer.reset();
    thread.close();
    chats.clear();
    groups.clear();
    contacts.clear();
    page.names.clear();
    page.sessionId = id;
    remember(id);
    if (id) ctx.live.subscribeSession(id);
    if (composer) composer.setEnabled(false);
  }

  function enterSession() {
    chats.load();
    groups.load();
    contacts.load();
    if (thread.chatId()) thread.load();
  }

  // ---- chats ----
  function openChat(chatId, { focus = false } = {}) {
    if (!chatId) return;
    if (chatId !== thread.chatId()) {
      // Stops "typing" in the chat left, and a reply never crosses to another chat.
      if (composer) composer.reset();
      chats.setOpen(chatId);
      thread.open(chatId);
      if (composer) composer.setEnabled(true);
      if (page.canSend && !isGroup(chatId)) subscribePresence(chatId);
    }
    // On a narrow screen the thread is below the list: bring it into view.
    if (focus) thread.focusTitle();
    else if (window.matchMedia && window.matchMedia(NARROW).matches) thread.node.scrollIntoView({ block: 'start' });
  }

  function subscribePresence(chatId) {
    // Without it WhatsApp sends no typing reports for the contact. A failure only costs the
    // indicator, so it is not reported.
    api.post(path`/api/sessions/${page.sessionId}/presence/subscribe`, { chatId }).catch(() => {});
  }

  function onSent(message) {
    thread.upsert(message);
    thread.scrollToBottom();
    if (!chats.noteMessage(message)) reloadChats();
    refreshThread();
  }

  // ---- live ----
  function onMessage(data, fromMe) {
    const message = fromEvent(data, fromMe);
    if (!chats.noteMessage(message)) reloadChats();
    if (message.chatId !== thread.chatId()) return;
    if (!fromMe) thread.clearTyping();
    thread.addLive(message);
    refreshThread();
  }

  function onEvent(payload) {
    const data = payload.data || {};
    if (!page.ready || (payload.sessionId || data.sessionId) !== page.sessionId) return;
    switch (payload.event) {
      case 'message.received':
      case 'message.sent':
        onMessage(data, payload.event === 'message.sent' || Boolean(data.fromMe));
        break;
      case 'message.ack':
        thread.setStatus(data.messageId || data.id, data.status);
        break;
      case 'message.failed':
        thread.setStatus(data.messageId || data.id, 'failed');
        break;
      case 'message.reaction':
        thread.applyReaction(data);
        break;
      case 'message.revoked':
        thread.applyRevoked(data);
        break;
      case 'chat.update':
        if (!chats.applyUpdate(data)) reloadChats();
        break;
      case 'presence.update':
        if (data.chatId === thread.chatId()) thread.showTyping(data.participants);
        break;
      case 'contact.update':
        contacts.applyUpdate(data);
        break;
      case 'group.join':
      case 'group.leave':
      case 'group.update':
        reloadGroups();
        break;
      default:
        break;
    }
  }

  offs.push(
    ctx.live.on('event', onEvent),
    // Events missed while the socket was down: read everything shown again.
    ctx.live.on('resync', () => loadSessions().then(() => page.ready && !page.disposed && enterSession())),
  );

  loadSessions();

  // Listeners on the page's own elements go with them; what outlives the page is dropped here.
  return () => {
    if (composer) composer.reset();
    page.disposed = true;
    page.timers.clear();
    page.abort.abort();
    sessionView.stop();
    for (const off of offs) off();
  };
}
