// @ts-check
/**
 * 生活圈 (service life circles, issue 16): walking catchments of a facility
 * kind at 300/500/1000 m (vector tiles `catchments` and `service_gaps`,
 * filtered by `?kind=&threshold=`), the homes beyond reach in red, the
 * figures of the open unit, and a siting tool whose picks are drawn with
 * their gain. Distances run along the roads layer, or as straight lines × 1.3
 * when there is none (said in the summary).
 */
import { getJson, postJson, showError } from '../api.js';
import { addOverlayLayer, ensureSource, setOverlay } from '../core/overlay.js';
import { messages } from '../core/i18n.js';
import { TEXT_FONT } from '../core/style.js';
import { byId, fmt, h } from '../util.js';
import { showResults, resultsPanel } from './results.js';

/** @typedef {import('../state.js').Page} Page */

const T = messages({
  zh: {
    title: '生活圈（步行）', kind: '设施', threshold: '步行距离', outside: '显示范围外住户', show: '显示服务范围', hide: '清除',
    siting: '新站选址', k: '新增', goal: '目标', maxCover: '最大覆盖（户）', pMedian: '总步行距离最短', run: '计算选址',
    catchment: '步行可达范围', gap: '范围外住户', pick: '建议新站（计算结果）',
    method_network: '沿道路网步行距离', method_line: '无道路网：直线距离 × {detour}',
    summary: '{kind}：{t} m 内 {hh} 户（{share}%），范围外 {out} 栋。{method}',
    unitRow: '{kind} {t} m 内', sitingTitle: '{kind}新站选址（{n} 个）',
    sitingSummary: '{t} m 内住户 {before} → {after} 户（共 {total} 户），{method}。建议位置为计算结果。',
    rank: '序号', gain: '新增覆盖户数', gainM: '总距离减少 m', where: '位置', none: '没有服务设施',
  },
  en: {
    title: 'Life circles (walking)', kind: 'Facility', threshold: 'Walk', outside: 'Show homes beyond reach', show: 'Show catchments', hide: 'Clear',
    siting: 'Site new stations', k: 'New', goal: 'Goal', maxCover: 'Most households covered', pMedian: 'Least total walking', run: 'Site',
    catchment: 'Walking catchment', gap: 'Homes beyond reach', pick: 'Proposed station (computed)',
    method_network: 'walking distance along the road network', method_line: 'no road network: straight line × {detour}',
    summary: '{kind}: {hh} households within {t} m ({share}%), {out} buildings beyond. {method}',
    unitRow: '{kind} within {t} m', sitingTitle: 'New {kind} stations ({n})',
    sitingSummary: 'Households within {t} m: {before} → {after} of {total}, {method}. Proposed sites are computed.',
    rank: 'Rank', gain: 'Households gained', gainM: 'Total distance cut, m', where: 'Position', none: 'no service facilities',
  },
});

const CATCH = '#2b6cb0';
const GAP = '#c53030';
const PICK = '#276749';
const THRESHOLDS = [300, 500, 1000];

/** What the panel shows: kind and threshold (shared with the unit panel's figures). */
export const service = { kind: '', threshold: 500, shown: false };

/** @param {{ method: string, detour?: number }} v */
const methodText = (v) => (v.method === 'network' ? T('method_network') : T('method_line', { detour: String(v.detour ?? 1.3) }));

const enc = encodeURIComponent;
/** @param {string} layer */
const tileUrl = (layer) => `${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt?kind=${enc(service.kind)}&threshold=${service.threshold}`;

/** Points the two vector sources at the chosen kind and threshold (or hides them). @param {import('maplibre-gl').Map} map */
function redraw(map) {
  for (const layer of ['catchments', 'service_gaps']) {
    const src = /** @type {import('maplibre-gl').VectorTileSource} */ (map.getSource(layer));
    src.setTiles([tileUrl(layer)]);
  }
  const outside = /** @type {HTMLInputElement} */ (byId('sv-outside')).checked;
  map.setLayoutProperty('catchments-fill', 'visibility', service.shown ? 'visible' : 'none');
  map.setLayoutProperty('catchments-line', 'visibility', service.shown ? 'visible' : 'none');
  map.setLayoutProperty('service-gaps', 'visibility', service.shown && outside ? 'visible' : 'none');
  const panel = byId('service-form');
  panel.dataset.threshold = String(service.threshold);
  panel.dataset.kind = service.kind;
}

/** The figures of the open unit (or the district) for the summary line. @param {string | null} unit */
async function summary(unit) {
  if (!service.kind) return;
  const q = `kind=${enc(service.kind)}&threshold=${service.threshold}${unit ? `&unit=${enc(unit)}` : ''}`;
  const v = await getJson(`/api/coverage/service?${q}`);
  const rows = v.unit ? [v.unit] : v.children;
  const hh = rows.reduce((/** @type {number} */ a, /** @type {any} */ u) => a + u.within[0].households, 0);
  const total = rows.reduce((/** @type {number} */ a, /** @type {any} */ u) => a + u.households, 0);
  const out = rows.reduce((/** @type {number} */ a, /** @type {any} */ u) => a + u.outside_count, 0);
  const el = byId('sv-summary');
  el.textContent = T('summary', { kind: service.kind, t: service.threshold, hh: fmt(hh), share: fmt(total ? (hh / total) * 100 : 0, 1), out: fmt(out), method: methodText(v) });
  el.dataset.households = String(hh);
}

/**
 * A row of service figures for the unit panel (kind and threshold as chosen here).
 * @param {HTMLElement} table @param {string} unit @param {() => boolean} still whether the unit is still open
 */
