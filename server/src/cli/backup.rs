//! `wangge backup`: a consistent copy of a store, from the file when no
//! server holds it (`--db`), or through a serving one (`--server`, which
//! copies it under its store's mutex: DuckDB lets one process write a file).
//!
//! Either way the copy is written beside OUT, checked (it opens, its schema
//! version is known, every layer version is whole) and only then renamed to
//! OUT; an existing OUT is never overwritten.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;

use super::CliError;
use crate::store::Store;

/// Flags of `wangge backup`.
#[derive(Debug, Args, Clone)]
pub struct BackupArgs {
    /// A store file no server holds (a serving one refuses: use --server).
    // no WANGGE_DB here: a store named in the environment would clash with --server
    #[arg(long, conflicts_with = "server", required_unless_present = "server")]
    pub db: Option<PathBuf>,
    /// A serving wangge (http://HOST:PORT): it takes the copy while it keeps serving.
    #[arg(long, env = "WANGGE_SERVER")]
    pub server: Option<String>,
    /// API token sent as `Authorization: Bearer …` to --server.
    #[arg(long, env = "WANGGE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The backup file to write (must not exist).
    pub out: PathBuf,
}

/// Why a backup or a restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{}: exists; give a new file (a backup never overwrites one)", .0.display())]
    Exists(PathBuf),
    #[error("{}: no such file", .0.display())]
    Missing(PathBuf),
    #[error("--server {0:?}: expected http://HOST:PORT (https is not spoken here: use a tunnel to the port)")]
    Url(String),
    #[error("--server {url}: {source}")]
    Connect { url: String, source: std::io::Error },
    #[error("--server {url} answered {status}: {message}")]
    Refused { url: String, status: u16, message: String },
    #[error("--server {url}: the answer is not HTTP ({0})", .detail)]
    Protocol { url: String, detail: String },
    #[error("{}: the copy is not a whole store: {}", path.display(), problems.join("; "))]
    Damaged { path: PathBuf, problems: Vec<String> },
    #[error("{}: exists from an earlier restore; move it away first", .0.display())]
    BeforeExists(PathBuf),
    #[error("{source} (a store a server holds is backed up through it: wangge backup --server http://HOST:PORT OUT)")]
    Held { source: crate::store::StoreError },
}

/// What a checked copy holds.
pub(crate) struct Checked {
    pub rows: i64,
    pub tables: usize,
    pub schema_version: u32,
}

/// Open a copy as a store (applying any migrations it lacks) and check every layer version is whole.
pub(crate) fn check_copy(path: &Path) -> Result<Checked, CliError> {
    let store = Store::open(path)?;
    let problems = store.version_problems()?;
    if !problems.is_empty() {
        return Err(BackupError::Damaged { path: path.to_owned(), problems }.into());
    }
    let counts = store.row_counts()?;
    Ok(Checked { rows: counts.values().sum(), tables: counts.len(), schema_version: store.schema_version()? })
}

/// `FILE` + `suffix` (FILE.partial, FILE.wal, FILE.before-restore).
pub(crate) fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Remove a file and its write-ahead log if they are there.
pub(crate) fn remove_with_wal(path: &Path) -> Result<(), CliError> {
    for p in [path.to_owned(), beside(path, ".wal")] {
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(CliError::io(p)(e)),
            _ => {}
        }
    }
    Ok(())
}

