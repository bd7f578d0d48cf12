// @ts-check
/** 摄像头覆盖: camera siting for the open unit and the "12 high points" scenario. */
import { api, showError } from '../api.js';
import { addOverlayLayer, ensureSource, setOverlay } from '../core/overlay.js';
import { TEXT_FONT } from '../core/style.js';
import { byId, fmt, inputEl, num } from '../util.js';
import { tr } from '../core/i18n.js';
import { showResults, resultsPanel } from './results.js';

/** @typedef {import('../state.js').Page} Page */

const PROPOSED = '#276749';
const NEW_VIEW = '#38a169';
const BLIND = '#c53030';

/** @param {Page} page */
function addLayers({ map, legend }) {
  ensureSource(map, 'siting');
  addOverlayLayer(map, { id: 'siting-gaps', type: 'fill', source: 'siting', filter: ['==', ['get', 'kind'], 'gap'],
    paint: { 'fill-color': BLIND, 'fill-opacity': 0.35 } });
  addOverlayLayer(map, { id: 'siting-views', type: 'fill', source: 'siting', filter: ['==', ['get', 'kind'], 'view'],
    paint: { 'fill-color': NEW_VIEW, 'fill-opacity': 0.25, 'fill-outline-color': PROPOSED } });
  addOverlayLayer(map, { id: 'siting-cameras', type: 'circle', source: 'siting', filter: ['==', ['get', 'kind'], 'camera'],
    paint: { 'circle-radius': 6, 'circle-color': PROPOSED, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  addOverlayLayer(map, { id: 'siting-labels', type: 'symbol', source: 'siting', filter: ['all', ['==', ['get', 'kind'], 'camera'], ['has', 'rank']],
    layout: { 'text-field': ['to-string', ['get', 'rank']], 'text-font': TEXT_FONT, 'text-size': 12, 'text-offset': [0, -1.2] },
    paint: { 'text-color': '#1a4731', 'text-halo-color': '#fff', 'text-halo-width': 1.5 } });
  legend.add({ key: 'siting', title: tr('摄像头选址 / 制高点', 'Camera siting / high points'), layers: ['siting-cameras', 'siting-views', 'siting-gaps'],
    items: [{ label: tr('建议位置（计算结果）', 'Proposed site (computed)'), colour: PROPOSED, shape: 'circle' }, { label: tr('新增视域', 'New view'), colour: NEW_VIEW },
      { label: tr('仍为盲区', 'Still blind'), colour: BLIND }] });
}

/** @param {Page} page */
export function setupCoverage(page) {
  const { map, state } = page;
  addLayers(page);
  byId('s-run').addEventListener('click', () => (async () => {
    const unit = state.unit;
    if (!unit) throw new Error(tr('先在地图上点选一个单元', 'Click a unit on the map first'));
    const body = {
      unit, k: num('s-k'), headings: 8,
      camera: { fov: num('s-fov'), range: num('s-range'), height: num('s-height') },
      weights: { households: num('s-whh'), incidents: num('s-winc') },
    };
    const v = await api.siting(body);
    setOverlay(map, 'siting', v.geojson);
    showResults(tr(`摄像头选址（${v.proposals.length} 个）`, `Camera siting (${v.proposals.length})`),
      tr(`开放空间覆盖率 ${fmt(v.before_share * 100, 1)}% → ${fmt(v.after_share * 100, 1)}%（贪心最大覆盖，候选 ${fmt(v.candidates)} 个，采样间距 ${fmt(v.sample_step_m, 1)} m）。建议位置为计算结果（生成数据）。`,
        `Open ground covered ${fmt(v.before_share * 100, 1)}% → ${fmt(v.after_share * 100, 1)}% (greedy maximum cover, ${fmt(v.candidates)} candidates, sampled every ${fmt(v.sample_step_m, 1)} m). The sites are computed (generated data).`),
      [], [tr('序号', 'Rank'), tr('朝向', 'Heading'), tr('新增覆盖 m²', 'New cover m²'), tr('新增可见户数', 'New households seen'), tr('位置', 'Where')],
      v.proposals.map((p) => [String(p.rank), body.camera.fov >= 360 ? tr('全向', 'all round') : `${fmt(p.heading)}°`, fmt(p.gain_m2), fmt(p.gain_households),
        p.on_roof ? tr('楼顶', 'roof') : tr('地面', 'ground')]));
    resultsPanel().dataset.siting = String(v.after_share);
  })().catch(showError));
  byId('s-high').addEventListener('click', () => (async () => {
    const v = await api.highPoints({ n: num('s-n'), range: num('s-hrange'), height: 5, unit: state.unit ?? undefined });
    setOverlay(map, 'siting', v.geojson);
    const answer = v.covers_all ? tr('能覆盖全域', 'cover everything') : tr('不能覆盖全域', 'do not cover everything');
    showResults(tr(`${v.unit_name}：${v.cameras.length} 个制高点${answer}`, `${v.unit_name}: ${v.cameras.length} high points ${answer}`),
      tr(`${v.cameras.length} 个全向摄像头装在最高的楼顶（视距 ${inputEl('s-hrange').value} m，考虑楼栋遮挡与高度）：覆盖开放空间 ${fmt(v.share * 100, 1)}%，盲区 ${fmt(v.uncovered_m2 / 1e6, 2)} km²（红色）。`,
        `${v.cameras.length} all-round cameras on the highest roofs (range ${inputEl('s-hrange').value} m, with buildings blocking by height): open ground covered ${fmt(v.share * 100, 1)}%, blind ${fmt(v.uncovered_m2 / 1e6, 2)} km² (red).`),
      [], [tr('楼栋', 'Building'), tr('楼高 m', 'Height m'), tr('视域 m²', 'View m²')], v.cameras.map((c) => [c.building, fmt(c.roof_m), fmt(c.view_m2)]));
    resultsPanel().dataset.highPoints = String(v.share);
  })().catch(showError));
}
