// @ts-check
/**
 * The legend: one section for every thematic layer or overlay drawn now,
 * as a MapLibre control. The core registers the static themes; a tool panel
 * registers its overlays (heatmap, alliances, …) with `legend.add(entry)`.
 */
import { DEPTH_COLOURS, DEPTH_FALLBACK, HOUSEHOLD_STOPS, CUT_OUTLINE, ASSIGNED_OUTLINE, PROBLEM_KINDS, COLOURS } from './themes.js';
import { tr } from './i18n.js';
import { layerShown } from './toggles.js';

/** @typedef {import('maplibre-gl').Map} MlMap */
/** @typedef {'fill' | 'line' | 'circle' | 'outline'} Shape */
/** @typedef {{ label: string, colour: string, shape?: Shape }} LegendItem */
/**
 * @typedef {Object} LegendEntry
 * @property {string} key stable name, shown as `data-legend`
 * @property {string} title
 * @property {string[]} layers the map layers; the entry shows while any of them is drawn
 * @property {LegendItem[]} [items]
 * @property {[number, string][]} [ramp] a colour ramp: [value, colour] stops
 * @property {string} [unit] what the ramp's values count
 */

/** @param {string} colour @param {Shape} shape */
function mark(colour, shape) {
  const s = document.createElement('span');
  s.className = `swatch swatch-${shape}`;
  s.style.setProperty('--c', colour);
  return s;
}

/**
 * A colour ramp: the stops evenly spaced, each labelled at its place (the map
 * interpolates linearly between neighbouring stops).
 * @param {[number, string][]} stops @param {string} [unit]
 */
function rampEl(stops, unit) {
  const at = (/** @type {number} */ i) => `${(100 * i) / (stops.length - 1)}%`;
  const bar = document.createElement('div');
  bar.className = 'legend-ramp';
  bar.style.background = `linear-gradient(to right, ${stops.map(([, c], i) => `${c} ${at(i)}`).join(', ')})`;
  const labels = document.createElement('div');
  labels.className = 'legend-ramp-labels';
  stops.forEach(([v], i) => {
    const s = document.createElement('span');
    s.textContent = i === stops.length - 1 && unit ? `${v} ${unit}` : String(v);
    s.style.left = at(i);
    labels.append(s);
  });
  const w = document.createElement('div');
  w.className = 'legend-ramp-box';
  w.append(bar, labels);
  return w;
}

/**
 * The legend entries of the static themes.
 * @param {string[]} levels the hierarchy's levels, top first
 * @param {(level: string) => string} levelName
 * @returns {LegendEntry[]}
 */
export function themeLegend(levels, levelName) {
  return [
    { key: 'units', title: tr('网格单元（按层级）', 'Grid units (by level)'), layers: ['units-fill', 'units-line'],
      items: levels.map((l, i) => ({ label: levelName(l), colour: DEPTH_COLOURS[i] || DEPTH_FALLBACK, shape: /** @type {Shape} */ ('outline') })) },
    { key: 'buildings', title: tr('楼栋（按户数）', 'Buildings (by households)'), layers: ['buildings'], ramp: HOUSEHOLD_STOPS, unit: tr('户', ''),
      items: [{ label: tr('被边界切割的楼栋', 'cut by a unit border'), colour: CUT_OUTLINE, shape: 'outline' },
        { label: tr('改划到其他单元的楼栋', 'assigned to another unit by a planner'), colour: ASSIGNED_OUTLINE, shape: 'outline' }] },
    { key: 'cameras', title: tr('摄像头', 'Cameras'), layers: ['cameras'],
      items: [{ label: tr('球机（全向）', 'dome (all round)'), colour: COLOURS.cameraDome, shape: 'circle' },
        { label: tr('枪机', 'fixed'), colour: COLOURS.cameraFixed, shape: 'circle' }] },
    { key: 'camera_views', title: tr('摄像头视域', 'Camera views'), layers: ['camera-views'], items: [{ label: tr('可见范围', 'seen'), colour: COLOURS.cameraView }] },
    { key: 'camera_gaps', title: tr('监控盲区', 'Blind spots'), layers: ['camera-gaps'],
      items: [{ label: tr('无摄像头可见的开放空间', 'open ground no camera sees'), colour: COLOURS.cameraGap }] },
    { key: 'problems', title: tr('完整性问题（按类型）', 'Integrity problems (by kind)'), layers: ['problems-fill'],
      items: PROBLEM_KINDS.map(([, label, colour]) => ({ label, colour })) },
    { key: 'incidents', title: tr('事件', 'Incidents'), layers: ['incidents'], items: [{ label: tr('已登记事件', 'recorded incident'), colour: COLOURS.incident, shape: 'circle' }] },
    { key: 'facilities', title: tr('服务设施', 'Facilities'), layers: ['facilities'],
      items: [{ label: tr('党群服务中心、驿站等', 'service centres, stations…'), colour: COLOURS.facility, shape: 'circle' }] },
  ];
}

