"""DICOM peers confined to their imaging centre, on the real binary with DCMTK's tools as the
peers: two CIM-bound PACS each find (patient and study root, every level), move and get only
their own centre's studies, and may not store another centre's images (0x0124, nothing stored);
an unbound peer (a regional PACS) sees everything; a CIM-bound gateway token's STOW-RS of
another centre's image is refused the same way. The hub's log says what was refused in words and
the audit trail records it."""
import glob
import json
import os
import re
import unittest

from harness import BIN, Hub, HubTestCase, free_port, run, storescu, synth
from test_dimse import StoreScp, index_query, remote_ae_config


def dump_values(path, *tags):
    """Values of tags (e.g. '0020,000d') in a DICOM file, via DCMTK's dcmdump."""
    out = run(["dcmdump", "-q"] + [a for t in tags for a in ("+P", t)] + [path]).stdout
    values = {}
    for line in out.splitlines():
        m = re.match(r"\((\w{4},\w{4})\) \w\w (?:\[(.*?)\]|(.*?))\s+#", line)
        if m:
            values[m.group(1).lower()] = m.group(2) if m.group(2) is not None else ""
    return [values.get(t.lower(), "") for t in tags]


def files_in(directory):
    return sorted(p for p in glob.glob(os.path.join(directory, "**", "*"), recursive=True)
                  if os.path.isfile(p))


