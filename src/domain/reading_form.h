#pragma once
// L1Form: the national screening reading form ("fiche d'interprétation", FI) as filled and
// signed at the imaging centre by the first reader — identification, clinical information,
// L1 mammography reading, immediate work-up (BDI) and conclusion. The L2 part is an L2Reading
// (domain/reading.h). An L1Form is owned by its exam record; plain value type.
//
// checkL1Form() is the completeness/coherence gate of SCREENING.md §7: an exam whose form has
// errors is not complete. routeAfterL1() decides where a complete exam goes: the assessment
// after BDI decides (§6). Pure functions, thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/programme_rules.h"
#include "domain/reading.h"
#include "domain/time.h"

namespace dualread {

struct FormIdentification {
  std::string woman_id;          // dualread's id when the CIM knows it (may be empty)
  std::string ins;               // 15 characters (NIR + key); empty when not qualified
  std::string screening_number;  // from the invitation; one of ins / screening_number needed
  std::string birth_name;
  std::string first_names;
  std::string used_name;
  std::optional<Date> birth_date;
  std::string cim_id;
  std::string site_id;
  std::string mammography_unit;
  std::optional<Date> mammogram_date;
  ReaderRef l1_radiologist;
  std::string technologist;
  bool operator==(const FormIdentification&) const = default;
};

enum class MenopausalStatus { kUnknown, kPremenopausal, kPostmenopausal };
enum class Symptom { kLump, kNippleDischarge, kSkinOrNippleChange, kPain };
enum class ClinicalExamResult { kNormal, kAbnormal };

struct FamilyHistory {
  bool breast_cancer = false;
  bool ovarian_cancer = false;
  std::optional<int> closest_degree;  // 1 or 2; required when either cancer is reported
  bool operator==(const FamilyHistory&) const = default;
};

struct ClinicalBreastExam {
  std::optional<ClinicalExamResult> result;  // empty = not filled in
  std::string finding;                       // required when abnormal
  FindingLocation location;
  bool operator==(const ClinicalBreastExam&) const = default;
};

struct ClinicalInfo {
  bool benign_surgery = false;
  bool breast_reduction = false;
  bool prosthesis = false;
  bool previous_biopsy = false;
  // A personal breast-cancer history excludes the woman from the programme; the form records it
  // so the check can refuse the exam as "not a screening".
  bool personal_breast_cancer = false;
  FamilyHistory family;
  std::optional<bool> hormone_therapy;
  MenopausalStatus menopause = MenopausalStatus::kUnknown;
  std::vector<Symptom> symptoms;
  ClinicalBreastExam exam_right;
  ClinicalBreastExam exam_left;
  bool operator==(const ClinicalInfo&) const = default;
};

struct L1Mammography {
  int view_count = 0;  // standard views taken
  bool extra_views = false;
  std::optional<Density> density;
  BreastAssessment right;
  BreastAssessment left;
  bool operator==(const L1Mammography&) const = default;
};

// Immediate work-up (BDI), done the same day when L1 is ACR 0/3/4/5 or the clinical exam is
// abnormal. The assessment after BDI decides the route.
struct ImmediateWorkUp {
  bool done = false;
  bool extra_views = false;
  bool ultrasound = false;
  std::string ultrasound_result;
  bool needle_procedure = false;
  BreastAssessment after_right;
  BreastAssessment after_left;
  bool operator==(const ImmediateWorkUp&) const = default;
};

enum class L1Conclusion { kNegative, kPositive };
// Recommended management of an L1-positive.
enum class Management { kNone, kShortFollowUp, kBiopsy, kReferral };

struct FormConclusion {
  std::optional<L1Conclusion> result;
  std::optional<Management> management;
  std::string comment;
  bool operator==(const FormConclusion&) const = default;
};

struct FormSignature {
  bool is_signed = false;
  std::optional<TimePoint> signed_at;
  bool operator==(const FormSignature&) const = default;
};

struct L1Form {
  FormIdentification identification;
  ClinicalInfo clinical;
  L1Mammography mammography;
  ImmediateWorkUp bdi;
  FormConclusion conclusion;
  FormSignature signature;
  bool operator==(const L1Form&) const = default;
};

enum class L1Route {
  kToL2,        // negative at L1 (after BDI if any): second reading at the centre
  kL1Positive,  // positive at L1: result given at the CIM, file goes to follow-up, no L2
};

// True when the L1 reading calls for an immediate work-up: ACR 0, 3, 4 or 5 on either breast,
// or an abnormal clinical exam.
bool bdiRequired(const L1Form& form);

// Where the exam goes once complete. When a BDI was done its assessment decides; otherwise the
// L1 assessment does. A form that needed a BDI but records none routes to L1-positive: a
// suspicious exam must never reach the negative pool by omission (checkL1Form reports it).
L1Route routeAfterL1(const L1Form& form);

// Every incoherence of the form, each with the JSON path of the field to fix. Empty = the form
// may close the exam. Rules: identification (an identifier, names, birth date, CIM, mammogram
// date, L1 RPPS); clinical (exam per breast, finding when abnormal, family-history degree, no
// personal breast cancer); mammography (views >= rules.min_standard_views, density, BI-RADS per
// breast, ACR 3+ needs a finding, ACR 1 has none, finding side/location/size); BDI (required
// for ACR 0/3+ or abnormal clinical exam, what it included, ultrasound result, final assessment
// per breast 1-5, nothing recorded when not done); conclusion consistent with the route and
// management given for a positive; signature with a time not before the mammogram.
std::vector<FormError> checkL1Form(const L1Form& form, const ProgrammeRules& rules);

// True when `ins` is a well-formed INS/NIR: 13 characters (digits, or 2A/2B as department)
// followed by the 2-digit control key 97 - (number mod 97).
bool isValidIns(std::string_view ins);

const char* toCode(MenopausalStatus v);
const char* toCode(Symptom v);
const char* toCode(ClinicalExamResult v);
const char* toCode(L1Conclusion v);
const char* toCode(Management v);
const char* toCode(L1Route v);
const char* labelEn(Symptom v);
const char* labelEn(Management v);
const char* labelFr(Symptom v);
const char* labelFr(Management v);
bool parseCode(std::string_view code, MenopausalStatus& out);
bool parseCode(std::string_view code, Symptom& out);
bool parseCode(std::string_view code, ClinicalExamResult& out);
bool parseCode(std::string_view code, L1Conclusion& out);
bool parseCode(std::string_view code, Management& out);

}  // namespace dualread
