// Security tests of the HTTP door with access control on: CSRF, session fixation and cookie
// flags, brute-force lockout and rate limit, HTTP Basic only over TLS, path traversal on WADO,
// share and static routes, SQL injection through QIDO keys, HTML/script in patient names
// returned inert; and the access-control API itself (portal, share links, audit views).

#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>

#include "access_fixture.h"
#include "http/access_policy.h"
#include "http/routes.h"

namespace dualread::testing {
namespace {

using http::HttpError;
using http::HttpRequest;

using nlohmann::json;

class AccessSecurityTest : public AccessHttpTest {
 protected:
  void configureAccess(HubConfig& c) override {
    std::filesystem::create_directories(dir_ / "web");
    std::ofstream(dir_ / "web" / "index.html") << "<!doctype html><title>dualread</title>";
    c.static_dir = dir_ / "web";
    c.access.max_failed_logins = 5;
  }
  ClientResponse post(const std::string& target, const HeaderList& h, const json& body) {
    HeaderList headers = h;
    headers.emplace_back("Content-Type", "application/json");
    return httpRequest(port_, "POST", target, headers, body.dump());
  }
  ClientResponse login(const std::string& login, const std::string& password,
                       const HeaderList& h = {}) {
    return post("/api/auth/login", h, {{"login", login}, {"password", password}});
  }
};

TEST_F(AccessSecurityTest, AnonymousCallsAre401WithAChallenge) {
  auto r = httpGet(port_, "/api/exams/" + kStudyA);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.header("www-authenticate").find("Bearer"), std::string::npos);
  EXPECT_NE(r.body.find("log in"), std::string::npos);
  EXPECT_EQ(httpGet(port_, "/healthz").status, 200);
  EXPECT_EQ(httpGet(port_, "/").status, 200);  // the web app's login screen loads
}

TEST_F(AccessSecurityTest, LoginAnswersTheContractAndSetsAStrictCookie) {
  auto r = login("reader.l1", kTestPassword);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body);
  EXPECT_EQ(j["login"], "reader.l1");
  EXPECT_EQ(j["role"], "l1_radiologist");
  EXPECT_EQ(j["cims"], json::array({"CIM01"}));
  EXPECT_GE(j["csrf_token"].get<std::string>().size(), 20u);
  const std::string cookie = r.header("set-cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "Secure over plain HTTP: " << cookie;
  EXPECT_NE(http::sessionCookie("x", true, 60).find("; Secure"), std::string::npos);
  EXPECT_EQ(r.body.find(kTestPassword), std::string::npos);
  const std::string sid = sessionFromSetCookie(cookie);
  auto me = httpGet(port_, "/api/auth/me", {{"Cookie", std::string("dualread_session=") + sid}});
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(json::parse(me.body)["csrf_token"], j["csrf_token"]);
  // Logout ends the session server-side and expires the cookie.
  auto out = httpRequest(port_, "POST", "/api/auth/logout",
                         {{"Cookie", "dualread_session=" + sid},
                          {"X-CSRF-Token", j["csrf_token"].get<std::string>()}});
  EXPECT_EQ(out.status, 200);
  EXPECT_NE(out.header("set-cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(httpGet(port_, "/api/auth/me", {{"Cookie", "dualread_session=" + sid}}).status, 401);
}

TEST_F(AccessSecurityTest, CsrfTokenRequiredOnStateChangesWithACookie) {
  const Caller sec = loginAs("sec");
  const HeaderList cookie_only = {{"Cookie", "dualread_session=" + sec.cookie}};
  auto r = post("/api/sessions/deal", cookie_only, json::object());
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("CSRF"), std::string::npos);
  HeaderList wrong = cookie_only;
  wrong.emplace_back("X-CSRF-Token", sec.csrf.substr(1) + "x");
  EXPECT_EQ(post("/api/sessions/deal", wrong, json::object()).status, 403);
  EXPECT_EQ(post("/api/sessions/deal", sec.headers, json::object()).status, 200);
  // Reads need no token; a bearer token is never sent by a browser on its own: no CSRF token.
  EXPECT_EQ(httpGet(port_, "/api/stats", cookie_only).status, 200);
  auto gw = httpRequest(
      port_, "PUT", "/api/exams/" + kStudyA + "/l1-form",
      {{"Authorization", "Bearer " + gateway_token_}, {"Content-Type", "application/json"}}, "{}");
  EXPECT_NE(gw.status, 403) << gw.body;
  EXPECT_NE(gw.status, 401) << gw.body;
}

TEST_F(AccessSecurityTest, SessionFixationIsImpossible) {
  // An id the attacker chose is not a session, and logging in with it gives another one.
  const HeaderList planted = {{"Cookie", "dualread_session=attacker-chosen-id"}};
  EXPECT_EQ(httpGet(port_, "/api/auth/me", planted).status, 401);
  auto r = login("coord", kTestPassword, planted);
  ASSERT_EQ(r.status, 200);
  const std::string sid = sessionFromSetCookie(r.header("set-cookie"));
  EXPECT_NE(sid, "attacker-chosen-id");
  EXPECT_EQ(httpGet(port_, "/api/auth/me", planted).status, 401);
  // A session stolen before a new login dies with it (rotation).
  auto again = login("coord", kTestPassword, {{"Cookie", "dualread_session=" + sid}});
  ASSERT_EQ(again.status, 200);
  EXPECT_NE(sessionFromSetCookie(again.header("set-cookie")), sid);
  EXPECT_EQ(httpGet(port_, "/api/auth/me", {{"Cookie", "dualread_session=" + sid}}).status, 401);
}

TEST_F(AccessSecurityTest, BruteForceLocksTheAccount) {
  for (int i = 0; i < 4; ++i) {
    auto r = login("sec", "guess-" + std::to_string(i));
    EXPECT_EQ(r.status, 401);
    EXPECT_NE(r.body.find("wrong"), std::string::npos);
  }
  auto fifth = login("sec", "guess-5");
  EXPECT_EQ(fifth.status, 401);
  EXPECT_NE(fifth.body.find("locked"), std::string::npos) << fifth.body;
  auto right = login("sec", kTestPassword);
  EXPECT_EQ(right.status, 401) << "the right password opened a locked account";
  now_ += 16 * 60;
  EXPECT_EQ(login("sec", kTestPassword).status, 200);
  // The lockout is in the audit trail, without the guessed passwords.
  AuditQuery q;
  q.actor = "sec";
  q.limit = 1000;
  bool locked = false;
  for (const auto& e : audit_->query(q)) {
    locked = locked || e.action == "auth.locked";
    EXPECT_EQ(e.detail.find("guess"), std::string::npos);
  }
  EXPECT_TRUE(locked);
}

class AccessRateLimitTest : public AccessHttpTest {
 protected:
  void configureAccess(HubConfig& c) override { c.access.login_attempts_per_minute = 4; }
};

TEST_F(AccessRateLimitTest, TooManyAttemptsFromOneAddressAre429) {
  int limited = 0;
  for (int i = 0; i < 6; ++i) {
    auto r = httpRequest(port_, "POST", "/api/auth/login", {{"Content-Type", "application/json"}},
                         json({{"login", "user" + std::to_string(i)}, {"password", "x"}}).dump());
    if (r.status == 429) {
      ++limited;
      EXPECT_FALSE(r.header("retry-after").empty());
    }
  }
  EXPECT_EQ(limited, 2);
}

TEST_F(AccessSecurityTest, HttpBasicOnlyOverTls) {
  http::Router router;
  http::registerHubRoutes(router, *services_);
  http::AccessGate gate(*services_, router);
  auto request = [&](bool secure, const std::string& user_pass) {
    HttpRequest req;
    req.method = "GET";
    req.path = "/dicomweb/studies";
    req.segments = {"dicomweb", "studies"};
    req.peer = "127.0.0.1:5000";
    req.secure = secure;
    std::string b64(sodium_base64_ENCODED_LEN(user_pass.size(), sodium_base64_VARIANT_ORIGINAL),
                    '\0');
    sodium_bin2base64(b64.data(), b64.size(),
                      reinterpret_cast<const unsigned char*>(user_pass.data()), user_pass.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    req.headers["authorization"] = "Basic " + std::string(b64.c_str());
    return req;
  };
  auto clear = request(false, std::string("reader.l2:") + kTestPassword);
  try {
    gate.check(clear);
    FAIL() << "Basic accepted in clear";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 401);
    EXPECT_NE(std::string(e.what()).find("TLS"), std::string::npos);
  }
  auto tls = request(true, std::string("reader.l2:") + kTestPassword);
  ASSERT_NO_THROW(gate.check(tls));
  ASSERT_TRUE(tls.principal);
  EXPECT_EQ(tls.principal->login, "reader.l2");
  EXPECT_EQ(tls.principal->method, "basic");
  auto bad = request(true, "reader.l2:wrong password");
  EXPECT_THROW(gate.check(bad), HttpError);
}

TEST_F(AccessSecurityTest, PathTraversalGoesNowhere) {
  const Caller coord = loginAs("coord");
  for (const std::string& t :
       {std::string("/dicomweb/studies/..%2F..%2F..%2Fetc%2Fpasswd/metadata"),
        std::string("/dicomweb/studies/") + kStudyA + "/series/..%2F..%2Findex.sqlite",
        std::string("/dicomweb/studies/") + kStudyA + "/series/" + kStudyA +
            ".0/instances/..%2F..%2F..%2Fblobs/frames/1",
        std::string("/share/..%2F..%2Fetc%2Fpasswd"),
        std::string("/share/x/instances/..%2F..%2Findex.sqlite"), std::string("/../../etc/passwd"),
        std::string("/%2e%2e/%2e%2e/etc/passwd"), std::string("/..%2F..%2F..%2Fetc%2Fpasswd"),
        std::string("/static/..%2F..%2Findex.sqlite")}) {
    auto r = httpGet(port_, t, coord.headers);
    EXPECT_TRUE(r.status == 400 || r.status == 404 || r.status == 200) << t << " " << r.status;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << t;
    EXPECT_EQ(r.body.find("SQLite format"), std::string::npos) << t;
    if (r.status == 200) {  // the single-page app's index, nothing else
      EXPECT_NE(r.body.find("<title>dualread</title>"), std::string::npos) << t;
    }
  }
}

TEST_F(AccessSecurityTest, SqlInjectionThroughQidoKeysMatchesNothing) {
  const Caller coord = loginAs("coord");
  const Caller tech = loginAs("tech");
  for (const std::string& q :
       {std::string("PatientName=%27%20OR%20%271%27%3D%271"),
        std::string("PatientID=x%27%20OR%201%3D1%20--"),
        std::string("AccessionNumber=%27%3B%20DROP%20TABLE%20studies%3B%20--"),
        std::string("StudyDescription=%25%27%20UNION%20SELECT%20login%2C1%20FROM%20access_users--"),
        std::string("PatientName=*%27)%20OR%20(%271")}) {
    auto r = httpGet(port_, "/dicomweb/studies?" + q, coord.headers);
    EXPECT_TRUE(r.status == 200 || r.status == 400) << q << ": " << r.body;
    if (r.status == 200) {
      EXPECT_EQ(json::parse(r.body).size(), 0u) << q << ": " << r.body;
    }
  }
  // A CIM-bound caller cannot escape its centre through the issuer key either.
  auto esc = httpGet(port_, "/dicomweb/studies?IssuerOfPatientID=CIM01%27%20OR%20%271%27%3D%271",
                     tech.headers);
  EXPECT_EQ(esc.status, 403);
  // Nothing was dropped.
  EXPECT_EQ(json::parse(httpGet(port_, "/dicomweb/studies", coord.headers).body).size(), 2u);
  EXPECT_EQ(access_->users().size(), 10u);
}

TEST_F(AccessSecurityTest, ScriptInPatientNamesIsReturnedInert) {
  TestImage x;
  x.study_uid = "1.2.826.0.1.3680043.10.1011.77.9";
  x.series_uid = x.study_uid + ".0";
  x.sop_uid = x.study_uid + ".0.1";
  x.patient_name = "<script>alert(1)</script>^<img src=x onerror=alert(2)>";
  x.patient_id = "CIM01-000666";
  x.ins = "";
  ASSERT_TRUE(ingest_->ingestBytes(dicomBytes(x), {"TEST", "UNIT", ""}).ok());
  const Caller coord = loginAs("coord");
  for (const std::string& t :
       {"/api/exams/" + x.study_uid, std::string("/dicomweb/studies?PatientID=CIM01-000666"),
        "/dicomweb/studies/" + x.study_uid + "/metadata"}) {
    auto r = httpGet(port_, t, coord.headers);
    ASSERT_EQ(r.status, 200) << t << ": " << r.body;
    EXPECT_NE(r.header("content-type").find("json"), std::string::npos) << t;
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << t;
    EXPECT_EQ(r.body.find("<script>"), std::string::npos) << t << ": " << r.body;
    EXPECT_EQ(r.body.find("<img"), std::string::npos) << t;
    // ...but the name is intact once parsed.
    EXPECT_NE(json::parse(r.body).dump().find("<script>alert(1)</script>"), std::string::npos) << t;
  }
}

TEST_F(AccessSecurityTest, PortalWomanSeesHerOwnAccessHistory) {
  const Caller coord = loginAs("coord");
  ASSERT_EQ(httpGet(port_, "/api/exams/" + kStudyA, coord.headers).status, 200);
  auto code = post("/api/women/" + woman_a_ + "/access-codes", coord.headers, {{"round", "2026"}});
  ASSERT_EQ(code.status, 201) << code.body;
  const std::string c = json::parse(code.body)["code"];
  EXPECT_EQ(post("/api/portal/login", {}, {{"code", c}, {"birth_date", "1970-01-01"}}).status, 401);
  auto w = post("/api/portal/login", {}, {{"code", c}, {"birth_date", "1965-04-12"}});
  ASSERT_EQ(w.status, 200) << w.body;
  EXPECT_EQ(json::parse(w.body)["role"], "woman");
  const HeaderList wh = {
      {"Cookie", "dualread_session=" + sessionFromSetCookie(w.header("set-cookie"))}};
  auto h = httpGet(port_, "/api/women/" + woman_a_ + "/access-history", wh);
  ASSERT_EQ(h.status, 200) << h.body;
  bool coord_read = false;
  const json history = json::parse(h.body);
  for (const auto& e : history["entries"])
    coord_read = coord_read || (e["actor"] == "coord" && e["action"] == "read");
  EXPECT_TRUE(coord_read) << h.body;
  EXPECT_EQ(httpGet(port_, "/api/women/" + woman_b_ + "/access-history", wh).status, 403);
  EXPECT_EQ(
      httpGet(port_, "/api/women/" + woman_a_ + "/access-history", loginAs("sec").headers).status,
      403);
}

TEST_F(AccessSecurityTest, AuditExportIsFilteredAndItselfAudited) {
  const Caller coord = loginAs("coord");
  const Caller tech = loginAs("tech");
  ASSERT_EQ(httpGet(port_, "/api/exams/" + kStudyA, tech.headers).status, 200);
  ASSERT_EQ(httpGet(port_, "/api/exams/" + kStudyB, coord.headers).status, 200);
  auto j = httpGet(port_, "/api/audit/export?format=json&woman=" + woman_a_, coord.headers);
  ASSERT_EQ(j.status, 200) << j.body;
  EXPECT_NE(j.header("content-disposition").find("attachment"), std::string::npos);
  const json exported = json::parse(j.body);
  ASSERT_FALSE(exported["entries"].empty());
  for (const auto& e : exported["entries"]) EXPECT_EQ(e["woman_id"], woman_a_);
  auto csv =
      httpGet(port_, "/api/audit/export?format=csv&actor=tech&from=2000-01-01", coord.headers);
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.header("content-type").rfind("text/csv", 0), 0u);
  EXPECT_EQ(csv.body.rfind("seq,time,actor,role,action", 0), 0u);
  EXPECT_NE(csv.body.find(",tech,technologist@CIM01,read,exam,"), std::string::npos) << csv.body;
  EXPECT_EQ(csv.body.find(",coord,"), std::string::npos);
  EXPECT_EQ(httpGet(port_, "/api/audit/export?format=xml", coord.headers).status, 400);
  EXPECT_EQ(httpGet(port_, "/api/audit/export?from=yesterday", coord.headers).status, 400);
  AuditQuery q;
  q.actor = "coord";
  q.newest_first = true;
  auto events = audit_->query(q);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().action, "audit.export");
  EXPECT_NE(events.front().detail.find("\"actor\":\"tech\""), std::string::npos);
}

