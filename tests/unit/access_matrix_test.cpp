// The permission matrix, three ways: docs/permissions.md (the written matrix) == the table in
// code (http/access_policy.cpp) == every route the router serves; then every route called as
// every role and anonymously against a running server with access control on: allowed roles
// pass the gate, others get 403 with a sentence, anonymous callers 401.

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "access_fixture.h"
#include "http/access_policy.h"
#include "http/routes.h"

namespace dualread::testing {
namespace {

using http::HttpError;
using http::HttpRequest;

using http::RoutePolicy;

struct DocRow {
  std::string method, pattern;
  std::map<std::string, std::string> cells;  // role name -> "yes" / "-" / "public"
  std::string rule;
};

const std::vector<std::string> kColumns = {"administrator",  "coordinator",    "secretary",
                                           "l2_radiologist", "l1_radiologist", "technologist",
                                           "gateway",        "doctor",         "woman"};

std::vector<std::string> splitCells(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  std::getline(ss, cell, '|');  // before the first '|'
  while (std::getline(ss, cell, '|')) {
    const size_t b = cell.find_first_not_of(' ');
    const size_t e = cell.find_last_not_of(' ');
    out.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
  }
  return out;
}

std::vector<DocRow> readDocMatrix() {
  std::ifstream in(std::string(DUALREAD_SOURCE_DIR) + "/docs/permissions.md");
  EXPECT_TRUE(in.good());
  std::vector<DocRow> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| GET ", 0) != 0 && line.rfind("| POST ", 0) != 0 &&
        line.rfind("| PUT ", 0) != 0 && line.rfind("| DELETE ", 0) != 0 &&
        line.rfind("| PATCH ", 0) != 0)
      continue;
    auto cells = splitCells(line);
    if (cells.size() < 2 + kColumns.size() + 1) continue;
    DocRow r;
    r.method = cells[0];
    r.pattern = cells[1];
    if (r.pattern.size() > 2 && r.pattern.front() == '`')
      r.pattern = r.pattern.substr(1, r.pattern.size() - 2);
    for (size_t i = 0; i < kColumns.size(); ++i) r.cells[kColumns[i]] = cells[2 + i];
    r.rule = cells[2 + kColumns.size()];
    rows.push_back(std::move(r));
  }
  return rows;
}

class AccessMatrixTest : public AccessHttpTest {};

TEST_F(AccessMatrixTest, EveryRouteHasAnEntry) {
  http::Router router;
  http::registerHubRoutes(router, *services_);
  std::set<std::pair<std::string, std::string>> served;
  for (const auto& r : router.routes()) {
    served.insert({r.method, r.pattern});
    EXPECT_NE(http::policyFor(r.method, r.pattern), nullptr)
        << r.method << " " << r.pattern
        << " is served but has no entry in the permission matrix (http/access_policy.cpp)";
  }
  for (const auto& p : http::routePolicies())
    EXPECT_TRUE(served.count({p.method, p.pattern}))
        << p.method << " " << p.pattern << " is in the permission matrix but not served";
}

TEST_F(AccessMatrixTest, DocumentMatchesCode) {
  const auto doc = readDocMatrix();
  ASSERT_GE(doc.size(), 50u);
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& d : doc) {
    documented.insert({d.method, d.pattern});
    const RoutePolicy* p = http::policyFor(d.method, d.pattern);
    ASSERT_NE(p, nullptr) << d.method << " " << d.pattern << " is in docs/permissions.md only";
    EXPECT_EQ(std::string(http::rowRuleName(p->rule)), d.rule) << d.method << " " << d.pattern;
    for (const auto& role : kColumns) {
      const std::string expect = p->is_public                  ? "public"
                                 : p->allows(*parseRole(role)) ? "yes"
                                                               : "-";
      EXPECT_EQ(d.cells.at(role), expect)
          << d.method << " " << d.pattern << " for " << role
          << ": docs/permissions.md and http/access_policy.cpp disagree";
    }
  }
  for (const auto& p : http::routePolicies())
    EXPECT_TRUE(documented.count({p.method, p.pattern}))
        << p.method << " " << p.pattern << " is not in docs/permissions.md";
}

