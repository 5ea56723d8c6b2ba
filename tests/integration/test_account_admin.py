"""Account administration on the real binary: the REST routes /api/admin/users driven with
real HTTP (the same service as `dualread admin`): an administrator creates, changes, disables,
unlocks and resets accounts, issues and revokes a gateway's token; other roles are refused;
every change is in the audit trail with its actor; TOTP secrets made through the CLI are
encrypted in the index under DATA/access.key (0600), and a hub whose key file was lost refuses
to start with a sentence; no generated secret reaches the log."""
import json
import os
import re
import sqlite3
import stat
import subprocess
import unittest

from harness import BIN, Hub, HubTestCase, add_user, run

ADMIN_PW = "administrator pass 2026"
SEC_PW = "secretary pass 2026"
CONFIG = """
[access]
max_failed_logins = 3
password_cost = "minimum"
"""


class AccountAdminTest(HubTestCase):
    def call(self, hub, method, path, body=None, session=None, headers=None):
        h = {"Accept": "application/json"}
        if body is not None:
            h["Content-Type"] = "application/json"
        if session:
            h["Cookie"] = "dualread_session=" + session["sid"]
            h["X-CSRF-Token"] = session["csrf"]
        h.update(headers or {})
        status, _, text = hub.request(method, path,
                                      None if body is None else json.dumps(body).encode(), h)
        return status, (json.loads(text) if text else None)

    def login(self, hub, login, password):
        status, headers, body = hub.request(
            "POST", "/api/auth/login", json.dumps({"login": login, "password": password}).encode(),
            {"Content-Type": "application/json"})
        if status != 200:
            return None
        sid = re.match(r"dualread_session=([^;]+)", headers["Set-Cookie"]).group(1)
        return {"sid": sid, "csrf": json.loads(body)["csrf_token"]}

    def test_rest_administration_with_audit_and_no_secret_in_the_log(self):
        data = os.path.join(self.tmp, "hub")
        add_user(data, "admin", "administrator", ADMIN_PW)
        add_user(data, "sec", "secretary", SEC_PW)
        hub = Hub(data, config_text=CONFIG, open_access=False).start()
        self._teardowns.append(hub.stop)
        admin = self.login(hub, "admin", ADMIN_PW)
        sec = self.login(hub, "sec", SEC_PW)
        self.assertIsNotNone(admin)

        # Only the administrator.
        self.assertEqual(self.call(hub, "GET", "/api/admin/users")[0], 401)
        self.assertEqual(self.call(hub, "GET", "/api/admin/users", session=sec)[0], 403)
        status, body = self.call(hub, "GET", "/api/admin/users", session=admin)
        self.assertEqual(status, 200, body)
        self.assertEqual({a["login"] for a in body["accounts"]}, {"admin", "sec"})
        self.assertNotIn("argon2", json.dumps(body))

        # Create with a generated password and TOTP; refusals say why.
        status, body = self.call(hub, "POST", "/api/admin/users",
                                 {"login": "dr.l1", "role": "l1_radiologist",
                                  "cims": ["CIM01"], "rpps": "10000000011",
                                  "generate_password": True, "totp": True}, admin)
        self.assertEqual(status, 201, body)
        generated, totp_secret = body["password"], body["totp_secret"]
        status, body = self.call(hub, "POST", "/api/admin/users",
                                 {"login": "dr.l1", "role": "secretary",
                                  "generate_password": True}, admin)
        self.assertEqual(status, 409, body)
        status, body = self.call(hub, "POST", "/api/admin/users",
                                 {"login": "x.sec", "role": "secretary", "cims": ["CIM01"],
                                  "generate_password": True}, admin)
        self.assertEqual(status, 400, body)
        self.assertIn("not bound to an imaging centre", body["error"])
        status, body = self.call(hub, "POST", "/api/admin/users",
                                 {"login": "x.sec", "role": "secretary", "password": "short"},
                                 admin)
        self.assertEqual(status, 400, body)
        # Without the CSRF token, nothing.
        status, _ = self.call(hub, "POST", "/api/admin/users/sec/disable",
                              headers={"Cookie": "dualread_session=" + admin["sid"]})
        self.assertEqual(status, 403)

        # Lockout, then unlock by the administrator.
        for guess in ["wrong-guess-1", "wrong-guess-2", "wrong-guess-3"]:
            self.assertIsNone(self.login(hub, "sec", guess))
        self.assertIsNone(self.login(hub, "sec", SEC_PW))
        status, body = self.call(hub, "POST", "/api/admin/users/sec/unlock", {}, admin)
        self.assertEqual(status, 200, body)
        self.assertIsNotNone(self.login(hub, "sec", SEC_PW))

        # Disable / enable, password reset, role change.
        self.assertEqual(self.call(hub, "POST", "/api/admin/users/sec/disable", {}, admin)[0], 200)
        self.assertIsNone(self.login(hub, "sec", SEC_PW))
        self.assertEqual(self.call(hub, "POST", "/api/admin/users/sec/enable", {}, admin)[0], 200)
        status, body = self.call(hub, "POST", "/api/admin/users/sec/password", {}, admin)
        self.assertEqual(status, 200, body)
        reset_pw = body["password"]
        self.assertIsNotNone(self.login(hub, "sec", reset_pw))
        status, body = self.call(hub, "PATCH", "/api/admin/users/sec", {"role": "coordinator"},
                                 admin)
        self.assertEqual((status, body["role"]), (200, "coordinator"), body)
        # The last administrator keeps her rights.
        status, body = self.call(hub, "POST", "/api/admin/users/admin/disable", {}, admin)
        self.assertEqual(status, 409, body)
        self.assertEqual(self.call(hub, "GET", "/api/admin/users/nobody", session=admin)[0], 404)

        # A gateway and its token.
        status, body = self.call(hub, "POST", "/api/admin/users",
                                 {"login": "gw.cim01", "role": "gateway", "cims": ["CIM01"]},
                                 admin)
        self.assertEqual(status, 201, body)
        status, body = self.call(hub, "POST", "/api/admin/users/gw.cim01/tokens", {}, admin)
        self.assertEqual(status, 201, body)
        token, token_id = body["token"], body["id"]
        bearer = {"Authorization": "Bearer " + token}
        self.assertEqual(self.call(hub, "GET", "/api/auth/me", headers=bearer)[0], 200)
        status, body = self.call(hub, "DELETE", f"/api/admin/users/gw.cim01/tokens/{token_id}",
                                 session=admin)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.call(hub, "GET", "/api/auth/me", headers=bearer)[0], 401)

        # The audit trail names the administrator for every change, and holds no secret.
        status, _, text = hub.request(
            "GET", "/api/audit?limit=500",
            headers={"Cookie": "dualread_session=" + admin["sid"], "Accept": "application/json"})
        self.assertEqual(status, 200, text)
        actions = {(e["actor"], e["action"], e["object_id"])
                   for e in json.loads(text)["entries"]}
        for want in [("admin", "account.create", "dr.l1"), ("admin", "account.unlock", "sec"),
                     ("admin", "account.disable", "sec"), ("admin", "account.enable", "sec"),
                     ("admin", "account.password-reset", "sec"),
                     ("admin", "account.change", "sec"), ("admin", "token.issue", "gw.cim01"),
                     ("admin", "token.revoke", "gw.cim01")]:
            self.assertIn(want, actions)
        for secret in [generated, totp_secret, reset_pw, token]:
            self.assertNotIn(secret, text.decode())

        # The TOTP secret is encrypted in the index, under a private key file.
        key = os.path.join(data, "access.key")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        db = sqlite3.connect(os.path.join(data, "index.sqlite"))
        stored = db.execute("SELECT totp_secret FROM access_users WHERE login = 'dr.l1'")\
            .fetchone()[0]
        db.close()
        self.assertTrue(stored.startswith("xc1:"), stored)
        self.assertNotIn(totp_secret, stored)

        hub.stop()
        log = hub.read_log()
        for secret in [ADMIN_PW, SEC_PW, generated, totp_secret, reset_pw, token, admin["sid"],
                       admin["csrf"]]:
            self.assertNotIn(secret, log, "a secret reached the hub's log")

    def test_gateway_authenticates_with_its_client_certificate(self):
        from test_tls import TlsHub, dev_cert
        pki = os.path.join(self.tmp, "pki")
        dev_cert(pki, "--client", "gateway-cim1", "--client", "stranger")
        data = os.path.join(self.tmp, "tlshub")
        add_user(data, "admin", "administrator", ADMIN_PW)
        run([BIN, "admin", "add-token", "--data", data, "--login", "gw.cim01", "--role",
             "gateway", "--cim", "CIM01"])
        out = run([BIN, "admin", "account", "--data", data, "--login", "gw.cim01",
                   "--cert-cn", "gateway-cim1"]).stdout
        self.assertIn("gateway-cim1", out)
        p = run([BIN, "admin", "account", "--data", data, "--login", "admin",
                 "--cert-cn", "admin-laptop"], check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("only a gateway", p.stderr)
        hub = TlsHub(data, pki, 'client_cert = "optional"\n', CONFIG)
        hub.open_access = False
        hub.start(wait=False)
        self._teardowns.append(hub.stop)
        hub.wait_tls_ready()
        hub.wait_ready()

        def curl(client=None, extra=()):
            cmd = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--cacert",
                   os.path.join(pki, "ca.pem")]
            if client:
                cmd += ["--cert", os.path.join(pki, f"client-{client}.pem"),
                        "--key", os.path.join(pki, f"client-{client}-key.pem")]
            cmd += list(extra) + [f"https://127.0.0.1:{hub.https_port}/api/auth/me"]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            body, _, code = p.stdout.rpartition("\n")
            return int(code), body

        status, body = curl("gateway-cim1")
        self.assertEqual(status, 200, body)
        me = json.loads(body)
        self.assertEqual((me["login"], me["role"], me["method"]),
                         ("gw.cim01", "gateway", "certificate"))
        self.assertEqual(me["cims"], ["CIM01"])
        self.assertEqual(curl("stranger")[0], 401)
        self.assertEqual(curl()[0], 401)
        # A browser's request (Origin / Sec-Fetch headers) is never authenticated by the
        # certificate the browser would present on its own.
        self.assertEqual(curl("gateway-cim1", ["-H", "Origin: https://elsewhere.example"])[0],
                         401)
        # Disabled, the certificate no longer opens the door.
        run([BIN, "admin", "account", "--data", data, "--login", "gw.cim01", "--disable"])
        self.assertEqual(curl("gateway-cim1")[0], 401)

    def test_lost_key_file_stops_the_hub_with_a_sentence(self):
        data = os.path.join(self.tmp, "lost")
        add_user(data, "admin", "administrator", ADMIN_PW)
        p = subprocess.run([BIN, "admin", "add-user", "--data", data, "--login", "sec.totp",
                            "--role", "secretary", "--totp", "--password-stdin"],
                           input=SEC_PW + "\n", capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("TOTP secret", p.stdout)
        os.remove(os.path.join(data, "access.key"))
        hub = Hub(data, config_text=CONFIG, open_access=False)
        with self.assertRaises(Exception):
            hub.start()
        self._teardowns.append(hub.stop)
        log = hub.read_log()
        self.assertIn("access.key", log)
        self.assertIn("is missing", log)
        # The CLI says the same, and creates no new key behind the operator's back.
        p = run([BIN, "admin", "list-users", "--data", data], check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("is missing", p.stdout + p.stderr)
        self.assertFalse(os.path.exists(os.path.join(data, "access.key")))


if __name__ == "__main__":
    unittest.main()
