"""The two ingest doors are one service: the same object sent by DICOM (C-STORE) and by
STOW-RS is stored once, whatever file meta header each door carries; a different object under
the same SOP Instance UID is a conflict by either door."""
import glob
import os
import subprocess
import unittest

import harness


def stow(hub, paths):
    boundary = "dualreadtestboundary"
    body = b""
    for p in paths:
        with open(p, "rb") as f:
            body += (f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n").encode()
            body += f.read() + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return hub.request("POST", "/dicomweb/studies", body, {
        "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
        "Accept": "application/dicom+json"})


class IngestDoorsTest(harness.HubTestCase):
    def setUp(self):
        super().setUp()
        self.data = os.path.join(self.tmp, "synth")
        self.manifest = harness.synth(self.data, women=1, rounds=1, seed=21,
                                      faults=["uid-conflict"], fault_rate=1.0)
        self.hub = self.start_hub()
        self.study = self.manifest["studies"][0]
        self.files = [os.path.join(self.data, f["path"]) for f in self.study["files"]]

    def blobs(self):
        return len(glob.glob(os.path.join(self.hub.data_dir, "blobs/*/*/*")))

    def test_dimse_then_stow_is_one_object(self):
        harness.storescu(self.hub.dicom_port, self.files)
        stats = self.hub.get_json("/api/stats")
        self.assertEqual(stats["index"]["instances"], len(self.files))
        status, _, body = stow(self.hub, self.files)
        self.assertEqual(status, 200, body[:500])
        stats = self.hub.get_json("/api/stats")
        self.assertEqual(stats["index"]["instances"], len(self.files))
        self.assertEqual(stats["index"]["quarantined"], 0)
        self.assertEqual(stats["ingest"]["duplicates"], len(self.files))
        # The STOW copies (other meta header) left no file behind.
        self.assertEqual(self.blobs(), len(self.files))
        p = harness.run([harness.BIN, "fsck", "--data", self.hub.data_dir], check=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_conflict_is_caught_by_either_door(self):
        conflict = glob.glob(os.path.join(self.data, "conflicts/*.dcm"))
        self.assertEqual(len(conflict), 1)
        status, _, body = stow(self.hub, self.files)
        self.assertEqual(status, 200, body[:500])
        p = harness.storescu(self.hub.dicom_port, conflict, extra=["-v"], check=False)
        self.assertIn("Status: 0x111", p.stdout + p.stderr)
        exam = self.hub.get_json("/api/exams/" + self.study["study_uid"])
        self.assertEqual(exam["status"], "needs-review")
        self.assertTrue(any("different content" in x for x in exam["problems"]))
        q = self.hub.get_json("/api/quarantine")
        self.assertEqual(len(q["items"]), 1)


if __name__ == "__main__":
    unittest.main()
