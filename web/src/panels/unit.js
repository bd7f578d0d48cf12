// @ts-check
/** The unit panel (right): a unit's chain, figures, children, camera coverage, walking service, incident trend and integrity. */
import { api, showError } from '../api.js';
import { markUnit, loadedUnitFeatures } from '../core/toggles.js';
import { byId, fmt, h, levelName } from '../util.js';
import { appendServiceFigures } from './service.js';
import { tr } from '../core/i18n.js';

/** @typedef {import('../state.js').Page} Page */

const STATUS_NAMES = /** @type {Record<string, string>} */ ({
  under: tr('低于标准', 'under the norm'), within: tr('符合标准', 'within the norm'), over: tr('超出标准', 'over the norm'), no_norm: tr('无标准', 'no norm'),
});

/** @param {string} name @param {string} value */
const figureRow = (name, value) => h('tr', {}, h('td', { text: name }), h('td', { text: value }));

/** Moves the map highlight to this unit's feature (found in the loaded tiles when not given). @param {Pick<Page, "map" | "state">} page @param {string | null} id @param {string | number | null} featureId */
function highlight({ map, state }, id, featureId) {
  if (state.unitFeature !== null) markUnit(map, state.unitFeature, false);
  const fid = featureId ?? (id === null ? null : loadedUnitFeatures(map, id).find((f) => f.id !== undefined)?.id ?? null);
  state.unitFeature = fid;
  if (fid !== null) markUnit(map, fid, true);
  // opened by id before its tiles arrived: highlight it once they have
  else if (id !== null) map.once('idle', () => { if (state.unit === id && state.unitFeature === null) highlight({ map, state }, id, null); });
}

/**
 * Opens a unit's panel.
 * @param {Page} page
 * @param {string} id
 * @param {string | number | null} [featureId] the clicked feature, if any
 */
