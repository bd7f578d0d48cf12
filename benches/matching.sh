#!/usr/bin/env bash
# AB-post matching benchmark with its anchors in the same run (issue 5; across
# parents issue 15 part 9). Usage: bash benches/matching.sh [GRIDS] (SMALL=2000)
# Needs the anchors (make anchors). Prints markdown rows for benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
GRIDS=${1:-50000}
# NO_BUILD=1: use the matching_bench already built (the shared target dir may be busy)
[ -n "${NO_BUILD:-}" ] || cargo build --release -p wangge-benches --bin matching_bench
BIN=${MATCHING_BENCH:-${CARGO_TARGET_DIR:-target}/release/matching_bench}
OUT=benches/out
# AB-post matching (issue 5; across parents issue 15 part 9). networkx runs
# within parents on GRIDS grids and across parents on SMALL grids (one
# component: networkx grows roughly with the square of the grids, ~50 s for
# 2,000); across parents on GRIDS grids the reference is the former stage
# solver (a Rust port of networkx's algorithm).
SMALL=${SMALL:-2000}
uptime
echo "| grids | pairing | edges | wangge s | reference | reference s | ratio | pairs (wangge, reference) | weight (wangge, reference) |"
echo "|---|---|---|---|---|---|---|---|---|"
W=$("$BIN" $OUT/match "$GRIDS" --stage)
A=$(python3 benches/anchors/matching.py $OUT/match within)
S=$("$BIN" $OUT/match-small "$SMALL")
B=$(python3 benches/anchors/matching.py $OUT/match-small across)
python3 - "$W" "$A" "$S" "$B" <<'PY'
import json, sys
w, a, s, b = (json.loads(x) for x in sys.argv[1:])
def row(grids, pairing, edges, mine, ref_name, ref):
    print(f"| {grids} | {pairing} | {edges} | {mine['seconds']:.3f} | {ref_name} | {ref['seconds']:.2f} | {ref['seconds']/mine['seconds']:.0f}× | {mine['pairs']}, {ref['pairs']} | {mine['weight']}, {ref['weight']} |")
row(w["grids"], "within parent", w["edges"], w["within_parent"], f"networkx {a['networkx']} per component", a)
row(s["grids"], "across parents (1 component)", s["edges"], s["any"], f"networkx {b['networkx']}", b)
row(w["grids"], "across parents (1 component)", w["edges"], w["any"], "stage solver (networkx port, Rust)", w["stage_any"])
PY
uptime
