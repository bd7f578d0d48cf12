//! kill -9 rounds (issue 13 part 5): the real `wangge` processes are killed
//! with SIGKILL (std's `Child::kill`) at a random moment of
//!
//! * (a) `wangge import` of a layer (the import process is killed),
//! * (b) intake: many kept-alive connections posting incidents,
//! * (c) camera edits over HTTP (each a new cameras layer version),
//! * (d) bulk loads (`POST /api/incidents/bulk`, all or nothing);
//!
//! after each kill the store is opened again and checked: every
//! acknowledged (2xx) write is there (incident ids, camera edit versions with
//! the heading sent, bulk keys with all their rows), no layer version is
//! half-written (`Store::version_problems`), no bulk is partly kept, and
//! `wangge check` passes; then the server is restarted on the same file and
//! answers for a sample of the acknowledged writes. A table of rounds, writes
//! acknowledged, lost and half versions is printed; the exit status is 1 if
//! anything was lost or half-written.
//!
//! usage: crash_rounds [--rounds N] [--seed S] [--wangge PATH] [--token T] [--users yes]
//!        [--only abcd] [--connections C]
//! (`--token` or WANGGE_TOKEN is sent as `Authorization: Bearer …`.)

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use wangge::store::Store;
use wangge_benches::http::{connect, request};
use wangge_engine::model::{Layer, LayerKind};

mod scenarios;
use scenarios::*;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

struct Opts {
    rounds: usize,
    seed: u64,
    wangge: PathBuf,
    token: Option<String>,
    only: String,
    connections: usize,
    /// Add an admin and its API token to the base store, so every round runs with authentication.
    users: bool,
}

fn opts() -> Res<Opts> {
    let mut o = Opts {
        rounds: 2,
        seed: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos() as u64 % 1_000_000,
        wangge: std::env::current_exe()?.with_file_name("wangge"),
        token: std::env::var("WANGGE_TOKEN").ok().filter(|t| !t.is_empty()),
        only: "abcd".into(),
        connections: 64,
        users: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let [flag, value] = pair else { return Err(format!("{}: expected a value", pair[0]).into()) };
        match flag.as_str() {
            "--rounds" => o.rounds = value.parse()?,
            "--seed" => o.seed = value.parse()?,
            "--wangge" => o.wangge = value.into(),
            "--token" => o.token = Some(value.clone()),
            "--only" => o.only = value.clone(),
            "--connections" => o.connections = value.parse()?,
            "--users" => o.users = value == "yes",
            _ => return Err(format!("unknown flag {flag}; use --rounds --seed --wangge --token --only --connections --users yes").into()),
        }
    }
    if !o.wangge.exists() {
        return Err(format!("{}: no wangge binary (build it, or give --wangge)", o.wangge.display()).into());
    }
    Ok(o)
}

/// What one scenario found over its rounds.
#[derive(Default)]
struct Tally {
    rounds: usize,
    acked: usize,
    lost: usize,
    half: usize,
    /// Writes acknowledged per second in each round, until the kill.
    rates: Vec<f64>,
    /// Rounds where the kill came after the write finished (import scenario).
    finished: usize,
    problems: Vec<String>,
}

impl Tally {
    fn lose(&mut self, what: String) {
        self.lost += 1;
        if self.problems.len() < 20 {
            self.problems.push(what);
        }
    }
}

/// The running server.
struct Server {
    child: Child,
    addr: SocketAddr,
}

struct Rig {
    o: Opts,
    rng: ChaCha8Rng,
    work: PathBuf,
    generated: PathBuf,
    admin: PathBuf,
    log: std::fs::File,
    auth: String,
}

fn free_port() -> Res<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A blocking GET; the status and body.
fn get(addr: SocketAddr, path: &str, auth: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n")?;
    let mut r = std::io::BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let mut body = String::new();
    r.read_to_string(&mut body)?;
    Ok((status, body))
}

impl Rig {
    fn wangge(&self) -> Command {
        Command::new(&self.o.wangge)
    }

    fn log_handle(&self) -> Res<Stdio> {
        Ok(Stdio::from(self.log.try_clone()?))
    }

