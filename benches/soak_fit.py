#!/usr/bin/env python3
"""Least-squares slopes (MB per hour) of a soak's memory over windows of its minutes.

Usage: python3 benches/soak_fit.py SAMPLES.jsonl [MAPS.jsonl] [--from 10,30] [--to 64]

SAMPLES is `benches/screen_soak.mjs`'s soak-*.jsonl (one line a minute: the page's JS heap after a GC, the
server's RSS and the server's last `memory:` line). MAPS is `benches/rss_by_mapping.py`'s output for the same
server, sampled every 60 s from about the soak's start (its minutes are its own clock's). For each window
[FROM, TO] it prints start → end, min–max and the slope per hour of: the server's RSS, the page's JS heap,
DuckDB's own count, glibc's bytes in use and held (the `C heap X MB in use of Y MB held` part of the line), in use
minus DuckDB's count (DuckDB's C++ outside its buffer pool), DuckDB's tags, the thousands of
H3 cells counted for the closed cases (the `live:` part; a count, not MB), and each kind of mapping. Benchmark
use only (benches/RESULTS.md, issue 14's soak).
"""
import json
import re
import sys


def slope(xs, ys):
    n = len(xs)
    if n < 2:
        return float("nan")
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    return sxy / sxx * 60 if sxx else float("nan")


def parse_line(line):
    """Figures (MB) from the server's `memory:` line; {} where there is none."""
    out = {}
    if not line:
        return out
    m = re.search(r"C heap ([\d.]+) MB in use of ([\d.]+) MB held", line)
    if m:
        out["c_used"], out["c_held"] = float(m.group(1)), float(m.group(2))
    m = re.search(r"duckdb ([\d.]+) MB \(([^)]*)\)", line)
    if m:
        out["duckdb"] = float(m.group(1))
        for part in m.group(2).split(","):
            bits = part.split()
            if len(bits) == 2:
                out["tag " + bits[0]] = float(bits[1])
    m = re.search(r"live: open cases (\d+), groups of closed cases (\d+), their cells (\d+)", line)
    if m:
        # counts, not MB: thousands of cells counted for the closed cases (their heatmap of every case)
        out["closed cases' cells (thousands)"] = int(m.group(3)) / 1000
    m = re.search(r"filters of their ids and keys ([\d.]+) KiB", line)
    if m:
        out["id and key filters MB"] = float(m.group(1)) / 1024
    if "c_used" in out and "duckdb" in out:
        out["c_used minus duckdb"] = round(out["c_used"] - out["duckdb"], 2)
    return out


def jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def rows(samples_path):
    out = []
    for s in jsonl(samples_path):
        r = {"minute": s["minute"]}
        if s.get("server_rss") is not None:
            r["server RSS"] = s["server_rss"] / 1e6
        if s.get("heap_used") is not None:
            r["page JS heap"] = s["heap_used"] / 1e6
        r.update(parse_line(s.get("store_line")))
        out.append(r)
    return out


def map_rows(maps_path):
    return [{"minute": s.pop("t_min"), **{"map " + k: v for k, v in s.items()}} for s in jsonl(maps_path)]


def report(rs, lo, hi):
    keys = []
    for r in rs:
        keys += [k for k in r if k != "minute" and k not in keys]
    for k in keys:
        pts = [(r["minute"], r[k]) for r in rs if lo <= r["minute"] <= hi and k in r]
        if len(pts) < 2:
            continue
        ys = [y for _, y in pts]
        print(
            f"  {k:28} {ys[0]:8.1f} → {ys[-1]:8.1f}  ({min(ys):.1f}–{max(ys):.1f})  "
            f"{slope([x for x, _ in pts], ys):+7.1f} MB/h  [{len(pts)} samples]"
        )


def main():
    args = sys.argv[1:]
    froms, to = [10, 30], None
    if "--from" in args:
        i = args.index("--from")
        froms = [float(x) for x in args[i + 1].split(",")]
        del args[i : i + 2]
    if "--to" in args:
        i = args.index("--to")
        to = float(args[i + 1])
        del args[i : i + 2]
    if not args:
        sys.exit(__doc__)
    rs = rows(args[0])
    ms = map_rows(args[1]) if len(args) > 1 else []
    last = to if to is not None else max(r["minute"] for r in rs)
    for lo in froms:
        print(f"minutes {lo:g}–{last:g}")
        report(rs, lo, last)
        report(ms, lo, last)


if __name__ == "__main__":
    main()
