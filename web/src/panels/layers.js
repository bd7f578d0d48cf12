// @ts-check
/** The layer list (图层) and the level list (层级) in the left panel. */
import { THEMES, DEPTH_COLOURS, DEPTH_FALLBACK } from '../core/themes.js';
import { setThemeVisible, setLevelFilter } from '../core/toggles.js';
import { byId, fmt, h, levelName } from '../util.js';
import { tr } from '../core/i18n.js';

/** @typedef {import('../state.js').Page} Page */

/** Builds the theme checkboxes. @param {Page} page */
export function setupLayerList({ map, state }) {
  const list = byId('layer-list');
  for (const l of state.info.layers) {
    if (!THEMES[l.name] || (l.features === 0 && l.name !== 'problems')) continue;
    const box = h('input');
    box.type = 'checkbox';
    box.checked = state.layers.has(l.name);
    box.dataset.layer = l.name;
    box.addEventListener('change', () => {
      if (box.checked) state.layers.add(l.name); else state.layers.delete(l.name);
      setThemeVisible(map, l.name, box.checked);
      state.emit('layers');
    });
    const label = h('label', {}, box, ` ${THEMES[l.name].label} (${fmt(l.features)})`);
    if (l.generated) label.append(h('span', { className: 'badge', text: tr('生成数据', 'generated') }));
    list.append(label);
  }
}

/**
 * Draws exactly these themes (from the URL hash), ticking their boxes.
 * @param {Page} page @param {Iterable<string>} themes
 */
export function showThemes({ map, state }, themes) {
  const want = new Set([...themes].filter((t) => THEMES[t]));
  for (const t of Object.keys(THEMES)) setThemeVisible(map, t, want.has(t));
  for (const box of byId('layer-list').querySelectorAll('input')) box.checked = want.has(box.dataset.layer || '');
  state.layers = want;
  state.emit('layers');
}

/** Builds the level checkboxes. @param {Page} page */
export function setupLevelList({ map, state }) {
  const levels = byId('level-list');
  state.info.levels.forEach((lv, depth) => {
    const box = h('input');
    box.type = 'checkbox';
    box.checked = state.levels.has(lv);
    box.dataset.level = lv;
    box.addEventListener('change', () => {
      if (box.checked) state.levels.add(lv); else state.levels.delete(lv);
      setLevelFilter(map, state.info.levels.filter((x) => state.levels.has(x)));
      state.emit('levels');
    });
    const sw = h('span', { className: 'swatch swatch-fill', style: `--c:${DEPTH_COLOURS[depth] || DEPTH_FALLBACK};margin:0 4px` });
    levels.append(h('label', {}, box, sw, levelName(lv)));
  });
}
