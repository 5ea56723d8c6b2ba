#pragma once
// View vocabulary of screening mammography: laterality, projection, modifiers, and the
// classification of one image into the hanging-protocol slot it belongs to. Value types.

#include <string>
#include <vector>

namespace dualread {

enum class Laterality { kUnknown, kRight, kLeft, kBoth };
enum class Projection { kUnknown, kCC, kMLO, kML, kLM, kXCCL, kOther };

// What one received object is, for the exam: a standard view, an extra view, an ultrasound
// image, or something else (report, key objects, PDF...).
enum class ImageRole { kStandardView, kExtraView, kUltrasound, kTomosynthesis, kOther };

struct ViewClassification {
  ImageRole role = ImageRole::kOther;
  Laterality laterality = Laterality::kUnknown;
  Projection projection = Projection::kUnknown;
  std::vector<std::string> modifiers;  // "SPOT", "MAG", "ID" (implant displaced)...
  bool for_processing = false;
  std::string code;  // slot code: "RCC", "LMLO", "RCC_SPOT", "US_R", "OTHER"...
  // Human sentences describing contradictions found while classifying (empty when clean).
  std::vector<std::string> problems;
};

const char* toString(Laterality l);
const char* toString(Projection p);
const char* toString(ImageRole r);

}  // namespace dualread
