/* wangge map page: MapLibre GL JS, everything served by our own binary (no internet). */
'use strict';

const LEVEL_NAMES = { district: '区', street: '街道', community: '社区', grid: '网格', building_grid: '楼栋网格' };
const DEPTH_COLOURS = ['#17324d', '#2b6cb0', '#2f855a', '#b7791f', '#9b2c2c', '#6b46c1'];
const LAYER_LABELS = {
  units: '网格单元', buildings: '楼栋', cameras: '摄像头', facilities: '服务设施', incidents: '事件', roads: '道路', problems: '完整性问题',
  camera_views: '摄像头视域', camera_gaps: '监控盲区',
};
const STATUS_NAMES = { under: '低于标准', within: '符合标准', over: '超出标准', no_norm: '无标准' };

const levelName = (l) => LEVEL_NAMES[l] || l;
const fmt = (n, d = 0) => Number(n).toLocaleString('zh-CN', { maximumFractionDigits: d, minimumFractionDigits: d });
const $ = (id) => document.getElementById(id);

async function getJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

function style(info) {
  const sources = {};
  for (const l of info.layers) {
    sources[l.name] = {
      type: 'vector', url: `/tiles/${l.name}.json`,
      attribution: l.name === 'units' ? '© OpenStreetMap contributors, ODbL 1.0' : undefined,
    };
  }
  const depthColour = ['match', ['get', 'depth'], ...DEPTH_COLOURS.flatMap((c, i) => [i, c]), '#444'];
  const layers = [
    { id: 'background', type: 'background', paint: { 'background-color': '#e9eef2' } },
    { id: 'units-fill', type: 'fill', source: 'units', 'source-layer': 'units',
      paint: { 'fill-color': depthColour, 'fill-opacity': ['case', ['boolean', ['feature-state', 'selected'], false], 0.35, 0.06] } },
    { id: 'units-line', type: 'line', source: 'units', 'source-layer': 'units',
      paint: { 'line-color': depthColour, 'line-width': ['match', ['get', 'depth'], 0, 3, 1, 2, 2, 1.4, 3, 1, 0.6],
               'line-opacity': ['interpolate', ['linear'], ['zoom'],
                 13, ['match', ['get', 'depth'], 3, 0, 4, 0, 1], 14, ['match', ['get', 'depth'], 4, 0, 1],
                 14.5, ['match', ['get', 'depth'], 4, 0, 1], 15.5, 1] } },
    { id: 'roads', type: 'line', source: 'roads', 'source-layer': 'roads', paint: { 'line-color': '#fff', 'line-width': 1.5 } },
    { id: 'buildings', type: 'fill', source: 'buildings', 'source-layer': 'buildings', minzoom: 13,
      paint: { 'fill-color': ['interpolate', ['linear'], ['coalesce', ['get', 'households'], 0], 0, '#cbd5e0', 100, '#718096', 300, '#2d3748'],
               'fill-outline-color': ['case', ['get', 'cut'], '#e53e3e', '#4a5568'] } },
    { id: 'camera-gaps', type: 'fill', source: 'camera_gaps', 'source-layer': 'camera_gaps', minzoom: 12,
      paint: { 'fill-color': '#e53e3e', 'fill-opacity': 0.2 } },
    { id: 'camera-views', type: 'fill', source: 'camera_views', 'source-layer': 'camera_views', minzoom: 13,
      paint: { 'fill-color': '#3182ce', 'fill-opacity': 0.18, 'fill-outline-color': '#2b6cb0' } },
    { id: 'problems-fill', type: 'fill', source: 'problems', 'source-layer': 'problems',
      paint: { 'fill-color': ['match', ['get', 'kind'], 'gap', '#e53e3e', 'sliver', '#ed8936', 'overlap', '#805ad5', 'outside_parent', '#d53f8c', '#e53e3e'],
               'fill-opacity': 0.45 } },
    { id: 'problems-line', type: 'line', source: 'problems', 'source-layer': 'problems',
      paint: { 'line-color': ['match', ['get', 'kind'], 'gap', '#c53030', 'sliver', '#c05621', '#6b46c1'], 'line-width': 1.2, 'line-dasharray': [2, 1] } },
    { id: 'incidents', type: 'circle', source: 'incidents', 'source-layer': 'incidents', minzoom: 12,
      paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 1.2, 17, 4], 'circle-color': '#dd6b20', 'circle-opacity': 0.55 } },
    { id: 'cameras', type: 'circle', source: 'cameras', 'source-layer': 'cameras', minzoom: 13,
      paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 13, 1.5, 17, 5], 'circle-color': ['match', ['get', 'kind'], 'dome', '#3182ce', '#2c5282'],
               'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } },
    { id: 'facilities', type: 'circle', source: 'facilities', 'source-layer': 'facilities', minzoom: 12,
      paint: { 'circle-radius': 5, 'circle-color': '#38a169', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } },
    { id: 'units-label', type: 'symbol', source: 'units', 'source-layer': 'units',
      filter: ['<=', ['get', 'depth'], 2],
      layout: { 'text-field': ['get', 'name'], 'text-font': ['DejaVu Sans'], 'text-size': ['match', ['get', 'depth'], 0, 16, 1, 14, 12],
                'symbol-placement': 'point', 'text-max-width': 8 },
      paint: { 'text-color': depthColour, 'text-halo-color': '#fff', 'text-halo-width': 1.5,
               'text-opacity': ['interpolate', ['linear'], ['zoom'],
                 12, ['match', ['get', 'depth'], 0, 1, 0], 12.5, ['match', ['get', 'depth'], 1, 1, 0],
                 13.5, ['match', ['get', 'depth'], 1, 1, 0], 14, ['match', ['get', 'depth'], 0, 0, 1]] } },
    { id: 'facilities-label', type: 'symbol', source: 'facilities', 'source-layer': 'facilities', minzoom: 15,
      layout: { 'text-field': ['get', 'name'], 'text-font': ['DejaVu Sans'], 'text-size': 11, 'text-offset': [0, 1.1], 'text-anchor': 'top' },
      paint: { 'text-color': '#276749', 'text-halo-color': '#fff', 'text-halo-width': 1 } },
  ];
  return { version: 8, glyphs: '/fonts/{fontstack}/{range}.pbf', sources, layers };
}

