// @ts-check
/**
 * Keeps the URL hash and the page in step: the view, the themes drawn and
 * the open unit are written to the hash (moving the map replaces the history
 * entry; switching layers or opening a unit adds one), and restored from it
 * on back/forward or when the hash is edited.
 */
import { parseHash, formatHash } from './core/hash.js';
import { THEMES } from './core/themes.js';
import { showError } from './api.js';
import { showThemes } from './panels/layers.js';
import { openUnit, closeUnit } from './panels/unit.js';

/** @typedef {import('./state.js').Page} Page */
/** @typedef {import('./core/hash.js').HashState} HashState */

/** Themes in the layer list's order, so one state has one hash. @param {Iterable<string>} themes */
const themeOrder = (themes) => { const on = new Set(themes); return Object.keys(THEMES).filter((t) => on.has(t)); };

/** The hash for the page as it is now. @param {Page} page */
function currentHash({ map, state }) {
  const c = map.getCenter();
  return formatHash({ center: [c.lng, c.lat], zoom: map.getZoom(), layers: themeOrder(state.layers), unit: state.unit });
}

/**
 * Applies a hash's state to the page (what it says; the rest stays).
 * @param {Page} page @param {HashState} s
 */
export function applyHash(page, s) {
  const { map, state } = page;
  if (s.center && s.zoom !== undefined) map.jumpTo({ center: s.center, zoom: s.zoom });
  if (s.layers && themeOrder(s.layers).join(',') !== themeOrder(state.layers).join(',')) showThemes(page, s.layers);
  if (s.unit !== undefined && s.unit !== state.unit) {
    if (s.unit) openUnit(page, s.unit).catch(showError); else closeUnit(page);
  }
}

/** @param {Page} page */
export function syncHash(page) {
  let applying = false;
  /** @param {boolean} push */
  const write = (push) => {
    if (applying) return;
    const h = currentHash(page);
    if (h === location.hash) return;
    if (push) history.pushState(null, '', h); else history.replaceState(null, '', h);
  };
  page.map.on('moveend', () => write(false));
  page.state.on('layers', () => write(true));
  page.state.on('unit', () => write(true));
  window.addEventListener('popstate', () => {
    applying = true;
    try { applyHash(page, parseHash(location.hash)); } finally { applying = false; }
  });
  write(false);
}
