// @ts-check
/** Map controls any page may add: fullscreen and PNG export of the map. */
import * as maplibregl from 'maplibre-gl';
import { tr } from './i18n.js';

/** @typedef {import('maplibre-gl').Map} MlMap */

/** Fullscreen for the whole page (map and panels), so a wall screen keeps its tools. */
export const fullscreenControl = () => new maplibregl.FullscreenControl({ container: document.body });

/**
 * The map as drawn now, as a PNG, with the attribution written in its
 * bottom-right corner. The WebGL canvas is copied inside the `render` event,
 * before the browser may clear its drawing buffer, so the map needs no
 * `preserveDrawingBuffer` (which would slow every frame).
 * @param {MlMap} map
 * @returns {Promise<Blob>}
 */
export function mapPng(map) {
  return new Promise((resolve, reject) => {
    map.once('render', () => {
      try {
        const gl = map.getCanvas();
        const out = document.createElement('canvas');
        out.width = gl.width;
        out.height = gl.height;
        const g = out.getContext('2d');
        if (!g) throw new Error(tr('浏览器不支持画布导出', 'this browser cannot export a canvas'));
        g.drawImage(gl, 0, 0);
        const text = map.getContainer().querySelector('.maplibregl-ctrl-attrib-inner')?.textContent?.trim();
        if (text) {
          const px = Math.round(11 * (gl.width / gl.clientWidth || 1));
          g.font = `${px}px sans-serif`;
          const w = g.measureText(text).width;
          g.fillStyle = 'rgba(255,255,255,0.75)';
          g.fillRect(out.width - w - px, out.height - px * 1.6, w + px, px * 1.6);
          g.fillStyle = '#333';
          g.textBaseline = 'bottom';
          g.fillText(text, out.width - w - px / 2, out.height - px * 0.3);
        }
        out.toBlob((b) => (b ? resolve(b) : reject(new Error(tr('PNG 导出失败', 'PNG export failed')))), 'image/png');
      } catch (e) {
        reject(e);
      }
    });
    map.triggerRepaint();
  });
}

/** Saves a blob as a download. @param {Blob} blob @param {string} name */
export function download(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

/** `wangge-地图-20261201-1405.png` @param {Date} [t] */
export function pngName(t = new Date()) {
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `wangge-${tr('地图', 'map')}-${t.getFullYear()}${p(t.getMonth() + 1)}${p(t.getDate())}-${p(t.getHours())}${p(t.getMinutes())}.png`;
}

/** A button in the map's control group: "导出 PNG". */
export class ExportControl {
  /** @param {(err: unknown) => void} onError */
  constructor(onError) {
    this.onError = onError;
    this.el = document.createElement('div');
    this.el.className = 'maplibregl-ctrl maplibregl-ctrl-group';
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'export-png';
    b.title = tr('导出地图为 PNG', 'Export the map as PNG');
    b.setAttribute('aria-label', b.title);
    b.textContent = 'PNG';
    this.button = b;
    this.el.append(b);
  }

  /** @param {MlMap} map */
  onAdd(map) {
    this.button.onclick = () => mapPng(map).then((blob) => download(blob, pngName())).catch(this.onError);
    return this.el;
  }

  onRemove() { this.el.remove(); }
}
