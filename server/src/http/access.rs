//! Who may call which route: every route is registered with an [`Action`],
//! and the role × action table ([`allowed`], written out in
//! `docs/ACCESS.md`) is checked before the handler runs. What a caller may
//! *see* inside an allowed route is their jurisdiction ([`Scope`]), applied
//! by the handler.
//!
//! Routes are added only through [`Routes`], which records each one's
//! method, path and action: [`super::route_table`] is the router's own list,
//! so the role × route tests cannot miss a route.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request};
use axum::handler::Handler;
use axum::http::Method;
use axum::http::request::Parts;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::{Router, routing};
use serde::Serialize;
use wangge_engine::people::{Actor, Role};
use wangge_engine::units::jurisdiction::Jurisdiction;

use super::AppState;
use super::error::AppError;

/// What a route does, for the access table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Anyone, without a credential (health, glyphs, login).
    Public,
    /// Anyone logged in: who am I, log out.
    Me,
    /// Read maps, layers, units, coverage, heat, KPIs, the stream — limited to the jurisdiction.
    Read,
    /// Read cases (incident lists and details) — jurisdiction; a department only its dispatched cases.
    ReadCases,
    /// Report an incident (信息采集) inside the jurisdiction.
    Report,
    /// Load many incidents at once (a day's CSV).
    BulkReport,
    /// Take a case step; which step a role may take is the lifecycle's table.
    Transition,
    /// Run an analysis that writes nothing (siting, alliances, high points).
    Analyse,
    /// Add, move, change or remove cameras (a new camera layer version).
    EditCameras,
    /// Register sensors and post their readings.
    Sensors,
    /// Run read-only SQL over the tables of the jurisdiction (`POST /api/sql`).
    Sql,
    /// Planning scenarios: create, edit (ops, undo, redo), read and delete drafts of the units layer.
    Plan,
    /// Publish a scenario as the next units version, or roll the units back to an older version.
    Publish,
    /// Users, tokens, the audit log, backups.
    Admin,
}

impl Action {
    pub const ALL: [Action; 14] = [
        Action::Public,
        Action::Me,
        Action::Read,
        Action::ReadCases,
        Action::Report,
        Action::BulkReport,
        Action::Transition,
        Action::Analyse,
        Action::EditCameras,
        Action::Sensors,
        Action::Sql,
        Action::Plan,
        Action::Publish,
        Action::Admin,
    ];

    /// What it is called in a denial.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Public => "use public routes",
            Action::Me => "see who they are",
            Action::Read => "read maps and figures",
            Action::ReadCases => "read cases",
            Action::Report => "report incidents",
            Action::BulkReport => "load incidents in bulk",
            Action::Transition => "take case steps",
            Action::Analyse => "run analyses",
            Action::EditCameras => "edit cameras",
            Action::Sensors => "register sensors or post readings",
            Action::Sql => "run read-only SQL",
            Action::Plan => "edit planning scenarios",
            Action::Publish => "publish or roll back the units layer",
            Action::Admin => "administer users, tokens, the audit log and backups",
        }
    }

    /// Whether it changes what is stored (audited).
    pub fn writes(self) -> bool {
        matches!(
            self,
            Action::Report
                | Action::BulkReport
                | Action::Transition
                | Action::EditCameras
                | Action::Sensors
                | Action::Plan
                | Action::Publish
                | Action::Admin
        )
    }
}

/// The role × action table (docs/ACCESS.md is this table written out; a test checks they agree).
pub fn allowed(role: Role, action: Action) -> bool {
    use Action as A;
    use Role as R;
    match action {
        A::Public | A::Me | A::Read | A::ReadCases => true,
        A::Report => matches!(role, R::Admin | R::Dispatcher | R::GridWorker),
        A::BulkReport => matches!(role, R::Admin | R::Dispatcher | R::GridWorker),
        A::Transition => matches!(role, R::Admin | R::Dispatcher | R::Department | R::GridWorker),
        A::Analyse => matches!(role, R::Admin | R::Planner | R::Analyst | R::Dispatcher),
        A::EditCameras => matches!(role, R::Admin | R::Planner),
        A::Sensors => matches!(role, R::Admin | R::Sensor),
        // power users who read figures: not the screen, grid workers, departments or machines
        A::Sql => matches!(role, R::Admin | R::Analyst | R::Planner),
        A::Plan | A::Publish => matches!(role, R::Admin | R::Planner),
        A::Admin => role == R::Admin,
    }
}

