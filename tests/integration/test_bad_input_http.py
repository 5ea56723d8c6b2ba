"""Bad input on the real hub's HTTP door: every case gets a 4xx with a sentence (or a STOW-RS
failure with its reason), the hub keeps answering /healthz, and nothing is stored: no index
row, no blob, no staging leftover."""
import json
import os
import socket
import uuid

import harness

PYDICOM_FILES = "/usr/lib/python3/dist-packages/pydicom/data/test_files"


def multipart_body(parts, boundary, part_type="application/dicom"):
    out = b""
    for p in parts:
        out += b"--" + boundary.encode() + b"\r\n"
        if part_type:
            out += b"Content-Type: " + part_type.encode() + b"\r\n"
        out += b"\r\n" + p + b"\r\n"
    return out + b"--" + boundary.encode() + b"--\r\n"


def raw_exchange(port, data, shutdown=False, timeout=30):
    """Sends raw bytes, returns everything the hub answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        if shutdown:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)


def count_files(path):
    n = 0
    for _, _, files in os.walk(path):
        n += len(files)
    return n


class BadInputHttpTest(harness.HubTestCase):
    STOW_TYPE = 'multipart/related; type="application/dicom"; boundary=b'

    def setUp(self):
        super().setUp()
        self.hub = self.start_hub(config_text="[hub]\nmax_request_bytes = 2000000\n")
        data = os.path.join(self.tmp, "synth")
        manifest = harness.synth(data, women=1, rounds=1, seed=3)
        self.study = manifest["studies"][0]
        with open(os.path.join(data, self.study["files"][0]["path"]), "rb") as f:
            self.good = f.read()

    def assert_nothing_stored(self):
        st, _, body = self.hub.request("GET", "/healthz")
        self.assertEqual(st, 200, "the hub must keep answering")
        stats = self.hub.get_json("/api/stats")
        self.assertEqual(stats["index"]["instances"], 0, stats)
        self.assertEqual(stats["index"]["quarantined"], 0, stats)
        self.assertEqual(stats["ingest"]["stored"], 0, stats)
        self.assertEqual(count_files(os.path.join(self.hub.data_dir, "blobs")), 0)

    def assert_sentence(self, body):
        err = json.loads(body)["error"]
        self.assertIsInstance(err, str)
        self.assertGreater(len(err), 20, err)

    def post(self, path, body, content_type=STOW_TYPE, headers=None):
        h = {"Content-Type": content_type} if content_type else {}
        h.update(headers or {})
        return self.hub.request("POST", path, body=body, headers=h)

    def test_bad_requests_are_refused_with_a_sentence(self):
        cases = [
            ("json body", "application/json", b"{}", 415),
            ("text body", "text/plain", b"hello", 415),
            ("dicom+json STOW", 'multipart/related; type="application/dicom+json"; boundary=b',
             multipart_body([b"{}"], "b", "application/dicom+json"), 415),
            ("no content type", None, b"abc", 415),
            ("no boundary", 'multipart/related; type="application/dicom"',
             multipart_body([self.good], "b"), 400),
            ("wrong boundary", self.STOW_TYPE, multipart_body([self.good], "other"), 400),
            ("unclosed multipart", self.STOW_TYPE,
             b"--b\r\nContent-Type: application/dicom\r\n\r\n" + self.good, 400),
            ("cut in the middle of a part", self.STOW_TYPE,
             multipart_body([self.good], "b")[:len(self.good) // 2], 400),
            ("empty body", self.STOW_TYPE, b"", 400),
            ("only the closing delimiter", self.STOW_TYPE, b"--b--\r\n", 400),
            ("oversize", self.STOW_TYPE, multipart_body([b"\0" * 2100000], "b"), 413),
        ]
        for name, ctype, body, status in cases:
            with self.subTest(name):
                st, headers, answer = self.post("/dicomweb/studies", body, ctype)
                self.assertEqual(st, status, answer[:300])
                self.assert_sentence(answer)
                self.assert_nothing_stored()

    def test_bad_parts_are_failed_sops(self):
        import pydicom
        ct = pydicom.dcmread(os.path.join(PYDICOM_FILES, "CT_small.dcm"))
        ct_path = os.path.join(self.tmp, "ct.dcm")
        ct.save_as(ct_path, write_like_original=True)
        with open(ct_path, "rb") as f:
            ct_bytes = f.read()
        no_uid = pydicom.dcmread(os.path.join(PYDICOM_FILES, "CT_small.dcm"))
        no_uid.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
        no_uid.file_meta.MediaStorageSOPClassUID = no_uid.SOPClassUID
        del no_uid.StudyInstanceUID
        no_uid_path = os.path.join(self.tmp, "nouid.dcm")
        no_uid.save_as(no_uid_path, write_like_original=True)
        with open(no_uid_path, "rb") as f:
            no_uid_bytes = f.read()
        cases = [
            ("not DICOM", b"this is not a DICOM file at all", 0xC000),
            ("truncated DICOM", self.good[:len(self.good) - 5000], 0xC000),
            ("DICOM preamble only", self.good[:132], 0xC000),
            ("empty part", b"", 0xC000),
            ("CT is not a screening object", ct_bytes, 0x0122),
            ("no Study Instance UID", no_uid_bytes, 0xC000),
        ]
        for name, part, reason in cases:
            with self.subTest(name):
                st, headers, answer = self.post("/dicomweb/studies", multipart_body([part], "b"))
                self.assertEqual(st, 409, answer[:300])
                body = json.loads(answer)
                failed = body["00081198"]["Value"]
                self.assertEqual(failed[0]["00081197"]["Value"], [reason])
                self.assertNotIn("00081199", body)
                self.assertTrue(headers.get("Warning", "").startswith('299 dualread "'), headers)
                self.assert_nothing_stored()
        with self.subTest("part of another media type"):
            st, headers, answer = self.post("/dicomweb/studies",
                                            multipart_body([self.good], "b", "text/plain"))
            self.assertEqual(st, 409, answer)
            self.assert_nothing_stored()
        with self.subTest("instance of another study than the URL's"):
            st, headers, answer = self.post("/dicomweb/studies/1.2.3.4.5",
                                            multipart_body([self.good], "b"))
            self.assertEqual(st, 409, answer)
            self.assertEqual(json.loads(answer)["00081198"]["Value"][0]["00081197"]["Value"],
                             [0xA900])
            self.assert_nothing_stored()

    def test_bad_paths_and_queries(self):
        cases = [
            ("/dicomweb/studies/abc", 400),
            ("/dicomweb/studies/..%2F..%2Fetc%2Fpasswd", 400),
            ("/dicomweb/studies/1.2.3/series/..", 400),
            ("/dicomweb/studies/1.2.3/series/1.2/instances/1.2/frames/x", 400),
            ("/dicomweb/studies/1.2.3/series/1.2/instances/1.2/bulkdata/zz", 400),
            ("/dicomweb/studies/1.2.3", 404),
            ("/dicomweb/studies?BogusKey=1", 400),
            ("/dicomweb/studies?StudyDate=yesterday", 400),
            ("/dicomweb/studies?limit=-5", 400),
            ("/dicomweb/studies?PatientName=%ZZ", 400),
            ("/api/exams/1.2.3.4", 404),
            ("/api/exams/%00", 400),
            ("/api/exams?status=lost", 400),
            ("/api/women/x/exams", 400),
            ("/../../etc/passwd", 400),
        ]
        for target, status in cases:
            with self.subTest(target):
                st, _, body = self.hub.request("GET", target)
                self.assertEqual(st, status, body[:300])
                self.assert_sentence(body)
        # Other paths belong to the web app (single-page app: its index.html), never a file
        # outside it.
        st, headers, body = self.hub.request("GET", "/nothing")
        self.assertEqual(st, 200)
        self.assertIn(b"<!doctype html>", body[:200].lower())
        self.assertNotIn(b"root:", body)
        st, headers, body = self.hub.request("DELETE", "/dicomweb/studies/1.2.3")
        self.assertEqual(st, 405)
        self.assert_sentence(body)
        self.assert_nothing_stored()

    def test_broken_http_and_abandoned_uploads(self):
        port = self.hub.http_port
        answer = raw_exchange(port, b"GARBAGE\r\n\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.1 400"), answer[:100])
        answer = raw_exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 70000 +
                              b"\r\n\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.1 431"), answer[:100])
        answer = raw_exchange(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64),
                              shutdown=True)  # a TLS hello on the plain port
        self.assertTrue(answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:100])
        # Uploads abandoned half-way, with and without a length.
        for framing in (b"Content-Length: 1000000\r\n", b"Transfer-Encoding: chunked\r\n"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                body = multipart_body([self.good], "b")[:3000]
                if b"chunked" in framing:
                    body = b"%x\r\n" % len(body) + body + b"\r\n"
                s.sendall(b"POST /dicomweb/studies HTTP/1.1\r\nHost: x\r\nContent-Type: " +
                          self.STOW_TYPE.encode() + b"\r\n" + framing + b"\r\n" + body)
        # Expect: 100-continue with an unacceptable type: refused before the body is sent.
        answer = raw_exchange(port, b"POST /dicomweb/studies HTTP/1.1\r\nHost: x\r\n"
                                    b"Content-Type: application/json\r\nContent-Length: 500000\r\n"
                                    b"Expect: 100-continue\r\n\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.1 415"), answer[:100])
        self.assert_nothing_stored()
        # A clean stop finishes or drops every reception; nothing is left in staging.
        self.assertEqual(self.hub.stop(), 0, self.hub.read_log())
        self.assertEqual(count_files(os.path.join(self.hub.data_dir, "staging")), 0)
        self.assertEqual(count_files(os.path.join(self.hub.data_dir, "blobs")), 0)

    def test_good_upload_after_bad_ones_is_stored(self):
        self.post("/dicomweb/studies", b"junk")
        self.post("/dicomweb/studies", multipart_body([b"junk"], "b"))
        st, _, answer = self.post("/dicomweb/studies", multipart_body([self.good], "b"))
        self.assertEqual(st, 200, answer)
        stats = self.hub.get_json("/api/stats")
        self.assertEqual(stats["index"]["instances"], 1)
        self.assertEqual(count_files(os.path.join(self.hub.data_dir, "blobs")), 1)


if __name__ == "__main__":
    import unittest
    unittest.main()
