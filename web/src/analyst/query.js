// @ts-check
/**
 * The workbench's calls: `POST /api/query/area` (the figures, and each table
 * as a file with `?table=T&format=F`), `POST /api/sql` (JSON, or CSV with
 * `?format=csv`) and `GET /api/sql/schema`. Failures carry the server's
 * message (api.js `ApiError`).
 */
import { ApiError, getJson, postJson } from '../api.js';
import { download } from '../core/controls.js';

/** @typedef {import('./types').AreaRequest} AreaRequest */
/** @typedef {import('./types').AreaAnswer} AreaAnswer */

/** The tables the area endpoint exports, in the order the page shows them. */
export const TABLES = /** @type {const} */ (['buildings', 'uncovered', 'cameras', 'incidents', 'by_class', 'weekly']);
/** The file formats, with the extension a download gets when the server names none. */
export const FORMATS = /** @type {const} */ ([['csv', 'CSV', 'csv'], ['geojson', 'GeoJSON', 'geojson'], ['geoparquet', 'GeoParquet', 'parquet']]);

/** @param {AreaRequest} body @returns {Promise<AreaAnswer>} */
export const queryArea = (body) => postJson('/api/query/area', body);

/** The server's message of a failed answer (JSON `message`, else the status). @param {string} url @param {Response} r */
async function failure(url, r) {
  let message = `${url}: ${r.status}`;
  try {
    const v = await r.json();
    if (v && typeof v.message === 'string') message = v.message;
  } catch { /* not JSON */ }
  return new ApiError(message, r.status);
}

/**
 * The file name in a Content-Disposition header (`filename*=UTF-8''…` first, then `filename="…"`).
 * @param {string | null} header
 * @returns {string | null}
 */
export function dispositionName(header) {
  if (!header) return null;
  const star = header.match(/filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/);
  if (star) {
    try { return decodeURIComponent(star[1].trim()); } catch { /* malformed: try the plain one */ }
  }
  const plain = header.match(/filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/);
  return plain ? (plain[1] ?? plain[2]).trim() : null;
}

/**
 * POSTs `body` to `url` and saves the answer as a file, named as the server says.
 * @param {string} url @param {unknown} body @param {string} fallbackName
 * @returns {Promise<string>} the file name
 */
export async function postDownload(url, body, fallbackName) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw await failure(url, r);
  const name = dispositionName(r.headers.get('content-disposition')) || fallbackName;
  download(await r.blob(), name);
  return name;
}

/**
 * Downloads one table of the area's answer.
 * @param {AreaRequest} body @param {typeof TABLES[number]} table @param {string} format @param {string} ext
 */
export const exportArea = (body, table, format, ext) =>
  postDownload(`/api/query/area?table=${encodeURIComponent(table)}&format=${encodeURIComponent(format)}`, body, `wangge-area-${table}.${ext}`);

/** @param {string} sql @param {number} limit @returns {Promise<import('./types').SqlAnswer>} */
export const runSql = (sql, limit) => postJson('/api/sql', { sql, limit });

/** @param {string} sql @param {number} limit */
export const downloadSql = (sql, limit) => postDownload('/api/sql?format=csv', { sql, limit }, 'wangge-sql.csv');

/** @returns {Promise<import('./types').SqlSchema>} */
export const sqlSchema = () => getJson('/api/sql/schema');
