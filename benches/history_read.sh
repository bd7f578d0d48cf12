#!/usr/bin/env bash
# Issue 14: what a read over the kept history of closed cases costs the server as the history grows
# (benches/RESULTS.md, "Reads of the history"). A copy of STORE is served by BIN; ROUNDS times, CHUNK closed cases
# (points of POINTS, a CSV with lon/lat/category; status resolved; each round's in a band of 3 days, the later
# rounds nearer today, all before yesterday) are
# bulk-posted, then three reads are timed: the screen's heatmap of every case (`/api/heatmap?format=geojson&res=9`,
# counted in memory), the same heatmap as a period reaching back to 2000 (`&from=2000-01-01T00:00:00Z`, which reads
# every closed case from the store) and the screen's live list of the last 24 hours (`/api/incidents?from=`). Prints per
# round the cases kept, each read's status and seconds, and the server's RSS and DuckDB's memory after them. Extra
# NAME=VALUE arguments go into the server's environment (for example WANGGE_STORE_MEMORY_LIMIT=16MB).
# Usage: bash benches/history_read.sh BIN STORE POINTS ROUNDS CHUNK [NAME=VALUE...]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$1 STORE=$2 POINTS=$3 ROUNDS=$4 CHUNK=$5
shift 5
OUT=$(mktemp -d)
trap 'kill "$P" 2>/dev/null || true; rm -rf "$OUT"' EXIT
cp "$STORE" "$OUT/store.duckdb"
env "$@" "$BIN" serve --db "$OUT/store.duckdb" --addr 127.0.0.1:0 --web web --memory-log-s 0 2>"$OUT/err" &
P=$!
until grep -qs "serving the map at" "$OUT/err"; do sleep 0.5; done
BASE=$(grep -o "http://127.0.0.1:[0-9]*" "$OUT/err" | head -1)
rss() { echo "$(($(awk '/VmRSS/{print $2}' "/proc/$P/status") / 1024))"; }
# one read: "status seconds"
read_s() { curl -s -o /dev/null -w '%{http_code} %{time_total}' "$BASE$1"; }
echo "| kept closed cases | heatmap (status, s) | heatmap since 2000 (status, s) | last 24 h (status, s) | RSS MB |"
echo "|---|---|---|---|---|"
from=$(date -u -d '24 hours ago' +%Y-%m-%dT%H:%M:%SZ)
for round in $(seq 1 "$ROUNDS"); do
  python3 - "$POINTS" "$CHUNK" "$round" "$ROUNDS" >"$OUT/chunk.csv" <<'EOF'
import csv, random, sys, time
points, n, r, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
pts = [(row["lon"], row["lat"], row["category"]) for row in csv.DictReader(open(points))]
rnd = random.Random(r)
now = int(time.time())
print("id,occurred_at,category,status,lon,lat")
for k in range(n):
    lon, lat, c = pts[k % len(pts)]
    # as a history accrues: each round's cases in a 3-day band, the later rounds nearer today
    t = now - 86400 * (2 + 3 * (rounds - r)) - rnd.randrange(3 * 86400)
    print(f"H{r}-{k},{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))},{c},resolved,{lon},{lat}")
EOF
  code=$(curl -s -o "$OUT/bulk" -w '%{http_code}' -H 'Content-Type: text/csv' --data-binary "@$OUT/chunk.csv" "$BASE/api/incidents/bulk")
  [ "$code" = 201 ] || { echo "bulk round $round: $code $(head -c 300 "$OUT/bulk")"; exit 1; }
  heat=$(read_s "/api/heatmap?format=geojson&res=9")
  whole=$(read_s "/api/heatmap?format=geojson&res=9&from=2000-01-01T00:00:00Z")
  live=$(read_s "/api/incidents?from=$from")
  echo "| $((round * CHUNK)) | $heat | $whole | $live | $(rss) |"
done
grep "Out of Memory" "$OUT/err" | sed -E 's/.*detail=//' | sort | uniq -c | sed 's/^/out of memory: /' || true
