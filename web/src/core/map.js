// @ts-check
/**
 * The shared map core: creates the MapLibre map on our own style, fonts and
 * tiles (no request leaves the server), with navigation and scale controls.
 * The pages (/, /screen, /planner, /analyst) import this unchanged; the page
 * must map the bare specifier `maplibre-gl` to `/vendor/maplibre-gl/maplibre-gl.mjs`
 * with an import map (see index.html).
 */
import * as maplibregl from 'maplibre-gl';
import { buildStyle } from './style.js';
import { THEMES } from './themes.js';
import { tr } from './i18n.js';

export { maplibregl };

/** @typedef {import('maplibre-gl').Map} MlMap */
/** @typedef {{ center: [number, number], zoom: number }} View */

/**
 * CJK glyphs are drawn from the browser's local fonts (the server sends only
 * Latin, digits and punctuation), in this order of preference.
 */
export const IDEOGRAPH_FONTS = "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', sans-serif";

/**
 * The themes drawn when nothing says otherwise: every theme the server has
 * features for (problems always), minus those off at start.
 * @param {import('../types').LayersInfo} info
 * @returns {Set<string>}
 */
export function defaultThemes(info) {
  return new Set(info.layers.filter((l) => THEMES[l.name] && !THEMES[l.name].offAtStart && (l.features > 0 || l.name === 'problems')).map((l) => l.name));
}

/**
 * Creates the map in `container`.
 * Without `view` the map fits `bounds` (a user's jurisdiction), else the data's bounds.
 * `style` replaces the style built from `info` and `themes` (the offline page's, on PMTiles archives).
 * @param {{ container: string | HTMLElement, info: import('../types').LayersInfo, themes: Set<string>, view?: View | null,
 *           bounds?: [number, number, number, number] | null, attribution?: string,
 *           style?: import('maplibre-gl').StyleSpecification }} opts
 * @returns {MlMap}
 */
export function createMap({ container, info, themes, view, bounds, style, attribution = tr('生成图层仅为演示（生成数据）', 'Generated layers are for the demo only (generated data)') }) {
  const b = bounds ?? info.bounds;
  /** @type {Partial<import('maplibre-gl').MapOptions>} */
  const where = view ? { center: view.center, zoom: view.zoom } : { bounds: [[b[0], b[1]], [b[2], b[3]]], fitBoundsOptions: { padding: 20 } };
  const map = new maplibregl.Map({
    container,
    style: style ?? buildStyle(info, themes),
    ...where,
    localIdeographFontFamily: IDEOGRAPH_FONTS,
    attributionControl: { compact: false, customAttribution: attribution },
    maxZoom: 19,
  });
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  return map;
}
