#!/usr/bin/env python3
"""C-STORE and STOW-RS ingest throughput: the same full-size synthetic mammograms sent to
DCMTK storescp, Orthanc 1.10 (Debian, default SQLite + filesystem) and the dualread hub, on the
same machine in the same run. Reports seconds, MB/s and the ratios the issue sets targets for.

  python3 bench/ingest_bench.py [--women 25] [--size full] [--runs 2] [--work /var/tmp/dualread-bench]

Each receiver gets the data through one storescu association (as a CIM PACS would send an
exam) and, separately, through 4 parallel associations. The hub fsyncs every object and its
index row before answering; storescp writes to the page cache only, so storescp is also timed
up to a final `sync` for a like-for-like durability figure.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


def send(port, called, files, streams):
    chunks = [files[i::streams] for i in range(streams)]
    procs = [subprocess.Popen(["storescu", "-aet", "BENCH", "-aec", called, "-nh", "127.0.0.1",
                               str(port)] + c, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for c in chunks if c]
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            raise RuntimeError("storescu failed: " + err.decode()[-2000:])


def stow(base, path_prefix, files, batch=4):
    """STOW-RS in requests of `batch` instances, body streamed from disk by curl."""
    for i in range(0, len(files), batch):
        part = files[i:i + batch]
        boundary = "dualreadbenchboundary"
        body_path = os.path.join(os.path.dirname(part[0]), ".stow-body")
        with open(body_path, "wb") as out:
            for f in part:
                out.write(f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode())
                with open(f, "rb") as src:
                    while True:
                        b = src.read(1 << 20)
                        if not b:
                            break
                        out.write(b)
                out.write(b"\r\n")
            out.write(f"--{boundary}--\r\n".encode())
        r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                            "-H", f'Content-Type: multipart/related; type="application/dicom"; '
                                  f'boundary={boundary}',
                            "--data-binary", "@" + body_path, base + path_prefix + "/studies"],
                           capture_output=True, text=True)
        os.remove(body_path)
        if r.stdout.strip() not in ("200",):
            raise RuntimeError(f"STOW failed with HTTP {r.stdout} {r.stderr}")


def qido_latency(base, prefix, patient_ids, n=200):
    """p50/p95 of QIDO-RS studies?PatientID= over one keep-alive connection, in ms."""
    import http.client
    import random
    from urllib.parse import urlparse
    u = urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port)
    rng = random.Random(3)
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("GET", f"{prefix}/studies?PatientID={rng.choice(patient_ids)}",
                     headers={"Accept": "application/dicom+json"})
        r = conn.getresponse()
        r.read()
        lat.append((time.perf_counter() - t0) * 1000)
        if r.status != 200:
            raise RuntimeError(f"QIDO failed: HTTP {r.status}")
    return {"p50_ms": common.percentile(lat, 50), "p95_ms": common.percentile(lat, 95)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--women", type=int, default=25)
    ap.add_argument("--size", default="full")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--work", default="/var/tmp/dualread-bench")
    ap.add_argument("--out", default=os.path.join(common.ROOT, "bench/out/ingest.json"))
    args = ap.parse_args()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    data = os.path.join(args.work, f"synth-{args.size}-{args.women}")
    if not os.path.exists(os.path.join(data, "manifest.json")):
        common.sh([common.BIN, "synth", "--out", data, "--women", str(args.women), "--rounds", "1",
                   "--seed", "7", "--size", args.size], timeout=3600)
    files = sorted(glob.glob(os.path.join(data, "studies/*/*.dcm")))
    with open(os.path.join(data, "manifest.json")) as f:
        patient_ids = [st["patient_id"] for st in json.load(f)["studies"]]
    total = sum(os.path.getsize(f) for f in files)
    print(f"{len(files)} files, {total / 1e9:.2f} GB")
    results = {"files": len(files), "bytes": total, "runs": args.runs, "cstore": {}, "stow": {}}

    def record(table, name, secs):
        table.setdefault(name, []).append(secs)
        print(f"  {name}: {secs:.2f} s ({total / secs / 1e6:.0f} MB/s)")

    for run in range(args.runs):
        print(f"run {run + 1}/{args.runs}")
        for streams in (1, 4):
            work = os.path.join(args.work, "run")
            # storescp
            common.clean(work); common.drop_caches()
            scp = common.StoreScp(work)
            t0 = time.perf_counter()
            send(scp.port, scp.aet, files, streams)
            t_scp = time.perf_counter() - t0
            subprocess.run(["sync"])
            t_scp_sync = time.perf_counter() - t0
            scp.stop()
            record(results["cstore"], f"storescp x{streams}", t_scp)
            record(results["cstore"], f"storescp+sync x{streams}", t_scp_sync)
            # Orthanc
            common.clean(work); common.drop_caches()
            orth = common.Orthanc(work)
            secs = common.timed(lambda: send(orth.dicom_port, orth.aet, files, streams))
            orth.stop()
            record(results["cstore"], f"orthanc x{streams}", secs)
            # hub
            common.clean(work); common.drop_caches()
            hub = common.start_hub(work)
            secs = common.timed(lambda: send(hub.dicom_port, hub.aet, files, streams))
            stats = hub.get_json("/api/stats")
            hub.stop()
            record(results["cstore"], f"hub x{streams}", secs)
            results.setdefault("hub_stats", stats)
        # STOW-RS: Orthanc DICOMweb plugin vs hub.
        work = os.path.join(args.work, "run")
        common.clean(work); common.drop_caches()
        orth = common.Orthanc(work, plugins=["/usr/share/orthanc/plugins/libOrthancDicomWeb.so"])
        secs = common.timed(lambda: stow(orth.base, "/dicom-web", files))
        record(results["stow"], "orthanc", secs)
        results.setdefault("qido_same_data", {})["orthanc"] = qido_latency(
            orth.base, "/dicom-web", patient_ids)
        orth.stop()
        common.clean(work); common.drop_caches()
        hub = common.start_hub(work)
        secs = common.timed(lambda: stow(hub.base, "/dicomweb", files))
        record(results["stow"], "hub", secs)
        results["qido_same_data"]["hub"] = qido_latency(hub.base, "/dicomweb", patient_ids)
        hub.stop()
    common.clean(os.path.join(args.work, "run"))

    def best(table, name):
        return min(table[name])

    c, s = results["cstore"], results["stow"]
    results["ratios"] = {
        "hub_vs_orthanc_cstore_x1": best(c, "orthanc x1") / best(c, "hub x1"),
        "hub_vs_orthanc_cstore_x4": best(c, "orthanc x4") / best(c, "hub x4"),
        "hub_vs_storescp_cstore_x1": best(c, "storescp x1") / best(c, "hub x1"),
        "hub_vs_storescp_cstore_x4": best(c, "storescp x4") / best(c, "hub x4"),
        "hub_vs_storescp_sync_x1": best(c, "storescp+sync x1") / best(c, "hub x1"),
        "hub_vs_orthanc_stow": best(s, "orthanc") / best(s, "hub"),
    }
    common.report(args.out, results)


if __name__ == "__main__":
    main()
