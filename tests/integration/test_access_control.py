"""Access control on the real binary: the hub starts without --open and asks for credentials;
`dualread admin` accounts and tokens; login, lockout, CSRF over real HTTP; the DICOM door only
for configured AE titles and services (DCMTK storescu / findscu as peers); a woman's portal
login with the code `dualread admin woman-code` prints; and no password, token, code, session
id or CSRF token ever written to the hub's log."""
import json
import os
import re
import unittest

from harness import BIN, Hub, HubTestCase, add_user, run, storescu, synth

COORD_PW = "coordinator pass 2026"
SEC_PW = "secretary pass 2026"
WRONG = ["guess-one-A", "guess-two-B", "guess-three-C", "guess-four-D", "guess-five-E"]

CONFIG = """
[access]
max_failed_logins = 5
lockout_minutes = 15
password_cost = "minimum"

[[dicom_peer]]
aet = "CIM01_GW"
cim = "CIM01"
hosts = ["127.0.0.1"]
services = ["store"]

[[dicom_peer]]
aet = "CIM01_VIEW"
cim = "CIM01"
hosts = ["10.99.99.99"]
services = ["store", "find"]
"""


class AccessControlTest(HubTestCase):
    def post_json(self, hub, path, body, headers=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        return hub.request("POST", path, json.dumps(body).encode(), h)

    def login(self, hub, login, password):
        status, headers, body = self.post_json(hub, "/api/auth/login",
                                               {"login": login, "password": password})
        return status, headers, json.loads(body) if body else None

    def test_admin_commands_refuse_bad_input(self):
        data = os.path.join(self.tmp, "admin")
        p = add_user(data, "x.y", "chef", "long enough password", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("is not a role", p.stderr)
        p = add_user(data, "tech.one", "technologist", "long enough password", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("imaging centre", p.stderr)
        p = add_user(data, "sec.one", "secretary", None, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--password-stdin", p.stderr)
        p = add_user(data, "sec.one", "secretary", "short", check=False)
        self.assertEqual(p.returncode, 1)
        add_user(data, "sec.one", "secretary", "long enough password")
        p = add_user(data, "sec.one", "secretary", "long enough password", check=False)
        self.assertIn("already taken", p.stderr)
        listing = run([BIN, "admin", "list-users", "--data", data]).stdout
        self.assertIn("sec.one\tsecretary", listing)
        self.assertNotIn("long enough password", listing)
        self.assertNotIn("argon2", listing)

    def test_hub_requires_credentials_and_logs_no_secret(self):
        data = os.path.join(self.tmp, "hub")
        add_user(data, "coord", "coordinator", COORD_PW)
        add_user(data, "sec", "secretary", SEC_PW)
        src = os.path.join(self.tmp, "synth")
        manifest = synth(src, women=2, rounds=1, seed=11)
        studies = os.path.join(src, "studies")
        cim = manifest["studies"][0]["cim"]
        out = run([BIN, "admin", "add-token", "--data", data, "--login", "gw.cim01",
                   "--role", "gateway", "--cim", cim]).stdout
        token = out.strip().splitlines()[-1]
        self.assertTrue(token.startswith("drt_"), out)
        listing = run([BIN, "admin", "list-users", "--data", data]).stdout
        self.assertIn("gw.cim01\tgateway\t" + cim, listing)
        self.assertNotIn(token, listing)

        # The DICOM peers are the gateway's CIM's (a CIM-bound peer stores only its CIM's images).
        hub = Hub(data, config_text=CONFIG.replace('cim = "CIM01"', f'cim = "{cim}"'),
                  open_access=False).start()
        self._teardowns.append(hub.stop)

        # Nothing without credentials; health stays public for monitoring.
        status, headers, body = hub.request("GET", "/api/exams")
        self.assertEqual(status, 401, body)
        self.assertIn("log in", json.loads(body)["error"])
        self.assertEqual(hub.request("GET", "/healthz")[0], 200)

        # DICOM: the configured gateway AE sends; an unknown AE and a known AE from another
        # address are rejected at association; a service the peer may not use is refused.
        stranger = storescu(hub.dicom_port, [studies], aet="INTRUDER", check=False)
        self.assertNotEqual(stranger.returncode, 0)
        moved = storescu(hub.dicom_port, [studies], aet="CIM01_VIEW", check=False)
        self.assertNotEqual(moved.returncode, 0)
        sent = storescu(hub.dicom_port, [studies], aet="CIM01_GW", extra=["-d"], check=False)
        others = sum(len(s["files"]) for s in manifest["studies"] if s["cim"] != cim)
        self.assertEqual((sent.stdout + sent.stderr).count("0x0124: Refused: Not authorized"),
                         others)
        find = run(["findscu", "-S", "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=",
                    "-aet", "CIM01_GW", "-aec", hub.aet, "127.0.0.1", str(hub.dicom_port)],
                   check=False)
        self.assertNotEqual(find.returncode, 0, find.stdout + find.stderr)
        log = hub.read_log()
        self.assertIn("'INTRUDER' is not a configured DICOM peer", log)
        self.assertIn("allowed only from 10.99.99.99", log)

        # Brute force: five wrong passwords lock the account, the right one then fails too.
        for pw in WRONG:
            status, _, _ = self.login(hub, "sec", pw)
            self.assertEqual(status, 401)
        status, _, body = self.login(hub, "sec", SEC_PW)
        self.assertEqual(status, 401)

        # The coordinator logs in: cookie + CSRF token; a state change needs the token.
        status, headers, me = self.login(hub, "coord", COORD_PW)
        self.assertEqual(status, 200, me)
        self.assertEqual(me["role"], "coordinator")
        set_cookie = headers.get("Set-Cookie", "")
        self.assertIn("HttpOnly", set_cookie)
        self.assertIn("SameSite=Strict", set_cookie)
        sid = re.match(r"dualread_session=([^;]+)", set_cookie).group(1)
        cookie = {"Cookie": "dualread_session=" + sid}
        status, _, body = hub.request("GET", "/api/exams?status=complete",
                                      headers=dict(cookie, Accept="application/json"))
        self.assertEqual(status, 200, body)
        status, _, body = hub.request("POST", "/api/sessions/deal", b"{}",
                                      dict(cookie, **{"Content-Type": "application/json"}))
        self.assertEqual(status, 403, body)
        self.assertIn("CSRF", json.loads(body)["error"])
        status, _, body = hub.request("POST", "/api/sessions/deal", b"{}",
                                      dict(cookie, **{"Content-Type": "application/json",
                                                      "X-CSRF-Token": me["csrf_token"]}))
        self.assertEqual(status, 200, body)

        # The gateway's token works on its CIM's exams only (STOW / QIDO), never on the audit.
        bearer = {"Authorization": "Bearer " + token, "Accept": "application/dicom+json"}
        status, _, body = hub.request(
            "GET", "/dicomweb/studies?includefield=PatientBirthDate&includefield=IssuerOfPatientID",
            headers=bearer)
        self.assertEqual(status, 200, body)
        found = json.loads(body)
        self.assertTrue(found)
        for s in found:
            self.assertEqual(s["00100021"]["Value"][0], cim)
        self.assertEqual(hub.request("GET", "/api/audit", headers=bearer)[0], 403)
        self.assertEqual(hub.request("GET", "/api/stats",
                                     headers={"Authorization": "Bearer drt_forged"})[0], 401)

        # A woman: the code for her letter, then the portal with her birth date.
        study = found[0]["0020000D"]["Value"][0]
        birth = found[0]["00100030"]["Value"][0]
        exam = json.loads(hub.request("GET", "/api/exams/" + study,
                                      headers=dict(cookie, Accept="application/json"))[2])
        woman = str(exam["woman"]["id"]) if isinstance(exam.get("woman"), dict) else None
        self.assertIsNotNone(woman, exam)
        code = run([BIN, "admin", "woman-code", "--data", data, "--woman", woman,
                    "--round", "2026"]).stdout.strip()
        self.assertRegex(code, r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")
        status, headers, body = self.post_json(
            hub, "/api/portal/login",
            {"code": code, "birth_date": f"{birth[0:4]}-{birth[4:6]}-{birth[6:8]}"})
        self.assertEqual(status, 200, body)
        wsid = re.match(r"dualread_session=([^;]+)", headers["Set-Cookie"]).group(1)
        wcookie = {"Cookie": "dualread_session=" + wsid, "Accept": "application/json"}
        self.assertEqual(hub.request("GET", "/api/exams/" + study, headers=wcookie)[0], 200)
        status, _, body = hub.request("GET", f"/api/women/{woman}/access-history",
                                      headers=wcookie)
        self.assertEqual(status, 200, body)
        actors = {e["actor"] for e in json.loads(body)["entries"]}
        self.assertIn("coord", actors)

        # A share link: its token is a credential, so it must not reach the log either.
        status, _, body = self.post_json(hub, f"/api/exams/{study}/share-links",
                                         {"valid_hours": 2},
                                         dict(cookie, **{"X-CSRF-Token": me["csrf_token"]}))
        self.assertEqual(status, 201, body)
        share = json.loads(body)
        self.assertEqual(hub.request("GET", share["url"])[0], 200)

        hub.stop()
        log = hub.read_log() + open(hub.log_path, encoding="utf-8", errors="replace").read()
        for secret in [COORD_PW, SEC_PW, token, code, code.replace("-", ""), sid, wsid,
                       me["csrf_token"], share["token"]] + WRONG:
            self.assertNotIn(secret, log, "a secret reached the hub's log")
        self.assertIn("locked", log)
        # No identity data either: names and birth dates stay out of the log.
        for w in manifest["women"]:
            self.assertNotIn(w["birth_name"], log)


if __name__ == "__main__":
    unittest.main()
