//! People and machines: users with a role and a jurisdiction, API tokens and
//! login sessions, and the registry the server checks every request against.
//!
//! The store keeps users, tokens (hashed), sessions (hashed) and the audit
//! log; [`People`] holds them in memory while serving, so checking a
//! credential is a hash and a map lookup (no store read per request). The
//! server is the only writer while it serves (DuckDB admits one writing
//! process), so changes made over HTTP go to the store first, then to memory.
//!
//! A store with no users is *open local mode*: every request acts as
//! [`Actor::local`] and `wangge serve` binds to loopback only.

pub mod password;
pub mod secret;

use std::collections::HashMap;
use std::sync::RwLock;

use wangge_engine::people::{Actor, Role};

use crate::store::{Store, StoreError};

/// Prefix of API tokens.
pub const TOKEN_PREFIX: &str = "wgt";
/// Prefix of session cookies' values.
pub const SESSION_PREFIX: &str = "wgs";
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "wangge_session";
/// How long a login lasts.
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// A stored user.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub unit: Option<String>,
    pub department: Option<String>,
    /// argon2id PHC string; `None` for machine users (tokens only).
    pub password_hash: Option<String>,
    pub created_at: i64,
    pub disabled: bool,
}

impl User {
    pub fn actor(&self) -> Actor {
        Actor { name: self.name.clone(), role: self.role, unit: self.unit.clone(), department: self.department.clone() }
    }
}

/// A stored API token (its hash, never the token).
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub id: String,
    pub user: String,
    pub hash: String,
    pub label: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A stored login session (its hash, never the cookie).
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: String,
    pub user: String,
    pub hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// Open local mode (no users in the store).
    Local,
    /// `Authorization: Bearer wgt_…` (the token's id).
    Token(String),
    /// The session cookie (the session's id).
    Session(String),
}

impl Credential {
    /// How it is named in the audit log (ids only, never secrets).
    pub fn label(&self) -> String {
        match self {
            Credential::Local => "local".into(),
            Credential::Token(id) => format!("token:{id}"),
            Credential::Session(id) => format!("session:{id}"),
        }
    }
}

/// Why a credential was not accepted (all answer 401; the reason goes to the audit log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("a credential is required: log in, or send Authorization: Bearer TOKEN")]
    Missing,
    #[error("the credential is not valid")]
    Unknown,
    #[error("the token was revoked")]
    Revoked,
    #[error("the session has expired; log in again")]
    Expired,
    #[error("the session has ended; log in again")]
    Ended,
    #[error("the user is disabled")]
    Disabled,
    #[error("wrong name or password")]
    BadLogin,
}

/// Why a user, token or session could not be made or changed.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("name: a user name is required (letters, digits, _ . - @ or CJK, at most 64)")]
    BadName,
    #[error("role: unknown role {0:?}; known: admin, dispatcher, department, grid_worker, screen, planner, analyst, sensor")]
    BadRole(String),
    #[error("user {0:?} exists already")]
    Exists(String),
    #[error("no user {0:?}")]
    NoUser(String),
    #[error("no token {0:?}")]
    NoToken(String),
    #[error("unit: no unit {0:?} in the store's current units layer")]
    NoUnit(String),
    #[error("department: a department user names their department (--department)")]
    NoDepartment,
    #[error("unit: a {0} acts in a unit (--unit ID)")]
    NoUnitGiven(Role),
    #[error(transparent)]
    Password(#[from] password::PasswordError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A user to add.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub role: String,
    pub unit: Option<String>,
    pub department: Option<String>,
    pub password: Option<String>,
}

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.chars().count() <= 64 && n.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '@'))
}

