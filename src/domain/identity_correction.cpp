#include "domain/identity_correction.h"

#include "domain/identity_names.h"
#include "domain/identity_nir.h"

namespace dualread {

IdentityTraits traitsOf(const WomanIdentity& w) {
  return {w.birth_name,  w.first_names, w.used_names, w.birth_date, w.sex,
          w.birth_place, w.nir,         w.ins_oid,    w.status};
}

WomanIdentity withTraits(WomanIdentity w, const IdentityTraits& t) {
  w.birth_name = t.birth_name;
  w.first_names = t.first_names;
  w.used_names = t.used_names;
  w.birth_date = t.birth_date;
  w.sex = t.sex;
  w.birth_place = t.birth_place;
  w.nir = t.nir;
  w.ins_oid = t.ins_oid;
  w.status = t.status;
  return w;
}

namespace {

constexpr size_t kMaxName = 80;

void checkName(const std::string& value, const std::string& field, const char* what,
               std::vector<FormError>& out) {
  if (nameKey(value).empty())
    out.push_back({field, std::string(what) + " must contain at least one letter"});
  else if (value.size() > kMaxName)
    out.push_back({field, std::string(what) + " is longer than 80 characters"});
}

bool digits(const std::string& s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::vector<FormError> checkCorrectedTraits(const IdentityTraits& t, const std::string& today) {
  std::vector<FormError> out;
  checkName(t.birth_name, "birth_name", "the birth name", out);
  checkName(t.first_names, "first_names", "the first names", out);
  if (t.used_names.size() > 10) out.push_back({"used_names", "at most 10 used names"});
  for (size_t i = 0; i < t.used_names.size() && i < 10; ++i)
    checkName(t.used_names[i], "used_names[" + std::to_string(i) + "]", "a used name", out);
  const bool date_ok = validDicomDate(t.birth_date);
  if (!date_ok)
    out.push_back({"birth_date",
                   "'" + t.birth_date.substr(0, 20) + "' is not a date (YYYY-MM-DD or YYYYMMDD)"});
  else if (t.birth_date < "19000101" || t.birth_date > today)
    out.push_back({"birth_date", "the birth date must lie between 1900-01-01 and today"});
  const bool sex_ok = t.sex == "F" || t.sex == "M" || t.sex == "O";
  if (!sex_ok) out.push_back({"sex", "must be F, M or O"});
  if (!t.birth_place.empty()) {
    const std::string dept = t.birth_place.substr(0, 2);
    const bool ok = t.birth_place.size() == 5 && digits(t.birth_place.substr(2)) &&
                    (digits(dept) || dept == "2A" || dept == "2B");
    if (!ok)
      out.push_back(
          {"birth_place", "an INSEE code has 5 characters: 2 digits (or 2A/2B), then 3 digits"});
  }
  if (!t.nir.empty()) {
    const NirCheck c = checkNir(t.nir);
    if (c == NirCheck::kMalformed)
      out.push_back({"ins",
                     "an INS (NIR) has 15 characters: 13 digits (2A/2B for Corsica) and "
                     "its 2-digit key"});
    else if (c == NirCheck::kBadKey)
      out.push_back({"ins", "the key of this NIR is wrong: a digit is probably mistyped"});
    else
      for (const auto& conflict :
           nirTraitConflicts(t.nir, date_ok ? t.birth_date : "", sex_ok ? t.sex : ""))
        out.push_back({"ins", "this NIR contradicts the identity: " + conflict});
  }
  if (t.status == InsStatus::kVerified && t.nir.empty())
    out.push_back({"status", "a verified identity needs its INS"});
  return out;
}

std::vector<std::string> changedTraits(const IdentityTraits& a, const IdentityTraits& b) {
  std::vector<std::string> out;
  if (a.birth_name != b.birth_name) out.push_back("birth_name");
  if (a.first_names != b.first_names) out.push_back("first_names");
  if (a.used_names != b.used_names) out.push_back("used_names");
  if (a.birth_date != b.birth_date) out.push_back("birth_date");
  if (a.sex != b.sex) out.push_back("sex");
  if (a.birth_place != b.birth_place) out.push_back("birth_place");
  if (a.nir != b.nir || a.ins_oid != b.ins_oid) out.push_back("ins");
  if (a.status != b.status) out.push_back("status");
  return out;
}

std::string correctedInsOid(const IdentityTraits& before, const std::string& nir,
                            InsStatus status) {
  if (nir.empty()) return {};
  if (nir == before.nir && !before.ins_oid.empty()) return before.ins_oid;  // as received
  return status == InsStatus::kVerified ? kInsNirOid : std::string();
}

std::optional<std::string> sameWomanAs(const WomanIdentity& a, const WomanIdentity& b) {
  if (a.id == b.id || b.merged_into) return std::nullopt;
  if (!a.nir.empty() && a.nir == b.nir)
    return "woman " + std::to_string(b.id) + " has the same INS (" + b.nir + ")";
  if (!a.nir.empty() && !b.nir.empty()) return std::nullopt;  // two INS: two people
  if (nameKey(a.birth_name) == nameKey(b.birth_name) &&
      nameKey(a.first_names) == nameKey(b.first_names) && a.birth_date == b.birth_date &&
      a.sex == b.sex)
    return "woman " + std::to_string(b.id) +
           " has the same birth name, first names, birth date and sex";
  return std::nullopt;
}

}  // namespace dualread
