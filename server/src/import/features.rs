//! Validation of each layer's features: the fields each layer needs, their types and ranges,
//! every problem recorded with the feature and the field it concerns.

use geo::Point;
use wangge_engine::geometry::validate::lonlat_in_range;
use wangge_engine::model::{Building, Camera, CameraKind, CameraView, Facility, Incident, Level, Metres, Road, Unit, UnitId};
use wangge_engine::units::hierarchy::{Hierarchy, HierarchyError, infer_parents, outside_parents};

use super::coords::Geom;
use super::geometry::{areal, lines, point};
use super::{Ctx, Layer, Raw};
use wangge_engine::time::parse_time;

/// The point of a point feature: its geometry, or its lon/lat fields.
pub(super) fn located(ctx: &mut Ctx, raw: &Raw, id: &Option<String>) -> Option<Point<f64>> {
    if let Some(g) = &raw.geometry {
        return match point(g, &ctx.crs) {
            Ok(p) => Some(p),
            Err(e) => {
                ctx.err(raw, id, Some("geometry"), e);
                None
            }
        };
    }
    let lon = ctx.number(raw, id, "lon").ok()?;
    let lat = ctx.number(raw, id, "lat").ok()?;
    match (lon, lat) {
        (Some(x), Some(y)) if lonlat_in_range(x, y) || ctx.crs.is_projected() => match ctx.crs.to_wgs84(x, y) {
            Ok((x, y)) => Some(Point::new(x, y)),
            Err(e) => {
                ctx.err(raw, id, Some("lon"), e);
                None
            }
        },
        (Some(x), Some(y)) => {
            // name the value that is out of range
            let field = if x.is_finite() && (-180.0..=180.0).contains(&x) { "lat" } else { "lon" };
            ctx.err(raw, id, Some(field), format!("coordinate out of range: [{x}, {y}]"));
            None
        }
        (Some(_), None) => {
            ctx.err(raw, id, Some("lat"), "missing latitude (lon is given)");
            None
        }
        (None, Some(_)) => {
            ctx.err(raw, id, Some("lon"), "missing longitude (lat is given)");
            None
        }
        (None, None) => {
            ctx.err(raw, id, Some("geometry"), "no geometry and no lon/lat values");
            None
        }
    }
}

pub(super) fn need_geometry<'r>(ctx: &mut Ctx, raw: &'r Raw, id: &Option<String>) -> Option<&'r Geom> {
    if raw.geometry.is_none() {
        ctx.err(raw, id, Some("geometry"), "missing geometry");
    }
    raw.geometry.as_ref()
}

pub(super) fn units(ctx: &mut Ctx, raws: &[Raw], ids: &[Option<String>]) -> Layer {
    let mut out = Vec::new();
    let mut index_of = Vec::new();
    for (raw, id) in raws.iter().zip(ids) {
        let level = ctx.string(raw, "level");
        if level.is_none() {
            ctx.err(raw, id, Some("level"), "missing level");
        }
        let geometry = need_geometry(ctx, raw, id).and_then(|g| match areal(g, &ctx.crs) {
            Ok(m) => Some(m),
            Err(e) => {
                ctx.err(raw, id, Some("geometry"), e);
                None
            }
        });
        let (Some(i), Some(level), Some(geometry)) = (id.clone(), level, geometry) else { continue };
        out.push(Unit {
            name: ctx.string(raw, "name").unwrap_or_else(|| i.clone()),
            id: UnitId(i),
            parent: ctx.string(raw, "parent_id").map(UnitId),
            level: Level(level),
            geometry,
            attributes: ctx.attributes(raw, &["id", "parent_id", "level", "name"]),
        });
        index_of.push(raw.index);
    }
    if !ctx.errors.is_empty() {
        return Layer::Units(out);
    }
    let mut herr = infer_parents(&mut out);
    if herr.is_empty() {
        herr = match Hierarchy::build(out.clone()) {
            Err(e) => e,
            Ok(h) => outside_parents(&h),
        };
    }
    for e in herr {
        let (i, field, problem) = match &e {
            HierarchyError::DuplicateId { index, first, .. } => {
                (*index, "id", format!("duplicate id, first used by feature {}", index_of[*first]))
            }
            HierarchyError::MissingParent { index, parent, .. } => {
                (*index, "parent_id", format!("missing parent: no unit has id {parent}"))
            }
            HierarchyError::OwnParent { index, .. } => (*index, "parent_id", "parent_id is the unit's own id".into()),
            HierarchyError::Cycle { index, path, .. } => {
                (*index, "parent_id", format!("cycle in parents: {}", path.iter().map(|u| u.0.as_str()).collect::<Vec<_>>().join(" → ")))
            }
            HierarchyError::OutsideEveryParent { index, parent_level, .. } => {
                (*index, "geometry", format!("unit outside every possible parent: it overlaps no unit of level {parent_level}"))
            }
            HierarchyError::OutsideParent { index, parent, distance_m, .. } => (
                *index,
                "parent_id",
                format!(
                    "unit wholly outside its parent {parent}: {:.0} m from it (a unit must lie at least partly within its parent)",
                    distance_m
                ),
            ),
        };
        let raw = &raws[index_of[i]];
        ctx.err(raw, &Some(out[i].id.0.clone()), Some(field), problem);
    }
    Layer::Units(out)
}

