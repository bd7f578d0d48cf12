//! The four kill -9 scenarios of `crash_rounds` (import, intake, camera edits,
//! bulk loads), the harness's own self-check, and the helpers they share.

use super::*;

pub(super) fn scenario_import(rig: &mut Rig, base: &Path) -> Res<Tally> {
    let db = fresh(rig, base, "import")?;
    let files: Vec<(&str, Vec<PathBuf>)> = vec![
        ("units", vec![rig.admin.clone(), rig.generated.join("units.geojson")]),
        ("buildings", vec![rig.generated.join("buildings.geojson")]),
        ("cameras", vec![rig.generated.join("cameras.geojson")]),
    ];
    // how long each import takes (the longest of three, on a copy)
    let mut took = vec![0.0f64; files.len()];
    let scratch = fresh(rig, base, "import-timing")?;
    for _ in 0..3 {
        for (k, (layer, f)) in files.iter().enumerate() {
            let t = Instant::now();
            run(rig.wangge().args(["import", "--layer", layer, "--db"]).arg(&scratch).args(f))?;
            took[k] = took[k].max(t.elapsed().as_secs_f64());
        }
    }
    let mut t = Tally::default();
    let mut acked: Vec<(String, i32, i64)> = Vec::new();
    for _ in 0..rig.o.rounds {
        let k = rig.rng.random_range(0..files.len());
        let (layer, f) = &files[k];
        // most kills land inside the import; some after it finished (those
        // imports are acknowledged writes the later kills must not lose)
        let wait = rig.delay(0.0, took[k] * 1.4);
        let mut child = rig
            .wangge()
            .args(["import", "--layer", layer, "--db"])
            .arg(&db)
            .args(f)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        std::thread::sleep(wait);
        let done = child.try_wait()?.is_some();
        if !done {
            child.kill()?;
        }
        let status = child.wait()?;
        let mut out = String::new();
        if let Some(mut s) = child.stdout.take() {
            s.read_to_string(&mut out)?;
        }
        if status.success() {
            // "imported N units as version V into …"
            let w: Vec<&str> = out.split_whitespace().collect();
            let n = w.iter().position(|x| *x == "imported").and_then(|i| w.get(i + 1)).and_then(|n| n.parse::<i64>().ok());
            let v = w.iter().position(|x| *x == "version").and_then(|i| w.get(i + 1)).and_then(|v| v.parse::<i32>().ok());
            if let (Some(n), Some(v)) = (n, v) {
                acked.push(((*layer).to_owned(), v, n));
                t.finished += 1;
            } else {
                t.problems.push(format!("import printed no version: {out:?}"));
            }
        }
        t.rounds += 1;
        let store = rig.check_store(&db, &mut t)?;
        let versions: HashMap<(String, i32), i64> = store.versions()?.into_iter().map(|v| ((v.layer, v.version), v.features)).collect();
        for (layer, v, n) in &acked {
            if versions.get(&(layer.clone(), *v)) != Some(n) {
                t.lose(format!("import of {layer} version {v} ({n} features) acknowledged, not in the store"));
            }
        }
        let current = store.current_versions()?;
        drop(store);
        rig.wangge_check(&db, &mut t)?;
        // the server starts on the file and serves the current versions
        let s = rig.start(&db)?;
        let (_, body) = get(s.addr, "/api/layers", &rig.auth)?;
        let v: Value = serde_json::from_str(&body)?;
        for (kind, ver) in current {
            let served = v["layers"].as_array().and_then(|l| l.iter().find(|x| x["name"] == kind.as_str())).map(|x| x["version"].clone());
            if served != Some(json!(ver)) {
                t.problems.push(format!("the restarted server serves {kind} {served:?}, the store has version {ver}"));
                t.half += 1;
            }
        }
        rig.kill9(s)?;
    }
    t.acked = acked.len();
    Ok(t)
}

