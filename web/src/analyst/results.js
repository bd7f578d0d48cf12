// @ts-check
/**
 * The result panel of an area: the figures of `POST /api/query/area` in
 * sections (people and buildings, no camera view, cameras, incidents with
 * charts, two periods), each table with its CSV / GeoJSON / GeoParquet
 * download. Every figure element carries `data-fig` (its name) and
 * `data-value` (the raw number) so a test can read what the page shows.
 */
import { fmtNumber, fmtShare, fmtDate, tr } from '../core/i18n.js';
import { h } from '../util.js';
import { T } from './text.js';
import { FORMATS } from './query.js';
import { classChart, statusChart, weeklyChart, compareChart, disposeCharts } from './charts.js';

/** @typedef {import('./types').AreaAnswer} AreaAnswer */
/** @typedef {import('./types').AreaRequest} AreaRequest */
/** @typedef {typeof import('./query.js').TABLES[number]} Table */
/** @typedef {(table: Table, format: string, ext: string) => void} OnExport */

/** A row "label … value" whose value is a figure. @param {string} fig @param {string} label @param {number} value @param {string} [shown] */
function figure(fig, label, value, shown) {
  const v = h('td', { text: shown ?? fmtNumber(value) });
  v.dataset.fig = fig;
  v.dataset.value = String(value);
  return h('tr', {}, h('th', { text: label }), v);
}

/** The export buttons of one table. @param {Table} table @param {string} title @param {OnExport} onExport */
function exports(table, title, onExport) {
  const box = h('div', { className: 'exports' }, h('span', { text: `${title} · ${T('export')}` }));
  box.dataset.table = table;
  for (const [format, label, ext] of FORMATS) {
    const b = h('button', { text: label, title: T('exportTitle', { f: label }) });
    b.type = 'button';
    b.dataset.format = format;
    b.addEventListener('click', () => onExport(table, format, ext));
    box.append(b);
  }
  return box;
}

/** A section with a title. @param {string} key @param {string} title @param {(Node | string)[]} body */
function section(key, title, ...body) {
  const s = h('section', { className: 'result' }, h('h3', { text: title }), ...body);
  s.dataset.section = key;
  return s;
}

