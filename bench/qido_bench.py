#!/usr/bin/env python3
"""QIDO-RS latency on a large index: fills an index with N synthetic exams (default 1 M,
4 instances each = 4 M instances; rows only), starts the hub on it and times QIDO queries a
reader's console or a CIM would make, over one keep-alive connection.

  python3 bench/qido_bench.py [--exams 1000000] [--queries 2000] [--work /var/tmp/dualread-qido]
"""
import argparse
import http.client
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exams", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--work", default="/var/tmp/dualread-qido")
    ap.add_argument("--out", default=os.path.join(common.ROOT, "bench/out/qido.json"))
    args = ap.parse_args()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    data = os.path.join(args.work, f"hub-{args.exams}")
    t = time.perf_counter()
    common.sh([os.path.join(common.ROOT, "build/bench/dualread_index_fill"), "--data", data,
               "--exams", str(args.exams)], timeout=7200)
    fill_s = time.perf_counter() - t
    hub = common.harness.Hub(data)
    hub.start()
    conn = http.client.HTTPConnection("127.0.0.1", hub.http_port)
    rng = random.Random(42)
    women = args.exams // 2

    def q(path):
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Accept": "application/dicom+json"})
        r = conn.getresponse()
        body = r.read()
        dt = (time.perf_counter() - t0) * 1000
        if r.status not in (200, 204):
            raise RuntimeError(f"{path}: HTTP {r.status} {body[:200]!r}")
        return dt, (json.loads(body) if body else [])

    kinds = {
        "PatientID": lambda: f"/dicomweb/studies?PatientID=IPP{rng.randrange(women)}",
        "PatientName prefix": lambda: f"/dicomweb/studies?PatientName=SYNTH{rng.randrange(women)}^*",
        "AccessionNumber": lambda: f"/dicomweb/studies?AccessionNumber=ACC{rng.randrange(args.exams)}",
        "StudyDate range, limit 50": lambda: "/dicomweb/studies?StudyDate=20220301-20220331&limit=50",
    }
    results = {"exams": args.exams, "instances": args.exams * 4, "fill_seconds": fill_s,
               "queries": {}}
    # Warm-up, then measure.
    for _ in range(50):
        q(kinds["PatientID"]())
    for name, make in kinds.items():
        lat = []
        n = args.queries if name != "StudyDate range, limit 50" else max(100, args.queries // 10)
        hits = 0
        for _ in range(n):
            dt, body = q(make())
            lat.append(dt)
            hits += len(body)
        results["queries"][name] = {
            "n": n, "hits": hits, "p50_ms": common.percentile(lat, 50),
            "p95_ms": common.percentile(lat, 95), "p99_ms": common.percentile(lat, 99)}
        print(name, results["queries"][name])
    hub.stop()
    common.report(args.out, results)


if __name__ == "__main__":
    main()
