"""Interoperability of the hub's DICOMweb API with clients nobody here wrote:
the npm dicomweb-client (used by OHIF/Cornerstone viewers) and Orthanc's DICOMweb plugin
(Orthanc 1.10 from Debian) acting as a DICOMweb client of the hub."""
import glob
import hashlib
import json
import os
import shutil
import subprocess
import time
import unittest
import urllib.request

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_DIR = os.path.join(HERE, "dicomweb-client")
DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class DicomwebClientsTest(harness.HubTestCase):
    @classmethod
    def setUpClass(cls):
        # npm packages come from the npm registry (reachable in CI); installed once per run.
        if not os.path.isdir(os.path.join(CLIENT_DIR, "node_modules", "dicomweb-client")):
            harness.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=CLIENT_DIR, timeout=600)

    def setUp(self):
        super().setUp()
        self.data = os.path.join(self.tmp, "synth")
        self.manifest = harness.synth(self.data, women=2, rounds=1, seed=11)
        self.hub = self.start_hub()

    def test_npm_dicomweb_client_round_trip(self):
        study = self.manifest["studies"][0]
        f = os.path.join(self.data, study["files"][0]["path"])
        p = harness.run(["node", os.path.join(CLIENT_DIR, "client.js"), self.hub.base + "/dicomweb",
                         f, study["patient_id"]], cwd=CLIENT_DIR, timeout=120)
        out = json.loads(p.stdout)
        self.assertEqual(out["studies"], [study["study_uid"]])
        self.assertEqual(out["instances"], [study["files"][0]["sop_uid"]])
        self.assertEqual(out["instanceSha256"], sha256(f), "WADO-RS must return the stored bytes")
        self.assertTrue(out["metadataHasPixelBulkData"])
        self.assertGreater(out["frameBytes"], 1000)

    def _orthanc(self):
        port_http, port_dicom = harness.free_port(), harness.free_port()
        odir = os.path.join(self.tmp, "orthanc")
        os.makedirs(odir)
        cfg = {"Name": "cim", "StorageDirectory": odir + "/db", "IndexDirectory": odir + "/db",
               "HttpPort": port_http, "DicomPort": port_dicom, "DicomAet": "ORTHANC_CIM",
               "RemoteAccessAllowed": False, "AuthenticationEnabled": False,
               "Plugins": [DICOMWEB_PLUGIN],
               "DicomWeb": {"Enable": True, "Root": "/dicom-web/",
                            "Servers": {"hub": [self.hub.base + "/dicomweb/"]}}}
        with open(odir + "/orthanc.json", "w") as f:
            json.dump(cfg, f)
        log = open(odir + "/orthanc.log", "wb")
        proc = subprocess.Popen(["/usr/sbin/Orthanc", odir + "/orthanc.json"], stdout=log,
                                stderr=subprocess.STDOUT)
        self._teardowns.append(lambda: (proc.terminate(), proc.wait(30), log.close()))
        self.assertTrue(harness.wait_port(port_http, 30), "Orthanc did not start")
        return f"http://127.0.0.1:{port_http}"

    def _orthanc_call(self, base, method, path, body=None):
        data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
        req = urllib.request.Request(base + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=120) as r:
            raw = r.read()
            return json.loads(raw) if raw else None

    @unittest.skipUnless(os.path.exists(DICOMWEB_PLUGIN), "orthanc-dicomweb not installed")
    def test_orthanc_dicomweb_client_stow_and_retrieve(self):
        obase = self._orthanc()
        study = self.manifest["studies"][0]
        files = [os.path.join(self.data, x["path"]) for x in study["files"]]
        # Orthanc receives the study (as a CIM PACS would) ...
        for f in files:
            with open(f, "rb") as fh:
                self._orthanc_call(obase, "POST", "/instances", fh.read())
        ostudies = self._orthanc_call(obase, "GET", "/studies")
        self.assertEqual(len(ostudies), 1)
        # ... and pushes it to the hub with STOW-RS (Orthanc as DICOMweb client).
        self._orthanc_call(obase, "POST", "/dicom-web/servers/hub/stow",
                           {"Resources": ostudies, "Synchronous": True})
        exam = self.hub.get_json("/api/exams/" + study["study_uid"])
        self.assertEqual(exam["instance_count"], len(files))
        # Orthanc finds it on the hub by QIDO-RS and retrieves it back by WADO-RS.
        self._orthanc_call(obase, "DELETE", "/studies/" + ostudies[0])
        found = self._orthanc_call(obase, "POST", "/dicom-web/servers/hub/get",
                                   {"Uri": "/studies", "Arguments": {"PatientID": study["patient_id"]}})
        self.assertEqual(len(found), 1)
        self._orthanc_call(obase, "POST", "/dicom-web/servers/hub/retrieve",
                           {"Resources": [{"Study": study["study_uid"]}], "Synchronous": True})
        inst = self._orthanc_call(obase, "GET", "/instances")
        self.assertEqual(len(inst), len(files))
        # Byte-exact: the pixel data Orthanc got back is what the CIM sent.
        sent = {x["sop_uid"]: sha256(os.path.join(self.data, x["path"])) for x in study["files"]}
        for oid in inst:
            tags = self._orthanc_call(obase, "GET", f"/instances/{oid}/simplified-tags")
            req = urllib.request.Request(obase + f"/instances/{oid}/file")
            with urllib.request.urlopen(req) as r:
                got = hashlib.sha256(r.read()).hexdigest()
            self.assertIn(tags["SOPInstanceUID"], sent)
            self.assertEqual(got, sent[tags["SOPInstanceUID"]])


if __name__ == "__main__":
    unittest.main()
