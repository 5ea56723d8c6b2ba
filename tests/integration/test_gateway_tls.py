"""The gateway reaches the hub over TLS with certificate checking and a bearer token: a real
TLS endpoint (OpenSSL through Python's ssl module, with a certificate made by the openssl tool
for 127.0.0.1) terminates TLS in front of the hub. With the right CA file the exam is delivered
and the token is sent; with no CA file (the system's authorities do not know this one) nothing
is sent and the status says why."""
import os
import socket
import ssl
import threading
import time

from gateway_harness import FAST_CONFIG, Gateway
from harness import HubTestCase, free_port, run, storescu, synth
from test_dimse import manifest_files, stored_sop_uids

TOKEN = "gw-token-7f3a9c"


def make_certificates(directory):
    ca_key, ca = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.pem")
    key, csr, cert = (os.path.join(directory, n) for n in ("hub.key", "hub.csr", "hub.pem"))
    ext = os.path.join(directory, "ext.cnf")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out",
         ca, "-days", "2", "-subj", "/CN=dualread test CA"])
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
         "-subj", "/CN=127.0.0.1"])
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", "2", "-extfile", ext])
    return ca, cert, key


class TlsProxy:
    """Terminates TLS and forwards each connection to 127.0.0.1:target; keeps what clients
    sent at the start of each connection (request line and headers)."""

    def __init__(self, cert, key, target):
        self.target = target
        self.port = free_port()
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.sock = socket.create_server(("127.0.0.1", self.port))
        self.seen = []
        self.handshake_failures = 0
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshake_failures += 1
            raw.close()
            return
        up = socket.create_connection(("127.0.0.1", self.target))
        first = [True]

        def pump(src, dst, record):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    if record and first[0]:
                        self.seen.append(data[:4096])
                        first[0] = False
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        t = threading.Thread(target=pump, args=(up, tls, False), daemon=True)
        t.start()
        pump(tls, up, True)
        t.join(timeout=30)
        tls.close()
        up.close()

    def close(self):
        self.stopping = True
        self.sock.close()


class GatewayTlsTest(HubTestCase):

    def test_https_with_certificate_check_and_bearer_token(self):
        ca, cert, key = make_certificates(self.tmp)
        data = os.path.join(self.tmp, "synth")
        manifest = synth(data, women=1, rounds=1, seed=21)
        files = manifest_files(data, manifest)
        hub = self.start_hub()
        proxy = TlsProxy(cert, key, hub.http_port)
        self._teardowns.append(proxy.close)
        creds = os.path.join(self.tmp, "token")
        with open(creds, "w") as f:
            f.write(TOKEN + "\n")
        url = f"https://127.0.0.1:{proxy.port}"

        # Without the CA file the certificate is not trusted: nothing goes, the status says why.
        untrusting = Gateway(os.path.join(self.tmp, "gw0"), url, cim="CIM07",
                             extra_args=["--credentials", creds]).start()
        self._teardowns.append(untrusting.stop)
        storescu(untrusting.dicom_port, [data + "/studies"], called=untrusting.aet)
        deadline = time.time() + 30
        while time.time() < deadline and not untrusting.status()["link"]["last_error"]:
            time.sleep(0.3)
        status = untrusting.status()
        self.assertIn("certificate", status["link"]["last_error"])
        self.assertEqual(status["queue"]["instances_sent"], 0)
        self.assertGreater(proxy.handshake_failures, 0)
        self.assertEqual(stored_sop_uids(hub.data_dir), set())
        self.assertFalse(any(TOKEN.encode() in s for s in proxy.seen))  # never sent in clear
        untrusting.stop()

        gw = Gateway(os.path.join(self.tmp, "gw"), url, cim="CIM07",
                     extra_args=["--credentials", creds, "--ca-file", ca]).start()
        self._teardowns.append(gw.stop)
        storescu(gw.dicom_port, [data + "/studies"], called=gw.aet)
        gw.wait_acknowledged(1, timeout=90)
        self.assertEqual(stored_sop_uids(hub.data_dir), {f[1] for f in files})
        auth = [s for s in proxy.seen if b"/api/gateway/" in s.split(b"\r\n", 1)[0]]
        self.assertTrue(auth)
        for s in auth:
            self.assertIn(f"Authorization: Bearer {TOKEN}".lower().encode(), s.lower())
        self.assertEqual(hub.get_json("/api/ledger?cim=CIM07")["days"][0]["acknowledged_exams"],
                         1)
