// AccessService and AccessStore: argon2id accounts, lockout, rate limit, TOTP (RFC 6238 test
// vectors), sessions (rotation, idle and absolute expiry), bearer tokens, women's access codes,
// share links, and what is (not) stored in clear.

#include "services/access_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "hub_fixture.h"
#include "index/sqlite.h"
#include "services/totp.h"

namespace dualread::testing {
namespace {

class AccessServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir("dualread-access");
    settings_.password_cost = "minimum";
    settings_.max_failed_logins = 3;
    settings_.lockout_minutes = 15;
    settings_.login_attempts_per_minute = 1000;
    open();
  }
  void TearDown() override {
    svc_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void open() {
    svc_.reset();
    svc_ = std::make_unique<AccessService>((dir_ / "index.sqlite").string(), settings_,
                                           [this] { return now_.load(); });
    svc_->setBirthDateLookup([](const std::string& w) -> std::optional<std::string> {
      if (w == "42") return std::string("19650412");
      return std::nullopt;
    });
  }
  void addSecretary(bool totp = false) {
    NewUser u;
    u.login = "claire.sec";
    u.role = Role::kSecretary;
    u.password = "a long enough secret";
    u.totp = totp;
    totp_ = svc_->addUser(u);
  }
  // Every text cell of the access tables, to prove secrets are not stored in clear.
  std::string dumpTables() {
    SqliteDb db((dir_ / "index.sqlite").string(), true);
    std::string all;
    for (const char* t : {"access_users", "access_tokens", "access_sessions", "access_woman_codes",
                          "access_share_links"}) {
      auto st = db.prepare(std::string("SELECT * FROM ") + t);
      const int columns = 12;  // at least every column of these tables; beyond reads ""
      while (st.step())
        for (int i = 0; i < columns; ++i) all += st.text(i) + "|";
    }
    return all;
  }

  std::filesystem::path dir_;
  AccessSettings settings_;
  std::atomic<int64_t> now_{1'790'000'000};
  std::unique_ptr<AccessService> svc_;
  std::optional<std::string> totp_;
};

TEST_F(AccessServiceTest, AccountsAreValidatedWithASentence) {
  NewUser u;
  u.login = "Bad Login";
  u.role = Role::kSecretary;
  u.password = "a long enough secret";
  EXPECT_THROW(svc_->addUser(u), AccessError);
  u.login = "tech.cim01";
  u.role = Role::kTechnologist;
  try {
    svc_->addUser(u);
    FAIL() << "a technologist without CIM was accepted";
  } catch (const AccessError& e) {
    EXPECT_NE(std::string(e.what()).find("imaging centre"), std::string::npos);
  }
  u.cims = {"CIM01"};
  u.password = "short";
  EXPECT_THROW(svc_->addUser(u), AccessError);
  u.password = "a long enough secret";
  EXPECT_NO_THROW(svc_->addUser(u));
  EXPECT_THROW(svc_->addUser(u), AccessError);  // login taken
  NewUser d;
  d.login = "dr.house";
  d.role = Role::kDoctor;
  d.password = "a long enough secret";
  EXPECT_THROW(svc_->addUser(d), AccessError);  // no RPPS
  d.rpps = "123";
  EXPECT_THROW(svc_->addUser(d), AccessError);  // not 11 digits
  d.rpps = "10000000009";
  EXPECT_NO_THROW(svc_->addUser(d));
  NewUser w;
  w.login = "woman.one";
  w.role = Role::kWoman;
  w.password = "a long enough secret";
  EXPECT_THROW(svc_->addUser(w), AccessError);  // women use access codes
  EXPECT_EQ(svc_->users().size(), 2u);
}

TEST_F(AccessServiceTest, PasswordsAreArgon2idAndNeverStoredInClear) {
  addSecretary();
  auto u = svc_->store().user("claire.sec");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->password_hash.rfind("$argon2id$", 0), 0u) << u->password_hash;
  EXPECT_EQ(dumpTables().find("a long enough secret"), std::string::npos);
  EXPECT_EQ(svc_->login("claire.sec", "a long enough secret", "", "127.0.0.1:1").status,
            LoginStatus::kOk);
  EXPECT_EQ(svc_->login("claire.sec", "wrong", "", "127.0.0.1:1").status,
            LoginStatus::kBadCredentials);
  EXPECT_EQ(svc_->login("nobody", "a long enough secret", "", "127.0.0.1:1").status,
            LoginStatus::kBadCredentials);
}

TEST_F(AccessServiceTest, LockoutAfterFailuresThenUnlocksWithTime) {
  addSecretary();
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(svc_->login("claire.sec", "wrong", "", "10.0.0.1:1").status,
              LoginStatus::kBadCredentials);
  auto third = svc_->login("claire.sec", "wrong", "", "10.0.0.1:1");
  EXPECT_EQ(third.status, LoginStatus::kLocked);
  EXPECT_EQ(third.retry_after_seconds, 15 * 60);
  // Even the right password is refused while locked (brute force gains nothing).
  EXPECT_EQ(svc_->login("claire.sec", "a long enough secret", "", "10.0.0.1:1").status,
            LoginStatus::kLocked);
  now_ += 15 * 60 + 1;
  EXPECT_EQ(svc_->login("claire.sec", "a long enough secret", "", "10.0.0.1:1").status,
            LoginStatus::kOk);
  // A success resets the counter.
  EXPECT_EQ(svc_->store().user("claire.sec")->failed_logins, 0);
}

TEST_F(AccessServiceTest, RateLimitPerAddress) {
  settings_.login_attempts_per_minute = 5;
  open();
  addSecretary();
  for (int i = 0; i < 5; ++i)
    EXPECT_NE(svc_->login("nobody", "x", "", "192.0.2.9:" + std::to_string(i)).status,
              LoginStatus::kRateLimited);
  auto r = svc_->login("claire.sec", "a long enough secret", "", "192.0.2.9:77");
  EXPECT_EQ(r.status, LoginStatus::kRateLimited);
  EXPECT_GT(r.retry_after_seconds, 0);
  // Another address is not affected; the next minute is a new window.
  EXPECT_EQ(svc_->login("claire.sec", "a long enough secret", "", "192.0.2.10:1").status,
            LoginStatus::kOk);
  now_ += 60;
  EXPECT_EQ(svc_->login("claire.sec", "a long enough secret", "", "192.0.2.9:1").status,
            LoginStatus::kOk);
}

TEST(TotpTest, Rfc6238Sha1Vectors) {
  // RFC 6238 appendix B, SHA-1 key "12345678901234567890", 8 digits there; 6 digits = the last
  // six of each vector.
  const std::string key = base32Encode("12345678901234567890");
  EXPECT_EQ(*totpCode(key, 59), "287082");
  EXPECT_EQ(*totpCode(key, 1111111109), "081804");
  EXPECT_EQ(*totpCode(key, 1111111111), "050471");
  EXPECT_EQ(*totpCode(key, 1234567890), "005924");
  EXPECT_EQ(*totpCode(key, 2000000000), "279037");
  EXPECT_EQ(*totpCode(key, 20000000000), "353130");
  EXPECT_EQ(base32Decode(key), std::string("12345678901234567890"));
  EXPECT_FALSE(base32Decode("not base32!"));
}

TEST_F(AccessServiceTest, TotpIsRequiredOnceEnabledAndCannotBeReplayed) {
  addSecretary(true);
  ASSERT_TRUE(totp_);
  const std::string pw = "a long enough secret";
  EXPECT_EQ(svc_->login("claire.sec", pw, "", "127.0.0.1:1").status, LoginStatus::kBadCredentials);
  EXPECT_EQ(svc_->login("claire.sec", pw, "000000", "127.0.0.1:1").status == LoginStatus::kOk,
            *totpCode(*totp_, now_) == "000000");
  const std::string code = *totpCode(*totp_, now_);
  EXPECT_EQ(svc_->login("claire.sec", pw, code, "127.0.0.1:1").status, LoginStatus::kOk);
  EXPECT_EQ(svc_->login("claire.sec", pw, code, "127.0.0.1:1").status, LoginStatus::kBadCredentials)
      << "a TOTP code was accepted twice";
  now_ += 30;
  EXPECT_EQ(svc_->login("claire.sec", pw, *totpCode(*totp_, now_), "127.0.0.1:1").status,
            LoginStatus::kOk);
}

TEST_F(AccessServiceTest, SessionsRotateExpireAndAreStoredHashed) {
  settings_.session_idle_minutes = 30;
  settings_.session_max_hours = 2;
  open();
  addSecretary();
  const std::string pw = "a long enough secret";
  auto first = svc_->login("claire.sec", pw, "", "127.0.0.1:1");
  ASSERT_EQ(first.status, LoginStatus::kOk);
  ASSERT_TRUE(svc_->sessionPrincipal(first.session_id));
  EXPECT_EQ(svc_->sessionPrincipal(first.session_id)->role, Role::kSecretary);
  EXPECT_EQ(dumpTables().find(first.session_id), std::string::npos);
  // Logging in again with the old cookie ends it: a new id every login (no fixation).
  auto second = svc_->login("claire.sec", pw, "", "127.0.0.1:1", first.session_id);
  ASSERT_EQ(second.status, LoginStatus::kOk);
  EXPECT_NE(second.session_id, first.session_id);
  EXPECT_FALSE(svc_->sessionPrincipal(first.session_id));
  EXPECT_NE(second.principal->csrf_token, first.principal->csrf_token);
  // Idle expiry.
  now_ += 29 * 60;
  ASSERT_TRUE(svc_->sessionPrincipal(second.session_id));
  now_ += 29 * 60;
  ASSERT_TRUE(svc_->sessionPrincipal(second.session_id));
  now_ += 31 * 60;
  EXPECT_FALSE(svc_->sessionPrincipal(second.session_id)) << "idle session still valid";
  // Absolute expiry even when used.
  auto third = svc_->login("claire.sec", pw, "", "127.0.0.1:1");
  for (int i = 0; i < 5; ++i) {
    now_ += 25 * 60;
    if (i < 4) {
      EXPECT_TRUE(svc_->sessionPrincipal(third.session_id)) << i;
    }
  }
  EXPECT_FALSE(svc_->sessionPrincipal(third.session_id)) << "session outlived session_max_hours";
  EXPECT_FALSE(svc_->sessionPrincipal("forged-session-id"));
}

TEST_F(AccessServiceTest, GatewayTokensAreShownOnceAndStoredHashed) {
  NewUser g;
  g.login = "gw.cim01";
  g.role = Role::kGateway;
  g.cims = {"CIM01"};
  svc_->addUser(g);
  const std::string token = svc_->addToken("gw.cim01");
  EXPECT_GE(token.size(), 40u);
  auto p = svc_->tokenPrincipal(token);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->role, Role::kGateway);
  EXPECT_EQ(p->cims, std::vector<std::string>{"CIM01"});
  EXPECT_FALSE(svc_->tokenPrincipal(token + "x"));
  EXPECT_EQ(dumpTables().find(token), std::string::npos);
  addSecretary();
  EXPECT_THROW(svc_->addToken("claire.sec"), AccessError);  // not a gateway
  g.password = "a long enough secret";
  g.login = "gw2.cim01";
  EXPECT_THROW(svc_->addUser(g), AccessError);  // gateways have no password
}

