// Account administration: AccountAdmin (the service behind `dualread admin` and
// /api/admin/users) and its REST door — every action and its refusals (non-administrator,
// unknown account, bad role, CIM for a role that takes none, duplicate login, weak or empty
// password, the last administrator), the audit entries (who, what, never a secret), sessions
// ended when rights change, CSRF on the cookie session.

#include <gtest/gtest.h>

#include "access_fixture.h"
#include "http/routes.h"
#include "services/audit_service.h"
#include "services/totp.h"

namespace dualread::testing {
namespace {

using nlohmann::json;

class AccessAdminTest : public AccessHttpTest {
 protected:
  void SetUp() override {
    AccessHttpTest::SetUp();
    admin_ = loginAs("admin");
  }
  ClientResponse call(const std::string& method, const std::string& target,
                      const json& body = nullptr, const Caller* who = nullptr) {
    HeaderList h = (who ? *who : admin_).headers;
    std::string text;
    if (!body.is_null()) {
      h.emplace_back("Content-Type", "application/json");
      text = body.dump();
    }
    return httpRequest(port_, method, target, h, text);
  }
  json ok(const ClientResponse& r, int status = 200) {
    EXPECT_EQ(r.status, status) << r.body;
    return json::parse(r.body, nullptr, false);
  }
  std::string error(const ClientResponse& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("error", "") : r.body;
  }
  std::vector<AuditEvent> auditOf(const std::string& login) {
    AuditQuery q;
    q.object_id = login;
    return audit_->query(q);
  }
  LoginStatus passwordLogin(const std::string& login, const std::string& password) {
    return access_->login(login, password, "", "127.0.0.1:9").status;
  }

