#include "domain/exam_assessment.h"

#include <algorithm>

namespace dualread {

const char* toString(ExamStatus s) {
  switch (s) {
    case ExamStatus::kComplete: return "complete";
    case ExamStatus::kNeedsReview: return "needs-review";
    default: return "incomplete";
  }
}

bool parseExamStatus(const std::string& text, ExamStatus& out) {
  for (ExamStatus s : {ExamStatus::kIncomplete, ExamStatus::kComplete, ExamStatus::kNeedsReview}) {
    if (text == toString(s)) {
      out = s;
      return true;
    }
  }
  return false;
}

ExamAssessment assessExam(const std::vector<ExamImage>& images, const CompletenessRule& rule,
                          const std::vector<std::string>& extra_problems) {
  ExamAssessment out;
  for (const auto& img : images) {
    out.views[img.view.code].push_back(img.sop_instance_uid);
    switch (img.view.role) {
      case ImageRole::kStandardView: ++out.standard_count; break;
      case ImageRole::kExtraView:
      case ImageRole::kTomosynthesis: ++out.extra_count; break;
      case ImageRole::kUltrasound: ++out.ultrasound_count; break;
      default: ++out.other_count; break;
    }
    for (const auto& p : img.view.problems)
      out.problems.push_back("image " + img.sop_instance_uid + ": " + p);
  }
  for (const auto& [code, uids] : out.views) {
    const bool required =
        std::find(rule.required_views.begin(), rule.required_views.end(), code) !=
        rule.required_views.end();
    if (required && uids.size() > 1) {
      out.problems.push_back(std::to_string(uids.size()) + " images claim the " + code +
                             " view; a reader must say which one counts");
    }
  }
  for (const auto& code : rule.required_views)
    if (!out.views.count(code)) out.missing.push_back(code);
  out.problems.insert(out.problems.end(), extra_problems.begin(), extra_problems.end());

  if (!out.missing.empty())
    out.status = ExamStatus::kIncomplete;
  else if (!out.problems.empty())
    out.status = ExamStatus::kNeedsReview;
  else
    out.status = ExamStatus::kComplete;
  return out;
}

}  // namespace dualread
