//! Users, API tokens, login sessions and the audit log (`users`,
//! `api_tokens`, `sessions`, `audit_log`). Secrets are never stored: tokens
//! and sessions keep a SHA-256, passwords an argon2id hash.

use duckdb::params;
use wangge_engine::people::Role;

use super::{Ctx, Result, Store, StoreError};
use crate::auth::{Session, Token, User};

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditEntry {
    /// Unix milliseconds.
    pub at: i64,
    pub actor: String,
    pub role: String,
    /// `local`, `token:ID`, `session:ID` or `none`.
    pub credential: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    /// `ok`, `denied` (403), `unauthorized` (401), `failed` (other 4xx/5xx), `limited` (429).
    pub outcome: String,
    /// The unit acted on or the caller's jurisdiction.
    pub unit: Option<String>,
    /// What was written (an incident id, a layer and version, a user name).
    pub target: Option<String>,
    /// Before/after or the reason of a denial.
    pub detail: Option<String>,
}

/// Which audit lines to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub outcome: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub limit: usize,
}

/// A `users` row as read: name, role, unit, department, password hash, created, disabled.
type UserRow = (String, String, Option<String>, Option<String>, Option<String>, i64, bool);

impl Store {
    /// Whether the current units layer has a unit with this id.
    pub fn unit_exists(&self, id: &str) -> Result<bool> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM units WHERE id = ? AND version = (SELECT max(version) FROM layer_versions WHERE layer = 'units')",
                params![id],
                |r| r.get(0),
            )
            .ctx(|| format!("looking up unit {id}"))?;
        Ok(n > 0)
    }

    pub fn insert_user(&self, u: &User) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)",
                params![u.name, u.role.as_str(), u.unit, u.department, u.password_hash, u.created_at, u.disabled],
            )
            .ctx(|| format!("storing user {}", u.name))?;
        Ok(())
    }

    fn user_rows(&self, filter: Option<&str>) -> Result<Vec<User>> {
        let rows = (|| -> duckdb::Result<Vec<UserRow>> {
            let sql = "SELECT name, role, unit, department, password_hash, created_at, disabled FROM users WHERE ?1 IS NULL OR name = ?1 ORDER BY name";
            let mut q = self.conn.prepare(sql)?;
            q.query_map(params![filter], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))?.collect()
        })()
        .ctx(|| "reading users".into())?;
        rows.into_iter()
            .map(|(name, role, unit, department, password_hash, created_at, disabled)| {
                let role = Role::parse(&role).ok_or_else(|| StoreError::Field {
                    table: "users",
                    id: name.clone(),
                    field: "role",
                    reason: format!("unknown role {role:?}"),
                })?;
                Ok(User { name, role, unit, department, password_hash, created_at, disabled })
            })
            .collect()
    }

    pub fn users(&self) -> Result<Vec<User>> {
        self.user_rows(None)
    }

    pub fn user(&self, name: &str) -> Result<Option<User>> {
        Ok(self.user_rows(Some(name))?.pop())
    }

    /// Disable (or enable) a user: their tokens and sessions stop working.
    pub fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<bool> {
        let n = self
            .conn
            .execute("UPDATE users SET disabled = ? WHERE name = ?", params![disabled, name])
            .ctx(|| format!("updating user {name}"))?;
        Ok(n > 0)
    }

    pub fn insert_token(&self, t: &Token) -> Result<()> {
        self.conn
            .execute("INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, ?)", params![t.id, t.user, t.hash, t.label, t.created_at, t.revoked_at])
            .ctx(|| format!("storing token {}", t.id))?;
        Ok(())
    }

    fn token_rows(&self, id: Option<&str>) -> Result<Vec<Token>> {
        (|| -> duckdb::Result<Vec<Token>> {
            let sql = "SELECT id, user_name, hash, label, created_at, revoked_at FROM api_tokens WHERE ?1 IS NULL OR id = ?1 ORDER BY created_at, id";
            let mut q = self.conn.prepare(sql)?;
            q.query_map(params![id], |r| {
                Ok(Token { id: r.get(0)?, user: r.get(1)?, hash: r.get(2)?, label: r.get(3)?, created_at: r.get(4)?, revoked_at: r.get(5)? })
            })?
            .collect()
        })()
        .ctx(|| "reading tokens".into())
    }

    pub fn tokens(&self) -> Result<Vec<Token>> {
        self.token_rows(None)
    }

    pub fn token(&self, id: &str) -> Result<Option<Token>> {
        Ok(self.token_rows(Some(id))?.pop())
    }

    pub fn revoke_token(&self, id: &str, at: i64) -> Result<()> {
        self.conn
            .execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", params![at, id])
            .ctx(|| format!("revoking token {id}"))?;
        Ok(())
    }

    pub fn insert_session(&self, s: &Session) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                params![s.id, s.user, s.hash, s.created_at, s.expires_at, s.ended_at],
            )
            .ctx(|| format!("storing session {}", s.id))?;
        Ok(())
    }

    /// Sessions still open (not ended); expired ones are kept for the audit trail but not loaded.
    pub fn sessions(&self) -> Result<Vec<Session>> {
        (|| -> duckdb::Result<Vec<Session>> {
            let mut q = self.conn.prepare(
                "SELECT id, user_name, hash, created_at, expires_at, ended_at FROM sessions WHERE ended_at IS NULL ORDER BY created_at",
            )?;
            q.query_map([], |r| {
                Ok(Session {
                    id: r.get(0)?,
                    user: r.get(1)?,
                    hash: r.get(2)?,
                    created_at: r.get(3)?,
                    expires_at: r.get(4)?,
                    ended_at: r.get(5)?,
                })
            })?
            .collect()
        })()
        .ctx(|| "reading sessions".into())
    }

    pub fn end_session(&self, id: &str, at: i64) -> Result<()> {
        self.conn
            .execute("UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL", params![at, id])
            .ctx(|| format!("ending session {id}"))?;
        Ok(())
    }

    /// Append audit lines (one statement per line, in one transaction).
    pub fn append_audit(&self, entries: &[AuditEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        // the appender writes rows in bulk (a prepared INSERT costs about 1 ms a row, under the store's lock)
        self.transaction("writing the audit log", |s| {
            let mut a = s.conn.appender("audit_log").ctx(|| "writing the audit log".into())?;
            for e in entries {
                a.append_row(params![
                    e.at,
                    e.actor,
                    e.role,
                    e.credential,
                    e.method,
                    e.path,
                    e.status,
                    e.outcome,
                    e.unit,
                    e.target,
                    e.detail
                ])
                .ctx(|| "writing the audit log".into())?;
            }
            a.flush().ctx(|| "writing the audit log".into())
        })
    }

    /// Audit lines, newest first.
    pub fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        (|| -> duckdb::Result<Vec<AuditEntry>> {
            let mut st = self.conn.prepare(
                "SELECT at_ms, actor, role, credential, method, path, status, outcome, unit, target, detail FROM audit_log
                 WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR outcome = ?2) AND (?3 IS NULL OR at_ms >= ?3) AND (?4 IS NULL OR at_ms < ?4)
                 ORDER BY at_ms DESC LIMIT ?5",
            )?;
            let limit = i64::try_from(q.limit.clamp(1, 10_000)).unwrap_or(1000);
            st.query_map(params![q.actor, q.outcome, q.from_ms, q.to_ms, limit], |r| {
                Ok(AuditEntry {
                    at: r.get(0)?,
                    actor: r.get(1)?,
                    role: r.get(2)?,
                    credential: r.get(3)?,
                    method: r.get(4)?,
                    path: r.get(5)?,
                    status: r.get(6)?,
                    outcome: r.get(7)?,
                    unit: r.get(8)?,
                    target: r.get(9)?,
                    detail: r.get(10)?,
                })
            })?
            .collect()
        })()
        .ctx(|| "reading the audit log".into())
    }
}