const LAYER_GROUPS = {
  units: ['units-fill', 'units-line', 'units-label'], buildings: ['buildings'], cameras: ['cameras'], facilities: ['facilities', 'facilities-label'],
  incidents: ['incidents'], roads: ['roads'], problems: ['problems-fill', 'problems-line'],
  camera_views: ['camera-views'], camera_gaps: ['camera-gaps'],
};

const OFF_AT_START = ['camera_views', 'camera_gaps'];

function buildSwitcher(map, info) {
  const list = $('layer-list');
  for (const l of info.layers) {
    if (!LAYER_GROUPS[l.name] || (l.features === 0 && l.name !== 'problems')) continue;
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox'; box.checked = !OFF_AT_START.includes(l.name); box.dataset.layer = l.name;
    box.addEventListener('change', () => {
      for (const id of LAYER_GROUPS[l.name]) map.setLayoutProperty(id, 'visibility', box.checked ? 'visible' : 'none');
    });
    label.append(box, ` ${LAYER_LABELS[l.name]} (${fmt(l.features)})`);
    if (l.generated) { const b = document.createElement('span'); b.className = 'badge'; b.textContent = '生成数据'; label.append(b); }
    list.append(label);
  }
  const levels = $('level-list');
  info.levels.forEach((lv, depth) => {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox'; box.checked = true; box.dataset.level = lv;
    box.addEventListener('change', () => applyLevelFilter(map));
    const sw = document.createElement('span');
    sw.style.cssText = `display:inline-block;width:10px;height:10px;margin:0 4px;background:${DEPTH_COLOURS[depth] || '#444'}`;
    label.append(box, sw, levelName(lv));
    levels.append(label);
  });
}

