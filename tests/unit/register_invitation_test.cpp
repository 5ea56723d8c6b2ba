// The invitation file parser (domain/invitation_file): every row is checked and every problem
// named with its line and column; quoting, separators, French dates, BOM; and RegisterService:
// a file with one bad row imports nothing, a good one imports whole and updates on re-import.

#include <gtest/gtest.h>

#include "domain/invitation_file.h"
#include "hub_fixture.h"
#include "workflow_test_data.h"

namespace dualread::testing {
namespace {

namespace td = dualread::testdata;

const std::string kHeader =
    "ins;birth_name;first_names;birth_date;address_1;postal_code;city;invited_on;gp_rpps;gp_name;"
    "gp_address;gp_postal_code;gp_city\n";

std::string row(const std::string& ins, const std::string& extra = "") {
  return ins + ";MARTIN;Claire;1965-03-01;12 rue des Lilas;69100;Villeurbanne;2025-12-01;" +
         (extra.empty() ? "10000000101;Jean Dupré;3 place Lyautey;69006;Lyon" : extra) + "\n";
}

bool hasError(const InvitationFile& f, int line, const std::string& field) {
  for (const auto& e : f.errors)
    if (e.line == line && e.field == field) return true;
  return false;
}

TEST(InvitationFile, AGoodFileGivesEveryWomanWithAddressAndDoctors) {
  const InvitationFile f =
      parseInvitationFile("\xEF\xBB\xBF" + kHeader + row(td::kIns) + row(td::kCorsicanIns, ";;;;"));
  ASSERT_TRUE(f.ok()) << f.errors.front().message;
  ASSERT_EQ(f.women.size(), 2u);
  const Woman& w = f.women[0].woman;
  EXPECT_EQ(w.ins, td::kIns);
  EXPECT_EQ(w.address.lines, std::vector<std::string>{"12 rue des Lilas"});
  EXPECT_EQ(w.address.postal_code, "69100");
  ASSERT_EQ(w.doctors.size(), 1u);
  EXPECT_EQ(w.doctors[0].rpps, "10000000101");
  EXPECT_EQ(w.doctors[0].address.city, "Lyon");
  EXPECT_EQ(f.women[0].invited_on, makeDate(2025, 12, 1));
  EXPECT_EQ(f.women[0].line, 2);
  EXPECT_TRUE(f.women[1].woman.doctors.empty());
}

TEST(InvitationFile, QuotesCommasAndFrenchDates) {
  const std::string text =
      "ins,birth_name,first_names,birth_date,address_1,postal_code,city\n" + std::string(td::kIns) +
      ",\"DE LA FONTAINE\",\"Marie, Anne\",01/03/1965,\"12 \"\"bis\"\" rue\",69100,Lyon\n";
  const InvitationFile f = parseInvitationFile(text);
  ASSERT_TRUE(f.ok()) << f.errors.front().message;
  EXPECT_EQ(f.women[0].woman.first_names, "Marie, Anne");
  EXPECT_EQ(f.women[0].woman.address.lines[0], "12 \"bis\" rue");
  EXPECT_EQ(f.women[0].woman.birth_date, makeDate(1965, 3, 1));
}

TEST(InvitationFile, EveryBadRowIsReportedWithItsLineAndColumn) {
  const std::string text = kHeader + row(td::kIns) + row("265037512345699") +
                           row(td::kIns) +  // duplicate
                           "265032A12345658;;Claire;1965-02-30;;6910;;x;123;;;;\n" +
                           row(td::kCorsicanIns, "10000000101;;;;") + "1;2\n";
  const InvitationFile f = parseInvitationFile(text);
  EXPECT_FALSE(f.ok());
  EXPECT_EQ(f.women.size(), 1u);  // only the first row is valid
  EXPECT_TRUE(hasError(f, 3, "ins"));
  EXPECT_TRUE(hasError(f, 4, "ins"));
  for (const char* field : {"birth_name", "birth_date", "address_1", "postal_code", "city",
                            "invited_on", "gp_rpps", "gp_name", "gp_address", "gp_city"})
    EXPECT_TRUE(hasError(f, 5, field)) << field;
  EXPECT_TRUE(hasError(f, 6, "gp_name"));
  EXPECT_TRUE(hasError(f, 7, ""));  // wrong number of fields
}

TEST(InvitationFile, HeaderProblemsStopEverything) {
  EXPECT_TRUE(hasError(parseInvitationFile(""), 0, ""));
  EXPECT_TRUE(hasError(parseInvitationFile("ins;city;weight\n"), 1, "weight"));
  EXPECT_TRUE(hasError(parseInvitationFile("ins;city\n"), 1, "birth_name"));
  EXPECT_TRUE(hasError(parseInvitationFile("ins;ins\n"), 1, "ins"));
  EXPECT_TRUE(hasError(parseInvitationFile(kHeader), 0, ""));  // no woman
  const InvitationFile open = parseInvitationFile(kHeader + "\"" + td::kIns + ";x\n");
  EXPECT_FALSE(open.ok());
}

class RegisterServiceTest : public HubFixture {};

TEST_F(RegisterServiceTest, ABadRowImportsNothingAGoodFileImportsWhole) {
  std::vector<std::string> progress;
  auto bad = register_->importInvitations(kHeader + row(td::kIns) + row("123"), "bad.csv", {},
                                          [&](const std::string& s) { progress.push_back(s); });
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(register_->size(), 0);
  ASSERT_FALSE(progress.empty());
  EXPECT_NE(progress.back().find("nothing was imported"), std::string::npos);
  auto good = register_->importInvitations(kHeader + row(td::kIns), "good.csv", {}, {});
  ASSERT_TRUE(good.ok);
  EXPECT_EQ(good.added, 1);
  auto again = register_->importInvitations(
      kHeader + row(td::kIns, "10000000102;Marie Caron;1 rue;69001;Lyon") + row(td::kCorsicanIns),
      "again.csv", {}, {});
  ASSERT_TRUE(again.ok);
  EXPECT_EQ(again.added, 1);  // the first woman was updated
  EXPECT_EQ(register_->size(), 2);
  auto w = register_->womanByIns(td::kIns);
  ASSERT_TRUE(w);
  ASSERT_EQ(w->doctors.size(), 1u);
  EXPECT_EQ(w->doctors[0].name, "Marie Caron");
  EXPECT_EQ(register_->countInvited("2025-12-01", "2025-12-31"), 2);
  EXPECT_EQ(register_->countInvited("2026-01-01", ""), 0);
  EXPECT_FALSE(register_->womanByIns("").has_value());
}

}  // namespace
}  // namespace dualread::testing
