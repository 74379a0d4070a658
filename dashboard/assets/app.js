// The dashboard shell: sign-in state, header, theme, client-side routing (History API) and the live
// connection. Pages are modules exporting mount(root, ctx) which returns an optional cleanup.

import { api, clearKey, forgetServerInfo, getKey, onBackoff, onUnauthorized, serverInfo, setKey, validateKey } from './api.js';
import { LANGUAGES, lang, setLang, t, translateStatic } from './i18n.js';
import { LiveClient } from './live.js';
import * as sessionStore from './store.js';
import { el, pageHead, reportError, startRelativeClock, toast } from './ui.js';
import * as signinPage from './signin.js';
import * as sessionsPage from './sessions.js';
import * as consolePage from './console.js';
import * as webhooksPage from './webhooks.js';
import * as keysPage from './keys.js';
import * as overviewPage from './overview.js';
import * as eventsPage from './events.js';
import * as templatesPage from './templates.js';
import * as auditPage from './audit.js';
import * as chatsPage from './chats.js';

const ROLE_RANK = { viewer: 1, operator: 2, admin: 3 };
const THEME_KEY = 'openwa.theme';

const ROUTES = {
  '/signin': { page: signinPage, title: t('Sign in'), anonymous: true },
  '/overview': { page: overviewPage, title: t('Overview'), nav: 'overview' },
  '/sessions': { page: sessionsPage, title: t('Sessions'), nav: 'sessions' },
  '/console': { page: consolePage, title: t('Message console'), nav: 'console' },
  '/chats': { page: chatsPage, title: t('Chats'), nav: 'chats' },
  '/events': { page: eventsPage, title: t('Live events'), nav: 'events' },
  '/templates': { page: templatesPage, title: t('Templates'), nav: 'templates', minRole: 'operator' },
  '/webhooks': { page: webhooksPage, title: t('Webhooks'), nav: 'webhooks', minRole: 'operator' },
  '/audit': { page: auditPage, title: t('Audit log'), nav: 'audit', minRole: 'admin' },
  '/keys': { page: keysPage, title: t('API keys'), nav: 'keys', minRole: 'admin' },
};

const auth = { key: null, role: null };
let flash = null; // message for the sign-in page: { text, kind: 'error' | 'info' }
let returnTo = null; // where to go after signing in
let cleanupPage = null;
let firstRender = true;

const live = new LiveClient({
  getKey,
  listSessionIds: async () => (await sessionStore.load()).map((s) => s.id),
  onAuthFailure: (reason) => signOut(reason || t('Your API key is no longer accepted.'), 'error'),
});

function hasRole(minimum) {
  return (ROLE_RANK[auth.role] || 0) >= (ROLE_RANK[minimum] || 0);
}

const ctx = {
  api,
  live,
  navigate,
  hasRole,
  get role() {
    return auth.role;
  },
  /** The first 12 characters of the key in use: what the API shows as keyPrefix. */
  get keyPrefix() {
    return auth.key ? auth.key.slice(0, 12) : null;
  },
  signIn,
  signOut,
  takeFlash() {
    const f = flash;
    flash = null;
    return f;
  },
};

// ---------- Auth ----------

/** Validates a key and signs in with it. Returns { ok: true } or { ok: false, message }. */
async function signIn(key) {
  const result = await validateKey(key);
  if (!result || result.valid !== true) {
    return { ok: false, message: t('That key is not valid. Check that you copied all of it, and that it is not revoked or expired.') };
  }
  setKey(key);
  auth.key = key;
  auth.role = result.role || 'viewer';
  live.start();
  updateHeader();
  const target = returnTo && ROUTES[returnTo] && returnTo !== '/signin' ? returnTo : '/sessions';
  returnTo = null;
  navigate(target, { replace: true });
  return { ok: true };
}

/** Forgets the key and goes to /signin, showing `message` there. */
function signOut(message, kind = 'info') {
  const wasSignedIn = Boolean(auth.key);
  if (wasSignedIn && kind === 'error' && location.pathname !== '/signin') returnTo = location.pathname;
  clearKey();
  auth.key = null;
  auth.role = null;
  live.stop();
  sessionStore.clear();
  forgetServerInfo();
  closeOpenDialogs();
  // Notices of the signed-in pages do not belong on the sign-in page.
  document.getElementById('toasts').replaceChildren();
  updateHeader();
  if (message) flash = { text: message, kind };
  if (!wasSignedIn && location.pathname === '/signin' && !message) return;
  navigate('/signin', { replace: true, force: true });
}

onUnauthorized((err) => {
  if (!auth.key) return;
  signOut(err.messages.join(' '), 'error');
});

