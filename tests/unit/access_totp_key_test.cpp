// TOTP secrets at rest: encrypted under the host key (never in clear in the index), the key file
// created 0600 at first use, clear secrets of an older store migrated on open, and a missing,
// wrong, malformed or world-readable key refused with a sentence (never a crash, never a login
// without the second factor).

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>

#include "hub_fixture.h"
#include "index/sqlite.h"
#include "services/access_service.h"
#include "services/secret_box.h"
#include "services/totp.h"

namespace dualread::testing {
namespace {

constexpr const char* kPassword = "a long enough secret";

class AccessTotpKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir("dualread-totp-key");
    settings_.password_cost = "minimum";
    settings_.login_attempts_per_minute = 1000;
  }
  void TearDown() override {
    svc_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string index() const { return (dir_ / "index.sqlite").string(); }
  void open() {
    svc_.reset();
    svc_ = std::make_unique<AccessService>(index(), settings_, [this] { return now_.load(); });
  }
  std::string addWithTotp(const std::string& login) {
    NewUser u;
    u.login = login;
    u.role = Role::kSecretary;
    u.password = kPassword;
    u.totp = true;
    return *svc_->addUser(u);
  }
  std::string storedSecret(const std::string& login) {
    SqliteDb db(index(), true);
    auto st = db.prepare("SELECT totp_secret FROM access_users WHERE login = ?");
    st.bind(1, login);
    EXPECT_TRUE(st.step());
    return st.text(0);
  }
  void writeStoredSecret(const std::string& login, const std::string& value) {
    SqliteDb db(index(), false);
    db.prepare("UPDATE access_users SET totp_secret = ? WHERE login = ?")
        .bind(1, value)
        .bind(2, login)
        .step();
  }
  LoginStatus loginWith(const std::string& login, const std::string& secret) {
    now_ += 60;  // a fresh step: TOTP codes are accepted once
    return svc_->login(login, kPassword, *totpCode(secret, now_), "127.0.0.1:1").status;
  }

  std::filesystem::path dir_;
  AccessSettings settings_;
  std::atomic<int64_t> now_{1'790'000'000};
  std::unique_ptr<AccessService> svc_;
};

TEST_F(AccessTotpKeyTest, SecretIsEncryptedAndTheKeyFileIsPrivate) {
  open();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "access.key")) << "created at first use only";
  const std::string secret = addWithTotp("claire.sec");
  const std::string stored = storedSecret("claire.sec");
  EXPECT_TRUE(SecretBox::isSealed(stored)) << stored;
  EXPECT_EQ(stored.find(secret), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "access.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(loginWith("claire.sec", secret), LoginStatus::kOk);
  open();  // reopening reads the same key
  EXPECT_EQ(loginWith("claire.sec", secret), LoginStatus::kOk);
}

TEST_F(AccessTotpKeyTest, ClearSecretsOfAnOlderStoreAreMigratedOnOpen) {
  open();
  addWithTotp("claire.sec");
  // As an older dualread stored it: in clear, and no key file yet.
  const std::string clear = newTotpSecret();
  writeStoredSecret("claire.sec", clear);
  svc_.reset();
  std::filesystem::remove(dir_ / "access.key");
  open();
  const std::string stored = storedSecret("claire.sec");
  EXPECT_TRUE(SecretBox::isSealed(stored)) << stored;
  EXPECT_EQ(stored.find(clear), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "access.key"));
  EXPECT_EQ(loginWith("claire.sec", clear), LoginStatus::kOk);
}

TEST_F(AccessTotpKeyTest, MissingKeyWithEncryptedSecretsIsAClearError) {
  open();
  addWithTotp("claire.sec");
  svc_.reset();
  std::filesystem::remove(dir_ / "access.key");
  try {
    open();
    FAIL() << "opened without its key";
  } catch (const SecretKeyError& e) {
    EXPECT_NE(std::string(e.what()).find("is missing"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "access.key")) << "never a new key silently";
}

TEST_F(AccessTotpKeyTest, WrongKeyIsRefusedAtOpen) {
  open();
  addWithTotp("claire.sec");
  svc_.reset();
  std::filesystem::remove(dir_ / "access.key");
  { SecretBox other(dir_ / "access.key", true); }  // another key in its place
  try {
    open();
    FAIL() << "opened with another key";
  } catch (const SecretKeyError& e) {
    EXPECT_NE(std::string(e.what()).find("claire.sec"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not the key"), std::string::npos) << e.what();
  }
}

TEST_F(AccessTotpKeyTest, MalformedOrWorldReadableKeyIsRefused) {
  const auto key = dir_ / "k" / "totp.key";
  std::filesystem::create_directories(key.parent_path());
  { std::ofstream(key) << "not a key\n"; }
  ::chmod(key.c_str(), 0600);
  EXPECT_THROW(SecretBox(key, true), SecretKeyError);
  std::filesystem::remove(key);
  { SecretBox fresh(key, true); }
  ::chmod(key.c_str(), 0644);
  try {
    SecretBox b(key, false);
    FAIL() << "a world-readable key was used";
  } catch (const SecretKeyError& e) {
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SecretBox(dir_ / "absent.key", false), SecretKeyError);
}

TEST_F(AccessTotpKeyTest, ConfiguredKeyPathIsUsed) {
  settings_.totp_key_file = (dir_ / "keys" / "hub-totp.key").string();
  open();
  const std::string secret = addWithTotp("claire.sec");
  EXPECT_TRUE(std::filesystem::exists(dir_ / "keys" / "hub-totp.key"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "access.key"));
  EXPECT_EQ(svc_->totpKeyFile(), dir_ / "keys" / "hub-totp.key");
  EXPECT_EQ(loginWith("claire.sec", secret), LoginStatus::kOk);
}

TEST_F(AccessTotpKeyTest, ASecretThatDoesNotDecryptRefusesTheLogin) {
  open();
  const std::string secret = addWithTotp("claire.sec");
  addWithTotp("other.sec");
  // A sealed value moved onto another account (bound to its owner) must not open: the login is
  // refused, not let through without the second factor.
  svc_.reset();
  const std::string moved = storedSecret("other.sec");
  open();
  writeStoredSecret("claire.sec", moved);
  EXPECT_EQ(loginWith("claire.sec", secret), LoginStatus::kBadCredentials);
  EXPECT_EQ(svc_->login("claire.sec", kPassword, "", "127.0.0.1:1").status,
            LoginStatus::kBadCredentials);
}

TEST_F(AccessTotpKeyTest, SealOpenRoundTripAndTamper) {
  SecretBox box(dir_ / "box.key", true);
  const std::string sealed = box.seal("JBSWY3DPEHPK3PXP", "alice");
  EXPECT_EQ(box.open(sealed, "alice"), "JBSWY3DPEHPK3PXP");
  EXPECT_EQ(box.open(sealed, "bob"), std::nullopt);
  EXPECT_NE(box.seal("JBSWY3DPEHPK3PXP", "alice"), sealed) << "a fresh nonce each time";
  std::string tampered = sealed;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(box.open(tampered, "alice"), std::nullopt);
  EXPECT_EQ(box.open("JBSWY3DPEHPK3PXP", "alice"), std::nullopt);
  EXPECT_EQ(box.open("xc1:!!!", "alice"), std::nullopt);
}

}  // namespace
}  // namespace dualread::testing
