// @ts-check
/**
 * The URL hash as page state: `#map=zoom/lat/lon&layers=units,buildings&unit=ID`
 * (the view in the order OpenStreetMap's links use). Pure functions: the page
 * decides when to read and write it.
 */

/** @typedef {{ center?: [number, number], zoom?: number, layers?: string[], unit?: string | null }} HashState */

/**
 * @param {string} hash `location.hash`, with or without '#'
 * @returns {HashState}
 */
export function parseHash(hash) {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  /** @type {HashState} */
  const s = {};
  const m = (p.get('map') || '').split('/').map(Number);
  if (m.length === 3 && m.every(Number.isFinite) && Math.abs(m[1]) <= 90 && Math.abs(m[2]) <= 180) {
    s.zoom = m[0];
    s.center = [m[2], m[1]];
  }
  const layers = p.get('layers');
  if (layers !== null) s.layers = layers.split(',').filter(Boolean);
  if (p.has('unit')) s.unit = p.get('unit') || null;
  return s;
}

/**
 * @param {{ center: [number, number], zoom: number, layers: string[], unit: string | null }} s
 * @returns {string} the hash, starting with '#'
 */
export function formatHash(s) {
  // 5 decimals of a degree ≈ 1 m, enough at zoom 19
  const map = `${s.zoom.toFixed(2)}/${s.center[1].toFixed(5)}/${s.center[0].toFixed(5)}`;
  const parts = [`map=${map}`, `layers=${s.layers.map(encodeURIComponent).join(',')}`];
  if (s.unit) parts.push(`unit=${encodeURIComponent(s.unit)}`);
  return `#${parts.join('&')}`;
}
