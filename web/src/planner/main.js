// @ts-check
/**
 * The planner (/planner): a scenario is a named draft of the published units
 * layer. Its draft is drawn over the shared map; the tools split a unit by a
 * drawn line (points snap to boundary vertices), merge neighbouring units,
 * move a boundary vertex (neighbours sharing it move with it), reassign a
 * building, change a unit's name and code and replace its geometry from an
 * uploaded GeoJSON file, each an operation on the
 * server with undo and redo. After every edit the validation list and what
 * moves (buildings, households and people from which unit to which, and the
 * change per unit) are shown, linked to the map. Publishing makes the draft
 * the next version of the units layer; any version can be rolled back to.
 * A write based on an old revision (another planner wrote first) is refused
 * by the server with 409 and the page reloads the scenario.
 */
import { api, setErrorSink, showError } from '../api.js';
import { createMap, defaultThemes } from '../core/map.js';
import { fullscreenControl } from '../core/controls.js';
import { fmtNumber, translatePage, tr } from '../core/i18n.js';
import { applyActions, askLogin, pageHeader, showUser, watchSession, whoAmI } from '../session.js';
import { byId, h, inputEl, levelName, selectEl } from '../util.js';
import { T } from './text.js';
import { plans, StaleError } from './client.js';
import { addPlannerLayers, showDraft, showFinding, showMoves, showPicked, showPickedBuilding, showVertex, VertexIndex } from './layers.js';
import { setupSplitDraw } from './draw.js';
import { showDiff, showValidation, showVersions } from './panels.js';

/** @typedef {import('./client.js').Scenario} Scenario */
/** @typedef {'select' | 'split' | 'merge' | 'vertex' | 'reassign'} Tool */

/** Asks the user to confirm in the page's dialog. @param {string} text @returns {Promise<boolean>} */
function confirmDialog(text) {
  const d = /** @type {HTMLDialogElement} */ (byId('confirm'));
  byId('confirm-text').textContent = text;
  d.returnValue = '';
  d.showModal();
  return new Promise((resolve) => d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true }));
}

/** The point halfway along a line. @param {[number, number][]} line @returns {[number, number]} */
function halfway(line) {
  let total = 0;
  const seg = [];
  for (let i = 1; i < line.length; i++) {
    const d = Math.hypot(line[i][0] - line[i - 1][0], line[i][1] - line[i - 1][1]);
    seg.push(d);
    total += d;
  }
  let left = total / 2;
  for (let i = 1; i < line.length; i++) {
    if (left <= seg[i - 1] && seg[i - 1] > 0) {
      const t = left / seg[i - 1];
      return [line[i - 1][0] + t * (line[i][0] - line[i - 1][0]), line[i - 1][1] + t * (line[i][1] - line[i - 1][1])];
    }
    left -= seg[i - 1];
  }
  return line[0];
}

/**
 * The Polygon or MultiPolygon of an uploaded GeoJSON text: a geometry, a feature, or a feature collection of
 * one feature; else the key of the problem's text. The server checks the geometry itself (closed rings, validity).
 * @param {string} text @returns {Record<string, unknown> | 'geomNotJson' | 'geomNotAreal'}
 */
function arealGeometry(text) {
  /** @type {any} */
  let v;
  try { v = JSON.parse(text); } catch { return 'geomNotJson'; }
  if (v?.type === 'FeatureCollection') v = Array.isArray(v.features) && v.features.length === 1 ? v.features[0] : null;
  if (v?.type === 'Feature') v = v.geometry;
  return v && (v.type === 'Polygon' || v.type === 'MultiPolygon') ? v : 'geomNotAreal';
}

