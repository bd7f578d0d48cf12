// Shapes of the wangge API's answers that the page reads (only the fields it uses).
// Type declarations only: nothing here runs in the browser.

import type { FeatureCollection } from 'geojson';

export interface LayerInfo { name: string; version: number | null; features: number; generated: boolean; tiles: string }
export interface LayersInfo { data_version: string | number; levels: string[]; bounds: [number, number, number, number]; layers: LayerInfo[] }

export interface UnitSummary {
  id: string; name: string; level: string; parent_id: string | null;
  households: number; population: number; buildings: number; incidents: number; children: number;
  area_m2: number; generated: boolean; load_status: string;
}
export interface UnitDetail extends Omit<UnitSummary, 'children'> {
  chain: { id: string; name: string; level: string }[];
  children: UnitSummary[];
  norm: { min_households: number; max_households: number } | null;
  integrity: { gap_m2: number; sliver_m2: number; outside_parent_m2: number; overlaps: { a: string; b: string; area_m2: number }[] };
  /** [minlon, minlat, maxlon, maxlat] when the server sends it (newer servers). */
  bbox?: [number, number, number, number];
}
export interface UnitCoverage {
  unit: { cameras: number; cameras_per_km2: number; ground_share: number; facade_share: number; buildings_unseen: number; households_unseen: number };
}
export interface UnitIncidents {
  trend: { last: number | null; change_pct: number | null };
  resolution: { share_building_grid: number; share_grid: number; share_community: number };
}
export interface CheckReport {
  summary: {
    gaps: number; gap_m2: number; slivers: number; sliver_m2: number; overlaps: number; overlap_m2: number;
    outside_parent: number; buildings_cut: number; buildings_unassigned: number; units_over_norm: number; units_under_norm: number;
  };
}
export interface Adjacency {
  units: number; tolerance_m: number;
  counts: { pairs: number; rook: number; queen: number; same_parent: number; cross_parent: number; isolated: number };
  isolated: { name: string }[];
  pairs: { a_name: string; b_name: string; shared_m: number; meet_level: string | null }[];
}
export interface AllianceProposal {
  level: string; weight: 'population' | 'households' | 'units'; geojson: FeatureCollection;
  mean_weight: number; max_deviation: number; mean_polsby_popper: number; min_polsby_popper: number; problems: string[];
  groups: { group: number; members: string[]; weight: number; deviation: number; polsby_popper: number; straddles: boolean }[];
}
export interface AbPairs {
  level: string; units: number; within_parent: boolean; total_shared_m: number;
  pairs: { a_name: string; b_name: string; shared_m: number; distance_m: number }[];
  unmatched: { name: string; fallback: { kind: 'triple' | 'cross_parent' | 'none'; names: string[] } }[];
}
export interface Siting {
  geojson: FeatureCollection; before_share: number; after_share: number; candidates: number; sample_step_m: number;
  proposals: { rank: number; heading: number; gain_m2: number; gain_households: number; on_roof: boolean }[];
}
export interface HighPoints {
  geojson: FeatureCollection; unit_name: string; covers_all: boolean; share: number; uncovered_m2: number;
  cameras: { building: string; roof_m: number; view_m2: number }[];
}
export interface Hotspots {
  res: number; k: number; incidents: number; generated: boolean; hot: number; cold: number;
  cells: { cell: string; count: number; z: number; q: number; class: 'hot' | 'cold' | 'none' }[];
}
export interface LiveIncident { id: string; lon: number; lat: number; status: string; category: string; overdue?: boolean }
export interface Kpi {
  open: number; overdue: number; incidents: number; satisfaction_mean: number | null;
  share_building_grid: number | null; share_grid: number | null; share_community: number | null; share_above_community: number | null;
}
/** GET /api/taxonomy: the parsed data/taxonomy.json (only the part the page reads). */
export interface Taxonomy { classes: { name: string; items: string[] }[] }
/** GET /api/me: who the caller is, what they may see (bounds of their jurisdiction) and do. */
export interface Me {
  name: string; role: string; role_label: string; unit: string | null; unit_name: string | null; department: string | null;
  /** open local mode: a store with no users, everyone is admin */
  open: boolean;
  /** [w, s, e, n] of the jurisdiction (the whole store when it has none) */
  bounds: [number, number, number, number] | null;
  actions: string[];
}
