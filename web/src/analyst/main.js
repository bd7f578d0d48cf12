// @ts-check
/**
 * The analyst workbench (/analyst): choose an area — a unit (search, or a
 * click on the map at the chosen level) or a drawn polygon, rectangle or
 * freehand shape (terra-draw) — and read what `POST /api/query/area`
 * answers for it: people and buildings, what no camera sees (outlined on
 * the map), cameras, incidents by class and status with the weekly trend and
 * hot spots (on the map), and a second period; every table downloads as
 * CSV, GeoJSON or GeoParquet, the map as PNG. Beside it, a read-only SQL
 * console. Everything comes from our own server; texts, numbers and dates
 * follow the language switch.
 */
import { api, setErrorSink, showError } from '../api.js';
import { createMap, defaultThemes } from '../core/map.js';
import { Legend } from '../core/legend.js';
import { ExportControl, fullscreenControl } from '../core/controls.js';
import { fmtNumber, translatePage, tr } from '../core/i18n.js';
import { askLogin, pageHeader, showUser, watchSession, whoAmI } from '../session.js';
import { matchUnits } from '../panels/search.js';
import { byId, h, inputEl, selectEl } from '../util.js';
import { T, levelLabel } from './text.js';
import { queryArea, exportArea } from './query.js';
import { setupDraw } from './draw.js';
import { addOverlays, showUncovered, showUnit, showHotspots, overlayLegend } from './overlays.js';
import { showResults } from './results.js';
import { resizeCharts } from './charts.js';
import { setupSql } from './sql.js';

/** @typedef {import('./types').AreaRequest} AreaRequest */
/** @typedef {import('./types').AreaAnswer} AreaAnswer */
/** @typedef {{ kind: 'unit', id: string, name: string } | { kind: 'polygon', geometry: import('geojson').Polygon }} Area */

/** The period of two date inputs, when both are set. @param {string} a @param {string} b */
function period(a, b) {
  const from = inputEl(a).value;
  const to = inputEl(b).value;
  return from && to ? { from, to } : undefined;
}

/** The classes ticked, or undefined when all are (no filter). */
function classes() {
  const boxes = /** @type {HTMLInputElement[]} */ ([...document.querySelectorAll('#classes input[data-class]')]);
  const on = boxes.filter((b) => b.checked).map((b) => b.dataset.class || '');
  return on.length === boxes.length ? undefined : on;
}

/** @param {Area} area @returns {AreaRequest} */
function request(area) {
  /** @type {AreaRequest} */
  const body = area.kind === 'unit' ? { unit: area.id } : { geometry: area.geometry };
  const p = period('p-from', 'p-to');
  const c = period('c-from', 'c-to');
  const k = classes();
  if (p) body.period = p;
  if (c) body.compare = c;
  if (k) body.classes = k;
  return body;
}

/** Sets the compare period to the one just before the period, of the same length. */
function previousPeriod() {
  const p = period('p-from', 'p-to');
  if (!p) return;
  const day = 86400000;
  const from = Date.parse(`${p.from}T00:00:00Z`);
  const to = Date.parse(`${p.to}T00:00:00Z`);
  const len = Math.round((to - from) / day) + 1;
  const iso = (/** @type {number} */ t) => new Date(t).toISOString().slice(0, 10);
  inputEl('c-to').value = iso(from - day);
  inputEl('c-from').value = iso(from - len * day);
}

/** @type {Map<string, Promise<import('geojson').FeatureCollection>>} */
const levelFeatures = new Map();

/**
 * A unit's extent, from its level's polygons (fetched once per level).
 * @param {string} id @param {string} level
 * @returns {Promise<[number, number, number, number] | null>}
 */
async function unitBounds(id, level) {
  if (!levelFeatures.has(level)) levelFeatures.set(level, api.unitFeatures(level));
  const fc = await /** @type {Promise<import('geojson').FeatureCollection>} */ (levelFeatures.get(level));
  /** @type {[number, number, number, number]} */
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  /** @param {unknown} c */
  const walk = (c) => {
    if (!Array.isArray(c)) return;
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
    } else for (const x of c) walk(x);
  };
  for (const f of fc.features) if (f.properties?.id === id && f.geometry && 'coordinates' in f.geometry) walk(f.geometry.coordinates);
  return Number.isFinite(b[0]) ? b : null;
}