pub(super) fn load_and_kill<T: Send + 'static, F, Fut>(
    rig: &Rig,
    server: Server,
    conns: usize,
    wait: Duration,
    work: F,
) -> Res<(Vec<T>, f64)>
where
    F: Fn(usize, SocketAddr, Arc<AtomicBool>) -> Fut,
    Fut: std::future::Future<Output = Vec<T>> + Send + 'static,
{
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..conns).map(|c| rt.spawn(work(c, server.addr, stop.clone()))).collect();
    std::thread::sleep(wait);
    rig.kill9(server)?;
    let secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(rt.block_on(t)?);
    }
    Ok((all, secs))
}

/// (b) intake at full speed on many connections.
pub(super) fn scenario_intake(rig: &mut Rig, base: &Path) -> Res<Tally> {
    let db = fresh(rig, base, "intake")?;
    let mut t = Tally::default();
    let mut acked: Vec<String> = Vec::new();
    let mut server = rig.start(&db)?;
    for round in 0..rig.o.rounds {
        let wait = rig.delay(1.0, 3.0);
        let auth = rig.auth.clone();
        let (ids, secs) = load_and_kill(rig, server, rig.o.connections, wait, move |c, addr, stop| {
            let auth = auth.clone();
            async move {
                let mut ok = Vec::new();
                let Ok(mut conn) = connect(addr).await else { return ok };
                let mut k = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let id = format!("K{round}-{c}-{k}");
                    let (x, y) = (120.33 + (k % 97) as f64 * 8e-4, 36.05 + (c % 31) as f64 * 9e-4);
                    let body = format!("{{\"id\":\"{id}\",\"lon\":{x},\"lat\":{y},\"category\":\"环境卫生\",\"item\":\"垃圾堆放\"}}");
                    let headers = format!("{auth}Content-Type: application/json\r\nIdempotency-Key: {id}\r\n");
                    match request(&mut conn, "POST", "/api/incidents", &headers, &body).await {
                        Ok((201, _)) => ok.push(id),
                        Ok(_) => {}
                        Err(_) => break,
                    }
                    k += 1;
                }
                ok
            }
        })?;
        t.rates.push(ids.len() as f64 / secs);
        acked.extend(ids);
        t.rounds += 1;
        let store = rig.check_store(&db, &mut t)?;
        let kept: BTreeSet<String> = store.live_snapshot()?.incidents.into_iter().map(|i| i.id).collect();
        for id in missing(&acked, &kept) {
            t.lose(format!("incident {id} acknowledged (201), not in the store"));
        }
        drop(store);
        rig.wangge_check(&db, &mut t)?;
        server = rig.start(&db)?;
        sample_incidents(rig, &server, &acked, &mut t)?;
    }
    rig.kill9(server)?;
    t.acked = acked.len();
    Ok(t)
}

/// The restarted server answers for a sample of the acknowledged incidents.
pub(super) fn sample_incidents(rig: &mut Rig, server: &Server, ids: &[String], t: &mut Tally) -> Res<()> {
    for _ in 0..ids.len().min(20) {
        let id = &ids[rig.rng.random_range(0..ids.len())];
        let (status, _) = get(server.addr, &format!("/api/incidents/{id}"), &rig.auth)?;
        if status != 200 {
            t.lose(format!("the restarted server answers {status} for acknowledged incident {id}"));
        }
    }
    Ok(())
}

