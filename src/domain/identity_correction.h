#pragma once
// A secretary's correction of a woman's identity in the register (identity vigilance,
// SCREENING.md §4 and §6): the traits she may correct — birth name, first names, used names,
// birth date, sex, birth place INSEE code, the INS (NIR) and its status — their validation
// with one sentence per wrong field, what a correction changes, and whether corrected traits
// make a woman the same person as another one (then a merge is proposed, never done here).
// Typical case: the first study seen carried a typo, so the woman was created with it and her
// later, correct studies wait in the identity queue. Pure values and functions, no I/O, no
// clock (callers pass today); thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "domain/identity.h"
#include "domain/reading.h"

namespace dualread {

// The correctable part of a WomanIdentity (not her id, IPPs or merge).
struct IdentityTraits {
  std::string birth_name;
  std::string first_names;
  std::vector<std::string> used_names;
  std::string birth_date;   // YYYYMMDD
  std::string sex;          // "F", "M" or "O"
  std::string birth_place;  // INSEE code ("75056", "2A004", "99134" abroad) or empty
  std::string nir;          // 15 characters or empty
  std::string ins_oid;      // kInsNirOid when the INS is qualified, else empty or as received
  InsStatus status = InsStatus::kUnknown;
  bool operator==(const IdentityTraits&) const = default;
};

IdentityTraits traitsOf(const WomanIdentity& w);
// `w` with `t`'s traits (id, IPPs and merge kept).
WomanIdentity withTraits(WomanIdentity w, const IdentityTraits& t);

// Problems of corrected traits, one per field ("birth_name", "first_names", "used_names",
// "birth_date", "sex", "birth_place", "ins", "status"): names with at least one letter and at
// most 80 characters; a valid YYYYMMDD birth date from 1900 to `today` (YYYYMMDD); sex F, M or
// O; a birth place of 5 characters (2 digits or 2A/2B, then 3 digits); an INS of 15 characters
// whose key is right and which does not contradict the sex or birth date; status "verified"
// only with an INS. Empty when the traits may be recorded.
std::vector<FormError> checkCorrectedTraits(const IdentityTraits& t, const std::string& today);

// The names of the fields that differ ("birth_name", ..., "ins", "status").
std::vector<std::string> changedTraits(const IdentityTraits& before, const IdentityTraits& after);

// The INS OID a corrected identity carries: the OID it was received with when the INS did not
// change; else the qualified OID when the status is verified (checked against a document),
// empty otherwise (typed, not qualified).
std::string correctedInsOid(const IdentityTraits& before, const std::string& nir, InsStatus status);

// Whether `a` (corrected) and `b` (another woman of the register) are the same person as far
// as the register can tell: the same INS, or the same birth name, first names, birth date and
// sex while at most one of them has an INS. Two women with different INS are two people
// (homonyms). Returns the sentence saying why, or nullopt.
std::optional<std::string> sameWomanAs(const WomanIdentity& a, const WomanIdentity& b);

}  // namespace dualread
