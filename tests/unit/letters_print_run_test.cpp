#include <gtest/gtest.h>

#include "letters/print_run.h"
#include "letters_test_data.h"

namespace dualread {
namespace {

using letters_test::pdfPages;
using letters_test::pdfText;
using letters_test::sampleData;

class LettersPrintRunTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = letters_test::tempDir("dualread-print-run"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A CTI notice with `n` items: 40 make two pages, 70 three.
  static nlohmann::json longCti(int n, const std::string& name) {
    auto d = sampleData(LetterKind::kCtiNotice);
    nlohmann::json items = nlohmann::json::array();
    for (int i = 1; i <= n; ++i)
      items.push_back({{"view", "Incidence " + std::to_string(i)}, {"reason", "positionnement"}});
    d["cti"]["items"] = items;
    d["recipient"]["name"] = name;
    return d;
  }

  static PrintRunItem item(std::string id, LetterKind kind, std::string name) {
    auto d = sampleData(kind);
    d["recipient"]["name"] = std::move(name);
    return {std::move(id), kind, std::move(d)};
  }

  std::filesystem::path dir_;
  LetterTemplateSet set_ = LetterTemplateSet::loadDirectory(defaultLetterTemplateDir());
  LetterPdfRenderer renderer_;
};

TEST_F(LettersPrintRunTest, EveryLetterStartsOnAnOddPage) {
  std::vector<PrintRunItem> items{
      item("L1", LetterKind::kNegativeResult, "Madame Alice Aubert"),
      {"L2", LetterKind::kCtiNotice, longCti(40, "Cabinet Long")},
      item("L3", LetterKind::kRecall, "Madame Berthe Bénard"),
      item("L4", LetterKind::kRecallDoctor, "Docteur Claude Chéreau"),
      {"L5", LetterKind::kCtiNotice, longCti(70, "Cabinet Très Long")},
      item("L6", LetterKind::kNegativeResult, "Madame Denise Duval"),
  };
  PrintRunOptions opts;
  opts.run_id = "2025-03-03";
  const PrintRun run = producePrintRun(items, set_, renderer_, opts);
  ASSERT_EQ(run.letters.size(), 6u);
  EXPECT_TRUE(run.refused.empty());

  int expected_first = 1;
  int blanks = 0;
  for (const auto& l : run.letters) {
    SCOPED_TRACE(l.id);
    EXPECT_EQ(l.first_page, expected_first);
    EXPECT_EQ(l.first_page % 2, 1);
    EXPECT_EQ(pdfPages(l.pdf, dir_), l.pages);
    expected_first += l.pages + l.pages % 2;
    blanks += l.pages % 2;
  }
  EXPECT_EQ(run.letters[1].pages, 2);  // even: no blank after it
  EXPECT_EQ(run.letters[4].pages, 3);  // odd: one blank after it
  EXPECT_EQ(run.blank_pages, blanks);
  EXPECT_EQ(run.total_pages, expected_first - 1);
  EXPECT_EQ(run.total_pages % 2, 0);
  EXPECT_EQ(pdfPages(run.combined_pdf, dir_), run.total_pages);

  // The combined PDF holds the letters in order; each letter's own PDF holds only its own.
  const std::string all = pdfText(run.combined_pdf, dir_, "combined");
  size_t pos = 0;
  for (const char* name : {"Madame Alice Aubert", "Cabinet Long", "Madame Berthe Bénard",
                           "Docteur Claude Chéreau", "Cabinet Très Long", "Madame Denise Duval"}) {
    const size_t at = all.find(name, pos);
    ASSERT_NE(at, std::string::npos) << name;
    pos = at;
  }
  const std::string third = pdfText(run.letters[2].pdf, dir_, "third");
  EXPECT_NE(third.find("Madame Berthe Bénard"), std::string::npos);
  EXPECT_EQ(third.find("Alice"), std::string::npos);

  const auto s = run.summary();
  EXPECT_EQ(s["run_id"], "2025-03-03");
  EXPECT_EQ(s["letters"], 6);
  EXPECT_EQ(s["refused"], 0);
  EXPECT_EQ(s["pages"], run.total_pages);
  EXPECT_EQ(s["sheets"], run.total_pages / 2);
  EXPECT_EQ(s["blank_pages"], run.blank_pages);
  EXPECT_EQ(s["by_kind"]["negative_result"]["letters"], 2);
  EXPECT_EQ(s["by_kind"]["negative_result"]["pages"], 2);
  EXPECT_EQ(s["by_kind"]["cti_notice"]["letters"], 2);
  EXPECT_EQ(s["by_kind"]["cti_notice"]["pages"], 5);
  EXPECT_EQ(s["items"][1]["first_page"], 3);
  EXPECT_EQ(s["items"][1]["kind"], "cti_notice");
}

TEST_F(LettersPrintRunTest, IncompleteLetterIsRefusedAndTheOthersPrint) {
  auto bad = item("BAD", LetterKind::kNegativeResult, "Madame Eve Erlé");
  bad.data.erase("access_code");
  auto too_long = item("LONG", LetterKind::kRecall, "Madame Fanny Ferrand");
  too_long.data["recipient"]["address_lines"] = {"1", "2", "3", "4", "5"};
  std::vector<PrintRunItem> items{item("A", LetterKind::kNegativeResult, "Madame Alice Aubert"),
                                  bad, too_long,
                                  item("B", LetterKind::kL1PositiveAck, "Cabinet Bellecour")};
  const PrintRun run = producePrintRun(items, set_, renderer_);
  ASSERT_EQ(run.letters.size(), 2u);
  EXPECT_EQ(run.letters[0].id, "A");
  EXPECT_EQ(run.letters[1].id, "B");
  EXPECT_EQ(run.letters[1].first_page, 3);
  ASSERT_EQ(run.refused.size(), 2u);
  EXPECT_EQ(run.refused[0].id, "BAD");
  EXPECT_NE(run.refused[0].reason.find("'access_code' is missing"), std::string::npos);
  EXPECT_EQ(run.refused[1].id, "LONG");
  EXPECT_NE(run.refused[1].reason.find("at most 6"), std::string::npos);
  const std::string all = pdfText(run.combined_pdf, dir_);
  EXPECT_EQ(all.find("Erlé"), std::string::npos);
  EXPECT_EQ(all.find("Ferrand"), std::string::npos);
  EXPECT_EQ(pdfPages(run.combined_pdf, dir_), 4);
  const auto s = run.summary();
  EXPECT_EQ(s["refused"], 2);
  EXPECT_EQ(s["refused_items"][0]["id"], "BAD");
}

TEST_F(LettersPrintRunTest, LettersCanBeHandedOverOneByOne) {
  std::vector<PrintedLetter> stored;
  PrintRunOptions opts;
  opts.on_letter = [&](PrintedLetter&& l) { stored.push_back(std::move(l)); };
  opts.duplex = false;
  const PrintRun run =
      producePrintRun({item("A", LetterKind::kNegativeResult, "Madame Alice Aubert"),
                       item("B", LetterKind::kNegativeResultDoctor, "Docteur Bruno Blanc")},
                      set_, renderer_, opts);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_FALSE(stored[0].pdf.empty());
  EXPECT_EQ(stored[1].id, "B");
  ASSERT_EQ(run.letters.size(), 2u);
  EXPECT_TRUE(run.letters[0].pdf.empty());
  EXPECT_EQ(run.letters[1].first_page, 2);  // simplex: no padding
  EXPECT_EQ(run.blank_pages, 0);
  EXPECT_EQ(run.summary()["sheets"], 2);
}

TEST_F(LettersPrintRunTest, EmptyRunHasNoDocument) {
  const PrintRun run = producePrintRun({}, set_, renderer_);
  EXPECT_TRUE(run.combined_pdf.empty());
  EXPECT_EQ(run.total_pages, 0);
  EXPECT_EQ(run.summary()["letters"], 0);
}

}  // namespace
}  // namespace dualread
