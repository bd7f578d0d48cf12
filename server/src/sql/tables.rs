//! The tables and views the SQL sandbox offers, as data: their DDL
//! (`super::sandbox` creates them from it), `GET /api/sql/schema` and
//! `docs/SQL.md` (generated from [`markdown`], checked by a test) come
//! from this one list, so the documentation cannot drift from what exists.

use serde::Serialize;

/// One column: its name, DuckDB type and meaning.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Col {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub doc: &'static str,
}

/// One table (or view) of the sandbox.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Table {
    pub name: &'static str,
    /// `table` or `view`.
    pub kind: &'static str,
    pub doc: &'static str,
    pub columns: &'static [Col],
}

const fn c(name: &'static str, ty: &'static str, doc: &'static str) -> Col {
    Col { name, ty, doc }
}

const UNIT_ID: Col = c("unit_id", "VARCHAR", "the deepest unit holding it (NULL: in none)");
const UNITS: Col = c("units", "VARCHAR[]", "ids of the units holding it, from the top level down");
const LON: Col = c("lon", "DOUBLE", "longitude, WGS84");
const LAT: Col = c("lat", "DOUBLE", "latitude, WGS84");

/// Columns of the live and loaded incident tables (the `incidents` view is both).
const INCIDENT_COLS: [Col; 12] = [
    c("id", "VARCHAR", "incident id"),
    c("category", "VARCHAR", "category (the taxonomy's class)"),
    c("item", "VARCHAR", "item within the category, if given"),
    c("status", "VARCHAR", "lifecycle status (reported, accepted, dispatched, … closed) or the loaded file's status"),
    c("occurred_at", "TIMESTAMP", "when it happened (UTC)"),
    c("received_at", "TIMESTAMP", "when the server received it (UTC; NULL for loaded incidents)"),
    c("resolved_level", "VARCHAR", "the level that resolved it (live incidents that are resolved)"),
    c("generated", "BOOLEAN", "carries the generated label (生成数据)"),
    UNIT_ID,
    UNITS,
    LON,
    LAT,
];

/// Columns of the `incidents` view: its `source`, then the incident tables' own.
const INCIDENTS_VIEW_COLS: [Col; 13] = {
    let mut cols = [c("source", "VARCHAR", "loaded or live"); 13];
    let mut k = 0;
    while k < INCIDENT_COLS.len() {
        cols[k + 1] = INCIDENT_COLS[k];
        k += 1;
    }
    cols
};

