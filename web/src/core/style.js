// @ts-check
/** The map's style: background, the static thematic layers and their labels (glyphs served by us). */
import { sourceFor, buildSources } from './sources.js';
import { THEMES, DEPTH_COLOURS, DEPTH_FALLBACK, HOUSEHOLD_STOPS, CUT_OUTLINE, ASSIGNED_OUTLINE, PROBLEM_KINDS, COLOURS } from './themes.js';

/** @typedef {import('maplibre-gl').LayerSpecification} LayerSpecification */
/** @typedef {import('maplibre-gl').ExpressionSpecification} Expr */

/** The font stack of every symbol layer; its glyphs come from `/fonts/…`, CJK from the browser's fonts. */
export const TEXT_FONT = ['DejaVu Sans'];

/** An expression built from parts TypeScript cannot check as a tuple. @param {unknown[]} e @returns {Expr} */
export const expr = (e) => /** @type {Expr} */ (/** @type {unknown} */ (e));

/** Colour by `depth`, as the units layers draw it. */
export const depthColour = expr(['match', ['get', 'depth'], ...DEPTH_COLOURS.flatMap((c, i) => [i, c]), DEPTH_FALLBACK]);

/** `source` and `source-layer` of a static layer (see sources.js). @param {string} name */
function src(name) {
  const s = sourceFor(name);
  return { source: s.source, 'source-layer': s.sourceLayer };
}

/** @param {boolean} on @returns {'visible' | 'none'} */
const vis = (on) => (on ? 'visible' : 'none');

/**
 * The style for the server's layers.
 * @param {import('../types').LayersInfo} info
 * @param {Set<string>} on the themes (THEMES keys) drawn at start
 * @returns {import('maplibre-gl').StyleSpecification}
 */
export function buildStyle(info, on) {
  const present = new Set(info.layers.map((l) => l.name));
  /** @type {LayerSpecification[]} */
  const layers = [
    { id: 'background', type: 'background', paint: { 'background-color': COLOURS.background } },
    { id: 'units-fill', type: 'fill', ...src('units'),
      paint: { 'fill-color': depthColour, 'fill-opacity': ['case', ['boolean', ['feature-state', 'selected'], false], 0.35, 0.06] } },
    { id: 'units-line', type: 'line', ...src('units'),
      paint: { 'line-color': depthColour, 'line-width': ['match', ['get', 'depth'], 0, 3, 1, 2, 2, 1.4, 3, 1, 0.6],
        'line-opacity': ['interpolate', ['linear'], ['zoom'],
          13, ['match', ['get', 'depth'], 3, 0, 4, 0, 1], 14, ['match', ['get', 'depth'], 4, 0, 1],
          14.5, ['match', ['get', 'depth'], 4, 0, 1], 15.5, 1] } },
    { id: 'roads', type: 'line', ...src('roads'), paint: { 'line-color': COLOURS.road, 'line-width': 1.5 } },
    { id: 'buildings', type: 'fill', ...src('buildings'), minzoom: 13,
      paint: { 'fill-color': expr(['interpolate', ['linear'], ['coalesce', ['get', 'households'], 0], ...HOUSEHOLD_STOPS.flat()]),
        'fill-outline-color': ['case', ['get', 'cut'], CUT_OUTLINE, ['==', ['get', 'assigned'], true], ASSIGNED_OUTLINE, '#4a5568'] } },
    { id: 'camera-gaps', type: 'fill', ...src('camera_gaps'), minzoom: 12,
      paint: { 'fill-color': COLOURS.cameraGap, 'fill-opacity': 0.2 } },
    { id: 'camera-views', type: 'fill', ...src('camera_views'), minzoom: 13,
      paint: { 'fill-color': COLOURS.cameraView, 'fill-opacity': 0.18, 'fill-outline-color': '#2b6cb0' } },
    { id: 'problems-fill', type: 'fill', ...src('problems'),
      paint: { 'fill-color': expr(['match', ['get', 'kind'], ...PROBLEM_KINDS.flatMap(([k, , c]) => [k, c]), '#e53e3e']), 'fill-opacity': 0.45 } },
    { id: 'problems-line', type: 'line', ...src('problems'),
      paint: { 'line-color': ['match', ['get', 'kind'], 'gap', '#c53030', 'sliver', '#c05621', '#6b46c1'], 'line-width': 1.2, 'line-dasharray': [2, 1] } },
    { id: 'incidents', type: 'circle', ...src('incidents'), minzoom: 12,
      paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 1.2, 17, 4], 'circle-color': COLOURS.incident, 'circle-opacity': 0.55 } },
    { id: 'cameras', type: 'circle', ...src('cameras'), minzoom: 13,
      paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 13, 1.5, 17, 5],
        'circle-color': ['match', ['get', 'kind'], 'dome', COLOURS.cameraDome, COLOURS.cameraFixed],
        'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } },
    { id: 'facilities', type: 'circle', ...src('facilities'), minzoom: 12,
      paint: { 'circle-radius': 5, 'circle-color': COLOURS.facility, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } },
    { id: 'units-label', type: 'symbol', ...src('units'),
      filter: ['<=', ['get', 'depth'], 2],
      layout: { 'text-field': ['get', 'name'], 'text-font': TEXT_FONT, 'text-size': ['match', ['get', 'depth'], 0, 16, 1, 14, 12],
        'symbol-placement': 'point', 'text-max-width': 8 },
      paint: { 'text-color': depthColour, 'text-halo-color': '#fff', 'text-halo-width': 1.5,
        'text-opacity': ['interpolate', ['linear'], ['zoom'],
          12, ['match', ['get', 'depth'], 0, 1, 0], 12.5, ['match', ['get', 'depth'], 1, 1, 0],
          13.5, ['match', ['get', 'depth'], 1, 1, 0], 14, ['match', ['get', 'depth'], 0, 0, 1]] } },
    { id: 'facilities-label', type: 'symbol', ...src('facilities'), minzoom: 15,
      layout: { 'text-field': ['get', 'name'], 'text-font': TEXT_FONT, 'text-size': 11, 'text-offset': [0, 1.1], 'text-anchor': 'top' },
      paint: { 'text-color': '#276749', 'text-halo-color': '#fff', 'text-halo-width': 1 } },
  ];
  // a layer whose source the server lacks is left out; the others start as `on` says
  const theme = (/** @type {string} */ id) => Object.keys(THEMES).find((t) => THEMES[t].layers.includes(id));
  const kept = layers.filter((l) => l.type === 'background' || present.has(theme(l.id) || ''));
  for (const l of kept) {
    const t = theme(l.id);
    if (t && l.type !== 'background') l.layout = { ...l.layout, visibility: vis(on.has(t)) };
  }
  return { version: 8, glyphs: '/fonts/{fontstack}/{range}.pbf', sources: buildSources(info), layers: kept };
}