TEST_F(AccessMatrixTest, GateMatchesTheSameEntryAsTheRouter) {
  http::Router router;
  http::registerHubRoutes(router, *services_);
  for (const auto& r : router.routes()) {
    // A concrete path: every {param} replaced by a value no literal segment has.
    HttpRequest req;
    req.method = r.method;
    std::stringstream ss(r.pattern.substr(1));
    std::string seg;
    while (std::getline(ss, seg, '/')) req.segments.push_back(seg.front() == '{' ? "1.2.3" : seg);
    std::vector<std::string> allowed;
    ASSERT_NE(router.match(req, allowed), nullptr) << r.pattern;
    std::map<std::string, std::string> params;
    const RoutePolicy* p = http::matchPolicy(r.method, req.segments, params);
    ASSERT_NE(p, nullptr) << r.method << " " << r.pattern;
    EXPECT_EQ(p->pattern, r.pattern);
    EXPECT_EQ(params, req.params) << r.pattern;
  }
}

class AccessMatrixLiveTest : public AccessHttpTest {
 protected:
  // The concrete target of a route pattern, with objects inside the callers' scope (woman A,
  // her CIM01 study, the CIM01 worklist, the L2 reader's RPPS).
  std::string target(const std::string& pattern) {
    std::map<std::string, std::string> values = {{"{study}", kStudyA},
                                                 {"{series}", kStudyA + ".0"},
                                                 {"{instance}", kStudyA + ".0.1"},
                                                 {"{frames}", "1"},
                                                 {"{tag}", "7FE00010"},
                                                 {"{woman}", woman_a_},
                                                 {"{session}", "no-such-session"},
                                                 {"{token}", "no-such-token"},
                                                 {"{link}", "no-such-link"},
                                                 {"{login}", "no-such-login"},
                                                 {"{letter}", "R20260101-1-00001"}};
    std::string t = pattern;
    for (const auto& [k, v] : values)
      for (size_t pos; (pos = t.find(k)) != std::string::npos;) t.replace(pos, k.size(), v);
    if (pattern == "/api/cti") t += "?cim=CIM01";
    if (pattern == "/api/sessions") t += "?reader=10000000002";
    return t;
  }

  ClientResponse call(const RoutePolicy& p, const HeaderList& who) {
    HeaderList h = who;
    std::string body;
    if (p.method != "GET") {
      h.emplace_back("Content-Type", "application/json");
      body = "{}";
    }
    return httpRequest(port_, p.method, target(p.pattern), h, body);
  }
};

TEST_F(AccessMatrixLiveTest, EveryRoleOnEveryRoute) {
  const std::vector<std::pair<std::string, Role>> callers = {{"admin", Role::kAdministrator},
                                                             {"coord", Role::kCoordinator},
                                                             {"sec", Role::kSecretary},
                                                             {"reader.l2", Role::kL2Radiologist},
                                                             {"reader.l1", Role::kL1Radiologist},
                                                             {"tech", Role::kTechnologist},
                                                             {"gw.cim01", Role::kGateway},
                                                             {"doc", Role::kDoctor},
                                                             {"woman", Role::kWoman}};
  std::map<std::string, Caller> sessions;
  for (const auto& [login, role] : callers) sessions[login] = loginAs(login);
  int allowed = 0, refused = 0;
  for (const auto& p : http::routePolicies()) {
    const std::string what = p.method + " " + p.pattern;
    // Anonymous.
    auto anon = call(p, {});
    if (p.is_public)
      EXPECT_NE(anon.status, 401) << what << " is public: " << anon.body;
    else
      EXPECT_EQ(anon.status, 401) << what << " anonymous: " << anon.body;
    for (const auto& [login, role] : callers) {
      // Logout ends the session: give it one of its own.
      const Caller who = p.pattern == "/api/auth/logout" ? loginAs(login) : sessions[login];
      auto r = call(p, who.headers);
      if (p.allows(role)) {
        ++allowed;
        EXPECT_NE(r.status, 401) << what << " as " << login << ": " << r.body;
        EXPECT_NE(r.status, 403) << what << " as " << login << ": " << r.body;
      } else {
        ++refused;
        EXPECT_EQ(r.status, 403) << what << " as " << login << ": " << r.body;
        auto j = nlohmann::json::parse(r.body, nullptr, false);
        ASSERT_TRUE(j.is_object() && j.contains("error")) << r.body;
        EXPECT_NE(j["error"].get<std::string>().find("may not"), std::string::npos) << r.body;
      }
    }
  }
  EXPECT_GT(allowed, 150);
  EXPECT_GT(refused, 150);
}

