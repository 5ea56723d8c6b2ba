#include "services/view_json.h"

namespace dualread {

nlohmann::json toJson(const ViewClassification& v) {
  return {{"code", v.code},
          {"role", toString(v.role)},
          {"laterality", toString(v.laterality)},
          {"projection", toString(v.projection)},
          {"modifiers", v.modifiers},
          {"for_processing", v.for_processing},
          {"problems", v.problems}};
}

ViewClassification viewFromJson(const nlohmann::json& j) {
  ViewClassification v;
  if (!j.is_object()) return v;
  v.code = j.value("code", "OTHER");
  const std::string role = j.value("role", "other");
  for (ImageRole r : {ImageRole::kStandardView, ImageRole::kExtraView, ImageRole::kUltrasound,
                      ImageRole::kTomosynthesis, ImageRole::kOther})
    if (role == toString(r)) v.role = r;
  const std::string lat = j.value("laterality", "");
  for (Laterality l : {Laterality::kRight, Laterality::kLeft, Laterality::kBoth})
    if (lat == toString(l)) v.laterality = l;
  const std::string proj = j.value("projection", "");
  for (Projection p : {Projection::kCC, Projection::kMLO, Projection::kML, Projection::kLM,
                       Projection::kXCCL, Projection::kOther})
    if (proj == toString(p)) v.projection = p;
  v.modifiers = j.value("modifiers", std::vector<std::string>{});
  v.for_processing = j.value("for_processing", false);
  v.problems = j.value("problems", std::vector<std::string>{});
  return v;
}

nlohmann::json toJson(const ExamAssessment& a) {
  return {{"status", toString(a.status)},
          {"views", a.views},
          {"missing", a.missing},
          {"problems", a.problems},
          {"counts",
           {{"standard", a.standard_count},
            {"extra", a.extra_count},
            {"ultrasound", a.ultrasound_count},
            {"other", a.other_count}}}};
}

}  // namespace dualread
