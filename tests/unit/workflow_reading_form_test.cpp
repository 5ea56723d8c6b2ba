// The FI coherence rules (checkL1Form), routing after L1 (routeAfterL1), the L2 reading checks
// and the reading vocabulary.

#include <gtest/gtest.h>

#include <algorithm>

#include "domain/reading.h"
#include "domain/reading_form.h"
#include "workflow_test_data.h"

namespace dualread {
namespace {

using namespace testdata;

std::vector<std::string> fields(const std::vector<FormError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field);
  return out;
}

// The form has exactly one error, at `field`.
::testing::AssertionResult onlyError(const L1Form& form, const std::string& field,
                                     const ProgrammeRules& rules = {}) {
  const auto errors = checkL1Form(form, rules);
  if (errors.size() == 1 && errors[0].field == field && !errors[0].message.empty())
    return ::testing::AssertionSuccess();
  auto r = ::testing::AssertionFailure() << "expected only " << field << ", got:";
  for (const auto& e : errors) r << " [" << e.field << ": " << e.message << "]";
  return r;
}

::testing::AssertionResult hasError(const std::vector<FormError>& errors,
                                    const std::string& field) {
  for (const auto& e : errors)
    if (e.field == field) return ::testing::AssertionSuccess();
  auto r = ::testing::AssertionFailure() << "no error at " << field << "; got:";
  for (const auto& e : errors) r << " [" << e.field << "]";
  return r;
}

// ---------------------------------------------------------------- valid forms

TEST(ReadingFormCheck, SampleFormsAreCoherent) {
  EXPECT_TRUE(checkL1Form(negativeForm(), {}).empty());
  EXPECT_TRUE(checkL1Form(clearedByBdiForm(), {}).empty());
  EXPECT_TRUE(checkL1Form(positiveForm(), {}).empty());
}

// ---------------------------------------------------------------- identification

TEST(ReadingFormCheck, NeedsInsOrScreeningNumber) {
  L1Form f = negativeForm();
  f.identification.ins.clear();
  EXPECT_TRUE(checkL1Form(f, {}).empty()) << "screening number alone is enough";
  f.identification.screening_number.clear();
  EXPECT_TRUE(onlyError(f, "identification.ins"));
  f = negativeForm();
  f.identification.screening_number.clear();
  EXPECT_TRUE(checkL1Form(f, {}).empty()) << "INS alone is enough";
}

TEST(ReadingFormCheck, InsMustBeWellFormedWithItsKey) {
  L1Form f = negativeForm();
  f.identification.ins = "265037512345602";  // wrong key
  EXPECT_TRUE(onlyError(f, "identification.ins"));
  f.identification.ins = "26503751234560";  // 14 characters
  EXPECT_TRUE(onlyError(f, "identification.ins"));
  f.identification.ins = "2650375X2345601";
  EXPECT_TRUE(onlyError(f, "identification.ins"));
  f.identification.ins = kCorsicanIns;
  EXPECT_TRUE(checkL1Form(f, {}).empty());
  EXPECT_TRUE(isValidIns(kIns));
  EXPECT_TRUE(isValidIns(kCorsicanIns));
  EXPECT_FALSE(isValidIns("265032B12345658"));  // 2B gives another key
  EXPECT_FALSE(isValidIns(""));
}

TEST(ReadingFormCheck, IdentityTraitsRequired) {
  L1Form f = negativeForm();
  f.identification.birth_name.clear();
  EXPECT_TRUE(onlyError(f, "identification.birth_name"));
  f = negativeForm();
  f.identification.first_names.clear();
  EXPECT_TRUE(onlyError(f, "identification.first_names"));
  f = negativeForm();
  f.identification.birth_date.reset();
  EXPECT_TRUE(onlyError(f, "identification.birth_date"));
  f = negativeForm();
  f.identification.cim_id.clear();
  EXPECT_TRUE(onlyError(f, "identification.cim_id"));
}

TEST(ReadingFormCheck, MammogramDateRequiredAndAfterBirth) {
  L1Form f = negativeForm();
  f.identification.mammogram_date.reset();
  EXPECT_TRUE(onlyError(f, "identification.mammogram_date"));
  f = negativeForm();
  f.identification.mammogram_date = *f.identification.birth_date;
  f.signature.signed_at = TimePoint{*f.identification.birth_date};
  EXPECT_TRUE(onlyError(f, "identification.mammogram_date"));
}

TEST(ReadingFormCheck, L1ReaderRppsRequiredAndElevenDigits) {
  L1Form f = negativeForm();
  f.identification.l1_radiologist.rpps.clear();
  EXPECT_TRUE(onlyError(f, "identification.l1_radiologist.rpps"));
  f.identification.l1_radiologist.rpps = "1234567890";
  EXPECT_TRUE(onlyError(f, "identification.l1_radiologist.rpps"));
  f.identification.l1_radiologist.rpps = "1234567890A";
  EXPECT_TRUE(onlyError(f, "identification.l1_radiologist.rpps"));
}

// ---------------------------------------------------------------- clinical information

TEST(ReadingFormCheck, PersonalBreastCancerIsNotScreening) {
  L1Form f = negativeForm();
  f.clinical.personal_breast_cancer = true;
  EXPECT_TRUE(onlyError(f, "clinical.history.personal_breast_cancer"));
}

TEST(ReadingFormCheck, FamilyHistoryNeedsDegreeOneOrTwo) {
  L1Form f = negativeForm();
  f.clinical.family.ovarian_cancer = true;
  EXPECT_TRUE(onlyError(f, "clinical.family_history.closest_degree"));
  f.clinical.family.closest_degree = 3;
  EXPECT_TRUE(onlyError(f, "clinical.family_history.closest_degree"));
  f.clinical.family.closest_degree = 1;
  EXPECT_TRUE(checkL1Form(f, {}).empty());
}

TEST(ReadingFormCheck, ClinicalExamPerBreastRequired) {
  L1Form f = negativeForm();
  f.clinical.exam_right.result.reset();
  EXPECT_TRUE(onlyError(f, "clinical.exam.right.result"));
  f = negativeForm();
  f.clinical.exam_left.result.reset();
  EXPECT_TRUE(onlyError(f, "clinical.exam.left.result"));
}

TEST(ReadingFormCheck, AbnormalClinicalExamNeedsFindingAndBdi) {
  L1Form f = negativeForm();
  f.clinical.exam_left.result = ClinicalExamResult::kAbnormal;
  const auto errors = checkL1Form(f, {});
  EXPECT_TRUE(hasError(errors, "clinical.exam.left.finding"));
  EXPECT_TRUE(hasError(errors, "bdi.done"));
  EXPECT_TRUE(hasError(errors, "conclusion.result")) << "no BDI: the exam routes L1-positive";
  for (const auto& e : errors) {
    if (e.field == "bdi.done") {
      EXPECT_NE(e.message.find("clinical exam"), std::string::npos) << e.message;
    }
  }
}

// ---------------------------------------------------------------- mammography

TEST(ReadingFormCheck, StandardViewCountFollowsRules) {
  L1Form f = negativeForm();
  f.mammography.view_count = 3;
  EXPECT_TRUE(onlyError(f, "mammography.view_count"));
  ProgrammeRules rules;
  rules.min_standard_views = 3;
  EXPECT_TRUE(checkL1Form(f, rules).empty());
}

TEST(ReadingFormCheck, DensityRequired) {
  L1Form f = negativeForm();
  f.mammography.density.reset();
  EXPECT_TRUE(onlyError(f, "mammography.density"));
}

TEST(ReadingFormCheck, BiradsPerBreastRequired) {
  L1Form f = negativeForm();
  f.mammography.right.birads.reset();
  EXPECT_TRUE(onlyError(f, "mammography.right.birads"));
  f = negativeForm();
  f.mammography.left.birads.reset();
  EXPECT_TRUE(onlyError(f, "mammography.left.birads"));
}

TEST(ReadingFormCheck, Acr3AndAboveNeedAFinding) {
  for (BiRads b : {BiRads::k3, BiRads::k4, BiRads::k5}) {
    L1Form f = positiveForm();
    f.mammography.right.birads = b;
    f.mammography.right.findings.clear();
    EXPECT_TRUE(hasError(checkL1Form(f, {}), "mammography.right.findings"))
        << "ACR " << static_cast<int>(b);
  }
  // ACR 0 (incomplete) does not require one.
  L1Form f = positiveForm();
  f.mammography.right.birads = BiRads::k0;
  f.mammography.right.findings.clear();
  EXPECT_FALSE(hasError(checkL1Form(f, {}), "mammography.right.findings"));
}

TEST(ReadingFormCheck, Acr1HasNoFindingsAcr2May) {
  L1Form f = negativeForm();
  f.mammography.left.findings = {
      finding(FindingType::kCalcifications, Breast::kLeft, Quadrant::kLowerInner, 8, 2)};
  EXPECT_TRUE(onlyError(f, "mammography.left.findings"));
  f.mammography.left.birads = BiRads::k2;
  EXPECT_TRUE(checkL1Form(f, {}).empty());
}

TEST(ReadingFormCheck, FindingSideMustMatchItsBreast) {
  L1Form f = negativeForm();
  f.mammography.left.birads = BiRads::k2;
  f.mammography.left.findings = {
      finding(FindingType::kMass, Breast::kRight, Quadrant::kLowerInner, 4, 5)};
  EXPECT_TRUE(onlyError(f, "mammography.left.findings[0].side"));
}

TEST(ReadingFormCheck, FindingNeedsQuadrantOrClock) {
  L1Form f = negativeForm();
  f.mammography.right.birads = BiRads::k2;
  Finding x = finding(FindingType::kMass, Breast::kRight, Quadrant::kUpperOuter, 10, 5);
  x.location = {};
  f.mammography.right.findings = {x};
  EXPECT_TRUE(onlyError(f, "mammography.right.findings[0].location"));
  f.mammography.right.findings[0].location.clock_hour = 7;  // clock alone is enough
  EXPECT_TRUE(checkL1Form(f, {}).empty());
  f.mammography.right.findings[0].location = {Quadrant::kRetroareolar, std::nullopt,
                                              Depth::kMiddle};
  EXPECT_TRUE(checkL1Form(f, {}).empty());  // quadrant alone too
}

TEST(ReadingFormCheck, ClockHourBetweenOneAndTwelve) {
  L1Form f = negativeForm();
  f.mammography.right.birads = BiRads::k2;
  Finding x = finding(FindingType::kMass, Breast::kRight, Quadrant::kUpperOuter, 13, 5);
  x.location.quadrant.reset();
  f.mammography.right.findings = {x};
  EXPECT_TRUE(onlyError(f, "mammography.right.findings[0].location.clock_hour"));
  f.mammography.right.findings[0].location.clock_hour = 0;
  EXPECT_TRUE(onlyError(f, "mammography.right.findings[0].location.clock_hour"));
}

TEST(ReadingFormCheck, ClockMustFitQuadrantOnThatSide) {
  // Upper-outer is 9-12 o'clock on the right breast and 12-3 on the left.
  L1Form f = negativeForm();
  f.mammography.right.birads = BiRads::k2;
  f.mammography.right.findings = {
      finding(FindingType::kMass, Breast::kRight, Quadrant::kUpperOuter, 2, 5)};
  EXPECT_TRUE(onlyError(f, "mammography.right.findings[0].location"));
  f.mammography.right.findings[0].location.clock_hour = 9;  // boundary belongs to the quadrant
  EXPECT_TRUE(checkL1Form(f, {}).empty());
  f = negativeForm();
  f.mammography.left.birads = BiRads::k2;
  f.mammography.left.findings = {
      finding(FindingType::kMass, Breast::kLeft, Quadrant::kUpperOuter, 2, 5)};
  EXPECT_TRUE(checkL1Form(f, {}).empty());
  f.mammography.left.findings[0].location.quadrant = Quadrant::kLowerInner;  // 6-9 on the left
  EXPECT_TRUE(onlyError(f, "mammography.left.findings[0].location"));
}

TEST(ReadingFormCheck, SizeMustBePlausible) {
  L1Form f = negativeForm();
  f.mammography.right.birads = BiRads::k2;
  f.mammography.right.findings = {
      finding(FindingType::kMass, Breast::kRight, Quadrant::kUpperOuter, 10, 0)};
  EXPECT_TRUE(onlyError(f, "mammography.right.findings[0].size_mm"));
  f.mammography.right.findings[0].size_mm = 301;
  EXPECT_TRUE(onlyError(f, "mammography.right.findings[0].size_mm"));
  f.mammography.right.findings[0].size_mm.reset();  // size is optional
  EXPECT_TRUE(checkL1Form(f, {}).empty());
}

// ---------------------------------------------------------------- BDI

TEST(ReadingFormCheck, BdiRequiredForAcr0345) {
  for (BiRads b : {BiRads::k0, BiRads::k3, BiRads::k4, BiRads::k5}) {
    L1Form f = negativeForm();
    f.mammography.left.birads = b;
    if (b != BiRads::k0)
      f.mammography.left.findings = {
          finding(FindingType::kMass, Breast::kLeft, Quadrant::kUpperOuter, 1, 9)};
    f.conclusion.result = L1Conclusion::kPositive;  // what routing says without a BDI
    f.conclusion.management = Management::kReferral;
    EXPECT_TRUE(onlyError(f, "bdi.done")) << "ACR " << static_cast<int>(b);
  }
  for (BiRads b : {BiRads::k1, BiRads::k2}) {
    L1Form f = negativeForm();
    f.mammography.left.birads = b;
    EXPECT_FALSE(bdiRequired(f));
  }
}

TEST(ReadingFormCheck, BdiNotDoneRecordsNothing) {
  L1Form f = negativeForm();
  f.bdi.ultrasound = true;
  EXPECT_TRUE(onlyError(f, "bdi.done"));
  f = negativeForm();
  f.bdi.after_right.birads = BiRads::k1;
  EXPECT_TRUE(onlyError(f, "bdi.after.right"));
  f = negativeForm();
  f.bdi.after_left.birads = BiRads::k2;
  EXPECT_TRUE(onlyError(f, "bdi.after.left"));
}

TEST(ReadingFormCheck, BdiDoneSaysWhatItIncluded) {
  L1Form f = clearedByBdiForm();
  f.bdi.extra_views = false;
  EXPECT_TRUE(onlyError(f, "bdi"));
  f.bdi.needle_procedure = true;
  EXPECT_TRUE(checkL1Form(f, {}).empty());
}

TEST(ReadingFormCheck, UltrasoundNeedsItsResult) {
  L1Form f = positiveForm();
  f.bdi.ultrasound_result.clear();
  EXPECT_TRUE(onlyError(f, "bdi.ultrasound_result"));
}

TEST(ReadingFormCheck, AssessmentAfterBdiRequiredPerBreast) {
  L1Form f = clearedByBdiForm();
  f.bdi.after_right.birads.reset();
  f.bdi.after_right.findings.clear();
  const auto errors = checkL1Form(f, {});
  EXPECT_TRUE(hasError(errors, "bdi.after.right.birads"));
  f = clearedByBdiForm();
  f.bdi.after_left.birads.reset();
  EXPECT_TRUE(hasError(checkL1Form(f, {}), "bdi.after.left.birads"));
}

TEST(ReadingFormCheck, AssessmentAfterBdiIsFinal) {
  L1Form f = clearedByBdiForm();
  f.bdi.after_right.birads = BiRads::k0;
  f.conclusion.result = L1Conclusion::kPositive;
  f.conclusion.management = Management::kShortFollowUp;
  EXPECT_TRUE(onlyError(f, "bdi.after.right.birads"));
}

TEST(ReadingFormCheck, AbnormalAfterBdiNeedsAFinding) {
  L1Form f = positiveForm();
  f.bdi.after_right.findings.clear();
  EXPECT_TRUE(onlyError(f, "bdi.after.right.findings"));
}

// ---------------------------------------------------------------- conclusion and signature

TEST(ReadingFormCheck, ConclusionRequired) {
  L1Form f = negativeForm();
  f.conclusion.result.reset();
  EXPECT_TRUE(onlyError(f, "conclusion.result"));
}

TEST(ReadingFormCheck, ConclusionFollowsAssessmentAfterBdi) {
  L1Form f = positiveForm();
  f.conclusion.result = L1Conclusion::kNegative;
  f.conclusion.management = Management::kNone;
  EXPECT_TRUE(onlyError(f, "conclusion.result"));
  f = clearedByBdiForm();
  f.conclusion.result = L1Conclusion::kPositive;
  f.conclusion.management = Management::kShortFollowUp;
  EXPECT_TRUE(onlyError(f, "conclusion.result"));
}

TEST(ReadingFormCheck, PositiveNeedsManagementNegativeHasNone) {
  L1Form f = positiveForm();
  f.conclusion.management.reset();
  EXPECT_TRUE(onlyError(f, "conclusion.management"));
  f.conclusion.management = Management::kNone;
  EXPECT_TRUE(onlyError(f, "conclusion.management"));
  f = negativeForm();
  f.conclusion.management = Management::kBiopsy;
  EXPECT_TRUE(onlyError(f, "conclusion.management"));
  f.conclusion.management.reset();
  EXPECT_TRUE(checkL1Form(f, {}).empty());
}

TEST(ReadingFormCheck, MustBeSignedWithTimeNotBeforeMammogram) {
  L1Form f = negativeForm();
  f.signature.is_signed = false;
  EXPECT_TRUE(onlyError(f, "signature.signed"));
  f = negativeForm();
  f.signature.signed_at.reset();
  EXPECT_TRUE(onlyError(f, "signature.signed_at"));
  f = negativeForm();
  f.signature.signed_at = makeTime(2024, 3, 11, 23, 59);
  EXPECT_TRUE(onlyError(f, "signature.signed_at"));
  f.signature.signed_at = makeTime(2024, 3, 12, 0, 0);  // same day is fine
  EXPECT_TRUE(checkL1Form(f, {}).empty());
}

TEST(ReadingFormCheck, EmptyFormReportsEverySection) {
  const auto errors = checkL1Form(L1Form{}, {});
  const auto f = fields(errors);
  for (const char* expected :
       {"identification.ins", "identification.birth_name", "identification.mammogram_date",
        "clinical.exam.right.result", "mammography.view_count", "mammography.density",
        "mammography.right.birads", "conclusion.result", "signature.signed"})
    EXPECT_NE(std::find(f.begin(), f.end(), expected), f.end()) << expected;
}

// ---------------------------------------------------------------- routing

TEST(ReadingFormRoute, NegativeGoesToL2) {
  EXPECT_EQ(routeAfterL1(negativeForm()), L1Route::kToL2);
}

TEST(ReadingFormRoute, BdiThatClearsGoesToL2) {
  EXPECT_EQ(routeAfterL1(clearedByBdiForm()), L1Route::kToL2);
}

TEST(ReadingFormRoute, ConfirmedAfterBdiIsL1Positive) {
  EXPECT_EQ(routeAfterL1(positiveForm()), L1Route::kL1Positive);
  L1Form f = clearedByBdiForm();
  f.bdi.after_right.birads = BiRads::k3;  // probably benign after BDI is still positive
  EXPECT_EQ(routeAfterL1(f), L1Route::kL1Positive);
}

TEST(ReadingFormRoute, AssessmentAfterBdiDecidesNotTheL1One) {
  // L1 ACR 1 both sides but a BDI was done (abnormal clinical exam) and found ACR 4.
  L1Form f = negativeForm();
  f.clinical.exam_left.result = ClinicalExamResult::kAbnormal;
  f.clinical.exam_left.finding = "lump";
  f.bdi.done = true;
  f.bdi.ultrasound = true;
  f.bdi.ultrasound_result = "solid mass";
  f.bdi.after_right.birads = BiRads::k1;
  f.bdi.after_left.birads = BiRads::k4;
  f.bdi.after_left.findings = {
      finding(FindingType::kMass, Breast::kLeft, Quadrant::kUpperOuter, 2, 15)};
  EXPECT_EQ(routeAfterL1(f), L1Route::kL1Positive);
  f.bdi.after_left = {BiRads::k1, {}};
  EXPECT_EQ(routeAfterL1(f), L1Route::kToL2) << "clinical lump cleared by ultrasound";
}

TEST(ReadingFormRoute, SuspiciousWithoutBdiNeverReachesTheNegativePool) {
  L1Form f = negativeForm();
  f.mammography.right.birads = BiRads::k0;
  EXPECT_EQ(routeAfterL1(f), L1Route::kL1Positive);
  f = negativeForm();
  f.clinical.exam_right.result = ClinicalExamResult::kAbnormal;
  EXPECT_EQ(routeAfterL1(f), L1Route::kL1Positive);
  f = negativeForm();
  f.bdi.done = true;  // done but no final assessment
  EXPECT_EQ(routeAfterL1(f), L1Route::kL1Positive);
}

// ---------------------------------------------------------------- L2 reading

TEST(ReadingFormL2, SampleReadingsAreCoherent) {
  EXPECT_TRUE(checkL2Reading(negativeL2()).empty());
  EXPECT_TRUE(checkL2Reading(positiveL2()).empty());
  EXPECT_TRUE(checkL2Reading(ctiL2()).empty());
}

TEST(ReadingFormL2, ReaderSignatureAndAssessmentRequired) {
  L2Reading r = negativeL2();
  r.reader.rpps.clear();
  EXPECT_TRUE(hasError(checkL2Reading(r), "reader.rpps"));
  r = negativeL2();
  r.reader.rpps = "123";
  EXPECT_TRUE(hasError(checkL2Reading(r), "reader.rpps"));
  r = negativeL2();
  r.is_signed = false;
  EXPECT_TRUE(hasError(checkL2Reading(r), "signed"));
  r = negativeL2();
  r.left.birads.reset();
  r.left.findings.clear();
  EXPECT_TRUE(hasError(checkL2Reading(r), "left.birads"));
}

TEST(ReadingFormL2, CtiExemptsOnlyTheBreastOfTheFlaggedView) {
  L2Reading r = ctiL2();  // RMLO flagged, right not assessed: fine
  EXPECT_TRUE(checkL2Reading(r).empty());
  r.left.birads.reset();
  r.left.findings.clear();
  EXPECT_TRUE(hasError(checkL2Reading(r), "left.birads"));
}

TEST(ReadingFormL2, Acr0IsNotASecondReadingResult) {
  L2Reading r = negativeL2();
  r.right.birads = BiRads::k0;
  EXPECT_TRUE(hasError(checkL2Reading(r), "right.birads"));
}

TEST(ReadingFormL2, AbnormalNeedsFindingAndCtiNeedsView) {
  L2Reading r = positiveL2();
  r.left.findings.clear();
  EXPECT_TRUE(hasError(checkL2Reading(r), "left.findings"));
  r = ctiL2();
  r.cti[0].view.clear();
  EXPECT_TRUE(hasError(checkL2Reading(r), "cti[0].view"));
  r.cti[0].view = "XCC";
  EXPECT_TRUE(hasError(checkL2Reading(r), "cti[0].view"));
}

TEST(ReadingFormL2, VerdictPositiveWinsOverCti) {
  EXPECT_EQ(verdictOf(negativeL2()), L2Verdict::kNegative);
  EXPECT_EQ(verdictOf(positiveL2()), L2Verdict::kPositive);
  EXPECT_EQ(verdictOf(ctiL2()), L2Verdict::kTechnicallyInsufficient);
  L2Reading both = positiveL2();
  both.cti = {{"RCC", CtiReason::kExposure, ""}};
  EXPECT_EQ(verdictOf(both), L2Verdict::kPositive);
}

// ---------------------------------------------------------------- vocabulary

TEST(ReadingFormVocabulary, CtiReasonsHaveFrenchAndEnglishLabels) {
  for (CtiReason r : {CtiReason::kPositioning, CtiReason::kCompression, CtiReason::kExposure,
                      CtiReason::kMotionBlur, CtiReason::kArtefact, CtiReason::kMissingView,
                      CtiReason::kImageQuality}) {
    CtiReason back{};
    ASSERT_TRUE(parseCode(toCode(r), back));
    EXPECT_EQ(back, r);
    EXPECT_STRNE(labelEn(r), "");
    EXPECT_STRNE(labelFr(r), "");
  }
  EXPECT_STREQ(labelFr(CtiReason::kMotionBlur), "flou cinétique");
  EXPECT_STREQ(labelEn(CtiReason::kMissingView), "missing view");
  CtiReason out = CtiReason::kExposure;
  EXPECT_FALSE(parseCode("blurry", out));
  EXPECT_EQ(out, CtiReason::kExposure) << "unchanged on failure";
}

TEST(ReadingFormVocabulary, CodesRoundTrip) {
  for (Quadrant q :
       {Quadrant::kUpperOuter, Quadrant::kUpperInner, Quadrant::kLowerOuter, Quadrant::kLowerInner,
        Quadrant::kUpperJunction, Quadrant::kLowerJunction, Quadrant::kOuterJunction,
        Quadrant::kInnerJunction, Quadrant::kRetroareolar, Quadrant::kAxillaryTail}) {
    Quadrant back{};
    ASSERT_TRUE(parseCode(toCode(q), back));
    EXPECT_EQ(back, q);
  }
  for (Density d : {Density::kA, Density::kB, Density::kC, Density::kD}) {
    Density back{};
    ASSERT_TRUE(parseCode(toCode(d), back));
    EXPECT_EQ(back, d);
  }
  for (FindingType t : {FindingType::kMass, FindingType::kCalcifications,
                        FindingType::kArchitecturalDistortion, FindingType::kAsymmetry}) {
    FindingType back{};
    ASSERT_TRUE(parseCode(toCode(t), back));
    EXPECT_EQ(back, t);
  }
  BiRads b{};
  EXPECT_TRUE(biradsFromInt(5, b));
  EXPECT_EQ(b, BiRads::k5);
  EXPECT_FALSE(biradsFromInt(6, b));
  EXPECT_FALSE(biradsFromInt(-1, b));
}

}  // namespace
}  // namespace dualread
