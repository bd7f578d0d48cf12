// @ts-check
/**
 * What the workbench draws over the shared map: the chosen unit's outline,
 * the buildings no camera sees (the answer's `uncovered.ids`, outlined in red
 * on the buildings tiles) and the Gi* hot spots inside the area.
 */
import { sourceFor } from '../core/sources.js';
import { addOverlayLayer, setOverlay, ensureSource, empty } from '../core/overlay.js';
import { T } from './text.js';

/** @typedef {import('maplibre-gl').Map} MlMap */
/** @typedef {import('maplibre-gl').FilterSpecification} Filter */

export const UNCOVERED = '#e53e3e';
export const HOT = '#c53030';
export const COLD = '#2b6cb0';
export const PICKED = '#d69e2e';

const NONE = /** @type {Filter} */ (['==', ['get', 'id'], '']);

/** @param {MlMap} map */
export function addOverlays(map) {
  const b = sourceFor('buildings');
  const u = sourceFor('units');
  if (map.getSource(b.source)) {
    map.addLayer({ id: 'analyst-uncovered-fill', type: 'fill', source: b.source, 'source-layer': b.sourceLayer, filter: NONE,
      layout: { visibility: 'none' }, paint: { 'fill-color': UNCOVERED, 'fill-opacity': 0.45 } });
    map.addLayer({ id: 'analyst-uncovered-line', type: 'line', source: b.source, 'source-layer': b.sourceLayer, filter: NONE,
      layout: { visibility: 'none' }, paint: { 'line-color': UNCOVERED, 'line-width': 1.6 } });
    map.addLayer({ id: 'analyst-unit-line', type: 'line', source: u.source, 'source-layer': u.sourceLayer, filter: NONE,
      paint: { 'line-color': PICKED, 'line-width': 3.5 } });
  }
  ensureSource(map, 'analyst-hotspots');
  addOverlayLayer(map, { id: 'analyst-hotspots', type: 'circle', source: 'analyst-hotspots',
    paint: { 'circle-radius': ['interpolate', ['linear'], ['abs', ['get', 'z']], 1.96, 7, 4, 13],
      'circle-color': ['case', ['>', ['get', 'z'], 0], HOT, COLD], 'circle-opacity': 0.55,
      'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
}

/** Outlines the buildings with these ids (none: clears). @param {MlMap} map @param {string[]} ids */
export function showUncovered(map, ids) {
  const f = /** @type {Filter} */ (ids.length ? ['in', ['get', 'id'], ['literal', ids]] : NONE);
  for (const id of ['analyst-uncovered-fill', 'analyst-uncovered-line']) {
    if (!map.getLayer(id)) continue;
    map.setFilter(id, f);
    map.setLayoutProperty(id, 'visibility', ids.length ? 'visible' : 'none');
  }
}

/** Outlines the picked unit (null: clears). @param {MlMap} map @param {string | null} unitId */
export function showUnit(map, unitId) {
  if (map.getLayer('analyst-unit-line')) map.setFilter('analyst-unit-line', unitId ? ['==', ['get', 'id'], unitId] : NONE);
}

/**
 * Draws the hot spots (cells with z > 0 hot, z < 0 cold; those without a
 * significant class are left out when the server says so).
 * @param {MlMap} map @param {import('./types').Hotspot[]} spots
 */
export function showHotspots(map, spots) {
  const fc = empty();
  for (const s of spots) {
    if (!Number.isFinite(s.lon) || !Number.isFinite(s.lat)) continue;
    if (s.class === 'none') continue;
    fc.features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [s.lon, s.lat] },
      properties: { z: Number(s.z ?? 0), cell: s.cell ?? '', count: s.count ?? null } });
  }
  setOverlay(map, 'analyst-hotspots', fc);
  return fc.features.length;
}

/** The legend entries of the overlays. */
export function overlayLegend() {
  return [
    { key: 'analyst-uncovered', title: T('legendUncovered'), layers: ['analyst-uncovered-line'],
      items: [{ label: T('legendUncovered'), colour: UNCOVERED, shape: /** @type {const} */ ('outline') }] },
    { key: 'analyst-hotspots', title: T('hotspots'), layers: ['analyst-hotspots'],
      items: [{ label: T('legendHot'), colour: HOT, shape: /** @type {const} */ ('circle') }, { label: T('legendCold'), colour: COLD, shape: /** @type {const} */ ('circle') }] },
  ];
}
