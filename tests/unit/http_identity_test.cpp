// The identity queue's REST API over a running HttpServer: list, side-by-side view, resolve,
// woman, merge / undo, their refusals (400/404/409/503) and the audit of every read.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "http_test_fixture.h"
#include "identity_wiring.h"

namespace dualread::testing {
namespace {

using nlohmann::json;

constexpr const char* kIns = "265037512345601";

class HttpIdentityTest : public HttpTest {
 protected:
  void SetUp() override {
    HttpTest::SetUp();
    identity_.wire(dir_, *index_, *ingest_, *workflow_, *audit_, *services_);
  }
  void TearDown() override {
    if (server_) server_->stop();
    identity_.reset(*ingest_, *workflow_, *services_);
    HttpTest::TearDown();
  }
  TestImage image(const std::string& study, const std::string& name, const std::string& birth,
                  int n) {
    TestImage t;
    t.study_uid = study;
    t.series_uid = study + "." + std::to_string(n);
    t.sop_uid = t.series_uid + ".1";
    t.patient_name = name;
    t.birth_date = birth;
    t.ins = kIns;
    t.seed = static_cast<uint16_t>(n);
    return t;
  }
  ClientResponse put(const std::string& target, const std::string& body) {
    return httpRequest(port_, "PUT", target,
                       {{"Content-Type", "application/json"}, {"Accept", "application/json"}},
                       body);
  }
  ClientResponse post(const std::string& target, const std::string& body) {
    return httpRequest(port_, "POST", target,
                       {{"Content-Type", "application/json"}, {"Accept", "application/json"}},
                       body);
  }
  IdentityWiring identity_;
};

TEST_F(HttpIdentityTest, QueueViewResolveAndRefusals) {
  ASSERT_EQ(stow({dicomBytes(image("1.2.9.1", "MARTIN^CLAIRE", "19650301", 1))}).status, 200);
  ASSERT_EQ(stow({dicomBytes(image("1.2.9.2", "MARTNI^CLAIRE", "19650301", 2))}).status, 200);
  json list = getJson("/api/identity/cases");
  ASSERT_EQ(list["total"], 1) << list.dump();
  const int64_t id = list["items"][0]["id"];
  EXPECT_EQ(list["items"][0]["reason"], "possible-typo");
  const int64_t woman = list["items"][0]["candidates"][0];

  json view = getJson("/api/identity/cases/" + std::to_string(id));
  ASSERT_EQ(view["candidates"].size(), 1u);
  std::map<std::string, std::string> match;
  for (const auto& f : view["candidates"][0]["fields"]) match[f["field"]] = f["match"];
  EXPECT_EQ(match["family_name"], "near");
  EXPECT_EQ(match["birth_date"], "same");
  EXPECT_EQ(match["ins"], "same");
  EXPECT_EQ(view["case"]["incoming"]["family_name"], "MARTNI");

  // Bad requests, each with a sentence.
  EXPECT_EQ(httpGet(port_, "/api/identity/cases?status=maybe").status, 400);
  EXPECT_EQ(httpGet(port_, "/api/identity/cases?colour=red").status, 400);
  EXPECT_EQ(httpGet(port_, "/api/identity/cases/abc").status, 400);
  EXPECT_EQ(httpGet(port_, "/api/identity/cases/999").status, 404);
  EXPECT_EQ(httpGet(port_, "/api/identity/women/999").status, 404);
  const std::string target = "/api/identity/cases/" + std::to_string(id) + "/resolve";
  auto r = post(target, R"({"action":"attach","woman_id":)" + std::to_string(woman) + "}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("why"), std::string::npos);
  EXPECT_EQ(post(target, R"({"action":"guess","why":"x"})").status, 400);
  EXPECT_EQ(post(target, "not json").status, 400);
  EXPECT_EQ(post(target, R"({"action":"attach","woman_id":999,"why":"x"})").status, 404);
  EXPECT_EQ(post("/api/identity/cases/999/resolve", R"({"action":"create","why":"x"})").status,
            404);
  EXPECT_EQ(getJson("/api/identity/cases")["total"], 1) << "refusals changed nothing";

  r = post(target, R"({"action":"attach","woman_id":)" + std::to_string(woman) +
                       R"(,"why":"typo in the family name at CIM01"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parseBody(r)["case"]["status"], "resolved");
  EXPECT_EQ(post(target, R"({"action":"create","why":"x"})").status, 409);
  EXPECT_EQ(getJson("/api/identity/cases")["total"], 0);
  EXPECT_EQ(getJson("/api/identity/cases?status=resolved")["total"], 1);
  EXPECT_EQ(getJson("/api/exams/1.2.9.2")["woman"]["id"], woman);

  json w = getJson("/api/identity/women/" + std::to_string(woman));
  EXPECT_EQ(w["status"], "verified");
  EXPECT_EQ(w["used_names"], json::array()) << "a typo is not recorded as a name";

  // Every read and the resolution are in her audit trail.
  json audit = getJson("/api/audit?woman=" + std::to_string(woman) + "&limit=100");
  std::set<std::string> actions;
  for (const auto& e : audit["entries"]) actions.insert(e["action"].get<std::string>());
  EXPECT_TRUE(actions.count("read-identity-case"));
  EXPECT_TRUE(actions.count("read-identity"));
  EXPECT_TRUE(actions.count("identity-resolve"));
}

TEST_F(HttpIdentityTest, MergeAndUndoOverHttp) {
  ASSERT_EQ(stow({dicomBytes(image("1.2.9.1", "MARTIN^CLAIRE", "19650301", 1))}).status, 200);
  TestImage other = image("1.2.9.3", "ROBERT^ANNE", "19700101", 3);
  other.ins = "";
  other.patient_id = "CIM03-9";
  other.issuer = "CIM03";
  ASSERT_EQ(stow({dicomBytes(other)}).status, 200);
  const int64_t a = getJson("/api/exams/1.2.9.1")["woman"]["id"];
  const int64_t b = getJson("/api/exams/1.2.9.3")["woman"]["id"];
  EXPECT_EQ(post("/api/identity/merges", R"({"survivor":1})").status, 400);
  auto r = post("/api/identity/merges", "{\"survivor\":" + std::to_string(a) +
                                            ",\"absorbed\":" + std::to_string(b) +
                                            ",\"why\":\"same woman, RIS duplicate\"}");
  ASSERT_EQ(r.status, 200) << r.body;
  const int64_t m = parseBody(r)["id"];
  EXPECT_EQ(getJson("/api/exams/1.2.9.3")["woman"]["id"], a);
  EXPECT_EQ(getJson("/api/identity/merges/" + std::to_string(m))["in_force"], true);
  EXPECT_EQ(getJson("/api/identity/women/" + std::to_string(b))["merged_into"], a);
  EXPECT_EQ(post("/api/identity/merges/" + std::to_string(m) + "/undo", "{}").status, 400);
  r = post("/api/identity/merges/" + std::to_string(m) + "/undo", R"({"why":"two women"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parseBody(r)["in_force"], false);
  EXPECT_EQ(getJson("/api/exams/1.2.9.3")["woman"]["id"], b);
  EXPECT_EQ(post("/api/identity/merges/" + std::to_string(m) + "/undo", R"({"why":"x"})").status,
            409);
  EXPECT_EQ(httpGet(port_, "/api/identity/merges/77").status, 404);
}

TEST_F(HttpIdentityTest, CorrectAWomanOverHttpThenUndo) {
  // The first study carried a typo; the right name queues.
  ASSERT_EQ(stow({dicomBytes(image("1.2.9.1", "MARTNI^CLAIRE", "19650301", 1))}).status, 200);
  ASSERT_EQ(stow({dicomBytes(image("1.2.9.2", "MARTIN^CLAIRE", "19650301", 2))}).status, 200);
  const int64_t woman = getJson("/api/exams/1.2.9.1")["woman"]["id"];
  const std::string target = "/api/identity/women/" + std::to_string(woman);
  json body = getJson(target);
  for (const char* k : {"id", "ipps", "merged_into", "merges", "corrections", "ins_oid"})
    body.erase(k);
  body["birth_name"] = "MARTIN";

  // Refusals: each names its field; nothing changes.
  json bad = body;
  bad["ins"] = "265037512345602";
  bad["sex"] = "X";
  bad["why"] = "card";
  auto r = put(target, bad.dump());
  EXPECT_EQ(r.status, 400);
  std::set<std::string> fields;
  const json refused = parseBody(r);
  for (const auto& e : refused["errors"]) fields.insert(e["field"].get<std::string>());
  EXPECT_EQ(fields, (std::set<std::string>{"ins", "sex"})) << r.body;
  EXPECT_EQ(put(target, body.dump()).status, 400) << "no why";
  EXPECT_EQ(put(target, "not json").status, 400);
  EXPECT_EQ(put("/api/identity/women/999", body.dump()).status, 404);
  EXPECT_EQ(put("/api/identity/women/abc", body.dump()).status, 400);
  EXPECT_EQ(getJson(target)["birth_name"], "MARTNI");

  body["why"] = "checked against her identity card";
  r = put(target, body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json answer = parseBody(r);
  EXPECT_EQ(answer["woman"]["birth_name"], "MARTIN");
  ASSERT_EQ(answer["reassessed"].size(), 1u);
  EXPECT_EQ(answer["reassessed"][0]["outcome"], "attach");
  json cases = getJson("/api/identity/cases");
  ASSERT_EQ(cases["total"], 1) << "the case stays for a human";
  EXPECT_EQ(cases["items"][0]["reassessment"]["woman_id"], woman);
  json her = getJson(target);
  ASSERT_EQ(her["corrections"].size(), 1u);
  const int64_t c = her["corrections"][0]["id"];
  EXPECT_EQ(her["corrections"][0]["before"]["birth_name"], "MARTNI");

  const std::string undo = target + "/corrections/" + std::to_string(c) + "/undo";
  EXPECT_EQ(post(undo, "{}").status, 400);
  EXPECT_EQ(post(target + "/corrections/999/undo", R"({"why":"x"})").status, 404);
  r = post(undo, R"({"why":"typed on the wrong woman"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parseBody(r)["woman"]["birth_name"], "MARTNI");
  EXPECT_EQ(post(undo, R"({"why":"again"})").status, 409);

  json audit = getJson("/api/audit?woman=" + std::to_string(woman) + "&limit=100");
  std::set<std::string> actions;
  for (const auto& e : audit["entries"]) actions.insert(e["action"].get<std::string>());
  EXPECT_TRUE(actions.count("identity-correct"));
  EXPECT_TRUE(actions.count("identity-correct-undo"));
}

TEST_F(HttpIdentityTest, ACorrectionIntoAnotherWomanIs409WithAProposedMerge) {
  ASSERT_EQ(stow({dicomBytes(image("1.2.9.1", "MARTIN^CLAIRE", "19650301", 1))}).status, 200);
  TestImage other = image("1.2.9.3", "ROBERT^ANNE", "19700101", 3);
  other.ins = "";
  other.patient_id = "CIM03-9";
  other.issuer = "CIM03";
  ASSERT_EQ(stow({dicomBytes(other)}).status, 200);
  const int64_t a = getJson("/api/exams/1.2.9.1")["woman"]["id"];
  const int64_t b = getJson("/api/exams/1.2.9.3")["woman"]["id"];
  const json body = {{"birth_name", "MARTIN"},
                     {"first_names", "CLAIRE"},
                     {"used_names", json::array()},
                     {"birth_date", "1965-03-01"},
                     {"sex", "F"},
                     {"birth_place", ""},
                     {"ins", ""},
                     {"status", "provisional"},
                     {"why", "RIS duplicate?"}};
  auto r = put("/api/identity/women/" + std::to_string(b), body.dump());
  ASSERT_EQ(r.status, 409) << r.body;
  const json j = parseBody(r);
  EXPECT_EQ(j["proposed_merge"]["survivor"], a);
  EXPECT_EQ(j["proposed_merge"]["absorbed"], b);
  EXPECT_NE(j["error"].get<std::string>().find("merge"), std::string::npos);
  EXPECT_EQ(getJson("/api/identity/women/" + std::to_string(b))["birth_name"], "ROBERT");
}

TEST_F(HttpIdentityTest, WithoutIdentityVigilanceTheRoutesAnswer503) {
  identity_.reset(*ingest_, *workflow_, *services_);
  EXPECT_EQ(httpGet(port_, "/api/identity/cases").status, 503);
  EXPECT_EQ(post("/api/identity/merges", "{}").status, 503);
  EXPECT_EQ(put("/api/identity/women/1", "{}").status, 503);
  EXPECT_EQ(post("/api/identity/women/1/corrections/1/undo", "{}").status, 503);
}

}  // namespace
}  // namespace dualread::testing
