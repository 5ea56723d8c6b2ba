#!/usr/bin/env python3
"""Gateway benchmark on a shaped link (run as root; results in docs/notes/gateway.md).

For each link rate (tc tbf on a veth pair between two network namespaces, the gateway's CIM
side and the hub's side) it delivers the same full-size screening exam:
  - through the gateway (lossless JPEG-LS, resumable uploads) until the hub acknowledges it,
  - through DCMTK storescu straight to the hub's DICOM port (the peer), same link, same exam,
and reports time to deliver, bytes on the wire (the CIM side's interface counter) vs raw
bytes, and link utilisation = wire bits / (rate x transfer time).

  sudo python3 bench/gateway_bench.py [--rates 2mbit,8mbit,100mbit] [--women 1] [--size full]
  sudo python3 bench/gateway_bench.py --chaos 20   # full chaos variant: 20 full-size exams
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/integration"))
import common  # noqa: E402,F401  (sets harness.BIN to build/dualread)
from gateway_harness import Link, NsProcess, gateway_status  # noqa: E402
import harness  # noqa: E402
from harness import free_port, synth  # noqa: E402

BIN = common.BIN

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", default="2mbit,8mbit,100mbit")
    ap.add_argument("--women", type=int, default=1)
    ap.add_argument("--size", default="full")
    ap.add_argument("--streams", type=int, default=2)
    ap.add_argument("--chaos", type=int, default=0, help="run the full chaos variant instead")
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
        rows = []
        for rate in args.rates.split(","):
            link = Link(rate=rate)
            try:
                gw_t, gw_wire = via_gateway(link, os.path.join(work, rate), study_dirs,
                                            args.streams)
                scu_t, scu_wire = via_storescu(link, os.path.join(work, rate), study_dirs)
            finally:
                link.cleanup()
            bps = rate_bps(rate)
            row = {"rate": rate, "gateway_s": round(gw_t, 1), "storescu_s": round(scu_t, 1),
                   "speedup": round(scu_t / gw_t, 2),
                   "gateway_wire_MB": round(gw_wire / 1e6, 2),
                   "storescu_wire_MB": round(scu_wire / 1e6, 2),
                   "raw_MB": round(raw / 1e6, 2),
                   "wire_over_raw": round(gw_wire / raw, 3),
                   "gateway_utilisation": round(gw_wire * 8 / (bps * gw_t), 3),
                   "storescu_utilisation": round(scu_wire * 8 / (bps * scu_t), 3)}
            rows.append(row)
            print(json.dumps(row), flush=True)
        print("| link | gateway (s) | storescu (s) | ratio | wire MB gw / storescu / raw | "
              "wire/raw | utilisation gw / storescu |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['rate']} | {r['gateway_s']} | {r['storescu_s']} | {r['speedup']}x | "
                  f"{r['gateway_wire_MB']} / {r['storescu_wire_MB']} / {r['raw_MB']} | "
                  f"{r['wire_over_raw']} | {r['gateway_utilisation']} / "
                  f"{r['storescu_utilisation']} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