function applyLevelFilter(map) {
  const shown = [...document.querySelectorAll('#level-list input')].filter((b) => b.checked).map((b) => b.dataset.level);
  const f = ['in', ['get', 'level'], ['literal', shown]];
  map.setFilter('units-fill', f);
  map.setFilter('units-line', f);
  map.setFilter('units-label', ['all', f, ['<=', ['get', 'depth'], 2]]);
}

function figureRow(name, value) {
  const tr = document.createElement('tr');
  const a = document.createElement('td'); a.textContent = name;
  const b = document.createElement('td'); b.textContent = value;
  tr.append(a, b);
  return tr;
}

let selected = null;
async function openUnit(map, id, featureId = null) {
  const u = await getJson(`/api/units/${encodeURIComponent(id)}`);
  if (selected !== null) map.setFeatureState({ source: 'units', sourceLayer: 'units', id: selected }, { selected: false });
  selected = featureId;
  if (selected !== null) map.setFeatureState({ source: 'units', sourceLayer: 'units', id: selected }, { selected: true });
  const panel = $('panel');
  panel.hidden = false;
  panel.dataset.unit = u.id;
  const chain = $('chain');
  chain.replaceChildren();
  for (const c of u.chain) {
    const a = document.createElement('a');
    a.textContent = `${c.name}`; a.title = levelName(c.level);
    a.addEventListener('click', () => openUnit(map, c.id));
    chain.append(a, ' › ');
  }
  $('unit-name').textContent = u.name;
  const meta = `${levelName(u.level)} · 编号 ${u.id}` + (u.generated ? ' · 生成数据' : ' · 真实边界（OpenStreetMap）');
  $('unit-meta').textContent = meta;
  const t = $('unit-figures');
  t.replaceChildren(
    figureRow('户数', fmt(u.households)), figureRow('人口', fmt(u.population)), figureRow('楼栋', fmt(u.buildings)),
    figureRow('事件', fmt(u.incidents)), figureRow('下级单元', fmt(u.children.length)),
    figureRow('面积', u.area_m2 >= 100000 ? `${fmt(u.area_m2 / 1e6, 2)} km²` : `${fmt(u.area_m2)} m²`),
  );
  if (u.norm) t.append(figureRow('户数标准', `${u.norm.min_households}–${u.norm.max_households}（${STATUS_NAMES[u.load_status]}）`));
  getJson(`/api/coverage/cameras?unit=${encodeURIComponent(u.id)}`).then((c) => {
    if ($('panel').dataset.unit !== u.id) return;
    const x = c.unit;
    t.append(
      figureRow('摄像头', `${fmt(x.cameras)}（${fmt(x.cameras_per_km2, 1)} 个/km²）`),
      figureRow('开放空间覆盖率', `${fmt(x.ground_share * 100, 1)}%`),
      figureRow('楼栋立面可见率', `${fmt(x.facade_share * 100, 1)}%`),
      figureRow('立面无监控楼栋', `${fmt(x.buildings_unseen)} 栋 · ${fmt(x.households_unseen)} 户`),
    );
    t.dataset.coverage = String(x.ground_share);
  }).catch(() => {});
  getJson(`/api/units/${encodeURIComponent(u.id)}/incidents?period=week`).then((v) => {
    if ($('panel').dataset.unit !== u.id) return;
    const tr = v.trend;
    const change = tr.change_pct === null ? '' : `（较前一周 ${tr.change_pct >= 0 ? '+' : ''}${fmt(tr.change_pct, 0)}%）`;
    const r = v.resolution;
    t.append(
      figureRow('最近一周事件', `${fmt(tr.last ?? 0)}${change}`),
      figureRow('楼栋/网格/社区内解决', `${fmt(r.share_building_grid * 100, 0)}% / ${fmt(r.share_grid * 100, 0)}% / ${fmt(r.share_community * 100, 0)}%`),
    );
    t.dataset.trend = String(tr.last ?? 0);
  }).catch(() => {});
  const ul = $('unit-children');
  ul.replaceChildren();
  for (const c of u.children) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.textContent = c.name;
    a.addEventListener('click', () => openUnit(map, c.id));
    li.append(a, ` · ${fmt(c.households)} 户`);
    ul.append(li);
  }
  const ig = $('unit-integrity');
  ig.replaceChildren();
  const i = u.integrity;
  const lines = [];
  if (i.gap_m2 > 0) lines.push(`下级未覆盖（缺口）${fmt(i.gap_m2)} m²`);
  if (i.sliver_m2 > 0) lines.push(`细缝 ${fmt(i.sliver_m2, 1)} m²`);
  if (i.outside_parent_m2 > 0) lines.push(`超出上级 ${fmt(i.outside_parent_m2, 1)} m²`);
  for (const o of i.overlaps) lines.push(`与 ${o.a === u.id ? o.b : o.a} 重叠 ${fmt(o.area_m2, 1)} m²`);
  for (const l of lines) { const p = document.createElement('p'); p.className = 'warn'; p.textContent = l; ig.append(p); }
}

