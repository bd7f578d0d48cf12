#!/usr/bin/env bash
# Issue 14: what the incident lifecycle's writes leave in the server's memory, without a page (benches/RESULTS.md).
# A copy of STORE is served by BIN; benches/write_load.py posts RATE incidents a second for MINUTES, each resolved 60 s
# later and one in five evaluated. Every 30 s: the resident memory by kind of mapping (benches/rss_by_mapping.py) and
# the server's memory line (glibc's bytes in use and held, DuckDB's own count). At the end, least-squares slopes per
# 10,000 incidents. Extra NAME=VALUE arguments go into the server's environment (MALLOC_ARENA_MAX=2, …).
# Usage: bash benches/write_memory.sh BIN STORE POINTS RATE MINUTES OUT [NAME=VALUE...]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$1 STORE=$2 POINTS=$3 RATE=$4 MINUTES=$5 OUT=$6
shift 6
mkdir -p "$OUT"
trap 'kill "$P" "$M" 2>/dev/null || true; rm -f "$OUT/store.duckdb" "$OUT/store.duckdb.wal"' EXIT
cp "$STORE" "$OUT/store.duckdb"
env WANGGE_MEMORY_LOG_S=30 "$@" "$BIN" serve --db "$OUT/store.duckdb" --addr 127.0.0.1:0 --web web 2>"$OUT/server.log" &
P=$!
until grep -qs "serving the map at" "$OUT/server.log"; do sleep 0.5; done
BASE=$(grep -o "http://127.0.0.1:[0-9]*" "$OUT/server.log" | head -1)
python3 benches/rss_by_mapping.py "$P" 30 "$OUT/maps.jsonl" >/dev/null &
M=$!
python3 benches/write_load.py "$BASE" "$POINTS" "$RATE" "$MINUTES" 60 | tee "$OUT/load.log"
sleep 31
python3 - "$OUT" "$RATE" <<'PY'
import json, re, sys
out, rate = sys.argv[1], float(sys.argv[2])
maps = [json.loads(l) for l in open(f"{out}/maps.jsonl")]
logs = [l for l in open(f"{out}/server.log") if "memory: rss" in l]
def slope(xs, ys):
    n = len(xs); mx = sum(xs) / n; my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else float("nan")
# the first quarter is the warm-up; cases posted = seconds × rate
keep = [m for m in maps if m["t_min"] >= maps[-1]["t_min"] / 4]
xs = [m["t_min"] * 60 * rate / 1e4 for m in keep]
for k in ("total", "mimalloc", "glibc_main", "glibc_arena", "other_anon"):
    ys = [m.get(k, 0) for m in keep]
    print(f"{k:12s} {ys[0]:7.1f} → {ys[-1]:7.1f} MB   {slope(xs, ys):+6.2f} MB per 10,000 incidents")
g = [m.get("glibc_main", 0) + m.get("glibc_arena", 0) for m in keep]
print(f"{'glibc':12s} {g[0]:7.1f} → {g[-1]:7.1f} MB   {slope(xs, g):+6.2f} MB per 10,000 incidents")
rows = []
for i, l in enumerate(logs):
    m = re.search(r"C heap ([\d.]+) MB in use of ([\d.]+) MB held, duckdb ([\d.]+) MB", l)
    if m: rows.append((i * 30 * rate / 1e4, *map(float, m.groups())))
rows = rows[len(rows) // 4:]
if len(rows) > 2:
    xs = [r[0] for r in rows]
    for j, k in enumerate(("C heap in use", "C heap held", "duckdb's count"), 1):
        ys = [r[j] for r in rows]
        print(f"{k:14s} {ys[0]:7.1f} → {ys[-1]:7.1f} MB   {slope(xs, ys):+6.2f} MB per 10,000 incidents")
print(logs[-1].strip()[-400:] if logs else "no memory line")
PY