pub(super) fn buildings(ctx: &mut Ctx, raws: &[Raw], ids: &[Option<String>]) -> Vec<Building> {
    let mut out = Vec::new();
    for (raw, id) in raws.iter().zip(ids) {
        let geometry = need_geometry(ctx, raw, id).and_then(|g| match areal(g, &ctx.crs) {
            Ok(m) => Some(m),
            Err(e) => {
                ctx.err(raw, id, Some("geometry"), e);
                None
            }
        });
        let households = ctx.count(raw, id, "households");
        let population = ctx.count(raw, id, "population");
        let floors = ctx.count(raw, id, "floors");
        let height = ctx.number(raw, id, "height");
        if let Ok(Some(h)) = height
            && h < 0.0
        {
            ctx.err(raw, id, Some("height"), format!("height must be ≥ 0 m, got {h}"));
            continue;
        }
        let (Some(i), Some(footprint), Ok(households), Ok(population), Ok(floors), Ok(height)) =
            (id.clone(), geometry, households, population, floors, height)
        else {
            continue;
        };
        out.push(Building {
            id: i,
            footprint,
            households,
            population,
            floors,
            height: height.map(Metres),
            attributes: ctx.attributes(raw, &["id", "households", "population", "floors", "height"]),
        });
    }
    out
}

pub(super) fn cameras(ctx: &mut Ctx, raws: &[Raw], ids: &[Option<String>]) -> Vec<Camera> {
    let mut out = Vec::new();
    for (raw, id) in raws.iter().zip(ids) {
        let pos = located(ctx, raw, id);
        let kind = match ctx.string(raw, "kind").map(|k| k.to_lowercase()) {
            None => None,
            Some(k) if k == "dome" || k == "球机" => Some(CameraKind::Dome),
            Some(k) if k == "fixed" || k == "枪机" => Some(CameraKind::Fixed),
            Some(k) => {
                ctx.err(raw, id, Some("kind"), format!("unknown camera kind {k:?}: expected dome or fixed"));
                continue;
            }
        };
        let (Ok(heading), Ok(fov), Ok(range), Ok(height)) =
            (ctx.number(raw, id, "heading"), ctx.number(raw, id, "fov"), ctx.number(raw, id, "range"), ctx.number(raw, id, "height"))
        else {
            continue;
        };
        let fov = match (fov, kind) {
            (Some(f), _) => f,
            (None, Some(CameraKind::Dome)) => 360.0,
            (None, _) => {
                ctx.err(raw, id, Some("fov"), "missing field of view (or give kind dome, or --default fov=DEG)");
                continue;
            }
        };
        if !(fov > 0.0 && fov <= 360.0) {
            ctx.err(raw, id, Some("fov"), format!("field of view must be in (0, 360] degrees, got {fov}"));
        }
        let kind = kind.unwrap_or(if fov >= 360.0 { CameraKind::Dome } else { CameraKind::Fixed });
        let heading = match heading {
            Some(h) => h.rem_euclid(360.0),
            None if kind == CameraKind::Dome || fov >= 360.0 => 0.0,
            None => {
                ctx.err(raw, id, Some("heading"), "missing heading of a fixed camera");
                continue;
            }
        };
        match range {
            Some(r) if r > 0.0 => {}
            Some(r) => ctx.err(raw, id, Some("range"), format!("range must be > 0 m, got {r}")),
            None => ctx.err(raw, id, Some("range"), "missing range (or --default range=M)"),
        }
        match height {
            Some(h) if h >= 0.0 => {}
            Some(h) => ctx.err(raw, id, Some("height"), format!("mounting height must be ≥ 0 m, got {h}")),
            None => ctx.err(raw, id, Some("height"), "missing mounting height (or --default height=M)"),
        }
        let (Some(i), Some(position), Some(range), Some(height)) = (id.clone(), pos, range, height) else { continue };
        out.push(Camera {
            id: i,
            position,
            view: CameraView { heading_deg: heading, fov_deg: fov, range_m: Metres(range), height_m: Metres(height) },
            kind,
            attributes: ctx.attributes(raw, &["id", "heading", "fov", "range", "height", "kind", "lon", "lat"]),
        });
    }
    out
}

