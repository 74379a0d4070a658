// Translation, gettext style: the key of every text is its English wording (English is the source
// language), looked up in catalog.js for the current language; a text the catalogue lacks shows in
// English. The language is chosen once per page load (the saved choice, else the browser's best
// match, else English), so modules may translate their constants when they load: setLang() saves a
// choice and reloads the page, and everything renders in it from the start.
//
//   t('Session “{name}” created.', { name })      tn(n, '{n} session', '{n} sessions')
//   fillNodes(t('Created {time}'), { time: node }) -> ['Created ', node] for el(...)

import CATALOG from './catalog.js';

const STORAGE_KEY = 'openwa.lang';
const SOURCE = 'en';

/** The languages offered: [code, name in that language]. */
export const LANGUAGES = [
  ['en', 'English'],
  ['pt-BR', 'Português (Brasil)'],
  ['es', 'Español'],
  ['id', 'Bahasa Indonesia'],
];

const CODES = LANGUAGES.map(([code]) => code);
// Some systems still send Indonesian's withdrawn code.
const ALIASES = { in: 'id' };

const base = (tag) => String(tag).toLowerCase().split('-')[0];

function saved() {
  try {
    const code = window.localStorage.getItem(STORAGE_KEY);
    return CODES.includes(code) ? code : null;
  } catch {
    return null; /* storage unavailable: follow the browser */
  }
}

/** The browser's languages, most wanted first (any ";q=" weight some agents leave in dropped). */
function browserTags() {
  const list = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  return list.map((tag) => String(tag || '').split(';')[0].trim()).filter(Boolean);
}

/** The offered code for one browser tag: the same tag, else the same language (pt-PT -> pt-BR). */
function match(tag) {
  const exact = CODES.find((code) => code.toLowerCase() === tag.toLowerCase());
  if (exact) return exact;
  const wanted = ALIASES[base(tag)] || base(tag);
  return CODES.find((code) => base(code) === wanted) || null;
}

/** The browser's languages in its order of preference: the first one offered wins. */
function detect() {
  for (const tag of browserTags()) {
    const code = match(tag);
    if (code) return code;
  }
  return SOURCE;
}

function isLocale(tag) {
  try {
    return Intl.getCanonicalLocales(tag).length > 0;
  } catch {
    return false;
  }
}

const current = saved() || detect();
const table = (current !== SOURCE && CATALOG[current]) || {};
// Dates and numbers follow the browser's own variant of the language (en-GB, es-MX) when it has one.
const formatLocale = browserTags().find((tag) => match(tag) === current && isLocale(tag)) || current;
const pluralRules = new Intl.PluralRules(formatLocale);
const englishPlurals = new Intl.PluralRules(SOURCE);

/** The current language's code (one of LANGUAGES). */
export function lang() {
  return current;
}

/** The locale for Intl formatters (dates, relative times, plurals). */
export function locale() {
  return formatLocale;
}

/** Saves the choice, then reloads: the API key is in sessionStorage, so the user stays signed in. */
export function setLang(code) {
  if (!CODES.includes(code)) return;
  try {
    window.localStorage.setItem(STORAGE_KEY, code);
  } catch {
    /* not remembered: the reload falls back to the browser's choice */
  }
  window.location.reload();
}

function fill(text, vars) {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole));
}

/** The text in the current language, its {placeholders} filled from vars. */
export function t(text, vars) {
  const entry = table[text];
  return fill(typeof entry === 'string' && entry ? entry : text, vars);
}

/**
 * A text that depends on a count n ({n} is filled with it); the catalogue keys it by the English
 * `one` form and holds {one, other, ...}: the forms Intl.PluralRules names for the language.
 */
export function tn(n, one, other, vars) {
  const entry = table[one];
  let text;
  if (entry && typeof entry === 'object') text = entry[pluralRules.select(n)] || entry.other || entry.one;
  else text = englishPlurals.select(n) === 'one' ? one : other;
  return fill(text, { ...vars, n });
}

/**
 * Splits a translated text at its {placeholders}, putting the given nodes there, for el(...):
 * fillNodes(t('See the {link} page.'), { link }) -> ['See the ', link, ' page.'].
 */
export function fillNodes(text, nodes) {
  return text
    .split(/(\{\w+\})/)
    .map((part) => {
      const name = /^\{(\w+)\}$/.exec(part);
      return name && nodes[name[1]] ? nodes[name[1]] : part;
    })
    .filter((part) => part !== '');
}

// ---------- index.html ----------

// Inline markup a data-i18n text may hold: its key and translation write it as <strong>…</strong>.
const INLINE = new Set(['STRONG', 'EM', 'CODE', 'KBD']);

function sourceText(node) {
  let text = '';
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) text += child.data;
    else if (child.nodeType === Node.ELEMENT_NODE && INLINE.has(child.tagName)) {
      const tag = child.tagName.toLowerCase();
      text += `<${tag}>${child.textContent}</${tag}>`;
    }
  }
  return text.replace(/\s+/g, ' ').trim();
}

function render(node, text) {
  const parts = text.split(/<(strong|em|code|kbd)>(.*?)<\/\1>/);
  // split() with two groups gives [text, tag, inner, text, tag, inner, ..., text].
  const out = [];
  for (let i = 0; i < parts.length; i += 3) {
    if (parts[i]) out.push(document.createTextNode(parts[i]));
    if (i + 2 < parts.length) {
      const inline = document.createElement(parts[i + 1]);
      inline.textContent = parts[i + 2];
      out.push(inline);
    }
  }
  node.replaceChildren(...out);
}

/**
 * Translates the static page: the text of each [data-i18n] element, and the attributes each
 * [data-i18n-attrs="aria-label,title"] element names; sets <html lang>. English is left as written.
 */
export function translateStatic(root = document) {
  document.documentElement.lang = current;
  if (current === SOURCE) return;
  for (const node of root.querySelectorAll('[data-i18n]')) {
    const key = sourceText(node);
    const text = t(key);
    if (text !== key) render(node, text);
  }
  for (const node of root.querySelectorAll('[data-i18n-attrs]')) {
    for (const name of node.dataset.i18nAttrs.split(',').map((s) => s.trim()).filter(Boolean)) {
      const value = node.getAttribute(name);
      if (value) node.setAttribute(name, t(value));
    }
  }
}
