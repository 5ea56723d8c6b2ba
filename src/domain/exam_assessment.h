#pragma once
// ExamAssessment: the verdict on one screening exam (a study) from the images it holds — which
// slots are filled, which required views are missing, and every problem a secretary must see
// (contradictions, duplicates, identity conflicts). Computed by assessExam(); pure value type.

#include <map>
#include <string>
#include <vector>

#include "domain/view.h"

namespace dualread {

// The configurable completeness rule. National default: the 4 standard views, For Presentation.
struct CompletenessRule {
  std::vector<std::string> required_views = {"RCC", "LCC", "RMLO", "LMLO"};
};

// One image of the exam as the assessment sees it.
struct ExamImage {
  std::string sop_instance_uid;
  std::string series_instance_uid;
  ViewClassification view;
};

enum class ExamStatus { kIncomplete, kComplete, kNeedsReview };
const char* toString(ExamStatus s);
// Returns false when `text` names no status.
bool parseExamStatus(const std::string& text, ExamStatus& out);

struct ExamAssessment {
  ExamStatus status = ExamStatus::kIncomplete;
  std::map<std::string, std::vector<std::string>> views;  // slot code -> SOP Instance UIDs
  std::vector<std::string> missing;                       // required slot codes not present
  std::vector<std::string> problems;                      // sentences, each naming the image
  int standard_count = 0;
  int extra_count = 0;
  int ultrasound_count = 0;
  int other_count = 0;
};

// `extra_problems` are problems found outside the images themselves (quarantined conflicts,
// identity disagreements between the study's images) and always make the exam need review.
ExamAssessment assessExam(const std::vector<ExamImage>& images, const CompletenessRule& rule,
                          const std::vector<std::string>& extra_problems = {});

}  // namespace dualread