TEST_F(AccessSecurityTest, ShareLinksServeOneExamUntilRevokedAndEveryUseIsLogged) {
  const Caller coord = loginAs("coord");
  auto made = post("/api/exams/" + kStudyA + "/share-links", coord.headers, {{"valid_hours", 4}});
  ASSERT_EQ(made.status, 201) << made.body;
  const auto link = json::parse(made.body);
  const std::string url = link["url"];
  auto view = httpGet(port_, url);
  ASSERT_EQ(view.status, 200) << view.body;
  const auto v = json::parse(view.body);
  EXPECT_EQ(v["study_uid"], kStudyA);
  ASSERT_EQ(v["instances"].size(), 1u);
  auto file = httpGet(port_, v["instances"][0]["url"].get<std::string>());
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(file.body.substr(128, 4), "DICM");
  // Scoped to its exam: another study's image is not reachable with this token.
  EXPECT_EQ(httpGet(port_, url + "/instances/" + kStudyB + ".0.1").status, 404);
  // Listed without its token; revoked; then dead.
  auto list = httpGet(port_, "/api/exams/" + kStudyA + "/share-links", coord.headers);
  EXPECT_EQ(list.body.find(link["token"].get<std::string>()), std::string::npos);
  EXPECT_EQ(json::parse(list.body)["links"][0]["uses"], 3);
  auto del = httpRequest(port_, "DELETE",
                         "/api/exams/" + kStudyA + "/share-links/" + link["id"].get<std::string>(),
                         coord.headers);
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(httpGet(port_, url).status, 404);
  // Expired links die too.
  auto made2 = post("/api/exams/" + kStudyA + "/share-links", coord.headers, {{"valid_hours", 1}});
  now_ += 3601;
  EXPECT_EQ(httpGet(port_, json::parse(made2.body)["url"].get<std::string>()).status, 404);
  AuditQuery q;
  q.actor = "share:" + link["id"].get<std::string>();
  auto uses = audit_->query(q);
  ASSERT_EQ(uses.size(), 3u);
  EXPECT_EQ(uses[0].action, "share.read");
  EXPECT_EQ(uses[1].action, "share.retrieve");
  EXPECT_EQ(uses[2].action, "share.refused");
  // A technologist cannot share (not in the matrix) and nobody shares another centre's exam.
  EXPECT_EQ(post("/api/exams/" + kStudyA + "/share-links", loginAs("tech").headers, {}).status,
            403);
}

