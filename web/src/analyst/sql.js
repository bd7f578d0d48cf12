// @ts-check
/**
 * The SQL console: a read-only query over the documented views of the store
 * (`POST /api/sql`, docs/SQL.md), run with the button or Ctrl+Enter; the
 * result as a table paged in the page (100 rows a page), the server's
 * message when it refuses, the tables and views from `GET /api/sql/schema`
 * (a click inserts a name), and the same query as a CSV download.
 */
import { fmtNumber } from '../core/i18n.js';
import { byId, h, inputEl } from '../util.js';
import { T } from './text.js';
import { runSql, downloadSql, sqlSchema } from './query.js';

const PAGE = 100;

/** @typedef {{ name: string, kind?: string, doc?: string, columns: { name: string, type: string, doc?: string }[] }} Relation */

/**
 * The schema's relations, whatever the answer's outer shape (`{tables, views}`, `{relations}` or a list).
 * @param {unknown} s
 * @returns {Relation[]}
 */
export function relations(s) {
  if (Array.isArray(s)) return /** @type {Relation[]} */ (s);
  const o = /** @type {Record<string, unknown>} */ (s ?? {});
  return ['views', 'tables', 'relations'].flatMap((k) => (Array.isArray(o[k]) ? /** @type {Relation[]} */ (o[k]) : []));
}

/** A cell as text: null as an empty mark, numbers in the locale, objects as JSON. @param {unknown} v */
function cell(v) {
  if (v === null || v === undefined) return h('td', { className: 'null', text: 'NULL' });
  if (typeof v === 'number') return h('td', { className: 'num', text: fmtNumber(v, { maximumFractionDigits: 6 }) });
  if (typeof v === 'object') return h('td', { text: JSON.stringify(v) });
  const s = String(v);
  return h('td', { text: s.length > 200 ? `${s.slice(0, 200)}…` : s, title: s.length > 200 ? s : '' });
}

export function setupSql() {
  const text = /** @type {HTMLTextAreaElement} */ (byId('sql-text'));
  const status = byId('sql-status');
  const error = byId('sql-error');
  const result = byId('sql-result');
  const pager = byId('sql-pager');
  const runButton = /** @type {HTMLButtonElement} */ (byId('sql-run'));
  /** @type {import('./types').SqlAnswer | null} */
  let answer = null;
  let page = 0;

  const limit = () => Math.max(1, Math.min(100000, Math.round(Number(inputEl('sql-limit').value) || 1000)));
  const fail = (/** @type {unknown} */ e) => {
    error.hidden = false;
    error.textContent = e instanceof Error ? e.message : String(e);
    status.textContent = '';
  };

  const render = () => {
    if (!answer) return;
    const pages = Math.max(1, Math.ceil(answer.rows.length / PAGE));
    page = Math.min(page, pages - 1);
    const rows = answer.rows.slice(page * PAGE, (page + 1) * PAGE);
    const t = h('table', { className: 'grid sql-table' },
      h('thead', {}, h('tr', {}, ...answer.columns.map((c) => h('th', { text: c.name, title: c.type })))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map(cell)))));
    t.dataset.rows = String(answer.rows.length);
    result.replaceChildren(t);
    pager.hidden = pages <= 1;
    const prev = h('button', { text: T('sqlPrev') });
    const next = h('button', { text: T('sqlNext') });
    prev.type = next.type = 'button';
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
    prev.onclick = () => { page -= 1; render(); };
    next.onclick = () => { page += 1; render(); };
    pager.replaceChildren(prev, h('span', { text: T('sqlPage', { p: fmtNumber(page + 1), n: fmtNumber(pages) }) }), next);
  };

  const run = async () => {
    const sql = text.value.trim();
    if (!sql) { status.textContent = T('sqlEmpty'); return; }
    error.hidden = true;
    status.textContent = T('sqlRunning');
    runButton.disabled = true;
    try {
      answer = await runSql(sql, limit());
      page = 0;
      status.textContent = T('sqlRows', { n: fmtNumber(answer.rows.length), ms: fmtNumber(answer.elapsed_ms) }) + (answer.truncated ? T('sqlTruncated') : '');
      render();
    } catch (e) {
      answer = null;
      result.replaceChildren();
      pager.hidden = true;
      fail(e);
    } finally {
      runButton.disabled = false;
    }
  };

  runButton.addEventListener('click', () => { run(); });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
  });
  byId('sql-csv').addEventListener('click', () => {
    const sql = text.value.trim();
    if (!sql) { status.textContent = T('sqlEmpty'); return; }
    error.hidden = true;
    downloadSql(sql, limit()).then((name) => { status.textContent = name; }).catch(fail);
  });

  /** Inserts a name at the cursor. @param {string} s */
  const insert = (s) => {
    const a = text.selectionStart ?? text.value.length;
    const b = text.selectionEnd ?? a;
    text.setRangeText(s, a, b, 'end');
    text.focus();
  };
  const schemaBox = byId('sql-schema');
  sqlSchema().then((s) => {
    const list = relations(s);
    const o = /** @type {import('./types').SqlSchema} */ (s);
    if (o.limits) inputEl('sql-limit').max = String(o.limits.max_rows);
    const notes = o.geometry ? [h('p', { className: 'note', text: o.geometry })] : [];
    schemaBox.replaceChildren(h('h3', { text: T('sqlSchema') }), ...notes, ...list.map((r) => {
      const name = h('summary', { text: r.name, title: r.doc || '' });
      if (r.kind) name.append(h('small', { text: ` ${r.kind}` }));
      name.addEventListener('dblclick', () => insert(r.name));
      const cols = h('ul', {}, ...r.columns.map((c) => {
        const li = h('li', { title: c.doc || T('sqlInsert') }, h('code', { text: c.name }), h('small', { text: ` ${c.type}` }));
        li.addEventListener('click', () => insert(c.name));
        return li;
      }));
      const use = h('button', { text: 'FROM', title: T('sqlInsert'), className: 'insert' });
      use.type = 'button';
      use.addEventListener('click', () => insert(r.name));
      const d = h('details', {}, name, use, cols);
      d.dataset.relation = r.name;
      return d;
    }));
  }).catch((e) => {
    schemaBox.replaceChildren(h('h3', { text: T('sqlSchema') }), h('p', { className: 'note', text: `${T('sqlSchemaMissing')}：${e instanceof Error ? e.message : String(e)}` }));
  });
}