/// Run `wangge backup`.
pub fn run(a: BackupArgs) -> Result<(), CliError> {
    let started = Instant::now();
    if a.out.exists() {
        return Err(BackupError::Exists(a.out).into());
    }
    let partial = beside(&a.out, ".partial");
    remove_with_wal(&partial)?;
    let written = match (&a.db, &a.server) {
        (Some(db), _) => {
            if !db.exists() {
                return Err(BackupError::Missing(db.clone()).into());
            }
            let store = Store::open(db).map_err(|source| match source {
                crate::store::StoreError::Open { .. } => CliError::from(BackupError::Held { source }),
                other => CliError::from(other),
            })?;
            store.backup_to(&partial).map_err(CliError::from)
        }
        (None, Some(url)) => fetch(url, a.token.as_deref(), &partial),
        (None, None) => Err(BackupError::Url(String::new()).into()),
    };
    let checked = written.and_then(|()| check_copy(&partial));
    let checked = match checked {
        Ok(c) => c,
        Err(e) => {
            let _ = remove_with_wal(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, &a.out).map_err(CliError::io(&a.out))?;
    let bytes = std::fs::metadata(&a.out).map_or(0, |m| m.len());
    println!(
        "backed up {} rows in {} tables (schema version {}) to {} ({:.1} MB) in {:.2} s",
        checked.rows,
        checked.tables,
        checked.schema_version,
        a.out.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `POST /api/admin/backup` on a serving wangge, the body written to `out`.
fn fetch(url: &str, token: Option<&str>, out: &Path) -> Result<(), CliError> {
    let bad_url = || BackupError::Url(url.to_owned());
    let rest = url.strip_prefix("http://").ok_or_else(bad_url)?;
    let (host, prefix) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p.trim_end_matches('/')));
    if host.is_empty() {
        return Err(bad_url().into());
    }
    let connect = |source| BackupError::Connect { url: url.to_owned(), source };
    let proto = |detail: String| BackupError::Protocol { url: url.to_owned(), detail };
    let mut conn = TcpStream::connect(if host.contains(':') { host.to_owned() } else { format!("{host}:80") }).map_err(connect)?;
    conn.set_read_timeout(Some(Duration::from_secs(600))).map_err(connect)?;
    let path = if prefix.is_empty() { "/api/admin/backup".to_owned() } else { format!("/{prefix}/api/admin/backup") };
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(conn, "POST {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n").map_err(connect)?;
    let mut r = BufReader::new(conn);
    let mut line = String::new();
    r.read_line(&mut line).map_err(connect)?;
    let status: u16 =
        line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| proto(format!("status line {:?}", line.trim())))?;
    let (mut len, mut chunked) = (None, false);
    loop {
        line.clear();
        r.read_line(&mut line).map_err(connect)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        let l = line.to_ascii_lowercase();
        if let Some(v) = l.strip_prefix("content-length:") {
            len = Some(v.trim().parse::<u64>().map_err(|_| proto(format!("content-length {:?}", v.trim())))?);
        }
        if l.starts_with("transfer-encoding:") && l.contains("chunked") {
            chunked = true;
        }
    }
    let mut body: Box<dyn Read> = if chunked { Box::new(Chunked { r, left: 0, done: false }) } else { Box::new(r) };
    if status != 200 {
        let mut text = String::new();
        let _ = body.take(64 << 10).read_to_string(&mut text);
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| text.trim().to_owned());
        return Err(BackupError::Refused { url: url.to_owned(), status, message }.into());
    }
    let mut f = std::fs::File::create(out).map_err(CliError::io(out))?;
    let got = match len {
        Some(n) => std::io::copy(&mut body.by_ref().take(n), &mut f),
        None => std::io::copy(&mut body, &mut f),
    }
    .map_err(connect)?;
    if let Some(n) = len
        && got != n
    {
        return Err(proto(format!("the connection closed after {got} of {n} bytes")).into());
    }
    f.sync_all().map_err(CliError::io(out))?;
    Ok(())
}

/// A chunked HTTP/1.1 body.
struct Chunked<R> {
    r: R,
    left: u64,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("chunked body: {m}"));
        if self.done {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            self.r.read_line(&mut line)?;
            if line == "\r\n" {
                line.clear();
                self.r.read_line(&mut line)?;
            }
            let size = line.trim().split(';').next().unwrap_or("");
            self.left = u64::from_str_radix(size, 16).map_err(|_| bad(&format!("chunk size {size:?}")))?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.r.read(&mut buf[..want])?;
        if n == 0 {
            return Err(bad("closed inside a chunk"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}
