// @ts-check
/** Switching the thematic layers and unit levels on the map, and the selected-unit highlight. */
import { THEMES } from './themes.js';
import { sourceFor } from './sources.js';

/** @typedef {import('maplibre-gl').Map} MlMap */

/** Shows or hides a theme's map layers. @param {MlMap} map @param {string} theme @param {boolean} on */
export function setThemeVisible(map, theme, on) {
  for (const id of THEMES[theme]?.layers || []) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
}

/** Whether a map layer exists and is not hidden. @param {MlMap} map @param {string} id */
export function layerShown(map, id) {
  return map.getLayer(id) !== undefined && map.getLayoutProperty(id, 'visibility') !== 'none';
}

/** Draws only the units of these levels. @param {MlMap} map @param {string[]} levels */
export function setLevelFilter(map, levels) {
  /** @type {import('maplibre-gl').FilterSpecification} */
  const f = ['in', ['get', 'level'], ['literal', levels]];
  if (!map.getLayer('units-fill')) return;
  map.setFilter('units-fill', f);
  map.setFilter('units-line', f);
  map.setFilter('units-label', ['all', f, ['<=', ['get', 'depth'], 2]]);
}

/** Sets or clears the `selected` state of a unit feature. @param {MlMap} map @param {string | number} featureId @param {boolean} selected */
export function markUnit(map, featureId, selected) {
  const s = sourceFor('units');
  map.setFeatureState({ source: s.source, sourceLayer: s.sourceLayer, id: featureId }, { selected });
}

/**
 * The unit's features in the tiles loaded now (parts of one unit may lie in several tiles).
 * @param {MlMap} map @param {string} unitId
 */
export function loadedUnitFeatures(map, unitId) {
  const s = sourceFor('units');
  if (!map.getSource(s.source)) return [];
  return map.querySourceFeatures(s.source, { sourceLayer: s.sourceLayer, filter: ['==', ['get', 'id'], unitId] });
}
