// @ts-check
/** 毗邻联盟 · AB岗: neighbour links, proposed adjacency alliances and AB-post pairs. */
import { api, showError } from '../api.js';
import { addOverlayLayer, ensureSource, setOverlay, empty } from '../core/overlay.js';
import { expr } from '../core/style.js';
import { byId, fmt, h, inputEl, levelName, selectEl } from '../util.js';
import { showResults, resultsPanel } from './results.js';

/** @typedef {import('../state.js').Page} Page */

const GROUP_COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#008080', '#9a6324', '#800000', '#808000'];
const FALLBACK_NAMES = { triple: '并入三人组', cross_parent: '跨上级配对', none: '无相邻单元' };
const WEIGHT_NAMES = { population: '人口', households: '户数', units: '单元数' };
const LINK_SAME = '#2b6cb0';
const LINK_CROSS = '#d53f8c';
const AB_COLOUR = '#2f855a';

/** The graph overlays and their legend entries. @param {Page} page */
function addLayers({ map, legend }) {
  for (const id of ['adjacency', 'alliances', 'abpairs']) ensureSource(map, id);
  const colour = expr(['to-color', ['at', ['%', ['coalesce', ['get', 'group'], 0], GROUP_COLOURS.length], ['literal', GROUP_COLOURS]]]);
  addOverlayLayer(map, { id: 'alliances-fill', type: 'fill', source: 'alliances', paint: { 'fill-color': colour, 'fill-opacity': 0.45 } }, 'roads');
  addOverlayLayer(map, { id: 'alliances-line', type: 'line', source: 'alliances', paint: { 'line-color': '#1d2733', 'line-width': 0.8 } }, 'roads');
  addOverlayLayer(map, { id: 'adjacency', type: 'line', source: 'adjacency',
    paint: { 'line-color': ['case', ['get', 'same_parent'], LINK_SAME, LINK_CROSS], 'line-width': 1.6,
      'line-dasharray': expr(['case', ['==', ['get', 'contact'], 'queen'], ['literal', [1, 2]], ['literal', [1, 0]]]) } });
  addOverlayLayer(map, { id: 'abpairs', type: 'line', source: 'abpairs', paint: { 'line-color': AB_COLOUR, 'line-width': 4, 'line-opacity': 0.85 } });
  legend.add({ key: 'alliances', title: '毗邻联盟', layers: ['alliances-fill'],
    items: [1, 2, 3, 4].map((g) => ({ label: `第 ${g} 组`, colour: GROUP_COLOURS[g % GROUP_COLOURS.length] }))
      .concat([{ label: '…（每组一色，见结果表）', colour: '#fff' }]) });
  legend.add({ key: 'adjacency', title: '邻接关系', layers: ['adjacency'],
    items: [{ label: '同上级', colour: LINK_SAME, shape: 'line' }, { label: '跨上级', colour: LINK_CROSS, shape: 'line' }] });
  legend.add({ key: 'abpairs', title: 'AB岗配对', layers: ['abpairs'], items: [{ label: 'A岗 ↔ B岗', colour: AB_COLOUR, shape: 'line' }] });
}

/** @param {number} g */
function groupSwatch(g) {
  return h('span', {}, h('span', { className: 'swatch swatch-fill', style: `--c:${GROUP_COLOURS[g % GROUP_COLOURS.length]}` }), `${g}`);
}