  Caller admin_;
  const AccountActor by_{"admin", "administrator", "127.0.0.1:1"};
};

TEST_F(AccessAdminTest, ListNeverShowsAHashOrASecret) {
  auto j = ok(call("GET", "/api/admin/users"));
  ASSERT_TRUE(j["accounts"].is_array());
  EXPECT_GE(j["accounts"].size(), 10u);
  const std::string body = j.dump();
  EXPECT_EQ(body.find("argon2id"), std::string::npos);
  EXPECT_EQ(body.find("password_hash"), std::string::npos);
  EXPECT_EQ(body.find("totp_secret"), std::string::npos);
  bool seen = false;
  for (const auto& a : j["accounts"])
    if (a["login"] == "tech") {
      seen = true;
      EXPECT_EQ(a["role"], "technologist");
      EXPECT_EQ(a["cims"], json::array({"CIM01"}));
      EXPECT_EQ(a["disabled"], false);
    }
  EXPECT_TRUE(seen);
}

TEST_F(AccessAdminTest, OnlyAnAdministratorMayUseTheRoutes) {
  for (const char* login : {"coord", "sec", "reader.l2", "reader.l1", "tech", "doc"}) {
    const Caller c = loginAs(login);
    EXPECT_EQ(call("GET", "/api/admin/users", nullptr, &c).status, 403) << login;
    auto r = call("POST", "/api/admin/users",
                  {{"login", "new.one"}, {"role", "secretary"}, {"generate_password", true}}, &c);
    EXPECT_EQ(r.status, 403) << login;
    EXPECT_EQ(call("POST", "/api/admin/users/tech/disable", json::object(), &c).status, 403);
  }
  Caller gw;
  gw.headers = {{"Authorization", "Bearer " + gateway_token_}};
  EXPECT_EQ(call("GET", "/api/admin/users", nullptr, &gw).status, 403);
  EXPECT_EQ(httpGet(port_, "/api/admin/users").status, 401);
  EXPECT_FALSE(access_->store().user("new.one"));
}

TEST_F(AccessAdminTest, CreateWithAGeneratedPasswordShownOnce) {
  auto j = ok(call("POST", "/api/admin/users",
                   {{"login", "claire.l1"},
                    {"role", "l1_radiologist"},
                    {"cims", {"CIM01", "CIM02"}},
                    {"rpps", "10000000011"},
                    {"display_name", "Dr Claire"},
                    {"generate_password", true},
                    {"totp", true}}),
              201);
  const std::string pw = j.value("password", "");
  ASSERT_GE(pw.size(), 20u);
  ASSERT_TRUE(j.contains("totp_secret"));
  EXPECT_EQ(j["account"]["cims"], json::array({"CIM01", "CIM02"}));
  EXPECT_EQ(j["account"]["totp"], true);
  // She logs in with it and the second factor.
  auto r = access_->login("claire.l1", pw, *totpCode(j["totp_secret"], now_), "127.0.0.1:9");
  EXPECT_EQ(r.status, LoginStatus::kOk);
  // Audited with who and what, never the password nor the secret.
  auto events = auditOf("claire.l1");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().actor, "admin");
  EXPECT_EQ(events.front().action, "account.create");
  EXPECT_NE(events.front().detail.find("generated"), std::string::npos);
  for (const auto& e : events) {
    EXPECT_EQ(e.detail.find(pw), std::string::npos);
    EXPECT_EQ(e.detail.find(j["totp_secret"].get<std::string>()), std::string::npos);
  }
}

TEST_F(AccessAdminTest, CreateRefusalsSayWhy) {
  struct Case {
    json body;
    int status;
    const char* words;
  };
  const std::vector<Case> cases = {
      {{{"login", "x.y.z"}, {"role", "king"}, {"generate_password", true}}, 400, "not a role"},
      {{{"login", "x.y.z"}, {"role", "woman"}, {"generate_password", true}}, 400, "not a role"},
      {{{"login", "x.y.z"},
        {"role", "secretary"},
        {"cims", {"CIM01"}},
        {"generate_password", true}},
       400,
       "not bound to an imaging centre"},
      {{{"login", "x.y.z"}, {"role", "technologist"}, {"generate_password", true}},
       400,
       "must name its imaging centre"},
      {{{"login", "x.y.z"},
        {"role", "technologist"},
        {"cims", {"CIM01", "CIM02"}},
        {"generate_password", true}},
       400,
       "exactly one"},
      {{{"login", "x.y.z"}, {"role", "doctor"}, {"generate_password", true}}, 400, "RPPS"},
      {{{"login", "x.y.z"}, {"role", "doctor"}, {"rpps", "123"}, {"generate_password", true}},
       400,
       "11 digits"},
      {{{"login", "x.y.z"}, {"role", "secretary"}, {"password", "short"}}, 400, "at least 12"},
      {{{"login", "x.y.z"}, {"role", "secretary"}}, 400, "at least 12"},
      {{{"login", "x.y.z"}, {"role", "secretary"}, {"password", "aaaaaaaaaaaaaaaa"}},
       400,
       "repeated"},
      {{{"login", "x.y.z"},
        {"role", "secretary"},
        {"password", "a long enough one"},
        {"generate_password", true}},
       400,
       "not both"},
      {{{"login", "gw.new"},
        {"role", "gateway"},
        {"cims", {"CIM01"}},
        {"password", "a long one!!!!"}},
       400,
       "bearer token"},
      {{{"login", "gw.new"}, {"role", "gateway"}, {"cims", {"CIM01"}}, {"totp", true}},
       400,
       "staff"},
      {{{"login", "Bad Login"}, {"role", "secretary"}, {"generate_password", true}},
       400,
       "cannot be a login"},
      {{{"role", "secretary"}}, 400, "needs a 'login'"},
      {{{"login", "x.y.z"}, {"role", "secretary"}, {"isAdmin", true}}, 400, "unknown field"},
      {{{"login", "sec"}, {"role", "secretary"}, {"generate_password", true}},
       409,
       "already taken"},
  };
  for (const auto& c : cases) {
    auto r = call("POST", "/api/admin/users", c.body);
    EXPECT_EQ(r.status, c.status) << c.body.dump() << " -> " << r.body;
    EXPECT_NE(error(r).find(c.words), std::string::npos) << c.body.dump() << " -> " << r.body;
  }
  EXPECT_FALSE(access_->store().user("x.y.z"));
  EXPECT_FALSE(access_->store().user("gw.new"));
  EXPECT_TRUE(auditOf("x.y.z").empty()) << "a refused creation leaves no audit entry";
}

TEST_F(AccessAdminTest, ChangeRoleAndBindingsEndsTheSessions) {
  const Caller tech = loginAs("tech");
  ASSERT_EQ(httpGet(port_, "/api/exams/" + kStudyA, tech.headers).status, 200);
  auto j = ok(call("PATCH", "/api/admin/users/tech", {{"cims", {"CIM02"}}}));
  EXPECT_EQ(j["cims"], json::array({"CIM02"}));
  EXPECT_EQ(httpGet(port_, "/api/exams/" + kStudyA, tech.headers).status, 401)
      << "the old session ended";
  // A role that takes no CIM drops them; the audit says from and to.
  j = ok(call("PATCH", "/api/admin/users/tech", {{"role", "secretary"}}));
  EXPECT_EQ(j["role"], "secretary");
  EXPECT_TRUE(j["cims"].empty());
  auto events = auditOf("tech");
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.back().action, "account.change");
  EXPECT_NE(events.back().detail.find("technologist"), std::string::npos);
  // Refusals.
  EXPECT_EQ(call("PATCH", "/api/admin/users/tech", {{"cims", {"CIM01"}}}).status, 400);
  EXPECT_EQ(call("PATCH", "/api/admin/users/tech", {{"role", "emperor"}}).status, 400);
  EXPECT_EQ(call("PATCH", "/api/admin/users/gw.cim01", {{"role", "secretary"}}).status, 400);
  EXPECT_EQ(call("PATCH", "/api/admin/users/nobody", {{"role", "secretary"}}).status, 404);
  EXPECT_EQ(call("PATCH", "/api/admin/users/doc", {{"rpps", "12"}}).status, 400);
  EXPECT_EQ(call("PATCH", "/api/admin/users/tech", {{"login", "other"}}).status, 400);
}

