"""Interoperability with Orthanc playing a CIM's PACS: Orthanc C-STOREs a study into the hub;
the study is deleted from Orthanc; Orthanc, as a query/retrieve client, finds it on the hub
(C-FIND) and pulls it back (C-MOVE to itself). Every instance must come back with the same
pixel data and the same dataset content."""
import hashlib
import json
import os
import subprocess
import time
import unittest
import urllib.error
import urllib.request

from harness import free_port, synth
from test_dimse import DimseCase, manifest_files, remote_ae_config, stored_sop_uids

ORTHANC = "/usr/sbin/Orthanc"


def pixel_sha(data):
    import pydicom
    from io import BytesIO
    ds = pydicom.dcmread(BytesIO(data))
    return hashlib.sha256(ds.PixelData).hexdigest()


def content(data):
    import pydicom
    from io import BytesIO
    return pydicom.dcmread(BytesIO(data))


class Orthanc:
    """Orthanc on loopback with its storage in a temporary directory."""

    def __init__(self, directory, aet, hub_aet, hub_port, dicom_port):
        self.http_port = free_port()
        self.dicom_port = dicom_port
        self.aet = aet
        os.makedirs(directory, exist_ok=True)
        self.config_path = os.path.join(directory, "orthanc.json")
        with open(self.config_path, "w") as f:
            json.dump({
                "Name": "CIM test PACS",
                "StorageDirectory": os.path.join(directory, "storage"),
                "IndexDirectory": os.path.join(directory, "storage"),
                "HttpPort": self.http_port,
                "DicomPort": dicom_port,
                "DicomAet": aet,
                "DicomModalities": {"hub": [hub_aet, "127.0.0.1", hub_port]},
                "RemoteAccessAllowed": False,
                "AuthenticationEnabled": False,
                "Plugins": [],
                "HttpServerEnabled": True,
                "DicomServerEnabled": True,
                "StableAge": 1,
                "DicomScuTimeout": 30,
            }, f, indent=1)
        self.log = open(os.path.join(directory, "orthanc.log"), "wb")
        self.proc = subprocess.Popen([ORTHANC, self.config_path], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("Orthanc exited: " + self.read_log())
            try:
                self.get("/system")
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise AssertionError("Orthanc did not start: " + self.read_log())

    def read_log(self):
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")[-5000:]

    def request(self, method, path, body=None, content_type="application/json", timeout=120):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.http_port}{path}", data=body,
                                     method=method, headers={"Content-Type": content_type})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.read()

    def get(self, path):
        return json.loads(self.request("GET", path))

    def post(self, path, body, content_type="application/json"):
        data = self.request("POST", path, body, content_type)
        return json.loads(data) if data.strip() else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@unittest.skipUnless(os.path.exists(ORTHANC), "Orthanc is not installed (apt-get install orthanc)")
class OrthancInteropTest(DimseCase):

    def test_orthanc_stores_into_hub_then_pulls_back_by_query_retrieve(self):
        data = os.path.join(self.tmp, "synth")
        manifest = synth(data, women=1, rounds=1, seed=3)
        study = manifest["studies"][0]
        files = [f for f in manifest_files(data, manifest) if f[2] == study["study_uid"]]
        originals = {}
        for path, sop, _ in files:
            with open(path, "rb") as f:
                originals[sop] = f.read()

        orthanc_dicom_port = free_port()
        hub = self.start_hub(config_text=remote_ae_config(("ORTHANC_CIM", orthanc_dicom_port)))
        pacs = Orthanc(os.path.join(self.tmp, "orthanc"), "ORTHANC_CIM", "DUALREAD",
                       hub.dicom_port, orthanc_dicom_port)
        self.later(pacs.stop)

        # The CIM's PACS receives the study, then sends it to the hub by C-STORE.
        for blob in originals.values():
            pacs.post("/instances", blob, content_type="application/dicom")
        studies = pacs.get("/studies")
        self.assertEqual(len(studies), 1)
        orthanc_study = studies[0]
        job = pacs.post("/modalities/hub/store",
                        {"Resources": [orthanc_study], "Synchronous": True})
        self.assertIsNotNone(job)
        self.assertEqual(stored_sop_uids(hub.data_dir), set(originals))
        self.assertIn("from ORTHANC_CIM", hub.read_log())

        # Gone from the PACS...
        pacs.request("DELETE", f"/studies/{orthanc_study}")
        self.assertEqual(pacs.get("/instances"), [])

        # ...found on the hub by Orthanc's C-FIND, and pulled back by its C-MOVE.
        query = pacs.post("/modalities/hub/query",
                          {"Level": "Study",
                           "Query": {"StudyInstanceUID": study["study_uid"],
                                     "PatientID": "", "StudyDate": "",
                                     "NumberOfStudyRelatedInstances": ""}})
        answers = pacs.get(f"/queries/{query['ID']}/answers")
        self.assertEqual(len(answers), 1)
        answer = pacs.get(f"/queries/{query['ID']}/answers/0/content?simplify")
        self.assertEqual(answer.get("StudyInstanceUID"), study["study_uid"])
        self.assertEqual(answer.get("NumberOfStudyRelatedInstances"), str(len(files)))
        pacs.post(f"/queries/{query['ID']}/answers/0/retrieve",
                  {"TargetAet": "ORTHANC_CIM", "Synchronous": True})
        self.assertIn("to ORTHANC_CIM by C-MOVE (0 failed)", hub.read_log())

        back = pacs.get("/instances")
        self.assertEqual(len(back), len(files))
        for orthanc_id in back:
            blob = pacs.request("GET", f"/instances/{orthanc_id}/file")
            ds = content(blob)
            sop = str(ds.SOPInstanceUID)
            self.assertIn(sop, originals)
            self.assertEqual(pixel_sha(blob), pixel_sha(originals[sop]), sop)
            self.assertEqual(ds, content(originals[sop]), sop)


if __name__ == "__main__":
    unittest.main()
