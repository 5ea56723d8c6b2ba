"""The imaging-centre gateway against the real hub: DICOM in (storescu as the modality), durable
queue, lossless JPEG-LS upload resumed after cuts and kill -9 of either side, manifests
acknowledged only when the hub verified every image, the hub's ledger, disk floor, refusals
reported with their reason, status command and page."""
import os
import re
import shutil
import subprocess
import time
import unittest

from gateway_harness import FAST_CONFIG, Gateway, ledger_query
from harness import BIN, HubTestCase, run, storescu, synth
from test_dimse import index_query, manifest_files, stored_sop_uids

JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"


def pixel_bytes(path):
    import pydicom
    return pydicom.dcmread(path).PixelData


def gw_blobs(gw):
    root = os.path.join(gw.data_dir, "blobs")
    return [f for _, _, fs in os.walk(root) for f in fs]


class GatewayCase(HubTestCase):

    def start_gateway(self, hub_url, name="gw", **kw):
        gw = Gateway(os.path.join(self.tmp, name), hub_url, **kw).start()
        self._teardowns.append(gw.stop)
        return gw

    def fsck_clean(self, hub):
        r = run([BIN, "fsck", "--data", hub.data_dir], check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class GatewayDeliveryTest(GatewayCase):

    def test_exams_delivered_compressed_verified_and_acknowledged(self):
        data = os.path.join(self.tmp, "synth")
        manifest = synth(data, women=2, rounds=1, seed=5)
        files = manifest_files(data, manifest)
        studies = {f[2] for f in files}
        hub = self.start_hub()
        gw = self.start_gateway(hub.base)
        storescu(gw.dicom_port, [data + "/studies"], called=gw.aet)
        # Queued before the C-STORE success: every image has its row already.
        queued = {r[0] for r in gw.query("SELECT sop_uid FROM gw_instances")}
        self.assertEqual(queued, {f[1] for f in files})

        s = gw.wait_acknowledged(len(studies))
        self.assertEqual(s["exams"]["error"], 0)
        self.assertEqual(stored_sop_uids(hub.data_dir), {f[1] for f in files})
        syntaxes = {r[0] for r in index_query(hub.data_dir,
                                              "SELECT DISTINCT transfer_syntax FROM instances")}
        self.assertEqual(syntaxes, {JPEG_LS_LOSSLESS})

        # Pixel-exact: the hub's object decompressed by DCMTK has the original's pixels.
        path, sop, _ = files[0]
        key = index_query(hub.data_dir, "SELECT blob_key FROM instances WHERE sop_uid = ?",
                          (sop,))[0][0]
        blob = os.path.join(hub.data_dir, "blobs", key[:2], key[2:4], key)
        out = os.path.join(self.tmp, "decompressed.dcm")
        run(["dcmdjpls", blob, out])
        self.assertEqual(pixel_bytes(out), pixel_bytes(path))
        self.assertLess(os.path.getsize(blob), os.path.getsize(path))

        # The hub's ledger: announced, received, acknowledged, complete.
        ledger = hub.get_json("/api/ledger?cim=CIM01")
        self.assertEqual(len(ledger["days"]), 1)
        day = ledger["days"][0]
        self.assertEqual(day["announced_exams"], len(studies))
        self.assertEqual(day["announced_instances"], len(files))
        self.assertEqual(day["received_instances"], len(files))
        self.assertEqual(day["acknowledged_exams"], len(studies))
        detail = hub.get_json(f"/api/ledger?cim=CIM01&day={day['day']}")
        self.assertEqual({e["study_instance_uid"] for e in detail["days"][0]["exams"]}, studies)
        self.assertEqual(hub.request("GET", "/api/ledger?day=yesterday")[0], 400)

        # Status: command line (text) and the page.
        text = run([BIN, "gateway", "status", "--data", gw.data_dir]).stdout
        self.assertIn(f"{len(studies)} acknowledged", text)
        self.assertRegex(text, r"Last acknowledgement: 20\d\d-")
        code, ctype, html = gw.page("/")
        self.assertEqual(code, 200)
        self.assertIn("text/html", ctype)
        self.assertIn("accusé de réception reçu", html)
        code, _, body = gw.page("/status.json")
        self.assertIn('"acknowledged"', body)

        # Sending the same exam again changes nothing, anywhere.
        storescu(gw.dicom_port, [data + "/studies"], called=gw.aet)
        time.sleep(1.5)
        self.assertEqual(gw.status()["exams"]["acknowledged"], len(studies))
        self.assertEqual(index_query(hub.data_dir, "SELECT count(*) FROM instances")[0][0],
                         len(files))
        self.fsck_clean(hub)

    def test_cuts_and_kill9_of_hub_and_gateway_resume_from_the_confirmed_byte(self):
        data = os.path.join(self.tmp, "synth")
        manifest = synth(data, women=1, rounds=1, seed=9)
        files = manifest_files(data, manifest)
        studies = {f[2] for f in files}
        hub = self.start_hub()
        # A slow link: 12 kB/s, one stream, so each image takes seconds to go.
        gw = self.start_gateway(hub.base, config_text=FAST_CONFIG.replace(
            "[transfer]", "[transfer]\nbandwidth_bytes_per_second = 12000\nstreams = 1"))
        storescu(gw.dicom_port, [data + "/studies"], called=gw.aet)

        def partial_upload():
            try:
                rows = ledger_query(hub.data_dir, "SELECT offset, size FROM ledger_uploads "
                                                  "WHERE state = 'receiving' AND offset > 0")
            except Exception:
                return False
            return any(0 < o < s for o, s in rows)

        def wait_for(pred, what, timeout=60):
            deadline = time.time() + timeout
            while time.time() < deadline:
                if pred():
                    return
                time.sleep(0.05)
            self.fail(f"{what} did not happen in {timeout} s\n" + gw.read_log()[-4000:])

        # kill -9 the hub in the middle of an image, twice, then the gateway, twice.
        for _ in range(2):
            wait_for(partial_upload, "a partly received image")
            hub.kill9()
            time.sleep(1.0)
            hub.start()
        for _ in range(2):
            wait_for(partial_upload, "a partly received image")
            gw.kill9()
            gw.start()

        gw.wait_acknowledged(len(studies), timeout=240)
        log = gw.read_log()
        resumed = [int(m) for m in re.findall(r"Resuming image \S+ at byte (\d+)", log)]
        self.assertTrue(resumed and max(resumed) > 0, log[-4000:])
        # Every instance exactly once, verified.
        self.assertEqual(stored_sop_uids(hub.data_dir), {f[1] for f in files})
        self.assertEqual(index_query(hub.data_dir, "SELECT count(*) FROM instances")[0][0],
                         len(files))
        stored = ledger_query(hub.data_dir, "SELECT count(DISTINCT sop_uid) FROM ledger_uploads "
                                            "WHERE state = 'stored'")[0][0]
        self.assertEqual(stored, len(files))
        acked = ledger_query(hub.data_dir,
                             "SELECT count(*) FROM ledger_exams WHERE state = 'acknowledged'")
        self.assertEqual(acked[0][0], len(studies))
        self.fsck_clean(hub)

    def test_gateway_keeps_images_while_the_hub_is_down(self):
        data = os.path.join(self.tmp, "synth")
        manifest = synth(data, women=1, rounds=1, seed=3)
        files = manifest_files(data, manifest)
        hub = self.start_hub()
        hub.stop()
        gw = self.start_gateway(hub.base)
        # The modality is answered at once although the hub is unreachable.
        storescu(gw.dicom_port, [data + "/studies"], called=gw.aet)
        time.sleep(2)
        s = gw.status()
        self.assertEqual(s["queue"]["instances_waiting"], len(files))
        self.assertIn("hub", s["link"]["last_error"])
        # Nothing is removed before the acknowledgement: originals and JPEG-LS copies.
        self.assertEqual(len(gw_blobs(gw)), 2 * len(files))
        hub.start()
        gw.wait_acknowledged(1, timeout=60)
        self.assertEqual(stored_sop_uids(hub.data_dir), {f[1] for f in files})

    def test_files_removed_only_after_acknowledgement_and_retention(self):
        data = os.path.join(self.tmp, "synth")
        manifest = synth(data, women=1, rounds=1, seed=12)
        files = manifest_files(data, manifest)
        hub = self.start_hub()
        gw = self.start_gateway(hub.base, config_text=FAST_CONFIG + "\n[retention]\ndays = 0\n")
        storescu(gw.dicom_port, [data + "/studies"], called=gw.aet)
        gw.wait_acknowledged(1)
        # Acknowledged and past a retention of 0 days: the next housekeeping (at start) removes
        # the files, keeps the rows.
        gw.stop()
        gw.start()
        deadline = time.time() + 30
        while time.time() < deadline and gw_blobs(gw):
            time.sleep(0.2)
        self.assertEqual(gw_blobs(gw), [])
        s = gw.status()
        self.assertTrue(s["recent_exams"][0]["files_removed"])
        self.assertEqual(s["queue"]["instances_sent"], len(files))
        self.assertIn("local files were removed after 0 days", gw.read_log())


class GatewayRefusalTest(GatewayCase):

    def test_disk_floor_refuses_with_out_of_resources_and_stores_nothing(self):
        data = os.path.join(self.tmp, "synth")
        synth(data, women=1, rounds=1, seed=4)
        hub = self.start_hub()
        gw = self.start_gateway(hub.base, config_text=FAST_CONFIG +
                                "\n[retention]\nmin_free_bytes = 1125899906842624\n")
        r = storescu(gw.dicom_port, [data + "/studies"], called=gw.aet, extra=["-v"], check=False)
        out = r.stdout + r.stderr
        self.assertIn("Refused: OutOfResources", out)
        self.assertNotIn("Received Store Response (Success)", out)
        self.assertEqual(gw.query("SELECT count(*) FROM gw_instances")[0][0], 0)
        self.assertIn("disk is nearly full", gw.read_log())
        self.assertEqual(os.listdir(os.path.join(gw.data_dir, "staging")), [])

    @unittest.skipUnless(os.geteuid() == 0, "mounting a tmpfs needs root")
    def test_really_full_disk_refuses_cleanly_and_keeps_what_was_acknowledged(self):
        data = os.path.join(self.tmp, "synth")
        manifest = synth(data, women=2, rounds=1, seed=14)
        files = manifest_files(data, manifest)
        mnt = os.path.join(self.tmp, "small")
        os.makedirs(mnt)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1600k", "tmpfs", mnt], check=True)
        self._teardowns.append(lambda: subprocess.run(["umount", "-l", mnt]))
        hub = self.start_hub()
        hub.stop()  # the hub is unreachable: everything stays on the gateway's small disk
        gw = Gateway(os.path.join(mnt, "gw"), hub.base,
                     config_text=FAST_CONFIG + "\n[retention]\nmin_free_bytes = 0\n")
        gw.log_path = os.path.join(self.tmp, "gw.log")  # the log is not on the small disk
        gw.start()
        self._teardowns.append(gw.stop)
        r = storescu(gw.dicom_port, [data + "/studies"], called=gw.aet, extra=["-v"],
                     check=False)
        out = r.stdout + r.stderr
        self.assertIn("Refused: OutOfResources", out)
        acknowledged = set()
        current = None
        for line in out.splitlines():
            if "Sending file:" in line:
                current = line.split("Sending file:")[1].strip()
            elif "Received Store Response (Success)" in line and current:
                acknowledged.add(current)
        self.assertGreater(len(acknowledged), 0)
        sop_of = {f[0]: f[1] for f in files}
        queued = {r[0] for r in gw.query("SELECT sop_uid FROM gw_instances")}
        # Every image answered Success is queued; nothing else is.
        self.assertEqual(queued, {sop_of[p] for p in acknowledged})
        self.assertIsNone(gw.proc.poll(), "the gateway must survive a full disk")
        # Once the hub is back, what was acknowledged to the modality reaches it.
        hub.start()
        deadline = time.time() + 90
        while time.time() < deadline and set(stored_sop_uids(hub.data_dir)) != queued:
            time.sleep(0.5)
        self.assertEqual(stored_sop_uids(hub.data_dir), queued)

    def test_image_refused_by_the_hub_puts_its_exam_in_error_with_the_reason(self):
        data = os.path.join(self.tmp, "synth")
        manifest = synth(data, women=1, rounds=1, seed=6)
        files = manifest_files(data, manifest)
        hub = self.start_hub()
        # The same image reached the hub uncompressed by another way first: the gateway's
        # JPEG-LS copy has other bytes for the same SOP Instance UID.
        storescu(hub.dicom_port, [files[0][0]])
        gw = self.start_gateway(hub.base)
        storescu(gw.dicom_port, [data + "/studies"], called=gw.aet)
        deadline = time.time() + 60
        s = None
        while time.time() < deadline:
            s = gw.status()
            if s["exams"]["error"] == 1:
                break
            time.sleep(0.3)
        self.assertEqual(s["exams"]["error"], 1, s)
        reason = s["recent_exams"][0]["reason"]
        self.assertIn(files[0][1], reason)
        self.assertIn("refused by the hub", reason)
        self.assertEqual(s["recent_errors"][0]["sop_instance_uid"], files[0][1])
        day = hub.get_json("/api/ledger")["days"][0]
        self.assertEqual(day["refused_instances"], 1)
        self.assertEqual(day["acknowledged_exams"], 0)

    def test_bad_protocol_requests_get_a_sentence(self):
        hub = self.start_hub()
        code, _, body = hub.request("POST", "/api/gateway/uploads", b'{"cim": "CIM01"}',
                                    {"Content-Type": "application/json"})
        self.assertEqual(code, 400)
        self.assertIn(b"required", body)
        code, _, _ = hub.request("GET", "/api/gateway/uploads/0123456789abcdef0123456789abcdef")
        self.assertEqual(code, 404)
        code, _, body = hub.request("PATCH", "/api/gateway/uploads/x", b"abc",
                                    {"Content-Type": "text/plain"})
        self.assertEqual(code, 415)
        code, _, body = hub.request("POST", "/api/gateway/manifests", b"[1,2]",
                                    {"Content-Type": "application/json"})
        self.assertEqual(code, 400)

    def test_gateway_refuses_to_start_without_hub_or_cim(self):
        p = subprocess.run([BIN, "gateway", "--data", os.path.join(self.tmp, "g"), "--cim",
                            "CIM01", "--hub", "ftp://x", "--http-port", "-1"],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("http:// or https://", p.stdout + p.stderr)
        cfg = os.path.join(self.tmp, "bad.toml")
        with open(cfg, "w") as f:
            f.write("[transfer]\nstreamz = 2\n")
        p = subprocess.run([BIN, "gateway", "--config", cfg, "--data", self.tmp, "--cim", "C",
                            "--hub", "http://127.0.0.1:1"], capture_output=True, text=True,
                           timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("streamz is not a known key", p.stdout + p.stderr)
        p = subprocess.run([BIN, "gateway", "status", "--data", os.path.join(self.tmp, "none")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