// ---- adjacency, alliances (毗邻型联盟) and AB posts (AB岗) ----

const GROUP_COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#008080', '#9a6324', '#800000', '#808000'];
const FALLBACK_NAMES = { triple: '并入三人组', cross_parent: '跨上级配对', none: '无相邻单元' };

function setGeojson(map, id, data) {
  const src = map.getSource(id);
  if (src) src.setData(data); else map.addSource(id, { type: 'geojson', data });
}

function ensureGraphLayers(map) {
  const empty = { type: 'FeatureCollection', features: [] };
  for (const id of ['adjacency', 'alliances', 'abpairs']) if (!map.getSource(id)) map.addSource(id, { type: 'geojson', data: empty });
  if (map.getLayer('alliances-fill')) return;
  const colour = ['to-color', ['at', ['%', ['coalesce', ['get', 'group'], 0], GROUP_COLOURS.length], ['literal', GROUP_COLOURS]]];
  map.addLayer({ id: 'alliances-fill', type: 'fill', source: 'alliances', paint: { 'fill-color': colour, 'fill-opacity': 0.45 } }, 'roads');
  map.addLayer({ id: 'alliances-line', type: 'line', source: 'alliances', paint: { 'line-color': '#1d2733', 'line-width': 0.8 } }, 'roads');
  map.addLayer({ id: 'adjacency', type: 'line', source: 'adjacency',
    paint: { 'line-color': ['case', ['get', 'same_parent'], '#2b6cb0', '#d53f8c'], 'line-width': 1.6,
             'line-dasharray': ['case', ['==', ['get', 'contact'], 'queen'], ['literal', [1, 2]], ['literal', [1, 0]]] } });
  map.addLayer({ id: 'abpairs', type: 'line', source: 'abpairs', paint: { 'line-color': '#2f855a', 'line-width': 4, 'line-opacity': 0.85 } });
}

function showGraphPanel(title, summary, problems, head, rows) {
  $('graph-panel').hidden = false;
  $('graph-title').textContent = title;
  $('graph-summary').textContent = summary;
  $('graph-problems').replaceChildren(...problems.map((p) => { const li = document.createElement('li'); li.textContent = p; return li; }));
  const t = $('graph-table');
  const tr = document.createElement('tr');
  for (const h of head) { const th = document.createElement('th'); th.textContent = h; tr.append(th); }
  t.replaceChildren(tr, ...rows.map((r) => {
    const row = document.createElement('tr');
    for (const c of r) { const td = document.createElement('td'); if (c instanceof Node) td.append(c); else td.textContent = c; row.append(td); }
    return row;
  }));
}

async function postJson(url, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const v = await r.json();
  if (!r.ok) throw new Error(v.message || `${url}: ${r.status}`);
  return v;
}

