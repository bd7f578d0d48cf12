#!/usr/bin/env bash
# Issue 16 benchmark with its anchors in the same run: 50,000 buildings, 500 facilities
# of 3 kinds, a generated 200,000-edge street network (labelled generated): wangge's
# distances and catchments, then scipy.sparse.csgraph and networkx on the same graph
# (checked against wangge's node distances).
# Usage: bash benches/service.sh [SIDE]   (needs make anchors: numpy, scipy, networkx)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "load before: $(uptime)"
SIDE=${1:-317}
OUT=benches/out/service
cargo build --release -p wangge-benches --bin service_bench
W=$("${CARGO_TARGET_DIR:-target}"/release/service_bench "$OUT" "$SIDE")
read -r NODES < <(python3 -c "import json,sys; print(json.loads(sys.argv[1])['nodes'])" "$W")
A=$(python3 benches/anchors/service.py "$OUT" "$NODES" 3)
echo "load after: $(uptime)"
python3 - "$W" "$A" <<'PY'
import json, sys
w = json.loads(sys.argv[1]); a = json.loads(sys.argv[2])
print("wangge:", json.dumps(w))
print("anchors:", json.dumps(a))
print("| network (generated) | wangge: build s | attach 50k buildings s | distances 3 kinds, serial s | 3 kinds on 2 cores s | scipy 3 kinds s | networkx 3 kinds s | scipy / wangge (serial, parallel) | 9 catchments s (serial) | whole job s (attach + distances + catchments, 2 cores) | whole job CPU s | max diff m (scipy, networkx) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
ws, wp, sc = w["distances_3_kinds_serial_s"], w["distances_3_kinds_parallel_s"], a["scipy_3_kinds_s"]
print(f"| {w['nodes']} nodes, {w['edges']} edges | {w['build_s']:.3f} | {w['attach_buildings_s']:.3f} | {ws:.4f} | {wp:.4f} | {sc:.4f} | {a['networkx_3_kinds_s']:.2f} | {sc/ws:.1f}×, {sc/wp:.1f}× | {w['catchments_9_serial_s']:.3f} | {w['job_s']:.3f} | {w['job_cpu_s']:.2f} | {a['max_diff_scipy_m']:.1e}, {a['max_diff_networkx_m']:.1e} |")
PY
