// @ts-check
/**
 * The API client: every request the page makes to the wangge server goes
 * through here, and every failure reaches the user through one error sink
 * (the status line), never only the console.
 */

import { tr } from './core/i18n.js';

/** @typedef {import('geojson').FeatureCollection} FeatureCollection */
/** @typedef {import('./types').LayersInfo} LayersInfo */
/** @typedef {import('./types').UnitSummary} UnitSummary */
/** @typedef {import('./types').UnitDetail} UnitDetail */

/** A failed request: the server's message when it sent one, with the HTTP status. */
export class ApiError extends Error {
  /** @param {string} message @param {number} status */
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** @type {(message: string) => void} */
let sink = (message) => { console.warn(message); };

/** Where errors are shown to the user (the page's status line). @param {(message: string) => void} fn */
export function setErrorSink(fn) { sink = fn; }

/** Shows an error to the user. Use as `.catch(showError)`. @param {unknown} err */
export function showError(err) {
  sink(`${tr('错误：', 'Error: ')}${err instanceof Error ? err.message : String(err)}`);
}

/** @type {() => void} */
let unauthorized = () => {};

/**
 * What to do when the server answers 401 (no credential, or the session
 * expired or was revoked): the page shows its login form.
 * @param {() => void} fn
 */
export function onUnauthorized(fn) { unauthorized = fn; }

/** @param {string} url @param {Response} r */
async function failure(url, r) {
  if (r.status === 401) unauthorized();
  let message = `${url}: ${r.status}`;
  try {
    const v = await r.json();
    if (v && typeof v.message === 'string') message = v.message;
  } catch { /* not JSON: keep the status */ }
  return new ApiError(message, r.status);
}

/**
 * GET a JSON document.
 * @template [T=any]
 * @param {string} url
 * @returns {Promise<T>}
 */
export async function getJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw await failure(url, r);
  return r.json();
}

/**
 * POST a JSON body, answer the JSON reply.
 * @template [T=any]
 * @param {string} url
 * @param {unknown} body
 * @returns {Promise<T>}
 */
export async function postJson(url, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw await failure(url, r);
  return r.json();
}

/** A query string from the defined entries. @param {Record<string, string | number | boolean | undefined | null>} q */
export function query(q) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  return p.toString();
}

const enc = encodeURIComponent;

export const api = {
  /** @returns {Promise<LayersInfo>} */
  layers: () => getJson('/api/layers'),
  /** @param {string} [level] @returns {Promise<{units: UnitSummary[]}>} */
  units: (level) => getJson(`/api/units${level ? `?${query({ level })}` : ''}`),
  /** @param {string} id @returns {Promise<UnitDetail>} */
  unit: (id) => getJson(`/api/units/${enc(id)}`),
  /** @param {string} id @returns {Promise<import('./types').UnitIncidents>} */
  unitIncidents: (id) => getJson(`/api/units/${enc(id)}/incidents?period=week`),
  /** @param {string} id @returns {Promise<import('./types').UnitCoverage>} */
  unitCoverage: (id) => getJson(`/api/coverage/cameras?${query({ unit: id })}`),
  /** Unit polygons of one level (for a unit's extent when the server sends no bbox). @param {string} level @returns {Promise<FeatureCollection>} */
  unitFeatures: (level) => getJson(`/api/features/units?${query({ level, limit: 100000 })}`),
  /** @returns {Promise<import('./types').CheckReport>} */
  check: () => getJson('/api/check'),
  /** @param {string} level @returns {Promise<import('./types').Adjacency>} */
  adjacency: (level) => getJson(`/api/adjacency?${query({ level })}`),
  /** @param {string} level @returns {Promise<FeatureCollection>} */
  adjacencyGeojson: (level) => getJson(`/api/adjacency?${query({ level, format: 'geojson' })}`),
  /** @param {Record<string, unknown>} body @returns {Promise<import('./types').AllianceProposal>} */
  proposeAlliances: (body) => postJson('/api/alliances/propose', body),
  /** @param {Record<string, string>} q @returns {Promise<import('./types').AbPairs>} */
  abPairs: (q) => getJson(`/api/ab-pairs?${query(q)}`),
  /** @param {Record<string, string>} q @returns {Promise<FeatureCollection>} */
  abPairsGeojson: (q) => getJson(`/api/ab-pairs?${query({ ...q, format: 'geojson' })}`),
  /** @param {Record<string, unknown>} body @returns {Promise<import('./types').Siting>} */
  siting: (body) => postJson('/api/coverage/siting', body),
  /** @param {Record<string, string | number | undefined>} q @returns {Promise<import('./types').HighPoints>} */
  highPoints: (q) => getJson(`/api/coverage/high-points?${query(q)}`),
  /** @param {Record<string, string | number | undefined>} q @returns {Promise<FeatureCollection>} */
  heatmapGeojson: (q) => getJson(`/api/heatmap?${query({ ...q, format: 'geojson' })}`),
  /** @param {Record<string, string | number | undefined>} q @returns {Promise<import('./types').Hotspots>} */
  hotspots: (q) => getJson(`/api/hotspots?${query(q)}`),
  /** @param {Record<string, string | number | undefined>} q @returns {Promise<FeatureCollection>} */
  hotspotsGeojson: (q) => getJson(`/api/hotspots?${query({ ...q, format: 'geojson' })}`),
  /** @returns {Promise<{incidents: import('./types').LiveIncident[]}>} */
  liveIncidents: () => getJson('/api/incidents'),
  /**
   * The server's event stream (incidents, transitions, KPI). EventSource does
   * not say why it closed; when it gives up, /api/me tells whether a login is wanted.
   */
  stream: () => {
    const es = new EventSource('/api/stream');
    es.addEventListener('error', () => {
      if (es.readyState !== EventSource.CLOSED) return;
      fetch('/api/me').then((r) => { if (r.status === 401) unauthorized(); }).catch(() => {});
    });
    return es;
  },
};

/**
 * The incident categories (事件大类) for filters.
 * From GET /api/taxonomy when the server answers 200; otherwise (older
 * servers) the categories found in a sample of the incidents layer, most
 * frequent first; otherwise none. Never a list written into the page.
 * @returns {Promise<string[]>}
 */
export async function incidentCategories() {
  const r = await fetch('/api/taxonomy');
  if (r.ok) {
    /** @type {import('./types').Taxonomy} */
    const t = await r.json();
    return t.classes.map((c) => c.name);
  }
  const fc = await getJson(`/api/features/incidents?${query({ limit: 2000 })}`);
  /** @type {Map<string, number>} */
  const n = new Map();
  for (const f of /** @type {FeatureCollection} */ (fc).features) {
    const c = f.properties?.category;
    if (typeof c === 'string' && c) n.set(c, (n.get(c) || 0) + 1);
  }
  return [...n.entries()].sort((a, b) => b[1] - a[1]).map(([c]) => c);
}
