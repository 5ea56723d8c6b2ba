"""Identity vigilance through the real binary: synthetic screening data with identity faults
(`dualread synth --faults identity-typo`) sent by DCMTK storescu. The mistyped studies of a woman
already known land in the identity queue with their reason and hold their exam back; the centres
that record the used (married) name do not flood the queue; a secretary settles a case over the
REST API and the exam is released. When the *first* study seen of a woman carried the typo, the
woman is created with it and her correct studies queue: a secretary corrects her identity over
REST, the open cases are matched again (and left to her), one is settled, the correction undone.
"""
import json
import os
import time
import unittest

from harness import HubTestCase, storescu, synth


class IdentityQueueTest(HubTestCase):
    def post(self, hub, path, body, method="POST"):
        status, _, data = hub.request(method, path, json.dumps(body).encode(),
                                      {"Content-Type": "application/json",
                                       "Accept": "application/json"})
        return status, json.loads(data) if data else None

    def test_typo_first_woman_is_corrected_and_the_correction_undone(self):
        out = os.path.join(self.tmp, "synth")
        manifest = synth(out, women=20, rounds=2, seed=5, faults=["identity-typo"],
                         fault_rate=0.25)
        studies = manifest["studies"]

        def faulty(s):
            return any(f["kind"] == "identity-typo" for f in s["faults"])

        def family(pn):
            return pn.split("^")[0]

        # A woman whose one mistyped study (a name typo) has correct siblings under that name.
        pick = None
        for f in studies:
            detail = " ".join(x["detail"] for x in f["faults"])
            if not faulty(f) or "PatientBirthDate" in detail or "PatientName" not in detail:
                continue
            # "PatientName ROUX^NATHALIE written as RGUX^NATHALIE" (the manifest has the typo).
            right, written = detail.split("PatientName ")[1].split(" written as ")
            written = written.split(";")[0].split(" ")[0]
            mine = [s for s in studies if s["woman_ins"] == f["woman_ins"]]
            if sum(faulty(s) for s in mine) != 1:
                continue
            siblings = [s for s in mine if not faulty(s) and
                        family(s["patient_name"]) == family(right)]
            if siblings:
                pick = (f, siblings, right, written)
                break
        self.assertIsNotNone(pick, "the seed must give a woman whose only typo has siblings")
        first, siblings, right, written = pick
        woman = next(w for w in manifest["women"] if w["ins"] == first["woman_ins"])

        hub = self.start_hub()
        # The mistyped study comes first: the register creates her with the typo.
        storescu(hub.dicom_port, [os.path.join(out, "studies", first["study_uid"])])
        wid = hub.get_json(f"/api/exams/{first['study_uid']}")["woman"]["id"]
        created = hub.get_json(f"/api/identity/women/{wid}")
        self.assertEqual((created["birth_name"], created["status"]),
                         (family(written), "verified"), created)
        # Her correct studies queue against her.
        storescu(hub.dicom_port, [os.path.join(out, "studies", s["study_uid"]) for s in siblings])
        cases = hub.get_json("/api/identity/cases?limit=1000")["items"]
        self.assertTrue(cases, "the correct studies must wait for a human")
        held = {uid for c in cases for uid in c["studies"]}
        self.assertEqual(held, {s["study_uid"] for s in siblings}, cases)
        for c in cases:
            self.assertIn(wid, c["candidates"], c)

        # The secretary corrects her identity: refused without a reason, then kept.
        target = f"/api/identity/women/{wid}"
        body = {k: created[k] for k in ("birth_name", "first_names", "used_names", "birth_date",
                                        "sex", "birth_place", "ins", "status")}
        if woman["used_name"] and woman["used_name"] not in body["used_names"]:
            body["used_names"] = body["used_names"] + [woman["used_name"]]
        body["birth_name"] = family(right)
        body["first_names"] = right.split("^")[1]
        status, answer = self.post(hub, target, body, "PUT")
        self.assertEqual(status, 400, answer)
        self.assertIn("why", {e["field"] for e in answer["errors"]})
        body["why"] = "birth name checked against her identity card"
        status, answer = self.post(hub, target, body, "PUT")
        self.assertEqual(status, 200, answer)
        self.assertEqual(len(answer["reassessed"]), len(cases), answer)
        for r in answer["reassessed"]:
            self.assertEqual((r["outcome"], r["woman_id"], r["status"]),
                             ("attach", wid, "verified"), r)
        # Nothing attached by the correction itself: the cases wait, shown as exact matches.
        after = hub.get_json("/api/identity/cases?limit=1000")
        self.assertEqual(after["total"], len(cases))
        for c in after["items"]:
            self.assertEqual(c["reassessment"]["outcome"], "attach", c)
        for s in siblings:
            self.assertIsNone(hub.get_json(f"/api/exams/{s['study_uid']}")["woman"])
        view = hub.get_json(f"/api/identity/cases/{cases[0]['id']}")
        mine = next(c for c in view["candidates"] if c["woman"]["id"] == wid)
        self.assertTrue(mine["coherent"], view)
        history = hub.get_json(target)["corrections"]
        self.assertEqual(len(history), 1)
        self.assertEqual(history[0]["before"]["birth_name"], family(written))
        self.assertTrue(history[0]["undoable"])

        # The secretary settles one case: that study joins her.
        settle = cases[0]
        status, answer = self.post(hub, f"/api/identity/cases/{settle['id']}/resolve",
                                   {"action": "attach", "woman_id": wid,
                                    "why": "exact match after the correction"})
        self.assertEqual(status, 200, answer)
        self.assertEqual(hub.get_json(f"/api/exams/{settle['studies'][0]}")["woman"]["id"], wid)

        # Undone: the typo comes back; what is still open is matched again (a doubt again).
        undo = f"{target}/corrections/{history[0]['id']}/undo"
        status, answer = self.post(hub, undo, {"why": "wrong woman corrected"})
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["woman"]["birth_name"], family(written))
        self.assertEqual(len(answer["reassessed"]), len(cases) - 1)
        for r in answer["reassessed"]:
            self.assertEqual(r["outcome"], "queue", r)
        self.assertEqual(self.post(hub, undo, {"why": "again"})[0], 409)
        self.assertEqual(hub.get_json("/api/identity/cases")["total"], len(cases) - 1)
        audit = hub.get_json(f"/api/audit?woman={wid}&limit=500")
        actions = {e["action"] for e in audit["entries"]}
        self.assertTrue({"identity-correct", "identity-correct-undo"} <= actions, actions)

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