TEST_F(AccessAdminTest, DisableEnableAndTheLastAdministrator) {
  const Caller sec = loginAs("sec");
  ok(call("POST", "/api/admin/users/sec/disable"));
  EXPECT_EQ(httpGet(port_, "/api/auth/me", sec.headers).status, 401);
  EXPECT_EQ(passwordLogin("sec", kTestPassword), LoginStatus::kBadCredentials);
  EXPECT_EQ(call("POST", "/api/admin/users/sec/disable").status, 409);
  ok(call("POST", "/api/admin/users/sec/enable"));
  EXPECT_EQ(passwordLogin("sec", kTestPassword), LoginStatus::kOk);
  EXPECT_EQ(call("POST", "/api/admin/users/sec/enable").status, 409);
  // The only administrator can neither disable herself nor lose her role.
  auto r = call("POST", "/api/admin/users/admin/disable");
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(error(r).find("last active administrator"), std::string::npos) << r.body;
  EXPECT_EQ(call("PATCH", "/api/admin/users/admin", {{"role", "secretary"}}).status, 409);
  // With a second administrator she can.
  ok(call("POST", "/api/admin/users",
          {{"login", "admin2"}, {"role", "administrator"}, {"generate_password", true}}),
     201);
  ok(call("POST", "/api/admin/users/admin2/disable"));
  EXPECT_EQ(call("POST", "/api/admin/users/admin/disable").status, 409)
      << "a disabled administrator does not count";
  ok(call("POST", "/api/admin/users/admin2/enable"));
  EXPECT_EQ(call("POST", "/api/admin/users/nobody/disable").status, 404);
  ok(call("PATCH", "/api/admin/users/admin", {{"role", "coordinator"}}));
  // Her own rights changed: her session ended with them.
  EXPECT_EQ(call("GET", "/api/admin/users").status, 401);
}

TEST_F(AccessAdminTest, ResetPasswordGivenOrGenerated) {
  const Caller sec = loginAs("sec");
  auto j = ok(call("POST", "/api/admin/users/sec/password"));
  const std::string generated = j.value("password", "");
  ASSERT_GE(generated.size(), 20u);
  EXPECT_EQ(httpGet(port_, "/api/auth/me", sec.headers).status, 401) << "sessions end";
  EXPECT_EQ(passwordLogin("sec", kTestPassword), LoginStatus::kBadCredentials);
  EXPECT_EQ(passwordLogin("sec", generated), LoginStatus::kOk);
  j = ok(call("POST", "/api/admin/users/sec/password", {{"password", "a brand new passphrase"}}));
  EXPECT_FALSE(j.contains("password"));
  EXPECT_EQ(passwordLogin("sec", "a brand new passphrase"), LoginStatus::kOk);
  EXPECT_EQ(call("POST", "/api/admin/users/sec/password", {{"password", ""}}).status, 400);
  EXPECT_EQ(call("POST", "/api/admin/users/sec/password", {{"password", "tooshort"}}).status, 400);
  EXPECT_EQ(call("POST", "/api/admin/users/gw.cim01/password").status, 400);
  EXPECT_EQ(call("POST", "/api/admin/users/nobody/password").status, 404);
  for (const auto& e : auditOf("sec")) {
    EXPECT_EQ(e.detail.find(generated), std::string::npos);
    EXPECT_EQ(e.detail.find("a brand new passphrase"), std::string::npos);
  }
}

