"""A scaled-down screening round through the real binary: `dualread synth` women (50) are
invited (their invitation file imported over HTTP), their studies arrive by DICOM C-STORE
(storescu), L1 forms are put and signed, L2 sessions dealt and read over the REST API, the daily
print run makes the letters (checked with pdftotext), results are closed and positives followed;
the indicators equal what was injected. Then `dualread import women` on the stopped hub: the same
file again (all updated) and a bad file (refused whole, problems by line)."""

import datetime
import json
import os
import re
import subprocess
import time
import unittest

from harness import BIN, HubTestCase, run, storescu, synth

WOMEN = 50
L2_READERS = ["30000000001", "30000000002"]


def form(woman, cim_id, cim_index, positive):
    def assessment(birads, findings=()):
        return {"birads": birads, "findings": list(findings)}
    mass = {"type": "mass", "side": "right", "location": {"quadrant": "upper_outer",
            "clock_hour": 10, "depth": None}, "size_mm": 12, "description": ""}
    bd = woman["birth_date"]
    f = {
        "format_version": 1,
        "identification": {
            "ins": woman["ins"], "screening_number": "", "birth_name": woman["birth_name"],
            "first_names": woman["first_names"], "used_name": woman["used_name"],
            "birth_date": f"{bd[:4]}-{bd[4:6]}-{bd[6:]}", "cim_id": cim_id, "site_id": "",
            "mammography_unit": "", "mammogram_date": "2026-01-08",
            "l1_radiologist": {"rpps": "2000000000" + str(cim_index), "name": "Dr L1 " + cim_id},
            "technologist": ""},
        "clinical": {
            "history": {"benign_surgery": False, "breast_reduction": False, "prosthesis": False,
                        "previous_biopsy": False, "personal_breast_cancer": False},
            "family_history": {"breast_cancer": False, "ovarian_cancer": False,
                               "closest_degree": None},
            "hormone_therapy": False, "menopause": "postmenopausal", "symptoms": [],
            "exam": {"right": {"result": "normal"}, "left": {"result": "normal"}}},
        "mammography": {"view_count": 4, "extra_views": False, "density": "B",
                        "right": assessment(4, [mass]) if positive else assessment(1),
                        "left": assessment(1)},
        "bdi": {"done": positive, "extra_views": False, "ultrasound": positive,
                "needle_procedure": False,
                "after": {"right": assessment(4, [mass]) if positive else assessment(None),
                          "left": assessment(1) if positive else assessment(None)}},
        "conclusion": {"result": "positive" if positive else "negative",
                       "management": "biopsy" if positive else "none"},
        "signature": {"signed": False, "signed_at": None},
    }
    if positive:
        f["bdi"]["ultrasound_result"] = "masse irrégulière"
    return f


def reading(rpps, positive):
    left = {"birads": 1, "findings": []}
    if positive:
        left = {"birads": 4, "findings": [{"type": "architectural_distortion", "side": "left",
                "location": {"quadrant": "upper_outer", "clock_hour": 1, "depth": None},
                "size_mm": 9, "description": ""}]}
    return {"reader": {"rpps": rpps, "name": "Dr L2"}, "right": {"birads": 1, "findings": []},
            "left": left, "density": None, "cti": [], "comment": "", "signed": True}


def pdftotext(data, path):
    with open(path, "wb") as f:
        f.write(data)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], capture_output=True,
                         check=True).stdout.decode()
    return " ".join(out.split())


