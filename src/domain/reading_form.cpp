#include "domain/reading_form.h"

#include <algorithm>
#include <cstdint>

#include "domain/vocabulary.h"

namespace dualread {

namespace {

using vocab::parseRow;
using vocab::row;
using vocab::Vocab;

constexpr Vocab<MenopausalStatus> kMenopause[] = {
    {MenopausalStatus::kUnknown, "unknown", "unknown", "inconnu"},
    {MenopausalStatus::kPremenopausal, "premenopausal", "premenopausal", "non ménopausée"},
    {MenopausalStatus::kPostmenopausal, "postmenopausal", "postmenopausal", "ménopausée"},
};

constexpr Vocab<Symptom> kSymptoms[] = {
    {Symptom::kLump, "lump", "palpable lump", "nodule palpable"},
    {Symptom::kNippleDischarge, "nipple_discharge", "nipple discharge", "écoulement mamelonnaire"},
    {Symptom::kSkinOrNippleChange, "skin_or_nipple_change", "skin or nipple change",
     "modification de la peau ou du mamelon"},
    {Symptom::kPain, "pain", "pain", "douleur"},
};

constexpr Vocab<ClinicalExamResult> kClinical[] = {
    {ClinicalExamResult::kNormal, "normal", "normal", "normal"},
    {ClinicalExamResult::kAbnormal, "abnormal", "abnormal", "anormal"},
};

constexpr Vocab<L1Conclusion> kConclusions[] = {
    {L1Conclusion::kNegative, "negative", "negative", "négatif"},
    {L1Conclusion::kPositive, "positive", "positive", "positif"},
};

constexpr Vocab<Management> kManagement[] = {
    {Management::kNone, "none", "none", "aucune"},
    {Management::kShortFollowUp, "short_follow_up", "short-interval follow-up",
     "surveillance rapprochée"},
    {Management::kBiopsy, "biopsy", "biopsy", "prélèvement / biopsie"},
    {Management::kReferral, "referral", "referral to a specialist",
     "orientation vers un spécialiste"},
};

constexpr Vocab<L1Route> kRoutes[] = {
    {L1Route::kToL2, "to_l2", "second reading", "seconde lecture"},
    {L1Route::kL1Positive, "l1_positive", "L1-positive follow-up", "suivi des positifs L1"},
};

bool clinicalAbnormal(const ClinicalInfo& c) {
  return c.exam_right.result == ClinicalExamResult::kAbnormal ||
         c.exam_left.result == ClinicalExamResult::kAbnormal;
}

// Why a BDI is required, as a sentence fragment ("L1 is ACR 4 on the right breast").
std::string bdiReason(const L1Form& f) {
  for (Breast b : {Breast::kRight, Breast::kLeft}) {
    const auto& a = b == Breast::kRight ? f.mammography.right : f.mammography.left;
    if (isAbnormal(a))
      return "L1 is ACR " + std::to_string(static_cast<int>(*a.birads)) + " on the " + labelEn(b);
  }
  return "the clinical exam is abnormal";
}

bool anyAssessmentRecorded(const BreastAssessment& a) { return a.birads || !a.findings.empty(); }

void checkIdentification(const FormIdentification& id, std::vector<FormError>& out) {
  if (id.ins.empty() && id.screening_number.empty())
    out.push_back({"identification.ins",
                   "Identify the woman by her INS or her screening number (neither is given)."});
  if (!id.ins.empty() && !isValidIns(id.ins))
    out.push_back({"identification.ins",
                   "The INS \"" + id.ins + "\" is malformed or its control key is wrong."});
  if (id.birth_name.empty())
    out.push_back({"identification.birth_name", "The woman's birth name is required."});
  if (id.first_names.empty())
    out.push_back({"identification.first_names", "The woman's first names are required."});
  if (!id.birth_date)
    out.push_back({"identification.birth_date", "The woman's birth date is required."});
  if (id.cim_id.empty())
    out.push_back({"identification.cim_id", "The imaging centre (CIM) is required."});
  if (!id.mammogram_date)
    out.push_back({"identification.mammogram_date", "The date of the mammogram is required."});
  else if (id.birth_date && *id.mammogram_date <= *id.birth_date)
    out.push_back({"identification.mammogram_date",
                   "The mammogram date " + toIsoDate(*id.mammogram_date) +
                       " is not after the birth date " + toIsoDate(*id.birth_date) + "."});
  if (id.l1_radiologist.rpps.empty())
    out.push_back(
        {"identification.l1_radiologist.rpps", "The first reader's RPPS number is required."});
  else if (!isRpps(id.l1_radiologist.rpps))
    out.push_back(
        {"identification.l1_radiologist.rpps",
         "The first reader's RPPS number \"" + id.l1_radiologist.rpps + "\" is not 11 digits."});
}

void checkClinical(const ClinicalInfo& c, std::vector<FormError>& out) {
  if (c.personal_breast_cancer)
    out.push_back({"clinical.history.personal_breast_cancer",
                   "A personal history of breast cancer excludes the woman from organised "
                   "screening: this exam is a diagnostic follow-up, not a screening."});
  if ((c.family.breast_cancer || c.family.ovarian_cancer) && !c.family.closest_degree)
    out.push_back({"clinical.family_history.closest_degree",
                   "A family history is reported: give the degree of the closest relative (1 or "
                   "2)."});
  if (c.family.closest_degree && *c.family.closest_degree != 1 && *c.family.closest_degree != 2)
    out.push_back({"clinical.family_history.closest_degree",
                   "The degree of the closest relative must be 1 or 2."});
  for (Breast b : {Breast::kRight, Breast::kLeft}) {
    const auto& e = b == Breast::kRight ? c.exam_right : c.exam_left;
    const std::string path = std::string("clinical.exam.") + toCode(b);
    if (!e.result)
      out.push_back({path + ".result", "The clinical exam result of the " +
                                           std::string(labelEn(b)) +
                                           " is required (normal or abnormal)."});
    else if (*e.result == ClinicalExamResult::kAbnormal && e.finding.empty())
      out.push_back({path + ".finding", "The clinical exam of the " + std::string(labelEn(b)) +
                                            " is abnormal: describe the finding."});
  }
}

void checkMammography(const L1Mammography& m, const ProgrammeRules& rules,
                      std::vector<FormError>& out) {
  if (m.view_count < rules.min_standard_views)
    out.push_back({"mammography.view_count",
                   std::to_string(m.view_count) + " standard views recorded; at least " +
                       std::to_string(rules.min_standard_views) + " are required."});
  if (!m.density)
    out.push_back({"mammography.density", "The breast density (ACR A to D) is required."});
  checkAssessment(m.right, Breast::kRight, "mammography.right", true, out);
  checkAssessment(m.left, Breast::kLeft, "mammography.left", true, out);
}

void checkBdi(const L1Form& f, std::vector<FormError>& out) {
  const ImmediateWorkUp& w = f.bdi;
  const bool required = bdiRequired(f);
  if (!w.done) {
    if (required)
      out.push_back({"bdi.done", bdiReason(f) + ": the immediate work-up (BDI) is required."});
    if (w.extra_views || w.ultrasound || w.needle_procedure)
      out.push_back(
          {"bdi.done", "Work-up procedures are recorded but the BDI is marked not done."});
    if (anyAssessmentRecorded(w.after_right))
      out.push_back({"bdi.after.right",
                     "No work-up was done: leave the assessment after BDI of the right breast "
                     "empty."});
    if (anyAssessmentRecorded(w.after_left))
      out.push_back({"bdi.after.left",
                     "No work-up was done: leave the assessment after BDI of the left breast "
                     "empty."});
    return;
  }
  if (!w.extra_views && !w.ultrasound && !w.needle_procedure)
    out.push_back({"bdi",
                   "The BDI is marked done: record what it included (extra views, "
                   "ultrasound, needle procedure)."});
  if (w.ultrasound && w.ultrasound_result.empty())
    out.push_back({"bdi.ultrasound_result", "An ultrasound was done: give its result."});
  checkAssessment(w.after_right, Breast::kRight, "bdi.after.right", true, out);
  checkAssessment(w.after_left, Breast::kLeft, "bdi.after.left", true, out);
  for (Breast b : {Breast::kRight, Breast::kLeft}) {
    const auto& a = b == Breast::kRight ? w.after_right : w.after_left;
    if (a.birads == BiRads::k0)
      out.push_back({std::string("bdi.after.") + toCode(b) + ".birads",
                     "The assessment after BDI of the " + std::string(labelEn(b)) +
                         " must be final (ACR 1 to 5), not ACR 0."});
  }
}

void checkConclusion(const L1Form& f, std::vector<FormError>& out) {
  const FormConclusion& c = f.conclusion;
  if (!c.result) {
    out.push_back({"conclusion.result", "The L1 conclusion (negative or positive) is required."});
    return;
  }
  const bool positive = routeAfterL1(f) == L1Route::kL1Positive;
  const std::string basis = f.bdi.done ? "the assessment after BDI" : "the L1 assessment";
  if (positive && *c.result == L1Conclusion::kNegative)
    out.push_back({"conclusion.result", "The conclusion says negative but " + basis +
                                            " is abnormal (ACR 0/3/4/5): the exam is "
                                            "L1-positive."});
  if (!positive && *c.result == L1Conclusion::kPositive)
    out.push_back({"conclusion.result", "The conclusion says positive but " + basis +
                                            " is ACR 1 or 2 on both breasts: correct the "
                                            "assessment or the conclusion."});
  if (*c.result == L1Conclusion::kPositive && (!c.management || *c.management == Management::kNone))
    out.push_back({"conclusion.management",
                   "A positive conclusion needs the recommended management (short follow-up, "
                   "biopsy or referral)."});
  if (*c.result == L1Conclusion::kNegative && c.management && *c.management != Management::kNone)
    out.push_back({"conclusion.management",
                   "A negative conclusion goes to second reading; remove the recommended "
                   "management."});
}

void checkSignature(const L1Form& f, std::vector<FormError>& out) {
  if (!f.signature.is_signed) {
    out.push_back({"signature.signed", "The form must be signed by the first reader."});
    return;
  }
  if (!f.signature.signed_at)
    out.push_back({"signature.signed_at", "The time of signature is required."});
  else if (f.identification.mammogram_date &&
           dateOf(*f.signature.signed_at) < *f.identification.mammogram_date)
    out.push_back({"signature.signed_at", "The form is signed on " +
                                              toIsoDate(dateOf(*f.signature.signed_at)) +
                                              ", before the mammogram (" +
                                              toIsoDate(*f.identification.mammogram_date) + ")."});
}

}  // namespace

const char* toCode(MenopausalStatus v) { return row(kMenopause, v).code; }
const char* toCode(Symptom v) { return row(kSymptoms, v).code; }
const char* toCode(ClinicalExamResult v) { return row(kClinical, v).code; }
const char* toCode(L1Conclusion v) { return row(kConclusions, v).code; }
const char* toCode(Management v) { return row(kManagement, v).code; }
const char* toCode(L1Route v) { return row(kRoutes, v).code; }
const char* labelEn(Symptom v) { return row(kSymptoms, v).en; }
const char* labelEn(Management v) { return row(kManagement, v).en; }
const char* labelFr(Symptom v) { return row(kSymptoms, v).fr; }
const char* labelFr(Management v) { return row(kManagement, v).fr; }
bool parseCode(std::string_view code, MenopausalStatus& out) {
  return parseRow(kMenopause, code, out);
}
bool parseCode(std::string_view code, Symptom& out) { return parseRow(kSymptoms, code, out); }
bool parseCode(std::string_view code, ClinicalExamResult& out) {
  return parseRow(kClinical, code, out);
}
bool parseCode(std::string_view code, L1Conclusion& out) {
  return parseRow(kConclusions, code, out);
}
bool parseCode(std::string_view code, Management& out) { return parseRow(kManagement, code, out); }

bool isValidIns(std::string_view ins) {
  if (ins.size() != 15) return false;
  std::string digits(ins.substr(0, 13));
  // Corsica: the department "2A"/"2B" counts as 19/18 in the key computation.
  const std::string department = digits.substr(5, 2);
  if (department == "2A")
    digits.replace(5, 2, "19");
  else if (department == "2B")
    digits.replace(5, 2, "18");
  for (char ch : digits)
    if (ch < '0' || ch > '9') return false;
  for (size_t i = 13; i < 15; ++i)
    if (ins[i] < '0' || ins[i] > '9') return false;
  const uint64_t number = std::stoull(digits);
  const int key = (ins[13] - '0') * 10 + (ins[14] - '0');
  return key == static_cast<int>(97 - number % 97);
}

bool bdiRequired(const L1Form& f) {
  return isAbnormal(f.mammography.right) || isAbnormal(f.mammography.left) ||
         clinicalAbnormal(f.clinical);
}

L1Route routeAfterL1(const L1Form& f) {
  if (f.bdi.done) {
    // A BDI with a missing final assessment cannot clear anything.
    const auto& r = f.bdi.after_right;
    const auto& l = f.bdi.after_left;
    if (!r.birads || !l.birads || isAbnormal(r) || isAbnormal(l)) return L1Route::kL1Positive;
    return L1Route::kToL2;
  }
  return bdiRequired(f) ? L1Route::kL1Positive : L1Route::kToL2;
}

std::vector<FormError> checkL1Form(const L1Form& form, const ProgrammeRules& rules) {
  std::vector<FormError> out;
  checkIdentification(form.identification, out);
  checkClinical(form.clinical, out);
  checkMammography(form.mammography, rules, out);
  checkBdi(form, out);
  checkConclusion(form, out);
  checkSignature(form, out);
  return out;
}

}  // namespace dualread
