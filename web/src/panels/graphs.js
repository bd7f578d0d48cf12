// @ts-check
/** 毗邻联盟 · AB岗: neighbour links, proposed adjacency alliances and AB-post pairs. */
import { api, showError } from '../api.js';
import { addOverlayLayer, ensureSource, setOverlay, empty } from '../core/overlay.js';
import { expr } from '../core/style.js';
import { byId, fmt, h, inputEl, levelName, selectEl } from '../util.js';
import { tr } from '../core/i18n.js';
import { showResults, resultsPanel } from './results.js';

/** @typedef {import('../state.js').Page} Page */

const GROUP_COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#008080', '#9a6324', '#800000', '#808000'];
const FALLBACK_NAMES = { triple: tr('并入三人组', 'joined a triple'), cross_parent: tr('跨上级配对', 'paired across parents'), none: tr('无相邻单元', 'no neighbour') };
const WEIGHT_NAMES = { population: tr('人口', 'population'), households: tr('户数', 'households'), units: tr('单元数', 'units') };
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
  legend.add({ key: 'alliances', title: tr('毗邻联盟', 'Alliances'), layers: ['alliances-fill'],
    items: [1, 2, 3, 4].map((g) => ({ label: tr(`第 ${g} 组`, `Group ${g}`), colour: GROUP_COLOURS[g % GROUP_COLOURS.length] }))
      .concat([{ label: tr('…（每组一色，见结果表）', '… (one colour per group, see the table)'), colour: '#fff' }]) });
  legend.add({ key: 'adjacency', title: tr('邻接关系', 'Adjacency'), layers: ['adjacency'],
    items: [{ label: tr('同上级', 'same parent'), colour: LINK_SAME, shape: 'line' }, { label: tr('跨上级', 'across parents'), colour: LINK_CROSS, shape: 'line' }] });
  legend.add({ key: 'abpairs', title: tr('AB岗配对', 'AB posts'), layers: ['abpairs'], items: [{ label: tr('A岗 ↔ B岗', 'A post ↔ B post'), colour: AB_COLOUR, shape: 'line' }] });
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
    showResults(tr(`${levelName(level())}邻接关系`, `Adjacency of ${levelName(level())} units`),
      tr(`${fmt(v.units)} 个单元，${fmt(c.pairs)} 对相邻（边相邻 ${fmt(c.rook)}，角相邻 ${fmt(c.queen)}；同上级 ${fmt(c.same_parent)}，跨上级 ${fmt(c.cross_parent)}），孤立 ${fmt(c.isolated)}。容差 ${v.tolerance_m} m。蓝线：同上级；粉线：跨上级；虚线：仅角相邻。`,
        `${fmt(v.units)} units, ${fmt(c.pairs)} neighbour pairs (by an edge ${fmt(c.rook)}, by a corner ${fmt(c.queen)}; same parent ${fmt(c.same_parent)}, across parents ${fmt(c.cross_parent)}), isolated ${fmt(c.isolated)}. Tolerance ${v.tolerance_m} m. Blue: same parent; pink: across parents; dashed: corner only.`),
      v.isolated.map((u) => tr(`孤立单元：${u.name}`, `Isolated: ${u.name}`)), [tr('单元 A', 'Unit A'), tr('单元 B', 'Unit B'), tr('共享边界 m', 'Shared border m'), tr('交汇层级', 'Meeting level')],
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
    showResults(tr(`${levelName(v.level)}毗邻联盟（${v.groups.length} 组）`, `Alliances of ${levelName(v.level)} units (${v.groups.length} groups)`),
      tr(`按${wName}均衡：平均 ${fmt(v.mean_weight)}，最大偏差 ${fmt(v.max_deviation * 100, 1)}%；紧凑度（Polsby-Popper）平均 ${fmt(v.mean_polsby_popper, 2)}，最低 ${fmt(v.min_polsby_popper, 2)}。`,
        `Balanced by ${wName}: mean ${fmt(v.mean_weight)}, largest deviation ${fmt(v.max_deviation * 100, 1)}%; compactness (Polsby-Popper) mean ${fmt(v.mean_polsby_popper, 2)}, lowest ${fmt(v.min_polsby_popper, 2)}.`),
      v.problems, [tr('组', 'Group'), tr('单元', 'Units'), wName, tr('偏差', 'Deviation'), tr('紧凑度', 'Compactness'), tr('跨界', 'Straddles')],
      v.groups.map((g) => [groupSwatch(g.group), String(g.members.length), fmt(g.weight), `${fmt(g.deviation * 100, 1)}%`, fmt(g.polsby_popper, 2), g.straddles ? tr('是', 'yes') : tr('否', 'no')]));
    resultsPanel().dataset.maxDeviation = String(v.max_deviation);
  };
  byId('g-propose').addEventListener('click', () => propose().catch(showError));

  const abPairs = async () => {
    const q = { level: level(), within: inputEl('g-across').checked ? 'any' : 'parent', weight: selectEl('g-pairweight').value };
    const [gj, v] = await Promise.all([api.abPairsGeojson(q), api.abPairs(q)]);
    setOverlay(map, 'abpairs', gj);
    showResults(tr(`${levelName(v.level)} AB岗配对`, `AB posts of ${levelName(v.level)} units`),
      tr(`${fmt(v.pairs.length)} 对（共 ${fmt(v.units)} 个单元，${v.within_parent ? '同一上级内' : '可跨上级'}），共享边界合计 ${fmt(v.total_shared_m)} m；未配对 ${fmt(v.unmatched.length)} 个。最大权匹配（带花树算法），非贪心。`,
        `${fmt(v.pairs.length)} pairs (of ${fmt(v.units)} units, ${v.within_parent ? 'within one parent' : 'across parents allowed'}), shared borders ${fmt(v.total_shared_m)} m in all; ${fmt(v.unmatched.length)} unpaired. Maximum-weight matching (blossom algorithm), not greedy.`),
      v.unmatched.map((u) => `${u.name}: ${FALLBACK_NAMES[u.fallback.kind]}${u.fallback.names.length ? ` (${u.fallback.names.join(tr('、', ', '))})` : ''}`),
      [tr('A岗', 'A post'), tr('B岗', 'B post'), tr('共享边界 m', 'Shared border m'), tr('中心距 m', 'Centre distance m')], v.pairs.map((p) => [`${p.a_name} ↔ `, p.b_name, fmt(p.shared_m, 1), fmt(p.distance_m)]));
    resultsPanel().dataset.pairs = String(v.pairs.length);
  };
  byId('g-ab').addEventListener('click', () => abPairs().catch(showError));
}
