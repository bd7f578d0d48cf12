# The live lifecycle's writes alone, on a store file with Python's DuckDB: per case one INSERT into live_incidents and an
# audit row; 300 cases later one transaction with the step's INSERT into incident_transitions and (mode `update`) the
# UPDATE of its status, and another audit row. Prints duckdb_memory() by tag, the WAL and VmRSS every 5,000 cases.
# Usage: python3 benches/live_memory_duckdb.py FILE CASES LIMIT|none update|noupdate   (benches/RESULTS.md, issue 14)
import duckdb, sys, os, json, time
path, n, limit, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
for f in (path, path + '.wal'):
    if os.path.exists(f): os.remove(f)
c = duckdb.connect(path)
if limit != 'none': c.execute(f"SET memory_limit='{limit}'")
c.execute("SET threads=1")
c.execute("""CREATE TABLE live_incidents (
    id TEXT PRIMARY KEY, idempotency_key TEXT UNIQUE, lon DOUBLE NOT NULL, lat DOUBLE NOT NULL,
    occurred_at BIGINT NOT NULL, received_at BIGINT NOT NULL, category TEXT NOT NULL, item TEXT,
    status TEXT NOT NULL, units TEXT NOT NULL, reporter TEXT, note TEXT)""")
c.execute("""CREATE TABLE incident_transitions (
    incident_id TEXT NOT NULL, seq INTEGER NOT NULL, taken_at BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (incident_id, seq))""")
c.execute("""CREATE TABLE audit_log (at_ms BIGINT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, credential TEXT NOT NULL, method TEXT NOT NULL,
    path TEXT NOT NULL, status INTEGER NOT NULL, outcome TEXT NOT NULL, unit TEXT, target TEXT, detail TEXT)""")
def rss():
    for l in open('/proc/self/status'):
        if l.startswith('VmRSS'): return int(l.split()[1]) / 1024
body = json.dumps({"at": 1, "step": {"to": "resolved", "level": "grid", "by": "local", "role": "admin", "note": None}, "from": "reported"})
units = json.dumps(["370202", "370202001", "370202001001", "370202001001001"])
t0 = time.time()
for k in range(n):
    id = f"D-1764643200000-{k}"
    c.execute("INSERT INTO live_incidents VALUES (?, NULL, 120.3, 36.06, 1764643200, 1764643200, '环境卫生', NULL, 'reported', ?, NULL, NULL)", [id, units])
    c.execute("INSERT INTO audit_log VALUES (1, 'local', 'admin', 'open', 'POST', '/api/incidents', 201, 'ok', NULL, ?, NULL)", [id])
    if k >= 300:
        old = f"D-1764643200000-{k-300}"
        c.execute("BEGIN")
        c.execute("INSERT INTO incident_transitions VALUES (?, 0, 1, ?)", [old, body])
        if mode == 'update':
            c.execute("UPDATE live_incidents SET status = 'resolved' WHERE id = ?", [old])
        c.execute("COMMIT")
        c.execute("INSERT INTO audit_log VALUES (1, 'local', 'admin', 'open', 'POST', '/api/incidents/x/transitions', 200, 'ok', NULL, ?, NULL)", [old])
    if (k + 1) % 5000 == 0:
        tags = c.execute("SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0 ORDER BY 2 DESC").fetchall()
        ds = c.execute("SELECT wal_size, memory_usage FROM pragma_database_size()").fetchone()
        print(f"{k+1} cases {time.time()-t0:.0f}s rss {rss():.1f} MB duckdb {sum(b for _, b in tags)/1e6:.1f} MB", ' '.join(f"{t}={b/1e6:.1f}" for t, b in tags), 'wal', ds[0], flush=True)
