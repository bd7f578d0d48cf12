// @ts-check
/**
 * The thematic layers of the shared map: for each, its label, the MapLibre
 * layer ids drawing it and its colours. The style (style.js) and the legend
 * (legend.js) both read the colours from here, so they cannot disagree.
 */
import { tr } from './i18n.js';

/** @typedef {{ label: string, layers: string[], offAtStart?: boolean }} Theme */

/** Theme name (= tile layer name) → label and map layers, in the order of the layer list. */
export const THEMES = /** @type {Record<string, Theme>} */ ({
  units: { label: tr('网格单元', 'Grid units'), layers: ['units-fill', 'units-line', 'units-label'] },
  buildings: { label: tr('楼栋', 'Buildings'), layers: ['buildings'] },
  cameras: { label: tr('摄像头', 'Cameras'), layers: ['cameras'] },
  facilities: { label: tr('服务设施', 'Facilities'), layers: ['facilities', 'facilities-label'] },
  incidents: { label: tr('事件', 'Incidents'), layers: ['incidents'] },
  roads: { label: tr('道路', 'Roads'), layers: ['roads'] },
  problems: { label: tr('完整性问题', 'Integrity problems'), layers: ['problems-fill', 'problems-line'] },
  camera_views: { label: tr('摄像头视域', 'Camera views'), layers: ['camera-views'], offAtStart: true },
  camera_gaps: { label: tr('监控盲区', 'Blind spots'), layers: ['camera-gaps'], offAtStart: true },
});

/** Colour of a unit by its depth in the hierarchy (0 = the top level). */
export const DEPTH_COLOURS = ['#17324d', '#2b6cb0', '#2f855a', '#b7791f', '#9b2c2c', '#6b46c1'];
export const DEPTH_FALLBACK = '#444';

/** Building fill by households: [households, colour] stops, interpolated. */
export const HOUSEHOLD_STOPS = /** @type {[number, string][]} */ ([[0, '#cbd5e0'], [100, '#718096'], [300, '#2d3748']]);
export const CUT_OUTLINE = '#e53e3e';
/** Outline of a building a planner assigned to a unit other than the one its footprint lies in. */
export const ASSIGNED_OUTLINE = '#6b46c1';

/** Integrity problems by kind: [kind, label, fill colour]. */
export const PROBLEM_KINDS = /** @type {[string, string, string][]} */ ([
  ['gap', tr('缺口', 'gap'), '#e53e3e'], ['sliver', tr('细缝', 'sliver'), '#ed8936'], ['overlap', tr('重叠', 'overlap'), '#805ad5'],
  ['outside_parent', tr('超出上级', 'outside the parent'), '#d53f8c'],
]);

export const COLOURS = {
  background: '#e9eef2',
  road: '#fff',
  cameraView: '#3182ce',
  cameraGap: '#e53e3e',
  incident: '#dd6b20',
  cameraDome: '#3182ce',
  cameraFixed: '#2c5282',
  facility: '#38a169',
};
