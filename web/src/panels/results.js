// @ts-check
/** The results panel (right): a title, a summary, problems and a table; shared by the graph, coverage and hot-spot tools. */
import { byId, h } from '../util.js';

/**
 * @param {string} title
 * @param {string} summary
 * @param {string[]} problems
 * @param {string[]} head
 * @param {(string | Node)[][]} rows
 */
export function showResults(title, summary, problems, head, rows) {
  byId('graph-panel').hidden = false;
  byId('graph-title').textContent = title;
  byId('graph-summary').textContent = summary;
  byId('graph-problems').replaceChildren(...problems.map((p) => h('li', { text: p })));
  const th = h('tr', {}, ...head.map((x) => h('th', { text: x })));
  byId('graph-table').replaceChildren(th, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c)))));
}

/** The panel element, whose data-* attributes carry the last figures (read by the browser test). */
export const resultsPanel = () => byId('graph-panel');

export function setupResults() {
  byId('graph-close').addEventListener('click', () => { byId('graph-panel').hidden = true; });
}
