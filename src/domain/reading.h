#pragma once
// The vocabulary of reading a screening mammogram, shared by the three readings (L1 on the
// reading form, L2 at the centre, L3/consensus): BI-RADS/ACR assessment per breast, breast
// density, findings with their location and size, technically-insufficient-image (CTI) flags
// with their reason, and the L2 reading and L3 decision records. Plain value types, owned by the
// exam record that holds them; all functions are pure and thread-safe.
//
// Every enum has a stable machine code (used in JSON and CDA, never translated) and English and
// French labels (for screens and letters).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/time.h"

namespace dualread {

// A problem found in a form or reading: `field` is the JSON path of the offending field
// ("bdi.after.right.birads", "mammography.left.findings[1].size_mm"), `message` a sentence for
// the person who must fix it.
struct FormError {
  std::string field;
  std::string message;
  bool operator==(const FormError&) const = default;
};

enum class Breast { kRight, kLeft };

// ACR / BI-RADS assessment category. 6 (known cancer) does not occur in screening.
enum class BiRads { k0 = 0, k1 = 1, k2 = 2, k3 = 3, k4 = 4, k5 = 5 };

// ACR breast composition: A fatty, B scattered fibroglandular, C heterogeneously dense,
// D extremely dense.
enum class Density { kA, kB, kC, kD };

enum class FindingType { kMass, kCalcifications, kArchitecturalDistortion, kAsymmetry };

// Location on the breast as the French form names it: the four quadrants, the four junctions
// between them ("union des quadrants"), retro-areolar/central, axillary tail.
enum class Quadrant {
  kUpperOuter,
  kUpperInner,
  kLowerOuter,
  kLowerInner,
  kUpperJunction,
  kLowerJunction,
  kOuterJunction,
  kInnerJunction,
  kRetroareolar,
  kAxillaryTail
};

enum class Depth { kAnterior, kMiddle, kPosterior };

// Why an L2 reader judged images technically insufficient (list of the national form).
enum class CtiReason {
  kPositioning,
  kCompression,
  kExposure,
  kMotionBlur,
  kArtefact,
  kMissingView,
  kImageQuality
};

// Where a finding is: a quadrant, or a clock position (1-12, as seen facing the woman) — at
// least one of the two — and optionally its depth.
struct FindingLocation {
  std::optional<Quadrant> quadrant;
  std::optional<int> clock_hour;
  std::optional<Depth> depth;
  bool operator==(const FindingLocation&) const = default;
};

struct Finding {
  FindingType type = FindingType::kMass;
  Breast side = Breast::kRight;
  FindingLocation location;
  std::optional<int> size_mm;  // largest dimension
  std::string description;     // free text, optional
  bool operator==(const Finding&) const = default;
};

// The assessment of one breast by one reader. `birads` is empty while not filled in.
struct BreastAssessment {
  std::optional<BiRads> birads;
  std::vector<Finding> findings;
  bool operator==(const BreastAssessment&) const = default;
};

// One view the L2 reader wants retaken. `view` is a slot code of the exam ("RCC", "LMLO",
// "RCC_SPOT"...).
struct CtiFlag {
  std::string view;
  CtiReason reason = CtiReason::kPositioning;
  std::string comment;
  bool operator==(const CtiFlag&) const = default;
};

// A radiologist as a reading names her: RPPS (11 digits) and display name.
struct ReaderRef {
  std::string rpps;
  std::string name;
  bool operator==(const ReaderRef&) const = default;
};

// The second reading, signed by the L2 radiologist at the centre. Only L1-negative exams are
// read at L2, so a positive L2 is by definition a discordance with L1 ("rattrapage").
struct L2Reading {
  ReaderRef reader;
  TimePoint read_at{};
  BreastAssessment right;
  BreastAssessment left;
  std::optional<Density> density;  // optional at L2: the L1 density stands when absent
  std::vector<CtiFlag> cti;
  std::string comment;
  bool is_signed = false;
  bool operator==(const L2Reading&) const = default;
};

enum class L2Verdict { kNegative, kPositive, kTechnicallyInsufficient };

// Positive wins over CTI: a woman recalled for a deferred work-up is re-imaged anyway, and
// waiting for a retake would delay a suspicious finding.
L2Verdict verdictOf(const L2Reading& reading);

// The third reading / consensus decision on a discordant exam, with every reader who took it.
struct L3Decision {
  std::vector<ReaderRef> readers;
  TimePoint decided_at{};
  bool positive = false;
  BreastAssessment right;  // optional detail; the decision is `positive`
  BreastAssessment left;
  std::string comment;
  bool operator==(const L3Decision&) const = default;
};

// ACR 0 (incomplete, needs work-up), 3, 4 and 5 are abnormal: they call for a work-up.
inline bool isAbnormal(BiRads b) { return b == BiRads::k0 || static_cast<int>(b) >= 3; }
inline bool isAbnormal(const BreastAssessment& a) { return a.birads && isAbnormal(*a.birads); }

// True when `s` has the shape of an RPPS number (11 digits).
bool isRpps(std::string_view s);

// Coherence of a signed L2 reading; paths are relative to the reading's JSON ("right.birads").
// Rules: reader RPPS present and well-formed; signed; per breast a BI-RADS 1-5 unless a CTI flag
// concerns one of that breast's views; ACR 3-5 needs a finding on that breast with a location;
// every CTI flag names a view.
std::vector<FormError> checkL2Reading(const L2Reading& reading);

// The findings' location and size coherence, shared by L1 and L2 checks. `path` is the JSON
// path of the assessment ("mammography.right"); `breast` the side it describes.
void checkAssessment(const BreastAssessment& a, Breast breast, const std::string& path,
                     bool require_birads, std::vector<FormError>& out);

// Machine codes ("right", "A", "mass", "upper_outer", "positioning"...) and labels.
const char* toCode(Breast v);
const char* toCode(Density v);
const char* toCode(FindingType v);
const char* toCode(Quadrant v);
const char* toCode(Depth v);
const char* toCode(CtiReason v);
const char* labelEn(Breast v);
const char* labelEn(BiRads v);
const char* labelEn(Density v);
const char* labelEn(FindingType v);
const char* labelEn(Quadrant v);
const char* labelEn(Depth v);
const char* labelEn(CtiReason v);
const char* labelFr(Breast v);
const char* labelFr(BiRads v);
const char* labelFr(Density v);
const char* labelFr(FindingType v);
const char* labelFr(Quadrant v);
const char* labelFr(Depth v);
const char* labelFr(CtiReason v);
// Each returns false (and leaves `out` alone) when `code` is not one of the machine codes.
bool parseCode(std::string_view code, Breast& out);
bool parseCode(std::string_view code, Density& out);
bool parseCode(std::string_view code, FindingType& out);
bool parseCode(std::string_view code, Quadrant& out);
bool parseCode(std::string_view code, Depth& out);
bool parseCode(std::string_view code, CtiReason& out);
// 0..5 -> BiRads; false otherwise.
bool biradsFromInt(int value, BiRads& out);

}  // namespace dualread
