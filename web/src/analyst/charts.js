// @ts-check
/**
 * The incident charts of the area (echarts, served by our own server): by
 * class (bar), by status (pie), the weekly trend (line) and the two periods
 * side by side (bar). Each chart is disposed before its box is drawn again,
 * so re-running the analysis does not leak instances.
 */
import * as echarts from 'echarts';
import { fmtNumber, lang } from '../core/i18n.js';
import { T, statusLabel } from './text.js';

/** @type {Map<HTMLElement, import('echarts').ECharts>} */
const live = new Map();

const FONT = "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif";
const PALETTE = ['#2b6cb0', '#dd6b20', '#2f855a', '#b7791f', '#9b2c2c', '#6b46c1', '#319795', '#d53f8c', '#4a5568', '#38a169'];

/** Draws `option` in `box` (replacing a chart drawn there before). @param {HTMLElement} box @param {import('echarts').EChartsOption} option */
function draw(box, option) {
  live.get(box)?.dispose();
  const c = echarts.init(box, null, { renderer: 'canvas', locale: lang() === 'en' ? 'EN' : 'ZH' });
  c.setOption({ color: PALETTE, textStyle: { fontFamily: FONT }, animation: false, ...option });
  live.set(box, c);
  return c;
}

/** Disposes every chart (before the result panel is rebuilt). */
export function disposeCharts() {
  for (const c of live.values()) c.dispose();
  live.clear();
}

/** Resizes the charts to their boxes. */
export function resizeCharts() {
  for (const c of live.values()) c.resize();
}

const num = (/** @type {unknown} */ v) => fmtNumber(Number(v));

/** @param {HTMLElement} box @param {Record<string, number>} byClass */
export function classChart(box, byClass) {
  const rows = Object.entries(byClass).sort((a, b) => a[1] - b[1]);
  draw(box, {
    grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: num },
    xAxis: { type: 'value', axisLabel: { formatter: num } },
    yAxis: { type: 'category', data: rows.map(([k]) => k) },
    series: [{ type: 'bar', name: T('count'), data: rows.map(([, v]) => v), label: { show: true, position: 'right', formatter: (p) => num(p.value) } }],
  });
}

/** @param {HTMLElement} box @param {Record<string, number>} byStatus */
export function statusChart(box, byStatus) {
  draw(box, {
    tooltip: { trigger: 'item', valueFormatter: num },
    legend: { type: 'scroll', orient: 'vertical', right: 0, top: 'middle' },
    series: [{ type: 'pie', radius: ['35%', '70%'], center: ['35%', '50%'], label: { show: false },
      data: Object.entries(byStatus).map(([k, v]) => ({ name: statusLabel(k, lang()), value: v })) }],
  });
}

/** @param {HTMLElement} box @param {{ week: string, from: string, count: number }[]} weekly */
export function weeklyChart(box, weekly) {
  draw(box, {
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', valueFormatter: num },
    xAxis: { type: 'category', data: weekly.map((w) => w.week), axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', axisLabel: { formatter: num } },
    series: [{ type: 'line', name: T('count'), data: weekly.map((w) => w.count), smooth: false, symbolSize: 4, areaStyle: { opacity: 0.12 } }],
  });
}

/**
 * @param {HTMLElement} box
 * @param {Record<string, number>} a the period's counts by class @param {Record<string, number>} b the compared period's
 * @param {string} nameA @param {string} nameB
 */
export function compareChart(box, a, b, nameA, nameB) {
  const classes = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort((x, y) => (b[y] ?? 0) + (a[y] ?? 0) - (b[x] ?? 0) - (a[x] ?? 0));
  draw(box, {
    grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
    legend: { top: 0 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: num },
    xAxis: { type: 'category', data: classes, axisLabel: { interval: 0, rotate: classes.length > 5 ? 30 : 0 } },
    yAxis: { type: 'value', axisLabel: { formatter: num } },
    series: [{ type: 'bar', name: nameA, data: classes.map((c) => a[c] ?? 0) }, { type: 'bar', name: nameB, data: classes.map((c) => b[c] ?? 0) }],
  });
}