    /// Start `wangge serve` on `db` and wait until it answers.
    fn start(&self, db: &Path) -> Res<Server> {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        let mut child = self
            .wangge()
            .args(["serve", "--db"])
            .arg(db)
            .args(["--addr", &addr.to_string()])
            .stdout(self.log_handle()?)
            .stderr(self.log_handle()?)
            .spawn()?;
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(180) {
            if let Some(status) = child.try_wait()? {
                return Err(format!(
                    "wangge serve --db {} exited ({status}) at start; see {}/crash.log",
                    db.display(),
                    self.work.display()
                )
                .into());
            }
            if get(addr, "/health", &self.auth).is_ok_and(|(s, _)| s == 200) {
                return Ok(Server { child, addr });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        Err(format!("wangge serve --db {} did not answer within 180 s", db.display()).into())
    }

    fn kill9(&self, mut s: Server) -> Res<()> {
        s.child.kill()?;
        s.child.wait()?;
        Ok(())
    }

    /// After a kill: the store opens, no layer version is half-written, `wangge check` passes.
    fn check_store(&self, db: &Path, t: &mut Tally) -> Res<Store> {
        let store = Store::open(db).map_err(|e| format!("after the kill the store does not open: {e}"))?;
        let half = store.version_problems()?;
        t.half += half.len();
        for h in half {
            t.problems.push(format!("half-written: {h}"));
        }
        Ok(store)
    }

    fn wangge_check(&self, db: &Path, t: &mut Tally) -> Res<()> {
        let o = self.wangge().args(["check", "--db"]).arg(db).output()?;
        if !o.status.success() {
            t.problems.push(format!("wangge check failed: {}", String::from_utf8_lossy(&o.stderr).trim()));
            t.half += 1;
        }
        Ok(())
    }

    fn delay(&mut self, lo: f64, hi: f64) -> Duration {
        Duration::from_secs_f64(self.rng.random_range(lo..hi))
    }
}

/// Generate the small district and a base store with its layers.
fn setup(rig: &Rig) -> Res<PathBuf> {
    run(rig.wangge().args(["gen", "demo", "--admin"]).arg(&rig.admin).arg("--out").arg(&rig.generated).args([
        "--seed",
        "2026",
        "--split",
        "2,2,1",
        "--buildings-per-leaf",
        "1",
        "--incidents",
        "300",
    ]))?;
    let base = rig.work.join("base.duckdb");
    for (layer, files) in [
        ("units", vec![rig.admin.clone(), rig.generated.join("units.geojson")]),
        ("buildings", vec![rig.generated.join("buildings.geojson")]),
        ("cameras", vec![rig.generated.join("cameras.geojson")]),
        ("facilities", vec![rig.generated.join("facilities.geojson")]),
    ] {
        run(rig.wangge().args(["import", "--layer", layer, "--db"]).arg(&base).args(files))?;
    }
    Ok(base)
}

fn run(c: &mut Command) -> Res<String> {
    let o = c.output()?;
    if !o.status.success() {
        return Err(format!("{c:?} failed: {}", String::from_utf8_lossy(&o.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

fn fresh(rig: &Rig, base: &Path, name: &str) -> Res<PathBuf> {
    let db = rig.work.join(format!("{name}.duckdb"));
    std::fs::copy(base, &db)?;
    Ok(db)
}

/// (a) kill `wangge import` at a random moment of the import.
fn bearer(token: &Option<String>) -> String {
    token.as_ref().map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"))
}

/// Load the server with `work` on `conns` connections; kill it after `wait`.
/// Returns what each connection had acknowledged and the seconds until the kill.
fn main() -> Res<()> {
    let o = opts()?;
    println!("crash_rounds: seed {} ({} rounds per scenario, wangge {})", o.seed, o.rounds, o.wangge.display());
    let dir = tempfile::tempdir()?;
    let work = dir.path().to_owned();
    let log = std::fs::File::create(work.join("crash.log"))?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let auth = bearer(&o.token);
    let mut rig = Rig {
        rng: ChaCha8Rng::seed_from_u64(o.seed),
        generated: work.join("gen"),
        admin: root.join("data/shinan/admin.geojson"),
        work,
        log,
        auth,
        o,
    };
    let t0 = Instant::now();
    let base = setup(&rig)?;
    if rig.o.users {
        // the store has users: every request of every round carries the admin's token
        run(rig.wangge().args(["users", "add", "--name", "crash-admin", "--role", "admin", "--db"]).arg(&base))?;
        let out = run(rig.wangge().args(["token", "create", "--user", "crash-admin", "--db"]).arg(&base))?;
        let token = out.lines().last().unwrap_or_default().trim().to_owned();
        rig.auth = bearer(&Some(token));
        println!("with users: every request carries an admin's API token");
    }
    self_check(&rig, &base)?;
    type Scenario = fn(&mut Rig, &Path) -> Res<Tally>;
    let scenarios: [(char, &str, &str, &str, Scenario); 4] = [
        ('a', "import (kill wangge import)", "imports", "", scenario_import),
        ('b', "intake (POST /api/incidents)", "incidents", "incidents/s", scenario_intake),
        ('c', "camera edits (PUT/POST /api/cameras)", "edits", "edits/s", scenario_cameras),
        ('d', "bulk load (POST /api/incidents/bulk)", "bulk loads", "rows/s", scenario_bulk),
    ];
    let mut rows = Vec::new();
    for (key, name, unit, per, f) in scenarios {
        if !rig.o.only.contains(key) {
            continue;
        }
        let t1 = Instant::now();
        let t = f(&mut rig, &base).map_err(|e| format!("scenario {name}: {e}"))?;
        eprintln!("{name}: {} rounds in {:.1} s", t.rounds, t1.elapsed().as_secs_f64());
        rows.push((name, unit, per, t));
    }
    println!();
    println!("| scenario | rounds | writes acknowledged | lost | half versions | rate until the kill (min / mean) |");
    println!("|---|---|---|---|---|---|");
    let mut bad = false;
    for (name, unit, per, t) in &rows {
        let rate = if t.rates.is_empty() {
            format!("{} of {} imports finished before the kill", t.finished, t.rounds)
        } else {
            let min = t.rates.iter().copied().fold(f64::INFINITY, f64::min);
            let mean = t.rates.iter().sum::<f64>() / t.rates.len() as f64;
            format!("{min:.0} / {mean:.0} {per}")
        };
        println!("| {name} | {} | {} {unit} | {} | {} | {rate} |", t.rounds, t.acked, t.lost, t.half);
        for p in &t.problems {
            println!("  - {p}");
        }
        bad |= t.lost > 0 || t.half > 0;
    }
    println!();
    println!("seed {}, {:.0} s in all", rig.o.seed, t0.elapsed().as_secs_f64());
    if bad {
        // keep the files for a look
        let kept = dir.keep();
        eprintln!("acknowledged writes lost or half-written versions: the stores and crash.log are in {}", kept.display());
        std::process::exit(1);
    }
    Ok(())
}
