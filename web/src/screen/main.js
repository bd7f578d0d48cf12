// @ts-check
/**
 * The command-center screen (/screen, or /screen?unit=ID for a street's
 * sub-center: that unit's subtree, inside the caller's jurisdiction).
 *
 * Starts with the figures from `GET /api/screen/summary`, the live incidents
 * of the last hours and the sensors, then lives on the event stream: a new
 * case goes to the ticker, the counts and the map at once; `kpi` replaces the
 * open/overdue/督办 figures and the shares; a sensor's alarm flashes where it
 * is. The summary is fetched again every 30 s (and after a resync), the
 * heatmap every 5 min. Every request goes to our own server.
 *
 * Runs for days: one timer draws what changed, the ticker, the map's live
 * incidents and the seen-ids set are bounded, charts are updated in place.
 */
import { getJson } from '../api.js';
import { askLogin, watchSession, whoAmI } from '../session.js';
import { fmtDateTime, languageSwitch, messages, translatePage } from '../core/i18n.js';
import { screenMap } from './map.js';
import { keepStream } from './stream.js';
import { Panels, tick } from './panels.js';

const T = messages({
  zh: { live: '实时连接', connecting: '连接中…', down: '连接中断，自动重连', attribution: '生成图层仅为演示（生成数据）',
    note: '标有“生成数据”的图层与案件由 wangge gen 按固定种子生成，并非真实数据。', version: '数据版本 {v}',
    alarm: '告警 {name}（{kind}）{value}', error: '错误：{m}', whole: '全辖区' },
  en: { live: 'Live', connecting: 'Connecting…', down: 'Disconnected, reconnecting', attribution: 'Generated layers for the demo only (generated data)',
    note: 'Layers and cases marked “generated data” are made by wangge gen from a fixed seed, not real data.', version: 'Data version {v}',
    alarm: 'Alarm {name} ({kind}) {value}', error: 'Error: {m}', whole: 'Whole jurisdiction' },
});

/**
 * Incident ids seen on the stream, to tell a new case from a replay (bounded): the server replays at most its
 * buffer (4,096 events, `events::REPLAY_CAPACITY`) after a reconnection, so as many ids suffice. (20,000 made the
 * first soak's heap rise by ~1 MB over its hour while the set filled.)
 */
const SEEN_KEPT = 4096;
/** Alarms listed over the map. */
const ALARMS_SHOWN = 6;
const SUMMARY_EVERY_MS = 30000;
const HEAT_EVERY_MS = 300000;
/** Live incidents asked for at start and after a resync: those of the last hours. */
const LIVE_HOURS = 6;

/** @typedef {{ id: string, lon: number, lat: number, status: string, category: string, item?: string | null, overdue?: boolean,
 *   units?: string[], received_at?: string, occurred_at?: string }} Incident */
/** @typedef {import('./map.js').ScreenSensor & { breach?: unknown, last?: { value: number } | null, unit?: string | null }} Sensor */

/** @param {string} id */
const el = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** Whether point [x, y] lies in a polygon or multipolygon (ray casting, holes counted). @param {number[]} p @param {import('geojson').Geometry} g */
function inside(p, g) {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  let n = 0;
  for (const rings of polys) {
    for (const ring of rings) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) n++;
      }
    }
  }
  return n % 2 === 1;
}

/** @param {import('geojson').Geometry} g @returns {[number, number, number, number]} */
function bboxOf(g) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  for (const rings of polys) for (const [x, y] of rings[0]) { b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y); }
  return /** @type {[number, number, number, number]} */ (b);
}

