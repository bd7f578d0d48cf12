//! The admin API for people and machines (the CLI's `users`/`token` while a
//! server holds the store) and the audit log: admin only (see `access`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use wangge_engine::people::Actor;

use super::access::{Action, Routes, allowed};
use super::auth::AuditNote;
use super::error::{AppError, AppResult};
use super::{AppState, blocking};
use crate::auth::{NewUser, PeopleError, Token, User};
use crate::store::people::AuditQuery;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/admin/users", Action::Admin, list_users)
        .post("/api/admin/users", Action::Admin, add_user)
        .post("/api/admin/users/{name}/disable", Action::Admin, disable_user)
        .post("/api/admin/users/{name}/enable", Action::Admin, enable_user)
        .get("/api/admin/tokens", Action::Admin, list_tokens)
        .post("/api/admin/tokens", Action::Admin, create_token)
        .post("/api/admin/tokens/{id}/revoke", Action::Admin, revoke_token)
        .get("/api/admin/audit", Action::Admin, audit)
        .get("/api/admin/access", Action::Admin, access_table)
}

fn user_json(u: &User) -> Value {
    json!({"name": u.name, "role": u.role, "unit": u.unit, "department": u.department,
           "password": u.password_hash.is_some(), "created_at": u.created_at, "disabled": u.disabled})
}

fn token_json(t: &Token) -> Value {
    json!({"id": t.id, "user": t.user, "label": t.label, "created_at": t.created_at, "revoked_at": t.revoked_at})
}

impl From<PeopleError> for AppError {
    fn from(e: PeopleError) -> Self {
        match e {
            PeopleError::Store(e) => AppError::from(e),
            PeopleError::NoUser(_) | PeopleError::NoToken(_) => AppError::NotFound(e.to_string()),
            PeopleError::Exists(_) => AppError::Conflict(e.to_string()),
            e => AppError::BadRequest(e.to_string()),
        }
    }
}

/// Run `f` with the store locked; 409 when the server has none.
async fn with_store<T: Send + 'static>(
    s: &Arc<AppState>,
    f: impl FnOnce(&AppState, &crate::store::Store) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let st = s.clone();
    blocking(move || {
        let store =
            st.store.clone().ok_or_else(|| AppError::Conflict("this server has no store: users and tokens cannot be kept".into()))?;
        let guard = store.lock().unwrap_or_else(|p| p.into_inner());
        f(&st, &guard)
    })
    .await
}

async fn list_users(State(s): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({"users": s.people.users().iter().map(user_json).collect::<Vec<_>>()}))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserBody {
    name: String,
    role: String,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

async fn add_user(State(s): State<Arc<AppState>>, body: Result<Json<UserBody>, axum::extract::rejection::JsonRejection>) -> AppResult {
    let Json(b) = body?;
    let u = NewUser { name: b.name, role: b.role, unit: b.unit, department: b.department, password: b.password };
    let user = with_store(&s, move |st, store| Ok(st.people.add_user(store, u, crate::auth::now())?)).await?;
    let mut r = (StatusCode::CREATED, Json(user_json(&user))).into_response();
    r.extensions_mut().insert(AuditNote {
        target: Some(format!("user:{}", user.name)),
        detail: Some(format!("added role {} unit {}", user.role, user.unit.as_deref().unwrap_or("*"))),
    });
    Ok(r)
}

async fn set_disabled(s: Arc<AppState>, name: String, disabled: bool) -> AppResult {
    let user = with_store(&s, move |st, store| Ok(st.people.set_disabled(store, &name, disabled)?)).await?;
    let mut r = Json(user_json(&user)).into_response();
    r.extensions_mut()
        .insert(AuditNote { target: Some(format!("user:{}", user.name)), detail: Some(format!("disabled: {} → {disabled}", !disabled)) });
    Ok(r)
}

async fn disable_user(State(s): State<Arc<AppState>>, Path(name): Path<String>) -> AppResult {
    set_disabled(s, name, true).await
}

async fn enable_user(State(s): State<Arc<AppState>>, Path(name): Path<String>) -> AppResult {
    set_disabled(s, name, false).await
}

async fn list_tokens(State(s): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({"tokens": s.people.tokens().iter().map(token_json).collect::<Vec<_>>()}))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    user: String,
    #[serde(default)]
    label: Option<String>,
}

async fn create_token(State(s): State<Arc<AppState>>, body: Result<Json<TokenBody>, axum::extract::rejection::JsonRejection>) -> AppResult {
    let Json(b) = body?;
    let (shown, t) = with_store(&s, move |st, store| Ok(st.people.create_token(store, &b.user, b.label, crate::auth::now())?)).await?;
    let mut v = token_json(&t);
    v["token"] = json!(shown);
    let mut r = (StatusCode::CREATED, Json(v)).into_response();
    r.extensions_mut().insert(AuditNote { target: Some(format!("token:{}", t.id)), detail: Some(format!("created for {}", t.user)) });
    Ok(r)
}

async fn revoke_token(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> AppResult {
    let t = with_store(&s, move |st, store| Ok(st.people.revoke_token(store, &id, crate::auth::now())?)).await?;
    let mut r = Json(token_json(&t)).into_response();
    r.extensions_mut().insert(AuditNote { target: Some(format!("token:{}", t.id)), detail: Some("revoked".into()) });
    Ok(r)
}

#[derive(Debug, Deserialize)]
struct AuditParams {
    actor: Option<String>,
    outcome: Option<String>,
    /// Unix milliseconds.
    from: Option<i64>,
    to: Option<i64>,
    limit: Option<usize>,
}

async fn audit(State(s): State<Arc<AppState>>, Query(p): Query<AuditParams>) -> AppResult {
    let q = AuditQuery { actor: p.actor, outcome: p.outcome, from_ms: p.from, to_ms: p.to, limit: p.limit.unwrap_or(1000) };
    if s.store.is_none() {
        let lines: Vec<_> = s
            .audit
            .in_memory()
            .into_iter()
            .rev()
            .filter(|e| q.actor.as_ref().is_none_or(|a| &e.actor == a) && q.outcome.as_ref().is_none_or(|o| &e.outcome == o))
            .filter(|e| q.from_ms.is_none_or(|f| e.at >= f) && q.to_ms.is_none_or(|t| e.at < t))
            .take(q.limit.clamp(1, 10_000))
            .collect();
        return Ok(Json(json!({"entries": lines})).into_response());
    }
    // lines are written in batches every 200 ms: wait for the ones just recorded
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let lines = with_store(&s, move |_, store| Ok(store.audit(&q)?)).await?;
    Ok(Json(json!({"entries": lines})).into_response())
}

async fn access_table(Extension(_admin): Extension<Actor>) -> Json<Value> {
    let roles = wangge_engine::people::Role::ALL;
    let routes: Vec<Value> = super::route_table()
        .into_iter()
        .map(|r| {
            let who: Vec<_> = roles.iter().filter(|role| allowed(**role, r.action)).map(|role| role.as_str()).collect();
            json!({"method": r.method.as_str(), "path": r.path, "action": r.action, "roles": who})
        })
        .collect();
    Json(json!({"routes": routes}))
}
