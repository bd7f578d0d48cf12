// @ts-check
/**
 * The screen's map: the shared map core (units by level, roads, buildings,
 * camera views and blind spots from our tiles) drawn dark, and the screen's
 * own overlays: the incident heatmap (H3 cells), the live incidents (at most
 * LIVE_KEPT, the oldest dropped), the sensors with their state (an alarm
 * flashes where the sensor is: feature-state `alarm`, one timer for all) and,
 * for a street's sub-center, a mask outside its unit.
 *
 * Nothing here adds a listener or a layer per event: an event changes a
 * feature in a Map and marks the source dirty; one timer writes dirty
 * sources at most every 250 ms.
 */
import { createMap } from '../core/map.js';
import { expr } from '../core/style.js';

/** @typedef {import('maplibre-gl').Map} MlMap */
/** @typedef {import('geojson').Feature} Feature */
/** @typedef {import('geojson').FeatureCollection} FeatureCollection */

/** Live incidents kept on the map; beyond, the oldest go. */
export const LIVE_KEPT = 2000;

export const COLOURS = {
  reported: '#ff5a5a', inHand: '#ffb020', done: '#3ddc97', overdue: '#ff2bd6',
  sensorOk: '#3fb6ff', sensorAlarm: '#ff3030', heatLow: '#1b3b6f', heatHigh: '#ff7a1a',
};

/** Heat cells: incidents per cell → colour. */
const HEAT_STOPS = [[0, 'rgba(27,59,111,0)'], [5, '#1b3b6f'], [20, '#7a3db8'], [60, '#e0457b'], [150, '#ff7a1a'], [400, '#ffe14d']];

/** Dark paint for the core's layers (only those present are changed). */
const DARK = /** @type {[string, string, unknown][]} */ ([
  ['background', 'background-color', '#0a1626'],
  ['roads', 'line-color', '#1d3354'],
  ['buildings', 'fill-color', '#1a2b44'],
  ['buildings', 'fill-outline-color', '#2c4a73'],
  ['units-fill', 'fill-opacity', 0.04],
  ['units-label', 'text-halo-color', '#07111f'],
  ['units-label', 'text-color', '#cfe3ff'],
  ['camera-views', 'fill-color', '#2f8cff'],
  ['camera-views', 'fill-opacity', 0.22],
  ['camera-gaps', 'fill-color', '#ff4d4d'],
  ['camera-gaps', 'fill-opacity', 0.08],
  ['facilities-label', 'text-halo-color', '#07111f'],
]);

/** The statuses of closed cases: the server keeps them in its store only, the map shows the open ones. */
const CLOSED = new Set(['refused', 'resolved', 'evaluated']);

/** A GeoJSON source of features kept by id, written at most every 250 ms when changed. */
class Kept {
  /** @param {MlMap} map @param {string} id @param {number} cap */
  constructor(map, id, cap) {
    this.map = map; this.id = id; this.cap = cap;
    /** @type {Map<string, Feature>} */
    this.features = new Map();
    this.dirty = false;
  }

  /** @param {string} id @param {Feature} f */
  set(id, f) {
    this.features.delete(id); // re-inserted: the newest last
    this.features.set(id, f);
    while (this.features.size > this.cap) {
      const oldest = this.features.keys().next().value;
      if (oldest === undefined) break;
      this.features.delete(oldest);
    }
    this.dirty = true;
  }

  /** @param {string} id */
  delete(id) { if (this.features.delete(id)) this.dirty = true; }

  clear() { this.features.clear(); this.dirty = true; }

  /** Writes the source if it changed; answers whether it did. */
  flush() {
    if (!this.dirty) return false;
    this.dirty = false;
    const src = /** @type {import('maplibre-gl').GeoJSONSource | undefined} */ (this.map.getSource(this.id));
    src?.setData({ type: 'FeatureCollection', features: [...this.features.values()] });
    return true;
  }
}

/** @returns {FeatureCollection} */
const empty = () => ({ type: 'FeatureCollection', features: [] });

/**
 * Creates the dark map with the screen's overlays.
 * @param {{ info: import('../types').LayersInfo, bounds: [number, number, number, number] | null, attribution: string }} o
 */
