// @ts-check
/**
 * GeoJSON overlays the tools compute (alliances, AB pairs, siting, heatmap,
 * hot spots, live incidents): their layers are shown exactly when their
 * source has features, so the legend can go by visibility alone.
 */

/** @typedef {import('maplibre-gl').Map} MlMap */
/** @typedef {import('geojson').FeatureCollection} FeatureCollection */

/** @returns {FeatureCollection} */
export const empty = () => ({ type: 'FeatureCollection', features: [] });

/** Adds an empty GeoJSON source unless it exists. @param {MlMap} map @param {string} id */
export function ensureSource(map, id) {
  if (!map.getSource(id)) map.addSource(id, { type: 'geojson', data: empty() });
}

/**
 * Adds an overlay layer, hidden until its source has data.
 * @param {MlMap} map
 * @param {import('maplibre-gl').LayerSpecification} layer
 * @param {string} [before] id of the layer to draw under
 */
export function addOverlayLayer(map, layer, before) {
  if (map.getLayer(layer.id)) return;
  map.addLayer(/** @type {import('maplibre-gl').LayerSpecification} */ ({ ...layer, layout: { ...('layout' in layer ? layer.layout : {}), visibility: 'none' } }), before && map.getLayer(before) ? before : undefined);
}

/**
 * Sets an overlay source's features and shows its layers when there are any.
 * @param {MlMap} map @param {string} id @param {FeatureCollection} data
 */
export function setOverlay(map, id, data) {
  const src = /** @type {import('maplibre-gl').GeoJSONSource | undefined} */ (map.getSource(id));
  if (src) src.setData(data); else map.addSource(id, { type: 'geojson', data });
  const visibility = data.features.length > 0 ? 'visible' : 'none';
  for (const l of map.getStyle().layers) if ('source' in l && l.source === id) map.setLayoutProperty(l.id, 'visibility', visibility);
}
