// @ts-check
/**
 * The offline map page (offline.html; index.html of `wangge export --format site`):
 * the shared map core on PMTiles archives read through the `pmtiles` protocol,
 * with no wangge server. The archives come from `?pmtiles=URL[,URL]`, else from
 * the folder's `site.json`, or from local files chosen with the file picker
 * (read in the browser: no server at all). An archive whose layers are the
 * basemap's (`land`, `water`, …) is drawn under the others; the data layers
 * get the main map's style. Every request stays on the page's own origin (an archive URL
 * elsewhere is refused).
 */
import { PMTiles, Protocol, FileSource } from 'pmtiles';
import { createMap, defaultThemes, maplibregl } from '../core/map.js';
import { buildStyle } from '../core/style.js';
import { STATIC_LAYERS } from '../core/sources.js';
import { THEMES } from '../core/themes.js';
import { setThemeVisible } from '../core/toggles.js';
import { languageSwitch, messages, translatePage, tr } from '../core/i18n.js';
import { basemapLayers, basemapAttribution, BASEMAP_LAYERS } from './basemap.js';

const T = messages({
  zh: {
    choose: '请选择 .pmtiles 文件（或以 ?pmtiles=地址 打开）', none: '没有可显示的档案', ready: '离线 · {n} 个档案 · 数据版本 {v}',
    failed: '无法打开 {name}：{err}', basemap: '底图（陆地、水域、道路、地名）', generated: '生成数据', tiles: '{name}：{layers}',
  },
  en: {
    choose: 'Choose .pmtiles files (or open with ?pmtiles=URL)', none: 'No archive to show', ready: 'Offline · {n} archives · data version {v}',
    failed: 'Cannot open {name}: {err}', basemap: 'Basemap (land, water, roads, places)', generated: 'generated', tiles: '{name}: {layers}',
  },
});

/** The basemap archive's layers: an archive with any of these is a basemap. */
const BASEMAP_SOURCE_LAYERS = ['land', 'water'];

/**
 * One opened archive.
 * @typedef {{ id: string, name: string, url: string, layers: string[], basemap: boolean,
 *             bounds: [number, number, number, number], version: string, generated: boolean, attribution: string }} Archive
 */

const protocol = new Protocol({ metadata: true });
maplibregl.addProtocol('pmtiles', protocol.tile);

/** @param {string} id @returns {HTMLElement} */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** The folder of the page, with its trailing slash (glyphs and archives are found from here). */
const folder = () => location.href.replace(/[?#].*$/, '').replace(/[^/]*$/, '');

/**
 * Opens an archive: a URL (relative to the page) or a local file.
 * @param {string | File} from @param {number} i
 * @returns {Promise<Archive>}
 */
async function open(from, i) {
  let src;
  if (typeof from === 'string') {
    const url = new URL(from, folder());
    if (url.origin !== location.origin) {
      throw new Error(tr(`只打开本站的瓦片包：${url.href} 不在 ${location.origin}`, `only archives of this site are opened: ${url.href} is not on ${location.origin}`));
    }
    src = url.href;
  } else src = new FileSource(from);
  const p = new PMTiles(src);
  protocol.add(p);
  const [h, meta] = await Promise.all([p.getHeader(), p.getMetadata()]);
  const m = /** @type {{ vector_layers?: { id: string }[], name?: string, version?: unknown, generated?: boolean, attribution?: string }} */ (meta ?? {});
  const layers = (m.vector_layers ?? []).map((l) => l.id);
  return {
    id: `a${i}`,
    name: typeof from === 'string' ? from : from.name,
    url: `pmtiles://${p.source.getKey()}`,
    layers,
    basemap: layers.some((l) => BASEMAP_SOURCE_LAYERS.includes(l)),
    bounds: [h.minLon, h.minLat, h.maxLon, h.maxLat],
    version: m.version === undefined ? '' : String(m.version),
    generated: Boolean(m.generated),
    attribution: m.attribution ?? '',
  };
}

/**
 * The archives the page was asked for: `?pmtiles=`, else the folder's site.json.
 * @returns {Promise<string[]>}
 */
async function asked() {
  const q = new URLSearchParams(location.search).get('pmtiles');
  if (q) return q.split(',').map((s) => s.trim()).filter(Boolean);
  const r = await fetch(new URL('site.json', folder()).href).catch(() => null);
  if (!r || !r.ok) return [];
  const site = /** @type {{ archives?: string[], basemap?: string }} */ (await r.json());
  return [...(site.basemap ? [site.basemap] : []), ...(site.archives ?? [])];
}

/**
 * The union of boxes.
 * @param {[number, number, number, number][]} boxes
 * @returns {[number, number, number, number]}
 */
function union(boxes) {
  return boxes.reduce((a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])]);
}

/**
 * The style of the archives: the main map's style for the data layers (each from the archive
 * that holds it), the basemap under them, glyphs from the page's folder.
 * @param {Archive[]} archives @param {import('../types').LayersInfo} info @param {Set<string>} themes
 * @returns {import('maplibre-gl').StyleSpecification}
 */
