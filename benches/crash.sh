#!/usr/bin/env bash
# Issue 13 durability: kill -9 rounds (benches/src/bin/crash_rounds/), the
# table written into benches/RESULTS.md under "Durability (issue 13)".
# Release binaries and 20 rounds per scenario unless told otherwise;
# PROFILE=debug runs the debug binaries CI uses (`make durability` runs those
# with 2 rounds and writes nothing).
# Usage: [PROFILE=release|debug] bash benches/crash.sh [ROUNDS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-20}
SEED=${2:-$(( $(date +%s) % 1000000 ))}
PROFILE=${PROFILE:-release}
T=${CARGO_TARGET_DIR:-target}
case $PROFILE in
  release) cargo build --release -p wangge --bin wangge -p wangge-benches --bin crash_rounds ;;
  debug) cargo build -p wangge --bin wangge -p wangge-benches --bin crash_rounds ;;
  *) echo "PROFILE must be release or debug" >&2; exit 2 ;;
esac
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
set +e
"$T/$PROFILE/crash_rounds" --rounds "$ROUNDS" --seed "$SEED" --users yes --wangge "$T/$PROFILE/wangge" | tee "$OUT"
STATUS=${PIPESTATUS[0]}
set -e
python3 - "$OUT" "$ROUNDS" "$SEED" "$STATUS" "$PROFILE" <<'PY'
import re, sys, datetime, os
out, rounds, seed, status, profile = open(sys.argv[1]).read(), *sys.argv[2:6]
table = "\n".join(l for l in out.splitlines() if l.startswith("|") or l.startswith("  - "))
total = re.search(r"seed \d+, (\d+) s in all", out)
env = "" if profile == "release" else "PROFILE=debug "
block = f"""<!-- crash:{profile} -->
### {profile} binaries

Command: `{env}bash benches/crash.sh {rounds} {seed}` ({datetime.date.today()}, {os.cpu_count()} cores shared
with other work). Exit status {status}{' (every check passed)' if status == '0' else ' (FAILURES)'}; {total.group(1) if total else '?'} s in all.

{table}
<!-- /crash:{profile} -->"""
intro = """## Durability (issue 13)

`crash_rounds` kills with SIGKILL at a random moment (seeded; the seed is
printed and given in the command): (a) `wangge import` of a units, buildings or
cameras layer; (b) the server while 64 kept-alive connections post incidents;
(c) the server during camera edits (PUT/POST `/api/cameras`, 4 connections,
each edit a new cameras version); (d) the server during bulk loads (3
connections, 200–2,000 rows each, with an Idempotency-Key). After each kill it
opens the store and checks every acknowledged (2xx) write (incident ids,
camera versions with the heading sent, every row of each acknowledged bulk),
that no layer version is half-written (`layer_versions.features` equals the
version's rows, no rows without a version row), that no bulk is partly kept
and that `wangge check` passes; then it restarts the server on the same file
and asks it for a sample of the acknowledged writes. Before the rounds it
checks its checks: a row deleted behind the store's back must show as a half
version. Rates are acknowledged writes per second until the kill (for the
import: the imports that finished before their kill, which later kills must
not lose). CI runs `make durability`: 2 rounds per scenario with the debug
binaries the tests already built.
"""
path = "benches/RESULTS.md"
text = open(path).read()
sec = re.search(r"^## Durability \(issue 13\)\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
if sec:
    body = sec.group(0)
    blocks = {m.group(1): m.group(0) for m in re.finditer(r"<!-- crash:(\w+) -->.*?<!-- /crash:\1 -->", body, flags=re.S)}
else:
    blocks = {}
blocks[profile] = block
new = intro + "\n" + "\n\n".join(blocks[p] for p in ("release", "debug") if p in blocks) + "\n\n"
text = text[:sec.start()] + new + text[sec.end():] if sec else text.rstrip("\n") + "\n\n" + new
open(path, "w").write(text.rstrip("\n") + "\n")
PY
exit "$STATUS"
