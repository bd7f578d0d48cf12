// @ts-check
/**
 * The screen's panels: the KPI tiles, open cases by level and class, today's
 * intake against the same weekday's mean, the shares resolved at building
 * grid / grid / community level, camera coverage and the ticker of new cases.
 *
 * Every chart is one ECharts instance made once and updated with
 * `setOption` (never re-created); the ticker keeps at most TICKER_KEPT rows
 * (the oldest removed), so a screen running for days holds the same DOM.
 */
import * as echarts from 'echarts';
import { messages, fmtNumber, fmtShare, fmtDateTime } from '../core/i18n.js';

/** Rows of the ticker. */
export const TICKER_KEPT = 14;

const T = messages({
  zh: {
    undispatched: '待派遣', building_grid: '楼栋网格', grid: '网格', community: '社区', street: '街道', district: '区',
    above: '街道及以上', mean: '同星期均值', today: '今日', vsMean: '同星期均值 {m}（{d} 天）', noHistory: '无历史数据',
    cameras: '摄像头', ground: '地面覆盖', facade: '立面覆盖', unseenHh: '未覆盖住户', unseenB: '未覆盖楼栋', perKm2: '每平方公里',
    none: '暂无未结案件', w0: '周一', w1: '周二', w2: '周三', w3: '周四', w4: '周五', w5: '周六', w6: '周日',
  },
  en: {
    undispatched: 'Not dispatched', building_grid: 'Building grid', grid: 'Grid', community: 'Community', street: 'Street',
    district: 'District', above: 'Street and above', mean: 'Same weekday mean', today: 'Today',
    vsMean: 'same weekday mean {m} ({d} days)', noHistory: 'no history', cameras: 'Cameras', ground: 'Ground covered',
    facade: 'Facades covered', unseenHh: 'Households unseen', unseenB: 'Buildings unseen', perKm2: 'per km²',
    none: 'No open cases', w0: 'Mon', w1: 'Tue', w2: 'Wed', w3: 'Thu', w4: 'Fri', w5: 'Sat', w6: 'Sun',
  },
});

/** The levels of the open-cases chart, bottom up. */
const LEVELS = /** @type {const} */ (['undispatched', 'building_grid', 'grid', 'community', 'street', 'district']);
const LEVEL_COLOURS = ['#ff5a5a', '#3ddc97', '#3fb6ff', '#a57bff', '#ffb020', '#ff7ab8'];
const WEEKDAYS = /** @type {const} */ (['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6']);

/** The page's rem in pixels (the type scales with the viewport). */
const rem = () => parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;

/** @param {string} id */
const el = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * @typedef {Object} Summary
 * @property {any} kpi
 * @property {{ by_level: Record<string, Record<string, number>>, by_class: Record<string, number>, total: number }} open
 * @property {{ today: number, today_live: number, weekday: number, weekday_mean: number | null, weekday_days: number,
 *   weekday_means: (number | null)[], date: string }} intake
 * @property {any[]} coverage
 * @property {boolean} incidents_generated
 * @property {{ id: string, name: string, level: string } | null} unit
 * @property {string} data_version
 */

export class Panels {
  /** @param {string[]} classes the taxonomy's classes, in its order */
  constructor(classes) {
    this.classes = classes;
    const theme = { backgroundColor: 'transparent' };
    this.open = echarts.init(el('c-open'), null, { renderer: 'canvas' });
    this.intake = echarts.init(el('c-intake'), null, { renderer: 'canvas' });
    this.shares = echarts.init(el('c-shares'), null, { renderer: 'canvas' });
    for (const c of [this.open, this.intake, this.shares]) c.setOption(theme);
    /** @type {Summary | null} */
    this.summary = null;
    this.dirty = false;
    window.addEventListener('resize', () => { for (const c of [this.open, this.intake, this.shares]) c.resize(); this.dirty = true; });
  }

  /** The figures from the server (authoritative): replaces the local counts. @param {Summary} s */
  set(s) { this.summary = s; this.dirty = true; }

  /** KPI figures pushed on the stream. @param {any} k */
  kpi(k) {
    if (!this.summary) return;
    this.summary.kpi = k;
    this.dirty = true;
  }

