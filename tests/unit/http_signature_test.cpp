// The L1 form's signature with access control on (issue 6): the signer is the logged-in
// account (its RPPS and display name), a body naming another radiologist is 403 and audited,
// "authenticated": true is recorded; an L2 radiologist cannot read another reader's session.

#include <gtest/gtest.h>

#include "access_fixture.h"
#include "services/reading_form_json.h"
#include "workflow_test_data.h"

namespace dualread::testing {
namespace {

using nlohmann::json;
namespace td = dualread::testdata;

class HttpSignatureTest : public AccessHttpTest {
 protected:
  void SetUp() override {
    AccessHttpTest::SetUp();
    NewUser u;
    u.login = "reader.l1b";
    u.role = Role::kL1Radiologist;
    u.cims = {"CIM01"};
    u.rpps = "10000000011";
    u.password = kTestPassword;
    access_->addUser(u);
    // reader.l1 (RPPS td::kL1Rpps) is the form's radiologist; give her account a name.
    NewUser named;
    named.login = "reader.l1n";
    named.role = Role::kL1Radiologist;
    named.cims = {"CIM01"};
    named.rpps = td::kL1Rpps;
    named.display_name = "Dr Claire Lune";
    named.password = kTestPassword;
    access_->addUser(named);
  }
  static json form() { return toJson(td::formToSign()); }
  ClientResponse call(const Caller& c, const std::string& method, const std::string& target,
                      const json& body) {
    HeaderList h = c.headers;
    if (method == "GET") return httpRequest(port_, method, target, h, "");
    h.push_back({"Content-Type", "application/json"});
    return httpRequest(port_, method, target, h, body.dump());
  }
  std::string exam() { return "/api/exams/" + kStudyA; }
  bool audited(const std::string& action, const std::string& actor) {
    AuditQuery q;
    q.actor = actor;
    q.limit = 1000;
    for (const auto& e : audit_->query(q))
      if (e.action == action) return true;
    return false;
  }
};

TEST_F(HttpSignatureTest, AnotherRadiologistsNameIs403AndAudited) {
  const Caller l1 = loginAs("reader.l1");
  ASSERT_EQ(call(l1, "PUT", exam() + "/l1-form", form()).status, 200);
  const Caller other = loginAs("reader.l1b");
  auto r = call(other, "POST", exam() + "/l1-form/sign",
                {{"signer", {{"name", "Dr L1"}, {"rpps", td::kL1Rpps}}}});
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("cannot sign in the name of RPPS"), std::string::npos) << r.body;
  EXPECT_TRUE(audited("l1-sign-refused", "reader.l1b"));
  auto wf = json::parse(call(l1, "GET", exam() + "/workflow", nullptr).body, nullptr, false);
  EXPECT_TRUE(wf["l1_signature"].is_null()) << wf.dump();
}

TEST_F(HttpSignatureTest, TheAccountSignsAndAuthenticatedIsRecorded) {
  const Caller l1 = loginAs("reader.l1n");
  ASSERT_EQ(call(l1, "PUT", exam() + "/l1-form", form()).status, 200);
  auto r = call(l1, "POST", exam() + "/l1-form/sign", json::object());
  ASSERT_EQ(r.status, 200) << r.body;
  const json sig = json::parse(r.body)["l1_signature"];
  EXPECT_EQ(sig["authenticated"], true);
  EXPECT_EQ(sig["signer"]["rpps"], td::kL1Rpps);
  EXPECT_EQ(sig["signer"]["name"], "Dr Claire Lune") << "the account's name, not the body's";
}

}  // namespace
}  // namespace dualread::testing