TEST_F(AccessAdminTest, UnlockAfterALockout) {
  EXPECT_EQ(call("POST", "/api/admin/users/sec/unlock").status, 409) << "not locked";
  for (int i = 0; i < config_.access.max_failed_logins; ++i) passwordLogin("sec", "wrong guess!!");
  EXPECT_EQ(passwordLogin("sec", kTestPassword), LoginStatus::kLocked);
  auto users = ok(call("GET", "/api/admin/users/sec"));
  EXPECT_EQ(users["locked"], true);
  auto j = ok(call("POST", "/api/admin/users/sec/unlock"));
  EXPECT_EQ(j["locked"], false);
  EXPECT_EQ(passwordLogin("sec", kTestPassword), LoginStatus::kOk);
  EXPECT_EQ(call("POST", "/api/admin/users/nobody/unlock").status, 404);
}

TEST_F(AccessAdminTest, ResetOrRemoveTheSecondFactor) {
  auto j = ok(call("POST", "/api/admin/users/sec/totp"));
  const std::string secret = j.value("totp_secret", "");
  ASSERT_FALSE(secret.empty());
  EXPECT_NE(j.value("totp_uri", "").find("otpauth://totp/"), std::string::npos);
  EXPECT_EQ(passwordLogin("sec", kTestPassword), LoginStatus::kBadCredentials) << "TOTP needed";
  now_ += 60;
  EXPECT_EQ(access_->login("sec", kTestPassword, *totpCode(secret, now_), "127.0.0.1:9").status,
            LoginStatus::kOk);
  ok(call("POST", "/api/admin/users/sec/totp", {{"enabled", false}}));
  EXPECT_EQ(passwordLogin("sec", kTestPassword), LoginStatus::kOk);
  EXPECT_EQ(call("POST", "/api/admin/users/sec/totp", {{"enabled", false}}).status, 409);
  EXPECT_EQ(call("POST", "/api/admin/users/sec/totp", {{"enabled", "yes"}}).status, 400);
  EXPECT_EQ(call("POST", "/api/admin/users/gw.cim01/totp").status, 400);
  for (const auto& e : auditOf("sec")) EXPECT_EQ(e.detail.find(secret), std::string::npos);
}

TEST_F(AccessAdminTest, IssueAndRevokeBearerTokens) {
  auto j = ok(call("POST", "/api/admin/users/gw.cim01/tokens"), 201);
  const std::string token = j.value("token", "");
  const std::string id = j.value("id", "");
  ASSERT_EQ(id.size(), 16u);
  HeaderList bearer = {{"Authorization", "Bearer " + token}};
  EXPECT_EQ(httpGet(port_, "/api/auth/me", bearer).status, 200);
  auto list = ok(call("GET", "/api/admin/users/gw.cim01/tokens"));
  ASSERT_EQ(list["tokens"].size(), 2u);
  EXPECT_EQ(list.dump().find(token), std::string::npos) << "ids only, never a token";
  ok(call("DELETE", "/api/admin/users/gw.cim01/tokens/" + id));
  EXPECT_EQ(httpGet(port_, "/api/auth/me", bearer).status, 401);
  EXPECT_EQ(httpGet(port_, "/api/auth/me", {{"Authorization", "Bearer " + gateway_token_}}).status,
            200)
      << "the other token still works";
  EXPECT_EQ(call("DELETE", "/api/admin/users/gw.cim01/tokens/" + id).status, 404);
  EXPECT_EQ(call("DELETE", "/api/admin/users/gw.cim01/tokens/zzzz").status, 404);
  EXPECT_EQ(call("POST", "/api/admin/users/sec/tokens").status, 400) << "not a gateway";
  EXPECT_EQ(call("POST", "/api/admin/users/nobody/tokens").status, 404);
  EXPECT_EQ(call("GET", "/api/admin/users/nobody/tokens").status, 404);
  // A disabled gateway gets no new token and its tokens stop working.
  ok(call("POST", "/api/admin/users/gw.cim01/disable"));
  EXPECT_EQ(call("POST", "/api/admin/users/gw.cim01/tokens").status, 409);
  EXPECT_EQ(httpGet(port_, "/api/auth/me", {{"Authorization", "Bearer " + gateway_token_}}).status,
            401);
  bool issued = false, revoked = false;
  for (const auto& e : auditOf("gw.cim01")) {
    EXPECT_EQ(e.detail.find(token), std::string::npos);
    issued = issued || (e.action == "token.issue" && e.detail.find(id) != std::string::npos);
    revoked = revoked || e.action == "token.revoke";
  }
  EXPECT_TRUE(issued && revoked);
}

TEST_F(AccessAdminTest, StateChangesNeedTheCsrfToken) {
  HeaderList no_csrf = {{"Cookie", std::string(http::kSessionCookie) + "=" + admin_.cookie}};
  auto r = httpRequest(port_, "POST", "/api/admin/users/sec/disable", no_csrf, "");
  EXPECT_EQ(r.status, 403);
  EXPECT_FALSE(access_->store().user("sec")->disabled);
}

