// Overview page (/overview): sessions by status (from the session store, live), and for an
// unscoped admin key the daemon's statistics: messages in and out over time (GET /api/stats/messages,
// drawn as an SVG bar chart), totals and webhook health (GET /api/stats/overview).

import { api } from './api.js';
import { locale, t, tn } from './i18n.js';
import * as sessionStore from './store.js';
import { SESSION_STATUSES, el, field, pageHead, reportError, statusBadge } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const child of children) if (child) node.append(child);
  return node;
}

function stat(label, value, id) {
  return el('div', { class: 'stat', id }, el('p', { class: 'stat-label' }, label), el('p', { class: 'stat-value' }, String(value)));
}

/** Bars of incoming and outgoing messages per bucket, oldest left; a title on each says its counts. */
function chart(buckets, interval) {
  const width = 720;
  const height = 180;
  const pad = 20;
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.incoming, b.outgoing)));
  const slot = (width - pad * 2) / Math.max(1, buckets.length);
  const bar = Math.max(1, slot / 2 - 1);
  const fmt = new Intl.DateTimeFormat(locale(), interval === 'hour' ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric' });
  const node = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'chart-title', preserveAspectRatio: 'none' });
  const total = buckets.reduce((n, b) => n + b.total, 0);
  // The API buckets by hour or by day.
  const title = interval === 'hour'
    ? tn(total, '{n} message in this period, per hour', '{n} messages in this period, per hour')
    : tn(total, '{n} message in this period, per day', '{n} messages in this period, per day');
  node.append(svg('title', { id: 'chart-title' }, document.createTextNode(title)));
  node.append(svg('line', { class: 'axis', x1: pad, x2: width - pad, y1: height - pad, y2: height - pad }));
  buckets.forEach((b, i) => {
    const x = pad + i * slot;
    const h = (n) => ((height - pad * 2) * n) / max;
    const label = t('{date}: {received} received, {sent} sent', { date: fmt.format(new Date(b.start)), received: b.incoming, sent: b.outgoing });
    const group = svg('g', { 'data-start': b.start }, svg('title', null, document.createTextNode(label)));
    group.append(svg('rect', { class: 'bar-in', x, y: height - pad - h(b.incoming), width: bar, height: h(b.incoming) }));
    group.append(svg('rect', { class: 'bar-out', x: x + bar + 1, y: height - pad - h(b.outgoing), width: bar, height: h(b.outgoing) }));
    node.append(group);
  });
  return node;
}

export function mount(root, ctx) {
  let disposed = false;
  const statuses = el('div', { id: 'overview-statuses', class: 'stat-grid' });
  const daemon = el('div', { id: 'overview-daemon' });
  const period = el(
    'select',
    { id: 'overview-period', on: { change: () => loadStats() } },
    el('option', { value: '24h' }, t('Last 24 hours')),
    el('option', { value: '7d' }, t('Last 7 days')),
    el('option', { value: '30d' }, t('Last 30 days')),
  );

  root.append(
    pageHead(t('Overview'), t('How the sessions are doing, and what went through them.')),
    el('section', { class: 'card', 'aria-labelledby': 'overview-sessions-title' }, el('div', { class: 'card-head' }, el('h2', { id: 'overview-sessions-title' }, t('Sessions by status'))), statuses),
    daemon,
  );

  function paintStatuses() {
    if (disposed) return;
    const all = sessionStore.all();
    const counts = new Map(SESSION_STATUSES.map((s) => [s, 0]));
    for (const s of all) counts.set(s.status, (counts.get(s.status) || 0) + 1);
    statuses.replaceChildren(
      stat(t('All sessions'), all.length, 'overview-total'),
      ...[...counts].map(([status, n]) => el('div', { class: 'stat', dataset: { status } }, el('p', { class: 'stat-label' }, statusBadge(status)), el('p', { class: 'stat-value' }, String(n)))),
    );
  }

  async function loadStats() {
    // The daemon's statistics are for admin keys that see every session.
    if (!ctx.hasRole('admin')) {
      daemon.replaceChildren(el('p', { class: 'notice', id: 'overview-admins-only' }, t('Message and webhook statistics are shown to admin keys.')));
      return;
    }
    try {
      const [o, m] = await Promise.all([api.get('/api/stats/overview'), api.get(`/api/stats/messages?period=${encodeURIComponent(period.value)}`)]);
      if (disposed) return;
      const w = o.webhooks;
      const healthy = w.failedDeliveries === 0;
      daemon.replaceChildren(
        el(
          'section',
          { class: 'card', 'aria-labelledby': 'overview-messages-title' },
          el('div', { class: 'card-head' }, el('h2', { id: 'overview-messages-title' }, t('Messages')), field(t('Period'), period)),
          el('div', { class: 'stat-grid' }, stat(t('Received'), o.messages.incoming, 'overview-incoming'), stat(t('Sent'), o.messages.outgoing, 'overview-outgoing'), stat(t('Last 24 hours'), o.messages.last24h, 'overview-24h')),
          chart(m.buckets || [], m.interval),
          el('ul', { class: 'legend' }, el('li', null, el('span', { class: 'swatch swatch-in' }), t('Received')), el('li', null, el('span', { class: 'swatch swatch-out' }), t('Sent'))),
        ),
        el(
          'section',
          { class: 'card', 'aria-labelledby': 'overview-webhooks-title', id: 'overview-webhooks', dataset: { healthy: String(healthy) } },
          el('div', { class: 'card-head' }, el('h2', { id: 'overview-webhooks-title' }, t('Webhook health'))),
          el('div', { class: 'stat-grid' }, stat(t('Webhooks'), t('{active} active of {total}', { active: w.active, total: w.total })), stat(t('Waiting to deliver'), w.pendingDeliveries), stat(t('Failed for good'), w.failedDeliveries, 'overview-failed')),
          healthy ? null : el('p', null, el('a', { href: '/webhooks' }, t('See the failed deliveries and retry them'))),
        ),
        el(
          'p',
          { class: 'hint' },
          `${t('OpenWA {version}, up {minutes} min.', { version: o.version, minutes: Math.round(o.uptimeSeconds / 60) })} ${tn(o.apiKeys.active, '{n} active API key.', '{n} active API keys.')}`,
        ),
      );
    } catch (err) {
      if (disposed) return;
      // A key limited to some sessions is refused the daemon-wide figures: say so, quietly.
      if (err.status === 401 || err.status === 403) {
        daemon.replaceChildren(el('p', { class: 'notice', id: 'overview-admins-only' }, t('Message and webhook statistics are shown to admin keys that are not limited to some sessions.')));
        return;
      }
      daemon.replaceChildren(el('p', { class: 'notice' }, t('The statistics could not be read.')));
      reportError(err, t('Could not load the statistics'));
    }
  }

  const view = sessionStore.follow(paintStatuses);
  view.load().catch((err) => reportError(err, t('Could not load sessions')));
  loadStats();
  return () => {
    disposed = true;
    view.stop();
  };
}