  /** A new case seen on the stream, counted until the next summary. @param {{ category: string }} v */
  newCase(v) {
    const s = this.summary;
    if (!s) return;
    s.open.total += 1;
    s.open.by_class[v.category] = (s.open.by_class[v.category] ?? 0) + 1;
    const u = (s.open.by_level.undispatched ??= {});
    u[v.category] = (u[v.category] ?? 0) + 1;
    s.intake.today += 1;
    s.intake.today_live += 1;
    if (s.kpi) s.kpi.open = Math.max(s.kpi.open ?? 0, s.open.total);
    this.dirty = true;
    // the counts at once (text only); the charts with the next draw
    this.tiles(s);
  }

  /** The KPI tiles. @param {Summary} s */
  tiles(s) {
    const k = s.kpi ?? {};
    this.tile('k-open', k.open ?? s.open.total);
    this.tile('k-overdue', k.overdue);
    this.tile('k-urged', k.urged);
    this.tile('k-today', s.intake.today);
  }

  /** Draws what changed (called by the page's one timer). */
  draw() {
    if (!this.dirty || !this.summary) return;
    this.dirty = false;
    const s = this.summary;
    const k = s.kpi ?? {};
    this.tiles(s);
    const vs = el('k-today-vs');
    const m = s.intake.weekday_mean;
    vs.textContent = m == null ? T('noHistory') : T('vsMean', { m: fmtNumber(m, { maximumFractionDigits: 1 }), d: fmtNumber(s.intake.weekday_days) });
    vs.dataset.trend = m != null && s.intake.today > m ? 'up' : 'down';
    this.drawOpen(s);
    this.drawIntake(s);
    this.drawShares(k);
    this.drawCoverage(s.coverage);
  }

  /** @param {string} id @param {number | undefined} n */
  tile(id, n) {
    const v = /** @type {HTMLElement} */ (el(id).querySelector('.v'));
    if (v.dataset.value === String(n ?? '') && v.textContent) return;
    v.textContent = n == null ? '—' : fmtNumber(n);
    v.dataset.value = String(n ?? '');
  }

  /** @param {Summary} s */
  drawOpen(s) {
    const r = rem();
    const seen = new Set(Object.keys(s.open.by_class));
    const classes = [...this.classes.filter((c) => seen.has(c)), ...[...seen].filter((c) => !this.classes.includes(c))];
    const text = { color: '#cfe3ff', fontSize: 0.85 * r };
    this.open.setOption({
      grid: { left: 6.5 * r, right: 1 * r, top: 2.2 * r, bottom: 1.2 * r },
      legend: { top: 0, textStyle: text, itemWidth: 0.8 * r, itemHeight: 0.8 * r, itemGap: 0.5 * r },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value', axisLabel: text, splitLine: { lineStyle: { color: '#1e3a5f' } }, minInterval: 1 },
      yAxis: { type: 'category', data: classes.length ? classes : [T('none')], axisLabel: { ...text, fontSize: 0.95 * r }, inverse: true },
      series: LEVELS.map((l, i) => ({ name: T(l), type: 'bar', stack: 'open', barMaxWidth: 1.3 * r, itemStyle: { color: LEVEL_COLOURS[i] },
        data: classes.map((c) => s.open.by_level[l]?.[c] ?? 0) })),
      animation: false,
    }, { notMerge: false, lazyUpdate: true });
  }

  /** @param {Summary} s */
  drawIntake(s) {
    const r = rem();
    const text = { color: '#cfe3ff', fontSize: 0.85 * r };
    const w = s.intake.weekday;
    this.intake.setOption({
      grid: { left: 2.8 * r, right: 1 * r, top: 2 * r, bottom: 1.6 * r },
      legend: { top: 0, textStyle: text, itemWidth: 0.8 * r, itemHeight: 0.8 * r },
      xAxis: { type: 'category', data: WEEKDAYS.map((d) => T(d)), axisLabel: text },
      yAxis: { type: 'value', axisLabel: text, splitLine: { lineStyle: { color: '#1e3a5f' } }, minInterval: 1 },
      series: [
        { name: T('mean'), type: 'bar', barGap: '-100%', itemStyle: { color: '#24456f' },
          data: s.intake.weekday_means.map((x) => (x == null ? 0 : Math.round(x * 10) / 10)) },
        { name: T('today'), type: 'bar', barWidth: '45%', itemStyle: { color: '#3fb6ff' },
          label: { show: true, position: 'top', color: '#fff', fontSize: 0.95 * r },
          data: WEEKDAYS.map((_, i) => (i === w ? s.intake.today : null)) },
      ],
      animation: false,
    }, { lazyUpdate: true });
  }