TEST_F(AccessAdminTest, NothingChangesWhenTheAuditCannotRecord) {
  AccountAdmin admin(*access_, audit_.get());
  // The audit trail refuses an empty actor: the change must not happen.
  EXPECT_ANY_THROW(admin.setDisabled("sec", true, AccountActor{"", "administrator", "x"}));
  EXPECT_FALSE(access_->store().user("sec")->disabled);
  NewAccount n;
  n.login = "ghost.user";
  n.role = "secretary";
  n.generate_password = true;
  EXPECT_ANY_THROW(admin.create(n, AccountActor{"", "administrator", "x"}));
  EXPECT_FALSE(access_->store().user("ghost.user"));
  EXPECT_ANY_THROW(admin.issueToken("gw.cim01", AccountActor{"", "administrator", "x"}));
  EXPECT_EQ(admin.get("gw.cim01").active_tokens, 1) << "no token the trail does not show";
}

TEST_F(AccessAdminTest, AGatewayAuthenticatesWithItsClientCertificate) {
  auto j = ok(call("PATCH", "/api/admin/users/gw.cim01", {{"cert_cn", "gateway-cim1"}}));
  EXPECT_EQ(j["cert_cn"], "gateway-cim1");
  auto r = call("PATCH", "/api/admin/users/sec", {{"cert_cn", "sec-laptop"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(error(r).find("only a gateway"), std::string::npos) << r.body;
  r = call(
      "POST", "/api/admin/users",
      {{"login", "gw.two"}, {"role", "gateway"}, {"cims", {"CIM02"}}, {"cert_cn", "gateway-cim1"}});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_FALSE(access_->store().user("gw.two"));
  EXPECT_EQ(call("PATCH", "/api/admin/users/gw.cim01", {{"cert_cn", std::string(65, 'x')}}).status,
            400);
  EXPECT_EQ(call("PATCH", "/api/admin/users/gw.cim01", {{"cert_cn", "bad\nname"}}).status, 400);

  http::Router router;
  http::registerHubRoutes(router, *services_);
  http::AccessGate gate(*services_, router);
  auto me = [&](const std::string& cn, bool secure, bool browser) {
    http::HttpRequest req;
    req.method = "GET";
    req.path = "/api/auth/me";
    req.segments = {"api", "auth", "me"};
    req.secure = secure;
    req.client_cert_cn = cn;
    req.peer = "127.0.0.1:5";
    if (browser) req.headers["sec-fetch-mode"] = "cors";
    return req;
  };
  auto status = [&](http::HttpRequest req) {
    try {
      gate.check(req);
      return req.principal ? 200 : 0;
    } catch (const http::HttpError& e) {
      return e.status();
    }
  };
  auto req = me("gateway-cim1", true, false);
  gate.check(req);
  ASSERT_TRUE(req.principal);
  EXPECT_EQ(req.principal->login, "gw.cim01");
  EXPECT_EQ(req.principal->method, "certificate");
  EXPECT_EQ(req.principal->cims, std::vector<std::string>{"CIM01"});
  EXPECT_EQ(status(me("gateway-cim1", false, false)), 401) << "only a TLS-verified certificate";
  EXPECT_EQ(status(me("unknown-client", true, false)), 401);
  EXPECT_EQ(status(me("gateway-cim1", true, true)), 401) << "never for a browser's request";
  ok(call("POST", "/api/admin/users/gw.cim01/disable"));
  EXPECT_EQ(status(me("gateway-cim1", true, false)), 401) << "a disabled gateway";
  ok(call("POST", "/api/admin/users/gw.cim01/enable"));
  EXPECT_EQ(status(me("gateway-cim1", true, false)), 200);
  ok(call("PATCH", "/api/admin/users/gw.cim01", {{"cert_cn", ""}}));
  EXPECT_EQ(status(me("gateway-cim1", true, false)), 401) << "unbound";
  bool audited = false;
  for (const auto& e : auditOf("gw.cim01"))
    audited = audited ||
              (e.action == "account.change" && e.detail.find("gateway-cim1") != std::string::npos);
  EXPECT_TRUE(audited);
}

TEST_F(AccessAdminTest, ServiceListsAndGets) {
  AccountAdmin admin(*access_, nullptr);
  EXPECT_THROW(admin.get("nobody"), AccountNotFound);
  EXPECT_EQ(admin.get("gw.cim01").active_tokens, 1);
  EXPECT_NE(accountRoleList().find("l1_radiologist"), std::string::npos);
  EXPECT_EQ(accountRoleList().find("woman"), std::string::npos);
}

}  // namespace
}  // namespace dualread::testing
