"""Identity vigilance through the real binary: synthetic screening data with identity faults
(`dualread synth --faults identity-typo`) sent by DCMTK storescu. The mistyped studies of a woman
already known land in the identity queue with their reason and hold their exam back; the centres
that record the used (married) name do not flood the queue; a secretary settles a case over the
REST API and the exam is released.
"""
import json
import os
import time
import unittest

from harness import HubTestCase, storescu, synth


class IdentityQueueTest(HubTestCase):
    def post(self, hub, path, body):
        status, _, data = hub.request("POST", path, json.dumps(body).encode(),
                                      {"Content-Type": "application/json",
                                       "Accept": "application/json"})
        return status, json.loads(data) if data else None

    def test_typos_queue_used_names_attach_and_a_case_is_settled(self):
        out = os.path.join(self.tmp, "synth")
        manifest = synth(out, women=20, rounds=2, seed=5, faults=["identity-typo"],
                         fault_rate=0.25)
        studies = manifest["studies"]
        faulty = [s for s in studies if any(f["kind"] == "identity-typo" for f in s["faults"])]
        clean = [s for s in studies if s not in faulty]
        used_name_cims = {c["id"] for c in manifest["cims"] if c["records_used_name"]}
        # Her clean studies go first: the register knows her before the typo arrives. A mistyped
        # birth date is always caught; a mistyped name when the register knows the name that
        # centre records (a mistyped *new* married name under a qualified INS is, by design,
        # indistinguishable from a new married name: attached to her, the name recorded).
        def family(pn):
            return pn.split("^")[0]

        def must_queue(s):
            siblings = [c for c in clean if c["woman_ins"] == s["woman_ins"]]
            if not siblings:
                return False
            detail = " ".join(f["detail"] for f in s["faults"])
            if "PatientBirthDate" in detail:
                return True
            written = detail.split("PatientName ")[1].split(" written as ")[0]
            return any(family(c["patient_name"]) == family(written) for c in siblings)

        queued_expected = {s["study_uid"] for s in faulty if must_queue(s)}
        self.assertTrue(queued_expected, "the seed must give a mistyped study of a known woman")
        # Women seen under their married name by one centre and their birth name by another.
        crossing = {}
        for w in manifest["women"]:
            if not w["used_name"]:
                continue
            cims = {s["cim"] for s in clean if s["woman_ins"] == w["ins"]}
            if cims & used_name_cims and cims - used_name_cims:
                crossing[w["ins"]] = w
        self.assertTrue(crossing, "the seed must give a woman seen under both names")

        hub = self.start_hub()
        storescu(hub.dicom_port, [os.path.join(out, "studies", s["study_uid"]) for s in clean])
        self.assertEqual(hub.get_json("/api/identity/cases")["total"], 0,
                         "clean data, used names included, must not queue anything")
        storescu(hub.dicom_port, [os.path.join(out, "studies", s["study_uid"]) for s in faulty])

        cases = hub.get_json("/api/identity/cases?limit=1000")
        held = {uid for c in cases["items"] for uid in c["studies"]}
        self.assertTrue(queued_expected <= held, (queued_expected, cases))
        self.assertTrue(held <= {s["study_uid"] for s in faulty}, "only mistyped studies queue")
        self.assertEqual(cases["total"], len(cases["items"]))
        for c in cases["items"]:
            self.assertIn(c["reason"], ("possible-typo", "ins-other-traits", "nir-incoherent"), c)
            self.assertTrue(c["candidates"], c)

        # Every clean study of one woman (INS) is attached to one woman, whatever the name
        # her centre recorded.
        woman_of = {}
        for s in clean:
            exam = hub.get_json(f"/api/exams/{s['study_uid']}")
            self.assertIsNotNone(exam["woman"], s["study_uid"])
            woman_of.setdefault(s["woman_ins"], set()).add(exam["woman"]["id"])
        for ins, ids in woman_of.items():
            self.assertEqual(len(ids), 1, (ins, ids))
        for ins, w in crossing.items():
            identity = hub.get_json(f"/api/identity/women/{next(iter(woman_of[ins]))}")
            self.assertEqual(identity["status"], "verified")
            self.assertEqual(identity["ins"], ins)
            names = {identity["birth_name"], *identity["used_names"]}
            self.assertEqual(names, {w["birth_name"], w["used_name"]}, identity)

        # A held study: no woman, its exam held; settled by attaching to the candidate.
        case = next(c for c in cases["items"] if c["studies"][0] in queued_expected)
        uid = case["studies"][0]
        self.assertIsNone(hub.get_json(f"/api/exams/{uid}")["woman"])
        deadline = time.time() + 30  # the workflow follows the archive on its own thread
        while hub.request("GET", f"/api/exams/{uid}/workflow")[0] != 200:
            self.assertLess(time.time(), deadline, "the held study never reached the workflow")
            time.sleep(0.1)
        self.assertIsNotNone(hub.get_json(f"/api/exams/{uid}/workflow")["identity_hold"])
        view = hub.get_json(f"/api/identity/cases/{case['id']}")
        marks = {f["match"] for f in view["candidates"][0]["fields"]}
        self.assertTrue(marks & {"near", "differs"}, view)
        status, body = self.post(hub, f"/api/identity/cases/{case['id']}/resolve",
                                 {"action": "attach", "woman_id": case["candidates"][0]})
        self.assertEqual(status, 400, "a decision without a reason is refused")
        status, body = self.post(hub, f"/api/identity/cases/{case['id']}/resolve",
                                 {"action": "attach", "woman_id": case["candidates"][0],
                                  "why": "typo at the centre, checked on the invitation"})
        self.assertEqual(status, 200, body)
        self.assertEqual(hub.get_json(f"/api/exams/{uid}")["woman"]["id"],
                         case["candidates"][0])
        wf = hub.get_json(f"/api/exams/{uid}/workflow")
        self.assertIsNone(wf["identity_hold"], wf)
        self.assertEqual(wf["woman_id"], str(case["candidates"][0]))
        left = hub.get_json("/api/identity/cases")["total"]
        self.assertEqual(left, cases["total"] - 1)
        # The decision is in the audit trail with who and why.
        audit = hub.get_json(f"/api/audit?woman={case['candidates'][0]}&limit=200")
        self.assertTrue(any(e["action"] == "identity-resolve" and "checked" in json.dumps(e)
                            for e in audit["entries"]), audit)
        # And survives a restart.
        hub.stop()
        hub2 = self.start_hub()
        self.assertEqual(hub2.get_json("/api/identity/cases")["total"], left)


if __name__ == "__main__":
    unittest.main()