class DicomScopeTest(HubTestCase):

    def setUp(self):
        super().setUp()
        self.data = os.path.join(self.tmp, "synth")
        manifest = synth(self.data, women=8, rounds=1, seed=5)
        self.by_cim = {}
        for s in manifest["studies"]:
            self.by_cim.setdefault(s["cim"], []).append(s)
        cims = sorted(self.by_cim)
        self.assertGreaterEqual(len(cims), 2, "the synthetic data should span two centres")
        self.cim_a, self.cim_b = cims[0], cims[1]
        self.peer_port = free_port()
        self.peer_dir = os.path.join(self.tmp, "peer")
        config = remote_ae_config(("PEER_SCP", self.peer_port)) + f"""
[access]
password_cost = "minimum"

[[dicom_peer]]
aet = "A_PACS"
cim = "{self.cim_a}"
hosts = ["127.0.0.1"]
services = ["store", "find", "move", "get"]

[[dicom_peer]]
aet = "B_PACS"
cim = "{self.cim_b}"
hosts = ["127.0.0.1"]
services = ["store", "find", "move", "get"]

[[dicom_peer]]
aet = "REGION"
hosts = ["127.0.0.1"]
services = ["store", "find", "move", "get"]
"""
        self.hub_dir = os.path.join(self.tmp, "hub")
        out = run([BIN, "admin", "add-token", "--data", self.hub_dir, "--login", "gw.a",
                   "--role", "gateway", "--cim", self.cim_a]).stdout
        self.token = out.strip().splitlines()[-1]
        self.hub = Hub(self.hub_dir, config_text=config, open_access=False).start()
        self._teardowns.append(self.hub.stop)

    def study_files(self, study):
        return [os.path.join(self.data, f["path"]) for f in study["files"]]

    def dimse(self, tool, aet, *args, check=True):
        return run([tool, "-aet", aet, "-aec", self.hub.aet] + list(args) +
                   ["127.0.0.1", str(self.hub.dicom_port)], check=check)

    def find(self, aet, model, level, *keys, want=("0020,000d",)):
        """Every C-FIND response of `aet` as a list of tuples of the `want` tags."""
        out = os.path.join(self.tmp, f"find-{aet}-{model}-{level}-{len(os.listdir(self.tmp))}")
        os.makedirs(out)
        args = [model, "-X", "-od", out, "-k", f"QueryRetrieveLevel={level}",
                "-k", "IssuerOfPatientID"]
        for k in keys:
            args += ["-k", k]
        self.dimse("findscu", aet, *args)
        return [tuple(dump_values(p, *want)) for p in files_in(out)]

    def test_peers_find_retrieve_and_store_only_their_centre(self):
        a_studies = {s["study_uid"] for s in self.by_cim[self.cim_a]}
        b_studies = {s["study_uid"] for s in self.by_cim[self.cim_b]}
        all_studies = {s["study_uid"] for ss in self.by_cim.values() for s in ss}
        b_study = self.by_cim[self.cim_b][0]
        a_study = self.by_cim[self.cim_a][0]

        # C-STORE: A may not send B's images (0x0124, nothing stored), then sends its own.
        r = storescu(self.hub.dicom_port, self.study_files(b_study), aet="A_PACS",
                     called=self.hub.aet, extra=["-d"], check=False)
        out = r.stdout + r.stderr
        self.assertEqual(out.count("DIMSE Status                  : 0x0124: Refused: Not "
                                   "authorized"), len(b_study["files"]), out[-3000:])
        self.assertIn("Not authorized: images of another imaging centre", out)
        self.assertEqual(index_query(self.hub_dir, "SELECT count(*) FROM instances")[0][0], 0)
        self.assertEqual(index_query(self.hub_dir, "SELECT count(*) FROM quarantine")[0][0], 0)
        storescu(self.hub.dicom_port, self.study_files(a_study), aet="A_PACS",
                 called=self.hub.aet)
        # The regional PACS (no CIM) stores every centre's studies.
        storescu(self.hub.dicom_port, [os.path.join(self.data, "studies")], aet="REGION",
                 called=self.hub.aet)

        # C-FIND, study root and patient root, every level: each peer sees its own centre.
        for aet, cim, mine in (("A_PACS", self.cim_a, a_studies),
                               ("B_PACS", self.cim_b, b_studies)):
            for model in ("-S", "-P"):
                found = self.find(aet, model, "STUDY", "StudyInstanceUID",
                                  want=("0020,000d", "0010,0021"))
                self.assertEqual({uid for uid, _ in found}, mine, (aet, model))
                self.assertEqual({issuer for _, issuer in found}, {cim})
                series = self.find(aet, model, "SERIES", "SeriesInstanceUID", "StudyInstanceUID")
                self.assertEqual({uid for (uid,) in series}, mine, (aet, model))
                images = self.find(aet, model, "IMAGE", "SOPInstanceUID", "StudyInstanceUID")
                self.assertEqual({uid for (uid,) in images}, mine, (aet, model))
                self.assertEqual(len(images), sum(len(s["files"]) for s in self.by_cim[cim]))
            patients = self.find(aet, "-P", "PATIENT", "PatientID", want=("0010,0021",))
            self.assertTrue(patients)
            self.assertEqual({issuer for (issuer,) in patients}, {cim})
        # Asking for the other centre, even by its name or its study UID, finds nothing.
        self.assertEqual(self.find("A_PACS", "-S", "STUDY", f"IssuerOfPatientID={self.cim_b}"),
                         [])
        self.assertEqual(self.find("A_PACS", "-S", "STUDY",
                                   f"StudyInstanceUID={b_study['study_uid']}"), [])
        # The unbound regional PACS sees every centre.
        found = self.find("REGION", "-S", "STUDY", "StudyInstanceUID")
        self.assertEqual({uid for (uid,) in found}, all_studies)

        # C-GET: A gets its own study, nothing of B's.
        got = os.path.join(self.tmp, "got-a")
        os.makedirs(got)
        self.dimse("getscu", "A_PACS", "-S", "-od", got, "-k", "QueryRetrieveLevel=STUDY",
                   "-k", f"StudyInstanceUID={a_study['study_uid']}")
        self.assertEqual(len(files_in(got)), len(a_study["files"]))
        got_b = os.path.join(self.tmp, "got-b")
        os.makedirs(got_b)
        r = self.dimse("getscu", "A_PACS", "-d", "-S", "-od", got_b, "-k",
                       "QueryRetrieveLevel=STUDY", "-k",
                       f"StudyInstanceUID={b_study['study_uid']}", check=False)
        self.assertEqual(files_in(got_b), [])
        self.assertIn("Not authorized", r.stdout + r.stderr)
        # Patient level with B's IPP: nothing of B's either.
        got_p = os.path.join(self.tmp, "got-p")
        os.makedirs(got_p)
        self.dimse("getscu", "A_PACS", "-P", "-od", got_p, "-k", "QueryRetrieveLevel=PATIENT",
                   "-k", f"PatientID={b_study['patient_id']}", check=False)
        self.assertEqual([p for p in files_in(got_p)
                          if dump_values(p, "0010,0021")[0] != self.cim_a], [])

        # C-MOVE: B's study moved by A reaches nobody; A's own does.
        scp = StoreScp(self.peer_dir, port=self.peer_port)
        self._teardowns.append(scp.stop)
        r = self.dimse("movescu", "B_PACS", "-d", "-aem", "PEER_SCP", "-S", "-k",
                       "QueryRetrieveLevel=STUDY", "-k",
                       f"StudyInstanceUID={a_study['study_uid']}", check=False)
        self.assertIn("Not authorized", r.stdout + r.stderr)
        self.assertEqual(files_in(self.peer_dir), [])
        self.dimse("movescu", "A_PACS", "-aem", "PEER_SCP", "-S", "-k",
                   "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={a_study['study_uid']}")
        self.assertEqual(len(files_in(self.peer_dir)), len(a_study["files"]))

        # STOW-RS: the gateway token of A may not store B's image either.
        with open(self.study_files(b_study)[0], "rb") as f:
            part = f.read()
        body = (b"--b42\r\nContent-Type: application/dicom\r\n\r\n" + part +
                b"\r\n--b42--\r\n")
        status, headers, out = self.hub.request(
            "POST", "/dicomweb/studies", body,
            {"Authorization": "Bearer " + self.token, "Accept": "application/dicom+json",
             "Content-Type": 'multipart/related; type="application/dicom"; boundary=b42'})
        self.assertEqual(status, 409, out)
        failed = json.loads(out)["00081198"]["Value"]
        self.assertEqual(failed[0]["00081197"]["Value"][0], 0x0124)
        self.assertIn("not authorized", headers.get("Warning", ""))

        # The hub's log says it in words; the audit trail has every refusal and confinement.
        with open(self.hub.log_path, encoding="utf-8", errors="replace") as f:
            log = f.read()
        self.assertIn(f"another imaging centre than the sender's ({self.cim_a})", log)
        self.assertIn(f"was not sent: it belongs to imaging centre '{self.cim_b}'", log)
        self.assertIn(f"was not sent: it belongs to imaging centre '{self.cim_a}'", log)
        self.assertIn(f"(confined to imaging centre {self.cim_a})", log)
        audit = index_query(self.hub_dir, "SELECT actor, action, object_id, detail FROM audit_log")
        actions = {}
        for actor, action, obj, detail in audit:
            actions.setdefault(action, []).append((actor, obj, json.loads(detail)))
        refused_store = actions.get("store.cim-refused", [])
        self.assertEqual({a for a, _, _ in refused_store}, {"dicom:A_PACS", "gw.a"})
        self.assertEqual(len([1 for a, _, _ in refused_store if a == "dicom:A_PACS"]),
                         len(b_study["files"]))
        self.assertIn(("dicom:A_PACS", b_study["study_uid"]),
                      {(a, o) for a, o, _ in actions.get("dicom-get-refused", [])})
        self.assertIn(("dicom:B_PACS", a_study["study_uid"]),
                      {(a, o) for a, o, _ in actions.get("dicom-move-refused", [])})
        confined = [d for a, _, d in actions.get("dicom-find", []) if a == "dicom:A_PACS"]
        self.assertTrue(confined)
        self.assertTrue(all(d.get("confined_to") == [self.cim_a] for d in confined))
        unbound = [d for a, _, d in actions.get("dicom-find", []) if a == "dicom:REGION"]
        self.assertTrue(unbound and all("confined_to" not in d for d in unbound))


if __name__ == "__main__":
    unittest.main()