export function screenMap({ info, bounds, attribution }) {
  const themes = new Set(['units', 'roads', 'buildings', 'camera_views', 'camera_gaps'].filter((t) => info.layers.some((l) => l.name === t)));
  const map = createMap({ container: 'map', info, themes, bounds, attribution });
  const live = new Kept(map, 'screen-live', LIVE_KEPT);
  const sensors = new Kept(map, 'screen-sensors', 100000);
  /** sensor id → alarm, as last set in the feature state */
  const alarmOf = new Map();
  let ready = false;
  let phase = false;

  // the map's type and marks grow with the page's (1 rem = 16 px at 1920×1080, 32 px at 3840×2160)
  const k = (parseFloat(getComputedStyle(document.documentElement).fontSize) || 16) / 16;
  map.on('load', () => {
    for (const [layer, prop, value] of DARK) {
      if (map.getLayer(layer)) map.setPaintProperty(layer, /** @type {any} */ (prop), value);
    }
    if (map.getLayer('units-label')) map.setLayoutProperty('units-label', 'text-size', expr(['match', ['get', 'depth'], 0, 16 * k, 1, 14 * k, 12 * k]));
    if (map.getLayer('units-line')) map.setPaintProperty('units-line', 'line-width', expr(['match', ['get', 'depth'], 0, 3 * k, 1, 2 * k, 2, 1.4 * k, 3, k, 0.6 * k]));
    map.addSource('screen-mask', { type: 'geojson', data: empty() });
    map.addSource('screen-heat', { type: 'geojson', data: empty() });
    map.addSource('screen-live', { type: 'geojson', data: empty() });
    map.addSource('screen-sensors', { type: 'geojson', data: empty(), promoteId: 'id' });
    const before = map.getLayer('units-line') ? 'units-line' : undefined;
    map.addLayer({ id: 'screen-heat', type: 'fill', source: 'screen-heat',
      paint: { 'fill-color': expr(['interpolate', ['linear'], ['get', 'count'], ...HEAT_STOPS.flat()]), 'fill-opacity': 0.55 } }, before);
    map.addLayer({ id: 'screen-mask', type: 'fill', source: 'screen-mask', paint: { 'fill-color': '#020812', 'fill-opacity': 0.78 } });
    map.addLayer({ id: 'screen-live', type: 'circle', source: 'screen-live',
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 11, 3 * k, 16, 8 * k],
        'circle-color': ['case', ['get', 'overdue'], COLOURS.overdue,
          ['match', ['get', 'status'], 'reported', COLOURS.reported, 'resolved', COLOURS.done, 'evaluated', COLOURS.done, COLOURS.inHand]],
        'circle-stroke-color': '#07111f', 'circle-stroke-width': 1, 'circle-opacity': 0.9,
      } });
    // the alarm's halo: drawn only for sensors in alarm, its opacity flipped by one timer
    map.addLayer({ id: 'screen-sensor-pulse', type: 'circle', source: 'screen-sensors',
      paint: { 'circle-radius': 22 * k, 'circle-color': COLOURS.sensorAlarm, 'circle-blur': 0.4,
        'circle-opacity': ['case', ['boolean', ['feature-state', 'alarm'], false], 0.85, 0] } });
    map.addLayer({ id: 'screen-sensors', type: 'circle', source: 'screen-sensors',
      paint: { 'circle-radius': 7 * k, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 * k,
        'circle-color': ['case', ['boolean', ['feature-state', 'alarm'], false], COLOURS.sensorAlarm, COLOURS.sensorOk] } });
    ready = true;
  });

  // one timer: write the changed sources, flash the alarms (only while there are any, so the map can idle)
  const timer = setInterval(() => {
    if (!ready) return;
    live.flush();
    if (sensors.flush()) {
      // feature states again once the features are in the source
      for (const [id, a] of alarmOf) map.setFeatureState({ source: 'screen-sensors', id }, { alarm: a });
    }
    const alarms = [...alarmOf.values()].some(Boolean);
    if (!alarms && !phase) return;
    phase = alarms ? !phase : false;
    map.setPaintProperty('screen-sensor-pulse', 'circle-opacity',
      ['case', ['boolean', ['feature-state', 'alarm'], false], phase ? 0.85 : 0.15, 0]);
    map.setPaintProperty('screen-sensor-pulse', 'circle-radius', (phase ? 22 : 14) * k);
  }, 250);

  const whenReady = new Promise((resolve) => { if (ready) resolve(undefined); else map.once('load', () => resolve(undefined)); });

  return {
    map,
    whenReady,
    /** An open case is drawn; a closed one (refused, resolved, evaluated) leaves the map. @param {import('../types').LiveIncident} v */
    incident(v) {
      if (CLOSED.has(v.status)) { live.delete(v.id); return; }
      live.set(v.id, { type: 'Feature', geometry: { type: 'Point', coordinates: [v.lon, v.lat] },
        properties: { id: v.id, status: v.status, category: v.category, overdue: Boolean(v.overdue) } });
    },
    /** @param {import('../types').LiveIncident[]} list */
    incidents(list) {
      live.clear();
      for (const v of list.filter((x) => !CLOSED.has(x.status)).slice(-LIVE_KEPT)) this.incident(v);
    },
    liveCount: () => live.features.size,
    /** @param {ScreenSensor} s */
    sensor(s) {
      sensors.set(s.id, { type: 'Feature', geometry: { type: 'Point', coordinates: [s.lon, s.lat] },
        properties: { id: s.id, kind: s.kind, name: s.name ?? s.id } });
      alarmOf.set(s.id, Boolean(s.alarm));
      if (ready) map.setFeatureState({ source: 'screen-sensors', id: s.id }, { alarm: Boolean(s.alarm) });
    },
    /** Ids of the sensors in alarm now. */
    alarms: () => [...alarmOf].filter(([, a]) => a).map(([id]) => id),
    /** Whether the map holds sensor `id` in alarm (its feature state). @param {string} id */
    alarmState: (id) => Boolean(ready && map.getFeatureState({ source: 'screen-sensors', id }).alarm),
    /** @param {FeatureCollection} fc */
    heat(fc) {
      /** @type {import('maplibre-gl').GeoJSONSource | undefined} */ (map.getSource('screen-heat'))?.setData(fc);
    },
    /** Darkens everything outside `unit` (a street's sub-center). @param {Feature} unit */
    mask(unit) {
      const g = unit.geometry;
      const rings = g.type === 'Polygon' ? [g.coordinates[0]] : g.type === 'MultiPolygon' ? g.coordinates.map((p) => p[0]) : [];
      const world = [[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]];
      /** @type {import('maplibre-gl').GeoJSONSource | undefined} */ (map.getSource('screen-mask'))?.setData(
        { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [world, ...rings] } });
    },
    stop: () => clearInterval(timer),
  };
}

/** @typedef {{ id: string, kind: string, lon: number, lat: number, name?: string | null, alarm?: boolean }} ScreenSensor */