function setupGraphTools(map, info) {
  const sel = $('g-level');
  for (const lv of info.levels) { const o = document.createElement('option'); o.value = lv; o.textContent = levelName(lv); sel.append(o); }
  sel.value = info.levels.includes('community') ? 'community' : info.levels[info.levels.length - 1];
  const level = () => sel.value;
  const fail = (err) => { $('status').textContent = `错误：${err.message}`; };
  const links = async () => {
    ensureGraphLayers(map);
    if (!$('g-links').checked) { setGeojson(map, 'adjacency', { type: 'FeatureCollection', features: [] }); return; }
    const [gj, v] = await Promise.all([getJson(`/api/adjacency?level=${encodeURIComponent(level())}&format=geojson`),
      getJson(`/api/adjacency?level=${encodeURIComponent(level())}`)]);
    setGeojson(map, 'adjacency', gj);
    const c = v.counts;
    showGraphPanel(`${levelName(level())}邻接关系`,
      `${fmt(v.units)} 个单元，${fmt(c.pairs)} 对相邻（边相邻 ${fmt(c.rook)}，角相邻 ${fmt(c.queen)}；同上级 ${fmt(c.same_parent)}，跨上级 ${fmt(c.cross_parent)}），孤立 ${fmt(c.isolated)}。容差 ${v.tolerance_m} m。蓝线：同上级；粉线：跨上级；虚线：仅角相邻。`,
      v.isolated.map((u) => `孤立单元：${u.name}`), ['单元 A', '单元 B', '共享边界 m', '交汇层级'],
      v.pairs.slice(0, 300).map((p) => [`${p.a_name} – `, p.b_name, fmt(p.shared_m, 1), levelName(p.meet_level || '')]));
  };
  $('g-links').addEventListener('change', () => links().catch(fail));
  sel.addEventListener('change', () => links().catch(fail));
  $('g-propose').addEventListener('click', () => propose().catch(fail));
  const propose = async () => {
    ensureGraphLayers(map);
    const body = { level: level(), weight: $('g-weight').value, straddle: $('g-straddle').checked, seed: Number($('g-seed').value) || 0, geojson: true };
    if ($('g-count').value) body.count = Number($('g-count').value);
    else { body.min_size = Number($('g-min').value); body.max_size = Number($('g-max').value); }
    const v = await postJson('/api/alliances/propose', body);
    setGeojson(map, 'alliances', v.geojson);
    const wName = { population: '人口', households: '户数', units: '单元数' }[v.weight];
    const swatch = (g) => {
      const s = document.createElement('span');
      s.className = 'swatch';
      s.style.background = GROUP_COLOURS[g % GROUP_COLOURS.length];
      const w = document.createElement('span');
      w.append(s, `${g}`);
      return w;
    };
    showGraphPanel(`${levelName(v.level)}毗邻联盟（${v.groups.length} 组）`,
      `按${wName}均衡：平均 ${fmt(v.mean_weight)}，最大偏差 ${fmt(v.max_deviation * 100, 1)}%；紧凑度（Polsby-Popper）平均 ${fmt(v.mean_polsby_popper, 2)}，最低 ${fmt(v.min_polsby_popper, 2)}。`,
      v.problems, ['组', '单元', wName, '偏差', '紧凑度', '跨界'],
      v.groups.map((g) => [swatch(g.group), String(g.members.length), fmt(g.weight), `${fmt(g.deviation * 100, 1)}%`, fmt(g.polsby_popper, 2), g.straddles ? '是' : '否']));
    $('graph-panel').dataset.maxDeviation = String(v.max_deviation);
  };
  $('g-ab').addEventListener('click', () => abPairs().catch(fail));
  const abPairs = async () => {
    ensureGraphLayers(map);
    const q = `level=${encodeURIComponent(level())}&within=${$('g-across').checked ? 'any' : 'parent'}&weight=${$('g-pairweight').value}`;
    const [gj, v] = await Promise.all([getJson(`/api/ab-pairs?${q}&format=geojson`), getJson(`/api/ab-pairs?${q}`)]);
    setGeojson(map, 'abpairs', gj);
    const rows = v.pairs.map((p) => [`${p.a_name} ↔ `, p.b_name, fmt(p.shared_m, 1), fmt(p.distance_m)]);
    showGraphPanel(`${levelName(v.level)} AB岗配对`,
      `${fmt(v.pairs.length)} 对（共 ${fmt(v.units)} 个单元，${v.within_parent ? '同一上级内' : '可跨上级'}），共享边界合计 ${fmt(v.total_shared_m)} m；未配对 ${fmt(v.unmatched.length)} 个。最大权匹配（带花树算法），非贪心。`,
      v.unmatched.map((u) => `${u.name}：${FALLBACK_NAMES[u.fallback.kind]}${u.fallback.names.length ? `（${u.fallback.names.join('、')}）` : ''}`),
      ['A岗', 'B岗', '共享边界 m', '中心距 m'], rows);
    $('graph-panel').dataset.pairs = String(v.pairs.length);
  };
  $('graph-close').addEventListener('click', () => { $('graph-panel').hidden = true; });
}