pub(super) fn facilities(ctx: &mut Ctx, raws: &[Raw], ids: &[Option<String>]) -> Vec<Facility> {
    let mut out = Vec::new();
    for (raw, id) in raws.iter().zip(ids) {
        let pos = located(ctx, raw, id);
        let kind = ctx.string(raw, "kind");
        if kind.is_none() {
            ctx.err(raw, id, Some("kind"), "missing facility kind");
        }
        let (Some(i), Some(position), Some(kind)) = (id.clone(), pos, kind) else { continue };
        out.push(Facility {
            name: ctx.string(raw, "name").unwrap_or_default(),
            id: i,
            position,
            kind,
            attributes: ctx.attributes(raw, &["id", "kind", "name", "lon", "lat"]),
        });
    }
    out
}

pub(super) fn incidents(ctx: &mut Ctx, raws: &[Raw], ids: &[Option<String>]) -> Vec<Incident> {
    let mut out = Vec::new();
    for (raw, id) in raws.iter().zip(ids) {
        let pos = located(ctx, raw, id);
        let t = match ctx.string(raw, "occurred_at") {
            None => {
                ctx.err(raw, id, Some("occurred_at"), "missing time");
                None
            }
            Some(s) => match parse_time(&s, ctx.opts.tz_offset_s) {
                Some(t) => Some(t),
                None => {
                    ctx.err(
                        raw,
                        id,
                        Some("occurred_at"),
                        format!("unparsable time {s:?} (use RFC 3339, YYYY-MM-DD HH:MM:SS, 2026/3/1 8:30, 2026年3月1日 8时30分, an Excel serial day number or epoch seconds)"),
                    );
                    None
                }
            },
        };
        let category = ctx.string(raw, "category");
        if category.is_none() {
            ctx.err(raw, id, Some("category"), "missing category");
        }
        let (Some(i), Some(position), Some(occurred_at), Some(category)) = (id.clone(), pos, t, category) else { continue };
        out.push(Incident {
            id: i,
            position,
            category,
            occurred_at,
            status: ctx.string(raw, "status").unwrap_or_else(|| "reported".into()),
            attributes: ctx.attributes(raw, &["id", "occurred_at", "category", "status", "lon", "lat"]),
        });
    }
    out
}

pub(super) fn roads(ctx: &mut Ctx, raws: &[Raw], ids: &[Option<String>]) -> Vec<Road> {
    let mut out = Vec::new();
    for (raw, id) in raws.iter().zip(ids) {
        let line = need_geometry(ctx, raw, id).and_then(|g| match lines(g, &ctx.crs) {
            Ok(l) => Some(l),
            Err(e) => {
                ctx.err(raw, id, Some("geometry"), e);
                None
            }
        });
        let (Some(i), Some(line)) = (id.clone(), line) else { continue };
        out.push(Road { id: i, line, attributes: ctx.attributes(raw, &["id"]) });
    }
    out
}
