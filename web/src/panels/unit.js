// @ts-check
/** The unit panel (right): a unit's chain, figures, children, camera coverage, walking service, incident trend and integrity. */
import { api, showError } from '../api.js';
import { markUnit, loadedUnitFeatures } from '../core/toggles.js';
import { byId, fmt, h, levelName } from '../util.js';
import { appendServiceFigures } from './service.js';

/** @typedef {import('../state.js').Page} Page */

const STATUS_NAMES = /** @type {Record<string, string>} */ ({ under: '低于标准', within: '符合标准', over: '超出标准', no_norm: '无标准' });

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
  byId('unit-meta').textContent = `${levelName(u.level)} · 编号 ${u.id}` + (u.generated ? ' · 生成数据' : ' · 真实边界（OpenStreetMap）');
  const t = byId('unit-figures');
  delete t.dataset.coverage;
  delete t.dataset.trend;
  delete t.dataset.service;
  t.replaceChildren(
    figureRow('户数', fmt(u.households)), figureRow('人口', fmt(u.population)), figureRow('楼栋', fmt(u.buildings)),
    figureRow('事件', fmt(u.incidents)), figureRow('下级单元', fmt(u.children.length)),
    figureRow('面积', u.area_m2 >= 100000 ? `${fmt(u.area_m2 / 1e6, 2)} km²` : `${fmt(u.area_m2)} m²`),
  );
  if (u.norm) t.append(figureRow('户数标准', `${u.norm.min_households}–${u.norm.max_households}（${STATUS_NAMES[u.load_status]}）`));
  api.unitCoverage(u.id).then((c) => {
    if (state.unit !== u.id) return;
    const x = c.unit;
    t.append(
      figureRow('摄像头', `${fmt(x.cameras)}（${fmt(x.cameras_per_km2, 1)} 个/km²）`),
      figureRow('开放空间覆盖率', `${fmt(x.ground_share * 100, 1)}%`),
      figureRow('楼栋立面可见率', `${fmt(x.facade_share * 100, 1)}%`),
      figureRow('立面无监控楼栋', `${fmt(x.buildings_unseen)} 栋 · ${fmt(x.households_unseen)} 户`),
    );
    t.dataset.coverage = String(x.ground_share);
  }).catch(showError);
  appendServiceFigures(t, u.id, () => state.unit === u.id);
  api.unitIncidents(u.id).then((v) => {
    if (state.unit !== u.id) return;
    const tr = v.trend;
    const change = tr.change_pct === null ? '' : `（较前一周 ${tr.change_pct >= 0 ? '+' : ''}${fmt(tr.change_pct, 0)}%）`;
    const r = v.resolution;
    t.append(
      figureRow('最近一周事件', `${fmt(tr.last ?? 0)}${change}`),
      figureRow('楼栋/网格/社区内解决', `${fmt(r.share_building_grid * 100, 0)}% / ${fmt(r.share_grid * 100, 0)}% / ${fmt(r.share_community * 100, 0)}%`),
    );
    t.dataset.trend = String(tr.last ?? 0);
  }).catch(showError);
  byId('unit-children').replaceChildren(...u.children.map((c) => {
    const a = h('a', { text: c.name });
    a.addEventListener('click', () => openUnit(page, c.id).catch(showError));
    return h('li', {}, a, ` · ${fmt(c.households)} 户`);
  }));
  const i = u.integrity;
  const lines = [];
  if (i.gap_m2 > 0) lines.push(`下级未覆盖（缺口）${fmt(i.gap_m2)} m²`);
  if (i.sliver_m2 > 0) lines.push(`细缝 ${fmt(i.sliver_m2, 1)} m²`);
  if (i.outside_parent_m2 > 0) lines.push(`超出上级 ${fmt(i.outside_parent_m2, 1)} m²`);
  for (const o of i.overlaps) lines.push(`与 ${o.a === u.id ? o.b : o.a} 重叠 ${fmt(o.area_m2, 1)} m²`);
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
