//! `wangge users …` and `wangge token …`: people and machine credentials in the store.
//!
//! These open the store file, so they run while no server holds it (DuckDB
//! admits one writing process); a serving store is changed through the admin
//! API instead (`/api/admin/users`, `/api/admin/tokens`).

use std::io::BufRead;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::CliError;
use crate::auth::{self, NewUser, PeopleError};
use crate::store::{DEFAULT_DB, Store, StoreError};

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user with a role and a jurisdiction (a unit id: they act on its subtree).
    Add(UsersAddArgs),
    /// List users (never their password hashes).
    List(StoreArg),
    /// Disable a user: their tokens and sessions stop working at once.
    Disable(UserNameArgs),
    /// Enable a disabled user again.
    Enable(UserNameArgs),
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; the token is printed once, as the last line.
    Create(TokenCreateArgs),
    /// Revoke a token by its id (or the whole token): it gets 401 from then on.
    Revoke(TokenRevokeArgs),
    /// List tokens (ids, users, labels, revoked or not; never the tokens).
    List(StoreArg),
}

#[derive(Debug, Args)]
pub struct StoreArg {
    /// The store file (DuckDB).
    #[arg(long, env = "WANGGE_DB", default_value = DEFAULT_DB)]
    pub db: PathBuf,
}

#[derive(Debug, Args)]
pub struct UsersAddArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The user's name (unique; letters, digits, _ . - @, Chinese allowed).
    #[arg(long)]
    pub name: String,
    /// admin, dispatcher, department, grid_worker, screen, planner or analyst.
    #[arg(long)]
    pub role: String,
    /// The unit whose subtree they act on (none: the whole district).
    #[arg(long)]
    pub unit: Option<String>,
    /// For the department role: the department whose cases they handle (from the taxonomy's list).
    #[arg(long)]
    pub department: Option<String>,
    /// Read the password (one line, at least 8 characters) from standard input; without it the user logs in with tokens only.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct UserNameArgs {
    #[command(flatten)]
    pub store: StoreArg,
    #[arg(long)]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Whose token it is (it acts with that user's role and jurisdiction).
    #[arg(long)]
    pub user: String,
    /// What it is for (a screen, a sensor gateway, a script).
    #[arg(long)]
    pub label: Option<String>,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The token's id (shown at creation and by `wangge token list`) or the whole token.
    pub token: String,
}

/// Why a users/token command failed.
#[derive(Debug, thiserror::Error)]
pub enum PeopleCliError {
    #[error(
        "the store {} is in use (is `wangge serve` running on it?); stop the server, or use the admin API: POST /api/admin/users, POST /api/admin/tokens, POST /api/admin/tokens/ID/revoke",
        .0.display()
    )]
    InUse(PathBuf),
    #[error(transparent)]
    People(#[from] PeopleError),
    #[error("--password-stdin: no password on standard input")]
    NoPassword,
    #[error("--password-stdin: {0}")]
    Stdin(std::io::Error),
}

fn open(db: &std::path::Path) -> Result<Store, CliError> {
    Store::open(db).map_err(|e| match &e {
        StoreError::Open { source, .. } if source.to_string().to_lowercase().contains("lock") => {
            CliError::People(PeopleCliError::InUse(db.to_owned()))
        }
        _ => CliError::Store(e),
    })
}

fn people(e: PeopleError) -> CliError {
    CliError::People(PeopleCliError::People(e))
}

/// Run `wangge users …`.
pub fn users(cmd: UsersCommand) -> Result<(), CliError> {
    match cmd {
        UsersCommand::Add(a) => {
            let password = if a.password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).map_err(|e| CliError::People(PeopleCliError::Stdin(e)))?;
                let p = line.trim_end_matches(['\n', '\r']).to_owned();
                if p.is_empty() {
                    return Err(CliError::People(PeopleCliError::NoPassword));
                }
                Some(p)
            } else {
                None
            };
            let store = open(&a.store.db)?;
            let first = store.users()?.is_empty();
            let u = NewUser { name: a.name, role: a.role, unit: a.unit, department: a.department, password };
            let user = auth::new_user(&store, u, auth::now()).map_err(people)?;
            store.insert_user(&user)?;
            println!(
                "added {} ({}{}{}){}",
                user.name,
                user.role,
                user.unit.as_deref().map(|u| format!(", unit {u}")).unwrap_or_default(),
                user.department.as_deref().map(|d| format!(", department {d}")).unwrap_or_default(),
                if user.password_hash.is_some() { ", with a password" } else { ", tokens only" }
            );
            if first {
                println!("the store now has users: every /api, /tiles and page data request needs a credential");
            }
            Ok(())
        }
        UsersCommand::List(a) => {
            let store = open(&a.db)?;
            for u in store.users()? {
                println!(
                    "{:<20} {:<12} unit={:<16} department={:<8} password={} {}",
                    u.name,
                    u.role,
                    u.unit.as_deref().unwrap_or("(all)"),
                    u.department.as_deref().unwrap_or("-"),
                    if u.password_hash.is_some() { "yes" } else { "no" },
                    if u.disabled { "DISABLED" } else { "" }
                );
            }
            Ok(())
        }
        UsersCommand::Disable(a) | UsersCommand::Enable(a) if a.name.is_empty() => Err(people(PeopleError::BadName)),
        UsersCommand::Disable(a) => set_disabled(a, true),
        UsersCommand::Enable(a) => set_disabled(a, false),
    }
}

fn set_disabled(a: UserNameArgs, disabled: bool) -> Result<(), CliError> {
    let store = open(&a.store.db)?;
    if !store.set_user_disabled(&a.name, disabled)? {
        return Err(people(PeopleError::NoUser(a.name)));
    }
    println!("{} {}", if disabled { "disabled" } else { "enabled" }, a.name);
    Ok(())
}

/// Run `wangge token …`.
pub fn token(cmd: TokenCommand) -> Result<(), CliError> {
    match cmd {
        TokenCommand::Create(a) => {
            let store = open(&a.store.db)?;
            let (shown, t) = auth::create_token(&store, &a.user, a.label, auth::now()).map_err(people)?;
            println!("token {} for {} (shown once; keep it secret; revoke with `wangge token revoke {}`):", t.id, t.user, t.id);
            println!("{shown}");
            Ok(())
        }
        TokenCommand::Revoke(a) => {
            let store = open(&a.store.db)?;
            let t = auth::revoke_token(&store, &a.token, auth::now()).map_err(people)?;
            println!("revoked token {} of {}", t.id, t.user);
            Ok(())
        }
        TokenCommand::List(a) => {
            let store = open(&a.db)?;
            for t in store.tokens()? {
                println!(
                    "{}  {:<20} {:<24} created {}  {}",
                    t.id,
                    t.user,
                    t.label.as_deref().unwrap_or("-"),
                    t.created_at,
                    t.revoked_at.map(|r| format!("revoked {r}")).unwrap_or_else(|| "active".into())
                );
            }
            Ok(())
        }
    }
}
