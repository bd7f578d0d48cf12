// @ts-check
/** 完整性检查: the hierarchy check's summary in the left panel. */
import { api } from '../api.js';
import { byId, fmt, h } from '../util.js';
import { tr } from '../core/i18n.js';

export async function showIntegrity() {
  const s = (await api.check()).summary;
  byId('check-summary').replaceChildren(...[
    tr(`缺口 ${fmt(s.gaps)} 处，${fmt(s.gap_m2)} m²`, `Gaps: ${fmt(s.gaps)}, ${fmt(s.gap_m2)} m²`),
    tr(`细缝 ${fmt(s.slivers)} 处，${fmt(s.sliver_m2, 1)} m²`, `Slivers: ${fmt(s.slivers)}, ${fmt(s.sliver_m2, 1)} m²`),
    tr(`重叠 ${fmt(s.overlaps)} 对，${fmt(s.overlap_m2, 1)} m²`, `Overlaps: ${fmt(s.overlaps)} pairs, ${fmt(s.overlap_m2, 1)} m²`),
    tr(`超出上级 ${fmt(s.outside_parent)} 处`, `Outside their parent: ${fmt(s.outside_parent)}`),
    tr(`跨界楼栋 ${fmt(s.buildings_cut)}，未归属 ${fmt(s.buildings_unassigned)}`, `Buildings cut by a border: ${fmt(s.buildings_cut)}, in no unit: ${fmt(s.buildings_unassigned)}`),
    tr(`超出户数标准 ${fmt(s.units_over_norm)}，低于 ${fmt(s.units_under_norm)}`, `Over the household norm: ${fmt(s.units_over_norm)}, under: ${fmt(s.units_under_norm)}`),
  ].map((t) => h('div', { text: t })));
}