/// Check a new user against the store (unit exists) and build it.
pub fn new_user(store: &Store, u: NewUser, now: i64) -> Result<User, PeopleError> {
    let name = u.name.trim().to_owned();
    if !valid_name(&name) {
        return Err(PeopleError::BadName);
    }
    let role = Role::parse(u.role.trim()).ok_or_else(|| PeopleError::BadRole(u.role.clone()))?;
    let unit = u.unit.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if let Some(id) = &unit
        && !store.unit_exists(id)?
    {
        return Err(PeopleError::NoUnit(id.clone()));
    }
    if unit.is_none() && role == Role::GridWorker {
        return Err(PeopleError::NoUnitGiven(role));
    }
    let department = u.department.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if role == Role::Department && department.is_none() {
        return Err(PeopleError::NoDepartment);
    }
    let password_hash = u.password.as_deref().map(password::hash).transpose()?;
    if store.user(&name)?.is_some() {
        return Err(PeopleError::Exists(name));
    }
    Ok(User { name, role, unit, department, password_hash, created_at: now, disabled: false })
}

#[derive(Debug, Default)]
struct Inner {
    users: HashMap<String, User>,
    tokens: HashMap<String, Token>,
    sessions: HashMap<String, Session>,
}

/// The users, tokens and sessions the server checks requests against.
#[derive(Debug, Default)]
pub struct People {
    inner: RwLock<Inner>,
}

impl People {
    /// Nobody: open local mode.
    pub fn open() -> People {
        People::default()
    }

