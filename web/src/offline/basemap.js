// @ts-check
/**
 * The style layers of the offline basemap (`wangge export --format basemap`):
 * water, land, roads and place labels, drawn under the data layers. The
 * archive's layers are `water` (the box around the district minus land),
 * `land` (OSM boundaries), `roads` (the roads layer: generated in the demo)
 * and `places` (unit names and the names of the land areas around them).
 */
import { TEXT_FONT, expr } from '../core/style.js';
import { tr } from '../core/i18n.js';

/** @typedef {import('maplibre-gl').LayerSpecification} LayerSpecification */

/** The basemap's colours. */
export const BASEMAP_COLOURS = { water: '#a9cfe0', land: '#f4f1ea', border: '#cfc6b8', road: '#ffffff', casing: '#d8d0c3', place: '#5d4f40', area: '#8a7f72' };

/** The ids of the basemap's style layers (all start with `basemap-`). */
export const BASEMAP_LAYERS = ['basemap-water', 'basemap-land', 'basemap-border', 'basemap-road-casing', 'basemap-roads', 'basemap-places'];

/** Width of a road by its `highway` class at zoom 16 (halved at 13). */
const ROAD_WIDTH = expr(['match', ['get', 'highway'], 'secondary', 5, 'tertiary', 4, 'residential', 3, 'service', 2, 1.2]);

/**
 * The basemap's style layers on `source`.
 * @param {string} source
 * @returns {LayerSpecification[]}
 */
export function basemapLayers(source) {
  const s = { source };
  return [
    { id: 'basemap-water', type: 'fill', ...s, 'source-layer': 'water', paint: { 'fill-color': BASEMAP_COLOURS.water } },
    { id: 'basemap-land', type: 'fill', ...s, 'source-layer': 'land', paint: { 'fill-color': BASEMAP_COLOURS.land } },
    { id: 'basemap-border', type: 'line', ...s, 'source-layer': 'land',
      paint: { 'line-color': BASEMAP_COLOURS.border, 'line-width': 0.8, 'line-dasharray': [3, 2] } },
    { id: 'basemap-road-casing', type: 'line', ...s, 'source-layer': 'roads', minzoom: 12,
      filter: ['!=', ['get', 'highway'], 'footway'],
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': BASEMAP_COLOURS.casing,
        'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 12, ['*', 0.3, ROAD_WIDTH], 16, ['+', 1.5, ROAD_WIDTH]] } },
    { id: 'basemap-roads', type: 'line', ...s, 'source-layer': 'roads', minzoom: 12,
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': BASEMAP_COLOURS.road,
        'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 12, ['*', 0.2, ROAD_WIDTH], 16, ROAD_WIDTH] } },
    { id: 'basemap-places', type: 'symbol', ...s, 'source-layer': 'places',
      layout: { 'text-field': ['get', 'name'], 'text-font': TEXT_FONT, 'text-max-width': 7,
        'text-size': ['match', ['get', 'depth'], 0, 15, 1, 13, 11] },
      filter: ['any', ['==', ['get', 'kind'], 'area'], ['<=', ['get', 'depth'], 1]],
      paint: { 'text-color': ['match', ['get', 'kind'], 'area', BASEMAP_COLOURS.area, BASEMAP_COLOURS.place],
        'text-halo-color': '#fff', 'text-halo-width': 1.2 } },
    // communities (depth 2) once zoomed in far enough to tell them apart
    { id: 'basemap-places-community', type: 'symbol', ...s, 'source-layer': 'places', minzoom: 14,
      layout: { 'text-field': ['get', 'name'], 'text-font': TEXT_FONT, 'text-max-width': 7, 'text-size': 11 },
      filter: ['all', ['!=', ['get', 'kind'], 'area'], ['==', ['get', 'depth'], 2]],
      paint: { 'text-color': BASEMAP_COLOURS.place, 'text-halo-color': '#fff', 'text-halo-width': 1.2 } },
  ];
}

/** The basemap's attribution: OSM for land and boundaries, and the roads said to be generated. */
export const basemapAttribution = () =>
  tr('底图：陆地与边界 © OpenStreetMap contributors, ODbL 1.0；道路为生成数据', 'Basemap: land and boundaries © OpenStreetMap contributors, ODbL 1.0; roads are generated data');