/// One route of the router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteInfo {
    #[serde(serialize_with = "method_str")]
    pub method: Method,
    pub path: &'static str,
    pub action: Action,
}

fn method_str<S: serde::Serializer>(m: &Method, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(m.as_str())
}

type St = Arc<AppState>;

/// A router whose routes carry their action (and whose list can be read).
#[derive(Default)]
pub struct Routes {
    router: Router<St>,
    table: Vec<RouteInfo>,
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.table).finish()
    }
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    /// Add `method path` with its action; the role check runs before `h`.
    pub fn add(mut self, method: Method, path: &'static str, action: Action, h: MethodRouter<St>) -> Routes {
        let m = method.clone();
        let checked = h.route_layer(from_fn(move |req: Request, next: Next| check(action, m.clone(), path, req, next)));
        self.router = self.router.route(path, checked);
        self.table.push(RouteInfo { method, path, action });
        self
    }

    pub fn get<H: Handler<T, St>, T: 'static>(self, path: &'static str, action: Action, h: H) -> Routes {
        self.add(Method::GET, path, action, routing::get(h))
    }

    pub fn post<H: Handler<T, St>, T: 'static>(self, path: &'static str, action: Action, h: H) -> Routes {
        self.add(Method::POST, path, action, routing::post(h))
    }

    pub fn put<H: Handler<T, St>, T: 'static>(self, path: &'static str, action: Action, h: H) -> Routes {
        self.add(Method::PUT, path, action, routing::put(h))
    }

    pub fn delete<H: Handler<T, St>, T: 'static>(self, path: &'static str, action: Action, h: H) -> Routes {
        self.add(Method::DELETE, path, action, routing::delete(h))
    }

    pub fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    pub fn table(&self) -> &[RouteInfo] {
        &self.table
    }

    pub fn into_parts(self) -> (Router<St>, Vec<RouteInfo>) {
        (self.router, self.table)
    }
}

/// Why a caller may not do something (403 with this reason).
pub fn denial(actor: &Actor, action: Action, method: &Method, path: &str) -> String {
    format!("role {} ({}) may not {} ({method} {path})", actor.role, actor.role.label(), action.describe())
}

async fn check(action: Action, method: Method, path: &'static str, req: Request, next: Next) -> Response {
    if action == Action::Public {
        return next.run(req).await;
    }
    let Some(actor) = req.extensions().get::<Actor>() else {
        return AppError::Unauthorized(crate::auth::AuthFailure::Missing.to_string()).into_response();
    };
    if !allowed(actor.role, action) {
        return AppError::Forbidden(denial(actor, action, &method, path)).into_response();
    }
    next.run(req).await
}

/// The caller and their jurisdiction, for handlers: `scope: Scope`.
#[derive(Debug, Clone)]
pub struct Scope {
    pub actor: Actor,
    pub jurisdiction: Arc<Jurisdiction>,
}

impl Scope {
    /// The whole district, as the local admin (tests, open mode).
    pub fn everything() -> Scope {
        Scope { actor: Actor::local(), jurisdiction: Arc::new(Jurisdiction::everything()) }
    }

    /// A department sees only the cases dispatched to it.
    pub fn department(&self) -> Option<&str> {
        (self.actor.role == Role::Department).then_some(self.actor.department.as_deref().unwrap_or(""))
    }

