"""The hub's DICOM door (DIMSE) against the real binary and the real DCMTK tools: C-ECHO,
C-STORE (duplicates, conflicts), C-FIND, C-MOVE to a storescp started here, C-GET, parallel
associations, and a clean exit on SIGTERM.

Helpers at the top are shared with test_crash_recovery.py and test_orthanc_interop.py.
"""
import glob
import hashlib
import os
import signal
import sqlite3
import struct
import subprocess
import threading
import time
import unittest

from harness import HubTestCase, free_port, run, storescu, synth, wait_port


# --- shared helpers ----------------------------------------------------------------------

def dataset_bytes(path):
    """The bytes after the Part-10 meta header (what a sender put on the wire)."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 132
    while pos + 8 <= len(data):
        group = struct.unpack_from("<H", data, pos)[0]
        if group != 0x0002:
            break
        vr = data[pos + 4:pos + 6]
        if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT"):
            pos += 12 + struct.unpack_from("<I", data, pos + 8)[0]
        else:
            pos += 8 + struct.unpack_from("<H", data, pos + 6)[0]
    return data[pos:]


def dataset_sha(path):
    return hashlib.sha256(dataset_bytes(path)).hexdigest()


def same_content(path_a, path_b):
    """Equal datasets (every element value, pixel data included), whatever each file's
    sequence length encoding: for receivers that re-encode what they save (getscu)."""
    import pydicom
    a, b = pydicom.dcmread(path_a), pydicom.dcmread(path_b)
    return a == b and a.get("PixelData") == b.get("PixelData")


def dicom_files(directory):
    return sorted(p for p in glob.glob(os.path.join(directory, "**", "*"), recursive=True)
                  if os.path.isfile(p) and not p.endswith(".json"))


def index_query(data_dir, sql, args=()):
    """Reads the hub's index read-only (works while the hub runs: WAL)."""
    uri = "file:" + os.path.join(data_dir, "index.sqlite") + "?mode=ro"
    con = sqlite3.connect(uri, uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def stored_sop_uids(data_dir):
    return {r[0] for r in index_query(data_dir, "SELECT sop_uid FROM instances")}


def manifest_files(out_dir, manifest):
    return [(os.path.join(out_dir, f["path"]), f["sop_uid"], s["study_uid"])
            for s in manifest["studies"] for f in s["files"]]


PYDICOM_FILES = "/usr/lib/python3/dist-packages/pydicom/data/test_files"
# (pydicom test file, its transfer syntax, storescu flag proposing it)
TS_SAMPLES = [
    ("MR_small_jp2klossless.dcm", "1.2.840.10008.1.2.4.90", "-xv"),
    ("JPEG2000.dcm", "1.2.840.10008.1.2.4.91", "-xw"),
    ("MR_small_jpeg_ls_lossless.dcm", "1.2.840.10008.1.2.4.80", "-xt"),
    ("JPGExtended.dcm", "1.2.840.10008.1.2.4.51", "-xx"),
    ("SC_rgb_dcmtk_+eb+cr.dcm", "1.2.840.10008.1.2.4.50", "-xy"),
    ("SC_rgb_jpeg_gdcm.dcm", "1.2.840.10008.1.2.4.70", "-xs"),
    ("MR_small_RLE.dcm", "1.2.840.10008.1.2.5", "-xr"),
    ("MR_small_bigendian.dcm", "1.2.840.10008.1.2.2", "-xb"),
    ("MR_small_implicit.dcm", "1.2.840.10008.1.2", "-xi"),
    ("image_dfl.dcm", "1.2.840.10008.1.2.1.99", "-xd"),
]


def secondary_capture_variants(directory, samples=None):
    """Debian pydicom's sample images in many transfer syntaxes, turned into Secondary Capture
    (a class the hub accepts) with UIDs of their own. Returns [(path, ts, storescu flag)]."""
    import pydicom
    os.makedirs(directory, exist_ok=True)
    out = []
    for i, (name, ts, flag) in enumerate(samples or TS_SAMPLES):
        ds = pydicom.dcmread(os.path.join(PYDICOM_FILES, name))
        assert str(ds.file_meta.TransferSyntaxUID) == ts, name
        root = f"1.2.826.0.1.3680043.10.1011.77.{i + 1}.{len(samples or TS_SAMPLES)}"
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = root + ".1.1"
        ds.StudyInstanceUID = root
        ds.SeriesInstanceUID = root + ".1"
        ds.PatientID = f"TS-{i + 1}"
        path = os.path.join(directory, f"{i + 1}.dcm")
        ds.save_as(path, write_like_original=True)
        out.append((path, ts, flag))
    return out


class StoreScp:
    """A DCMTK storescp receiving into a directory, on a free port."""

    def __init__(self, directory, aet="PEER_SCP", port=None, extra=()):
        self.port = port or free_port()
        self.aet = aet
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.proc = subprocess.Popen(
            ["storescp", "-aet", aet, "-od", directory] + list(extra) + [str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_port(self.port):
            self.stop()
            raise AssertionError("storescp did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def remote_ae_config(*aes):
    return "".join(f'[[remote_ae]]\naet = "{aet}"\nhost = "127.0.0.1"\nport = {port}\n\n'
                   for aet, port in aes)


class DimseCase(HubTestCase):
    """HubTestCase plus later(fn): stops what a test started (storescp, Orthanc) in tearDown,
    before the hub and the temporary directory go."""

    def later(self, fn):
        self._teardowns.append(fn)


# --- tests -------------------------------------------------------------------------------

class DimseTest(DimseCase):

    def setUp(self):
        super().setUp()
        self.data = os.path.join(self.tmp, "synth")
        self.manifest = synth(self.data, women=2, rounds=1, seed=7)
        self.files = manifest_files(self.data, self.manifest)
        self.peer_dir = os.path.join(self.tmp, "peer")
        self.peer_port = free_port()
        self.hub = self.start_hub(config_text=remote_ae_config(("PEER_SCP", self.peer_port)))

    def test_echo(self):
        r = run(["echoscu", "-aet", "TESTSCU", "-aec", "DUALREAD", "127.0.0.1",
                 str(self.hub.dicom_port)])
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_store_twice_keeps_one_row_per_instance_with_identical_bytes(self):
        storescu(self.hub.dicom_port, [os.path.join(self.data, "studies")])
        storescu(self.hub.dicom_port, [os.path.join(self.data, "studies")])
        rows = index_query(self.hub.data_dir, "SELECT sop_uid, blob_key, sha256 FROM instances")
        self.assertEqual(len(rows), len(self.files))
        self.assertEqual({r[0] for r in rows}, {f[1] for f in self.files})
        by_uid = {f[1]: f[0] for f in self.files}
        for sop, key, sha in rows:
            blob = os.path.join(self.hub.data_dir, "blobs", key[:2], key[2:4], key)
            with open(blob, "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), sha)
            self.assertEqual(dataset_sha(blob), dataset_sha(by_uid[sop]))

    def test_conflicting_instance_is_refused_0111_and_quarantined(self):
        path, sop, _ = self.files[0]
        storescu(self.hub.dicom_port, [path])
        changed = os.path.join(self.tmp, "changed.dcm")
        with open(path, "rb") as f, open(changed, "wb") as g:
            g.write(f.read())
        run(["dcmodify", "-nb", "-m", "(0008,1030)=ANOTHER DESCRIPTION", changed])
        r = storescu(self.hub.dicom_port, [changed], extra=["-d"], check=False)
        self.assertIn("0x0111", r.stdout + r.stderr)
        self.assertEqual(len(index_query(self.hub.data_dir, "SELECT 1 FROM quarantine")), 1)
        self.assertEqual(len(index_query(self.hub.data_dir,
                                         "SELECT 1 FROM instances WHERE sop_uid = ?", (sop,))), 1)

    def test_find_study_root_and_patient_root(self):
        storescu(self.hub.dicom_port, [os.path.join(self.data, "studies")])
        study = self.manifest["studies"][0]
        out = os.path.join(self.tmp, "find")
        os.makedirs(out)
        r = run(["findscu", "-aet", "TESTSCU", "-aec", "DUALREAD", "-S", "-X", "-od", out,
                 "-k", "QueryRetrieveLevel=STUDY", "-k", f"PatientID={study['patient_id']}",
                 "-k", "StudyInstanceUID", "-k", "NumberOfStudyRelatedInstances",
                 "127.0.0.1", str(self.hub.dicom_port)])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(os.listdir(out)), 1)
        out2 = os.path.join(self.tmp, "find2")
        os.makedirs(out2)
        run(["findscu", "-aet", "TESTSCU", "-aec", "DUALREAD", "-P", "-X", "-od", out2,
             "-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientName=*", "-k", "PatientID",
             "127.0.0.1", str(self.hub.dicom_port)])
        self.assertEqual(len(os.listdir(out2)), len({s["patient_id"] for s in
                                                      self.manifest["studies"]}))

    def test_move_to_storescp_and_unknown_destination(self):
        storescu(self.hub.dicom_port, [os.path.join(self.data, "studies")])
        study = self.manifest["studies"][0]
        scp = StoreScp(self.peer_dir, port=self.peer_port)
        self.later(scp.stop)
        r = run(["movescu", "-v", "-aet", "TESTSCU", "-aec", "DUALREAD", "-aem", "PEER_SCP", "-S",
                 "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study['study_uid']}",
                 "127.0.0.1", str(self.hub.dicom_port)])
        self.assertEqual(r.returncode, 0, r.stderr)
        want = {dataset_sha(os.path.join(self.data, f["path"])) for f in study["files"]}
        got = {dataset_sha(p) for p in dicom_files(self.peer_dir)}
        self.assertEqual(got, want)
        self.assertIn(f"to PEER_SCP by C-MOVE (0 failed)", self.hub.read_log())

        r = run(["movescu", "-v", "-aet", "TESTSCU", "-aec", "DUALREAD", "-aem", "STRANGER", "-S",
                 "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study['study_uid']}",
                 "127.0.0.1", str(self.hub.dicom_port)], check=False)
        self.assertIn("MoveDestinationUnknown", r.stdout + r.stderr)

    def test_get_study(self):
        storescu(self.hub.dicom_port, [os.path.join(self.data, "studies")])
        study = self.manifest["studies"][-1]
        out = os.path.join(self.tmp, "got")
        os.makedirs(out)
        r = run(["getscu", "-aet", "TESTSCU", "-aec", "DUALREAD", "-S", "-od", out,
                 "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study['study_uid']}",
                 "127.0.0.1", str(self.hub.dicom_port)])
        self.assertEqual(r.returncode, 0, r.stderr)
        import pydicom
        originals = {f["sop_uid"]: os.path.join(self.data, f["path"]) for f in study["files"]}
        got = dicom_files(out)
        self.assertEqual(len(got), len(originals))
        for p in got:
            sop = str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID)
            self.assertTrue(same_content(p, originals[sop]), sop)

    def test_parallel_associations(self):
        results = []

        def send(paths):
            results.append(storescu(self.hub.dicom_port, paths, check=False))

        groups = [[f[0] for f in self.files[i::4]] for i in range(4)]
        threads = [threading.Thread(target=send, args=(g,)) for g in groups if g]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results:
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(stored_sop_uids(self.hub.data_dir), {f[1] for f in self.files})

    def test_transfer_syntaxes_are_stored_as_received(self):
        self.check_stored_as_received(secondary_capture_variants(os.path.join(self.tmp, "ts")))

    def check_stored_as_received(self, files):
        for path, ts, flag in files:
            r = storescu(self.hub.dicom_port, [path], extra=["-R", flag], check=False)
            self.assertEqual(r.returncode, 0, f"{ts}: {r.stderr[-2000:]}")
        import pydicom
        for path, ts, _ in files:
            orig = pydicom.dcmread(path)
            rows = index_query(self.hub.data_dir,
                               "SELECT transfer_syntax, blob_key FROM instances WHERE sop_uid = ?",
                               (str(orig.SOPInstanceUID),))
            self.assertEqual(len(rows), 1, ts)
            self.assertEqual(rows[0][0], ts)
            key = rows[0][1]
            stored = pydicom.dcmread(os.path.join(self.hub.data_dir, "blobs", key[:2], key[2:4],
                                                  key))
            self.assertEqual(str(stored.file_meta.TransferSyntaxUID), ts)
            self.assertEqual(stored.PixelData, orig.PixelData, ts)

    def test_jpeg2000_image_to_an_uncompressed_only_peer_fails_that_sub_operation(self):
        files = [f for f in secondary_capture_variants(os.path.join(self.tmp, "ts"))
                 if f[1] in ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.80")]
        for path, _, flag in files:
            storescu(self.hub.dicom_port, [path], extra=["-R", flag])
        import pydicom
        scp = StoreScp(self.peer_dir, port=self.peer_port)  # uncompressed only
        self.later(scp.stop)
        uids = [str(pydicom.dcmread(p, stop_before_pixels=True).StudyInstanceUID)
                for p, _, _ in files]
        r = run(["movescu", "-v", "-aet", "TESTSCU", "-aec", "DUALREAD", "-aem", "PEER_SCP", "-S",
                 "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + "\\".join(uids),
                 "127.0.0.1", str(self.hub.dicom_port)], check=False)
        out = r.stdout + r.stderr
        self.assertIn("SubOperationsCompleteOneOrMoreFailures", out)
        self.assertEqual(len(dicom_files(self.peer_dir)), 1)  # the JPEG-LS one, decompressed
        log = self.hub.read_log()
        self.assertIn("JPEG 2000", log)
        self.assertIn("cannot decompress", log)

    def test_sigterm_while_idle_exits_zero_quickly(self):
        run(["echoscu", "-aec", "DUALREAD", "127.0.0.1", str(self.hub.dicom_port)])
        t0 = time.time()
        self.hub.proc.send_signal(signal.SIGTERM)
        code = self.hub.proc.wait(timeout=10)
        self.assertEqual(code, 0, self.hub.read_log())
        self.assertLess(time.time() - t0, 10)


if __name__ == "__main__":
    unittest.main()
