"""Shared pieces of the benchmarks: peers (DCMTK storescp, Orthanc) started on loopback with
their storage in a scratch directory, the hub, timing helpers. Used by bench/*.py only."""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/integration"))
import harness  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "build/dualread")
harness.BIN = BIN


def sh(cmd, **kw):
    return harness.run(cmd, **kw)


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(values) - 1)
    return values[f] + (values[c] - values[f]) * (k - f)


def dir_bytes(path):
    total = 0
    for dp, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(dp, f))
    return total


def drop_caches():
    """Best effort: flush dirty pages so one run's writeback does not slow the next."""
    subprocess.run(["sync"])


class StoreScp:
    def __init__(self, workdir, aet="STORESCP"):
        self.dir = os.path.join(workdir, "storescp")
        os.makedirs(self.dir, exist_ok=True)
        self.port = harness.free_port()
        self.aet = aet
        self.proc = subprocess.Popen(["storescp", "-aet", aet, "-od", self.dir, "+B",
                                      str(self.port)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        harness.wait_port(self.port)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Orthanc:
    """Orthanc from Debian (1.10), default SQLite index + filesystem storage, on loopback."""

    def __init__(self, workdir, aet="ORTHANC", modalities=None, plugins=()):
        self.dir = os.path.join(workdir, "orthanc")
        os.makedirs(self.dir, exist_ok=True)
        self.http_port = harness.free_port()
        self.dicom_port = harness.free_port()
        self.aet = aet
        cfg = {
            "Name": "bench", "StorageDirectory": os.path.join(self.dir, "db"),
            "IndexDirectory": os.path.join(self.dir, "db"), "HttpPort": self.http_port,
            "DicomPort": self.dicom_port, "DicomAet": aet, "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False, "HttpServerEnabled": True,
            "DicomModalities": modalities or {}, "Plugins": list(plugins),
            "StableAge": 1, "ConcurrentJobs": 2,
        }
        if plugins:
            cfg["DicomWeb"] = {"Enable": True, "Root": "/dicom-web/"}
        self.cfg_path = os.path.join(self.dir, "orthanc.json")
        with open(self.cfg_path, "w") as f:
            json.dump(cfg, f)
        self.log = open(os.path.join(self.dir, "orthanc.log"), "wb")
        self.proc = subprocess.Popen(["/usr/sbin/Orthanc", self.cfg_path], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        if not harness.wait_port(self.http_port, 30) or not harness.wait_port(self.dicom_port, 30):
            raise RuntimeError("Orthanc did not start: see " + self.dir)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.http_port}"

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def start_hub(workdir, name="hub", extra=()):
    hub = harness.Hub(os.path.join(workdir, name), extra_args=extra)
    hub.start()
    return hub


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def report(path, results):
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print(json.dumps(results, indent=2))


def clean(path):
    shutil.rmtree(path, ignore_errors=True)