/** The incident classes as ticked boxes (all ticked: no filter). */
async function classList() {
  const box = byId('classes');
  const r = await fetch('/api/taxonomy');
  if (!r.ok) return;
  /** @type {import('../types').Taxonomy} */
  const t = await r.json();
  box.replaceChildren(...t.classes.map((c) => {
    const i = h('input');
    i.type = 'checkbox';
    i.checked = true;
    i.dataset.class = c.name;
    return h('label', {}, i, ` ${c.name}`);
  }));
}

async function main() {
  translatePage();
  pageHeader({ badge: true });
  const status = byId('status');
  setErrorSink((m) => { status.textContent = m; status.classList.add('warn'); });
  let me = await whoAmI();
  if (!me) {
    status.textContent = T('login');
    me = await askLogin();
  }
  showUser(me);
  const info = await api.layers();
  byId('generated-badge').hidden = !info.layers.some((l) => l.generated);
  // the integrity problems are the planner's matter: not drawn here
  const themes = defaultThemes(info);
  themes.delete('problems');
  const map = createMap({ container: 'map', info, themes, bounds: me.open ? null : me.bounds,
    attribution: tr('生成图层仅为演示（生成数据）', 'Generated layers are for demonstration only (generated data)') });
  watchSession(map);
  map.addControl(fullscreenControl(), 'top-right');
  map.addControl(new ExportControl(showError), 'top-right');
  const legend = new Legend(overlayLegend());
  map.addControl(legend, 'bottom-right');
  Object.assign(window, { wanggeMap: map, wanggeMe: me });

  const levels = selectEl('pick-level');
  levels.replaceChildren(...info.levels.map((l) => { const o = h('option', { text: levelLabel(l) }); o.value = l; return o; }));
  levels.value = info.levels.includes('community') ? 'community' : info.levels[info.levels.length - 1] ?? '';
  classList().catch(showError);
  setupSql();

  const out = byId('area-out');
  const nameEl = byId('area-name');
  /** @type {Area | null} */
  let area = null;
  /** @type {AreaRequest | null} */
  let asked = null;
  let seq = 0;
  /** @type {ReturnType<typeof setupDraw> | null} */
  let drawer = null;

  const analyse = async () => {
    if (!area) { status.textContent = T('noArea'); return; }
    const mine = ++seq;
    const body = request(area);
    status.classList.remove('warn');
    status.textContent = T('running');
    out.setAttribute('aria-busy', 'true');
    const t0 = performance.now();
    try {
      const a = await queryArea(body);
      if (mine !== seq) return;
      asked = body;
      Object.assign(window, { wanggeArea: a, wanggeAreaRequest: body });
      byId('area-empty').hidden = true;
      const name = area.kind === 'unit' ? area.name : T('drawn');
      showResults(out, a, body, name, (table, format, ext) => {
        if (!asked) return;
        exportArea(asked, table, format, ext).then((n) => { status.textContent = T('exported', { name: n }); }).catch(showError);
      });
      showUncovered(map, a.uncovered.ids);
      showHotspots(map, a.incidents.hotspots);
      status.textContent = T('done', { ms: fmtNumber(Math.round(performance.now() - t0)) });
      out.dataset.seq = String(mine);
    } catch (e) {
      if (mine === seq) showError(e);
    } finally {
      if (mine === seq) out.removeAttribute('aria-busy');
    }
  };

  /** Chooses a unit as the area and analyses it. @param {string} id @param {boolean} [fly] */
  const pickUnit = async (id, fly = true) => {
    const u = await api.unit(id);
    area = { kind: 'unit', id: u.id, name: u.name };
    nameEl.textContent = `${levelLabel(u.level)} · ${u.name}${tr(`（${u.id}）`, ` (${u.id})`)}`;
    drawer?.clear();
    showUnit(map, u.id);
    const b = fly ? u.bbox ?? await unitBounds(u.id, u.level) : null;
    if (b) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, maxZoom: 17, duration: 600 });
    await analyse();
  };
  Object.assign(window, { wanggePickUnit: pickUnit });

  const hint = byId('draw-hint');
  const modeButtons = /** @type {HTMLButtonElement[]} */ ([...document.querySelectorAll('.draw-buttons button')]);
  const markMode = (/** @type {string | null} */ m) => {
    for (const b of modeButtons) b.classList.toggle('active', b.dataset.mode === m);
    byId('map').dataset.drawing = m ?? '';
  };
  map.on('load', () => {
    addOverlays(map);
    drawer = setupDraw(map, (geometry) => {
      area = { kind: 'polygon', geometry };
      nameEl.textContent = T('drawn');
      showUnit(map, null);
      // leave the drawing mode after the event (terra-draw is still handling it)
      setTimeout(() => { drawer?.stop(); markMode(null); hint.textContent = T('drawHintPolygon'); }, 0);
      analyse().catch(showError);
    });
    Object.assign(window, { wanggeDraw: drawer });
  });
  for (const b of modeButtons) {
    b.addEventListener('click', () => {
      if (!drawer) return;
      const m = b.dataset.mode;
      if (m === 'clear') {
        drawer.stop();
        drawer.clear();
        markMode(null);
        return;
      }
      const mode = /** @type {'polygon' | 'rectangle' | 'freehand'} */ (m);
      if (drawer.mode() === mode) { drawer.stop(); markMode(null); return; }
      drawer.start(mode);
      markMode(mode);
      hint.textContent = T(mode === 'polygon' ? 'drawHintPolygon' : mode === 'rectangle' ? 'drawHintRectangle' : 'drawHintFreehand');
    });
  }
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && drawer?.drawing()) { drawer.stop(); markMode(null); }
  });

  // a click on the map (not drawing) picks the unit of the chosen level there
  map.on('click', (e) => {
    if (drawer?.drawing()) return;
    const level = levels.value;
    const hit = map.queryRenderedFeatures(e.point, { layers: map.getLayer('units-fill') ? ['units-fill'] : [] })
      .find((f) => f.properties?.level === level);
    if (hit?.properties?.id) pickUnit(String(hit.properties.id), false).catch(showError);
  });

  // unit search
  const box = inputEl('unit-search');
  const list = byId('search-results');
  /** @type {Promise<import('../types').UnitSummary[]> | null} */
  let units = null;
  const close = () => { list.hidden = true; list.replaceChildren(); box.setAttribute('aria-expanded', 'false'); };
  box.addEventListener('input', async () => {
    units ??= api.units().then((r) => r.units);
    const q = box.value;
    const found = matchUnits(await units, q);
    if (box.value !== q) return;
    list.replaceChildren(...found.map((u) => {
      const li = h('li', {}, h('b', { text: u.name }), h('small', { text: ` ${levelLabel(u.level)} · ${u.id}` }));
      li.setAttribute('role', 'option');
      li.dataset.unit = u.id;
      li.addEventListener('mousedown', (e) => { e.preventDefault(); close(); box.value = u.name; pickUnit(u.id).catch(showError); });
      return li;
    }));
    list.hidden = found.length === 0 || !q.trim();
    box.setAttribute('aria-expanded', String(!list.hidden));
  });
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      const first = /** @type {HTMLElement | null} */ (list.querySelector('li[data-unit]'));
      if (first?.dataset.unit) { e.preventDefault(); close(); pickUnit(first.dataset.unit).catch(showError); }
    } else if (e.key === 'Escape') close();
  });
  box.addEventListener('blur', close);

  byId('run-area').addEventListener('click', () => { analyse().catch(showError); });
  byId('c-previous').addEventListener('click', previousPeriod);

  // tabs: the area's results and the SQL console
  const tabs = /** @type {const} */ ([['tab-area', 'area-view'], ['tab-sql', 'sql-view']]);
  for (const [tab, view] of tabs) {
    byId(tab).addEventListener('click', () => {
      for (const [t, v] of tabs) {
        byId(t).setAttribute('aria-selected', String(t === tab));
        byId(v).hidden = v !== view;
      }
      byId('results').classList.toggle('wide', view === 'sql-view');
      setTimeout(() => { map.resize(); resizeCharts(); }, 0);
    });
  }
  map.on('idle', () => { if (!status.classList.contains('warn') && status.textContent === T('loading')) status.textContent = T('version', { v: info.data_version }); });
}

main().catch(showError);
