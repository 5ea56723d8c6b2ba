#pragma once
// AccessHttpTest: a hub HTTP server with access control on (not --open): an AccessService with
// fast password hashing and a settable clock, one account per role (CIM-bound ones at CIM01),
// two stored studies (woman A at CIM01, who named the doctor; woman B at CIM02), and helpers
// to log in and call routes as a role. Not thread-safe itself.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "http/access_gate.h"
#include "http_test_fixture.h"
#include "services/access_service.h"
#include "services/account_admin.h"

namespace dualread::testing {

inline const char* kTestPassword = "correct horse battery";

struct Caller {
  HeaderList headers;  // Cookie + X-CSRF-Token, or Authorization
  std::string csrf;
  std::string cookie;
};

class AccessHttpTest : public HttpTest {
 protected:
  void configure(HubConfig& c) override {
    c.open = false;
    c.access.password_cost = "minimum";
    c.access.login_attempts_per_minute = 100000;
    configureAccess(c);
  }
  virtual void configureAccess(HubConfig&) {}

  void SetUp() override {
    HubFixture::SetUp();
    access_ = std::make_unique<AccessService>((dir_ / "index.sqlite").string(), config_.access,
                                              [this] { return now_.load(); });
    access_->setAudit(audit_.get());
    access_->setBirthDateLookup([this](const std::string& w) -> std::optional<std::string> {
      WomanRow row;
      if (!index_->getWoman(std::stoll(w), row)) return std::nullopt;
      return row.birth_date;
    });
    services_->access = access_.get();
    accounts_ = std::make_unique<AccountAdmin>(*access_, audit_.get());
    services_->accounts = accounts_.get();
    addAccounts();
    storeStudies();
    server_ = std::make_unique<HttpServer>(*services_);
    server_->start();
    port_ = server_->port();
  }
  void TearDown() override {
    if (server_) server_->stop();
    server_.reset();
    services_->accounts = nullptr;
    services_->access = nullptr;
    accounts_.reset();
    access_.reset();
    HubFixture::TearDown();
  }

  void addUser(const std::string& login, Role role, std::vector<std::string> cims = {},
               std::string rpps = {}) {
    NewUser u;
    u.login = login;
    u.role = role;
    u.cims = std::move(cims);
    u.rpps = std::move(rpps);
    if (role != Role::kGateway) u.password = kTestPassword;
    access_->addUser(u);
  }

  void addAccounts() {
    addUser("admin", Role::kAdministrator);
    addUser("coord", Role::kCoordinator);
    addUser("sec", Role::kSecretary);
    addUser("reader.l2", Role::kL2Radiologist, {}, "10000000002");
    addUser("reader.l1", Role::kL1Radiologist, {"CIM01"}, "10000000001");
    addUser("tech", Role::kTechnologist, {"CIM01"});
    addUser("gw.cim01", Role::kGateway, {"CIM01"});
    addUser("doc", Role::kDoctor, {}, "10000000009");
    addUser("tech2", Role::kTechnologist, {"CIM02"});
    addUser("doc2", Role::kDoctor, {}, "10000000008");
    gateway_token_ = access_->addToken("gw.cim01");
  }

  // Woman A (CIM01, named doc) and woman B (CIM02), one image each.
  void storeStudies() {
    TestImage a;
    a.study_uid = kStudyA;
    a.series_uid = kStudyA + ".0";
    a.sop_uid = kStudyA + ".0.1";
    ASSERT_TRUE(ingest_->ingestBytes(dicomBytes(a), {"TEST", "UNIT", ""}).ok());
    TestImage b;
    b.study_uid = kStudyB;
    b.series_uid = kStudyB + ".0";
    b.sop_uid = kStudyB + ".0.1";
    b.issuer = "CIM02";
    b.patient_id = "CIM02-000007";
    b.patient_name = "DURAND^ANNE";
    b.birth_date = "19600203";
    b.ins = "260027512345612";
    ASSERT_TRUE(ingest_->ingestBytes(dicomBytes(b), {"TEST", "UNIT", ""}).ok());
    StudyRow s;
    ASSERT_TRUE(index_->getStudy(kStudyA, s));
    ASSERT_TRUE(s.patient.woman_id.has_value()) << "the test image should identify its woman";
    woman_a_ = std::to_string(*s.patient.woman_id);
    ASSERT_TRUE(index_->getStudy(kStudyB, s));
    ASSERT_TRUE(s.patient.woman_id.has_value());
    woman_b_ = std::to_string(*s.patient.woman_id);
    access_->store().setNamedDoctors(woman_a_, {{woman_a_, "10000000009", "Dr Test"}});
  }

  // Logs in (password or portal) and returns the session's headers.
  Caller loginAs(const std::string& login) {
    Caller c;
    if (login == "gw.cim01") {
      c.headers = {{"Authorization", "Bearer " + gateway_token_}};
      return c;
    }
    ClientResponse r;
    if (login == "woman") {
      const std::string code = access_->issueWomanCode(woman_a_, "2026");
      r = httpRequest(port_, "POST", "/api/portal/login", {{"Content-Type", "application/json"}},
                      nlohmann::json({{"code", code}, {"birth_date", "1965-04-12"}}).dump());
    } else {
      r = httpRequest(port_, "POST", "/api/auth/login", {{"Content-Type", "application/json"}},
                      nlohmann::json({{"login", login}, {"password", kTestPassword}}).dump());
    }
    EXPECT_EQ(r.status, 200) << login << ": " << r.body;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    c.csrf = j.value("csrf_token", "");
    c.cookie = sessionFromSetCookie(r.header("set-cookie"));
    c.headers = {{"Cookie", std::string(http::kSessionCookie) + "=" + c.cookie},
                 {"X-CSRF-Token", c.csrf}};
    return c;
  }

  static std::string sessionFromSetCookie(const std::string& set_cookie) {
    const std::string prefix = std::string(http::kSessionCookie) + "=";
    if (set_cookie.rfind(prefix, 0) != 0) return {};
    return set_cookie.substr(prefix.size(), set_cookie.find(';') - prefix.size());
  }

  const std::string kStudyA = "1.2.826.0.1.3680043.10.1011.77.1";
  const std::string kStudyB = "1.2.826.0.1.3680043.10.1011.77.2";
  std::string woman_a_, woman_b_;
  std::string gateway_token_;
  std::atomic<int64_t> now_{1'790'000'000};
  std::unique_ptr<AccessService> access_;
  std::unique_ptr<AccountAdmin> accounts_;
};

}  // namespace dualread::testing