/** The legend control (bottom right of the map). */
export class Legend {
  /** @param {LegendEntry[]} entries */
  constructor(entries) {
    /** @type {LegendEntry[]} */
    this.entries = [...entries];
    this.el = document.createElement('div');
    this.el.className = 'maplibregl-ctrl legend';
    this.el.id = 'legend';
    this.el.setAttribute('aria-label', tr('图例', 'Legend'));
    this.el.hidden = true;
    /** @type {MlMap | null} */
    this.map = null;
    this.shown = '';
    this.refresh = this.refresh.bind(this);
  }

  /** Adds (or replaces) an entry, listed before the static themes: a tool's result is what one looks at. @param {LegendEntry} entry */
  add(entry) {
    this.entries = [entry, ...this.entries.filter((e) => e.key !== entry.key)];
    this.refresh();
  }

  /** @param {MlMap} map */
  onAdd(map) {
    this.map = map;
    map.on('styledata', this.refresh);
    map.on('idle', this.refresh);
    return this.el;
  }

  onRemove() {
    this.map?.off('styledata', this.refresh);
    this.map?.off('idle', this.refresh);
    this.el.remove();
    this.map = null;
  }

  /** Redraws the legend when the set of drawn entries changed. */
  refresh() {
    const map = this.map;
    if (!map || !map.isStyleLoaded()) return;
    const zoom = map.getZoom();
    const on = this.entries.flatMap((e) => {
      const shown = e.layers.filter((id) => layerShown(map, id));
      if (!shown.length) return [];
      // switched on but not drawn at this zoom: say from which zoom it is
      const from = Math.min(...shown.map((id) => map.getLayer(id)?.minzoom ?? 0));
      return [{ e, from: zoom < from ? Math.ceil(from) : null }];
    });
    const key = on.map(({ e, from }) => `${e.key}:${e.title}:${from}`).join('|');
    if (key === this.shown) return;
    this.shown = key;
    const body = on.map(({ e, from }) => {
      const s = document.createElement('section');
      s.dataset.legend = e.key;
      const h = document.createElement('h4');
      h.textContent = e.title;
      s.append(h);
      if (from !== null) {
        s.classList.add('legend-later');
        const n = document.createElement('small');
        n.textContent = tr(` 放大到 ${from} 级显示`, ` from zoom ${from}`);
        h.append(n);
      }
      if (e.ramp) s.append(rampEl(e.ramp, e.unit));
      for (const it of e.items || []) {
        const row = document.createElement('div');
        row.append(mark(it.colour, it.shape || 'fill'), it.label);
        s.append(row);
      }
      return s;
    });
    const title = document.createElement('summary');
    title.textContent = tr('图例', 'Legend');
    const box = document.createElement('details');
    box.open = this.el.querySelector('details')?.open ?? true;
    box.append(title, ...body);
    this.el.replaceChildren(box);
    this.el.hidden = on.length === 0;
  }
}
