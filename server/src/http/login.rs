//! Logging in and out on the page: `POST /api/login` (name and password,
//! argon2id) sets the session cookie (HttpOnly, SameSite=Strict, 12 h);
//! `GET /api/me` says who the caller is and what they may see;
//! `POST /api/logout` ends the session.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use wangge_engine::people::Actor;

use super::access::{Action, Routes, Scope, allowed};
use super::auth::AuditNote;
use super::error::{AppError, AppResult};
use super::{AppState, blocking};
use crate::auth::{AuthFailure, Credential, SESSION_COOKIE, SESSION_SECONDS};

pub(crate) fn routes() -> Routes {
    Routes::new().post("/api/login", Action::Public, login).post("/api/logout", Action::Me, logout).get("/api/me", Action::Me, me)
}

/// A login as posted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub name: String,
    pub password: String,
}

/// Failed logins allowed per name: 10, then one more every 90 s.
const LOGIN_BURST: f64 = 10.0;
const LOGIN_PER_S: f64 = 1.0 / 90.0;

fn cookie(value: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")).ok()
}

/// Behind a TLS-terminating proxy the cookie is marked Secure.
fn over_https(h: &HeaderMap) -> bool {
    h.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// Who the actor is and what they may see (the page's header and its map bounds).
pub(crate) fn describe(s: &AppState, actor: &Actor, open: bool) -> Value {
    let d = s.dataset();
    let j = s.jurisdiction(actor.unit.as_deref());
    let unit_name = j.root.map(|r| d.hierarchy.units[r].name.clone());
    let bounds = j.bounds(&d).or_else(|| d.bounds()).map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
    let actions: Vec<Action> = Action::ALL.into_iter().filter(|a| *a != Action::Public && allowed(actor.role, *a)).collect();
    json!({
        "name": actor.name, "role": actor.role, "role_label": actor.role.label(), "unit": actor.unit, "unit_name": unit_name,
        "department": actor.department, "open": open, "bounds": bounds, "actions": actions,
    })
}

async fn login(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<LoginBody>, axum::extract::rejection::JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    if s.people.is_open() {
        return Err(AppError::Conflict("no users: this server is in open local mode, there is nothing to log into".into()));
    }
    if !s.rate.take_burst(&format!("login:{}", b.name), LOGIN_PER_S, LOGIN_BURST) {
        return Err(AppError::TooMany(format!("too many failed logins for {:?}; wait a few minutes", b.name)));
    }
    let st = s.clone();
    let name = b.name.clone();
    let checked = blocking(move || Ok(st.people.check_password(&b.name, &b.password))).await?;
    let actor = match checked {
        Ok(a) => a,
        Err(f @ (AuthFailure::BadLogin | AuthFailure::Disabled)) => {
            let mut r = AppError::Unauthorized(AuthFailure::BadLogin.to_string()).into_response();
            r.extensions_mut().insert(AuditNote { target: Some(format!("user:{name}")), detail: Some(f.to_string()) });
            return Ok(r);
        }
        Err(f) => return Err(AppError::Unauthorized(f.to_string())),
    };
    // a successful login gives the name its failed-attempt allowance back
    s.rate.refill(&format!("login:{name}"));
    let store = s.store.clone();
    let st = s.clone();
    let user = actor.name.clone();
    let (value, session) = blocking(move || {
        let guard = store.as_ref().map(|m| m.lock().unwrap_or_else(|p| p.into_inner()));
        Ok(st.people.start_session(guard.as_deref(), &user, crate::auth::now())?)
    })
    .await?;
    let mut r = (StatusCode::OK, Json(json!({"user": describe(&s, &actor, false), "expires_at": session.expires_at}))).into_response();
    if let Some(c) = cookie(&value, SESSION_SECONDS, over_https(&headers)) {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    r.extensions_mut().insert(AuditNote { target: Some(format!("session:{}", session.id)), detail: Some("logged in".into()) });
    Ok(r)
}

async fn logout(State(s): State<Arc<AppState>>, headers: HeaderMap, Extension(credential): Extension<Credential>) -> AppResult {
    if let Credential::Session(id) = credential {
        let store = s.store.clone();
        let st = s.clone();
        blocking(move || {
            let guard = store.as_ref().map(|m| m.lock().unwrap_or_else(|p| p.into_inner()));
            Ok(st.people.end_session(guard.as_deref(), &id, crate::auth::now())?)
        })
        .await?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    if let Some(c) = cookie("", 0, over_https(&headers)) {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(r)
}

async fn me(State(s): State<Arc<AppState>>, scope: Scope) -> Json<Value> {
    Json(describe(&s, &scope.actor, s.people.is_open()))
}
