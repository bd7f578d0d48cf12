#!/usr/bin/env python3
"""The screen soak's writes without the screen, at any rate: incidents posted at RATE a second (points of POINTS, a
CSV with lon/lat), each resolved CLOSE seconds later at a level in turn and one in five of those then evaluated, and a
reading from one of five sensors every 5 s, as benches/screen_soak.mjs does. Runs MINUTES and prints one line a minute.
For benches/write_memory.sh (benches/RESULTS.md, issue 14): a rate of 40 a second puts an hour of the soak's writes
into 8 minutes.

    python3 benches/write_load.py BASE_URL POINTS.csv RATE MINUTES CLOSE
"""
import collections
import csv
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

base, points, rate, minutes, close_after = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
pts = [(float(r["lon"]), float(r["lat"])) for r in csv.DictReader(open(points))][:20000]
stamp = time.strftime("%Y%m%dT%H%M%S")
taxonomy = json.load(urllib.request.urlopen(base + "/api/taxonomy"))
classes = [c["name"] for c in taxonomy["classes"]]
count = collections.Counter()
lock = threading.Lock()


def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception as e:  # noqa: BLE001 (a load generator counts every failure)
        return type(e).__name__


def tally(what, ok):
    with lock:
        count[what if ok else f"{what} failed"] += 1


def incident(k):
    x, y = pts[k % len(pts)]
    tally("posted", post("/api/incidents", {"id": f"LOAD-{stamp}-{k}", "lon": x + (k % 7 - 3) * 1e-5, "lat": y + (k % 5 - 2) * 1e-5,
                                            "category": classes[k % len(classes)], "reporter": "load"}) == 201)


def close(k):
    path = f"/api/incidents/LOAD-{stamp}-{k}/transitions"
    ok = post(path, {"to": "resolved", "actor": "load", "level": ["building_grid", "grid", "community"][k % 3]}) == 200
    tally("closed", ok)
    if ok and k % 5 == 0:
        tally("evaluated", post(path, {"to": "evaluated", "actor": "load", "satisfaction": 1 + k % 5, "score": 80}) == 200)


kinds = list((taxonomy.get("sensor_kinds") or {}).keys())
sensors = []
for i in range(5 if kinds else 0):
    x, y = pts[(i * 97) % len(pts)]
    sid = f"LOAD-{stamp}-S{i}"
    if post("/api/sensors", {"id": sid, "kind": "gas" if "gas" in kinds else kinds[0], "lon": x, "lat": y, "name": f"load {i}"}) in (200, 201):
        sensors.append(sid)

pool = ThreadPoolExecutor(32)
start = time.time()
n = closed = 0
next_sensor = next_line = 5.0
while (now := time.time() - start) < minutes * 60:
    due = int(now * rate)
    while n < due:
        pool.submit(incident, n)
        n += 1
    while closed < n and closed / rate + close_after <= now:
        pool.submit(close, closed)
        closed += 1
    if sensors and now >= next_sensor:
        pool.submit(post, f"/api/sensors/{sensors[int(next_sensor / 5) % len(sensors)]}/readings", {"value": 50 if int(next_sensor / 5) % 2 else 5})
        next_sensor += 5
    if now >= next_line:
        with lock:
            print(f"{now / 60:.1f} min: {dict(count)}", flush=True)
        next_line += 60
    time.sleep(0.02)
pool.shutdown(wait=True)
with lock:
    print(f"done {time.time() - start:.0f} s: {dict(count)}", flush=True)
