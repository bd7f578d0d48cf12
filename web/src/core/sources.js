// @ts-check
/**
 * Where each thematic layer's features come from: the ONE place that decides
 * it. With COMPOSITE on (the default), the static layers all come from one source `base`, whose TileJSON
 * (`/tiles/units,buildings,….json`) lists each as a `vector_layers` entry and
 * whose tiles hold them under their own layer names. The heatmap and hot
 * spots are not here: they are GeoJSON overlays with their own filters.
 */

/** One composite source (one request per tile position) instead of one source per layer. */
export const COMPOSITE = true;

/** The layers served as static vector tiles. */
export const STATIC_LAYERS = ['units', 'buildings', 'roads', 'cameras', 'camera_views', 'camera_gaps', 'facilities', 'incidents', 'problems'];

const ATTRIBUTION = '© OpenStreetMap contributors, ODbL 1.0';

/**
 * The source and source layer of a static layer.
 * @param {string} name a tile layer name (units, buildings, …)
 * @returns {{ source: string, sourceLayer: string }}
 */
export function sourceFor(name) {
  return COMPOSITE && STATIC_LAYERS.includes(name) ? { source: 'base', sourceLayer: name } : { source: name, sourceLayer: name };
}

/**
 * The style's vector sources for the static layers the server has.
 * @param {import('../types').LayersInfo} info
 * @returns {Record<string, import('maplibre-gl').VectorSourceSpecification>}
 */
export function buildSources(info) {
  const names = info.layers.map((l) => l.name).filter((n) => STATIC_LAYERS.includes(n));
  if (COMPOSITE) return { base: { type: 'vector', url: `/tiles/${names.join(',')}.json`, attribution: ATTRIBUTION } };
  /** @type {Record<string, import('maplibre-gl').VectorSourceSpecification>} */
  const sources = {};
  for (const n of names) {
    sources[n] = { type: 'vector', url: `/tiles/${n}.json` };
    if (n === 'units') sources[n].attribution = ATTRIBUTION;
  }
  return sources;
}
