// @ts-check
/**
 * The pages' language: zh-CN by default, English by a switch on every page.
 *
 * Each module keeps its own strings beside its code:
 *
 *     const T = messages({
 *       zh: { open: '未结案件', n: '{n} 件' },
 *       en: { open: 'Open cases', n: '{n} cases' },
 *     });
 *     el.textContent = T('n', { n: fmtNumber(42) });
 *
 * A key missing in English falls back to the Chinese text, so nothing shows
 * a bare key. Static HTML is translated by `translatePage()`: an element with
 * `data-i18n="zh text|en text"` gets the text of the language (attributes by
 * `data-i18n-title`, `data-i18n-placeholder`, `data-i18n-aria-label`).
 * The choice is kept in localStorage (`wangge.lang`) and may be forced with
 * `?lang=en` or `?lang=zh`; switching reloads the page so every panel, chart
 * and map label is drawn again in the new language. Numbers and dates go
 * through `Intl` in the chosen locale.
 */

/** @typedef {'zh' | 'en'} Lang */

const KEY = 'wangge.lang';

/** @returns {Lang} */
function initial() {
  try {
    const q = new URLSearchParams(location.search).get('lang');
    if (q === 'en' || q === 'zh') return q;
    const s = localStorage.getItem(KEY);
    if (s === 'en' || s === 'zh') return s;
  } catch { /* no storage (private mode): the default */ }
  return 'zh';
}

let current = initial();

/** The page's language. @returns {Lang} */
export const lang = () => current;

/** The BCP 47 locale of the language. */
export const locale = () => (current === 'en' ? 'en-GB' : 'zh-CN');

/**
 * Chooses a language and (unless `reload` is false) reloads the page to draw it.
 * @param {Lang} l @param {boolean} [reload]
 */
export function setLang(l, reload = true) {
  current = l;
  try { localStorage.setItem(KEY, l); } catch { /* kept for this page only */ }
  document.documentElement.lang = locale();
  if (reload) {
    const u = new URL(location.href);
    u.searchParams.delete('lang');
    // the same address (a page with a #hash) would only move to the fragment: reload it
    if (u.toString() === location.href) location.reload();
    else location.replace(u.toString());
  }
}

/**
 * A module's messages: a lookup with `{name}` placeholders.
 * @template {Record<string, string>} Z
 * @param {{ zh: Z, en: Partial<Record<keyof Z, string>> }} table
 * @returns {(key: keyof Z, vars?: Record<string, string | number>) => string}
 */
export function messages(table) {
  return (key, vars) => {
    const text = (current === 'en' ? table.en[key] : undefined) ?? table.zh[key] ?? String(key);
    return vars ? text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : text;
  };
}

/** Picks the text of the language from a pair. @param {string} zh @param {string} en */
export const tr = (zh, en) => (current === 'en' ? en : zh);

/** @type {Map<string, Intl.NumberFormat>} */
const numberFormats = new Map();

/**
 * A number in the page's locale (`12,345`, `12.3 %` with `{ style: 'percent' }`).
 * @param {number} n @param {Intl.NumberFormatOptions} [opts]
 */
export function fmtNumber(n, opts = {}) {
  const k = JSON.stringify(opts);
  let f = numberFormats.get(k);
  if (!f) {
    f = new Intl.NumberFormat(locale(), opts);
    numberFormats.set(k, f);
  }
  return f.format(n);
}

/** A share 0..1 as a percentage with one decimal. @param {number} x */
export const fmtShare = (x) => fmtNumber(x, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });

/**
 * A date and time in the page's locale, in China's time zone (the district's clock).
 * @param {Date | string | number} t @param {Intl.DateTimeFormatOptions} [opts]
 */
export function fmtDateTime(t, opts = { dateStyle: 'medium', timeStyle: 'short' }) {
  const d = t instanceof Date ? t : new Date(t);
  // one formatter per options (a wall screen formats its clock every second and every new case)
  const k = JSON.stringify(opts);
  let f = dateFormats.get(k);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), { timeZone: 'Asia/Shanghai', ...opts });
    dateFormats.set(k, f);
  }
  return f.format(d);
}

/** @type {Map<string, Intl.DateTimeFormat>} */
const dateFormats = new Map();

/** A date (no time) in the page's locale. @param {Date | string | number} t */
export const fmtDate = (t) => fmtDateTime(t, { dateStyle: 'medium' });

/**
 * Translates the static HTML under `root`: `data-i18n="中文|English"` sets the
 * text, `data-i18n-title`, `data-i18n-placeholder`, `data-i18n-aria-label` the attributes.
 * @param {ParentNode} [root]
 */
export function translatePage(root = document) {
  document.documentElement.lang = locale();
  const pick = (/** @type {string} */ v) => {
    const [zh, en] = v.split('|');
    return current === 'en' && en ? en : zh;
  };
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = pick(el.getAttribute('data-i18n') ?? '');
  for (const attr of ['title', 'placeholder', 'aria-label']) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) el.setAttribute(attr, pick(el.getAttribute(`data-i18n-${attr}`) ?? ''));
  }
}

/**
 * A 中文 / English switch (a button showing the other language), for any page's header.
 * @returns {HTMLButtonElement}
 */
export function languageSwitch() {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'lang-switch';
  b.textContent = current === 'en' ? '中文' : 'English';
  b.title = current === 'en' ? '切换到中文' : 'Switch to English';
  b.setAttribute('data-lang', current);
  b.onclick = () => setLang(current === 'en' ? 'zh' : 'en');
  return b;
}