export function appendServiceFigures(table, unit, still) {
  if (!service.kind) return;
  getJson(`/api/coverage/service?kind=${enc(service.kind)}&threshold=${service.threshold}&unit=${enc(unit)}`).then((v) => {
    if (!still() || !v.unit) return;
    const w = v.unit.within[0];
    table.append(h('tr', {}, h('td', { text: T('unitRow', { kind: service.kind, t: service.threshold }) }),
      h('td', { text: `${fmt(w.households)} / ${fmt(v.unit.households)}（${fmt(w.share_households * 100, 1)}%）` })));
    table.dataset.service = String(w.share_households);
  }).catch(showError);
}

/** @param {Page} page */
function addLayers({ map, legend }) {
  const before = map.getLayer('buildings') ? 'buildings' : undefined;
  for (const layer of ['catchments', 'service_gaps']) {
    if (!map.getSource(layer)) map.addSource(layer, { type: 'vector', tiles: [tileUrl(layer)], minzoom: 0, maxzoom: 16 });
  }
  map.addLayer({ id: 'catchments-fill', type: 'fill', source: 'catchments', 'source-layer': 'catchments', layout: { visibility: 'none' },
    paint: { 'fill-color': CATCH, 'fill-opacity': ['interpolate', ['linear'], ['get', 'threshold_m'], 300, 0.4, 1000, 0.25] } }, before);
  map.addLayer({ id: 'catchments-line', type: 'line', source: 'catchments', 'source-layer': 'catchments', layout: { visibility: 'none' },
    paint: { 'line-color': CATCH, 'line-width': 1 } }, before);
  map.addLayer({ id: 'service-gaps', type: 'fill', source: 'service_gaps', 'source-layer': 'service_gaps', layout: { visibility: 'none' },
    paint: { 'fill-color': GAP, 'fill-opacity': 0.45, 'fill-outline-color': GAP } });
  ensureSource(map, 'service-picks');
  addOverlayLayer(map, { id: 'service-picks', type: 'circle', source: 'service-picks',
    paint: { 'circle-radius': 7, 'circle-color': PICK, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  addOverlayLayer(map, { id: 'service-picks-label', type: 'symbol', source: 'service-picks',
    layout: { 'text-field': ['concat', ['to-string', ['get', 'rank']], ' +', ['to-string', ['get', 'gain_households']]], 'text-font': TEXT_FONT, 'text-size': 12, 'text-offset': [0, -1.4] },
    paint: { 'text-color': '#1a4731', 'text-halo-color': '#fff', 'text-halo-width': 1.5 } });
  legend.add({ key: 'service', title: T('title'), layers: ['catchments-fill', 'service-gaps', 'service-picks'],
    items: [{ label: T('catchment'), colour: CATCH }, { label: T('gap'), colour: GAP }, { label: T('pick'), colour: PICK, shape: 'circle' }] });
}

/** @param {Page} page */
export async function setupService(page) {
  const { map, state } = page;
  const kinds = await getJson('/api/service/kinds');
  const select = /** @type {HTMLSelectElement} */ (byId('sv-kind'));
  select.replaceChildren(...kinds.kinds.map((/** @type {{kind: string, facilities: number}} */ k) => {
    const o = h('option', { text: `${k.kind}（${fmt(k.facilities)}）` });
    o.value = k.kind;
    return o;
  }));
  if (kinds.kinds.length === 0) { byId('sv-summary').textContent = T('none'); return; }
  service.kind = kinds.kinds.find((/** @type {{kind: string}} */ k) => k.kind === '先锋驿站')?.kind ?? kinds.kinds[0].kind;
  select.value = service.kind;
  addLayers(page);
  const update = () => { redraw(map); if (service.shown) summary(state.unit).catch(showError); };
  select.addEventListener('change', () => { service.kind = select.value; update(); });
  for (const t of THRESHOLDS) {
    byId(`sv-t-${t}`).addEventListener('change', () => { service.threshold = t; update(); });
  }
  byId('sv-outside').addEventListener('change', update);
  byId('sv-show').addEventListener('click', () => { service.shown = true; update(); });
  byId('sv-hide').addEventListener('click', () => {
    service.shown = false;
    setOverlay(map, 'service-picks', { type: 'FeatureCollection', features: [] });
    byId('sv-summary').textContent = '';
    update();
  });
  state.on('unit', () => { if (service.shown) summary(state.unit).catch(showError); });
  byId('sv-run').addEventListener('click', () => (async () => {
    const goal = /** @type {HTMLSelectElement} */ (byId('sv-goal')).value;
    const k = Number(/** @type {HTMLInputElement} */ (byId('sv-k')).value);
    const v = await postJson('/api/coverage/service/siting', { kind: service.kind, k, goal, threshold: service.threshold, unit: state.unit ?? undefined, candidates: 'nodes' });
    setOverlay(map, 'service-picks', v.geojson);
    showResults(T('sitingTitle', { kind: service.kind, n: v.picks.length }),
      T('sitingSummary', { t: v.threshold_m, before: fmt(v.before.households_within), after: fmt(v.after.households_within), total: fmt(v.after.households_total), method: methodText(v) }),
      [], [T('rank'), T('gain'), T('gainM'), T('where')],
      v.picks.map((/** @type {any} */ p) => [String(p.rank), fmt(p.gain_households), fmt(p.gain_distance_m), `${p.lon.toFixed(5)}, ${p.lat.toFixed(5)}`]));
    resultsPanel().dataset.servicePicks = String(v.picks.length);
  })().catch(showError));
  byId('service-form').dataset.ready = '1';
  redraw(map);
}
