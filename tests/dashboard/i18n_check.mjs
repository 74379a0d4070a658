#!/usr/bin/env node
// Checks the dashboard's translation catalogue against the code (Node 20, no dependencies):
//
//   node tests/dashboard/i18n_check.mjs
//
// The keys in use are the static texts of t('…') and tn(n, '…', '…') calls in dashboard/assets/*.js
// and the data-i18n texts and data-i18n-attrs values of dashboard/index.html. It fails (exit 1)
// when a key is missing from a language of dashboard/assets/catalog.js, when a catalogue holds a
// key nothing uses, or when a translation's {placeholders} (or inline <strong>-style tags) differ
// from its key's. A t() call with a computed key cannot be checked: it is listed as a warning.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DASHBOARD = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dashboard');
const ASSETS = join(DASHBOARD, 'assets');
const LANGS = ['pt-BR', 'es', 'id'];
// The translation machinery itself: its comments and code show calls, not texts.
const SKIP = new Set(['catalog.js', 'i18n.js']);
const INLINE_TAGS = /<\/?(?:strong|em|code|kbd)>/g;

const problems = [];
const warnings = [];

// ---------- keys in the code ----------

const STRING = String.raw`'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|\`(?:[^\`\\$]|\\.|\$(?!\{))*\``;
// The count may be any expression without a top-level comma (one level of parentheses allowed).
const COUNT = String.raw`(?:[^,()'"\`]|\((?:[^()]|\([^()]*\))*\))+`;
const T_CALL = new RegExp(String.raw`(?<![\w.$])t\(\s*(${STRING})\s*[,)]`, 'g');
const TN_CALL = new RegExp(String.raw`(?<![\w.$])tn\(\s*${COUNT},\s*(${STRING})\s*,\s*(${STRING})\s*[,)]`, 'g');
const ANY_T = /(?<![\w.$])(tn?)\(/g;

/** The value of a JavaScript string literal (quotes included). */
function unquote(literal) {
  const body = literal.slice(1, -1);
  return body.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\n|.)/g, (_, esc) => {
    if (esc[0] === 'u') return String.fromCodePoint(parseInt(esc.replace(/[u{}]/g, ''), 16));
    if (esc[0] === 'x') return String.fromCharCode(parseInt(esc.slice(1), 16));
    return { n: '\n', t: '\t', r: '\r', '\n': '' }[esc] ?? esc;
  });
}

/** The file without comment lines (// …, /* … and the * lines of block comments). */
function codeLines(text) {
  return text
    .split('\n')
    .map((line) => (/^\s*(\/\/|\/\*|\*)/.test(line) ? '' : line))
    .join('\n');
}

const uses = new Map(); // key -> { kind: 't' | 'tn', where: Set<string>, other? }

function use(key, kind, where, other) {
  const known = uses.get(key);
  if (known && known.kind !== kind) problems.push(`${where}: "${key}" is used with both t() and tn()`);
  const entry = known || { kind, where: new Set(), other };
  entry.where.add(where);
  uses.set(key, entry);
}

function lineOf(text, index) {
  return text.slice(0, index).split('\n').length;
}

for (const file of readdirSync(ASSETS).filter((f) => f.endsWith('.js') && !SKIP.has(f)).sort()) {
  const text = codeLines(readFileSync(join(ASSETS, file), 'utf8'));
  const seen = new Set();
  for (const m of text.matchAll(T_CALL)) {
    seen.add(m.index);
    use(unquote(m[1]), 't', `${file}:${lineOf(text, m.index)}`);
  }
  for (const m of text.matchAll(TN_CALL)) {
    seen.add(m.index);
    const where = `${file}:${lineOf(text, m.index)}`;
    const one = unquote(m[1]);
    const other = unquote(m[2]);
    if (!sameSet(placeholders(one), placeholders(other))) problems.push(`${where}: the forms of tn("${one}", "${other}") have different placeholders`);
    use(one, 'tn', where, other);
  }
  for (const m of text.matchAll(ANY_T)) {
    if (!seen.has(m.index)) warnings.push(`${file}:${lineOf(text, m.index)}: ${m[1]}() with a key that is not a static text: not checked`);
  }
}

