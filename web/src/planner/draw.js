// @ts-check
/**
 * The split line, drawn with terra-draw's line mode on the MapLibre map; each
 * point snaps to the nearest boundary vertex of the draft within 10 pixels
 * (terra-draw's custom snapping asks `snap` for it), so a cut can start and
 * end exactly on a shared vertex.
 */
import { TerraDraw, TerraDrawLineStringMode, TerraDrawRenderMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';

/** @typedef {import('maplibre-gl').Map} MlMap */

/**
 * @param {MlMap} map a map whose style has loaded
 * @param {(pt: { x: number, y: number }) => [number, number] | null} snap the vertex to snap a screen point to
 * @param {(line: [number, number][]) => void} onLine
 */
export function setupSplitDraw(map, snap, onLine) {
  const draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map }),
    modes: [
      new TerraDrawLineStringMode({
        snapping: { toCustom: (e) => snap({ x: e.containerX, y: e.containerY }) ?? undefined },
        styles: { lineStringColor: '#c05621', lineStringWidth: 3, snappingPointColor: '#d69e2e', snappingPointWidth: 6 },
      }),
      new TerraDrawRenderMode({ modeName: 'static', styles: {} }),
    ],
  });
  draw.start();
  draw.setMode('static');
  draw.on('finish', (id, ctx) => {
    if (ctx.action !== 'draw') return;
    const f = draw.getSnapshotFeature(id);
    draw.clear();
    if (!f || f.geometry.type !== 'LineString') return;
    onLine(/** @type {[number, number][]} */ (f.geometry.coordinates.map((c) => [c[0], c[1]])));
  });
  return {
    start() { draw.setMode('linestring'); },
    stop() { draw.setMode('static'); draw.clear(); },
  };
}
