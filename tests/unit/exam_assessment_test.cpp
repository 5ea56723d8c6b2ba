#include "domain/exam_assessment.h"

#include <gtest/gtest.h>

namespace dualread {
namespace {

ExamImage image(const std::string& uid, const std::string& code,
                ImageRole role = ImageRole::kStandardView) {
  ExamImage i;
  i.sop_instance_uid = uid;
  i.view.code = code;
  i.view.role = role;
  return i;
}

TEST(ExamAssessment, FourStandardViewsAreComplete) {
  auto a = assessExam({image("1", "RCC"), image("2", "LCC"), image("3", "RMLO"),
                       image("4", "LMLO")},
                      CompletenessRule{});
  EXPECT_EQ(a.status, ExamStatus::kComplete);
  EXPECT_TRUE(a.missing.empty());
  EXPECT_EQ(a.standard_count, 4);
}

TEST(ExamAssessment, MissingViewIsNamed) {
  auto a = assessExam({image("1", "RCC"), image("2", "LCC"), image("3", "RMLO"),
                       image("5", "US_L", ImageRole::kUltrasound)},
                      CompletenessRule{});
  EXPECT_EQ(a.status, ExamStatus::kIncomplete);
  ASSERT_EQ(a.missing.size(), 1u);
  EXPECT_EQ(a.missing[0], "LMLO");
  EXPECT_EQ(a.ultrasound_count, 1);
}

TEST(ExamAssessment, DuplicateStandardViewNeedsReview) {
  auto a = assessExam({image("1", "RCC"), image("1b", "RCC"), image("2", "LCC"),
                       image("3", "RMLO"), image("4", "LMLO")},
                      CompletenessRule{});
  EXPECT_EQ(a.status, ExamStatus::kNeedsReview);
  ASSERT_FALSE(a.problems.empty());
  EXPECT_NE(a.problems[0].find("RCC"), std::string::npos);
}

TEST(ExamAssessment, ExtraProblemsNeedReview) {
  auto a = assessExam({image("1", "RCC"), image("2", "LCC"), image("3", "RMLO"),
                       image("4", "LMLO")},
                      CompletenessRule{}, {"quarantined image 9: conflict"});
  EXPECT_EQ(a.status, ExamStatus::kNeedsReview);
}

TEST(ExamAssessment, ConfigurableRule) {
  CompletenessRule rule;
  rule.required_views = {"RCC", "LCC"};
  auto a = assessExam({image("1", "RCC"), image("2", "LCC")}, rule);
  EXPECT_EQ(a.status, ExamStatus::kComplete);
}

TEST(ExamAssessment, StatusRoundTrip) {
  ExamStatus s;
  EXPECT_TRUE(parseExamStatus("needs-review", s));
  EXPECT_EQ(s, ExamStatus::kNeedsReview);
  EXPECT_FALSE(parseExamStatus("bogus", s));
}

}  // namespace
}  // namespace dualread