// ---------- keys in index.html ----------

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
function decode(html) {
  return html.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name) => {
    if (name[0] === '#') return String.fromCodePoint(name[1].toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : Number(name.slice(1)));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function attributes(tag) {
  const out = {};
  for (const m of tag.matchAll(/([\w:-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?/g)) {
    const value = m[2] === undefined ? '' : m[2].replace(/^["']|["']$/g, '');
    out[m[1].toLowerCase()] = decode(value);
  }
  return out;
}

// Mirrors i18n.js sourceText(): text, inline tags kept as <strong>…</strong>, spaces collapsed.
function htmlText(inner) {
  const kept = inner.replace(/<(\/?)(\w+)[^>]*>/g, (whole, slash, name) => (/^(strong|em|code|kbd)$/i.test(name) ? `<${slash}${name.toLowerCase()}>` : ''));
  return decode(kept).replace(/\s+/g, ' ').trim();
}

const html = readFileSync(join(DASHBOARD, 'index.html'), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
for (const m of html.matchAll(/<(\w+)(\s[^>]*)?>/g)) {
  const attrs = attributes(m[2] || '');
  const where = `index.html:${lineOf(html, m.index)}`;
  if ('data-i18n' in attrs) {
    const close = html.indexOf(`</${m[1]}>`, m.index);
    const key = close < 0 ? '' : htmlText(html.slice(m.index + m[0].length, close));
    if (key) use(key, 't', where);
    else problems.push(`${where}: <${m[1]} data-i18n> has no text`);
  }
  if ('data-i18n-attrs' in attrs) {
    for (const name of attrs['data-i18n-attrs'].split(',').map((s) => s.trim()).filter(Boolean)) {
      if (attrs[name]) use(attrs[name], 't', where);
      else problems.push(`${where}: data-i18n-attrs names "${name}", which the element does not carry`);
    }
  }
}

// ---------- the catalogue ----------

function placeholders(text) {
  return [...new Set([...String(text).matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();
}

function sameSet(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function tags(text) {
  return (String(text).match(INLINE_TAGS) || []).join('');
}

const source = readFileSync(join(ASSETS, 'catalog.js'), 'utf8');
const catalog = (await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)).default;

function checkText(lang, key, text, label, mayDropCount = false) {
  let want = placeholders(key);
  let have = placeholders(text);
  if (mayDropCount) {
    want = want.filter((p) => p !== 'n');
    have = have.filter((p) => p !== 'n');
  }
  if (!sameSet(want, have)) {
    problems.push(`${lang}: placeholders of "${key}"${label} are {${have.join('}, {')}}, not {${want.join('}, {')}}`);
  }
  if (tags(key) !== tags(text)) problems.push(`${lang}: inline tags of "${key}"${label} differ from the key's`);
}

for (const lang of LANGS) {
  const table = catalog[lang];
  if (!table || typeof table !== 'object') {
    problems.push(`${lang}: no catalogue`);
    continue;
  }
  for (const [key, { kind, where }] of uses) {
    const entry = table[key];
    const at = [...where][0];
    if (entry === undefined || entry === '') {
      problems.push(`${lang}: missing "${key}" (${at})`);
    } else if (kind === 't' && typeof entry !== 'string') {
      problems.push(`${lang}: "${key}" (${at}) is a t() text: its translation must be a string`);
    } else if (kind === 'tn' && (typeof entry !== 'object' || typeof entry.other !== 'string' || !entry.other)) {
      problems.push(`${lang}: "${key}" (${at}) is a tn() text: its translation must be {one?, other, …}`);
    } else if (kind === 't') {
      checkText(lang, key, entry, '');
    } else {
      for (const [form, text] of Object.entries(entry)) {
        if (!['zero', 'one', 'two', 'few', 'many', 'other'].includes(form)) problems.push(`${lang}: "${key}" has an unknown plural form "${form}"`);
        else checkText(lang, key, text, ` (${form})`, form !== 'other');
      }
    }
  }
  for (const key of Object.keys(table)) {
    if (!uses.has(key)) problems.push(`${lang}: "${key}" is in the catalogue but no code uses it`);
  }
}

for (const line of warnings) console.warn(`warning: ${line}`);
if (problems.length) {
  console.error(`i18n check failed: ${problems.length} problem(s)`);
  for (const line of problems) console.error(`  ${line}`);
  process.exit(1);
}
console.log(`i18n check passed: ${uses.size} keys, each in ${LANGS.join(', ')}.`);
