// @ts-check
/** 事件分析: the incident heatmap and hot spots (Getis-Ord Gi*) on H3 cells, filtered by category. */
import { api, incidentCategories, showError } from '../api.js';
import { addOverlayLayer, ensureSource, setOverlay, empty } from '../core/overlay.js';
import { expr } from '../core/style.js';
import { byId, fmt, h, selectEl } from '../util.js';
import { showResults } from './results.js';
import { tr } from '../core/i18n.js';

/** @typedef {import('../state.js').Page} Page */

/** Heatmap fill by incidents per cell: [count, colour] stops, interpolated. */
const HEAT_STOPS = /** @type {[number, string][]} */ ([[1, '#fed976'], [10, '#fd8d3c'], [50, '#e31a1c'], [200, '#800026']]);
const HOT = '#c53030';
const COLD = '#2b6cb0';

/** Heatmap and hot spots: their own sources (each answer depends on the filters), drawn under the cameras. @param {Page} page */
function addLayers({ map, legend }) {
  ensureSource(map, 'heat');
  ensureSource(map, 'hotspots');
  addOverlayLayer(map, { id: 'heat-fill', type: 'fill', source: 'heat',
    paint: { 'fill-color': expr(['interpolate', ['linear'], ['get', 'count'], ...HEAT_STOPS.flat()]),
      'fill-opacity': 0.55, 'fill-outline-color': 'rgba(0,0,0,0.15)' } }, 'cameras');
  addOverlayLayer(map, { id: 'hotspots-fill', type: 'fill', source: 'hotspots',
    paint: { 'fill-color': ['match', ['get', 'class'], 'hot', HOT, 'cold', COLD, 'rgba(0,0,0,0)'],
      'fill-opacity': 0.55, 'fill-outline-color': 'rgba(0,0,0,0.15)' } }, 'cameras');
  legend.add({ key: 'heatmap', title: tr('事件热力图（每格事件数）', 'Incident heatmap (incidents per cell)'), layers: ['heat-fill'], ramp: HEAT_STOPS, unit: tr('起', '') });
  legend.add({ key: 'hotspots', title: tr('事件热点（Gi*，FDR 5%）', 'Incident hot spots (Gi*, FDR 5%)'), layers: ['hotspots-fill'],
    items: [{ label: tr('热点', 'hot spot'), colour: HOT }, { label: tr('冷点', 'cold spot'), colour: COLD }] });
}

/** Fills the category filter from the taxonomy (or what the incidents report). @param {Page} page */
async function loadCategories({ state }) {
  state.categories = await incidentCategories();
  const cat = selectEl('h-cat');
  for (const c of state.categories) {
    const o = h('option', { text: c });
    o.value = c;
    cat.append(o);
  }
}

/** @param {Page} page */
export function setupIncidentAnalysis(page) {
  const { map } = page;
  addLayers(page);
  loadCategories(page).catch(showError);
  const form = byId('incident-form');
  const query = () => ({ res: selectEl('h-res').value, category: selectEl('h-cat').value || undefined });
  byId('h-heat').addEventListener('click', () => (async () => {
    const gj = await api.heatmapGeojson(query());
    setOverlay(map, 'hotspots', empty());
    setOverlay(map, 'heat', gj);
    form.dataset.heat = String(gj.features.length);
  })().catch(showError));
  byId('h-hot').addEventListener('click', () => (async () => {
    const q = { ...query(), k: 1 };
    const [gj, v] = await Promise.all([api.hotspotsGeojson(q), api.hotspots(q)]);
    setOverlay(map, 'heat', empty());
    setOverlay(map, 'hotspots', { type: 'FeatureCollection', features: gj.features.filter((f) => f.properties?.class !== 'none') });
    showResults(tr('事件热点（Getis-Ord Gi*）', 'Incident hot spots (Getis-Ord Gi*)'),
      tr(`H3 分辨率 ${v.res}，k = ${v.k}，${fmt(v.incidents)} 起事件${v.generated ? '（生成数据）' : ''}：热点 ${v.hot} 格、冷点 ${v.cold} 格（错误发现率 FDR 5%）。`,
        `H3 resolution ${v.res}, k = ${v.k}, ${fmt(v.incidents)} incidents${v.generated ? ' (generated data)' : ''}: ${v.hot} hot cells, ${v.cold} cold cells (false discovery rate 5%).`),
      [], [tr('H3 格', 'H3 cell'), tr('事件', 'Incidents'), 'z', 'q'], v.cells.filter((c) => c.class === 'hot').sort((a, b) => b.z - a.z).slice(0, 30)
        .map((c) => [c.cell, fmt(c.count), fmt(c.z, 2), c.q.toExponential(1)]));
    form.dataset.hot = String(v.hot);
  })().catch(showError));
  byId('h-clear').addEventListener('click', () => { setOverlay(map, 'heat', empty()); setOverlay(map, 'hotspots', empty()); });
}
