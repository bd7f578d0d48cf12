#!/usr/bin/env python3
"""Load for benches/burst_memory.sh: THREADS clients, each posting an incident (a random point of POINTS) and
reading the screen's summary and the day's cases in a loop for SECONDS.

    python3 benches/burst_load.py BASE_URL POINTS.csv SECONDS THREADS
"""
import csv
import json
import random
import sys
import threading
import time
import urllib.request

base, points, secs, threads = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
pts = [(float(r["lon"]), float(r["lat"]), r.get("category") or "环境卫生") for r in csv.DictReader(open(points))][:5000]
done = [0, 0]


def client(k):
    end, i = time.time() + secs, 0
    while time.time() < end:
        lon, lat, category = random.choice(pts)
        i += 1
        body = json.dumps({"id": f"BURST-{k}-{i}-{time.time_ns()}", "lon": lon, "lat": lat, "category": category}).encode()
        req = urllib.request.Request(base + "/api/incidents", data=body, headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=30).read()
            done[0] += 1
        except Exception:
            done[1] += 1
        for path in ("/api/screen/summary", "/api/incidents?from=" + time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime())):
            try:
                urllib.request.urlopen(base + path, timeout=30).read()
            except Exception:
                pass


workers = [threading.Thread(target=client, args=(k,)) for k in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(f"posted {done[0]}, failed {done[1]}")