/// (c) camera edits: replace a camera's heading or add one; each 2xx names the new version.
pub(super) fn scenario_cameras(rig: &mut Rig, base: &Path) -> Res<Tally> {
    let db = fresh(rig, base, "cameras")?;
    let ids: Vec<String> = match Store::open(&db)?.read_layer(LayerKind::Cameras)? {
        Layer::Cameras(c) => c.into_iter().map(|c| c.id).collect(),
        _ => return Err("no cameras layer".into()),
    };
    let mut t = Tally::default();
    let mut acked: Vec<(i32, String, f64)> = Vec::new();
    let mut server = rig.start(&db)?;
    let seed = rig.o.seed;
    for round in 0..rig.o.rounds {
        let wait = rig.delay(1.0, 4.0);
        let (auth, ids) = (rig.auth.clone(), ids.clone());
        let (edits, secs) = load_and_kill(rig, server, 4, wait, move |c, addr, stop| {
            let (auth, ids) = (auth.clone(), ids.clone());
            async move {
                let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ((round as u64) << 8) ^ c as u64);
                let mut ok = Vec::new();
                let Ok(mut conn) = connect(addr).await else { return ok };
                let mut k = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let heading = f64::from(rng.random_range(0..360u16));
                    let (method, path, id) = if k % 5 == 4 {
                        let id = format!("CX{round}-{c}-{k}");
                        ("POST", "/api/cameras".to_owned(), id)
                    } else {
                        let id = ids[rng.random_range(0..ids.len())].clone();
                        ("PUT", format!("/api/cameras/{id}"), id)
                    };
                    let (x, y) = (120.34 + rng.random_range(0.0..0.06), 36.055 + rng.random_range(0.0..0.02));
                    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
                        "properties": {"id": id, "heading": heading, "fov": 70, "range": 60, "height": 6, "kind": "fixed"}})
                    .to_string();
                    let headers = format!("{auth}Content-Type: application/json\r\n");
                    match request(&mut conn, method, &path, &headers, &body).await {
                        Ok((200 | 201, b)) => {
                            let v: Value = serde_json::from_str(&b).unwrap_or(Value::Null);
                            if let Some(ver) = v["version"].as_i64().and_then(|v| i32::try_from(v).ok()) {
                                ok.push((ver, id, heading));
                            }
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                    k += 1;
                }
                ok
            }
        })?;
        t.rates.push(edits.len() as f64 / secs);
        acked.extend(edits);
        t.rounds += 1;
        let store = rig.check_store(&db, &mut t)?;
        let mut by_version: BTreeMap<i32, Vec<(String, f64)>> = BTreeMap::new();
        for (v, id, h) in &acked {
            by_version.entry(*v).or_default().push((id.clone(), *h));
        }
        let stored: BTreeSet<i32> = store.versions()?.into_iter().filter(|v| v.layer == "cameras").map(|v| v.version).collect();
        for (v, edits) in &by_version {
            if !stored.contains(v) {
                for (id, _) in edits {
                    t.lose(format!("camera edit of {id} acknowledged as cameras version {v}; no such version"));
                }
                continue;
            }
            let Layer::Cameras(cams) = store.read_version(LayerKind::Cameras, *v)? else { continue };
            for (id, h) in edits {
                if !cams.iter().any(|c| &c.id == id && (c.view.heading_deg - h).abs() < 1e-9) {
                    t.lose(format!("camera {id} heading {h} acknowledged in cameras version {v}, not there"));
                }
            }
        }
        let top = stored.last().copied();
        drop(store);
        rig.wangge_check(&db, &mut t)?;
        server = rig.start(&db)?;
        let (_, body) = get(server.addr, "/api/layers", &rig.auth)?;
        let v: Value = serde_json::from_str(&body)?;
        let served = v["layers"].as_array().and_then(|l| l.iter().find(|x| x["name"] == "cameras")).map(|x| x["version"].clone());
        if served != top.map(|t| json!(t)) {
            t.problems.push(format!("the restarted server serves cameras {served:?}, the store's newest is {top:?}"));
            t.half += 1;
        }
    }
    rig.kill9(server)?;
    t.acked = acked.len();
    Ok(t)
}