TEST_F(AccessMatrixLiveTest, RowRulesRefuseOtherCentresOtherWomenOtherDoctors) {
  const Caller tech2 = loginAs("tech2");
  const Caller tech = loginAs("tech");
  const Caller doc2 = loginAs("doc2");
  const Caller doc = loginAs("doc");
  const Caller woman = loginAs("woman");
  const Caller l1 = loginAs("reader.l1");
  const std::string a = "/api/exams/" + kStudyA;
  const std::string b = "/api/exams/" + kStudyB;
  EXPECT_EQ(httpGet(port_, a, tech.headers).status, 200);
  EXPECT_EQ(httpGet(port_, a, tech2.headers).status, 403);
  EXPECT_EQ(httpGet(port_, b, tech2.headers).status, 200);
  EXPECT_EQ(httpGet(port_, b, tech.headers).status, 403);
  EXPECT_EQ(httpGet(port_, "/dicomweb/studies/" + kStudyB + "/metadata", l1.headers).status, 403);
  EXPECT_EQ(httpGet(port_, a, doc.headers).status, 200);
  EXPECT_EQ(httpGet(port_, a, doc2.headers).status, 403);
  EXPECT_EQ(httpGet(port_, b, doc.headers).status, 403);
  EXPECT_EQ(httpGet(port_, a, woman.headers).status, 200);
  EXPECT_EQ(httpGet(port_, b, woman.headers).status, 403);
  EXPECT_EQ(httpGet(port_, "/api/women/" + woman_b_ + "/exams", woman.headers).status, 403);
  EXPECT_EQ(httpGet(port_, "/api/women/" + woman_b_ + "/exams", doc.headers).status, 403);
  EXPECT_EQ(httpGet(port_, "/api/women/" + woman_b_ + "/exams", tech.headers).status, 403);
  EXPECT_EQ(httpGet(port_, "/api/women/" + woman_b_ + "/exams", tech2.headers).status, 200);
  EXPECT_EQ(httpGet(port_, "/api/cti?cim=CIM02", tech.headers).status, 403);
  EXPECT_EQ(httpGet(port_, "/api/sessions?reader=10000000003", loginAs("reader.l2").headers).status,
            403);
  auto r = httpGet(port_, b, tech.headers);
  EXPECT_NE(r.body.find("another imaging centre"), std::string::npos) << r.body;
}

TEST_F(AccessMatrixLiveTest, QidoOfACimBoundRoleIsConfinedToItsCentre) {
  const Caller tech = loginAs("tech");
  const Caller coord = loginAs("coord");
  auto uids = [&](const std::string& target, const HeaderList& h) {
    auto r = httpGet(port_, target, h);
    EXPECT_EQ(r.status, 200) << r.body;
    std::set<std::string> out;
    for (const auto& s : nlohmann::json::parse(r.body))
      out.insert(dicomValue(s, "0020000D").get<std::string>());
    return out;
  };
  EXPECT_EQ(uids("/dicomweb/studies", coord.headers), (std::set<std::string>{kStudyA, kStudyB}));
  EXPECT_EQ(uids("/dicomweb/studies", tech.headers), (std::set<std::string>{kStudyA}));
  // Neither a wildcard nor the tag form of the key widens the search.
  EXPECT_EQ(httpGet(port_, "/dicomweb/studies?00100021=*", tech.headers).status, 403);
  EXPECT_EQ(httpGet(port_, "/dicomweb/studies?00100021=CIM02", tech.headers).status, 403);
  EXPECT_EQ(uids("/dicomweb/studies?00100021=CIM01", tech.headers),
            (std::set<std::string>{kStudyA}));
  EXPECT_EQ(uids("/dicomweb/studies?PatientName=*", tech.headers),
            (std::set<std::string>{kStudyA}));
  EXPECT_EQ(httpGet(port_, "/dicomweb/studies?IssuerOfPatientID=CIM02", tech.headers).status, 403);
  auto series = httpGet(port_, "/dicomweb/series", tech.headers);
  ASSERT_EQ(series.status, 200);
  EXPECT_EQ(series.body.find(kStudyB), std::string::npos);
}

