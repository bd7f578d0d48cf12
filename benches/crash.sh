#!/usr/bin/env bash
# Issue 13 durability: kill -9 rounds against the release binaries (20 rounds
# per scenario unless given), the table written into benches/RESULTS.md under
# "Durability (issue 13)". CI runs the same harness with 2 rounds and the debug
# binaries (`make durability`).
# Usage: bash benches/crash.sh [ROUNDS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-20}
SEED=${2:-$(( $(date +%s) % 1000000 ))}
T=${CARGO_TARGET_DIR:-target}
cargo build --release -p wangge --bin wangge -p wangge-benches --bin crash_rounds
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
set +e
"$T/release/crash_rounds" --rounds "$ROUNDS" --seed "$SEED" --wangge "$T/release/wangge" | tee "$OUT"
STATUS=${PIPESTATUS[0]}
set -e
python3 - "$OUT" "$ROUNDS" "$SEED" "$STATUS" <<'PY'
import re, sys, datetime, platform, os
out, rounds, seed, status = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3], sys.argv[4]
table = "\n".join(l for l in out.splitlines() if l.startswith("|") or l.startswith("  - "))
total = re.search(r"seed \d+, (\d+) s in all", out)
cpus = os.cpu_count()
section = f"""## Durability (issue 13)

Command: `bash benches/crash.sh {rounds} {seed}` (release binaries; seed {seed}; {datetime.date.today()}, {cpus} cores shared with other work).
`crash_rounds` kills with SIGKILL at a random moment: (a) `wangge import` of a
units, buildings or cameras layer; (b) the server while 64 kept-alive
connections post incidents; (c) the server during camera edits (PUT/POST
`/api/cameras`, 4 connections, each edit a new cameras version); (d) the
server during bulk loads (3 connections, 200–2,000 rows each, with an
Idempotency-Key). After each kill it opens the store and checks every
acknowledged write (incident ids, camera versions with the heading sent, every
row of each acknowledged bulk), that no layer version is half-written
(`layer_versions.features` equals the version's rows, no rows without a version
row), that no bulk is partly kept, and that `wangge check` passes; then it
restarts the server on the same file and asks it for a sample of the
acknowledged writes. Rates are acknowledged writes per second until the kill
(the import row counts imports that finished before their kill).
Exit status {status}{' (all checks passed)' if status == '0' else ' (FAILURES)'}; {total.group(1) if total else '?'} s in all.

{table}
"""
path = "benches/RESULTS.md"
text = open(path).read()
m = re.search(r"^## Durability \(issue 13\)\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
text = text[:m.start()] + section + "\n" + text[m.end():] if m else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
exit "$STATUS"
