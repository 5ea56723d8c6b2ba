#pragma once
// JSON forms of the domain's view classification and exam assessment, as stored in the index
// and returned by the REST API. Pure functions, thread-safe.

#include <nlohmann/json.hpp>

#include "domain/exam_assessment.h"
#include "domain/view.h"

namespace dualread {

nlohmann::json toJson(const ViewClassification& v);
// Missing or malformed fields give defaults (role other, unknown laterality).
ViewClassification viewFromJson(const nlohmann::json& j);
nlohmann::json toJson(const ExamAssessment& a);

}  // namespace dualread
