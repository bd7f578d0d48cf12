// @ts-check
/**
 * The planner's client of `/api/scenarios…` and `/api/layers/units/…`: every
 * write carries the revision the page last saw; a 409 (another planner
 * wrote first) is thrown as a `StaleError` carrying the current revision,
 * and the page reloads the scenario.
 */
import { ApiError, getJson } from '../api.js';

/** @typedef {import('geojson').FeatureCollection} FeatureCollection */
/**
 * @typedef {{ id: string, name: string, author?: string | null, description?: string | null, base_version: number,
 *   revision: number, cursor?: number, can_undo?: boolean, can_redo?: boolean }} ScenarioMeta
 * @typedef {ScenarioMeta & { ops: Record<string, unknown>[], draft: FeatureCollection, overrides?: Record<string, string> }} Scenario
 * @typedef {{ point?: [number, number] | null, bbox?: [number, number, number, number] | null }} Location
 * @typedef {{ kind: string, severity: 'error' | 'warning' | 'info', units: string[], message: string, value?: number | null,
 *   building?: string | null, location?: Location | null }} Finding
 * @typedef {{ summary: { units: number, errors: number, warnings: number, infos: number, by_kind?: Record<string, number> },
 *   findings: Finding[], ab?: { level: string, pairs: [string, string][], unmatched: string[], pairs_total?: number } | null }} Validation
 * @typedef {{ scenario: ScenarioMeta, changed?: string[], created?: string[], removed?: string[], validation?: Validation | null }} OpAnswer
 * @typedef {{ version: number, features?: number, source?: string | null, created_at?: string, author?: string | null,
 *   message?: string | null, scenario?: string | null, rollback_of?: number | null }} Version
 */

/** A write based on an old revision. */
export class StaleError extends Error {
  /** @param {string} message @param {number} revision */
  constructor(message, revision) {
    super(message);
    this.name = 'StaleError';
    this.revision = revision;
  }
}

const enc = encodeURIComponent;

/**
 * Sends a JSON body with a method; answers the JSON reply.
 * @param {string} method @param {string} url @param {unknown} [body]
 */
async function send(method, url, body) {
  const r = await fetch(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body) });
  /** @type {any} */
  let v = null;
  try { v = await r.json(); } catch { /* no JSON body */ }
  if (r.status === 409 && v && typeof v.revision === 'number') throw new StaleError(v.message || 'conflict', v.revision);
  if (!r.ok) throw new ApiError(v && typeof v.message === 'string' ? v.message : `${url}: ${r.status}`, r.status);
  return v;
}

export const plans = {
  /** @returns {Promise<{scenarios: ScenarioMeta[]}>} */
  list: () => getJson('/api/scenarios'),
  /** The scenario; with `units`, its draft holds only those units. @param {string} id @param {string[]} [units] @returns {Promise<Scenario>} */
  get: (id, units) => getJson(`/api/scenarios/${enc(id)}${units ? `?units=${units.map(enc).join(',')}` : ''}`),
  /** @param {string} name @param {string} [description] @returns {Promise<ScenarioMeta>} */
  create: (name, description) => send('POST', '/api/scenarios', description ? { name, description } : { name }),
  /** @param {string} id */
  remove: (id) => send('DELETE', `/api/scenarios/${enc(id)}`),
  /** @param {string} id @param {number} revision @param {Record<string, unknown>} op @returns {Promise<OpAnswer>} */
  apply: (id, revision, op) => send('POST', `/api/scenarios/${enc(id)}/ops`, { revision, op }),
  /** @param {string} id @param {number} revision @returns {Promise<OpAnswer>} */
  undo: (id, revision) => send('POST', `/api/scenarios/${enc(id)}/undo`, { revision }),
  /** @param {string} id @param {number} revision @returns {Promise<OpAnswer>} */
  redo: (id, revision) => send('POST', `/api/scenarios/${enc(id)}/redo`, { revision }),
  /** @param {string} id @returns {Promise<Validation>} */
  validate: (id) => getJson(`/api/scenarios/${enc(id)}/validate`),
  /** @param {string} id @returns {Promise<import('./panels.js').LayerDiff>} */
  diff: (id) => getJson(`/api/scenarios/${enc(id)}/diff`),
  /** @param {string} id @param {number} revision @param {string} message */
  publish: (id, revision, message) => send('POST', `/api/scenarios/${enc(id)}/publish`, message ? { revision, message } : { revision }),
  /** @returns {Promise<{versions: Version[]}>} */
  versions: () => getJson('/api/layers/units/versions'),
  /** @param {number} to @param {string} [message] */
  rollback: (to, message) => send('POST', '/api/layers/units/rollback', message ? { to, message } : { to }),
};
