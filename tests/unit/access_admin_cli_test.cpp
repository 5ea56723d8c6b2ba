// `dualread admin account` and `add-user`: the command-line door of AccountAdmin — one action at
// a time, refusals as sentences with exit code 1, secrets printed once to stdout only.

#include <gtest/gtest.h>

#include <sstream>

#include "hub_fixture.h"
#include "services/access_service.h"
#include "services/admin_commands.h"

namespace dualread::testing {
namespace {

class AccessAdminCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir("dualread-admin-cli");
    add("admin", "administrator");
    add("sec", "secretary");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  int add(const std::string& login, const std::string& role) {
    AddUserArgs a;
    a.data = dir_;
    a.login = login;
    a.role = role;
    a.password_stdin = true;
    std::istringstream in("a long enough secret\n");
    std::ostringstream out, err;
    return runAdminAddUser(a, in, out, err);
  }
  int account(AccountCommandArgs a, const std::string& stdin_text = "") {
    a.data = dir_;
    std::istringstream in(stdin_text);
    out_.str("");
    err_.str("");
    return runAdminAccount(a, in, out_, err_);
  }
  UserRow row(const std::string& login) {
    AccessService s((dir_ / "index.sqlite").string(), AccessSettings{});
    return *s.store().user(login);
  }

  std::filesystem::path dir_;
  std::ostringstream out_, err_;
};

TEST_F(AccessAdminCliTest, ExactlyOneAction) {
  AccountCommandArgs a;
  a.login = "sec";
  EXPECT_EQ(account(a), 1);
  EXPECT_NE(err_.str().find("exactly one"), std::string::npos);
  a.disable = true;
  a.unlock = true;
  EXPECT_EQ(account(a), 1);
  AccountCommandArgs none;
  none.login = "sec";
  none.disable = true;
  none.data = dir_ / "absent";
  std::istringstream in;
  EXPECT_EQ(runAdminAccount(none, in, out_, err_), 2);
}

TEST_F(AccessAdminCliTest, DisableEnableUnlockAndRefusals) {
  AccountCommandArgs a;
  a.login = "sec";
  a.disable = true;
  EXPECT_EQ(account(a), 0) << err_.str();
  EXPECT_TRUE(row("sec").disabled);
  EXPECT_EQ(account(a), 1) << "already disabled";
  a.disable = false;
  a.enable = true;
  EXPECT_EQ(account(a), 0);
  EXPECT_FALSE(row("sec").disabled);
  a.enable = false;
  a.unlock = true;
  EXPECT_EQ(account(a), 1);
  EXPECT_NE(err_.str().find("not locked"), std::string::npos);
  AccountCommandArgs last;
  last.login = "admin";
  last.disable = true;
  EXPECT_EQ(account(last), 1);
  EXPECT_NE(err_.str().find("last active administrator"), std::string::npos);
  AccountCommandArgs nobody;
  nobody.login = "nobody";
  nobody.unlock = true;
  EXPECT_EQ(account(nobody), 1);
  EXPECT_NE(err_.str().find("no account"), std::string::npos);
}

TEST_F(AccessAdminCliTest, PasswordsAndSecondFactor) {
  AccountCommandArgs a;
  a.login = "sec";
  a.generate_password = true;
  EXPECT_EQ(account(a), 0);
  EXPECT_NE(out_.str().find("New password"), std::string::npos);
  a.generate_password = false;
  a.password_stdin = true;
  EXPECT_EQ(account(a, "short\n"), 1);
  EXPECT_NE(err_.str().find("at least 12"), std::string::npos);
  EXPECT_EQ(account(a, "another long secret\n"), 0);
  EXPECT_EQ(out_.str().find("another long secret"), std::string::npos);
  a.password_stdin = false;
  a.reset_totp = true;
  EXPECT_EQ(account(a), 0);
  EXPECT_NE(out_.str().find("otpauth://"), std::string::npos);
  EXPECT_TRUE(SecretBox::isSealed(row("sec").totp_secret));
  a.reset_totp = false;
  a.remove_totp = true;
  EXPECT_EQ(account(a), 0);
  EXPECT_TRUE(row("sec").totp_secret.empty());
  a.cert_cn = "sec-laptop";
  a.remove_totp = false;
  EXPECT_EQ(account(a), 1);
  EXPECT_NE(err_.str().find("only a gateway"), std::string::npos);
}

}  // namespace
}  // namespace dualread::testing
