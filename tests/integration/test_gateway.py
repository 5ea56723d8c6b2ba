"""The imaging-centre gateway against the real hub: DICOM in (storescu as the modality), durable
queue, lossless JPEG-LS upload resumed after cuts and kill -9 of either side, manifests
acknowledged only when the hub verified every image, the hub's ledger, disk floor, refusals
reported with their reason, status command and page."""
import http.client
import json
import os
import re
import shutil
import subprocess
import time
import unittest
import urllib.parse

from gateway_harness import FAST_CONFIG, Gateway, ledger_query
from harness import BIN, Hub, HubTestCase, run, storescu, synth
from test_dimse import index_query, manifest_files, stored_sop_uids

JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"


def pixel_bytes(path):
    import pydicom
    return pydicom.dcmread(path).PixelData


def gw_blobs(gw):
    root = os.path.join(gw.data_dir, "blobs")
    return [f for _, _, fs in os.walk(root) for f in fs]


def exam_files_on_gateway(gw, study):
    """The gateway's files (originals and copies) of one exam still on its disk."""
    keys = {k for row in gw.query("SELECT original_key, send_key FROM gw_instances "
                                  "WHERE study_uid = ?", (study,)) for k in row if k}
    return {k for k in keys
            if os.path.exists(os.path.join(gw.data_dir, "blobs", k[:2], k[2:4], k))}


