// @ts-check
/** Formatting and DOM helpers shared by the page's modules (no state, no map). */

import { fmtNumber, lang } from './core/i18n.js';

/** Names of the usual level ids, by language; other ids are shown as they are. */
export const LEVEL_NAMES = /** @type {Record<'zh' | 'en', Record<string, string>>} */ ({
  zh: { district: '区', street: '街道', community: '社区', grid: '网格', building_grid: '楼栋网格' },
  en: { district: 'District', street: 'Street', community: 'Community', grid: 'Grid', building_grid: 'Building grid' },
});

/** @param {string} level */
export const levelName = (level) => LEVEL_NAMES[lang()][level] || level;

/**
 * A number in the page's locale with `d` decimals.
 * @param {number | string} n
 * @param {number} [d]
 */
export const fmt = (n, d = 0) => fmtNumber(Number(n), { maximumFractionDigits: d, minimumFractionDigits: d });

/**
 * The element with this id; throws when the page lacks it (a broken page, not a user error).
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @returns {T}
 */
export function byId(id) {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page has no #${id}`);
  return /** @type {T} */ (e);
}

/** @param {string} id */
export const inputEl = (id) => /** @type {HTMLInputElement} */ (byId(id));

/** @param {string} id */
export const selectEl = (id) => /** @type {HTMLSelectElement} */ (byId(id));

/** @param {string} id @returns {number} the numeric value of an input */
export const num = (id) => Number(/** @type {HTMLInputElement} */ (byId(id)).value);

/**
 * Creates an element with text content and optional attributes / children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{ text?: string, className?: string, title?: string, style?: string }} [opts]
 * @param {(Node | string)[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, opts = {}, ...children) {
  const e = document.createElement(tag);
  if (opts.text !== undefined) e.textContent = opts.text;
  if (opts.className) e.className = opts.className;
  if (opts.title) e.title = opts.title;
  if (opts.style) e.style.cssText = opts.style;
  e.append(...children);
  return e;
}
