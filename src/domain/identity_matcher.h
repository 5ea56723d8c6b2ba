#pragma once
// The identity matcher: given the identity an incoming object carries (DICOM instance or
// reading form) and the women of the register that could be her (found by INS, by IPP at the
// CIM, by birth date, by name), decides what the hub may do without a human:
//   attach   — an INS matching a woman with coherent traits (verified when the INS is
//              qualified), or strong traits without INS: the IPP already known at that CIM (the
//              form's exam for a form) with name, birth date and sex coherent (provisional);
//   create   — nobody in the register resembles her: a new woman (verified with a qualified
//              INS, provisional otherwise);
//   queue    — any doubt, with a reason code and a sentence: same IPP with other traits, same
//              traits with another IPP, same INS with other traits (another woman's INS), a
//              name that may be a birth or a married name, a probable typo, possible twins or
//              homonyms, swapped names, missing values, a NIR whose key is wrong.
// It never attaches an object to a woman whose identity disagrees with it. Pure function of its
// inputs (no I/O, no clock), thread-safe. The reasons are documented in docs/notes/identity.md.

#include <optional>
#include <string>
#include <vector>

#include "domain/identity.h"

namespace dualread {

enum class IdentityOutcome { kAttach, kCreate, kQueue };
const char* toCode(IdentityOutcome o);  // "attach", "create", "queue"

enum class IdentityReason {
  kNone,
  kMissingTraits,     // a required trait is empty or not a valid value
  kNirInvalid,        // the NIR is malformed or its key is wrong
  kNirIncoherent,     // the NIR contradicts the sex or the birth date sent with it
  kInsOtherTraits,    // the INS belongs to a woman whose traits differ (another woman's INS)
  kIppOtherWoman,     // the IPP at this CIM belongs to one woman, the INS to another
  kIppOtherIns,       // the woman of this IPP has another INS
  kIppOtherTraits,    // same IPP at this CIM, other traits
  kTraitsOtherIpp,    // a woman with the same traits has another IPP at this CIM
  kUnconfirmedMatch,  // the traits match a woman but neither INS nor IPP confirm it
  kHomonym,           // same traits as a woman who has another INS
  kAmbiguous,         // several women match
  kPossibleTypo,      // one woman's traits but for a near miss (letter, digit, day)
  kPossibleTwin,      // same birth name and date as a woman, another first name
  kSwappedNames,      // family and first names swapped
  kNameChange,        // another family name for the same IPP/INS: married name or another woman?
  kFormOtherWoman,    // the form points to another woman than its exam's images
};
const char* toCode(IdentityReason r);  // "ipp-other-traits"...
std::optional<IdentityReason> identityReasonFromCode(const std::string& code);

struct IdentityDecision {
  IdentityOutcome outcome = IdentityOutcome::kQueue;
  std::optional<int64_t> woman_id;         // kAttach: the woman
  InsStatus status = InsStatus::kUnknown;  // kAttach/kCreate: how sure the link is
  IdentityReason reason = IdentityReason::kNone;
  std::string explanation;          // one sentence, for the queue and the log
  std::vector<int64_t> candidates;  // women concerned (the side-by-side view shows them)
  // What attaching or creating records in the register:
  bool record_ins = false;    // the incoming INS becomes hers (new, or provisional → verified)
  bool record_ipp = false;    // the incoming IPP at its CIM becomes hers
  std::string new_used_name;  // a family name she was not known under yet
};

// Field-by-field comparison of incoming traits with one woman (for the side-by-side view).
enum class TraitMatch { kSame, kNear, kDiffers, kMissing, kNotCarried };
const char* toCode(TraitMatch m);  // "same", "near", "differs", "missing", "not-carried"
struct TraitComparison {
  TraitMatch family = TraitMatch::kMissing;
  TraitMatch first_names = TraitMatch::kMissing;
  TraitMatch birth_date = TraitMatch::kMissing;
  TraitMatch sex = TraitMatch::kMissing;
  TraitMatch ins = TraitMatch::kNotCarried;  // kSame/kDiffers when both have one
  bool swapped = false;                      // family and first names swapped
  bool coherent() const;                     // every carried trait the same
  bool nearMiss() const;                     // none differs, at least one near
};
TraitComparison compareTraits(const IncomingIdentity& in, const WomanIdentity& woman);

// The family name incoming traits give (DICOM: PN family; form: birth name, else used name).
std::string incomingFamilyName(const IncomingIdentity& in);
// Whether the INS came qualified: the INS-NIR OID (or issuer "INS-NIR") on DICOM; a form's INS
// is qualified by the form's definition.
bool insQualified(const IncomingIdentity& in);

// The decision for `in` among `candidates` (women merged into another are ignored).
IdentityDecision matchIdentity(const IncomingIdentity& in,
                               const std::vector<WomanIdentity>& candidates);

}  // namespace dualread