    /// 403 unless unit `id` is inside the jurisdiction.
    pub fn require_unit(&self, d: &wangge_engine::dataset::Dataset, id: &str) -> Result<(), AppError> {
        if self.jurisdiction.unit_id(d, id) { Ok(()) } else { Err(AppError::Forbidden(self.outside(&format!("unit {id}")))) }
    }

    /// The reason for something outside the jurisdiction.
    pub fn outside(&self, what: &str) -> String {
        format!("{what} is outside the jurisdiction of {} (unit {})", self.actor.name, self.jurisdiction.key())
    }
}

impl FromRequestParts<St> for Scope {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, s: &St) -> Result<Scope, AppError> {
        let actor = parts
            .extensions
            .get::<Actor>()
            .cloned()
            .ok_or_else(|| AppError::Unauthorized(crate::auth::AuthFailure::Missing.to_string()))?;
        let jurisdiction = s.jurisdiction(actor.unit.as_deref());
        Ok(Scope { actor, jurisdiction })
    }
}

/// The access table as Markdown (`docs/ACCESS.md` is this text; a test checks it).
pub fn markdown(routes: &[RouteInfo]) -> String {
    let roles = Role::ALL;
    let mut s = String::from(
        "# Who may do what\n\n\
         Generated from the code (`server/src/http/access.rs`, the router's own route list); \
         `cargo test -p wangge access_doc` fails when this file is out of date \
         (`WANGGE_WRITE_ACCESS_DOC=1 cargo test -p wangge access_doc` rewrites it).\n\n\
         Every allowed request is further limited to the caller's **jurisdiction** (the subtree of their unit; \
         none = the whole district): lists, counts, tiles and events hold only what lies inside, and a write \
         outside it is 403 with the reason. A `department` user reads only the cases dispatched to their \
         department. Which case step a role may take is the lifecycle's table (`engine/src/incidents/`). \
         A store with no users is open local mode: everyone is `admin`, on loopback only.\n\n## Roles × actions\n\n| action |",
    );
    for r in roles {
        s.push_str(&format!(" {} |", r.as_str()));
    }
    s.push_str("\n|---|");
    s.push_str(&"---|".repeat(roles.len()));
    s.push('\n');
    for a in Action::ALL {
        s.push_str(&format!(
            "| {} ({}) |",
            serde_json::to_value(a).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            a.describe()
        ));
        for r in roles {
            s.push_str(if allowed(r, a) { " ✓ |" } else { " · |" });
        }
        s.push('\n');
    }
    s.push_str(
        "\n`public` needs no credential; every other action needs a login (session cookie) or an API token \
                (`Authorization: Bearer …`).\n\n## Routes\n\n| method | path | action |\n|---|---|---|\n",
    );
    for r in routes {
        s.push_str(&format!(
            "| {} | `{}` | {} |\n",
            r.method,
            r.path,
            serde_json::to_value(r.action).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_doc_is_the_table_in_the_code() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ACCESS.md");
        let want = markdown(&super::super::route_table());
        if std::env::var_os("WANGGE_WRITE_ACCESS_DOC").is_some() {
            std::fs::write(&path, &want).expect("write docs/ACCESS.md");
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(have == want, "docs/ACCESS.md is out of date: run WANGGE_WRITE_ACCESS_DOC=1 cargo test -p wangge access_doc");
    }

    #[test]
    fn every_route_is_listed_once_and_admin_may_do_everything() {
        let t = super::super::route_table();
        let mut seen = std::collections::HashSet::new();
        for r in &t {
            assert!(seen.insert((r.method.clone(), r.path)), "{} {} twice", r.method, r.path);
        }
        assert!(t.len() >= 40, "{} routes", t.len());
        assert!(Action::ALL.iter().all(|a| allowed(Role::Admin, *a)));
        // readers never write
        for r in [Role::Screen, Role::Analyst] {
            assert!(Action::ALL.iter().filter(|a| a.writes()).all(|a| !allowed(r, *a)), "{r}");
        }
    }
}