    /// Everyone the store holds.
    pub fn load(store: &Store) -> Result<People, StoreError> {
        let users = store.users()?.into_iter().map(|u| (u.name.clone(), u)).collect();
        let tokens = store.tokens()?.into_iter().map(|t| (t.id.clone(), t)).collect();
        let sessions = store.sessions()?.into_iter().map(|s| (s.id.clone(), s)).collect();
        Ok(People { inner: RwLock::new(Inner { users, tokens, sessions }) })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Open local mode: no users at all.
    pub fn is_open(&self) -> bool {
        self.read().users.is_empty()
    }

    pub fn user(&self, name: &str) -> Option<User> {
        self.read().users.get(name).cloned()
    }

    pub fn users(&self) -> Vec<User> {
        let mut v: Vec<User> = self.read().users.values().cloned().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    pub fn tokens(&self) -> Vec<Token> {
        let mut v: Vec<Token> = self.read().tokens.values().cloned().collect();
        v.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        v
    }

    fn active(&self, inner: &Inner, user: &str) -> Result<Actor, AuthFailure> {
        let _ = self;
        match inner.users.get(user) {
            Some(u) if u.disabled => Err(AuthFailure::Disabled),
            Some(u) => Ok(u.actor()),
            None => Err(AuthFailure::Unknown),
        }
    }

    /// The actor behind `Authorization: Bearer …`.
    pub fn bearer(&self, presented: &str) -> Result<(Actor, Credential), AuthFailure> {
        let (id, secret) = secret::split(TOKEN_PREFIX, presented.trim()).ok_or(AuthFailure::Unknown)?;
        let inner = self.read();
        let t = inner.tokens.get(id).ok_or(AuthFailure::Unknown)?;
        if !secret::same(&secret::digest(secret), &t.hash) {
            return Err(AuthFailure::Unknown);
        }
        if t.revoked_at.is_some() {
            return Err(AuthFailure::Revoked);
        }
        Ok((self.active(&inner, &t.user)?, Credential::Token(t.id.clone())))
    }

    /// The actor behind a session cookie's value at `now`.
    pub fn session(&self, presented: &str, now: i64) -> Result<(Actor, Credential), AuthFailure> {
        let (id, secret) = secret::split(SESSION_PREFIX, presented.trim()).ok_or(AuthFailure::Unknown)?;
        let inner = self.read();
        let s = inner.sessions.get(id).ok_or(AuthFailure::Unknown)?;
        if !secret::same(&secret::digest(secret), &s.hash) {
            return Err(AuthFailure::Unknown);
        }
        if s.ended_at.is_some() {
            return Err(AuthFailure::Ended);
        }
        if now >= s.expires_at {
            return Err(AuthFailure::Expired);
        }
        Ok((self.active(&inner, &s.user)?, Credential::Session(s.id.clone())))
    }

    /// Check a name and password (argon2id; as slow for an unknown name as for a wrong password).
    pub fn check_password(&self, name: &str, password: &str) -> Result<Actor, AuthFailure> {
        let user = self.user(name);
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let ok = password::verify(password, stored.as_deref().unwrap_or(password::decoy()));
        match user {
            Some(u) if ok && stored.is_some() => {
                if u.disabled {
                    Err(AuthFailure::Disabled)
                } else {
                    Ok(u.actor())
                }
            }
            _ => Err(AuthFailure::BadLogin),
        }
    }

    /// Start a session for `user` (already checked); the cookie value to send once.
    pub fn start_session(&self, store: Option<&Store>, user: &str, now: i64) -> Result<(String, Session), StoreError> {
        let m = secret::mint(SESSION_PREFIX);
        let s =
            Session { id: m.id, user: user.to_owned(), hash: m.hash, created_at: now, expires_at: now + SESSION_SECONDS, ended_at: None };
        if let Some(store) = store {
            store.insert_session(&s)?;
        }
        self.write().sessions.insert(s.id.clone(), s.clone());
        Ok((m.shown, s))
    }

    /// End a session (logout).
    pub fn end_session(&self, store: Option<&Store>, id: &str, now: i64) -> Result<(), StoreError> {
        if let Some(store) = store {
            store.end_session(id, now)?;
        }
        if let Some(s) = self.write().sessions.get_mut(id) {
            s.ended_at = Some(now);
        }
        Ok(())
    }

    /// Add a user (checked by [`new_user`]) to the store and to memory.
    pub fn add_user(&self, store: &Store, u: NewUser, now: i64) -> Result<User, PeopleError> {
        let user = new_user(store, u, now)?;
        store.insert_user(&user)?;
        self.write().users.insert(user.name.clone(), user.clone());
        Ok(user)
    }

    /// Disable or enable a user (their tokens and sessions stop or start working at once).
    pub fn set_disabled(&self, store: &Store, name: &str, disabled: bool) -> Result<User, PeopleError> {
        if !store.set_user_disabled(name, disabled)? {
            return Err(PeopleError::NoUser(name.to_owned()));
        }
        let mut inner = self.write();
        let u = inner.users.get_mut(name).ok_or_else(|| PeopleError::NoUser(name.to_owned()))?;
        u.disabled = disabled;
        Ok(u.clone())
    }

    /// Create a token for an existing user: the token to show once, and its record.
    pub fn create_token(&self, store: &Store, user: &str, label: Option<String>, now: i64) -> Result<(String, Token), PeopleError> {
        let (shown, t) = create_token(store, user, label, now)?;
        self.write().tokens.insert(t.id.clone(), t.clone());
        Ok((shown, t))
    }

    /// Revoke a token by id (or by the whole token).
    pub fn revoke_token(&self, store: &Store, id_or_token: &str, now: i64) -> Result<Token, PeopleError> {
        let t = revoke_token(store, id_or_token, now)?;
        self.write().tokens.insert(t.id.clone(), t.clone());
        Ok(t)
    }
}

/// Create a token in the store (the CLI; [`People::create_token`] while serving).
pub fn create_token(store: &Store, user: &str, label: Option<String>, now: i64) -> Result<(String, Token), PeopleError> {
    if store.user(user)?.is_none() {
        return Err(PeopleError::NoUser(user.to_owned()));
    }
    let m = secret::mint(TOKEN_PREFIX);
    let t = Token { id: m.id, user: user.to_owned(), hash: m.hash, label, created_at: now, revoked_at: None };
    store.insert_token(&t)?;
    Ok((m.shown, t))
}

/// Revoke a token in the store by its id or the whole token.
pub fn revoke_token(store: &Store, id_or_token: &str, now: i64) -> Result<Token, PeopleError> {
    let s = id_or_token.trim();
    let id = secret::split(TOKEN_PREFIX, s).map_or(s, |(id, _)| id);
    let mut t = store.token(id)?.ok_or_else(|| PeopleError::NoToken(id.to_owned()))?;
    if t.revoked_at.is_none() {
        store.revoke_token(id, now)?;
        t.revoked_at = Some(now);
    }
    Ok(t)
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
