// @ts-check
/** 完整性检查: the hierarchy check's summary in the left panel. */
import { api } from '../api.js';
import { byId, fmt, h } from '../util.js';

export async function showIntegrity() {
  const s = (await api.check()).summary;
  byId('check-summary').replaceChildren(...[
    `缺口 ${s.gaps} 处，${fmt(s.gap_m2)} m²`, `细缝 ${s.slivers} 处，${fmt(s.sliver_m2, 1)} m²`, `重叠 ${s.overlaps} 对，${fmt(s.overlap_m2, 1)} m²`,
    `超出上级 ${s.outside_parent} 处`, `跨界楼栋 ${s.buildings_cut}，未归属 ${s.buildings_unassigned}`,
    `超出户数标准 ${s.units_over_norm}，低于 ${s.units_under_norm}`,
  ].map((t) => h('div', { text: t })));
}