/** A plain table of rows. @param {string[]} head @param {(string | number)[][]} rows @param {string} key */
function table(head, rows, key) {
  const t = h('table', { className: 'grid' },
    h('thead', {}, h('tr', {}, ...head.map((x) => h('th', { text: x })))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', { text: typeof c === 'number' ? fmtNumber(c) : c }))))));
  t.dataset.table = key;
  return t;
}

/** @param {AreaRequest['period'] | undefined} p */
const periodText = (p) => (p && (p.from || p.to) ? `${p.from ? fmtDate(p.from) : '…'} – ${p.to ? fmtDate(p.to) : '…'}` : T('periodAll'));

/** A signed change: +3, −2, 0. @param {number} n */
const signed = (n) => (n > 0 ? `+${fmtNumber(n)}` : n < 0 ? `−${fmtNumber(-n)}` : fmtNumber(0));

/**
 * Builds the panel for an answer.
 * @param {HTMLElement} out
 * @param {AreaAnswer} a
 * @param {AreaRequest} req the request it answers (for the periods shown)
 * @param {string} name what the area is called on the page
 * @param {OnExport} onExport
 */
export function showResults(out, a, req, name, onExport) {
  disposeCharts();
  const share = (/** @type {number} */ part, /** @type {number} */ whole) => (whole > 0 ? fmtShare(part / whole) : '—');
  /** A count with its share of the whole: `85（44.7%）`, `85 (44.7%)`. @param {number} part @param {number} whole */
  const withShare = (part, whole) => tr(`${fmtNumber(part)}（${share(part, whole)}）`, `${fmtNumber(part)} (${share(part, whole)})`);
  const head = h('div', { className: 'area-head' },
    h('h2', { text: name }),
    h('span', { className: 'note', text: T('areaKm2', { a: fmtNumber(a.area.area_m2 / 1e6, { maximumFractionDigits: 3 }) }) }));
  if (a.generated) head.append(h('span', { className: 'badge', text: T('generated'), title: T('generatedNote') }));
  head.dataset.generated = String(a.generated);

  const people = section('figures', T('figures'),
    h('table', { className: 'figures' },
      figure('buildings', T('buildings'), a.buildings),
      figure('households', T('households'), a.households),
      figure('population', T('population'), a.population),
      figure('area_m2', T('area'), a.area.area_m2, `${fmtNumber(a.area.area_m2 / 1e6, { maximumFractionDigits: 3 })} km²`)),
    exports('buildings', T('tableBuildings'), onExport));

  const unseen = section('uncovered', T('uncovered'),
    h('table', { className: 'figures' },
      figure('uncovered.buildings', T('buildings'), a.uncovered.buildings, withShare(a.uncovered.buildings, a.buildings)),
      figure('uncovered.households', T('households'), a.uncovered.households, withShare(a.uncovered.households, a.households)),
      figure('uncovered.population', T('population'), a.uncovered.population, withShare(a.uncovered.population, a.population))),
    h('p', { className: 'note', text: T('uncoveredNote') }),
    exports('uncovered', T('tableUncovered'), onExport));

  const cams = section('cameras', T('cameras'),
    h('table', { className: 'figures' },
      figure('cameras.count', T('cameraCount'), a.cameras.count),
      figure('cameras.covered_share', T('coveredShare'), a.cameras.covered_share, fmtShare(a.cameras.covered_share))),
    exports('cameras', T('tableCameras'), onExport));

  const inc = a.incidents;
  const classBox = h('div', { className: 'chart chart-class' });
  const statusBox = h('div', { className: 'chart chart-status' });
  const weekBox = h('div', { className: 'chart chart-week' });
  const spots = inc.hotspots.filter((s) => s.class !== 'none');
  const incidents = section('incidents', `${T('incidents')} · ${periodText(req.period)}`,
    h('table', { className: 'figures' }, figure('incidents.total', T('incidentsTotal'), inc.total)),
    exports('incidents', T('tableIncidents'), onExport),
    h('h4', { text: T('byClass') }), classBox,
    table([T('class'), T('count')], Object.entries(inc.by_class).sort((x, y) => y[1] - x[1]), 'by_class'),
    exports('by_class', T('tableByClass'), onExport),
    h('h4', { text: T('byStatus') }), statusBox,
    h('h4', { text: T('weekly') }), weekBox,
    exports('weekly', T('tableWeekly'), onExport),
    h('h4', { text: T('hotspots') }),
    h('p', { className: 'note', text: spots.length ? T('hotspotsN', { n: fmtNumber(spots.length) }) : T('hotspotsNone') }));

  const parts = [head, people, unseen, cams, incidents];
  const c = a.compare;
  /** @type {HTMLElement | null} */
  let compareBox = null;
  if (c) {
    compareBox = h('div', { className: 'chart chart-compare' });
    const classes = [...new Set([...Object.keys(inc.by_class), ...Object.keys(c.by_class), ...Object.keys(c.change.by_class)])];
    const rows = classes.map((k) => [k, inc.by_class[k] ?? 0, c.by_class[k] ?? 0, signed(c.change.by_class[k] ?? 0)]);
    rows.push([T('total'), inc.total, c.total, signed(c.change.total)]);
    const changeTotal = h('p', { className: 'note' });
    changeTotal.dataset.fig = 'compare.change.total';
    changeTotal.dataset.value = String(c.change.total);
    changeTotal.textContent = `${T('change')}：${signed(c.change.total)}`;
    parts.push(section('compare', T('compare'),
      h('p', { className: 'note', text: `${T('period')}：${periodText(req.period)} · ${T('comparePeriod')}：${periodText(c.period)}` }),
      compareBox,
      table([T('class'), T('period'), T('comparePeriod'), T('changeHead')], rows, 'compare'),
      changeTotal));
  } else {
    parts.push(section('compare', T('compare'), h('p', { className: 'note', text: T('noCompare') })));
  }
  out.replaceChildren(...parts);
  out.hidden = false;
  // echarts measures its box: draw once the panel is laid out
  classChart(classBox, inc.by_class);
  statusChart(statusBox, inc.by_status);
  weeklyChart(weekBox, inc.weekly);
  if (c && compareBox) compareChart(compareBox, inc.by_class, c.by_class, T('period'), T('comparePeriod'));
}
