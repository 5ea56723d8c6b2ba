"""Priors through the gateway with Orthanc as the CIM's PACS: Orthanc holds a woman's earlier
mammogram and pushes her new exam to the gateway (C-STORE); the gateway asks Orthanc for her
studies (C-FIND), asks the hub which it lacks (QIDO-RS), has Orthanc send the prior to it
(C-MOVE) and forwards it marked as a prior. Both exams end acknowledged, the prior flagged in
the hub's ledger."""
import os
import unittest

from gateway_harness import FAST_CONFIG, Gateway
from harness import HubTestCase, free_port, synth
from test_dimse import manifest_files, stored_sop_uids
from test_orthanc_interop import ORTHANC, Orthanc


@unittest.skipUnless(os.path.exists(ORTHANC), "Orthanc is not installed (apt-get install orthanc)")
class GatewayPriorsTest(HubTestCase):

    def test_prior_missing_at_the_hub_is_fetched_from_the_pacs_and_forwarded(self):
        data = os.path.join(self.tmp, "synth")
        manifest = synth(data, women=1, rounds=2, seed=8)
        files = manifest_files(data, manifest)
        by_study = {}
        for path, sop, study in files:
            by_study.setdefault(study, []).append(path)
        self.assertEqual(len(by_study), 2)
        studies = sorted(manifest["studies"], key=lambda s: s.get("study_date", ""))
        prior_uid, current_uid = studies[0]["study_uid"], studies[-1]["study_uid"]

        hub = self.start_hub()
        pacs_port = free_port()
        gw = Gateway(os.path.join(self.tmp, "gw"), hub.base, config_text=FAST_CONFIG + f"""
[pacs]
aet = "ORTHANC_CIM"
host = "127.0.0.1"
port = {pacs_port}
""")
        pacs = Orthanc(os.path.join(self.tmp, "orthanc"), "ORTHANC_CIM", gw.aet, gw.dicom_port,
                       pacs_port)
        self._teardowns.append(pacs.stop)
        gw.start()
        self._teardowns.append(gw.stop)
        for study_files in by_study.values():
            for path in study_files:
                with open(path, "rb") as f:
                    pacs.post("/instances", f.read(), content_type="application/dicom")
        orthanc_current = pacs.post("/tools/lookup", current_uid, content_type="text/plain")
        current_id = [r["ID"] for r in orthanc_current if r["Type"] == "Study"][0]
        pacs.post("/modalities/hub/store", {"Resources": [current_id], "Synchronous": True})

        s = gw.wait_acknowledged(2, timeout=120)
        self.assertEqual(stored_sop_uids(hub.data_dir), {f[1] for f in files})
        exams = {e["study_instance_uid"]: e for e in s["recent_exams"]}
        self.assertTrue(exams[prior_uid]["prior"])
        self.assertFalse(exams[current_uid]["prior"])
        log = gw.read_log()
        self.assertIn(f"Prior study {prior_uid}", log)
        self.assertIn("1 earlier studies retrieved", log)
        day = hub.get_json("/api/ledger?cim=CIM01")["days"][0]["day"]
        detail = hub.get_json(f"/api/ledger?cim=CIM01&day={day}")["days"][0]["exams"]
        flags = {e["study_instance_uid"]: e["prior"] for e in detail}
        self.assertEqual(flags, {prior_uid: True, current_uid: False})