export async function openUnit(page, id, featureId = null) {
  const { state } = page;
  state.unit = id;
  state.emit('unit');
  highlight(page, id, featureId);
  let u;
  try {
    u = await api.unit(id);
  } catch (err) {
    if (state.unit === id) closeUnit(page);
    throw err;
  }
  if (state.unit !== id) return;
  const panel = byId('panel');
  panel.hidden = false;
  panel.dataset.unit = u.id;
  byId('chain').replaceChildren(...u.chain.flatMap((c) => {
    const a = h('a', { text: c.name, title: levelName(c.level) });
    a.addEventListener('click', () => openUnit(page, c.id).catch(showError));
    return [a, ' › '];
  }));
  byId('unit-name').textContent = u.name;
  byId('unit-meta').textContent = `${levelName(u.level)} · ${tr('编号', 'id')} ${u.id}`
    + (u.generated ? tr(' · 生成数据', ' · generated data') : tr(' · 真实边界（OpenStreetMap）', ' · real boundary (OpenStreetMap)'));
  const t = byId('unit-figures');
  delete t.dataset.coverage;
  delete t.dataset.trend;
  delete t.dataset.service;
  t.replaceChildren(
    figureRow(tr('户数', 'Households'), fmt(u.households)), figureRow(tr('人口', 'Population'), fmt(u.population)),
    figureRow(tr('楼栋', 'Buildings'), fmt(u.buildings)), figureRow(tr('事件', 'Incidents'), fmt(u.incidents)),
    figureRow(tr('下级单元', 'Child units'), fmt(u.children.length)),
    figureRow(tr('面积', 'Area'), u.area_m2 >= 100000 ? `${fmt(u.area_m2 / 1e6, 2)} km²` : `${fmt(u.area_m2)} m²`),
  );
  if (u.norm) {
    t.append(figureRow(tr('户数标准', 'Household norm'), `${fmt(u.norm.min_households)}–${fmt(u.norm.max_households)} (${STATUS_NAMES[u.load_status]})`));
  }
  api.unitCoverage(u.id).then((c) => {
    if (state.unit !== u.id) return;
    const x = c.unit;
    t.append(
      figureRow(tr('摄像头', 'Cameras'), tr(`${fmt(x.cameras)}（${fmt(x.cameras_per_km2, 1)} 个/km²）`, `${fmt(x.cameras)} (${fmt(x.cameras_per_km2, 1)} per km²)`)),
      figureRow(tr('开放空间覆盖率', 'Open ground covered'), `${fmt(x.ground_share * 100, 1)}%`),
      figureRow(tr('楼栋立面可见率', 'Facades seen'), `${fmt(x.facade_share * 100, 1)}%`),
      figureRow(tr('立面无监控楼栋', 'Buildings no camera sees'),
        tr(`${fmt(x.buildings_unseen)} 栋 · ${fmt(x.households_unseen)} 户`, `${fmt(x.buildings_unseen)} · ${fmt(x.households_unseen)} households`)),
    );
    t.dataset.coverage = String(x.ground_share);
  }).catch(showError);
  appendServiceFigures(t, u.id, () => state.unit === u.id);
  api.unitIncidents(u.id).then((v) => {
    if (state.unit !== u.id) return;
    const w = v.trend;
    const delta = w.change_pct === null ? '' : `${w.change_pct >= 0 ? '+' : ''}${fmt(w.change_pct, 0)}%`;
    const change = w.change_pct === null ? '' : tr(`（较前一周 ${delta}）`, ` (${delta} on the week before)`);
    const r = v.resolution;
    t.append(
      figureRow(tr('最近一周事件', 'Incidents last week'), `${fmt(w.last ?? 0)}${change}`),
      figureRow(tr('楼栋/网格/社区内解决', 'Resolved in building grid / grid / community'),
        `${fmt(r.share_building_grid * 100, 0)}% / ${fmt(r.share_grid * 100, 0)}% / ${fmt(r.share_community * 100, 0)}%`),
    );
    t.dataset.trend = String(w.last ?? 0);
  }).catch(showError);
  byId('unit-children').replaceChildren(...u.children.map((c) => {
    const a = h('a', { text: c.name });
    a.addEventListener('click', () => openUnit(page, c.id).catch(showError));
    return h('li', {}, a, tr(` · ${fmt(c.households)} 户`, ` · ${fmt(c.households)} households`));
  }));
  const i = u.integrity;
  const lines = [];
  if (i.gap_m2 > 0) lines.push(tr(`下级未覆盖（缺口）${fmt(i.gap_m2)} m²`, `Not covered by children (gap) ${fmt(i.gap_m2)} m²`));
  if (i.sliver_m2 > 0) lines.push(tr(`细缝 ${fmt(i.sliver_m2, 1)} m²`, `Slivers ${fmt(i.sliver_m2, 1)} m²`));
  if (i.outside_parent_m2 > 0) lines.push(tr(`超出上级 ${fmt(i.outside_parent_m2, 1)} m²`, `Outside the parent ${fmt(i.outside_parent_m2, 1)} m²`));
  for (const o of i.overlaps) lines.push(tr(`与 ${o.a === u.id ? o.b : o.a} 重叠 ${fmt(o.area_m2, 1)} m²`, `Overlaps ${o.a === u.id ? o.b : o.a} by ${fmt(o.area_m2, 1)} m²`));
  byId('unit-integrity').replaceChildren(...lines.map((l) => h('p', { className: 'warn', text: l })));
}

/** Closes the unit panel. @param {Page} page */
export function closeUnit(page) {
  const panel = byId('panel');
  panel.hidden = true;
  delete panel.dataset.unit;
  highlight(page, null, null);
  if (page.state.unit !== null) {
    page.state.unit = null;
    page.state.emit('unit');
  }
}

/** Clicking a unit on the map opens the deepest one under the pointer. @param {Page} page */
export function setupUnitPanel(page) {
  const { map } = page;
  map.on('click', 'units-fill', (e) => {
    const f = (e.features || []).slice().sort((a, c) => c.properties.depth - a.properties.depth)[0];
    if (f) openUnit(page, f.properties.id, f.id ?? null).catch(showError);
  });
  map.on('mouseenter', 'units-fill', () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', 'units-fill', () => { map.getCanvas().style.cursor = ''; });
  byId('panel-close').addEventListener('click', () => closeUnit(page));
}
