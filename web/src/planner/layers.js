// @ts-check
/**
 * What the planner draws over the shared map: the scenario's draft units
 * (instead of the published units' tiles), the picked units, the finding of
 * the validation list under the cursor, the buildings that move (outlined on
 * the buildings tiles) and their flows; and a vertex index of the draft for
 * snapping (a hash grid of every boundary vertex, looked up in pixels).
 */
import { sourceFor } from '../core/sources.js';
import { DEPTH_COLOURS, DEPTH_FALLBACK } from '../core/themes.js';
import { addOverlayLayer, ensureSource, empty, setOverlay } from '../core/overlay.js';

/** @typedef {import('maplibre-gl').Map} MlMap */
/** @typedef {import('geojson').FeatureCollection} FeatureCollection */
/** @typedef {import('maplibre-gl').FilterSpecification} Filter */
/** @typedef {import('maplibre-gl').ExpressionSpecification} Expr */

export const PICKED = '#d69e2e';
export const MOVED = '#d53f8c';
export const FINDING = '#e53e3e';
const NONE = /** @type {Filter} */ (['==', ['get', 'id'], '']);

/**
 * Adds the planner's sources and layers; hides the published units' tiles.
 * @param {MlMap} map @param {string[]} levels the levels, top first
 */
export function addPlannerLayers(map, levels) {
  for (const id of ['units-fill', 'units-line', 'units-label']) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', 'none');
  /** @type {Expr} */
  const colour = /** @type {Expr} */ (/** @type {unknown} */ (['match', ['get', 'level'], ...levels.flatMap((l, i) => [l, DEPTH_COLOURS[i] ?? DEPTH_FALLBACK]), DEPTH_FALLBACK]));
  /** @type {Expr} */
  const width = /** @type {Expr} */ (/** @type {unknown} */ (['match', ['get', 'level'], ...levels.flatMap((l, i) => [l, Math.max(0.8, 3.2 - i * 0.6)]), 1]));
  ensureSource(map, 'plan-draft');
  map.addLayer({ id: 'plan-fill', type: 'fill', source: 'plan-draft', paint: { 'fill-color': colour, 'fill-opacity': 0.04 } });
  map.addLayer({ id: 'plan-line', type: 'line', source: 'plan-draft', paint: { 'line-color': colour, 'line-width': width } });
  map.addLayer({ id: 'plan-label', type: 'symbol', source: 'plan-draft', minzoom: 15,
    filter: ['==', ['get', 'level'], levels[levels.length - 1] ?? ''],
    layout: { 'text-field': ['get', 'name'], 'text-font': ['DejaVu Sans'], 'text-size': 11 },
    paint: { 'text-color': '#17324d', 'text-halo-color': '#fff', 'text-halo-width': 1.2 } });
  map.addLayer({ id: 'plan-picked', type: 'line', source: 'plan-draft', filter: NONE, paint: { 'line-color': PICKED, 'line-width': 4 } });
  map.addLayer({ id: 'plan-picked-fill', type: 'fill', source: 'plan-draft', filter: NONE, paint: { 'fill-color': PICKED, 'fill-opacity': 0.25 } });
  const b = sourceFor('buildings');
  if (map.getSource(b.source)) {
    map.addLayer({ id: 'plan-moved', type: 'fill', source: b.source, 'source-layer': b.sourceLayer, filter: NONE,
      paint: { 'fill-color': MOVED, 'fill-opacity': 0.6 } });
    map.addLayer({ id: 'plan-building-picked', type: 'line', source: b.source, 'source-layer': b.sourceLayer, filter: NONE,
      paint: { 'line-color': PICKED, 'line-width': 3 } });
  }
  ensureSource(map, 'plan-finding');
  addOverlayLayer(map, { id: 'plan-finding-box', type: 'line', source: 'plan-finding', filter: ['==', ['geometry-type'], 'Polygon'],
    paint: { 'line-color': FINDING, 'line-width': 2.5, 'line-dasharray': [2, 1] } });
  addOverlayLayer(map, { id: 'plan-finding-point', type: 'circle', source: 'plan-finding', filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-radius': 8, 'circle-color': FINDING, 'circle-opacity': 0.35, 'circle-stroke-color': FINDING, 'circle-stroke-width': 2 } });
  ensureSource(map, 'plan-flows');
  addOverlayLayer(map, { id: 'plan-flows', type: 'circle', source: 'plan-flows',
    paint: { 'circle-radius': 5, 'circle-color': MOVED, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
  ensureSource(map, 'plan-vertex');
  addOverlayLayer(map, { id: 'plan-vertex', type: 'circle', source: 'plan-vertex',
    paint: { 'circle-radius': 6, 'circle-color': '#fff', 'circle-stroke-color': PICKED, 'circle-stroke-width': 3 } });
}

/** Shows the draft units. @param {MlMap} map @param {FeatureCollection} draft */
export function showDraft(map, draft) {
  const src = /** @type {import('maplibre-gl').GeoJSONSource | undefined} */ (map.getSource('plan-draft'));
  src?.setData(draft);
}

/** Outlines the picked units (none: clears). @param {MlMap} map @param {string[]} ids */
export function showPicked(map, ids) {
  const f = /** @type {Filter} */ (ids.length ? ['in', ['get', 'id'], ['literal', ids]] : NONE);
  for (const id of ['plan-picked', 'plan-picked-fill']) if (map.getLayer(id)) map.setFilter(id, f);
}

/** Outlines a picked building (null clears). @param {MlMap} map @param {string | null} id */
export function showPickedBuilding(map, id) {
  if (map.getLayer('plan-building-picked')) map.setFilter('plan-building-picked', id ? ['==', ['get', 'id'], id] : NONE);
}

/** Fills the moved buildings and marks where they are. @param {MlMap} map @param {{ building: string, location?: { point?: [number, number] | null } | null }[]} moves */
export function showMoves(map, moves) {
  const ids = moves.map((m) => m.building);
  if (map.getLayer('plan-moved')) map.setFilter('plan-moved', ids.length ? ['in', ['get', 'id'], ['literal', ids]] : NONE);
  const fc = empty();
  for (const m of moves) {
    const p = m.location?.point;
    if (p) fc.features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: p }, properties: { building: m.building } });
  }
  setOverlay(map, 'plan-flows', fc);
}

/**
 * Marks a finding's place (its box and point), or clears.
 * @param {MlMap} map @param {{ point?: [number, number] | null, bbox?: [number, number, number, number] | null } | null | undefined} loc
 */
export function showFinding(map, loc) {
  const fc = empty();
  if (loc?.bbox) {
    const [w, s, e, n] = loc.bbox;
    fc.features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] } });
  }
  if (loc?.point) fc.features.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: loc.point } });
  setOverlay(map, 'plan-finding', fc);
}

