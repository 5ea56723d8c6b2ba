#pragma once
// Hand-built reading forms and readings shared by the workflow unit tests. Each builder returns a
// form that passes checkL1Form() with the national rules; tests break one field at a time.

#include "domain/exam_workflow.h"
#include "domain/reading.h"
#include "domain/reading_form.h"
#include "domain/time.h"

namespace dualread::testdata {

inline constexpr const char* kIns = "265037512345601";          // valid key
inline constexpr const char* kCorsicanIns = "265032A12345658";  // 2A department, valid key
inline constexpr const char* kL1Rpps = "10000000001";
inline constexpr const char* kL2Rpps = "10000000002";
inline constexpr const char* kL2bRpps = "10000000003";
inline constexpr const char* kL3Rpps = "10000000004";
inline constexpr const char* kL3bRpps = "10000000005";
inline constexpr const char* kCim = "CIM-A";
inline constexpr const char* kOtherCim = "CIM-B";

inline Date mammogramDay() { return makeDate(2024, 3, 12); }
inline TimePoint signedAt() { return makeTime(2024, 3, 12, 10, 30); }

inline Finding finding(FindingType type, Breast side, Quadrant q, int clock, int size) {
  Finding f;
  f.type = type;
  f.side = side;
  f.location.quadrant = q;
  f.location.clock_hour = clock;
  f.size_mm = size;
  return f;
}

// ACR 1 both breasts, density B, normal clinical exam, negative, signed: routes to L2.
inline L1Form negativeForm() {
  L1Form f;
  auto& id = f.identification;
  id.woman_id = "W1";
  id.ins = kIns;
  id.screening_number = "SN-0001";
  id.birth_name = "MARTIN";
  id.first_names = "Claire Anne";
  id.birth_date = makeDate(1965, 3, 1);
  id.cim_id = kCim;
  id.site_id = "SITE-1";
  id.mammography_unit = "MG-1";
  id.mammogram_date = mammogramDay();
  id.l1_radiologist = {kL1Rpps, "Dr L1"};
  id.technologist = "MERM 1";
  f.clinical.menopause = MenopausalStatus::kPostmenopausal;
  f.clinical.hormone_therapy = false;
  f.clinical.exam_right.result = ClinicalExamResult::kNormal;
  f.clinical.exam_left.result = ClinicalExamResult::kNormal;
  f.mammography.view_count = 4;
  f.mammography.density = Density::kB;
  f.mammography.right.birads = BiRads::k1;
  f.mammography.left.birads = BiRads::k1;
  f.conclusion.result = L1Conclusion::kNegative;
  f.conclusion.management = Management::kNone;
  f.signature.is_signed = true;
  f.signature.signed_at = signedAt();
  return f;
}

// Right ACR 3 asymmetry cleared by BDI (extra views -> ACR 2): routes to L2.
// A negative form as a CIM's L1 reader fills it before signing: no woman id (the hub matches
// her), CIM01, mammogram of 2026-01-10, no signature.
inline L1Form formToSign() {
  L1Form f = negativeForm();
  f.identification.woman_id.clear();
  f.identification.cim_id = "CIM01";
  f.identification.mammogram_date = makeDate(2026, 1, 10);
  f.signature = {};
  return f;
}

inline L1Form clearedByBdiForm() {
  L1Form f = negativeForm();
  f.mammography.right.birads = BiRads::k3;
  f.mammography.right.findings = {
      finding(FindingType::kAsymmetry, Breast::kRight, Quadrant::kUpperOuter, 10, 8)};
  f.bdi.done = true;
  f.bdi.extra_views = true;
  f.bdi.after_right.birads = BiRads::k2;
  f.bdi.after_right.findings = f.mammography.right.findings;
  f.bdi.after_left.birads = BiRads::k1;
  return f;
}

// Right ACR 4 mass confirmed after BDI (ultrasound): L1-positive, biopsy recommended.
inline L1Form positiveForm() {
  L1Form f = negativeForm();
  f.mammography.right.birads = BiRads::k4;
  f.mammography.right.findings = {
      finding(FindingType::kMass, Breast::kRight, Quadrant::kUpperOuter, 10, 12)};
  f.bdi.done = true;
  f.bdi.ultrasound = true;
  f.bdi.ultrasound_result = "irregular hypoechoic mass 12 mm";
  f.bdi.after_right = f.mammography.right;
  f.bdi.after_left.birads = BiRads::k1;
  f.conclusion.result = L1Conclusion::kPositive;
  f.conclusion.management = Management::kBiopsy;
  return f;
}

inline L2Reading negativeL2(const char* rpps = kL2Rpps) {
  L2Reading r;
  r.reader = {rpps, "Dr L2"};
  r.read_at = makeTime(2024, 3, 18, 14, 0);
  r.right.birads = BiRads::k1;
  r.left.birads = BiRads::k2;
  r.left.findings = {
      finding(FindingType::kCalcifications, Breast::kLeft, Quadrant::kUpperOuter, 2, 3)};
  r.is_signed = true;
  return r;
}

inline L2Reading positiveL2(const char* rpps = kL2Rpps) {
  L2Reading r = negativeL2(rpps);
  r.left.birads = BiRads::k4;
  r.left.findings = {
      finding(FindingType::kArchitecturalDistortion, Breast::kLeft, Quadrant::kUpperOuter, 1, 9)};
  return r;
}

inline L2Reading ctiL2(const char* rpps = kL2Rpps) {
  L2Reading r = negativeL2(rpps);
  r.right.birads.reset();  // the right breast cannot be assessed on a blurred RMLO
  r.cti = {{"RMLO", CtiReason::kMotionBlur, "blurred"}};
  return r;
}

}  // namespace dualread::testdata
