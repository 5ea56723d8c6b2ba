#include "domain/identity_matcher.h"

#include <algorithm>

#include "domain/identity_names.h"
#include "domain/identity_nir.h"

namespace dualread {
namespace {

struct ReasonName {
  IdentityReason reason;
  const char* code;
};
constexpr ReasonName kReasons[] = {
    {IdentityReason::kNone, "none"},
    {IdentityReason::kMissingTraits, "missing-traits"},
    {IdentityReason::kNirInvalid, "nir-invalid"},
    {IdentityReason::kNirIncoherent, "nir-incoherent"},
    {IdentityReason::kInsOtherTraits, "ins-other-traits"},
    {IdentityReason::kIppOtherWoman, "ipp-other-woman"},
    {IdentityReason::kIppOtherIns, "ipp-other-ins"},
    {IdentityReason::kIppOtherTraits, "ipp-other-traits"},
    {IdentityReason::kTraitsOtherIpp, "traits-other-ipp"},
    {IdentityReason::kUnconfirmedMatch, "unconfirmed-match"},
    {IdentityReason::kHomonym, "homonym"},
    {IdentityReason::kAmbiguous, "ambiguous"},
    {IdentityReason::kPossibleTypo, "possible-typo"},
    {IdentityReason::kPossibleTwin, "possible-twin"},
    {IdentityReason::kSwappedNames, "swapped-names"},
    {IdentityReason::kNameChange, "name-change"},
    {IdentityReason::kFormOtherWoman, "form-other-woman"},
};

std::string who(const WomanIdentity& w) {
  std::string s = "woman " + std::to_string(w.id) + " (" + w.birth_name;
  for (const auto& u : w.used_names) s += " / " + u;
  s += " " + w.first_names + ", born " + w.birth_date + ")";
  return s;
}

std::string what(const IncomingIdentity& in) {
  std::string s = in.source == TraitSource::kDicom ? "the image says " : "the form says ";
  s += incomingFamilyName(in);
  if (in.source == TraitSource::kForm && !in.used_name.empty() && !in.birth_name.empty())
    s += " (used name " + in.used_name + ")";
  s += " " + in.first_names + ", born " + in.birth_date;
  if (!in.sex.empty()) s += ", sex " + in.sex;
  return s;
}

std::string differingFields(const TraitComparison& c) {
  std::vector<std::string> f;
  auto add = [&](TraitMatch m, const char* name) {
    if (m == TraitMatch::kDiffers || m == TraitMatch::kNear) f.push_back(name);
  };
  add(c.family, "family name");
  add(c.first_names, "first names");
  add(c.birth_date, "birth date");
  add(c.sex, "sex");
  std::string s;
  for (size_t i = 0; i < f.size(); ++i) s += (i ? (i + 1 == f.size() ? " and " : ", ") : "") + f[i];
  return s;
}

IdentityDecision queue(IdentityReason reason, std::string explanation,
                       std::vector<int64_t> candidates = {}) {
  IdentityDecision d;
  d.outcome = IdentityOutcome::kQueue;
  d.reason = reason;
  d.explanation = std::move(explanation);
  d.candidates = std::move(candidates);
  return d;
}

bool onlyFamilyDiffers(const TraitComparison& c) {
  auto ok = [](TraitMatch m) { return m == TraitMatch::kSame || m == TraitMatch::kNotCarried; };
  return c.family == TraitMatch::kDiffers && ok(c.first_names) && ok(c.birth_date) && ok(c.sex);
}

// A form's used name not known yet for her: to be recorded when attaching.
std::string newUsedName(const IncomingIdentity& in, const WomanIdentity& w) {
  const std::string candidate = in.source == TraitSource::kForm ? in.used_name : std::string();
  if (candidate.empty() || familyNameMatches(candidate, w.birth_name, w.used_names)) return {};
  return candidate;
}

}  // namespace

const char* toCode(IdentityOutcome o) {
  switch (o) {
    case IdentityOutcome::kAttach:
      return "attach";
    case IdentityOutcome::kCreate:
      return "create";
    default:
      return "queue";
  }
}

const char* toCode(IdentityReason r) {
  for (const auto& n : kReasons)
    if (n.reason == r) return n.code;
  return "none";
}

std::optional<IdentityReason> identityReasonFromCode(const std::string& code) {
  for (const auto& n : kReasons)
    if (code == n.code) return n.reason;
  return std::nullopt;
}

const char* toCode(TraitMatch m) {
  switch (m) {
    case TraitMatch::kSame:
      return "same";
    case TraitMatch::kNear:
      return "near";
    case TraitMatch::kDiffers:
      return "differs";
    case TraitMatch::kMissing:
      return "missing";
    default:
      return "not-carried";
  }
}

bool TraitComparison::coherent() const {
  auto ok = [](TraitMatch m) { return m == TraitMatch::kSame || m == TraitMatch::kNotCarried; };
  return ok(family) && ok(first_names) && ok(birth_date) && ok(sex) && ins != TraitMatch::kDiffers;
}

bool TraitComparison::nearMiss() const {
  bool near = false;
  for (TraitMatch m : {family, first_names, birth_date, sex}) {
    if (m == TraitMatch::kDiffers || m == TraitMatch::kMissing) return false;
    near = near || m == TraitMatch::kNear;
  }
  return near;
}

std::string incomingFamilyName(const IncomingIdentity& in) {
  if (in.source == TraitSource::kDicom) return in.family_name;
  return in.birth_name.empty() ? in.used_name : in.birth_name;
}

bool insQualified(const IncomingIdentity& in) {
  if (in.ins.empty()) return false;
  if (in.source == TraitSource::kForm) return true;
  return in.ins_oid == kInsNirOid || in.ins_oid == "INS-NIR";
}

TraitComparison compareTraits(const IncomingIdentity& in, const WomanIdentity& w) {
  TraitComparison c;
  const std::string family = incomingFamilyName(in);
  if (family.empty()) {
    c.family = TraitMatch::kMissing;
  } else {
    bool same = familyNameMatches(family, w.birth_name, w.used_names);
    // A form names both: either of them known for her is enough (the other may be new).
    if (!same && in.source == TraitSource::kForm && !in.used_name.empty())
      same = familyNameMatches(in.used_name, w.birth_name, w.used_names);
    bool near = nearName(family, w.birth_name);
    for (const auto& u : w.used_names) near = near || nearName(family, u);
    c.family = same ? TraitMatch::kSame : near ? TraitMatch::kNear : TraitMatch::kDiffers;
  }
  if (in.first_names.empty()) {
    c.first_names = TraitMatch::kMissing;
  } else if (firstNamesMatch(in.first_names, w.first_names) ||
             firstNamesMatch(w.first_names, in.first_names)) {
    // Either list may be the shorter: DICOM often carries the first given name only, the form
    // and the INS the whole civil list.
    c.first_names = TraitMatch::kSame;
  } else {
    const std::string first_civil = w.first_names.substr(0, w.first_names.find(' '));
    c.first_names =
        nearName(in.first_names, first_civil) ? TraitMatch::kNear : TraitMatch::kDiffers;
  }
  if (in.birth_date.empty()) {
    c.birth_date = TraitMatch::kMissing;
  } else {
    c.birth_date = in.birth_date == w.birth_date           ? TraitMatch::kSame
                   : nearDate(in.birth_date, w.birth_date) ? TraitMatch::kNear
                                                           : TraitMatch::kDiffers;
  }
  if (in.source == TraitSource::kForm) {
    c.sex = TraitMatch::kNotCarried;
  } else if (in.sex.empty()) {
    c.sex = TraitMatch::kMissing;
  } else {
    c.sex = w.sex.empty() || in.sex == w.sex ? TraitMatch::kSame : TraitMatch::kDiffers;
  }
  if (!in.ins.empty() && !w.nir.empty())
    c.ins = in.ins == w.nir ? TraitMatch::kSame : TraitMatch::kDiffers;
  // Swapped: the family name written is her first name and the first names her family name.
  if (!family.empty() && !in.first_names.empty() && c.family != TraitMatch::kSame)
    c.swapped = firstNamesMatch(family, w.first_names) &&
                familyNameMatches(in.first_names, w.birth_name, w.used_names);
  return c;
}

IdentityDecision matchIdentity(const IncomingIdentity& in, const std::vector<WomanIdentity>& all) {
  const bool dicom = in.source == TraitSource::kDicom;
  std::vector<const WomanIdentity*> women;
  for (const auto& w : all)
    if (!w.merged_into) women.push_back(&w);

  // Women found by INS or by link, for the queue's candidates even when values are missing.
  const WomanIdentity* by_ins = nullptr;
  const WomanIdentity* by_link = nullptr;
  for (const auto* w : women) {
    if (!in.ins.empty() && w->nir == in.ins) by_ins = w;
    if (dicom && !in.cim.empty() && !in.ipp.empty() && w->ippAt(in.cim) == in.ipp) by_link = w;
    if (!dicom && in.linked_woman && w->id == *in.linked_woman) by_link = w;
  }
  std::vector<int64_t> known;
  if (by_ins) known.push_back(by_ins->id);
  if (by_link && by_link != by_ins) known.push_back(by_link->id);

  // 0. Every trait needed to match safely.
  std::vector<std::string> missing;
  if (dicom && in.ipp.empty()) missing.push_back("patient ID (IPP)");
  if (dicom && in.cim.empty()) missing.push_back("issuer of the patient ID (the CIM)");
  if (nameKey(incomingFamilyName(in)).empty()) missing.push_back("family name");
  if (nameKey(in.first_names).empty()) missing.push_back("first names");
  if (in.birth_date.empty())
    missing.push_back("birth date");
  else if (!validDicomDate(in.birth_date))
    missing.push_back("birth date (\"" + in.birth_date + "\" is not a date)");
  if (dicom && in.sex.empty()) missing.push_back("sex");
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size(); ++i) list += (i ? ", " : "") + missing[i];
    return queue(IdentityReason::kMissingTraits,
                 "missing or invalid identity traits: " + list +
                     "; she cannot be identified "
                     "safely",
                 known);
  }

  // 1. The national identifier, when sent, must be well formed and agree with the traits.
  const bool has_ins = !in.ins.empty();
  if (has_ins) {
    const NirCheck check = checkNir(in.ins);
    if (check != NirCheck::kValid)
      return queue(IdentityReason::kNirInvalid,
                   check == NirCheck::kBadKey
                       ? "the INS " + in.ins +
                             " has a wrong key (a digit was probably mistyped); "
                             "it is not used to identify her"
                       : "the INS \"" + in.ins +
                             "\" is not a NIR of 15 characters; it is not "
                             "used to identify her",
                   known);
    const auto conflicts = nirTraitConflicts(in.ins, in.birth_date, in.sex);
    if (!conflicts.empty())
      return queue(IdentityReason::kNirIncoherent,
                   "the INS " + in.ins + " does not fit the traits sent with it: " + conflicts[0],
                   known);
  }
  const bool qualified = insQualified(in);
  const InsStatus link_status = qualified ? InsStatus::kVerified : InsStatus::kProvisional;

  IdentityDecision attach;
  attach.outcome = IdentityOutcome::kAttach;
  attach.status = link_status;

  // 2. A woman holds this INS.
  if (by_ins) {
    const WomanIdentity& w = *by_ins;
    if (by_link && by_link != by_ins)
      return queue(dicom ? IdentityReason::kIppOtherWoman : IdentityReason::kFormOtherWoman,
                   dicom ? "the INS " + in.ins + " is " + who(w) + "'s but patient ID " + in.ipp +
                               " at " + in.cim + " is " + who(*by_link) + "'s"
                         : "the form's INS " + in.ins + " is " + who(w) + "'s but its exam is " +
                               who(*by_link) + "'s",
                   {w.id, by_link->id});
    const TraitComparison c = compareTraits(in, w);
    if (c.swapped)
      return queue(IdentityReason::kSwappedNames,
                   what(in) + ": family and first names of " + who(w) + " swapped", {w.id});
    attach.woman_id = w.id;
    attach.candidates = {w.id};
    attach.record_ins = qualified && w.status != InsStatus::kVerified;
    attach.record_ipp = dicom && !by_link;
    if (c.coherent()) {
      attach.new_used_name = newUsedName(in, w);
      attach.explanation = "INS " + in.ins + (qualified ? " (qualified)" : " (not qualified)") +
                           " and traits match " + who(w);
      return attach;
    }
    if (onlyFamilyDiffers(c)) {
      if (qualified) {
        // Her used (married) name where the woman is known by her birth name, or the reverse:
        // the qualified INS and every other trait agree.
        attach.new_used_name = incomingFamilyName(in);
        attach.explanation = "qualified INS " + in.ins +
                             ", first names, birth date and sex "
                             "match " +
                             who(w) + "; " + incomingFamilyName(in) +
                             " recorded as a name she uses";
        return attach;
      }
      return queue(IdentityReason::kNameChange,
                   what(in) + " under the INS of " + who(w) +
                       ", which is not qualified: a used (married) name or another woman?",
                   {w.id});
    }
    if (c.nearMiss())
      return queue(IdentityReason::kPossibleTypo,
                   what(in) + ": the " + differingFields(c) + " of " + who(w) +
                       ", whose INS it carries, but for a probable typo",
                   {w.id});
    return queue(IdentityReason::kInsOtherTraits,
                 "the INS " + in.ins + " is " + who(w) + "'s but " + what(in) + " (" +
                     differingFields(c) + " differ)",
                 {w.id});
  }

  // 3. The IPP at this CIM (or the form's exam) names a woman.
  if (by_link) {
    const WomanIdentity& w = *by_link;
    if (has_ins && !w.nir.empty())
      return queue(dicom ? IdentityReason::kIppOtherIns : IdentityReason::kFormOtherWoman,
                   (dicom ? "patient ID " + in.ipp + " at " + in.cim + " is " + who(w)
                          : "the form's exam is " + who(w)) +
                       ", whose INS is " + w.nir + ", but it carries INS " + in.ins,
                   {w.id});
    const TraitComparison c = compareTraits(in, w);
    if (c.swapped)
      return queue(IdentityReason::kSwappedNames,
                   what(in) + ": family and first names of " + who(w) + " swapped", {w.id});
    if (c.coherent()) {
      attach.woman_id = w.id;
      attach.candidates = {w.id};
      attach.record_ins = has_ins;
      attach.status = qualified ? InsStatus::kVerified : InsStatus::kProvisional;
      attach.new_used_name = newUsedName(in, w);
      attach.explanation = std::string(dicom ? "patient ID " + in.ipp + " at " + in.cim
                                             : std::string("the form's exam")) +
                           " and traits match " + who(w) +
                           (qualified ? "; her INS is now verified" : " (provisional)");
      return attach;
    }
    if (onlyFamilyDiffers(c))
      return queue(IdentityReason::kNameChange,
                   what(in) + " under the " + (dicom ? "patient ID" : "exam") + " of " + who(w) +
                       ": a new used (married) name or another woman?",
                   {w.id});
    if (c.nearMiss())
      return queue(
          IdentityReason::kPossibleTypo,
          what(in) + ": the " + differingFields(c) + " of " + who(w) + " but for a probable typo",
          {w.id});
    return queue(dicom ? IdentityReason::kIppOtherTraits : IdentityReason::kFormOtherWoman,
                 (dicom ? "patient ID " + in.ipp + " at " + in.cim + " is " + who(w)
                        : "the form's exam is " + who(w)) +
                     " but " + what(in) + " (" + differingFields(c) + " differ)",
                 {w.id});
  }

  // 4. Neither INS nor IPP known: does anybody in the register resemble her?
  std::vector<const WomanIdentity*> exact, near, twins, swapped;
  for (const auto* w : women) {
    TraitComparison c = compareTraits(in, *w);
    c.ins = TraitMatch::kNotCarried;  // another INS is judged below
    if (c.coherent())
      exact.push_back(w);
    else if (c.swapped)
      swapped.push_back(w);
    else if (c.nearMiss())
      near.push_back(w);
    else if (c.family == TraitMatch::kSame && c.birth_date == TraitMatch::kSame &&
             c.first_names == TraitMatch::kDiffers)
      twins.push_back(w);
  }
  auto ids = [](const std::vector<const WomanIdentity*>& v) {
    std::vector<int64_t> out;
    for (const auto* w : v) out.push_back(w->id);
    return out;
  };
  if (dicom)
    for (const auto* w : exact)
      if (auto other = w->ippAt(in.cim))
        return queue(IdentityReason::kTraitsOtherIpp,
                     what(in) + " under patient ID " + in.ipp + " at " + in.cim + ", but " +
                         who(*w) + " has the same traits under patient ID " + *other +
                         " there: a duplicate record at the centre or another woman?",
                     {w->id});
  std::vector<const WomanIdentity*> exact_without_ins, exact_other_ins;
  for (const auto* w : exact) (w->nir.empty() ? exact_without_ins : exact_other_ins).push_back(w);
  if (qualified && !exact_other_ins.empty())
    return queue(IdentityReason::kHomonym,
                 what(in) + " with INS " + in.ins + ", the same traits as " +
                     who(*exact_other_ins.front()) + " whose INS is " +
                     exact_other_ins.front()->nir + ": homonyms or a wrong INS?",
                 ids(exact));
  if (exact.size() > 1)
    return queue(
        IdentityReason::kAmbiguous,
        what(in) + ": " + std::to_string(exact.size()) + " women of the register have these traits",
        ids(exact));
  if (exact.size() == 1) {
    const WomanIdentity& w = *exact.front();
    if (qualified && w.nir.empty()) {
      // Her qualified INS arrives for a woman known provisionally by her traits.
      attach.woman_id = w.id;
      attach.candidates = {w.id};
      attach.record_ins = true;
      attach.record_ipp = dicom;
      attach.explanation = "qualified INS " + in.ins + " arrives for " + who(w) +
                           ", known provisionally with exactly these traits; her INS is now "
                           "verified";
      return attach;
    }
    return queue(IdentityReason::kUnconfirmedMatch,
                 what(in) + ", the traits of " + who(w) + ", but neither a qualified INS nor " +
                     (dicom ? "a patient ID known at " + in.cim : std::string("its exam")) +
                     " confirms it: the same woman or a homonym?",
                 {w.id});
  }
  // Nobody has exactly these traits; near misses of women without INS may be her, mistyped.
  std::vector<const WomanIdentity*> unsure_swapped, unsure_near, unsure_twins;
  for (const auto* w : swapped)
    if (!qualified || w->nir.empty()) unsure_swapped.push_back(w);
  for (const auto* w : near)
    if (!qualified || w->nir.empty()) unsure_near.push_back(w);
  for (const auto* w : twins)
    if (!qualified || w->nir.empty()) unsure_twins.push_back(w);
  if (!unsure_swapped.empty())
    return queue(
        IdentityReason::kSwappedNames,
        what(in) + ": family and first names of " + who(*unsure_swapped.front()) + " swapped?",
        ids(unsure_swapped));
  if (!unsure_near.empty()) {
    const TraitComparison c = compareTraits(in, *unsure_near.front());
    return queue(IdentityReason::kPossibleTypo,
                 what(in) + ": the " + differingFields(c) + " of " + who(*unsure_near.front()) +
                     " but for a probable typo",
                 ids(unsure_near));
  }
  if (!unsure_twins.empty())
    return queue(IdentityReason::kPossibleTwin,
                 what(in) + ": same family name and birth date as " + who(*unsure_twins.front()) +
                     ", another first name: her twin sister or the same woman?",
                 ids(unsure_twins));
  IdentityDecision create;
  create.outcome = IdentityOutcome::kCreate;
  create.status = link_status;
  create.record_ins = has_ins;
  create.record_ipp = dicom;
  if (in.source == TraitSource::kForm && !in.used_name.empty() && !in.birth_name.empty())
    create.new_used_name = in.used_name;
  create.explanation = "nobody in the register resembles her: a new woman (" +
                       std::string(toCode(link_status)) + ")";
  return create;
}

}  // namespace dualread