TEST_F(AccessServiceTest, WomanCodesAreTypableExpiringOnePerRound) {
  const std::string code = svc_->issueWomanCode("42", "2026");
  ASSERT_EQ(code.size(), 19u);
  for (size_t i = 0; i < code.size(); ++i) {
    if (i % 5 == 4) {
      EXPECT_EQ(code[i], '-');
      continue;
    }
    EXPECT_EQ(std::string("0O1IL").find(code[i]), std::string::npos) << code;
  }
  EXPECT_EQ(dumpTables().find(normaliseAccessCode(code)), std::string::npos);
  // Typed in lower case, without dashes: accepted; the wrong birth date is not.
  std::string typed;
  for (char c : code)
    if (c != '-') typed += static_cast<char>(std::tolower(c));
  EXPECT_EQ(svc_->portalLogin(typed, "1965-04-12", "127.0.0.1:1").status, LoginStatus::kOk);
  EXPECT_EQ(svc_->portalLogin(code, "1965-04-13", "127.0.0.1:1").status,
            LoginStatus::kBadCredentials);
  auto ok = svc_->portalLogin(code, "19650412", "127.0.0.1:1");
  ASSERT_EQ(ok.status, LoginStatus::kOk);
  EXPECT_EQ(ok.principal->role, Role::kWoman);
  EXPECT_EQ(ok.principal->woman_id, "42");
  // A new code for the same round replaces the old one.
  const std::string again = svc_->issueWomanCode("42", "2026");
  EXPECT_EQ(svc_->portalLogin(code, "1965-04-12", "127.0.0.1:1").status,
            LoginStatus::kBadCredentials);
  EXPECT_EQ(svc_->portalLogin(again, "1965-04-12", "127.0.0.1:1").status, LoginStatus::kOk);
  // Expiry.
  now_ += int64_t{settings_.woman_code_valid_days} * 86400 + 1;
  EXPECT_EQ(svc_->portalLogin(again, "1965-04-12", "127.0.0.1:1").status,
            LoginStatus::kBadCredentials);
}