class ScreeningRoundTest(HubTestCase):
    def test_round_through_the_binary(self):
        data = os.path.join(self.tmp, "synth")
        manifest = synth(data, WOMEN, rounds=1, seed=11)
        cims = manifest["cims"]
        women = {w["ins"]: w for w in manifest["women"]}
        config = "[letters]\ncrcdc_name = \"CRCDC Test\"\ncrcdc_address_lines = [\"1 place " \
                 "Bellecour\"]\ncrcdc_postal_code = \"69002\"\ncrcdc_city = \"Lyon\"\n"
        for c in cims:
            config += (f"[[cim]]\nid = \"{c['id']}\"\nname = \"{c['name']}\"\n"
                       "address_lines = [\"10 rue de la Radiologie\"]\npostal_code = \"69001\"\n"
                       "city = \"Lyon\"\n")
        for r in L2_READERS:
            config += f"[[l2_reader]]\nrpps = \"{r}\"\nname = \"Dr L2 {r[-1]}\"\n"
        hub = self.start_hub(config_text=config)

        with open(os.path.join(data, "invitations.csv"), "rb") as f:
            csv = f.read()
        status, _, body = hub.request("POST", "/api/register/import?file_name=invitations.csv",
                                      csv, {"Content-Type": "text/csv",
                                            "Accept": "application/json"})
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["rows"], WOMEN)

        storescu(hub.dicom_port, [os.path.join(data, "studies")])
        studies = manifest["studies"]
        self.assertEqual(len(studies), WOMEN)
        deadline = time.time() + 60
        for s in studies:
            while True:
                st, _, b = hub.request("GET", f"/api/exams/{s['study_uid']}/workflow",
                                       headers={"Accept": "application/json"})
                if st == 200 and json.loads(b)["images_complete"]:
                    break
                self.assertLess(time.time(), deadline, f"exam {s['study_uid']} not assembled")
                time.sleep(0.2)

        def send(method, path, obj=None, expect=200):
            st, _, b = hub.request(method, path, json.dumps(obj or {}).encode(),
                                   {"Content-Type": "application/json",
                                    "Accept": "application/json"})
            self.assertEqual(st, expect, f"{method} {path}: {b[:400]!r}")
            return json.loads(b)

        index = {}
        l1pos = disc = 0
        for i, s in enumerate(studies):
            cim_index = next(k for k, c in enumerate(cims) if c["id"] == s["cim"])
            positive = i % 10 == 0
            l1pos += positive
            index[s["study_uid"]] = i
            f = form(women[s["woman_ins"]], s["cim"], cim_index, positive)
            send("PUT", f"/api/exams/{s['study_uid']}/l1-form", f)
            wf = send("POST", f"/api/exams/{s['study_uid']}/l1-form/sign",
                      {"signer": f["identification"]["l1_radiologist"]})
            self.assertEqual(wf["state"], "l1_positive" if positive else "awaiting_l2")

        dealt = send("POST", "/api/sessions/deal")
        self.assertEqual(dealt["undealt"], [])
        for session in dealt["sessions"]:
            while True:
                nxt = hub.get_json(f"/api/sessions/{session['id']}/next")
                if nxt["done"]:
                    break
                i = index[nxt["exam"]["exam_id"]]
                positive = i % 20 == 7
                disc += positive
                send("POST", f"/api/sessions/{session['id']}/readings",
                     reading(session["reader"]["rpps"], positive))
        self.assertGreater(disc, 0)

        run_ = send("POST", "/api/print-runs")
        self.assertEqual(run_["refused"], 0, run_["refused_items"])
        self.assertEqual(run_["by_kind"]["l1_positive_ack"]["letters"], l1pos)
        self.assertEqual(run_["by_kind"]["recall"]["letters"], disc)
        self.assertEqual(run_["by_kind"]["negative_result"]["letters"], WOMEN - l1pos - disc)
        self.assertEqual(len(run_["results_sent"]), WOMEN - l1pos)
        st, headers, pdf = hub.request("GET", f"/api/print-runs/{run_['run_id']}/pdf",
                                       headers={"Accept": "application/pdf"})
        self.assertEqual(st, 200)
        text = pdftotext(pdf, os.path.join(self.tmp, "run.pdf"))
        for s in studies:
            w = women[s["woman_ins"]]
            name = w["first_names"] + " " + (w["used_name"] or w["birth_name"])
            self.assertIn(" ".join(name.split()), text)
        self.assertIn("ne montrent pas d'anomalie", text)
        self.assertIn("seconde lecture positive", text)

        # One letter, downloaded and audited with its woman.
        letters = hub.get_json(f"/api/letters?exam={studies[1]['study_uid']}")["items"]
        woman_letter = next(l for l in letters if l["recipient"] == "woman")
        st, _, pdf = hub.request("GET", f"/api/letters/{woman_letter['id']}/pdf",
                                 headers={"Accept": "application/pdf"})
        self.assertEqual(st, 200)
        one = pdftotext(pdf, os.path.join(self.tmp, "one.pdf"))
        self.assertIn("Madame", one)
        # The access code printed in her letter opens the portal, with her birth date.
        code = re.search(r"Code d.accès : ([A-Z0-9-]+)", one).group(1)
        w = women[next(s["woman_ins"] for s in studies
                       if s["study_uid"] == studies[1]["study_uid"])]
        bd = w["birth_date"]
        st, _, body = hub.request(
            "POST", "/api/portal/login",
            body=json.dumps({"code": code, "birth_date": f"{bd[:4]}-{bd[4:6]}-{bd[6:]}"}).encode(),
            headers={"Content-Type": "application/json"})
        self.assertEqual(st, 200, body[:300])
        st, _, _ = hub.request(
            "POST", "/api/portal/login",
            body=json.dumps({"code": code, "birth_date": "1900-01-01"}).encode(),
            headers={"Content-Type": "application/json"})
        self.assertEqual(st, 401)
        audit = hub.get_json(f"/api/audit?woman={woman_letter['woman_id']}")["entries"]
        self.assertIn("download-letter", [e["action"] for e in audit])

        def day(n):
            return (datetime.date.today() + datetime.timedelta(days=n)).isoformat()

        for s in studies:
            i = index[s["study_uid"]]
            uid = s["study_uid"]
            if i % 10 == 0:
                body = {"biopsy": {"date": day(1)},
                        "pathology": {"date": day(2),
                                      "result": "invasive" if i == 0 else "benign"}}
                self.assertEqual(send("POST", f"/api/exams/{uid}/follow-up", body)["exam_state"],
                                 "closed")
            elif i % 20 == 7:
                send("POST", f"/api/exams/{uid}/close", expect=409)  # a recall is followed
                body = {"bdd": {"date": day(1), "result": "normal"}}
                self.assertEqual(send("POST", f"/api/exams/{uid}/follow-up", body)["exam_state"],
                                 "closed")
            else:
                self.assertEqual(send("POST", f"/api/exams/{uid}/close")["state"], "closed")
            send("POST", f"/api/exams/{uid}/close", expect=409)

        ind = hub.get_json("/api/indicators")["overall"]
        self.assertEqual(ind["exams"], WOMEN)
        self.assertEqual(ind["participation"]["numerator"], WOMEN)
        self.assertEqual(ind["l1_positive_after_bdi"]["numerator"], l1pos)
        self.assertEqual(ind["discordance"]["numerator"], disc)
        self.assertEqual(ind["l2_read"], WOMEN - l1pos)
        self.assertEqual(ind["recall"]["numerator"], l1pos + disc)
        self.assertEqual(ind["cancers"], 1)
        st, _, csv_body = hub.request("GET", "/api/indicators?format=csv",
                                      headers={"Accept": "text/csv"})
        self.assertEqual(st, 200)
        self.assertTrue(csv_body.decode().startswith("scope;key;exams;"))
        self.assertEqual(hub.get_json("/api/results/overdue")["items"], [])
        hub.stop()

        # The command-line import on the same data directory.
        out = run([BIN, "import", "women", "--data", hub.data_dir,
                   os.path.join(data, "invitations.csv")])
        self.assertIn(f"imported {WOMEN} women (0 new)", out.stdout)
        bad = os.path.join(self.tmp, "bad.csv")
        with open(bad, "w") as f:
            f.write(csv.decode().splitlines()[0] + "\n" + "123;;;;;;;;;;;;;;;;;;;;;;\n")
        res = run([BIN, "import", "women", "--data", hub.data_dir, bad], check=False)
        self.assertEqual(res.returncode, 1)
        self.assertIn("bad.csv:2: ins:", res.stderr)
        self.assertIn("nothing was imported", res.stderr)


if __name__ == "__main__":
    unittest.main()
