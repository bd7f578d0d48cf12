// @ts-check
/** Unit search (单元搜索): by name or id among /api/units; choosing a match flies to the unit and opens its panel. */
import { api, showError } from '../api.js';
import { loadedUnitFeatures } from '../core/toggles.js';
import { byId, h, inputEl, levelName } from '../util.js';
import { openUnit } from './unit.js';
import { tr } from '../core/i18n.js';

/** @typedef {import('../state.js').Page} Page */
/** @typedef {import('../types').UnitSummary} UnitSummary */
/** @typedef {[number, number, number, number]} BBox */

const MAX_MATCHES = 12;

/**
 * The best matches for a query: exact id, then id or name starting with it, then containing it.
 * @param {UnitSummary[]} units @param {string} q
 * @returns {UnitSummary[]}
 */
export function matchUnits(units, q) {
  const s = q.trim().toLowerCase();
  if (!s) return [];
  /** @param {UnitSummary} u */
  const rank = (u) => {
    const id = u.id.toLowerCase();
    const name = u.name.toLowerCase();
    if (id === s || name === s) return 0;
    if (id.startsWith(s) || name.startsWith(s)) return 1;
    if (name.includes(s) || id.includes(s)) return 2;
    return 3;
  };
  return units.map((u) => /** @type {[number, UnitSummary]} */ ([rank(u), u])).filter(([r]) => r < 3)
    .sort((a, b) => a[0] - b[0] || a[1].name.length - b[1].name.length).slice(0, MAX_MATCHES).map(([, u]) => u);
}

/** Extends a bbox by every coordinate of a geometry. @param {BBox} b @param {unknown} coords */
function extend(b, coords) {
  if (Array.isArray(coords) && typeof coords[0] === 'number') {
    const [x, y] = /** @type {number[]} */ (coords);
    b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
  } else if (Array.isArray(coords)) for (const c of coords) extend(b, c);
}

/** @param {import('geojson').Feature[]} features @returns {BBox | null} */
function bboxOf(features) {
  /** @type {BBox} */
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of features) if (f.geometry && 'coordinates' in f.geometry) extend(b, f.geometry.coordinates);
  return Number.isFinite(b[0]) ? b : null;
}

/**
 * A unit's extent: from the tiles loaded now when they hold the whole unit
 * (it lies inside the view), else from its level's polygons (fetched once).
 * @param {Page} page @param {UnitSummary} u @param {Map<string, Promise<import('geojson').FeatureCollection>>} byLevel
 * @returns {Promise<BBox | null>}
 */
async function unitBounds({ map }, u, byLevel) {
  const local = bboxOf(loadedUnitFeatures(map, u.id).map((f) => f.toJSON()));
  const v = map.getBounds();
  if (local && v.contains([local[0], local[1]]) && v.contains([local[2], local[3]])) return local;
  if (!byLevel.has(u.level)) byLevel.set(u.level, api.unitFeatures(u.level));
  const fc = await /** @type {Promise<import('geojson').FeatureCollection>} */ (byLevel.get(u.level));
  return bboxOf(fc.features.filter((f) => f.properties?.id === u.id));
}

/** @param {Page} page */
export function setupSearch(page) {
  const box = inputEl('unit-search');
  const list = byId('search-results');
  /** @type {Promise<UnitSummary[]> | null} */
  let units = null;
  /** @type {Map<string, Promise<import('geojson').FeatureCollection>>} */
  const byLevel = new Map();
  /** @type {UnitSummary[]} */
  let shown = [];
  let active = -1;

  const close = () => { list.hidden = true; list.replaceChildren(); shown = []; active = -1; box.setAttribute('aria-expanded', 'false'); };
  /** @param {UnitSummary} u */
  const choose = async (u) => {
    close();
    box.value = u.name;
    const b = await unitBounds(page, u, byLevel);
    if (b) page.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, maxZoom: 17, duration: 800 });
    await openUnit(page, u.id);
  };
  const render = () => {
    list.replaceChildren(...shown.map((u, i) => {
      const li = h('li', { className: i === active ? 'active' : '' }, h('b', { text: u.name }), h('small', { text: ` ${levelName(u.level)} · ${u.id}` }));
      li.setAttribute('role', 'option');
      li.dataset.unit = u.id;
      li.addEventListener('mousedown', (e) => { e.preventDefault(); choose(u).catch(showError); });
      return li;
    }));
    list.hidden = shown.length === 0;
    box.setAttribute('aria-expanded', String(!list.hidden));
  };
  const update = async () => {
    units ??= api.units().then((r) => r.units);
    const q = box.value;
    const found = matchUnits(await units, q);
    if (box.value !== q) return;
    shown = found;
    active = found.length ? 0 : -1;
    if (!q.trim()) close(); else render();
    if (q.trim() && !found.length) { list.replaceChildren(h('li', { className: 'none', text: tr('无匹配单元', 'No matching unit') })); list.hidden = false; }
  };
  box.addEventListener('input', () => { update().catch(showError); });
  box.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!shown.length) return;
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
      render();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (shown[active]) choose(shown[active]).catch(showError);
    } else if (e.key === 'Escape') close();
  });
  box.addEventListener('blur', close);
}
