"""TLS of the real `dualread hub` binary with certificates from `dualread admin dev-cert`:
HTTPS with the dev CA (accepted), an untrusted CA (refused), TLS 1.1 (refused), client
certificates (required, optional, from another CA), HSTS, redirect and HTTP-off modes, a
30+ MB STOW-RS and WADO-RS byte-exact over HTTPS, DICOM TLS with DCMTK's echoscu, storescu and
findscu (+tls), C-MOVE to a remote AE over TLS (DCMTK storescp +tls), each port refusing the
other protocol with a clear log line, and bad TLS files refused at start with a sentence."""
import glob
import hashlib
import http.client
import json
import os
import socket
import ssl
import subprocess
import time
import uuid

import harness


def dev_cert(out, *args):
    return harness.run([harness.BIN, "admin", "dev-cert", "--out", out] + list(args))


class TlsHub(harness.Hub):
    """A hub with [tls] from the dev CA in `pki` on free HTTPS and DICOM TLS ports."""

    def __init__(self, data_dir, pki, tls_extra="", config_extra=""):
        super().__init__(data_dir)
        self.https_port = harness.free_port()
        self.dicom_tls_port = harness.free_port()
        self.config_text = (
            "[tls]\n"
            f'cert = "{pki}/server.pem"\nkey = "{pki}/server-key.pem"\nca = "{pki}/ca.pem"\n'
            f"https_port = {self.https_port}\ndicom_port = {self.dicom_tls_port}\n"
            + tls_extra + "\n" + config_extra)

    def wait_tls_ready(self, timeout=30.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"hub exited with {self.proc.returncode}:\n{self.read_log()}")
            if "DICOM TLS door open" in self.read_log() and harness.wait_port(self.https_port, 1):
                return
            time.sleep(0.1)
        raise AssertionError("hub did not become ready:\n" + self.read_log())

    def wait_log(self, text, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.read_log():
                return True
            time.sleep(0.1)
        return False


class TlsTest(harness.HubTestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.pki_root = tempfile.mkdtemp(prefix="dualread-pki-")
        cls.pki = os.path.join(cls.pki_root, "pki")
        cls.other = os.path.join(cls.pki_root, "other")
        dev_cert(cls.pki, "--client", "gateway-cim1", "--client", "modality-1")
        dev_cert(cls.other, "--client", "rogue")  # a CA the hub does not trust

    @classmethod
    def tearDownClass(cls):
        import shutil
        shutil.rmtree(cls.pki_root, ignore_errors=True)

    def start_tls_hub(self, tls_extra="", config_extra="", wait_plain=True, name="hub"):
        hub = TlsHub(os.path.join(self.tmp, name), self.pki, tls_extra, config_extra)
        hub.start(wait=False)
        self._teardowns.append(hub.stop)
        hub.wait_tls_ready()
        if wait_plain:
            hub.wait_ready()
        return hub

    def ctx(self, ca=None, client=None, other=False):
        c = ssl.create_default_context(cafile=ca or os.path.join(self.pki, "ca.pem"))
        if client:
            base = self.other if other else self.pki
            c.load_cert_chain(os.path.join(base, f"client-{client}.pem"),
                              os.path.join(base, f"client-{client}-key.pem"))
        return c

    def https(self, hub, method, path, ctx=None, body=None, headers=None):
        conn = http.client.HTTPSConnection("127.0.0.1", hub.https_port, context=ctx or self.ctx(),
                                           timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    # --- HTTPS ---------------------------------------------------------------------------
    def test_https_with_the_dev_ca_hsts_and_plain_http_alongside(self):
        hub = self.start_tls_hub()
        st, headers, body = self.https(hub, "GET", "/healthz")
        self.assertEqual(st, 200, body)
        self.assertEqual(headers.get("Strict-Transport-Security"), "max-age=31536000")
        # curl with the dev CA, by name (SAN DNS:localhost) too.
        p = harness.run(["curl", "-sS", "--cacert", os.path.join(self.pki, "ca.pem"),
                         "-o", "/dev/null", "-w", "%{http_code}",
                         "--resolve", f"localhost:{hub.https_port}:127.0.0.1",
                         f"https://localhost:{hub.https_port}/healthz"])
        self.assertEqual(p.stdout, "200")
        # The plain port still serves ([tls] http = "serve"), without HSTS.
        st, headers, _ = hub.request("GET", "/healthz")
        self.assertEqual(st, 200)
        self.assertNotIn("Strict-Transport-Security", headers)
        self.assertIn("HTTPS listening on", hub.read_log())

    def test_untrusted_server_certificate_is_refused_by_clients(self):
        hub = self.start_tls_hub()
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.https(hub, "GET", "/healthz", ctx=self.ctx(ca=os.path.join(self.other, "ca.pem")))
        p = harness.run(["curl", "-sS", "-o", "/dev/null",
                         f"https://127.0.0.1:{hub.https_port}/healthz"], check=False)
        self.assertEqual(p.returncode, 60, p.stderr)  # peer certificate cannot be authenticated
        self.assertTrue(hub.wait_log("does not trust the hub's certificate"), hub.read_log())

    def test_tls_1_1_is_refused(self):
        hub = self.start_tls_hub()
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
        c.set_ciphers("ALL:@SECLEVEL=0")
        c.minimum_version = ssl.TLSVersion.TLSv1
        c.maximum_version = ssl.TLSVersion.TLSv1_1
        with self.assertRaises(ssl.SSLError):
            self.https(hub, "GET", "/healthz", ctx=c)
        self.assertTrue(hub.wait_log("TLS versions below 1.2"), hub.read_log())
        # 1.2 is accepted by default, and refused when min_version = "1.3".
        c12 = self.ctx()
        c12.maximum_version = ssl.TLSVersion.TLSv1_2
        self.assertEqual(self.https(hub, "GET", "/healthz", ctx=c12)[0], 200)
        hub13 = self.start_tls_hub('min_version = "1.3"\n', wait_plain=False, name="hub13")
        with self.assertRaises(ssl.SSLError):
            self.https(hub13, "GET", "/healthz", ctx=c12)
        self.assertEqual(self.https(hub13, "GET", "/healthz")[0], 200)

    def test_client_certificate_required(self):
        hub = self.start_tls_hub('client_cert = "require"\n')
        st, _, _ = self.https(hub, "GET", "/healthz", ctx=self.ctx(client="gateway-cim1"))
        self.assertEqual(st, 200)
        # The verified certificate's CN is known to the request (logged with it).
        self.assertTrue(hub.wait_log("certificate gateway-cim1"), hub.read_log())
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            self.https(hub, "GET", "/healthz")
        self.assertTrue(hub.wait_log("showed no certificate"), hub.read_log())
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            self.https(hub, "GET", "/healthz", ctx=self.ctx(client="rogue", other=True))
        self.assertTrue(hub.wait_log("not signed by a CA of [tls] ca"), hub.read_log())

    def test_client_certificate_optional(self):
        hub = self.start_tls_hub('client_cert = "optional"\n')
        self.assertEqual(self.https(hub, "GET", "/healthz")[0], 200)
        self.assertEqual(
            self.https(hub, "GET", "/healthz", ctx=self.ctx(client="modality-1"))[0], 200)
        self.assertTrue(hub.wait_log("certificate modality-1"), hub.read_log())
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            self.https(hub, "GET", "/healthz", ctx=self.ctx(client="rogue", other=True))

    def test_each_http_port_refuses_the_other_protocol_with_a_clear_log(self):
        hub = self.start_tls_hub()
        with socket.create_connection(("127.0.0.1", hub.https_port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = s.recv(4096)
        self.assertTrue(answer.startswith(b"HTTP/1.1 400"), answer)
        self.assertIn(b"use https://", answer)
        self.assertTrue(hub.wait_log("plain HTTP reached the HTTPS port"), hub.read_log())
        plain = socket.create_connection(("127.0.0.1", hub.http_port), timeout=10)
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            self.ctx().wrap_socket(plain, server_hostname="localhost").do_handshake()
        plain.close()
        self.assertTrue(hub.wait_log("a TLS (https://) connection reached the plain HTTP port"),
                        hub.read_log())

    def test_redirect_and_off_modes(self):
        hub = self.start_tls_hub('http = "redirect"\n', wait_plain=False)
        conn = http.client.HTTPConnection("127.0.0.1", hub.http_port, timeout=10)
        conn.request("GET", "/dicomweb/studies?PatientID=1", headers={"Host": "localhost:1"})
        r = conn.getresponse()
        r.read()
        self.assertEqual(r.status, 308)
        self.assertEqual(r.getheader("Location"),
                         f"https://localhost:{hub.https_port}/dicomweb/studies?PatientID=1")
        conn.close()
        off = self.start_tls_hub('http = "off"\n', wait_plain=False, name="off")
        self.assertEqual(self.https(off, "GET", "/healthz")[0], 200)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", off.http_port), timeout=5)

    def test_large_stow_and_wado_over_https_are_byte_exact(self):
        from pydicom.dataset import Dataset, FileMetaDataset
        from pydicom.uid import ExplicitVRLittleEndian, generate_uid
        hub = self.start_tls_hub()
        # A 4096 x 4096 16-bit mammogram: 32 MiB of pixels.
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.2"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID = generate_uid()
        ds.SeriesInstanceUID = generate_uid()
        ds.PatientID = "TLS-1"
        ds.PatientName = "TLS^Large"
        ds.PatientBirthDate = "19600101"
        ds.PatientSex = "F"
        ds.Modality = "MG"
        ds.StudyDate = "20260101"
        ds.ImageLaterality = "L"
        ds.ViewPosition = "CC"
        ds.Rows = ds.Columns = 4096
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = 16
        ds.BitsStored = 14
        ds.HighBit = 13
        ds.PixelRepresentation = 0
        ds.PixelData = os.urandom(4096 * 4096 * 2)
        src = os.path.join(self.tmp, "large.dcm")
        ds.save_as(src, write_like_original=False)
        size = os.path.getsize(src)
        self.assertGreater(size, 30 << 20)
        with open(src, "rb") as f:
            original = f.read()
        boundary = "tls-" + uuid.uuid4().hex
        body_path = os.path.join(self.tmp, "stow.body")
        with open(body_path, "wb") as out:
            out.write(b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n")
            out.write(original)
            out.write(b"\r\n--" + boundary.encode() + b"--\r\n")
        ca = os.path.join(self.pki, "ca.pem")
        base = f"https://127.0.0.1:{hub.https_port}"
        p = harness.run(["curl", "-sS", "--cacert", ca, "-o", body_path + ".out",
                         "-w", "%{http_code}", "-X", "POST", "-T", body_path,
                         "-H", f'Content-Type: multipart/related; type="application/dicom"; '
                               f'boundary="{boundary}"',
                         "-H", "Accept: application/dicom+json", base + "/dicomweb/studies"])
        with open(body_path + ".out", "rb") as f:
            answer = f.read()
        self.assertEqual(p.stdout, "200", answer[:2000])
        self.assertIn(base.encode(), answer)  # RetrieveURL names the HTTPS origin
        out_path = os.path.join(self.tmp, "wado.out")
        p = harness.run(["curl", "-sS", "--cacert", ca, "-o", out_path, "-D", out_path + ".h",
                         "-w", "%{http_code}",
                         "-H", 'Accept: multipart/related; type="application/dicom"',
                         f"{base}/dicomweb/studies/{ds.StudyInstanceUID}/series/"
                         f"{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}"])
        self.assertEqual(p.stdout, "200")
        with open(out_path + ".h") as f:
            ctype = [ln.split(":", 1)[1].strip() for ln in f.read().splitlines()
                     if ln.lower().startswith("content-type:")][0]
        with open(out_path, "rb") as f:
            body = f.read()
        from test_dicomweb import split_multipart
        parts = split_multipart(ctype, body)
        self.assertEqual(len(parts), 1)
        self.assertEqual(hashlib.sha256(parts[0][1]).hexdigest(),
                         hashlib.sha256(original).hexdigest())

    # --- DICOM TLS -----------------------------------------------------------------------
    def tls_args(self, client="modality-1", base=None):
        base = base or self.pki
        return ["+tls", os.path.join(base, f"client-{client}-key.pem"),
                os.path.join(base, f"client-{client}.pem"), "-pw",
                "+cf", os.path.join(self.pki, "ca.pem")]

    def test_dicom_tls_with_dcmtk_echo_store_find(self):
        hub = self.start_tls_hub('client_cert = "optional"\n')
        port = str(hub.dicom_tls_port)
        harness.run(["echoscu", "-aec", "DUALREAD"] + self.tls_args() + ["127.0.0.1", port])
        data = os.path.join(self.tmp, "synth")
        manifest = harness.synth(data, women=1, rounds=1, seed=3)
        files = sorted(glob.glob(os.path.join(data, "**", "*.dcm"), recursive=True))
        self.assertTrue(files)
        harness.storescu(hub.dicom_tls_port, files, extra=self.tls_args())
        self.assertTrue(hub.wait_log("accepted over TLS (client certificate modality-1)"))
        study = manifest["studies"][0]["study_uid"]
        out = os.path.join(self.tmp, "find")
        os.makedirs(out)
        harness.run(["findscu", "-S", "-X", "-od", out, "-aec", "DUALREAD"] + self.tls_args() +
                    ["-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}",
                     "-k", "NumberOfStudyRelatedInstances", "127.0.0.1", port])
        import pydicom
        answers = [pydicom.dcmread(os.path.join(out, f)) for f in os.listdir(out)]
        self.assertEqual(len(answers), 1)
        self.assertEqual(answers[0].StudyInstanceUID, study)
        self.assertEqual(int(answers[0].NumberOfStudyRelatedInstances), len(files))
        # The plain port still works alongside ([tls] dicom_plain = true).
        harness.run(["echoscu", "-aec", "DUALREAD", "127.0.0.1", str(hub.dicom_port)])

    def test_dicom_tls_refusals(self):
        hub = self.start_tls_hub('client_cert = "require"\n')
        port = str(hub.dicom_tls_port)
        # Plain DICOM to the TLS port, TLS to the plain port: both refused, both logged.
        p = harness.run(["echoscu", "-aec", "DUALREAD", "127.0.0.1", port], check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(hub.wait_log("a plain (non-TLS) association reached the TLS DICOM port"),
                        hub.read_log())
        p = harness.run(["echoscu", "-aec", "DUALREAD"] + self.tls_args() +
                        ["127.0.0.1", str(hub.dicom_port)], check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(hub.wait_log("a TLS connection reached the plain DICOM port"),
                        hub.read_log())
        # No client certificate (anonymous TLS), a certificate of another CA: refused.
        p = harness.run(["echoscu", "-aec", "DUALREAD", "+tla", "+cf",
                         os.path.join(self.pki, "ca.pem"), "127.0.0.1", port], check=False)
        self.assertNotEqual(p.returncode, 0)
        p = harness.run(["echoscu", "-aec", "DUALREAD"] + self.tls_args("rogue", self.other) +
                        ["127.0.0.1", port], check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(hub.wait_log("DICOM TLS from 127.0.0.1: no association"), hub.read_log())
        # A sender that does not trust the hub's CA refuses the hub.
        p = harness.run(["echoscu", "-aec", "DUALREAD", "+tls",
                         os.path.join(self.pki, "client-modality-1-key.pem"),
                         os.path.join(self.pki, "client-modality-1.pem"), "-pw",
                         "+cf", os.path.join(self.other, "ca.pem"), "127.0.0.1", port],
                        check=False)
        self.assertNotEqual(p.returncode, 0)
        # A good client still gets in: nothing above left the door stuck.
        harness.run(["echoscu", "-aec", "DUALREAD"] + self.tls_args() + ["127.0.0.1", port])

    def test_dicom_tls_only_port(self):
        hub = self.start_tls_hub("dicom_plain = false\n", wait_plain=False)
        harness.run(["echoscu", "-aec", "DUALREAD"] + self.tls_args() +
                     ["127.0.0.1", str(hub.dicom_tls_port)])
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", hub.dicom_port), timeout=5)

    def test_c_move_to_a_remote_ae_over_tls(self):
        dest_port = harness.free_port()
        hub = self.start_tls_hub(
            config_extra=f'[[remote_ae]]\naet = "TLSDEST"\nhost = "127.0.0.1"\n'
                         f'port = {dest_port}\ntls = true\n')
        data = os.path.join(self.tmp, "synth")
        manifest = harness.synth(data, women=1, rounds=1, seed=9)
        files = sorted(glob.glob(os.path.join(data, "**", "*.dcm"), recursive=True))
        harness.storescu(hub.dicom_port, files)
        received = os.path.join(self.tmp, "received")
        os.makedirs(received)
        scp = subprocess.Popen(
            ["storescp", "-aet", "TLSDEST", "-od", received, "+tls",
             os.path.join(self.pki, "server-key.pem"), os.path.join(self.pki, "server.pem"),
             "-pw", "+cf", os.path.join(self.pki, "ca.pem"), str(dest_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._teardowns.append(lambda: (scp.kill(), scp.wait()))
        self.assertTrue(harness.wait_port(dest_port))
        study = manifest["studies"][0]["study_uid"]
        harness.run(["movescu", "-S", "-aec", "DUALREAD", "-aem", "TLSDEST",
                     "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}",
                     "127.0.0.1", str(hub.dicom_port)])
        deadline = time.time() + 20
        while time.time() < deadline and len(os.listdir(received)) < len(files):
            time.sleep(0.2)
        self.assertEqual(len(os.listdir(received)), len(files), hub.read_log())
        # Without TLS on the destination's side the same move fails with a sentence.
        scp.kill()
        scp.wait()
        plain_scp = subprocess.Popen(["storescp", "-aet", "TLSDEST", "-od", received,
                                      str(dest_port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._teardowns.append(lambda: (plain_scp.kill(), plain_scp.wait()))
        self.assertTrue(harness.wait_port(dest_port))
        p = harness.run(["movescu", "-S", "-aec", "DUALREAD", "-aem", "TLSDEST",
                         "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}",
                         "127.0.0.1", str(hub.dicom_port)], check=False)
        self.assertTrue(hub.wait_log("Could not send"), hub.read_log())

    # --- bad configuration ---------------------------------------------------------------
    def start_bad(self, tls_text):
        hub = harness.Hub(os.path.join(self.tmp, "bad-" + uuid.uuid4().hex[:6]))
        hub.config_text = "[tls]\n" + tls_text
        hub.start(wait=False)
        self._teardowns.append(hub.stop)
        hub.proc.wait(timeout=30)
        return hub.proc.returncode, hub.read_log()

    def test_bad_tls_files_stop_the_hub_at_start_with_a_sentence(self):
        pki = self.pki
        code, log = self.start_bad(f'cert = "{pki}/server.pem"\nkey = "{pki}/missing-key.pem"\n')
        self.assertEqual(code, 1, log)
        self.assertIn("missing-key.pem does not exist", log)
        code, log = self.start_bad(
            f'cert = "{pki}/server.pem"\nkey = "{pki}/client-gateway-cim1-key.pem"\n')
        self.assertEqual(code, 1, log)
        self.assertIn("does not belong to the certificate", log)
        code, log = self.start_bad(f'cert = "{pki}/server.pem"\nkey = "{pki}/server-key.pem"\n'
                                   'client_cert = "require"\n')
        self.assertEqual(code, 1, log)
        self.assertIn("needs ca", log)
        code, log = self.start_bad('cert = "x.pem"\nverify = true\n')
        self.assertNotEqual(code, 0, log)
        self.assertIn("unknown key 'verify'", log)

    def test_dev_cert_command(self):
        out = os.path.join(self.tmp, "pki")
        p = dev_cert(out, "--hosts", "hub.example.org,127.0.0.1", "--client", "gw")
        self.assertIn("server.pem", p.stdout)
        for name in ("ca-key.pem", "server-key.pem", "client-gw-key.pem"):
            self.assertEqual(os.stat(os.path.join(out, name)).st_mode & 0o777, 0o600, name)
        text = harness.run(["openssl", "x509", "-in", os.path.join(out, "server.pem"),
                            "-noout", "-text"]).stdout
        self.assertIn("DNS:hub.example.org", text)
        self.assertIn("IP Address:127.0.0.1", text)
        harness.run(["openssl", "verify", "-CAfile", os.path.join(out, "ca.pem"),
                     os.path.join(out, "server.pem"), os.path.join(out, "client-gw.pem")])
        p = harness.run([harness.BIN, "admin", "dev-cert", "--out", out, "--client", "bad/name"],
                        check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("client name", p.stdout + p.stderr)


if __name__ == "__main__":
    import unittest
    unittest.main()
