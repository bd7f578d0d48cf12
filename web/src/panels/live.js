// @ts-check
/** Live incidents: new incidents and transitions pushed by the server, and the KPI line (小事不出楼栋、纠纷不出网格、矛盾不出社区). */
import { api, showError } from '../api.js';
import { addOverlayLayer, ensureSource, setOverlay } from '../core/overlay.js';
import { byId, fmt } from '../util.js';
import { tr } from '../core/i18n.js';

/** @typedef {import('../state.js').Page} Page */
/** @typedef {import('geojson').Feature<import('geojson').Point>} PointFeature */

const REPORTED = '#e53e3e';
const IN_HAND = '#dd6b20';
const DONE = '#38a169';

/** @param {number | null | undefined} x */
const pct = (x) => (x == null ? '—' : `${fmt(x * 100, 0)}%`);

/** @param {Page} page */
export function setupLive({ map, legend }) {
  ensureSource(map, 'live');
  addOverlayLayer(map, { id: 'live-incidents', type: 'circle', source: 'live',
    paint: { 'circle-radius': 7, 'circle-color': ['match', ['get', 'status'], 'reported', REPORTED, 'resolved', DONE, 'evaluated', DONE, IN_HAND],
      'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  legend.add({ key: 'live', title: tr('实时事件（按状态）', 'Live incidents (by status)'), layers: ['live-incidents'],
    items: [{ label: tr('已上报', 'reported'), colour: REPORTED, shape: 'circle' }, { label: tr('处置中', 'in hand'), colour: IN_HAND, shape: 'circle' },
      { label: tr('已办结 / 已评价', 'closed / evaluated'), colour: DONE, shape: 'circle' }] });
  /** @type {Map<string, PointFeature>} */
  const byIncident = new Map();
  /** @param {import('../types').LiveIncident} v */
  const keep = (v) => byIncident.set(v.id, { type: 'Feature', geometry: { type: 'Point', coordinates: [v.lon, v.lat] },
    properties: { id: v.id, status: v.status, category: v.category, overdue: v.overdue } });
  /** Redraws the live layer and says which incident came last. @param {import('../types').LiveIncident} last */
  const redraw = (last) => {
    setOverlay(map, 'live', { type: 'FeatureCollection', features: [...byIncident.values()] });
    const el = byId('live-count');
    el.textContent = tr(`实时事件：${fmt(byIncident.size)}（最新 ${last.id} · ${last.category} · ${last.status}）`,
      `Live incidents: ${fmt(byIncident.size)} (latest ${last.id} · ${last.category} · ${last.status})`);
    el.dataset.last = last.id;
  };
  /** @param {import('../types').LiveIncident} v */
  const show = (v) => { keep(v); redraw(v); };
  const es = api.stream();
  /** @param {MessageEvent} e */
  const onIncident = (e) => show(JSON.parse(e.data));
  es.addEventListener('incident', onIncident);
  es.addEventListener('transition', onIncident);
  // reload the live incidents at once: after a bulk import, and when the server says this page
  // missed events it no longer holds (`resync`: reconnected after a restart or fell behind)
  const reload = () => api.liveIncidents().then((l) => {
    l.incidents.forEach(keep);
    if (l.incidents.length) redraw(l.incidents[l.incidents.length - 1]);
  }).catch(showError);
  es.addEventListener('bulk', reload);
  es.addEventListener('resync', reload);
  // KPI figures pushed on connect and on every change
  es.addEventListener('kpi', (e) => {
    /** @type {import('../types').Kpi} */
    const k = JSON.parse(e.data);
    const el = byId('live-kpi');
    el.textContent = tr(`未办结 ${fmt(k.open)} · 超时 ${fmt(k.overdue)} · 办结于楼栋 ${pct(k.share_building_grid)} / 网格 ${pct(k.share_grid)}`
      + ` / 社区 ${pct(k.share_community)} / 街道以上 ${pct(k.share_above_community)}`,
    `Open ${fmt(k.open)} · overdue ${fmt(k.overdue)} · closed in the building grid ${pct(k.share_building_grid)} / grid ${pct(k.share_grid)}`
      + ` / community ${pct(k.share_community)} / above ${pct(k.share_above_community)}`)
      + (k.satisfaction_mean == null ? '' : tr(` · 满意度 ${fmt(k.satisfaction_mean, 1)}`, ` · satisfaction ${fmt(k.satisfaction_mean, 1)}`));
    el.dataset.open = String(k.open);
    el.dataset.incidents = String(k.incidents);
  });
}