async function main() {
  translatePage();
  pageHeader({ badge: true });
  const status = byId('status');
  const say = (/** @type {string} */ m, warn = false) => { status.textContent = m; status.classList.toggle('warn', warn); };
  setErrorSink((m) => say(m, true));
  let me = await whoAmI();
  if (!me) { say(T('login')); me = await askLogin(); }
  showUser(me);
  applyActions(me);
  const info = await api.layers();
  byId('generated-badge').hidden = !info.layers.some((l) => l.generated);
  const themes = defaultThemes(info);
  themes.delete('problems');
  const map = createMap({ container: 'map', info, themes, bounds: me.open ? null : me.bounds });
  watchSession(map);
  map.addControl(fullscreenControl(), 'top-right');

  const levels = selectEl('edit-level');
  levels.replaceChildren(...info.levels.map((l) => { const o = h('option', { text: levelName(l) }); o.value = l; return o; }));
  levels.value = info.levels.includes('grid') ? 'grid' : info.levels[info.levels.length - 1] ?? '';

  /** @type {{ scenario: Scenario | null, index: VertexIndex | null, tool: Tool, picked: string[], vertex: [number, number] | null,
   *   building: string | null, busy: boolean, validation: import('./client.js').Validation | null, diff: import('./panels.js').LayerDiff | null,
   *   fetched: number | null, named: string[] }} fetched: units fetched after the last write; named: the units its answer named changed or created */
  const st = { scenario: null, index: null, tool: 'select', picked: [], vertex: null, building: null, busy: false, validation: null, diff: null,
    fetched: null, named: [] };
  Object.assign(window, { wanggeMap: map, wanggeMe: me, wanggePlanner: st });

  const scenarioSel = selectEl('scenario');
  const hint = byId('tool-hint');
  const valView = byId('val-view');
  const diffView = byId('diff-view');
  const histView = byId('hist-view');
  /** @type {ReturnType<typeof setupSplitDraw> | null} */
  let splitDraw = null;

  /** The unit of the edit level at a screen point. @param {{ x: number, y: number }} pt */
  const unitAt = (pt) => {
    const hit = map.queryRenderedFeatures([pt.x, pt.y], { layers: ['plan-fill'] }).find((f) => f.properties?.level === levels.value);
    return hit?.properties ? { id: String(hit.properties.id), name: String(hit.properties.name ?? ''), code: hit.properties.code ?? '' } : null;
  };
  /** The leaf unit (one no unit of the draft names as parent) at a screen point, whatever the edit level:
   * a building is reassigned to a leaf only. @param {{ x: number, y: number }} pt */
  const leafAt = (pt) => {
    const parents = new Set((st.scenario?.draft.features ?? []).map((f) => f.properties?.parent_id).filter((p) => p != null).map(String));
    const hit = map.queryRenderedFeatures([pt.x, pt.y], { layers: ['plan-fill'] }).find((f) => f.properties?.id != null && !parents.has(String(f.properties.id)));
    return hit?.properties ? String(hit.properties.id) : null;
  };

  const fitTo = (/** @type {import('./client.js').Location | null | undefined} */ loc) => {
    if (loc?.bbox) map.fitBounds([[loc.bbox[0], loc.bbox[1]], [loc.bbox[2], loc.bbox[3]]], { padding: 80, maxZoom: 18, duration: 400 });
    else if (loc?.point) map.easeTo({ center: loc.point, zoom: Math.max(map.getZoom(), 16), duration: 400 });
  };

  const refreshChecks = async (/** @type {import('./client.js').Validation | null | undefined} */ given) => {
    const s = st.scenario;
    if (!s) { valView.replaceChildren(); diffView.replaceChildren(); showMoves(map, []); return; }
    valView.dataset.revision = '';
    if (!given) valView.replaceChildren(h('p', { text: T('valLoading') }));
    const [v, d] = await Promise.all([given ? Promise.resolve(given) : plans.validate(s.id), plans.diff(s.id)]);
    if (st.scenario?.id !== s.id) return;
    st.validation = v;
    st.diff = d;
    showValidation(valView, v, (f) => { showFinding(map, f.location); fitTo(f.location); showPicked(map, f.units); });
    showDiff(diffView, d, (loc, unit) => { if (loc) { fitTo(loc); showFinding(map, loc); } if (unit) showPicked(map, [unit]); });
    showMoves(map, d.moves);
    valView.dataset.revision = String(s.revision);
    diffView.dataset.revision = String(s.revision);
  };

  const showLog = (/** @type {Scenario} */ s) => {
    const cursor = s.cursor ?? s.ops.length;
    byId('op-log').replaceChildren(...s.ops.map((op, i) => {
      const li = h('li', { text: String(op.op ?? '?') + (op.unit ? ` ${op.unit}` : '') + (Array.isArray(op.units) ? ` ${op.units.join('+')}` : '') });
      if (i >= cursor) li.className = 'undone';
      return li;
    }));
    /** @type {HTMLButtonElement} */ (byId('undo')).disabled = !(s.can_undo ?? cursor > 0);
    /** @type {HTMLButtonElement} */ (byId('redo')).disabled = !(s.can_redo ?? cursor < s.ops.length);
  };

  /** Shows a scenario (its draft, log and checks). @param {Scenario} s @param {import('./client.js').Validation | null} [validation] */
  const show = async (s, validation) => {
    const id = s.id;
    st.scenario = s;
    st.index = new VertexIndex(s.draft);
    showDraft(map, s.draft);
    byId('scenario-info').textContent = T('info', { base: s.base_version, rev: s.revision, author: s.author ?? '—' });
    showLog(s);
    localStorage.setItem('wangge.planner.scenario', id);
    say(T('ready', { v: info.data_version, name: s.name, rev: s.revision }));
    await refreshChecks(validation);
  };
  /** Loads a scenario whole. @param {string} id @param {import('./client.js').Validation | null} [validation] */
  const load = async (id, validation) => show(await plans.get(id), validation);
  /**
   * After a write: fetches only the units the answer names as changed or created and drops the removed ones
   * from the draft the page holds.
   * @param {Scenario} s the scenario before the write @param {import('./client.js').OpAnswer} ans
   */
  const refetch = async (s, ans) => {
    const fresh = [...(ans.changed ?? []), ...(ans.created ?? [])];
    const gone = new Set([...fresh, ...(ans.removed ?? [])]);
    const next = await plans.get(s.id, fresh);
    const kept = s.draft.features.filter((f) => !gone.has(String(f.properties?.id)));
    next.draft = { type: 'FeatureCollection', features: [...kept, ...next.draft.features] };
    st.fetched = next.draft.features.length - kept.length;
    st.named = fresh;
    await show(next, ans.validation ?? null);
  };

  const loadList = async (/** @type {string | null} */ want) => {
    const { scenarios } = await plans.list();
    scenarioSel.replaceChildren(...scenarios.map((s) => { const o = h('option', { text: `${s.name} (r${s.revision})` }); o.value = s.id; return o; }));
    const pick = scenarios.find((s) => s.id === want) ?? scenarios[0];
    if (!pick) {
      st.scenario = null;
      showDraft(map, { type: 'FeatureCollection', features: [] });
      for (const id of ['plan-fill', 'plan-line', 'plan-label']) map.setLayoutProperty(id, 'visibility', 'visible');
      say(T('noScenario'));
      await refreshChecks(null);
      return;
    }
    scenarioSel.value = pick.id;
    await load(pick.id);
  };

  const loadVersions = async () => {
    const { versions } = await plans.versions();
    showVersions(histView, versions, me.actions.includes('publish') ? (v) => { rollback(v).catch(showError); } : null);
  };

  /** Runs one write; a 409 reloads the scenario and says so. @param {() => Promise<import('./client.js').OpAnswer>} write @param {string} label */
  const run = async (write, label) => {
    const s = st.scenario;
    if (!s || st.busy) return;
    st.busy = true;
    say(T('working'));
    const t0 = performance.now();
    try {
      const ans = await write();
      await refetch(s, ans);
      say(T('applied', { op: label, ms: fmtNumber(Math.round(performance.now() - t0)) }));
    } catch (e) {
      if (e instanceof StaleError) {
        await load(s.id);
        say(T('stale', { rev: e.revision }), true);
      } else showError(e);
    } finally {
      st.busy = false;
    }
  };
  /** @param {Record<string, unknown>} op @param {string} label */
  const apply = (op, label) => run(() => plans.apply(/** @type {Scenario} */ (st.scenario).id, /** @type {Scenario} */ (st.scenario).revision, op), label);

  const rollback = async (/** @type {number} */ v) => {
    if (!await confirmDialog(T('confirmRollback', { v }))) return;
    const r = await plans.rollback(v, inputEl('pub-message').value || undefined);
    byId('pub-result').textContent = T('rolledBack', { v: r.version, to: v });
    await loadVersions();
  };

  // tools
  const toolButtons = /** @type {HTMLButtonElement[]} */ ([...document.querySelectorAll('.tool-buttons button')]);
  const hints = /** @type {Record<Tool, Parameters<typeof T>[0]>} */ ({ select: 'hintSelect', split: 'hintSplit', merge: 'hintMerge', vertex: 'hintVertex', reassign: 'hintReassign' });
  const setTool = (/** @type {Tool} */ t) => {
    st.tool = t;
    st.picked = [];
    st.vertex = null;
    st.building = null;
    showPicked(map, []);
    showVertex(map, null);
    showPickedBuilding(map, null);
    byId('merge-box').hidden = t !== 'merge';
    byId('attrs-box').hidden = true;
    byId('merge-list').textContent = '';
    for (const b of toolButtons) b.classList.toggle('active', b.dataset.tool === t);
    byId('map').dataset.tool = t;
    hint.textContent = T(hints[t]);
    if (t === 'split') splitDraw?.start(); else splitDraw?.stop();
  };
  for (const b of toolButtons) b.addEventListener('click', () => setTool(/** @type {Tool} */ (b.dataset.tool)));

  map.on('click', (e) => {
    if (!st.scenario || st.busy) return;
    if (st.tool === 'select') {
      const u = unitAt(e.point);
      st.picked = u ? [u.id] : [];
      showPicked(map, st.picked);
      byId('attrs-box').hidden = !u;
      if (u) {
        byId('attrs-title').textContent = T('attrsTitle', { id: u.id, level: levelName(levels.value) });
        inputEl('attr-name').value = u.name;
        inputEl('attr-code').value = String(u.code ?? '');
      }
    } else if (st.tool === 'merge') {
      const u = unitAt(e.point);
      if (!u) return;
      st.picked = st.picked.includes(u.id) ? st.picked.filter((x) => x !== u.id) : [...st.picked, u.id];
      showPicked(map, st.picked);
      byId('merge-list').textContent = T('mergeList', { ids: st.picked.join(', ') });
    } else if (st.tool === 'vertex') {
      if (!st.vertex) {
        const v = st.index?.nearest(map, e.point) ?? null;
        if (!v) return;
        st.vertex = v;
        showVertex(map, v);
        hint.textContent = T('hintVertexTo');
      } else {
        const to = st.index?.nearest(map, e.point) ?? /** @type {[number, number]} */ ([e.lngLat.lng, e.lngLat.lat]);
        const at = st.vertex;
        st.vertex = null;
        showVertex(map, null);
        hint.textContent = T('hintVertex');
        apply({ op: 'move_vertex', at, to }, T('opMove')).catch(showError);
      }
    } else if (st.tool === 'reassign') {
      if (!st.building) {
        const b = map.queryRenderedFeatures(e.point, { layers: map.getLayer('buildings') ? ['buildings'] : [] })[0];
        if (!b?.properties?.id) return;
        st.building = String(b.properties.id);
        showPickedBuilding(map, st.building);
        hint.textContent = T('hintReassignTo', { b: st.building });
      } else {
        const to = leafAt(e.point);
        if (!to) return;
        const b = st.building;
        st.building = null;
        showPickedBuilding(map, null);
        hint.textContent = T('hintReassign');
        apply({ op: 'reassign_building', building: b, to }, T('opReassign', { b, u: to })).catch(showError);
      }
    }
  });

  byId('merge-run').addEventListener('click', () => {
    if (st.picked.length < 2) { say(T('mergeNeedTwo'), true); return; }
    const units = st.picked;
    apply({ op: 'merge', units }, T('opMerge', { u: units.join('+') })).then(() => setTool('merge')).catch(showError);
  });
  byId('attrs-save').addEventListener('click', () => {
    const unit = st.picked[0];
    if (!unit) return;
    const code = inputEl('attr-code').value.trim();
    apply({ op: 'set_attributes', unit, name: inputEl('attr-name').value, code: code || null }, T('opAttrs', { u: unit })).catch(showError);
  });
  const geomFile = inputEl('geom-file');
  geomFile.addEventListener('change', async () => {
    const unit = st.picked[0];
    const file = geomFile.files?.[0];
    geomFile.value = '';
    if (!unit || !file) return;
    const geometry = arealGeometry(await file.text());
    if (typeof geometry === 'string') { say(T('geomBad', { f: file.name, p: T(geometry) }), true); return; }
    apply({ op: 'set_geometry', unit, geometry }, T('opGeometry', { u: unit, f: file.name })).catch(showError);
  });
  byId('undo').addEventListener('click', () => { const s = st.scenario; if (s) run(() => plans.undo(s.id, s.revision), tr('撤销', 'undo')).catch(showError); });
  byId('redo').addEventListener('click', () => { const s = st.scenario; if (s) run(() => plans.redo(s.id, s.revision), tr('重做', 'redo')).catch(showError); });
  document.addEventListener('keydown', (e) => {
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
    if (e.key === 'Escape') setTool(st.tool);
    else if (!typing && (e.ctrlKey || e.metaKey) && e.key === 'z') byId('undo').click();
    else if (!typing && (e.ctrlKey || e.metaKey) && e.key === 'y') byId('redo').click();
  });

  scenarioSel.addEventListener('change', () => { load(scenarioSel.value).catch(showError); });
  byId('sc-create').addEventListener('click', async () => {
    const name = inputEl('sc-name').value.trim();
    if (!name) { inputEl('sc-name').focus(); return; }
    try {
      const s = await plans.create(name, inputEl('sc-desc').value.trim() || undefined);
      inputEl('sc-name').value = '';
      inputEl('sc-desc').value = '';
      await loadList(s.id);
    } catch (e) { showError(e); }
  });
  byId('sc-delete').addEventListener('click', async () => {
    const s = st.scenario;
    if (!s || !await confirmDialog(T('confirmDelete', { name: s.name }))) return;
    try { await plans.remove(s.id); await loadList(null); } catch (e) { showError(e); }
  });
  byId('publish').addEventListener('click', async () => {
    const s = st.scenario;
    if (!s) return;
    const errors = st.validation?.summary.errors ?? 0;
    if (!await confirmDialog(T('confirmPublish', { name: s.name, rev: s.revision, errors }))) return;
    try {
      const r = await plans.publish(s.id, s.revision, inputEl('pub-message').value.trim());
      byId('pub-result').textContent = T('published', { v: r.version, author: r.author ?? '' });
      byId('pub-result').dataset.version = String(r.version);
      await Promise.all([loadVersions(), loadList(s.id)]);
    } catch (e) {
      if (e instanceof StaleError) { await load(s.id); say(T('stale', { rev: e.revision }), true); } else showError(e);
    }
  });

  // tabs
  const tabs = /** @type {const} */ ([['tab-val', 'val-view'], ['tab-diff', 'diff-view'], ['tab-hist', 'hist-view']]);
  for (const [tab, view] of tabs) {
    byId(tab).addEventListener('click', () => {
      for (const [t, v] of tabs) { byId(t).setAttribute('aria-selected', String(t === tab)); byId(v).hidden = v !== view; }
      if (view === 'hist-view') loadVersions().catch(showError);
    });
  }

  map.on('load', () => {
    addPlannerLayers(map, info.levels);
    splitDraw = setupSplitDraw(map, (pt) => st.index?.nearest(map, pt) ?? null, (line) => {
      const mid = halfway(line);
      const u = unitAt(map.project(mid));
      if (!u) { say(T('splitNoUnit', { level: levelName(levels.value) }), true); return; }
      apply({ op: 'split', unit: u.id, line }, T('opSplit', { u: u.id })).then(() => setTool('split')).catch(showError);
    });
    setTool('select');
    const want = new URLSearchParams(location.search).get('scenario') ?? localStorage.getItem('wangge.planner.scenario');
    Promise.all([loadList(want), loadVersions()]).catch(showError);
  });
}

main().catch(showError);