  /** @param {any} k */
  drawShares(k) {
    const r = rem();
    const text = { color: '#cfe3ff', fontSize: 0.9 * r };
    const rows = [['building_grid', k.share_building_grid], ['grid', k.share_grid], ['community', k.share_community], ['above', k.share_above_community]];
    this.shares.setOption({
      grid: { left: 7 * r, right: 4.2 * r, top: 0.4 * r, bottom: 0.4 * r },
      xAxis: { type: 'value', max: 1, show: false },
      yAxis: { type: 'category', inverse: true, data: rows.map(([l]) => T(/** @type {any} */ (l))), axisLabel: text, axisTick: { show: false } },
      series: [{ type: 'bar', barWidth: '55%', showBackground: true, backgroundStyle: { color: '#13263f' },
        itemStyle: { color: '#3ddc97' },
        label: { show: true, position: 'right', color: '#fff', fontSize: 0.95 * r,
          formatter: (/** @type {{ value: number | null }} */ p) => (p.value == null ? '—' : fmtShare(p.value)) },
        data: rows.map(([, v]) => v ?? null) }],
      animation: false,
    }, { lazyUpdate: true });
  }

  /** @param {any[]} list */
  drawCoverage(list) {
    const c = list.length === 1 ? list[0] : sumCoverage(list);
    const box = el('s-cover');
    const cell = (/** @type {string} */ label, /** @type {string} */ value, /** @type {string} */ key) => {
      const d = document.createElement('div');
      const b = document.createElement('b');
      b.textContent = value;
      b.dataset.key = key;
      d.append(b, label);
      return d;
    };
    if (!c) { box.replaceChildren(); return; }
    box.replaceChildren(
      cell(`${T('cameras')} · ${fmtNumber(c.cameras_per_km2 ?? 0, { maximumFractionDigits: 1 })} ${T('perKm2')}`, fmtNumber(c.cameras ?? 0), 'cameras'),
      cell(T('ground'), fmtShare(c.ground_share ?? 0), 'ground_share'),
      cell(T('facade'), fmtShare(c.facade_share ?? 0), 'facade_share'),
      cell(T('unseenHh'), fmtNumber(c.households_unseen ?? 0), 'households_unseen'),
    );
  }
}

/** The coverage of several top units together (sums, shares by area and facade length). @param {any[]} list */
function sumCoverage(list) {
  if (!list.length) return null;
  const s = (/** @type {string} */ k) => list.reduce((a, x) => a + (Number(x[k]) || 0), 0);
  const ground = s('ground_m2');
  const facade = s('facade_m');
  const area = s('area_m2');
  return {
    cameras: s('cameras'), households_unseen: s('households_unseen'), buildings_unseen: s('buildings_unseen'),
    cameras_per_km2: area > 0 ? s('cameras') / (area / 1e6) : 0,
    ground_share: ground > 0 ? list.reduce((a, x) => a + (x.ground_share ?? 0) * (x.ground_m2 ?? 0), 0) / ground : 0,
    facade_share: facade > 0 ? s('facade_seen_m') / facade : 0,
  };
}

/**
 * The ticker of new cases: newest on top, at most TICKER_KEPT rows.
 * @param {{ id: string, category: string, item?: string | null, received_at?: string, occurred_at?: string, units?: string[] }} v
 * @param {(id: string) => string} unitName
 */
export function tick(v, unitName) {
  const list = el('s-ticker');
  const li = document.createElement('li');
  li.className = 'new';
  li.dataset.id = v.id;
  const t = document.createElement('time');
  const at = v.received_at ?? v.occurred_at ?? new Date().toISOString();
  t.dateTime = at;
  t.textContent = fmtDateTime(at, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  const cat = document.createElement('span');
  cat.className = 'cat';
  cat.textContent = v.item ? `${v.category} · ${v.item}` : v.category;
  const where = document.createElement('span');
  where.className = 'where';
  const units = v.units ?? [];
  where.textContent = `${units.length ? units.slice(1).map(unitName).join(' › ') || unitName(units[0]) : ''} · ${v.id}`;
  li.append(t, cat, where);
  list.prepend(li);
  while (list.children.length > TICKER_KEPT) list.lastElementChild?.remove();
}

