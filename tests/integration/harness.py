"""Shared helpers for integration tests: start the real dualread binary and real peers on
loopback, find free ports, generate synthetic data, run DCMTK tools.

Every test gets its own temporary directory and ports; every process it starts is stopped in
tearDown, even on failure.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

BIN = os.environ.get("DUALREAD_BIN", os.path.join(os.path.dirname(__file__), "../../build/dualread"))
SOURCE_DIR = os.environ.get("DUALREAD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def run(cmd, check=True, timeout=300, **kw):
    """Runs a command, returns CompletedProcess with text output."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"command failed ({p.returncode}): {' '.join(map(str, cmd))}\n"
                             f"stdout:\n{p.stdout[-4000:]}\nstderr:\n{p.stderr[-4000:]}")
    return p


class Hub:
    """A running `dualread hub` on free loopback ports with its own data directory."""

    def __init__(self, data_dir, aet="DUALREAD", extra_args=(), config_text=None,
                 open_access=True):
        self.data_dir = data_dir
        # False: access control on (accounts from add_user() / `dualread admin`).
        self.open_access = open_access
        self.aet = aet
        self.http_port = free_port()
        self.dicom_port = free_port()
        self.extra_args = list(extra_args)
        self.config_text = config_text
        self.proc = None
        self.log_path = os.path.join(os.path.dirname(data_dir.rstrip("/")),
                                     os.path.basename(data_dir.rstrip("/")) + ".log")

    @property
    def base(self):
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, wait=True):
        cmd = [BIN, "hub", "--data", self.data_dir, "--http-port", str(self.http_port),
               "--dicom-port", str(self.dicom_port), "--aet", self.aet] + \
            (["--open"] if self.open_access else []) + self.extra_args
        if self.config_text is not None:
            cfg = self.data_dir.rstrip("/") + ".toml"
            with open(cfg, "w") as f:
                f.write(self.config_text)
            cmd[2:2] = ["--config", cfg]
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"hub exited with {self.proc.returncode}:\n{self.read_log()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as r:
                    if r.status == 200 and wait_port(self.dicom_port, 1):
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        raise AssertionError("hub did not become ready:\n" + self.read_log())

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-8000:]
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
        return self.proc.returncode if self.proc else None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    # --- HTTP helpers -------------------------------------------------------------------
    def request(self, method, path, body=None, headers=None, timeout=60):
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def get_json(self, path, expect=200):
        status, headers, body = self.request("GET", path, headers={"Accept": "application/json"})
        if status != expect:
            raise AssertionError(f"GET {path}: {status} (expected {expect}): {body[:500]!r}")
        return json.loads(body) if body else None


def add_user(data_dir, login, role, password=None, cims=(), rpps=None, check=True):
    """`dualread admin add-user` (the password on stdin); returns the CompletedProcess."""
    cmd = [BIN, "admin", "add-user", "--data", data_dir, "--login", login, "--role", role]
    for c in cims:
        cmd += ["--cim", c]
    if rpps:
        cmd += ["--rpps", rpps]
    if password is not None:
        cmd += ["--password-stdin"]
    return run(cmd, check=check, input=(password or "") + "\n")


def synth(out_dir, women, rounds=2, seed=1, size="small", faults=None, fault_rate=None):
    cmd = [BIN, "synth", "--out", out_dir, "--women", str(women), "--rounds", str(rounds),
           "--seed", str(seed), "--size", size]
    if faults:
        cmd += ["--faults", ",".join(faults)]
    if fault_rate is not None:
        cmd += ["--fault-rate", str(fault_rate)]
    run(cmd)
    with open(os.path.join(out_dir, "manifest.json")) as f:
        return json.load(f)


def storescu(port, files, aet="TESTSCU", called="DUALREAD", extra=(), check=True):
    """Sends files (or directories, recursively) with DCMTK storescu."""
    cmd = ["storescu", "-aet", aet, "-aec", called, "+sd", "+r", "-nh"] + list(extra) + \
          ["127.0.0.1", str(port)] + list(files)
    return run(cmd, check=check)


class HubTestCase(unittest.TestCase):
    """Base class: a temp dir per test, processes cleaned up on teardown."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dualread-it-")
        self._teardowns = []

    def tearDown(self):
        for fn in reversed(self._teardowns):
            try:
                fn()
            except Exception:
                pass
        if os.environ.get("KEEP_TMP") is None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def start_hub(self, name="hub", **kw):
        hub = Hub(os.path.join(self.tmp, name), **kw).start()
        self._teardowns.append(hub.stop)
        return hub
