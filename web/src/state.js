// @ts-check
/**
 * The page's state, in one object that main.js creates and passes to every
 * panel: which themes and levels are drawn, which unit is open, the incident
 * categories. Panels change it and call `emit`; whoever cares (the URL hash,
 * the legend) listens with `on`. Nothing else is kept in globals.
 */

/** @typedef {'layers' | 'levels' | 'unit'} Change */
/**
 * @typedef {Object} PageState
 * @property {import('./types').LayersInfo} info what /api/layers said
 * @property {Set<string>} layers the themes (THEMES keys) switched on
 * @property {Set<string>} levels the unit levels drawn
 * @property {string | null} unit the unit whose panel is open
 * @property {string | number | null} unitFeature the map feature highlighted for it
 * @property {string[]} categories incident categories for the filters
 * @property {(change: Change, fn: () => void) => void} on
 * @property {(change: Change) => void} emit
 */
/** @typedef {{ map: import('maplibre-gl').Map, state: PageState, legend: import('./core/legend.js').Legend }} Page */

/**
 * @param {import('./types').LayersInfo} info
 * @param {Set<string>} layers
 * @returns {PageState}
 */
export function createState(info, layers) {
  const events = new EventTarget();
  return {
    info,
    layers,
    levels: new Set(info.levels),
    unit: null,
    unitFeature: null,
    categories: [],
    on: (change, fn) => events.addEventListener(change, () => fn()),
    emit: (change) => { events.dispatchEvent(new Event(change)); },
  };
}
