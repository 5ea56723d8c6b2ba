"""Helpers for the gateway's integration tests: a running `dualread gateway` on free loopback
ports with its own data directory, its status, and waiting for exams to be acknowledged."""
import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request

from harness import BIN, free_port, wait_port

FAST_CONFIG = """
[transfer]
quiet_seconds = 1
backoff_initial_seconds = 0.2
backoff_max_seconds = 2
io_timeout_seconds = 5
"""


class Gateway:
    """A running `dualread gateway` forwarding to `hub_url`."""

    def __init__(self, data_dir, hub_url, cim="CIM01", config_text=FAST_CONFIG, extra_args=()):
        self.data_dir = data_dir
        self.hub_url = hub_url
        self.cim = cim
        self.aet = "DUALREAD_GW"
        self.dicom_port = free_port()
        self.http_port = free_port()
        self.config_text = config_text
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = data_dir.rstrip("/") + ".log"

    def start(self, wait=True):
        cmd = [BIN, "gateway", "--data", self.data_dir, "--dicom-port", str(self.dicom_port),
               "--http-port", str(self.http_port), "--hub", self.hub_url, "--cim", self.cim,
               "--aet", self.aet] + self.extra_args
        if self.config_text is not None:
            cfg = self.data_dir.rstrip("/") + ".toml"
            with open(cfg, "w") as f:
                f.write(self.config_text)
            cmd[2:2] = ["--config", cfg]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            deadline = time.time() + 30
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"gateway exited with {self.proc.returncode}:\n"
                                         + self.read_log())
                if wait_port(self.dicom_port, 0.2) and wait_port(self.http_port, 0.2):
                    return self
                time.sleep(0.1)
            raise AssertionError("gateway did not become ready:\n" + self.read_log())
        return self

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None) and not self.log.closed:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def status(self):
        """The status as `dualread gateway status --json` reports it (another process)."""
        p = subprocess.run([BIN, "gateway", "status", "--data", self.data_dir, "--json"],
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise AssertionError(f"gateway status failed: {p.stdout}{p.stderr}")
        return json.loads(p.stdout)

    def page(self, path="/"):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}{path}", timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode("utf-8")

    def query(self, sql, args=()):
        uri = "file:" + os.path.join(self.data_dir, "gateway.sqlite") + "?mode=ro"
        con = sqlite3.connect(uri, uri=True, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def wait_acknowledged(self, exams, timeout=120):
        """Waits until `exams` exams are acknowledged and nothing waits; returns the status."""
        deadline = time.time() + timeout
        s = None
        while time.time() < deadline:
            s = self.status()
            if s["exams"]["acknowledged"] >= exams and s["queue"]["instances_waiting"] == 0:
                return s
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError("gateway died:\n" + self.read_log()[-6000:])
            time.sleep(0.3)
        raise AssertionError(f"exams not acknowledged in {timeout} s: {json.dumps(s)[:3000]}\n"
                             + self.read_log()[-6000:])


def ledger_query(hub_data_dir, sql, args=()):
    uri = "file:" + os.path.join(hub_data_dir, "gateway-ledger.sqlite") + "?mode=ro"
    con = sqlite3.connect(uri, uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


class Link:
    """Two network namespaces joined by a veth pair, each direction shaped by a tc tbf qdisc:
    the gateway's side ("cim", 10.N.0.1) and the hub's side ("hub", 10.N.0.2). Needs root.
    `down()`/`up()` cut and restore the link (netem is not available on these kernels)."""

    def __init__(self, rate="2mbit", tag=None):
        tag = tag or str(os.getpid() % 200 + 20)
        self.cim_ns, self.hub_ns = f"drcim{tag}", f"drhub{tag}"
        self.cim_if, self.hub_if = f"drc{tag}", f"drh{tag}"
        self.cim_ip, self.hub_ip = f"10.{tag}.0.1", f"10.{tag}.0.2"
        self.rate = rate
        self.cleanup()
        sh = lambda *a: subprocess.run(list(a), check=True, capture_output=True)
        sh("ip", "netns", "add", self.cim_ns)
        sh("ip", "netns", "add", self.hub_ns)
        sh("ip", "link", "add", self.cim_if, "type", "veth", "peer", "name", self.hub_if)
        sh("ip", "link", "set", self.cim_if, "netns", self.cim_ns)
        sh("ip", "link", "set", self.hub_if, "netns", self.hub_ns)
        for ns, dev, ip in ((self.cim_ns, self.cim_if, self.cim_ip),
                            (self.hub_ns, self.hub_if, self.hub_ip)):
            sh("ip", "-n", ns, "addr", "add", ip + "/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            if rate:
                # burst: enough for the rate at HZ=250..1000; latency bounds the queue.
                sh("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "tbf",
                   "rate", rate, "burst", "32kbit", "latency", "200ms")

    @staticmethod
    def available():
        if os.geteuid() != 0:
            return False
        p = subprocess.run(["ip", "netns", "list"], capture_output=True)
        return p.returncode == 0

    def run_in(self, ns, cmd, **kw):
        return ["ip", "netns", "exec", ns] + list(cmd)

    def down(self):
        subprocess.run(["ip", "-n", self.cim_ns, "link", "set", self.cim_if, "down"], check=True)

    def up(self):
        subprocess.run(["ip", "-n", self.cim_ns, "link", "set", self.cim_if, "up"], check=True)

    def tx_bytes(self):
        """Bytes the gateway's side has put on the wire (its interface's counter)."""
        p = subprocess.run(["ip", "netns", "exec", self.cim_ns, "cat",
                            f"/sys/class/net/{self.cim_if}/statistics/tx_bytes"],
                           capture_output=True, text=True, check=True)
        return int(p.stdout.strip())

    def cleanup(self):
        for ns in (getattr(self, "cim_ns", None), getattr(self, "hub_ns", None)):
            if ns:
                subprocess.run(["ip", "netns", "del", ns], capture_output=True)


class NsProcess:
    """A dualread process started inside a network namespace, logging to a file, ready when
    its log says so."""

    def __init__(self, link_ns, cmd, log_path, ready_text):
        self.ns = link_ns
        self.cmd = cmd
        self.log_path = log_path
        self.ready_text = ready_text
        self.proc = None

    def start(self, timeout=30):
        start_size = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns] + self.cmd,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.cmd[1]} exited: " + self.read_log()[-4000:])
            with open(self.log_path, "rb") as f:
                f.seek(start_size)
                if self.ready_text.encode() in f.read():
                    return self
            time.sleep(0.1)
        raise AssertionError(f"{self.cmd[1]} not ready: " + self.read_log()[-4000:])

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.log.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None) and not self.log.closed:
            self.log.close()


def gateway_status(data_dir):
    p = subprocess.run([BIN, "gateway", "status", "--data", data_dir, "--json"],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError(p.stdout + p.stderr)
    return json.loads(p.stdout)
