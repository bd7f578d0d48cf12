// @ts-check
/**
 * The planner's right-hand panels: the validation list (a click on a finding
 * shows it on the map), what moves (units added, removed, reshaped; the
 * buildings, households and people moved from which unit to which; the
 * change per unit in people, incidents and camera coverage) and the units
 * layer's versions with rollback.
 */
import { fmtNumber, fmtShare, fmtDateTime } from '../core/i18n.js';
import { h } from '../util.js';
import { T, kindName } from './text.js';

/** @typedef {import('./client.js').Validation} Validation */
/** @typedef {import('./client.js').Finding} Finding */
/** @typedef {import('./client.js').Version} Version */
/** @typedef {import('./client.js').Location} Location */
/**
 * @typedef {{ unit: string, name?: string, level?: string, area_m2?: number, area_before_m2?: number, area_after_m2?: number,
 *   change_m2?: number, location?: Location | null }} UnitChange
 * @typedef {{ building: string, from: string | null, to: string | null, households?: number | null, population?: number | null,
 *   location?: Location | null }} Move
 * @typedef {{ from: string | null, to: string | null, buildings: number, households: number, population: number }} Flow
 * @typedef {{ unit: string, level?: string, households_before?: number, households_after?: number, population_before?: number,
 *   population_after?: number, buildings_before?: number, buildings_after?: number, incidents_before?: number,
 *   incidents_after?: number, covered_share_before?: number | null, covered_share_after?: number | null }} UnitFigures
 * @typedef {{ units_added: UnitChange[], units_removed: UnitChange[], units_reshaped: UnitChange[], moves: Move[], flows: Flow[],
 *   totals: { buildings: number, households: number, population: number }, units: UnitFigures[] }} LayerDiff
 */

const n0 = (/** @type {number | null | undefined} */ v) => (v === null || v === undefined ? '—' : fmtNumber(v, { maximumFractionDigits: 0 }));
const share = (/** @type {number | null | undefined} */ v) => (v === null || v === undefined ? '—' : fmtShare(v));
const num = (/** @type {string} */ text) => { const td = h('td', { text }); td.className = 'num'; return td; };

/**
 * A table with a head row and rows; `onRow` (if given) runs on a row click.
 * @param {string[]} head @param {(string | HTMLElement)[][]} rows @param {((i: number) => void)} [onRow]
 */
function table(head, rows, onRow) {
  const t = h('table');
  t.className = 'grid';
  t.append(h('thead', {}, h('tr', {}, ...head.map((x) => h('th', { text: x })))));
  const body = h('tbody');
  rows.forEach((r, i) => {
    const tr = h('tr', {}, ...r.map((c) => (typeof c === 'string' ? h('td', { text: c }) : c)));
    if (onRow) tr.addEventListener('click', () => onRow(i));
    body.append(tr);
  });
  t.append(body);
  const box = h('div', {}, t);
  box.className = 'table-box';
  return box;
}

/**
 * Shows the validation report; a click on a finding calls `onFinding`.
 * @param {HTMLElement} el @param {Validation} v @param {(f: Finding) => void} onFinding
 */
export function showValidation(el, v, onFinding) {
  const s = v.summary;
  const sum = h('p', {}, h('b', { text: T('valSummary', { e: fmtNumber(s.errors), w: fmtNumber(s.warnings), i: fmtNumber(s.infos) }) }));
  sum.className = 'summary';
  sum.dataset.errors = String(s.errors);
  /** @type {HTMLElement[]} */
  const parts = [sum];
  if (v.ab) parts.push(h('p', { text: T('abPairs', { n: fmtNumber(v.ab.pairs_total ?? v.ab.pairs.length), u: fmtNumber(v.ab.unmatched.length) }) }));
  if (!v.findings.length) parts.push(h('p', { text: T('valNone') }));
  const ul = h('ul');
  ul.className = 'findings';
  for (const f of v.findings) {
    const k = h('span', { text: kindName(f.kind) });
    k.className = `kind sev-${f.severity}`;
    const li = h('li', {}, k, h('span', { text: f.message }));
    li.dataset.kind = f.kind;
    li.dataset.severity = f.severity;
    li.addEventListener('click', () => {
      for (const x of ul.querySelectorAll('li.active')) x.classList.remove('active');
      li.classList.add('active');
      onFinding(f);
    });
    ul.append(li);
  }
  parts.push(ul);
  el.replaceChildren(...parts);
}

