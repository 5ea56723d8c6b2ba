// The access store's schema moves forward on open: a v1 store (before client-certificate CNs)
// gains the cert_cn column with its unique index, keeping its accounts; and the [access]
// totp_key_file setting is read from the configuration, an empty value refused.

#include <gtest/gtest.h>

#include <fstream>

#include "app/config_loader.h"
#include "hub_fixture.h"
#include "index/access_store.h"
#include "index/sqlite.h"

namespace dualread::testing {
namespace {

class AccessStoreMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = makeTempDir("dualread-access-migration"); }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
};

TEST_F(AccessStoreMigrationTest, AVersion1StoreGainsTheCertificateColumn) {
  const std::string path = (dir_ / "index.sqlite").string();
  {
    AccessStore store(path);
    UserRow u;
    u.login = "gw.cim01";
    u.role = "gateway";
    u.cims = {"CIM01"};
    ASSERT_TRUE(store.addUser(u));
  }
  {  // Back to what a v1 dualread wrote.
    SqliteDb db(path, false);
    db.exec("DROP INDEX access_users_cert_cn");
    db.exec("ALTER TABLE access_users DROP COLUMN cert_cn");
    db.exec("UPDATE access_meta SET value = '1' WHERE key = 'schema_version'");
  }
  AccessStore store(path);
  EXPECT_EQ(store.schemaVersion(), 2);
  ASSERT_TRUE(store.user("gw.cim01"));
  EXPECT_EQ(store.user("gw.cim01")->cert_cn, "");
  EXPECT_TRUE(store.setCertCn("gw.cim01", "gateway-cim1"));
  EXPECT_EQ(store.userByCertCn("gateway-cim1")->login, "gw.cim01");
  EXPECT_FALSE(store.userByCertCn(""));
  EXPECT_FALSE(store.setCertCn("nobody", "x"));
  UserRow other;
  other.login = "gw.cim02";
  other.role = "gateway";
  ASSERT_TRUE(store.addUser(other));
  EXPECT_THROW(store.setCertCn("gw.cim02", "gateway-cim1"), IndexError) << "one account per CN";
}

TEST_F(AccessStoreMigrationTest, TotpKeyFileIsConfigured) {
  const auto file = dir_ / "hub.toml";
  std::ofstream(file) << "[access]\ntotp_key_file = \"/etc/dualread/totp.key\"\n";
  HubConfig c;
  loadHubConfig(file, c);
  EXPECT_EQ(c.access.totp_key_file, "/etc/dualread/totp.key");
  std::ofstream(file) << "[access]\ntotp_key_file = \"\"\n";
  HubConfig d;
  EXPECT_THROW(loadHubConfig(file, d), std::runtime_error);
}

}  // namespace
}  // namespace dualread::testing