/** @param {Page} page */
export function setupGraphs(page) {
  const { map, state } = page;
  addLayers(page);
  const sel = selectEl('g-level');
  for (const lv of state.info.levels) {
    const o = h('option', { text: levelName(lv) });
    o.value = lv;
    sel.append(o);
  }
  sel.value = state.info.levels.includes('community') ? 'community' : state.info.levels[state.info.levels.length - 1];
  const level = () => sel.value;

  const links = async () => {
    if (!inputEl('g-links').checked) { setOverlay(map, 'adjacency', empty()); return; }
    const [gj, v] = await Promise.all([api.adjacencyGeojson(level()), api.adjacency(level())]);
    setOverlay(map, 'adjacency', gj);
    const c = v.counts;
    showResults(`${levelName(level())}邻接关系`,
      `${fmt(v.units)} 个单元，${fmt(c.pairs)} 对相邻（边相邻 ${fmt(c.rook)}，角相邻 ${fmt(c.queen)}；同上级 ${fmt(c.same_parent)}，跨上级 ${fmt(c.cross_parent)}），孤立 ${fmt(c.isolated)}。容差 ${v.tolerance_m} m。蓝线：同上级；粉线：跨上级；虚线：仅角相邻。`,
      v.isolated.map((u) => `孤立单元：${u.name}`), ['单元 A', '单元 B', '共享边界 m', '交汇层级'],
      v.pairs.slice(0, 300).map((p) => [`${p.a_name} – `, p.b_name, fmt(p.shared_m, 1), levelName(p.meet_level || '')]));
  };
  inputEl('g-links').addEventListener('change', () => links().catch(showError));
  sel.addEventListener('change', () => links().catch(showError));

  const propose = async () => {
    /** @type {Record<string, unknown>} */
    const body = { level: level(), weight: selectEl('g-weight').value, straddle: inputEl('g-straddle').checked,
      seed: Number(inputEl('g-seed').value) || 0, geojson: true };
    if (inputEl('g-count').value) body.count = Number(inputEl('g-count').value);
    else { body.min_size = Number(inputEl('g-min').value); body.max_size = Number(inputEl('g-max').value); }
    const v = await api.proposeAlliances(body);
    setOverlay(map, 'alliances', v.geojson);
    const wName = WEIGHT_NAMES[v.weight];
    showResults(`${levelName(v.level)}毗邻联盟（${v.groups.length} 组）`,
      `按${wName}均衡：平均 ${fmt(v.mean_weight)}，最大偏差 ${fmt(v.max_deviation * 100, 1)}%；紧凑度（Polsby-Popper）平均 ${fmt(v.mean_polsby_popper, 2)}，最低 ${fmt(v.min_polsby_popper, 2)}。`,
      v.problems, ['组', '单元', wName, '偏差', '紧凑度', '跨界'],
      v.groups.map((g) => [groupSwatch(g.group), String(g.members.length), fmt(g.weight), `${fmt(g.deviation * 100, 1)}%`, fmt(g.polsby_popper, 2), g.straddles ? '是' : '否']));
    resultsPanel().dataset.maxDeviation = String(v.max_deviation);
  };
  byId('g-propose').addEventListener('click', () => propose().catch(showError));

  const abPairs = async () => {
    const q = { level: level(), within: inputEl('g-across').checked ? 'any' : 'parent', weight: selectEl('g-pairweight').value };
    const [gj, v] = await Promise.all([api.abPairsGeojson(q), api.abPairs(q)]);
    setOverlay(map, 'abpairs', gj);
    showResults(`${levelName(v.level)} AB岗配对`,
      `${fmt(v.pairs.length)} 对（共 ${fmt(v.units)} 个单元，${v.within_parent ? '同一上级内' : '可跨上级'}），共享边界合计 ${fmt(v.total_shared_m)} m；未配对 ${fmt(v.unmatched.length)} 个。最大权匹配（带花树算法），非贪心。`,
      v.unmatched.map((u) => `${u.name}：${FALLBACK_NAMES[u.fallback.kind]}${u.fallback.names.length ? `（${u.fallback.names.join('、')}）` : ''}`),
      ['A岗', 'B岗', '共享边界 m', '中心距 m'], v.pairs.map((p) => [`${p.a_name} ↔ `, p.b_name, fmt(p.shared_m, 1), fmt(p.distance_m)]));
    resultsPanel().dataset.pairs = String(v.pairs.length);
  };
  byId('g-ab').addEventListener('click', () => abPairs().catch(showError));
}