TEST_F(AccessServiceTest, ShareLinksExpireCanBeRevokedAndCountUses) {
  auto link = svc_->createShareLink("1.2.3", "42", "coord", 2);
  EXPECT_EQ(dumpTables().find(link.token), std::string::npos);
  auto used = svc_->useShareLink(link.token);
  ASSERT_TRUE(used);
  EXPECT_EQ(used->study_uid, "1.2.3");
  EXPECT_EQ(used->uses, 1);
  now_ += 2 * 3600;
  EXPECT_FALSE(svc_->useShareLink(link.token)) << "expired link still works";
  auto other = svc_->createShareLink("1.2.3", "42", "coord", 24);
  ASSERT_TRUE(svc_->useShareLink(other.token));
  EXPECT_TRUE(svc_->revokeShareLink(other.row.id));
  EXPECT_FALSE(svc_->revokeShareLink(other.row.id));
  EXPECT_FALSE(svc_->useShareLink(other.token)) << "revoked link still works";
  EXPECT_THROW(svc_->createShareLink("1.2.3", "42", "coord", 0), AccessError);
  EXPECT_THROW(svc_->createShareLink("1.2.3", "42", "coord", 24 * 365), AccessError);
  EXPECT_EQ(svc_->shareLinks("1.2.3").size(), 2u);
}

TEST_F(AccessServiceTest, StoreSurvivesReopening) {
  addSecretary();
  NewUser d;
  d.login = "dr.one";
  d.role = Role::kDoctor;
  d.rpps = "10000000009";
  d.password = "a long enough secret";
  svc_->addUser(d);
  svc_->store().setNamedDoctors("42", {{"42", "10000000009", "Dr One"}});
  open();
  EXPECT_EQ(svc_->users().size(), 2u);
  EXPECT_TRUE(svc_->store().womanNamedDoctor("42", "10000000009"));
  EXPECT_FALSE(svc_->store().womanNamedDoctor("43", "10000000009"));
  EXPECT_EQ(svc_->store().womenOfDoctor("10000000009"), std::vector<std::string>{"42"});
  EXPECT_EQ(svc_->store().schemaVersion(), AccessStore::kSchemaVersion);
}

}  // namespace
}  // namespace dualread::testing
