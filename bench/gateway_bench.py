#!/usr/bin/env python3
"""Gateway benchmark on a shaped link (run as root; results in docs/notes/gateway.md).

For each link rate (tc tbf on a veth pair between two network namespaces, the gateway's CIM
side and the hub's side) it delivers the same full-size screening exam:
  - through the gateway (lossless JPEG-LS, resumable uploads) until the hub acknowledges it,
  - through DCMTK storescu straight to the hub's DICOM port, same link, same exam,
  - through Orthanc's peer transfer (the peer the issue names): a CIM-side Orthanc, in the CIM's
    namespace, holding the exam, pushes it with POST /peers/hub/store to a hub-side Orthanc in
    the hub's namespace (OrthancPeers; separate storage directories and ports), timed from the
    push to the end of the transfer job — as sent ("plain"), transcoded by Orthanc to JPEG-LS
    lossless before sending ("jpegls", the fair comparison with the gateway), or gzip-compressed
    ("gzip"),
and reports time to deliver, bytes on the wire (the CIM side's interface counter) vs raw
bytes, and link utilisation = wire bits / (rate x transfer time).

  sudo python3 bench/gateway_bench.py [--rates 2mbit,8mbit,100mbit] [--women 1] [--size full]
        [--orthanc plain,jpegls] [--no-storescu]
  sudo python3 bench/gateway_bench.py --rates 8mbit --size small --orthanc plain,jpegls   # smoke
  sudo python3 bench/gateway_bench.py --chaos 20   # full chaos variant: 20 full-size exams
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/integration"))
import common  # noqa: E402,F401  (sets harness.BIN to build/dualread)
from gateway_harness import Link, NsProcess, gateway_status  # noqa: E402
import harness  # noqa: E402
from harness import free_port, synth  # noqa: E402

BIN = common.BIN
ORTHANC = "/usr/sbin/Orthanc"
JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"
# POST /peers/hub/store options per peer variant.
ORTHANC_MODES = {"plain": {}, "jpegls": {"Transcode": JPEG_LS_LOSSLESS}, "gzip": {"Compress": True}}

GATEWAY_CONFIG = """
[transfer]
quiet_seconds = 0
backoff_initial_seconds = 0.5
backoff_max_seconds = 5
io_timeout_seconds = 30
streams = {streams}
"""


def rate_bps(rate):
    units = {"kbit": 1e3, "mbit": 1e6, "gbit": 1e9}
    for u, m in units.items():
        if rate.endswith(u):
            return float(rate[:-len(u)]) * m
    return float(rate)


def raw_bytes(study_dir):
    return sum(os.path.getsize(os.path.join(study_dir, f)) for f in os.listdir(study_dir))


def start_hub(link, work, name):
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, name)
    port = free_port()
    hub = NsProcess(link.hub_ns, [BIN, "hub", "--data", data, "--bind", link.hub_ip,
                                  "--http-port", str(port), "--dicom-port", str(free_port()),
                                  "--open"], data + ".log", "Hub ready")
    hub.start()
    hub.http_port = port
    hub.dicom_port = int(hub.cmd[hub.cmd.index("--dicom-port") + 1])
    return hub


def via_gateway(link, work, study_dirs, streams):
    os.makedirs(work, exist_ok=True)
    hub = start_hub(link, work, "hub-gw")
    gw_data = os.path.join(work, "gw")
    with open(gw_data + ".toml", "w") as f:
        f.write(GATEWAY_CONFIG.format(streams=streams))
    port = free_port()
    gw = NsProcess(link.cim_ns, [BIN, "gateway", "--config", gw_data + ".toml", "--data",
                                 gw_data, "--dicom-port", str(port), "--http-port", "-1",
                                 "--hub", f"http://{link.hub_ip}:{hub.http_port}", "--cim",
                                 "CIMB"], gw_data + ".log", "Gateway ready")
    gw.start()
    try:
        # From the modality's first byte to the hub's acknowledgement (compression included).
        tx0, t0 = link.tx_bytes(), time.time()
        harness.run(link.run_in(link.cim_ns, ["storescu", "-aec", "DUALREAD_GW", "+sd", "+r",
                                              "-nh", "127.0.0.1", str(port)] + study_dirs))
        while True:
            s = gateway_status(gw_data)
            if s["exams"]["acknowledged"] >= len(study_dirs) and \
                    s["queue"]["instances_waiting"] == 0:
                break
            time.sleep(0.2)
        return time.time() - t0, link.tx_bytes() - tx0
    finally:
        gw.stop()
        hub.stop()


def via_storescu(link, work, study_dirs):
    hub = start_hub(link, work, "hub-scu")
    try:
        tx0, t0 = link.tx_bytes(), time.time()
        harness.run(link.run_in(link.cim_ns, ["storescu", "-aec", "DUALREAD", "+sd", "+r", "-nh",
                                              link.hub_ip, str(hub.dicom_port)] + study_dirs),
                    timeout=7200)
        return time.time() - t0, link.tx_bytes() - tx0
    finally:
        hub.stop()


class NsOrthanc:
    """Orthanc (Debian package) inside a network namespace, its own storage and ports, listening
    on that namespace's addresses only (a namespace sees only its own interfaces). Its REST API
    is called with curl inside the namespace."""

    def __init__(self, link, ns, workdir, name, peers=None, remote_access=False):
        self.link, self.ns = link, ns
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.http_port = free_port()
        cfg = {
            "Name": name, "StorageDirectory": os.path.join(self.dir, "db"),
            "IndexDirectory": os.path.join(self.dir, "db"), "HttpPort": self.http_port,
            "DicomServerEnabled": False, "RemoteAccessAllowed": remote_access,
            "AuthenticationEnabled": False, "HttpServerEnabled": True, "Plugins": [],
            "OrthancPeers": peers or {}, "ConcurrentJobs": 1,
            # A 30 MB image takes minutes on a 2 Mbit/s link: no request may time out.
            "HttpTimeout": 7200, "StableAge": 1,
        }
        cfg_path = os.path.join(self.dir, "orthanc.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        self.proc = NsProcess(ns, [ORTHANC, cfg_path], os.path.join(self.dir, "orthanc.log"),
                              "Orthanc has started")
        self.proc.start(timeout=60)

    def curl(self, method, path, data=None, data_file=None, timeout=7200):
        cmd = ["curl", "-sS", "-f", "-X", method, f"http://127.0.0.1:{self.http_port}{path}"]
        if data is not None:
            cmd += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(data)]
        if data_file is not None:
            cmd += ["-H", "Content-Type: application/dicom", "--data-binary", "@" + data_file]
        p = subprocess.run(self.link.run_in(self.ns, cmd), capture_output=True, text=True,
                           timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError(f"Orthanc {method} {path}: {p.stderr.strip()}\n"
                               + self.proc.read_log()[-3000:])
        return json.loads(p.stdout) if p.stdout.strip() else None

    def stop(self):
        self.proc.stop()


def via_orthanc_peer(link, work, study_dirs, mode):
    """The exam pushed by a CIM-side Orthanc to a hub-side Orthanc over the shaped link with
    POST /peers/hub/store; returns (seconds, wire bytes) from the push to the job's end."""
    work = os.path.join(work, "orthanc-" + mode)
    hub_side = NsOrthanc(link, link.hub_ns, work, "orthanc-hub", remote_access=True)
    cim_side = None
    try:
        cim_side = NsOrthanc(link, link.cim_ns, work, "orthanc-cim", peers={
            "hub": {"Url": f"http://{link.hub_ip}:{hub_side.http_port}/"}})
        files = sorted(os.path.join(d, f) for d in study_dirs for f in os.listdir(d))
        for f in files:  # the CIM's PACS holds the exam (over loopback, not timed)
            cim_side.curl("POST", "/instances", data_file=f)
        studies = cim_side.curl("GET", "/studies")
        body = dict(ORTHANC_MODES[mode], Resources=studies, Synchronous=False)
        tx0, t0 = link.tx_bytes(), time.time()
        job = cim_side.curl("POST", "/peers/hub/store", data=body)
        while True:
            state = cim_side.curl("GET", f"/jobs/{job['ID']}")
            if state["State"] == "Success":
                break
            if state["State"] in ("Failure", "Paused"):
                raise RuntimeError(f"Orthanc's peer transfer ({mode}) failed: {state}")
            time.sleep(0.05)
        elapsed, wire = time.time() - t0, link.tx_bytes() - tx0
        received = hub_side.curl("GET", "/instances")
        if len(received) != len(files):
            raise RuntimeError(f"the hub-side Orthanc holds {len(received)} of {len(files)} "
                               "instances after the transfer")
        return elapsed, wire
    finally:
        if cim_side:
            cim_side.stop()
        hub_side.stop()