/// (d) bulk loads of a few hundred to two thousand incidents each, with an Idempotency-Key.
pub(super) fn scenario_bulk(rig: &mut Rig, base: &Path) -> Res<Tally> {
    let db = fresh(rig, base, "bulk")?;
    let mut t = Tally::default();
    let mut acked: Vec<(String, usize)> = Vec::new();
    let mut sent: HashMap<String, usize> = HashMap::new();
    let mut server = rig.start(&db)?;
    let seed = rig.o.seed;
    for round in 0..rig.o.rounds {
        let wait = rig.delay(1.0, 4.0);
        let auth = rig.auth.clone();
        let (loads, secs) = load_and_kill(rig, server, 3, wait, move |c, addr, stop| {
            let auth = auth.clone();
            async move {
                let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ((round as u64) << 8) ^ (c as u64 + 100));
                // every load tried, and whether it was acknowledged
                let mut out = Vec::new();
                let Ok(mut conn) = connect(addr).await else { return out };
                let mut k = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let key = format!("D{round}-{c}-{k}");
                    let n = rng.random_range(200..2000usize);
                    let mut csv = String::from("id,occurred_at,category,lon,lat\n");
                    for i in 0..n {
                        let (x, y) = (120.33 + rng.random_range(0.0..0.09), 36.05 + rng.random_range(0.0..0.03));
                        csv.push_str(&format!("{key}-{i},2026-11-19T10:00:00Z,环境卫生,{x:.6},{y:.6}\n"));
                    }
                    let headers = format!("{auth}Content-Type: text/csv\r\nIdempotency-Key: {key}\r\n");
                    let r = request(&mut conn, "POST", "/api/incidents/bulk", &headers, &csv).await;
                    let ok = matches!(r, Ok((201, _)));
                    out.push((key, n, ok));
                    if r.is_err() {
                        break;
                    }
                    k += 1;
                }
                out
            }
        })?;
        let rows: usize = loads.iter().filter(|l| l.2).map(|l| l.1).sum();
        t.rates.push(rows as f64 / secs);
        for (key, n, ok) in loads {
            sent.insert(key.clone(), n);
            if ok {
                acked.push((key, n));
            }
        }
        t.rounds += 1;
        let store = rig.check_store(&db, &mut t)?;
        let mut kept: HashMap<String, usize> = HashMap::new();
        for i in store.live_snapshot()?.incidents {
            if let Some((key, _)) = i.key.as_deref().and_then(|k| k.rsplit_once('#')) {
                *kept.entry(key.to_owned()).or_default() += 1;
            }
        }
        for (key, n) in &acked {
            if kept.get(key) != Some(n) {
                t.lose(format!("bulk {key} of {n} acknowledged (201); the store holds {:?} of its rows", kept.get(key)));
            }
        }
        for (key, got) in &kept {
            if sent.get(key).is_some_and(|n| n != got) {
                t.half += 1;
                t.problems.push(format!("bulk {key}: {got} of its {:?} rows kept (not all or nothing)", sent.get(key)));
            }
        }
        drop(store);
        rig.wangge_check(&db, &mut t)?;
        server = rig.start(&db)?;
        let sample: Vec<String> = acked.iter().map(|(k, _)| format!("{k}-0")).collect();
        sample_incidents(rig, &server, &sample, &mut t)?;
    }
    rig.kill9(server)?;
    t.acked = acked.len();
    Ok(t)
}

/// The checks can fail: a layer version with a row deleted behind the store's
/// back must be reported half-written, and an acknowledged id the store never
/// kept must be reported lost.
pub(super) fn self_check(rig: &Rig, base: &Path) -> Res<()> {
    let scratch = fresh(rig, base, "self-check")?;
    duckdb::Connection::open(&scratch)?.execute_batch("DELETE FROM buildings WHERE seq = 0")?;
    let mut t = Tally::default();
    let store = rig.check_store(&scratch, &mut t)?;
    if t.half != 1 {
        return Err(format!("self-check: a building row deleted from version 1 gave {} half versions, not 1", t.half).into());
    }
    let kept: BTreeSet<String> = store.live_snapshot()?.incidents.into_iter().map(|i| i.id).collect();
    if missing(&["NEVER-WRITTEN".to_owned()], &kept).len() != 1 {
        return Err("self-check: an incident never written was not reported lost".into());
    }
    Ok(())
}

/// The acknowledged ids the store does not hold.
pub(super) fn missing<'a>(acked: &'a [String], kept: &BTreeSet<String>) -> Vec<&'a String> {
    acked.iter().filter(|id| !kept.contains(*id)).collect()
}