export function offlineStyle(archives, info, themes) {
  const style = buildStyle(info, themes);
  const data = archives.filter((a) => !a.basemap);
  /** @type {Record<string, import('maplibre-gl').VectorSourceSpecification>} */
  const sources = {};
  // the basemap's attribution is the page's own, in its language (basemapAttribution)
  for (const a of archives) sources[a.id] = { type: 'vector', url: a.url, ...(a.attribution && !a.basemap ? { attribution: a.attribution } : {}) };
  const layers = style.layers.map((l) => {
    if (!('source-layer' in l) || !l['source-layer']) return l;
    const from = data.find((a) => a.layers.includes(/** @type {string} */ (l['source-layer'])));
    return from ? { ...l, source: from.id } : l;
  });
  const base = archives.filter((a) => a.basemap).flatMap((a) => basemapLayers(a.id));
  return { ...style, glyphs: `${folder()}fonts/{fontstack}/{range}.pbf`, sources, layers: [layers[0], ...base, ...layers.slice(1)] };
}

/** @type {import('maplibre-gl').Map | null} */
let map = null;

/**
 * Draws the archives (replacing what was drawn).
 * @param {(string | File)[]} from
 */
async function show(from) {
  const status = byId('status');
  /** @type {Archive[]} */
  const archives = [];
  for (const [i, f] of from.entries()) {
    try {
      archives.push(await open(f, i));
    } catch (e) {
      status.textContent = T('failed', { name: typeof f === 'string' ? f : f.name, err: e instanceof Error ? e.message : String(e) });
      return;
    }
  }
  if (!archives.length) {
    status.textContent = T('none');
    return;
  }
  const data = archives.filter((a) => !a.basemap);
  const names = [...new Set(data.flatMap((a) => a.layers))].filter((n) => STATIC_LAYERS.includes(n));
  const generated = data.some((a) => a.generated);
  /** @type {import('../types').LayersInfo} */
  const info = {
    data_version: data.map((a) => a.version).join(',') || '—',
    levels: [],
    bounds: union((data.length ? data : archives).map((a) => a.bounds)),
    layers: names.map((name) => ({ name, version: null, features: 1, generated, tiles: '' })),
  };
  const themes = defaultThemes(info);
  map?.remove();
  const attribution = [
    ...(archives.some((a) => a.basemap) ? [basemapAttribution()] : []),
    ...(generated ? [tr('生成图层仅为演示（生成数据）', 'Generated layers are for the demo only (generated data)')] : []),
  ].join(' · ');
  map = createMap({ container: 'map', info, themes, style: offlineStyle(archives, info, themes), attribution });
  Object.assign(window, { wanggeMap: map, wanggeArchives: archives });
  layerList(map, info, themes, archives.some((a) => a.basemap), generated);
  const list = byId('archives');
  list.replaceChildren(...archives.map((a) => {
    const li = document.createElement('li');
    li.textContent = T('tiles', { name: a.name, layers: a.layers.join(', ') });
    return li;
  }));
  map.on('idle', () => { status.textContent = T('ready', { n: archives.length, v: info.data_version }); });
}

/**
 * The layer switches: the themes the archives hold and the basemap.
 * @param {import('maplibre-gl').Map} m @param {import('../types').LayersInfo} info @param {Set<string>} themes
 * @param {boolean} hasBasemap @param {boolean} generated
 */
function layerList(m, info, themes, hasBasemap, generated) {
  /** @param {string} label @param {boolean} on @param {(on: boolean) => void} set @param {boolean} gen @param {string} key */
  const row = (label, on, set, gen, key) => {
    const l = document.createElement('label');
    l.dataset.layer = key;
    const c = document.createElement('input');
    c.type = 'checkbox';
    c.checked = on;
    c.onchange = () => set(c.checked);
    l.append(c, ` ${label}`);
    if (gen) {
      const b = document.createElement('span');
      b.className = 'badge';
      b.textContent = T('generated');
      l.append(b);
    }
    return l;
  };
  const rows = info.layers.filter((l) => THEMES[l.name]).map((l) =>
    row(THEMES[l.name].label, themes.has(l.name), (on) => setThemeVisible(m, l.name, on), generated && l.name !== 'problems', l.name));
  if (hasBasemap) {
    rows.push(row(T('basemap'), true, (on) => {
      for (const id of BASEMAP_LAYERS) if (m.getLayer(id)) m.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
    }, false, 'basemap'));
  }
  byId('layer-list').replaceChildren(...rows);
}

async function main() {
  translatePage();
  document.title = tr('网格 · 离线地图', 'wangge · offline map');
  byId('lang').replaceWith(languageSwitch());
  const pick = /** @type {HTMLInputElement} */ (byId('pick'));
  pick.onchange = () => {
    if (pick.files?.length) show([...pick.files]).catch((e) => console.warn(e));
  };
  const from = await asked();
  if (from.length) await show(from);
  else byId('status').textContent = T('choose');
}

main().catch((e) => { byId('status').textContent = e instanceof Error ? e.message : String(e); });
