// The [programme] and [[l2_reader]] tables of the hub's TOML configuration: keys are the
// ProgrammeRules field names; bad values, unknown keys and unusable rules are refused with a
// sentence naming the key.

#include <gtest/gtest.h>

#include <fstream>

#include "app/config_loader.h"
#include "hub_fixture.h"

namespace dualread::testing {
namespace {

class ConfigProgrammeTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = makeTempDir("dualread-config"); }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  HubConfig load(const std::string& toml) {
    const auto file = dir_ / "hub.toml";
    std::ofstream(file) << toml;
    HubConfig c;
    loadHubConfig(file, c);
    return c;
  }
  // The error message of loading `toml`, or "" when it loads.
  std::string error(const std::string& toml) {
    try {
      load(toml);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigProgrammeTest, AbsentTableKeepsTheNationalDefaults) {
  const HubConfig c = load("[hub]\naet = \"HUB\"\n");
  EXPECT_EQ(c.programme.l2_session_size, 100);
  EXPECT_EQ(c.programme.result_deadline_days, 15);
  EXPECT_FALSE(c.programme.l3_enabled);
  EXPECT_TRUE(c.l2_readers.empty());
}

TEST_F(ConfigProgrammeTest, KeysAreTheRuleNames) {
  const HubConfig c = load(
      "[programme]\nl2_session_size = 50\nl3_enabled = true\nl3_min_readers = 2\n"
      "alert_max_recall_rate = 0.05\nalert_max_overdue_fraction = 0\nmax_age_years = 75\n");
  EXPECT_EQ(c.programme.l2_session_size, 50);
  EXPECT_TRUE(c.programme.l3_enabled);
  EXPECT_EQ(c.programme.l3_min_readers, 2);
  EXPECT_DOUBLE_EQ(c.programme.alert_max_recall_rate, 0.05);
  EXPECT_DOUBLE_EQ(c.programme.alert_max_overdue_fraction, 0.0);
  EXPECT_EQ(c.programme.max_age_years, 75);
  EXPECT_EQ(c.programme.min_age_years, 50);  // untouched
}

TEST_F(ConfigProgrammeTest, BadValuesAreRefusedWithTheKey) {
  EXPECT_NE(error("[programme]\nl2_sesion_size = 50\n").find("unknown key 'l2_sesion_size'"),
            std::string::npos);
  EXPECT_NE(error("[programme]\nl2_session_size = \"50\"\n").find("l2_session_size must be"),
            std::string::npos);
  EXPECT_NE(error("[programme]\nl2_session_size = 5.5\n").find("l2_session_size"),
            std::string::npos);
  EXPECT_NE(error("[programme]\nl3_enabled = 1\n").find("l3_enabled must be true or false"),
            std::string::npos);
  // validate(): a coherent set of rules is required.
  const std::string e = error("[programme]\nmin_age_years = 60\nmax_age_years = 55\n");
  EXPECT_NE(e.find("not usable"), std::string::npos) << e;
  EXPECT_NE(e.find("max_age_years"), std::string::npos) << e;
  EXPECT_NE(error("[programme]\nalert_max_cti_rate = 3\n").find("alert_max_cti_rate"),
            std::string::npos);
  EXPECT_NE(error("programme = 3\n").find("[programme] must be a table"), std::string::npos);
}

TEST_F(ConfigProgrammeTest, L2ReadersAreLoadedAndChecked) {
  const HubConfig c = load(
      "[[l2_reader]]\nrpps = \"10000000002\"\nname = \"Dr L2\"\ncim_ids = [\"CIM01\", "
      "\"CIM02\"]\n\n[[l2_reader]]\nrpps = \"10000000003\"\nname = \"Dr L2b\"\n"
      "sessions_wanted = 2\n");
  ASSERT_EQ(c.l2_readers.size(), 2u);
  EXPECT_EQ(c.l2_readers[0].reader.rpps, "10000000002");
  EXPECT_EQ(c.l2_readers[0].reader.name, "Dr L2");
  EXPECT_EQ(c.l2_readers[0].cim_ids, (std::vector<std::string>{"CIM01", "CIM02"}));
  EXPECT_EQ(c.l2_readers[1].sessions_wanted, 2);
  EXPECT_TRUE(c.l2_readers[1].cim_ids.empty());

  EXPECT_NE(error("[[l2_reader]]\nrpps = \"123\"\nname = \"X\"\n").find("11 digits"),
            std::string::npos);
  EXPECT_NE(error("[[l2_reader]]\nrpps = \"10000000002\"\n").find("'name'"), std::string::npos);
  EXPECT_NE(error("[[l2_reader]]\nrpps = \"10000000002\"\nname = \"X\"\ncim_ids = \"CIM01\"\n")
                .find("cim_ids"),
            std::string::npos);
  EXPECT_NE(error("[[l2_reader]]\nrpps = \"10000000002\"\nname = \"X\"\n[[l2_reader]]\n"
                  "rpps = \"10000000002\"\nname = \"Y\"\n")
                .find("listed twice"),
            std::string::npos);
}

}  // namespace
}  // namespace dualread::testing
