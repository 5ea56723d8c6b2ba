#pragma once
// ViewClassifier: decides which hanging-protocol slot an object fills (RCC, LMLO, RCC_SPOT,
// US_R...) from whatever its vendor encoded — ViewCodeSequence (SCT or legacy SRT codes),
// ViewPosition, ImageLaterality or series Laterality, private view labels or the series
// description — and reports contradictions between those sources instead of guessing.
// Pure function, thread-safe.

#include "domain/instance_summary.h"
#include "domain/view.h"

namespace dualread {

ViewClassification classifyView(const InstanceSummary& s);

// SOP Class UIDs the hub knows by name (all others are still stored, as role kOther).
namespace sop_class {
inline constexpr const char* kMgForPresentation = "1.2.840.10008.5.1.4.1.1.1.2";
inline constexpr const char* kMgForProcessing = "1.2.840.10008.5.1.4.1.1.1.2.1";
inline constexpr const char* kDxForPresentation = "1.2.840.10008.5.1.4.1.1.1.1";
inline constexpr const char* kDxForProcessing = "1.2.840.10008.5.1.4.1.1.1.1.1";
inline constexpr const char* kBreastTomosynthesis = "1.2.840.10008.5.1.4.1.1.13.1.3";
inline constexpr const char* kBreastProjectionForPresentation = "1.2.840.10008.5.1.4.1.1.13.1.4";
inline constexpr const char* kBreastProjectionForProcessing = "1.2.840.10008.5.1.4.1.1.13.1.5";
inline constexpr const char* kUltrasound = "1.2.840.10008.5.1.4.1.1.6.1";
inline constexpr const char* kUltrasoundMultiframe = "1.2.840.10008.5.1.4.1.1.3.1";
inline constexpr const char* kSecondaryCapture = "1.2.840.10008.5.1.4.1.1.7";
inline constexpr const char* kBasicTextSr = "1.2.840.10008.5.1.4.1.1.88.11";
inline constexpr const char* kEnhancedSr = "1.2.840.10008.5.1.4.1.1.88.22";
inline constexpr const char* kComprehensiveSr = "1.2.840.10008.5.1.4.1.1.88.33";
inline constexpr const char* kMammographyCadSr = "1.2.840.10008.5.1.4.1.1.88.50";
inline constexpr const char* kKeyObjectSelection = "1.2.840.10008.5.1.4.1.1.88.59";
inline constexpr const char* kEncapsulatedPdf = "1.2.840.10008.5.1.4.1.1.104.1";
}  // namespace sop_class

}  // namespace dualread