def altered_copy(path, out):
    """The same image (same SOP Instance UID) with one pixel changed: another object."""
    import pydicom
    ds = pydicom.dcmread(path)
    pixels = bytearray(ds.PixelData)
    pixels[len(pixels) // 2] ^= 0x01
    ds.PixelData = bytes(pixels)
    ds.save_as(out)
    return out


def wait_until(pred, what, timeout=60, log=lambda: ""):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{what} did not happen in {timeout} s\n{log()[-4000:]}")


def exam_state(gw, study):
    for e in gw.status()["recent_exams"]:
        if e["study_instance_uid"] == study:
            return e
    return None


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


class GatewaySameImageTwiceTest(GatewayCase):
    """The same image sent both straight to the hub by the modality and through the gateway."""

    def test_same_image_sent_directly_and_through_the_gateway_is_no_conflict(self):
        data = os.path.join(self.tmp, "synth")
        manifest = synth(data, women=1, rounds=1, seed=6)
        files = manifest_files(data, manifest)
        sops = {f[1] for f in files}
        hub = self.start_hub()
        # Two views reached the hub straight from the modality first (uncompressed).
        storescu(hub.dicom_port, [files[0][0], files[1][0]])
        gw = self.start_gateway(hub.base)
        storescu(gw.dicom_port, [data + "/studies"], called=gw.aet)
        s = gw.wait_acknowledged(1)
        self.assertEqual(s["exams"]["error"], 0, s)
        self.assertEqual(stored_sop_uids(hub.data_dir), sops)
        self.assertEqual(index_query(hub.data_dir, "SELECT count(*) FROM instances")[0][0],
                         len(files))
        self.assertEqual(index_query(hub.data_dir, "SELECT count(*) FROM quarantine")[0][0], 0)
        self.assertIn("already in the archive with the same original bytes", hub.read_log())
        # Those two were not sent again: the archive keeps what the modality sent.
        syntaxes = dict(index_query(hub.data_dir, "SELECT sop_uid, transfer_syntax FROM instances"))
        self.assertNotEqual(syntaxes[files[0][1]], JPEG_LS_LOSSLESS)
        self.assertEqual(syntaxes[files[2][1]], JPEG_LS_LOSSLESS)
        held = ledger_query(hub.data_dir, "SELECT sop_uid, state, reason FROM ledger_uploads "
                                          "WHERE reason <> ''")
        self.assertEqual({r[0] for r in held}, {files[0][1], files[1][1]})
        self.assertTrue(all(r[1] == "stored" for r in held))
        day = hub.get_json("/api/ledger?cim=CIM01")["days"][0]
        self.assertEqual(day["received_instances"], len(files))
        self.assertEqual(day["refused_instances"], 0)
        self.assertEqual(day["acknowledged_exams"], 1)

        # The other way round: the modality now sends the whole exam to the hub directly as
        # well; the JPEG-LS copies the gateway delivered are the same objects: success, no
        # duplicate, no quarantine.
        r = storescu(hub.dicom_port, [data + "/studies"], extra=["-v"])
        self.assertEqual((r.stdout + r.stderr).count("Received Store Response (Success)"),
                         len(files), r.stdout + r.stderr)
        self.assertEqual(index_query(hub.data_dir, "SELECT count(*) FROM instances")[0][0],
                         len(files))
        self.assertEqual(index_query(hub.data_dir, "SELECT count(*) FROM quarantine")[0][0], 0)
        self.fsck_clean(hub)


class GatewayCimBindingTest(GatewayCase):
    """A gateway's token is bound to one CIM: the hub refuses uploads, manifests and resumes for
    any other (403, a sentence, audited, nothing stored)."""

    def token(self, hub_dir, login, cim):
        out = run([BIN, "admin", "add-token", "--data", hub_dir, "--login", login, "--role",
                   "gateway", "--cim", cim]).stdout
        token = out.strip().splitlines()[-1]
        path = os.path.join(self.tmp, login + ".token")
        with open(path, "w") as f:
            f.write(token + "\n")
        return token, path

    def test_gateway_may_only_act_for_the_cim_its_token_is_bound_to(self):
        data = os.path.join(self.tmp, "synth")
        # Seed 22: the woman's exam is at CIM01, the centre of the token that must deliver (a
        # CIM-bound sender may not store another centre's images).
        manifest = synth(data, women=1, rounds=1, seed=22)
        files = manifest_files(data, manifest)
        hub_dir = os.path.join(self.tmp, "hub")
        token1, file1 = self.token(hub_dir, "gw.cim01", "CIM01")
        token2, _ = self.token(hub_dir, "gw.cim02", "CIM02")
        hub = Hub(hub_dir, open_access=False).start()
        self._teardowns.append(hub.stop)

        def call(method, path, body, token, ctype="application/json", extra=None):
            h = {"Content-Type": ctype, "Authorization": "Bearer " + token}
            h.update(extra or {})
            data = json.dumps(body).encode() if isinstance(body, dict) else body
            code, _, out = hub.request(method, path, data, h)
            return code, json.loads(out) if out.strip().startswith(b"{") else out

        sha = "ab" * 32
        upload = {"cim": "CIM02", "sop_instance_uid": files[0][1],
                  "study_instance_uid": files[0][2], "size": 1000, "sha256": sha,
                  "original_sha256": sha}
        code, body = call("POST", "/api/gateway/uploads", upload, token1)
        self.assertEqual(code, 403, body)
        self.assertIn("gateway of CIM01", body["error"])
        self.assertIn("may not act for imaging centre 'CIM02'", body["error"])
        manifest_body = {"cim": "CIM02", "study_instance_uid": files[0][2],
                         "instances": [{"sop_instance_uid": files[0][1], "sha256": sha,
                                        "original_sha256": sha}]}
        code, body = call("POST", "/api/gateway/manifests", manifest_body, token1)
        self.assertEqual(code, 403, body)
        dismissal = dict(manifest_body, dismissed={"reason": "doublon", "by": "x"})
        self.assertEqual(call("POST", "/api/gateway/manifests", dismissal, token1)[0], 403)
        # Nothing stored, every refusal audited with the claimed and the bound CIM.
        self.assertEqual(ledger_query(hub_dir, "SELECT count(*) FROM ledger_uploads")[0][0], 0)
        self.assertEqual(ledger_query(hub_dir, "SELECT count(*) FROM ledger_exams")[0][0], 0)
        audit = index_query(hub_dir, "SELECT actor, object_type, detail FROM audit_log "
                                     "WHERE action = 'gateway.cim-refused' ORDER BY seq")
        self.assertEqual([(a, t) for a, t, _ in audit],
                         [("gw.cim01", "gateway-upload"), ("gw.cim01", "gateway-manifest"),
                          ("gw.cim01", "gateway-manifest")])
        detail = json.loads(audit[0][2])
        self.assertEqual(detail["claimed_cim"], "CIM02")
        self.assertEqual(detail["bound_cims"], ["CIM01"])
        self.assertIn("claimed imaging centre 'CIM02'", hub.read_log())

        # A gateway set up with the wrong --cim for its token delivers nothing and says why.
        wrong = self.start_gateway(hub.base, name="gw-wrong", cim="CIM02",
                                   extra_args=["--credentials", file1])
        storescu(wrong.dicom_port, [data + "/studies"], called=wrong.aet)
        wait_until(lambda: "HTTP 403" in wrong.status()["link"]["last_error"],
                   "the hub's refusal", log=wrong.read_log)
        self.assertIn("may not act for imaging centre", wrong.status()["link"]["last_error"])
        self.assertEqual(wrong.status()["queue"]["instances_waiting"], len(files))
        self.assertEqual(index_query(hub_dir, "SELECT count(*) FROM instances")[0][0], 0)
        wrong.stop()

        # The right one delivers.
        gw = self.start_gateway(hub.base, extra_args=["--credentials", file1])
        storescu(gw.dicom_port, [data + "/studies"], called=gw.aet)
        gw.wait_acknowledged(1)
        self.assertEqual(stored_sop_uids(hub_dir), {f[1] for f in files})

        # Another CIM's gateway may neither read nor continue CIM01's uploads.
        up = ledger_query(hub_dir, "SELECT upload_id, size FROM ledger_uploads LIMIT 1")[0]
        code, body = call("GET", f"/api/gateway/uploads/{up[0]}", None, token2)
        self.assertEqual(code, 403, body)
        code, body = call("PATCH", f"/api/gateway/uploads/{up[0]}", b"x", token2,
                          "application/offset+octet-stream", {"Upload-Offset": str(up[1])})
        self.assertEqual(code, 403, body)
        code, body = call("GET", f"/api/gateway/uploads/{up[0]}", None, token1)
        self.assertEqual(code, 200, body)
        self.assertEqual(body["state"], "stored")

        # The CIM01 gateway relays an exam of CIM02 (IssuerOfPatientID CIM02): the hub refuses
        # each image before storing it (a CIM sends only its own images) and audits it.
        other = os.path.join(self.tmp, "synth-cim02")
        other_files = manifest_files(other, synth(other, women=1, rounds=1, seed=21))
        storescu(gw.dicom_port, [other + "/studies"], called=gw.aet)
        refused = lambda: ledger_query(
            hub_dir, "SELECT reason FROM ledger_uploads WHERE state = 'refused'")
        wait_until(lambda: len(refused()) == len(other_files), "the refusals", log=gw.read_log)
        self.assertTrue(all("not authorized" in r and "'CIM02'" in r for (r,) in refused()),
                        refused())
        self.assertEqual(stored_sop_uids(hub_dir), {f[1] for f in files})
        audit = index_query(hub_dir, "SELECT actor, object_id FROM audit_log "
                                     "WHERE action = 'store.cim-refused'")
        self.assertEqual(sorted(audit), sorted(("gw.cim01", f[1]) for f in other_files))


class GatewayRefusalTest(GatewayCase):

    def conflict_setup(self, retention_days=30, women=1):
        """An exam whose first image the hub already holds with other content (a real
        conflict): the gateway's exam ends in error. Returns (hub, gw, files, study)."""
        data = os.path.join(self.tmp, "synth")
        manifest = synth(data, women=women, rounds=1, seed=6)
        files = manifest_files(data, manifest)
        study = files[0][2]
        hub = self.start_hub()
        other = altered_copy(files[0][0], os.path.join(self.tmp, "other.dcm"))
        storescu(hub.dicom_port, [other])
        gw = self.start_gateway(hub.base, config_text=FAST_CONFIG +
                                f"\n[retention]\ndays = {retention_days}\n")
        storescu(gw.dicom_port, [data + "/studies"], called=gw.aet)
        wait_until(lambda: (exam_state(gw, study) or {}).get("state") == "error",
                   "the conflict", log=gw.read_log)
        if women > 1:
            wait_until(lambda: gw.status()["exams"]["acknowledged"] == women - 1,
                       "the other exams' acknowledgement", log=gw.read_log)
        return hub, gw, files, study

    def test_real_conflict_is_reported_with_its_reason_and_nothing_is_stored(self):
        hub, gw, files, study = self.conflict_setup()
        s = gw.status()
        reason = exam_state(gw, study)["reason"]
        self.assertIn(files[0][1], reason)
        self.assertIn("refused by the hub", reason)
        self.assertIn("other content", reason)
        self.assertIn("real conflict", reason)
        self.assertEqual(s["recent_errors"][0]["sop_instance_uid"], files[0][1])
        # Refused when announced: the bytes never travelled, nothing was quarantined.
        refused = ledger_query(hub.data_dir, "SELECT state, offset FROM ledger_uploads "
                                             "WHERE sop_uid = ?", (files[0][1],))
        self.assertEqual(refused, [("refused", 0)])
        self.assertEqual(index_query(hub.data_dir, "SELECT count(*) FROM quarantine")[0][0], 0)
        day = hub.get_json("/api/ledger")["days"][0]
        self.assertEqual(day["refused_instances"], 1)
        self.assertEqual(day["acknowledged_exams"], 0)

    def test_technician_retries_then_dismisses_from_the_command_line(self):
        hub, gw, files, study = self.conflict_setup(retention_days=0, women=2)
        other_study = next(f[2] for f in files if f[2] != study)
        action = lambda verb, *args: run([BIN, "gateway", verb, "--data", gw.data_dir] +
                                         list(args), check=False)

        # Refusals of the command, each with a sentence; nothing journalled.
        r = action("retry", "--study", "1.2.3.999", "--reason", "vérifié")
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("no exam 1.2.3.999", r.stdout)
        r = action("dismiss", "--study", study, "--reason", "x", "--by", "Mme Durand")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("reason", r.stdout)
        r = action("dismiss", "--study", other_study, "--reason", "doublon", "--by", "Mme Durand")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("only an exam in error can be dismissed", r.stdout)
        r = action("retry", "--study", other_study, "--reason", "pour voir", "--by", "Mme Durand")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("only an exam in error", r.stdout)
        r = run([BIN, "gateway", "retry", "--data", os.path.join(self.tmp, "none"), "--study",
                 study, "--reason", "vérifié"], check=False)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(gw.query("SELECT count(*) FROM gw_journal")[0][0], 0)

        # Retry while the conflict is still there: the hub examines it afresh and refuses again.
        r = action("retry", "--study", study, "--reason", "vérifié avec le PACS", "--by",
                   "Mme Durand")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("will be sent again", r.stdout)
        wait_until(lambda: gw.query("SELECT count(*) FROM gw_instances WHERE state = 'error'")
                   [0][0] == 1 and (exam_state(gw, study) or {}).get("state") == "error",
                   "the refusal again", log=gw.read_log)
        self.assertIn("sent again after a refusal", hub.read_log())

        # Dismissed while the hub is unreachable: nothing is removed (even with a retention of
        # 0 days) until the hub has recorded the dismissal.
        hub.stop()
        r = action("dismiss", "--study", study, "--reason", "image refaite sous un autre UID",
                   "--by", "Mme Durand")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("dismissed", r.stdout)
        e = exam_state(gw, study)
        self.assertEqual(e["state"], "dismissed")
        self.assertEqual(e["dismissal"]["reason"], "image refaite sous un autre UID")
        self.assertFalse(e["dismissal"]["recorded_by_hub"])
        files_before = exam_files_on_gateway(gw, study)
        self.assertTrue(files_before)
        gw.stop()
        gw.start()  # the retention runs at start
        wait_until(lambda: not exam_files_on_gateway(gw, other_study),
                   "removal of the acknowledged exam's files", log=gw.read_log)
        self.assertEqual(exam_files_on_gateway(gw, study), files_before)

        # The journal keeps both decisions, with their reasons, who and where from.
        journal = gw.status()["journal"]
        self.assertEqual([j["action"] for j in journal], ["dismiss", "retry"])
        self.assertEqual(journal[1]["reason"], "vérifié avec le PACS")
        self.assertEqual(journal[0]["by"], "Mme Durand")
        self.assertIn("command line", journal[0]["source"])
        self.assertIn("other content", journal[0]["previous_reason"])
        text = run([BIN, "gateway", "status", "--data", gw.data_dir]).stdout
        self.assertIn("1 dismissed", text)
        self.assertIn("not yet told to the hub", text)

        # The hub comes back: the dismissal is announced and recorded in its ledger.
        hub.start()
        wait_until(lambda: exam_state(gw, study)["dismissal"]["recorded_by_hub"],
                   "the hub's record of the dismissal", log=gw.read_log)
        day = hub.get_json("/api/ledger?cim=CIM01")["days"][0]
        self.assertEqual(day["dismissed_exams"], 1)
        detail = hub.get_json(f"/api/ledger?cim=CIM01&day={day['day']}")["days"][0]["exams"]
        dismissed = [x for x in detail if x["study_instance_uid"] == study][0]
        self.assertEqual(dismissed["state"], "dismissed")
        self.assertEqual(dismissed["dismissal"]["reason"], "image refaite sous un autre UID")
        self.assertEqual(dismissed["dismissal"]["by"], "Mme Durand")
        self.assertIn("dismissed by the centre", hub.read_log())
        audit = index_query(hub.data_dir, "SELECT object_id FROM audit_log "
                                          "WHERE action = 'gateway.exam-dismissed'")
        self.assertEqual(audit, [(study,)])
        # Now the retention may remove them (0 days after the hub's record).
        gw.stop()
        gw.start()
        wait_until(lambda: not exam_files_on_gateway(gw, study),
                   "removal of the dismissed exam's files", log=gw.read_log)
        self.assertIn("dismissed on", gw.read_log())
        self.assertTrue(exam_state(gw, study)["files_removed"])
        # Its files gone, it can no longer be retried from the gateway.
        r = action("retry", "--study", study, "--reason", "finalement", "--by", "Mme Durand")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("files have since been removed", r.stdout)

    def test_status_page_retry_and_dismiss_with_a_local_protection(self):
        hub, gw, files, study = self.conflict_setup()

        def post(path, fields, headers=None, content_type="application/x-www-form-urlencoded"):
            c = http.client.HTTPConnection("127.0.0.1", gw.http_port, timeout=10)
            h = {"Content-Type": content_type}
            h.update(headers or {})
            c.request("POST", path, urllib.parse.urlencode(fields), h)
            r = c.getresponse()
            out = r.status, dict(r.getheaders()), r.read().decode("utf-8")
            c.close()
            return out

        code, ctype, html = gw.page(f"/exams/{study}")
        self.assertEqual(code, 200)
        self.assertIn("other content", html)
        self.assertIn("Renvoyer", html)
        self.assertIn("Écarter", html)
        token = re.search(r'name="jeton" value="([0-9a-f]+)"', html).group(1)
        main = gw.page("/")[2]
        self.assertIn(f'href="/exams/{study}"', main)
        url = f"/exams/{study}/dismiss"
        good = {"jeton": token, "motif": "doublon envoyé par erreur", "par": "Mme Durand"}

        # Refused, each with a sentence, and nothing changes.
        code, headers, body = post(url, dict(good, jeton="0" * len(token)))
        self.assertEqual(code, 403)
        self.assertIn("périmé", body)
        self.assertEqual(headers.get("X-Frame-Options"), "DENY")
        code, _, body = post(url, {"motif": "doublon", "par": "Mme Durand"})
        self.assertEqual(code, 403)
        code, _, body = post(url, good, {"Host": "evil.example:%d" % gw.http_port})
        self.assertEqual(code, 403)
        self.assertIn("inattendue", body)
        code, _, body = post(url, good, {"Origin": "http://evil.example"})
        self.assertEqual(code, 403)
        self.assertIn("autre site", body)
        code, _, body = post(url, good, content_type="application/json")
        self.assertEqual(code, 415)
        code, _, body = post(url, dict(good, motif="x"))
        self.assertEqual(code, 400)
        self.assertIn("motif", body)
        code, _, body = post(url, dict(good, par=""))
        self.assertEqual(code, 400)
        code, _, body = post("/exams/1.2.3.999/dismiss", good)
        self.assertEqual(code, 404)
        self.assertEqual(exam_state(gw, study)["state"], "error")
        self.assertEqual(gw.query("SELECT count(*) FROM gw_journal")[0][0], 0)
        self.assertIn("missing or stale form token", gw.read_log())

        # Dismissed from the page (as the browser sends it: same origin).
        origin = {"Origin": f"http://127.0.0.1:{gw.http_port}", "Sec-Fetch-Site": "same-origin"}
        code, headers, _ = post(url, good, origin)
        self.assertEqual(code, 303)
        self.assertEqual(headers["Location"], f"/exams/{study}?fait=ecarte")
        e = exam_state(gw, study)
        self.assertEqual(e["state"], "dismissed")
        self.assertEqual(e["dismissal"]["reason"], "doublon envoyé par erreur")
        wait_until(lambda: exam_state(gw, study)["dismissal"]["recorded_by_hub"],
                   "the hub's record of the dismissal", log=gw.read_log)
        html = gw.page(f"/exams/{study}?fait=ecarte")[2]
        self.assertIn("Examen écarté", html)
        self.assertIn("enregistré par le centre", html)
        self.assertIn("Renvoyer", html)
        self.assertNotIn("/dismiss", html)
        journal = gw.status()["journal"]
        self.assertEqual(journal[0]["source"], "status page (127.0.0.1)")
        self.assertEqual(journal[0]["by"], "Mme Durand")
        # A second dismissal is refused (409) with the page and its sentence.
        code, _, body = post(url, good, origin)
        self.assertEqual(code, 409)
        self.assertIn("seul un examen en erreur", body)

        # Retried from the page: the conflict is still there, so back in error; the hub's
        # ledger no longer counts it as dismissed once it is announced again.
        code, headers, _ = post(f"/exams/{study}/retry",
                                dict(good, motif="vérifié avec le CRCDC"), origin)
        self.assertEqual(code, 303)
        wait_until(lambda: (exam_state(gw, study) or {}).get("state") == "error",
                   "the refusal again", log=gw.read_log)
        self.assertIn("Décisions des manipulateurs", gw.page("/")[2])
        self.assertEqual([j["action"] for j in gw.status()["journal"]], ["retry", "dismiss"])
        day = hub.get_json("/api/ledger?cim=CIM01")["days"][0]
        self.assertEqual(day["dismissed_exams"], 0)
        self.assertIn("sent again after its dismissal", hub.read_log())

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
                     config_text=FAST_CONFIG + "\n[retention]\nmin_free_bytes = 0\n"
                     "reserve_bytes = 393216\n")
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
