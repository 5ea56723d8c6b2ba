#!/usr/bin/env python3
"""What TLS costs the hub: WADO-RS retrieve and STOW-RS over HTTPS vs HTTP, and C-STORE over
DICOM TLS vs plain DICOM, on the same hub in the same run, with the certificates of
`dualread admin dev-cert` (RSA 2048; TLS 1.3, AES-256-GCM in practice).

  python3 bench/tls_bench.py [--women 6] [--size full] [--runs 3] [--work /var/tmp/dualread-tls-bench]

- WADO-RS: curl retrieves every study of the data set (multipart/related application/dicom),
  over http:// and https:// alternately, `runs` times each; the same bytes both ways.
- STOW-RS: curl posts the studies, batch of 4 instances, body streamed from disk. Ingest
  writes and fsyncs, so the plain and TLS rounds each get their own data set (two synth seeds
  of the same shape) on the same hub; the order alternates between runs.
- C-STORE: storescu (one association) to the plain port and storescu +tls to the TLS port,
  the same way (two more seeds).
Ratios are TLS throughput / plain throughput (1.0 = free).
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import harness  # noqa: E402


def data_set(work, women, size, seed):
    out = os.path.join(work, f"synth-{size}-{women}-seed{seed}")
    if not os.path.exists(os.path.join(out, "manifest.json")):
        common.sh([common.BIN, "synth", "--out", out, "--women", str(women), "--rounds", "1",
                   "--seed", str(seed), "--size", size], timeout=3600)
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    files = sorted(glob.glob(os.path.join(out, "studies/*/*.dcm")))
    return manifest, files, sum(os.path.getsize(f) for f in files)


def curl(tls_args, *args):
    p = subprocess.run(["curl", "-sS", "--fail"] + tls_args + list(args), capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise RuntimeError("curl failed: " + p.stderr[-2000:])
    return p.stdout


def stow(base, tls_args, files, scratch, batch=4):
    boundary = "dualreadtlsbenchboundary"
    body = os.path.join(scratch, ".stow-body")
    for i in range(0, len(files), batch):
        with open(body, "wb") as out:
            for f in files[i:i + batch]:
                out.write(f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode())
                with open(f, "rb") as src:
                    out.write(src.read())
                out.write(b"\r\n")
            out.write(f"--{boundary}--\r\n".encode())
        curl(tls_args, "-o", "/dev/null", "-X", "POST", "-T", body,
             "-H", f'Content-Type: multipart/related; type="application/dicom"; '
                   f'boundary="{boundary}"', base + "/dicomweb/studies")


def wado(base, tls_args, studies):
    total = 0
    for uid in studies:
        out = curl(tls_args, "-o", "/dev/null", "-w", "%{size_download}",
                   "-H", 'Accept: multipart/related; type="application/dicom"',
                   f"{base}/dicomweb/studies/{uid}")
        total += int(out)
    return total


def cstore(port, files, tls_args=()):
    p = subprocess.run(["storescu", "-aet", "BENCH", "-aec", "DUALREAD", "-nh"] + list(tls_args)
                       + ["127.0.0.1", str(port)] + files, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("storescu failed: " + p.stderr[-2000:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--women", type=int, default=6)
    ap.add_argument("--size", default="full")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default="/var/tmp/dualread-tls-bench")
    ap.add_argument("--out", default=os.path.join(common.ROOT, "bench/out/tls.json"))
    args = ap.parse_args()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    pki = os.path.join(args.work, "pki")
    if not os.path.exists(os.path.join(pki, "server.pem")):
        common.sh([common.BIN, "admin", "dev-cert", "--out", pki, "--client", "bench"])
    ca = os.path.join(pki, "ca.pem")
    https_args = ["--cacert", ca]
    dicom_tls = ["+tls", os.path.join(pki, "client-bench-key.pem"),
                 os.path.join(pki, "client-bench.pem"), "-pw", "+cf", ca]

    sets = {name: data_set(args.work, args.women, args.size, seed)
            for name, seed in (("stow_plain", 11), ("stow_tls", 12), ("store_plain", 13),
                               ("store_tls", 14))}
    results = {"women": args.women, "size": args.size, "runs": args.runs,
               "sets": {k: {"files": len(v[1]), "bytes": v[2]} for k, v in sets.items()},
               "mb_s": {}}

    def record(name, nbytes, secs):
        mbs = nbytes / secs / 1e6
        results["mb_s"].setdefault(name, []).append(mbs)
        print(f"  {name}: {nbytes / 1e6:.0f} MB in {secs:.2f} s = {mbs:.0f} MB/s", flush=True)

    for run in range(args.runs):
        print(f"run {run + 1}/{args.runs}", flush=True)
        work = os.path.join(args.work, "run")
        common.clean(work)
        os.makedirs(work, exist_ok=True)
        hub = harness.Hub(os.path.join(work, "hub"))
        https_port, dicom_tls_port = harness.free_port(), harness.free_port()
        hub.config_text = (f'[tls]\ncert = "{pki}/server.pem"\nkey = "{pki}/server-key.pem"\n'
                           f'ca = "{ca}"\nhttps_port = {https_port}\n'
                           f"dicom_port = {dicom_tls_port}\n")
        hub.start()
        try:
            plain_base = hub.base
            tls_base = f"https://127.0.0.1:{https_port}"
            order = [False, True] if run % 2 == 0 else [True, False]
            for secure in order:  # STOW-RS, each its own data set
                name = "stow_tls" if secure else "stow_plain"
                _, files, nbytes = sets[name]
                common.drop_caches()
                secs = common.timed(lambda: stow(tls_base if secure else plain_base,
                                                 https_args if secure else [], files, work))
                record("STOW-RS " + ("HTTPS" if secure else "HTTP"), nbytes, secs)
            for secure in order:  # C-STORE, each its own data set
                name = "store_tls" if secure else "store_plain"
                _, files, nbytes = sets[name]
                common.drop_caches()
                secs = common.timed(lambda: cstore(dicom_tls_port if secure else hub.dicom_port,
                                                   files, dicom_tls if secure else ()))
                record("C-STORE " + ("DICOM TLS" if secure else "plain DICOM"), nbytes, secs)
            # WADO-RS: the same stored studies both ways, alternating, twice per run.
            studies = [s["study_uid"] for s in sets["stow_plain"][0]["studies"]]
            for secure in order * 2:
                t0 = time.perf_counter()
                got = wado(tls_base if secure else plain_base, https_args if secure else [],
                           studies)
                record("WADO-RS " + ("HTTPS" if secure else "HTTP"), got,
                       time.perf_counter() - t0)
        finally:
            hub.stop()

    med = {k: statistics.median(v) for k, v in results["mb_s"].items()}
    results["median_mb_s"] = med
    results["ratio_tls_over_plain"] = {
        "WADO-RS": med["WADO-RS HTTPS"] / med["WADO-RS HTTP"],
        "STOW-RS": med["STOW-RS HTTPS"] / med["STOW-RS HTTP"],
        "C-STORE": med["C-STORE DICOM TLS"] / med["C-STORE plain DICOM"],
    }
    print("\nmedian MB/s:")
    for k, v in sorted(med.items()):
        print(f"  {k:22s} {v:8.0f}")
    print("TLS / plain throughput:")
    for k, v in results["ratio_tls_over_plain"].items():
        print(f"  {k:8s} {v:.2f}")
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
