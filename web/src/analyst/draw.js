// @ts-check
/**
 * Drawing the area to analyse with terra-draw (polygon, rectangle, freehand)
 * on the MapLibre map. One area at a time: a new drawing replaces the last.
 * The finished polygon (lon/lat, WGS84, as terra-draw keeps it) goes to
 * `onArea`; while a drawing mode is on, clicks on the map draw instead of
 * picking a unit (`drawing()`).
 */
import { TerraDraw, TerraDrawPolygonMode, TerraDrawRectangleMode, TerraDrawFreehandMode, TerraDrawRenderMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';

/** @typedef {import('maplibre-gl').Map} MlMap */
/** @typedef {import('geojson').Polygon} Polygon */
/** @typedef {'polygon' | 'rectangle' | 'freehand'} DrawMode */

const STYLE = {
  fillColor: /** @type {`#${string}`} */ ('#d69e2e'), fillOpacity: 0.12,
  outlineColor: /** @type {`#${string}`} */ ('#b7791f'), outlineWidth: 2,
};

/**
 * @param {MlMap} map a map whose style has loaded
 * @param {(polygon: Polygon) => void} onArea
 */
export function setupDraw(map, onArea) {
  const draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map }),
    modes: [
      new TerraDrawPolygonMode({ styles: STYLE }),
      new TerraDrawRectangleMode({ styles: STYLE }),
      new TerraDrawFreehandMode({ styles: STYLE }),
      new TerraDrawRenderMode({ modeName: 'static', styles: { polygonFillColor: STYLE.fillColor, polygonFillOpacity: STYLE.fillOpacity,
        polygonOutlineColor: STYLE.outlineColor, polygonOutlineWidth: STYLE.outlineWidth } }),
    ],
  });
  draw.start();
  draw.setMode('static');
  /** @type {DrawMode | null} */
  let mode = null;

  draw.on('finish', (id, ctx) => {
    if (ctx.action !== 'draw') return;
    const f = draw.getSnapshotFeature(id);
    if (!f || f.geometry.type !== 'Polygon') return;
    // keep only the new area
    const old = draw.getSnapshot().filter((g) => g.id !== id).map((g) => /** @type {string | number} */ (g.id));
    if (old.length) draw.removeFeatures(old);
    onArea(/** @type {Polygon} */ ({ type: 'Polygon', coordinates: f.geometry.coordinates }));
  });

  return {
    /** Starts drawing in a mode (a new area replaces the last once finished). @param {DrawMode} m */
    start(m) { mode = m; draw.setMode(m); },
    /** Stops drawing (the map pans and picks units again); the area stays drawn. */
    stop() { mode = null; draw.setMode('static'); },
    /** Removes the drawn area. */
    clear() { draw.clear(); },
    /** Whether a drawing mode is on. */
    drawing: () => mode !== null,
    mode: () => mode,
  };
}