/** Marks the picked vertex (null clears). @param {MlMap} map @param {[number, number] | null} at */
export function showVertex(map, at) {
  const fc = empty();
  if (at) fc.features.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: at } });
  setOverlay(map, 'plan-vertex', fc);
}

/** Every boundary vertex of the draft in a hash grid, for snapping in pixels. */
export class VertexIndex {
  /** @param {FeatureCollection} draft */
  constructor(draft) {
    this.cell = 0.0005;
    /** @type {Map<string, [number, number][]>} */
    this.grid = new Map();
    const seen = new Set();
    /** @param {unknown} c */
    const walk = (c) => {
      if (!Array.isArray(c)) return;
      if (typeof c[0] === 'number') {
        const key = `${c[0]},${c[1]}`;
        if (seen.has(key)) return;
        seen.add(key);
        const k = this.key(c[0], c[1]);
        const list = this.grid.get(k);
        if (list) list.push([c[0], c[1]]); else this.grid.set(k, [[c[0], c[1]]]);
      } else for (const x of c) walk(x);
    };
    for (const f of draft.features) if (f.geometry && 'coordinates' in f.geometry) walk(f.geometry.coordinates);
    this.size = seen.size;
  }

  /** @param {number} x @param {number} y */
  key(x, y) { return `${Math.floor(x / this.cell)}:${Math.floor(y / this.cell)}`; }

  /**
   * The vertex nearest to a screen point within `px` pixels, if any.
   * @param {MlMap} map @param {{ x: number, y: number }} pt @param {number} [px]
   * @returns {[number, number] | null}
   */
  nearest(map, pt, px = 10) {
    const a = map.unproject([pt.x - px, pt.y + px]);
    const b = map.unproject([pt.x + px, pt.y - px]);
    let best = null;
    let bestD = px * px;
    for (let i = Math.floor(a.lng / this.cell); i <= Math.floor(b.lng / this.cell); i++) {
      for (let j = Math.floor(a.lat / this.cell); j <= Math.floor(b.lat / this.cell); j++) {
        for (const v of this.grid.get(`${i}:${j}`) ?? []) {
          const q = map.project(v);
          const d = (q.x - pt.x) ** 2 + (q.y - pt.y) ** 2;
          if (d <= bestD) { bestD = d; best = v; }
        }
      }
    }
    return best;
  }
}