def measure(rate, work, study_dirs, raw, streams=2, orthanc_modes=("plain", "jpegls"),
            storescu=True):
    """One link rate: the gateway and the peers over the same shaped link; returns the row."""
    bps = rate_bps(rate)
    link = Link(rate=rate)
    row = {"rate": rate, "raw_MB": round(raw / 1e6, 2)}

    def put(name, t, wire):
        row[name] = {"s": round(t, 1), "wire_MB": round(wire / 1e6, 2),
                     "wire_over_raw": round(wire / raw, 3),
                     "utilisation": round(wire * 8 / (bps * t), 3)}
    try:
        put("gateway", *via_gateway(link, os.path.join(work, rate), study_dirs, streams))
        if storescu:
            put("storescu", *via_storescu(link, os.path.join(work, rate), study_dirs))
        for mode in orthanc_modes:
            put("orthanc_" + mode, *via_orthanc_peer(link, os.path.join(work, rate), study_dirs,
                                                     mode))
    finally:
        link.cleanup()
    gw = row["gateway"]["s"]
    for k, v in row.items():
        if isinstance(v, dict) and k != "gateway":
            v["peer_over_gateway"] = round(v["s"] / gw, 2)
    return row


def print_table(rows):
    peers = [k for k in rows[0] if isinstance(rows[0][k], dict) and k != "gateway"]
    print("| link | gateway (s) | " + " | ".join(f"{p} (s; time ratio to gateway)" for p in peers) +
          " | wire MB gateway / " + " / ".join(peers) + " / raw | utilisation gateway / " +
          " / ".join(peers) + " |")
    print("|---" * (4 + len(peers)) + "|")
    for r in rows:
        g = r["gateway"]
        print(f"| {r['rate']} | {g['s']} | " +
              " | ".join(f"{r[p]['s']} ({r[p]['peer_over_gateway']}x)" for p in peers) +
              f" | {g['wire_MB']} / " + " / ".join(str(r[p]["wire_MB"]) for p in peers) +
              f" / {r['raw_MB']} | {g['utilisation']:.1%} / " +
              " / ".join(f"{r[p]['utilisation']:.1%}" for p in peers) + " |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", default="2mbit,8mbit,100mbit")
    ap.add_argument("--women", type=int, default=1)
    ap.add_argument("--size", default="full")
    ap.add_argument("--streams", type=int, default=2)
    ap.add_argument("--chaos", type=int, default=0, help="run the full chaos variant instead")
    ap.add_argument("--orthanc", default="plain,jpegls",
                    help="Orthanc peer-transfer variants: plain, jpegls, gzip (empty = none)")
    ap.add_argument("--no-storescu", action="store_true", help="skip the storescu peer")
    args = ap.parse_args()
    if not Link.available():
        sys.exit("needs root and ip netns")
    work = tempfile.mkdtemp(prefix="dualread-gwbench-")
    try:
        if args.chaos:
            import unittest
            from test_gateway_chaos import run_chaos

            class Full(harness.HubTestCase):
                def runTest(self):
                    r = run_chaos(self, work, women=args.chaos, rounds=1, size="full",
                                  rate="2mbit", cuts=4, hub_kills=2, gateway_kills=2,
                                  deadline_s=4 * 3600, pause=5)
                    print(json.dumps(r))
            res = unittest.TextTestRunner(verbosity=2).run(Full())
            sys.exit(0 if res.wasSuccessful() else 1)
        data = os.path.join(work, "synth")
        manifest = synth(data, women=args.women, rounds=1, seed=31, size=args.size)
        studies = sorted({s["study_uid"] for s in manifest["studies"]})
        study_dirs = [os.path.join(data, "studies", s) for s in studies]
        raw = sum(raw_bytes(d) for d in study_dirs)
        images = sum(len(os.listdir(d)) for d in study_dirs)
        print(f"{len(studies)} exam(s), {images} images, {raw / 1e6:.1f} MB raw")
        modes = [m for m in args.orthanc.split(",") if m]
        for m in modes:
            if m not in ORTHANC_MODES:
                sys.exit(f"--orthanc: unknown variant {m} (plain, jpegls, gzip)")
        if modes and not os.path.exists(ORTHANC):
            sys.exit("Orthanc is not installed (apt-get install orthanc)")
        rows = []
        for rate in args.rates.split(","):
            row = measure(rate, work, study_dirs, raw, args.streams, modes, not args.no_storescu)
            rows.append(row)
            print(json.dumps(row), flush=True)
        print_table(rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