/// Every table and view, in the order they are created.
pub const TABLES: &[Table] = &[
    Table {
        name: "units",
        kind: "table",
        doc: "Units of the grid hierarchy (district, street, community, grid, …) inside the jurisdiction.",
        columns: &[
            c("id", "VARCHAR", "unit id, as loaded"),
            c("name", "VARCHAR", "name"),
            c("level", "VARCHAR", "level name (the hierarchy is data: any depth, any names)"),
            c("parent_id", "VARCHAR", "the parent unit (NULL at the top)"),
            c("depth", "INTEGER", "0 at the top level"),
            c("households", "BIGINT", "households of the buildings assigned to it (its whole subtree)"),
            c("population", "BIGINT", "population of the buildings assigned to it (its whole subtree)"),
            c("buildings", "BIGINT", "buildings assigned to it (its whole subtree)"),
            c("area_m2", "DOUBLE", "area in m² (local metric projection)"),
            c("generated", "BOOLEAN", "carries the generated label (生成数据)"),
            c("lon", "DOUBLE", "longitude of a point inside the unit (WGS84)"),
            c("lat", "DOUBLE", "latitude of a point inside the unit (WGS84)"),
            c("geometry", "BLOB", "the (multi)polygon as WKB, WGS84; hex in JSON answers"),
        ],
    },
    Table {
        name: "unit_tree",
        kind: "table",
        doc: "Every unit with each unit above it (and itself at distance 0): join on ancestor_id to take a subtree.",
        columns: &[
            c("unit_id", "VARCHAR", "a unit"),
            c("ancestor_id", "VARCHAR", "the unit itself or one above it"),
            c("ancestor_level", "VARCHAR", "the ancestor's level"),
            c("distance", "INTEGER", "levels between them (0: the unit itself)"),
        ],
    },
    Table {
        name: "buildings",
        kind: "table",
        doc: "Buildings (楼栋) whose assigned leaf unit is inside the jurisdiction.",
        columns: &[
            c("id", "VARCHAR", "building id"),
            UNIT_ID,
            UNITS,
            c("households", "INTEGER", "households (NULL: not given)"),
            c("population", "INTEGER", "population (NULL: not given)"),
            c("floors", "INTEGER", "floors (NULL: not given)"),
            c("height_m", "DOUBLE", "height in metres (NULL: not given)"),
            c("area_m2", "DOUBLE", "footprint area in m² (local metric projection)"),
            c("lon", "DOUBLE", "longitude of a point inside the footprint (WGS84)"),
            c("lat", "DOUBLE", "latitude of a point inside the footprint (WGS84)"),
            c("geometry", "BLOB", "the footprint as WKB, WGS84; hex in JSON answers"),
        ],
    },
    Table {
        name: "cameras",
        kind: "table",
        doc: "Cameras located inside the jurisdiction.",
        columns: &[
            c("id", "VARCHAR", "camera id"),
            c("kind", "VARCHAR", "dome or fixed"),
            c("heading_deg", "DOUBLE", "compass heading of the view's centre (0 north, 90 east)"),
            c("fov_deg", "DOUBLE", "field of view in degrees (a dome sees 360)"),
            c("range_m", "DOUBLE", "how far it sees, metres"),
            c("height_m", "DOUBLE", "mounting height, metres"),
            UNIT_ID,
            UNITS,
            LON,
            LAT,
        ],
    },
    Table {
        name: "facilities",
        kind: "table",
        doc: "Service facilities (党群服务中心, 先锋驿站, …) located inside the jurisdiction.",
        columns: &[c("id", "VARCHAR", "facility id"), c("kind", "VARCHAR", "kind"), c("name", "VARCHAR", "name"), UNIT_ID, UNITS, LON, LAT],
    },
    Table {
        name: "loaded_incidents",
        kind: "table",
        doc: "Incidents of the loaded incidents layer inside the jurisdiction.",
        columns: &INCIDENT_COLS,
    },
    Table {
        name: "live_incidents",
        kind: "table",
        doc: "Incidents reported over HTTP inside the jurisdiction, refreshed before each query when they changed.",
        columns: &INCIDENT_COLS,
    },
    Table {
        name: "incidents",
        kind: "view",
        doc: "Loaded and live incidents together; `source` tells which.",
        columns: &INCIDENTS_VIEW_COLS,
    },
    Table {
        name: "sensors",
        kind: "table",
        doc: "Sensors (gas, water, smoke, …) located inside the jurisdiction, with their last reading, refreshed before each query when they changed.",
        columns: &[
            c("id", "VARCHAR", "sensor id"),
            c("kind", "VARCHAR", "kind (the taxonomy's sensor kinds)"),
            c("name", "VARCHAR", "name, if given"),
            c("measure", "VARCHAR", "the unit its readings are in (ppm, m, …)"),
            c("min", "DOUBLE", "the kind's lower threshold (NULL: none)"),
            c("max", "DOUBLE", "the kind's upper threshold (NULL: none)"),
            c("last_at", "TIMESTAMP", "when the last reading was taken (UTC; NULL: none yet)"),
            c("last_value", "DOUBLE", "the last reading"),
            c("alarm", "BOOLEAN", "the last reading is past a threshold"),
            c("breach", "VARCHAR", "which threshold and by how much, when in alarm"),
            c("incident_id", "VARCHAR", "the incident its last breach opened (NULL: none)"),
            UNIT_ID,
            UNITS,
            LON,
            LAT,
        ],
    },
    Table {
        name: "coverage",
        kind: "table",
        doc: "Camera coverage per unit (2.5D, the figures of GET /api/coverage/cameras).",
        columns: &[
            c("unit_id", "VARCHAR", "the unit"),
            c("name", "VARCHAR", "its name"),
            c("level", "VARCHAR", "its level"),
            c("ground_m2", "DOUBLE", "open ground (not under buildings), m²"),
            c("covered_m2", "DOUBLE", "open ground some camera sees, m²"),
            c("ground_share", "DOUBLE", "covered_m2 / ground_m2"),
            c("facade_m", "DOUBLE", "building facades, metres of wall"),
            c("facade_seen_m", "DOUBLE", "facades some camera sees, metres"),
            c("facade_share", "DOUBLE", "facade_seen_m / facade_m"),
            c("buildings", "BIGINT", "buildings"),
            c("buildings_unseen", "BIGINT", "buildings no camera sees"),
            c("households_unseen", "BIGINT", "households in buildings no camera sees"),
            c("cameras", "BIGINT", "cameras inside the unit"),
            c("area_m2", "DOUBLE", "area of the unit, m²"),
            c("cameras_per_km2", "DOUBLE", "cameras per km²"),
        ],
    },
];

/// `CREATE` statements of the base tables (the `incidents` view is [`INCIDENTS_VIEW`]).
pub fn ddl() -> String {
    TABLES
        .iter()
        .filter(|t| t.kind == "table")
        .map(|t| {
            let cols: Vec<String> = t.columns.iter().map(|c| format!("{} {}", c.name, c.ty)).collect();
            format!("CREATE TABLE {} ({});\n", t.name, cols.join(", "))
        })
        .collect()
}

/// The `incidents` view: loaded and live incidents with their source.
pub const INCIDENTS_VIEW: &str = "CREATE VIEW incidents AS \
     SELECT 'loaded' AS source, * FROM loaded_incidents UNION ALL SELECT 'live' AS source, * FROM live_incidents;";

/// The tables as `docs/SQL.md` shows them.
pub fn markdown() -> String {
    let mut s = String::from(include_str!("sql_doc_head.md"));
    for t in TABLES {
        s.push_str(&format!("\n### `{}` ({})\n\n{}\n\n| column | type | meaning |\n|---|---|---|\n", t.name, t.kind, t.doc));
        for c in t.columns {
            s.push_str(&format!("| `{}` | {} | {} |\n", c.name, c.ty, c.doc));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn sql_doc_is_the_table_list_in_the_code() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/SQL.md");
        let want = super::markdown();
        if std::env::var_os("WANGGE_WRITE_SQL_DOC").is_some() {
            std::fs::write(&path, &want).expect("write docs/SQL.md");
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(have == want, "docs/SQL.md is out of date: run WANGGE_WRITE_SQL_DOC=1 cargo test -p wangge --lib sql_doc");
    }
}