TEST_F(AccessSecurityTest, DoctorsSeeTheWomenWhoNamedThem) {
  const Caller sec = loginAs("sec");
  auto put = httpRequest(
      port_, "PUT", "/api/women/" + woman_b_ + "/doctors",
      [&] {
        HeaderList h = sec.headers;
        h.emplace_back("Content-Type", "application/json");
        return h;
      }(),
      json({{"doctors", {{{"rpps", "10000000008"}, {"name", "Dr B"}}}}}).dump());
  ASSERT_EQ(put.status, 200) << put.body;
  const Caller doc2 = loginAs("doc2");
  EXPECT_EQ(httpGet(port_, "/api/exams/" + kStudyB, doc2.headers).status, 200);
  EXPECT_EQ(httpGet(port_, "/api/exams/" + kStudyA, doc2.headers).status, 403);
  auto mine = httpGet(port_, "/api/doctor/women", doc2.headers);
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(json::parse(mine.body)["women"], json::array({woman_b_}));
  auto bad = httpRequest(
      port_, "PUT", "/api/women/" + woman_b_ + "/doctors",
      [&] {
        HeaderList h = sec.headers;
        h.emplace_back("Content-Type", "application/json");
        return h;
      }(),
      json({{"doctors", {{{"rpps", "12"}}}}}).dump());
  EXPECT_EQ(bad.status, 400);
}

}  // namespace
}  // namespace dualread::testing