// ---- camera siting (选址) and the "12 high points" scenario ----

function setupCameraTools(map, info) {
  const empty = { type: 'FeatureCollection', features: [] };
  map.addSource('siting', { type: 'geojson', data: empty });
  map.addLayer({ id: 'siting-gaps', type: 'fill', source: 'siting', filter: ['==', ['get', 'kind'], 'gap'], paint: { 'fill-color': '#c53030', 'fill-opacity': 0.35 } });
  map.addLayer({ id: 'siting-views', type: 'fill', source: 'siting', filter: ['==', ['get', 'kind'], 'view'],
    paint: { 'fill-color': '#38a169', 'fill-opacity': 0.25, 'fill-outline-color': '#276749' } });
  map.addLayer({ id: 'siting-cameras', type: 'circle', source: 'siting', filter: ['==', ['get', 'kind'], 'camera'],
    paint: { 'circle-radius': 6, 'circle-color': '#276749', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  map.addLayer({ id: 'siting-labels', type: 'symbol', source: 'siting', filter: ['all', ['==', ['get', 'kind'], 'camera'], ['has', 'rank']],
    layout: { 'text-field': ['to-string', ['get', 'rank']], 'text-font': ['DejaVu Sans'], 'text-size': 12, 'text-offset': [0, -1.2] },
    paint: { 'text-color': '#1a4731', 'text-halo-color': '#fff', 'text-halo-width': 1.5 } });
  const fail = (err) => { $('status').textContent = `错误：${err.message}`; };
  const target = () => $('panel').hidden ? null : $('panel').dataset.unit;
  $('s-run').addEventListener('click', () => (async () => {
    const unit = target();
    if (!unit) throw new Error('先在地图上点选一个单元');
    const body = {
      unit, k: Number($('s-k').value), headings: 8,
      camera: { fov: Number($('s-fov').value), range: Number($('s-range').value), height: Number($('s-height').value) },
      weights: { households: Number($('s-whh').value), incidents: Number($('s-winc').value) },
    };
    const v = await postJson('/api/coverage/siting', body);
    map.getSource('siting').setData(v.geojson);
    showGraphPanel(`摄像头选址（${v.proposals.length} 个）`,
      `开放空间覆盖率 ${fmt(v.before_share * 100, 1)}% → ${fmt(v.after_share * 100, 1)}%（贪心最大覆盖，候选 ${fmt(v.candidates)} 个，采样间距 ${fmt(v.sample_step_m, 1)} m）。建议位置为计算结果（生成数据）。`,
      [], ['序号', '朝向', '新增覆盖 m²', '新增可见户数', '位置'],
      v.proposals.map((p) => [String(p.rank), body.camera.fov >= 360 ? '全向' : `${fmt(p.heading)}°`, fmt(p.gain_m2), fmt(p.gain_households), p.on_roof ? '楼顶' : '地面']));
    $('graph-panel').dataset.siting = String(v.after_share);
  })().catch(fail));
  $('s-high').addEventListener('click', () => (async () => {
    const unit = target();
    const q = `n=${Number($('s-n').value)}&range=${Number($('s-hrange').value)}&height=5${unit ? `&unit=${encodeURIComponent(unit)}` : ''}`;
    const v = await getJson(`/api/coverage/high-points?${q}`);
    map.getSource('siting').setData(v.geojson);
    const answer = v.covers_all ? '能覆盖全域' : '不能覆盖全域';
    showGraphPanel(`${v.unit_name}：${v.cameras.length} 个制高点${answer}`,
      `${v.cameras.length} 个全向摄像头装在最高的楼顶（视距 ${$('s-hrange').value} m，考虑楼栋遮挡与高度）：覆盖开放空间 ${fmt(v.share * 100, 1)}%，盲区 ${fmt(v.uncovered_m2 / 1e6, 2)} km²（红色）。`,
      [], ['楼栋', '楼高 m', '视域 m²'], v.cameras.map((c) => [c.building, fmt(c.roof_m), fmt(c.view_m2)]));
    $('graph-panel').dataset.highPoints = String(v.share);
  })().catch(fail));
}

// ---- incidents: live stream, heatmap and hot spots ----

const CATEGORIES = ['矛盾纠纷', '治安隐患', '安全生产', '环境卫生', '市容秩序', '基础设施', '民生服务', '消防安全', '其他'];

function setupIncidentTools(map) {
  const empty = { type: 'FeatureCollection', features: [] };
  map.addSource('heat', { type: 'geojson', data: empty });
  map.addLayer({ id: 'heat-fill', type: 'fill', source: 'heat',
    paint: { 'fill-color': ['case', ['has', 'class'],
      ['match', ['get', 'class'], 'hot', '#c53030', 'cold', '#2b6cb0', 'rgba(0,0,0,0)'],
      ['interpolate', ['linear'], ['get', 'count'], 1, '#fed976', 10, '#fd8d3c', 50, '#e31a1c', 200, '#800026']],
    'fill-opacity': 0.55, 'fill-outline-color': 'rgba(0,0,0,0.15)' } }, 'cameras');
  const live = { type: 'FeatureCollection', features: [] };
  map.addSource('live', { type: 'geojson', data: live });
  map.addLayer({ id: 'live-incidents', type: 'circle', source: 'live',
    paint: { 'circle-radius': 7, 'circle-color': ['match', ['get', 'status'], 'reported', '#e53e3e', 'resolved', '#38a169', 'evaluated', '#38a169', '#dd6b20'],
             'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  const cat = $('h-cat');
  for (const c of CATEGORIES) { const o = document.createElement('option'); o.value = c; o.textContent = c; cat.append(o); }
  const fail = (err) => { $('status').textContent = `错误：${err.message}`; };
  const query = () => `res=${$('h-res').value}${cat.value ? `&category=${encodeURIComponent(cat.value)}` : ''}`;
  $('h-heat').addEventListener('click', () => (async () => {
    const gj = await getJson(`/api/heatmap?${query()}&format=geojson`);
    map.getSource('heat').setData(gj);
    $('incident-form').dataset.heat = String(gj.features.length);
  })().catch(fail));
  $('h-hot').addEventListener('click', () => (async () => {
    const [gj, v] = await Promise.all([getJson(`/api/hotspots?${query()}&k=1&format=geojson`), getJson(`/api/hotspots?${query()}&k=1`)]);
    map.getSource('heat').setData({ type: 'FeatureCollection', features: gj.features.filter((f) => f.properties.class !== 'none') });
    showGraphPanel('事件热点（Getis-Ord Gi*）', `H3 分辨率 ${v.res}，k = ${v.k}，${fmt(v.incidents)} 起事件${v.generated ? '（生成数据）' : ''}：热点 ${v.hot} 格、冷点 ${v.cold} 格（错误发现率 FDR 5%）。`,
      [], ['H3 格', '事件', 'z', 'q'], v.cells.filter((c) => c.class === 'hot').sort((a, b) => b.z - a.z).slice(0, 30)
        .map((c) => [c.cell, fmt(c.count), fmt(c.z, 2), c.q.toExponential(1)]));
    $('incident-form').dataset.hot = String(v.hot);
  })().catch(fail));
  $('h-clear').addEventListener('click', () => map.getSource('heat').setData(empty));
  // new incidents and transitions pushed by the server
  const byId = new Map();
  const es = new EventSource('/api/stream');
  const show = (e) => {
    const v = JSON.parse(e.data);
    byId.set(v.id, { type: 'Feature', geometry: { type: 'Point', coordinates: [v.lon, v.lat] },
      properties: { id: v.id, status: v.status, category: v.category, overdue: v.overdue } });
    live.features = [...byId.values()];
    map.getSource('live').setData(live);
    $('live-count').textContent = `实时事件：${byId.size}（最新 ${v.id} · ${v.category} · ${v.status}）`;
    $('live-count').dataset.last = v.id;
  };
  es.addEventListener('incident', show);
  es.addEventListener('transition', show);
  // a bulk import: reload the live incidents at once
  es.addEventListener('bulk', () => getJson('/api/incidents').then((l) => { for (const v of l.incidents) show({ data: JSON.stringify(v) }); }).catch(fail));
  // KPI figures pushed on connect and on every change (小事不出楼栋、纠纷不出网格、矛盾不出社区)
  es.addEventListener('kpi', (e) => {
    const k = JSON.parse(e.data);
    const pct = (x) => (x == null ? '—' : `${fmt(x * 100, 0)}%`);
    const el = $('live-kpi');
    el.textContent = `未办结 ${fmt(k.open)} · 超时 ${fmt(k.overdue)} · 办结于楼栋 ${pct(k.share_building_grid)} / 网格 ${pct(k.share_grid)}`
      + ` / 社区 ${pct(k.share_community)} / 街道以上 ${pct(k.share_above_community)}`
      + (k.satisfaction_mean == null ? '' : ` · 满意度 ${fmt(k.satisfaction_mean, 1)}`);
    el.dataset.open = String(k.open);
    el.dataset.incidents = String(k.incidents);
  });
}

async function main() {
  const info = await getJson('/api/layers');
  const b = info.bounds;
  const map = new maplibregl.Map({
    container: 'map',
    style: style(info),
    bounds: [[b[0], b[1]], [b[2], b[3]]],
    fitBoundsOptions: { padding: 20 },
    localIdeographFontFamily: "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', sans-serif",
    attributionControl: { compact: false, customAttribution: '生成图层仅为演示（生成数据）' },
    maxZoom: 19,
  });
  window.wanggeMap = map;
  window.wanggeOpenUnit = (id) => openUnit(map, id);
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  buildSwitcher(map, info);
  map.on('load', () => { setupGraphTools(map, info); setupCameraTools(map, info); setupIncidentTools(map); });
  map.on('click', 'units-fill', (e) => {
    const f = e.features.slice().sort((a, c) => c.properties.depth - a.properties.depth)[0];
    if (f) openUnit(map, f.properties.id, f.id ?? null).catch((err) => { $('status').textContent = `错误：${err.message}`; });
  });
  map.on('mouseenter', 'units-fill', () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', 'units-fill', () => { map.getCanvas().style.cursor = ''; });
  $('panel-close').addEventListener('click', () => { $('panel').hidden = true; });
  const check = await getJson('/api/check');
  const s = check.summary;
  $('check-summary').replaceChildren(...[
    `缺口 ${s.gaps} 处，${fmt(s.gap_m2)} m²`, `细缝 ${s.slivers} 处，${fmt(s.sliver_m2, 1)} m²`, `重叠 ${s.overlaps} 对，${fmt(s.overlap_m2, 1)} m²`,
    `超出上级 ${s.outside_parent} 处`, `跨界楼栋 ${s.buildings_cut}，未归属 ${s.buildings_unassigned}`,
    `超出户数标准 ${s.units_over_norm}，低于 ${s.units_under_norm}`,
  ].map((t) => { const d = document.createElement('div'); d.textContent = t; return d; }));
  map.on('idle', () => { $('status').textContent = `数据版本 ${info.data_version}`; });
}

main().catch((err) => { $('status').textContent = `错误：${err.message}`; });
