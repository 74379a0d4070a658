// Live events page (/events): every event the WebSocket brings, newest first, filtered by kind,
// session and text, pausable (what arrives while paused waits and is counted), at most KEEP kept.

import { t, tn } from './i18n.js';
import * as sessionStore from './store.js';
import { el, field, fillSessionFilter, pageHead, timeEl } from './ui.js';

const KEEP = 500;

export function mount(root, ctx) {
  const held = []; // newest first, every event seen, at most KEEP
  const waiting = []; // arrived while paused
  let paused = false;
  let disposed = false;

  const kindFilter = el('input', {
    id: 'events-kind', type: 'search', autocomplete: 'off', spellcheck: 'false', placeholder: 'message.received, session.*',
    on: { input: () => paint(), change: () => paint() },
  });
  const sessionFilter = el('select', { id: 'events-session', on: { change: () => paint() } });
  const textFilter = el('input', {
    id: 'events-text', type: 'search', autocomplete: 'off', spellcheck: 'false', placeholder: t('Text in the data'),
    on: { input: () => paint(), change: () => paint() },
  });
  const pause = el('button', { type: 'button', id: 'events-pause', class: 'btn', 'aria-pressed': 'false', on: { click: () => setPaused(!paused) } }, t('Pause'));
  const clear = el('button', { type: 'button', id: 'events-clear', class: 'btn btn-ghost', on: { click: () => { held.length = 0; waiting.length = 0; paint(); } } }, t('Clear'));
  const status = el('p', { id: 'events-status', class: 'card-sub', role: 'status' });
  const list = el('ol', { id: 'events-list', class: 'event-list', 'aria-label': t('Events, newest first') });
  const empty = el('p', { id: 'events-empty', class: 'empty-state' }, t('No event yet. Start a session, send a message or scan a QR code: each event shows here as it happens.'));

  root.append(
    pageHead(t('Live events'), t('Every event the daemon publishes to this key, as it happens: what your webhooks and WebSocket clients receive.')),
    el(
      'section',
      { class: 'card card-flush', 'aria-labelledby': 'events-title' },
      el('div', { class: 'card-head' }, el('div', null, el('h2', { id: 'events-title' }, t('Events')), status), el('div', { class: 'actions' }, pause, clear)),
      el(
        'div',
        { class: 'toolbar', role: 'search', 'aria-label': t('Filter events') },
        field(t('Event'), kindFilter, t('A name, or a prefix ending in *.')),
        field(t('Session'), sessionFilter),
        el('div', { class: 'field field-wide' }, el('label', { for: 'events-text' }, t('Contains')), textFilter),
      ),
      list,
      empty,
    ),
  );

  function kindMatches(kind, pattern) {
    if (!pattern) return true;
    return pattern.split(',').map((p) => p.trim()).filter(Boolean).some((p) => (p.endsWith('*') ? kind.startsWith(p.slice(0, -1)) : kind === p));
  }

  function shown(item) {
    if (!kindMatches(item.payload.event, kindFilter.value.trim())) return false;
    if (sessionFilter.value && item.sessionId !== sessionFilter.value) return false;
    const needle = textFilter.value.trim().toLowerCase();
    return !needle || item.text.toLowerCase().includes(needle);
  }

  function itemNode(item) {
    const session = sessionStore.get(item.sessionId);
    return el(
      'li',
      { class: 'event-item', dataset: { event: item.payload.event, sessionId: item.sessionId || '' } },
      el(
        'details',
        null,
        el(
          'summary',
          null,
          el('span', { class: 'event-name' }, item.payload.event),
          el('span', { class: 'cell-secondary' }, session ? session.name : item.sessionId || ''),
          timeEl(item.at, { mode: 'short' }),
        ),
        el('pre', { class: 'event-data' }, item.text),
      ),
    );
  }

  function paint() {
    if (disposed) return;
    const visible = held.filter(shown);
    list.replaceChildren(...visible.map(itemNode));
    empty.hidden = visible.length > 0;
    const parts = [tn(held.length, '{n} event', '{n} events')];
    if (visible.length !== held.length) parts.push(tn(visible.length, '{n} shown', '{n} shown'));
    if (paused) parts.push(waiting.length ? tn(waiting.length, 'paused, {n} new event waiting', 'paused, {n} new events waiting') : t('paused'));
    status.textContent = parts.join(' · ');
  }

  function keep(items) {
    held.unshift(...items);
    if (held.length > KEEP) held.length = KEEP;
  }

  function setPaused(value) {
    paused = value;
    pause.textContent = paused ? t('Resume') : t('Pause');
    pause.setAttribute('aria-pressed', String(paused));
    if (!paused && waiting.length) {
      keep(waiting.splice(0).reverse());
    }
    paint();
  }

  const offs = [
    ctx.live.on('event', (payload, frame) => {
      const item = {
        payload,
        sessionId: payload.sessionId || (payload.data && payload.data.sessionId) || null,
        at: payload.timestamp || (frame && frame.timestamp) || new Date().toISOString(),
        text: JSON.stringify(payload.data ?? null, null, 2),
      };
      if (paused) {
        waiting.push(item);
        if (waiting.length > KEEP) waiting.shift();
        paint();
        return;
      }
      keep([item]);
      paint();
    }),
  ];
  const view = sessionStore.follow(() => {
    fillSessionFilter(sessionFilter, sessionStore.all(), t('Every session'));
    paint();
  });
  view.load().catch(() => {
    /* the session names are a nicety: ids are shown without them */
  });
  paint();

  return () => {
    disposed = true;
    view.stop();
    for (const off of offs) off();
  };
}