/**
 * Shows what moves; a click on a row calls `onPlace` with its location or unit.
 * @param {HTMLElement} el @param {LayerDiff} d @param {(loc: Location | null | undefined, unit: string | null) => void} onPlace
 */
export function showDiff(el, d, onPlace) {
  const parts = [];
  const tot = h('p', {}, h('b', { text: T('totals', { b: n0(d.totals.buildings), h: n0(d.totals.households), p: n0(d.totals.population) }) }));
  tot.className = 'summary';
  tot.dataset.households = String(d.totals.households);
  parts.push(tot);
  const empty = !d.units_added.length && !d.units_removed.length && !d.units_reshaped.length && !d.moves.length;
  if (empty) parts.push(h('p', { text: T('diffNone') }));
  /** @param {string} title @param {HTMLElement} body */
  const section = (title, body) => { const s = h('section', {}, h('h3', { text: title }), body); s.className = 'result'; return s; };
  if (d.units_added.length || d.units_removed.length) {
    const rows = [...d.units_added.map((u) => ['+', u.unit, u.name ?? '', num(n0(u.area_m2))]), ...d.units_removed.map((u) => ['−', u.unit, u.name ?? '', num(n0(u.area_m2))])];
    const all = [...d.units_added, ...d.units_removed];
    parts.push(section(`${T('unitsAdded')} / ${T('unitsRemoved')}`, table(['', T('unit'), '', T('area')], rows, (i) => onPlace(all[i].location, all[i].unit))));
  }
  if (d.units_reshaped.length) {
    parts.push(section(T('unitsReshaped'), table([T('unit'), T('area'), T('change')],
      d.units_reshaped.map((u) => [u.unit, num(n0(u.area_after_m2)), num(n0(u.change_m2))]), (i) => onPlace(d.units_reshaped[i].location, d.units_reshaped[i].unit))));
  }
  if (d.flows.length) {
    parts.push(section(T('flows'), table([T('from'), T('to'), T('buildings'), T('households'), T('population')],
      d.flows.map((f) => [f.from ?? '—', f.to ?? '—', num(n0(f.buildings)), num(n0(f.households)), num(n0(f.population))]))));
  }
  if (d.moves.length) {
    const t = table([T('building'), T('from'), T('to'), T('households'), T('population')],
      d.moves.map((m) => [m.building, m.from ?? '—', m.to ?? '—', num(n0(m.households)), num(n0(m.population))]), (i) => onPlace(d.moves[i].location, null));
    t.id = 'moves-table';
    parts.push(section(T('moves'), t));
  }
  if (d.units.length) {
    const ba = (/** @type {string} */ a, /** @type {string} */ b) => `${a} → ${b}`;
    parts.push(section(T('perUnit'), table([T('unit'), T('households'), T('population'), T('incidents'), T('covered')],
      d.units.map((u) => [u.unit, ba(n0(u.households_before), n0(u.households_after)), ba(n0(u.population_before), n0(u.population_after)),
        ba(n0(u.incidents_before), n0(u.incidents_after)), ba(share(u.covered_share_before), share(u.covered_share_after))]),
      (i) => onPlace(null, d.units[i].unit))));
  }
  el.replaceChildren(...parts);
}

/**
 * Shows the units layer's versions, newest first, each but the current with a rollback button.
 * @param {HTMLElement} el @param {Version[]} versions @param {((v: number) => void) | null} onRollback null: the role may not roll back
 */
export function showVersions(el, versions, onRollback) {
  const rows = versions.map((v, i) => {
    /** @type {string | HTMLElement} */
    let act = i === 0 ? T('current') : '';
    if (i > 0 && onRollback) {
      const b = h('button', { text: T('rollback') });
      b.type = 'button';
      b.dataset.version = String(v.version);
      b.addEventListener('click', () => onRollback(v.version));
      act = h('td', {}, b);
    }
    const msg = [v.message ?? '', v.rollback_of ? `(↩ v${v.rollback_of})` : '', v.scenario ? `[${v.scenario}]` : ''].filter(Boolean).join(' ');
    return [`v${v.version}`, num(n0(v.features)), v.created_at ? fmtDateTime(v.created_at) : '', v.author ?? '', msg, act];
  });
  el.replaceChildren(table([T('version'), T('features'), T('when'), T('author'), T('message'), ''], rows));
}