TEST_F(AccessMatrixLiveTest, AuditNamesTheAuthenticatedPrincipal) {
  const Caller tech = loginAs("tech");
  ASSERT_EQ(httpGet(port_, "/api/exams/" + kStudyA, tech.headers).status, 200);
  AuditQuery q;
  q.object_id = kStudyA;
  q.newest_first = true;
  auto events = audit_->query(q);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().actor, "tech");
  EXPECT_EQ(events.front().role, "technologist@CIM01");
  EXPECT_EQ(events.front().woman_id, woman_a_);
}

}  // namespace
TEST_F(AccessMatrixLiveTest, StowOfAnotherCentresImagesIsRefusedNothingStored) {
  ingest_->setAudit(audit_.get());  // as the hub wires it
  auto stowAs = [&](const Caller& who, const TestImage& t) {
    HeaderList h = who.headers;
    h.emplace_back("Content-Type",
                   "multipart/related; type=\"application/dicom\"; boundary=\"b-42\"");
    h.emplace_back("Accept", "application/dicom+json");
    return httpRequest(port_, "POST", "/dicomweb/studies", h,
                       multipartBody({dicomBytes(t)}, "b-42"));
  };
  TestImage other;  // a CIM02 image
  other.study_uid = "1.2.826.0.1.3680043.10.1011.77.9";
  other.series_uid = other.study_uid + ".0";
  other.sop_uid = other.study_uid + ".0.1";
  other.issuer = "CIM02";
  other.patient_id = "CIM02-000007";
  const int64_t before = index_->totals().instances;
  for (const char* login : {"tech", "gw.cim01", "reader.l1"}) {
    auto r = stowAs(loginAs(login), other);
    EXPECT_EQ(r.status, 409) << login << ": " << r.body;
    const auto body = nlohmann::json::parse(r.body);
    const auto& failed = body["00081198"]["Value"];
    ASSERT_EQ(failed.size(), 1u) << r.body;
    EXPECT_EQ(failed[0]["00081197"]["Value"][0], 0x0124) << login;
    EXPECT_NE(r.header("warning").find("not authorized"), std::string::npos) << r.header("warning");
  }
  EXPECT_EQ(index_->totals().instances, before);
  EXPECT_EQ(index_->totals().quarantined, 0);
  AuditQuery q;
  q.limit = 1000;
  std::vector<std::string> actors;
  for (const auto& e : audit_->query(q))
    if (e.action == "store.cim-refused") {
      actors.push_back(e.actor);
      EXPECT_NE(e.role.find("@CIM01"), std::string::npos) << e.role;
      EXPECT_EQ(e.object_id, other.sop_uid);
    }
  EXPECT_EQ(actors, (std::vector<std::string>{"tech", "gw.cim01", "reader.l1"}));
  // The centre's own image goes through, and one without issuer becomes the sender's centre's.
  TestImage own = other;
  own.issuer = "CIM01";
  own.patient_id = "CIM01-000042";
  EXPECT_EQ(stowAs(loginAs("tech"), own).status, 200);
  TestImage bare = own;
  bare.study_uid = own.study_uid + "1";
  bare.series_uid = bare.study_uid + ".0";
  bare.sop_uid = bare.study_uid + ".0.1";
  bare.issuer = "";
  EXPECT_EQ(stowAs(loginAs("gw.cim01"), bare).status, 200);
  StudyRow st;
  ASSERT_TRUE(index_->getStudy(bare.study_uid, st));
  EXPECT_EQ(st.patient.issuer, "CIM01");
  // The regional centre's secretary may not STOW at all (matrix), so no unbound sender here.
}

}  // namespace dualread::testing