async function main() {
  translatePage();
  el('s-lang').append(languageSwitch());
  el('s-note').textContent = T('note');
  const status = el('s-conn');
  // a failed fetch shows in the footer until the live connection is back (a restarted server: the resync then refetches)
  const note = el('s-note');
  const showError = (/** @type {unknown} */ e) => { note.dataset.error = '1'; note.textContent = T('error', { m: e instanceof Error ? e.message : String(e) }); };
  const clearError = () => { if (note.dataset.error) { delete note.dataset.error; note.textContent = T('note'); } };
  let me = await whoAmI();
  if (!me) me = await askLogin();
  // a session that expires or is revoked (a wall screen runs for days): the login again, then the page anew
  const expired = watchSession();
  const unitId = new URLSearchParams(location.search).get('unit');
  const q = unitId ? `?unit=${encodeURIComponent(unitId)}` : '';
  const [info, taxonomy, units, first] = await Promise.all([
    getJson('/api/layers'), getJson('/api/taxonomy'), getJson('/api/units'), getJson(`/api/screen/summary${q}`),
  ]);
  /** @type {Map<string, string>} */
  const names = new Map(units.units.map((/** @type {{ id: string, name: string }} */ u) => [u.id, u.name]));
  const unitName = (/** @type {string} */ id) => names.get(id) ?? id;
  el('s-unit').textContent = first.unit ? first.unit.name : (me.unit_name || T('whole'));
  const generated = first.incidents_generated || info.layers.some((/** @type {{ generated: boolean }} */ l) => l.generated);
  el('s-generated').hidden = !generated;
  el('s-version').textContent = T('version', { v: String(info.data_version) });

  // a street's sub-center: its polygon bounds the map, masks the rest and keeps the sensors inside
  /** @type {import('geojson').Feature | null} */
  let unitFeature = null;
  if (first.unit) {
    const fc = await getJson(`/api/features/units?level=${encodeURIComponent(first.unit.level)}&limit=100000`);
    unitFeature = fc.features.find((/** @type {import('geojson').Feature} */ f) => f.properties?.id === first.unit.id) ?? null;
  }
  // else the units of the level below the top (the land the district is made of, not its waters)
  let bounds = unitFeature ? bboxOf(unitFeature.geometry) : me.open ? null : me.bounds;
  if (!unitFeature && info.levels.length > 1) {
    const fc = await getJson(`/api/features/units?level=${encodeURIComponent(info.levels[1])}&limit=100000`).catch(() => null);
    /** @type {[number, number, number, number][]} */
    const boxes = (fc?.features ?? []).map((/** @type {import('geojson').Feature} */ f) => bboxOf(f.geometry));
    if (boxes.length) {
      bounds = [Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1])),
        Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3]))];
    }
  }
  const sm = screenMap({ info, bounds, attribution: T('attribution') });
  const panels = new Panels(taxonomy.classes.map((/** @type {{ name: string }} */ c) => c.name));
  panels.set(first);

  const mine = (/** @type {Incident} */ v) => !unitId || (v.units ?? []).includes(unitId);
  const sensorMine = (/** @type {Sensor} */ s) => !unitFeature || inside([s.lon, s.lat], unitFeature.geometry);
  /** @type {Set<string>} */
  const seen = new Set();
  const remember = (/** @type {string} */ id) => {
    seen.add(id);
    if (seen.size > SEEN_KEPT) { const o = seen.values().next().value; if (o !== undefined) seen.delete(o); }
  };

  /** @type {Map<string, HTMLElement>} */
  const alarmEls = new Map();
  const showSensor = (/** @type {Sensor} */ s) => {
    if (!sensorMine(s)) return;
    sm.sensor(s);
    const box = el('s-alarms');
    const old = alarmEls.get(s.id);
    if (!s.alarm) { old?.remove(); alarmEls.delete(s.id); return; }
    const div = old ?? document.createElement('div');
    div.className = 's-alarm';
    div.dataset.sensor = s.id;
    div.textContent = T('alarm', { name: s.name || s.id, kind: s.kind, value: s.last ? `${s.last.value}${s.unit ? ` ${s.unit}` : ''}` : '' });
    if (!old) { alarmEls.set(s.id, div); box.prepend(div); }
    while (box.children.length > ALARMS_SHOWN) {
      const last = /** @type {HTMLElement | null} */ (box.lastElementChild);
      if (!last) break;
      alarmEls.delete(last.dataset.sensor ?? '');
      last.remove();
    }
  };

  const refetchSummary = () => getJson(`/api/screen/summary${q}`).then((s) => panels.set(s)).catch(showError);
  const refetchLive = () => {
    const from = new Date(Date.now() - LIVE_HOURS * 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
    return getJson(`/api/incidents?from=${encodeURIComponent(from)}${unitId ? `&unit=${encodeURIComponent(unitId)}` : ''}`)
      .then((l) => {
        /** @type {Incident[]} */
        const list = l.incidents;
        for (const v of list) remember(v.id);
        sm.incidents(list);
        const ticker = el('s-ticker');
        if (!ticker.children.length) for (const v of list.slice(-14)) tick(v, unitName);
      }).catch(showError);
  };
  const refetchSensors = () => getJson('/api/sensors').then((l) => { for (const s of l.sensors) showSensor(s); }).catch(showError);
  const refetchHeat = () => getJson(`/api/heatmap?format=geojson&res=9${unitId ? `&unit=${encodeURIComponent(unitId)}` : ''}`)
    .then((fc) => sm.heat(fc)).catch(showError);

  await sm.whenReady;
  if (unitFeature) sm.mask(unitFeature);
  refetchLive();
  refetchSensors();
  refetchHeat();

  const stream = keepStream({
    events: {
      incident: (/** @type {Incident} */ v) => {
        if (!mine(v)) return;
        sm.incident(v);
        if (seen.has(v.id)) return;
        remember(v.id);
        tick(v, unitName);
        panels.newCase(v);
      },
      transition: (/** @type {Incident} */ v) => { if (mine(v)) sm.incident(v); },
      bulk: () => { refetchLive(); refetchSummary(); },
      sensor: (/** @type {Sensor} */ s) => showSensor(s),
      kpi: (k) => { if (!unitId) panels.kpi(k); },
    },
    resync: () => { refetchSummary(); refetchLive(); refetchSensors(); },
    status: (st) => { status.dataset.state = st; status.textContent = T(st); if (st === 'live') clearError(); },
    // the browser gave up on the stream: a 401 means the session is gone (else the server is away: the backoff retries)
    closed: () => { fetch('/api/me').then((r) => { if (r.status === 401) expired(); }).catch(() => {}); },
  });

  // one timer for the panels and the clock; the slow figures on their own period
  const clock = el('s-clock');
  setInterval(() => panels.draw(), 300);
  setInterval(() => { clock.textContent = fmtDateTime(new Date(), { dateStyle: 'medium', timeStyle: 'medium' }); }, 1000);
  setInterval(refetchSummary, SUMMARY_EVERY_MS);
  setInterval(refetchHeat, HEAT_EVERY_MS);
  panels.draw();

  // for the browser tests, the benchmark and the console
  Object.assign(window, {
    wanggeMap: sm.map,
    wanggeScreen: {
      stream, panels, unit: unitId,
      alarms: () => sm.alarms(),
      alarmState: (/** @type {string} */ id) => sm.alarmState(id),
      liveCount: () => sm.liveCount(),
      seen: () => seen.size,
    },
  });
}

main().catch((e) => {
  const n = document.getElementById('s-note');
  if (n) n.textContent = `错误 / Error: ${e instanceof Error ? e.message : String(e)}`;
  console.error(e);
});