function closeOpenDialogs() {
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
}

// ---------- Header ----------

function updateHeader() {
  const signedIn = Boolean(auth.key);
  const nav = document.getElementById('main-nav');
  nav.hidden = !signedIn;
  document.getElementById('signout').hidden = !signedIn;
  document.getElementById('live-status').hidden = !signedIn;
  const whoami = document.getElementById('whoami');
  whoami.hidden = !signedIn;
  whoami.textContent = signedIn ? auth.role : '';
  whoami.title = signedIn ? t('Signed in with key {prefix}… ({role})', { prefix: auth.key.slice(0, 12), role: auth.role }) : '';
  whoami.dataset.role = auth.role || '';
  for (const route of Object.values(ROUTES)) {
    const link = route.nav && nav.querySelector(`[data-nav="${route.nav}"]`);
    if (link) link.hidden = !hasRole(route.minRole || 'viewer');
  }
  const docs = document.getElementById('docs-link');
  docs.hidden = true;
  if (signedIn) {
    serverInfo()
      .then((info) => {
        if (!auth.key || !info || !info.docsUrl) return;
        docs.href = info.docsUrl;
        docs.hidden = false;
      })
      .catch(() => {
        /* no link */
      });
  }
}

function markCurrentNav(name) {
  for (const link of document.querySelectorAll('#main-nav a[data-nav]')) {
    if (link.dataset.nav === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

const LIVE_TEXT = { connecting: t('Connecting…'), live: t('Live'), offline: t('Offline') };
const LIVE_TITLE = {
  connecting: t('Connecting to live updates…'),
  live: t('Live updates are on'),
  offline: t('Live updates are off; reconnecting'),
};

function showLiveState(state) {
  const node = document.getElementById('live-status');
  node.dataset.state = state;
  node.querySelector('.live-text').textContent = LIVE_TEXT[state] || state;
  let title = LIVE_TITLE[state] || '';
  if (state === 'offline' && live.nextRetryAt) {
    const seconds = Math.max(1, Math.round((live.nextRetryAt - Date.now()) / 1000));
    title = t('Live updates are off; retrying in {seconds} s', { seconds });
  }
  node.title = title;
}

// ---------- Theme ----------

// theme.js has set `data-theme` before this runs, and keeps it following the system.
function currentTheme() {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

function labelThemeToggle() {
  const button = document.getElementById('theme-toggle');
  const label = currentTheme() === 'dark' ? t('Switch to light theme') : t('Switch to dark theme');
  button.setAttribute('aria-label', label);
  button.title = label;
}

function initTheme() {
  const button = document.getElementById('theme-toggle');
  button.addEventListener('click', () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(THEME_KEY, next);
    } catch {
      /* not persisted */
    }
    labelThemeToggle();
  });
  if (window.matchMedia) {
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', labelThemeToggle);
  }
  labelThemeToggle();
}

// ---------- Routing ----------

function normalizePath(pathname) {
  const trimmed = pathname.replace(/\/+$/, '');
  return trimmed || '/';
}

function navigate(target, { replace = false, force = false } = {}) {
  const url = new URL(target, location.origin);
  const same = url.pathname === location.pathname && url.search === location.search;
  if (replace) history.replaceState(null, '', url.pathname + url.search);
  else if (!same) history.pushState(null, '', url.pathname + url.search);
  else if (!force) {
    // Clicking the link of the page one is on reloads that page's data.
  }
  render();
}

function isInternalLink(anchor, event) {
  if (event.defaultPrevented || event.button !== 0) return false;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return false;
  if (anchor.target && anchor.target !== '_self') return false;
  if (anchor.hasAttribute('download')) return false;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin) return false;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/')) return false;
  if (/\.[a-z0-9]+$/i.test(url.pathname)) return false;
  if (url.hash && url.pathname === location.pathname) return false;
  return true;
}

function onDocumentClick(event) {
  const anchor = event.target.closest && event.target.closest('a[href]');
  if (!anchor || !isInternalLink(anchor, event)) return;
  event.preventDefault();
  const url = new URL(anchor.href, location.href);
  navigate(url.pathname + url.search);
}

function render() {
  if (cleanupPage) {
    try {
      cleanupPage();
    } catch (err) {
      console.error('page cleanup failed', err);
    }
    cleanupPage = null;
  }

  const pathname = normalizePath(location.pathname);
  if (pathname === '/') {
    navigate(auth.key ? '/sessions' : '/signin', { replace: true });
    return;
  }

  const route = ROUTES[pathname];
  if (route && !route.anonymous && !auth.key) {
    returnTo = pathname;
    navigate('/signin', { replace: true });
    return;
  }
  if (route && route.anonymous && auth.key) {
    navigate('/sessions', { replace: true });
    return;
  }

  const root = document.getElementById('app');
  root.replaceChildren();
  root.className = `page page-${route ? pathname.slice(1) : 'missing'}`;
  markCurrentNav(route ? route.nav : null);
  document.title = `${route ? route.title : t('Not found')} · OpenWA`;

  if (!route) {
    renderNotFound(root);
  } else if (route.minRole && !hasRole(route.minRole)) {
    renderForbidden(root, route);
  } else {
    try {
      cleanupPage = route.page.mount(root, ctx) || null;
    } catch (err) {
      console.error(err);
      root.append(el('div', { class: 'card', role: 'alert' }, t('This page failed to load. Reload the browser tab to try again.')));
    }
  }

  if (!firstRender) {
    window.scrollTo(0, 0);
    const heading = root.querySelector('h1');
    if (heading) heading.focus({ preventScroll: true });
  }
  firstRender = false;
}

function renderNotFound(root) {
  root.append(
    pageHead(t('Page not found'), t('There is nothing at this address.')),
    el('p', null, el('a', { href: auth.key ? '/sessions' : '/signin' }, auth.key ? t('Go to Sessions') : t('Go to sign in'))),
  );
}

function renderForbidden(root, route) {
  const admins = route.minRole === 'admin';
  root.append(
    pageHead(route.title),
    el(
      'div',
      { class: 'card empty-state', role: 'alert' },
      el('strong', null, admins ? t('Admins only') : t('Operators and admins only')),
      el(
        'p',
        null,
        admins
          ? t('Your key has the {role} role. Sign in with an admin key to use this page.', { role: auth.role })
          : t('Your key has the {role} role. Sign in with an operator or admin key to use this page.', { role: auth.role }),
      ),
    ),
  );
}

// ---------- Boot ----------

function renderBootError(err) {
  const root = document.getElementById('app');
  root.replaceChildren(
    pageHead(t('Cannot reach OpenWA')),
    el(
      'div',
      { class: 'card empty-state', role: 'alert' },
      el('strong', null, (err.messages && err.messages[0]) || t('The server did not answer.')),
      el('p', null, el('button', { type: 'button', class: 'btn btn-primary', on: { click: () => boot() } }, t('Try again'))),
    ),
  );
}

async function boot() {
  const key = getKey();
  if (key) {
    try {
      const result = await validateKey(key);
      if (result && result.valid === true) {
        auth.key = key;
        auth.role = result.role || 'viewer';
        live.start();
      } else {
        clearKey();
        flash = { text: t('Your saved API key is no longer valid. Sign in again.'), kind: 'error' };
        if (normalizePath(location.pathname) !== '/signin' && ROUTES[normalizePath(location.pathname)]) {
          returnTo = normalizePath(location.pathname);
        }
      }
    } catch (err) {
      renderBootError(err);
      return;
    }
  }
  updateHeader();
  render();
}

// ---------- Language ----------

/** The header's language switch: each language in its own name; a change reloads the page in it. */
function initLanguage() {
  const select = document.getElementById('lang-switch');
  if (!select) return;
  select.replaceChildren(...LANGUAGES.map(([code, name]) => el('option', { value: code, lang: code, selected: code === lang() }, name)));
  select.value = lang();
  select.addEventListener('change', () => setLang(select.value));
}

function init() {
  // Before anything renders: the static page in the chosen language.
  translateStatic();
  initLanguage();
  initTheme();
  startRelativeClock();
  document.addEventListener('click', onDocumentClick);
  window.addEventListener('popstate', render);
  document.getElementById('signout').addEventListener('click', () => signOut(t('You have signed out.'), 'info'));
  // Registered before any page's listener, so pages see the list already updated.
  live.on('event', sessionStore.applyEvent);
  // A rate-limited read waits and tries again by itself (api.js); say so once in a while.
  let toldAt = 0;
  onBackoff((seconds) => {
    if (Date.now() - toldAt < 10000) return;
    toldAt = Date.now();
    toast(t('The server asks the dashboard to slow down: trying again in {seconds} s.', { seconds }), 'info');
  });
  live.on('state', showLiveState);
  live.on('retry', () => showLiveState(live.state));
  showLiveState(live.state);
  window.addEventListener('unhandledrejection', (event) => {
    const err = event.reason;
    if (err && err.name === 'ApiError') {
      event.preventDefault();
      reportError(err);
    }
  });
  boot();
}

init();
