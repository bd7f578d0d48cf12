// Shapes of the answers the workbench reads: POST /api/query/area (contract in issue 14, part 2)
// and POST /api/sql, GET /api/sql/schema (part 3). Type declarations only.

import type { Polygon, MultiPolygon } from 'geojson';

export interface Period { from: string; to: string }

/** The body of POST /api/query/area. */
export interface AreaRequest {
  geometry?: Polygon | MultiPolygon;
  unit?: string;
  period?: Period;
  compare?: Period;
  classes?: string[];
}

export interface Hotspot { cell?: string; lon: number; lat: number; z?: number; p?: number; count?: number; class?: string }

export interface IncidentFigures {
  total: number;
  by_class: Record<string, number>;
  by_status: Record<string, number>;
  weekly: { week: string; from: string; count: number }[];
  hotspots: Hotspot[];
}

export interface AreaAnswer {
  area: { unit: string | null; name: string | null; area_m2: number };
  buildings: number; households: number; population: number;
  uncovered: { buildings: number; households: number; population: number; ids: string[] };
  cameras: { count: number; covered_share: number; ids: string[] };
  incidents: IncidentFigures;
  compare: null | {
    period: Period; total: number; by_class: Record<string, number>;
    change: { total: number; by_class: Record<string, number> };
  };
  generated: boolean;
}

/** POST /api/sql */
export interface SqlAnswer {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  truncated: boolean;
  elapsed_ms: number;
}

/** GET /api/sql/schema: the tables and views with their columns, limits and how geometry comes. */
export interface SqlSchema {
  tables: { name: string; kind: string; doc: string; columns: { name: string; type: string; doc: string }[] }[];
  limits?: { default_rows: number; max_rows: number; timeout_ms: number };
  geometry?: string;
}
