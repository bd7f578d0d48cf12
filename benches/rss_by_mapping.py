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
Adjacent anonymous mappings (a read-write part and its PROT_NONE reserve) are one region, then split again
where its shape shows touching glibc arenas or thread stacks (the kernel places them side by side). The
classification is by shape, so it is an estimate: glibc's large blocks and mimalloc's huge objects share
other_anon. Benchmark use only (benches/RESULTS.md, issue 14's soak).
"""
import json
import sys
import time

MIB = 1 << 20


def regions(pid):
    """Anonymous mappings that touch are one region (its parts kept); named ones stand alone."""
    out = []
    cur = None
    part = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if "-" in parts[0] and len(parts) >= 5 and not parts[0].endswith(":"):
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                name = parts[5] if len(parts) > 5 else ""
                part = {"lo": lo, "hi": hi, "perms": parts[1], "rss": 0}
                if cur and not name and not cur["name"] and cur["hi"] == lo:
                    cur["hi"] = hi
                    cur["parts"].append(part)
                else:
                    cur = {"lo": lo, "hi": hi, "name": name, "parts": [part]}
                    out.append(cur)
            elif parts[0] == "Rss:":
                part["rss"] += int(parts[1]) * 1024
    for r in out:
        r["perms"] = [p["perms"] for p in r["parts"]]
        r["rss"] = sum(p["rss"] for p in r["parts"])
    return out


def split(r):
    """A region of touching anonymous mappings as the pieces its shape tells apart: each run of glibc arenas
    (64 MiB-aligned blocks of 64 MiB, a used part then its PROT_NONE reserve) and each thread stack (a guard page
    of at most 64 KiB, then the stack) comes out on its own; what is left of the region stays one piece."""
    parts = r["parts"]
    pieces, rest = [], []

    def flush():
        if rest:
            pieces.append(("", rest[:]))
            rest.clear()

    i = 0
    while i < len(parts):
        p = parts[i]
        q = parts[i + 1] if i + 1 < len(parts) else None
        if p["lo"] % (64 * MIB) == 0:
            end = p["hi"] if q is None or p["hi"] - p["lo"] == 64 * MIB else q["hi"]
            if end - p["lo"] == 64 * MIB:
                flush()
                take = 1 if end == p["hi"] else 2
                pieces.append(("glibc_arena", parts[i : i + take]))
                i += take
                continue
        if q and p["perms"].startswith("---") and p["hi"] - p["lo"] <= 64 * 1024 and q["perms"].startswith("rw"):
            flush()
            pieces.append(("stack", [p, q]))
            i += 2
            continue
        rest.append(p)
        i += 1
    flush()
    return pieces


def piece(ps):
    """Parts as one region."""
    return {"lo": ps[0]["lo"], "hi": ps[-1]["hi"], "name": "", "parts": ps, "perms": [p["perms"] for p in ps]}


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
        if r["name"]:
            pieces = [(kind(r), r["parts"])]
        else:
            pieces = [(k or kind(piece(ps)), ps) for k, ps in split(r)]
        for k, ps in pieces:
            by[k] = by.get(k, 0) + sum(p["rss"] for p in ps)
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
