#!/usr/bin/env python3
"""Where a process's resident memory lives, by kind of mapping, sampled every N seconds.

Usage: python3 benches/rss_by_mapping.py PID [SECONDS=60] [OUT.jsonl]

Reads /proc/PID/smaps and sums Rss (MB) per region:
  glibc_main   the [heap] (glibc's main arena: DuckDB's C++ allocations on the main thread's arena);
  glibc_arena  64 MiB-aligned regions of 64 MiB (glibc's per-thread arenas: DuckDB's worker threads);
  mimalloc     anonymous regions of 256 MiB or more (mimalloc's arena reservations: the Rust code's heap);
  stack        [stack] and anonymous regions followed by a guard page (thread stacks);
  other_anon   every other anonymous mapping (glibc's large mmapped blocks, mimalloc's huge objects);
  file         file-backed mappings (the binary, libraries).
Adjacent anonymous mappings (a read-write part and its PROT_NONE reserve) are one region. The
classification is by shape, so it is an estimate: glibc's large blocks and mimalloc's huge objects share
other_anon. Benchmark use only (benches/RESULTS.md, issue 14's soak).
"""
import json
import sys
import time

MIB = 1 << 20


def regions(pid):
    out = []
    cur = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if "-" in parts[0] and len(parts) >= 5 and not parts[0].endswith(":"):
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                name = parts[5] if len(parts) > 5 else ""
                perms = parts[1]
                if cur and not name and not cur["name"] and cur["hi"] == lo:
                    cur["hi"] = hi
                    cur["perms"].append(perms)
                else:
                    cur = {"lo": lo, "hi": hi, "name": name, "perms": [perms], "rss": 0}
                    out.append(cur)
            elif parts[0] == "Rss:":
                cur["rss"] += int(parts[1]) * 1024
    return out


def kind(r):
    size = r["hi"] - r["lo"]
    if r["name"] == "[heap]":
        return "glibc_main"
    if r["name"] == "[stack]":
        return "stack"
    if r["name"]:
        return "file" if r["name"].startswith("/") else "other_anon"
    if size == 64 * MIB and r["lo"] % (64 * MIB) == 0:
        return "glibc_arena"
    if size >= 256 * MIB:
        return "mimalloc"
    if r["perms"][0].startswith("---") and len(r["perms"]) == 2 and size >= 1 * MIB:
        return "stack"
    return "other_anon"


def sample(pid):
    by = {}
    for r in regions(pid):
        k = kind(r)
        by[k] = by.get(k, 0) + r["rss"]
    return {k: round(v / 1e6, 1) for k, v in sorted(by.items())}


def main():
    pid = int(sys.argv[1])
    every = float(sys.argv[2]) if len(sys.argv) > 2 else 60
    out = open(sys.argv[3], "a") if len(sys.argv) > 3 else sys.stdout
    t0 = time.time()
    while True:
        try:
            s = sample(pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        s["t_min"] = round((time.time() - t0) / 60, 2)
        s["total"] = round(sum(v for k, v in s.items() if k != "t_min"), 1)
        out.write(json.dumps(s) + "\n")
        out.flush()
        time.sleep(every)


if __name__ == "__main__":
    main()
