#pragma once
// The identity register's vocabulary (identity vigilance, SCREENING.md §4 and §6): a woman's
// identity as the centre holds it — the national identifier (INS: NIR + the five traits: birth
// name, first names, birth date, sex, birth place INSEE code) with its status, the used names
// she is known under, and one local patient id (IPP) per imaging centre (issuer = the CIM) —
// and the traits an incoming object (DICOM instance or reading form) carries. Plain value
// types, no I/O; the register itself is index/identity_store, the decision
// domain/identity_matcher. Thread-safe as values.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dualread {

// Status of a woman's identity in the register (the INS "statut de l'identité"):
//   verified    — a qualified INS (national OID, valid key, traits coherent) or a secretary's
//                 check against an identity document;
//   provisional — identified on strong local traits only (IPP at a CIM + name + birth date +
//                 sex), or an INS that was not qualified (test range, no OID);
//   unknown     — nothing reliable yet (created by hand with missing traits).
enum class InsStatus { kUnknown, kProvisional, kVerified };
const char* toCode(InsStatus s);  // "unknown", "provisional", "verified"
std::optional<InsStatus> insStatusFromCode(const std::string& code);

// OID of the INS-NIR (qualified national identifier) and the root of the INS family (the NIA
// test ranges 1.2.250.1.213.1.4.9 and .10 are not qualified identities).
inline constexpr const char* kInsNirOid = "1.2.250.1.213.1.4.8";
inline constexpr const char* kInsOidRoot = "1.2.250.1.213.1.4.";

// An IPP a CIM's RIS assigned (DICOM PatientID with IssuerOfPatientID = the CIM).
struct CimPatientId {
  std::string cim;
  std::string ipp;
  bool operator==(const CimPatientId&) const = default;
};

// A woman in the identity register. `id` is the hub-wide woman id (the archive's and the
// workflow's woman id). Names are kept as received (UTF-8, any case); comparisons go through
// identity_names.h.
struct WomanIdentity {
  int64_t id = 0;
  std::string nir;      // 15 characters (13 + key) when known, else empty
  std::string ins_oid;  // OID the INS came with (kInsNirOid when qualified)
  InsStatus status = InsStatus::kUnknown;
  std::string birth_name;
  std::string first_names;              // civil list, space separated ("MARIE-NOËLLE ANNE")
  std::string birth_date;               // YYYYMMDD
  std::string sex;                      // "F", "M", "O" or empty
  std::string birth_place;              // INSEE code (99xxx abroad), empty when unknown
  std::vector<std::string> used_names;  // noms d'usage (married names...), as received
  std::vector<CimPatientId> ipps;
  std::optional<int64_t> merged_into;  // set when merged into another woman (kept for unmerge)

  // The IPP she has at `cim`, if any.
  std::optional<std::string> ippAt(const std::string& cim) const {
    for (const auto& p : ipps)
      if (p.cim == cim) return p.ipp;
    return std::nullopt;
  }
  bool operator==(const WomanIdentity&) const = default;
};

// Where incoming traits come from: a DICOM instance (PN carries one family name, birth or used:
// the sender does not say which; IPP + issuer; sex) or the L1 reading form (separate birth and
// used names, no IPP, no sex: the national form has none).
enum class TraitSource { kDicom, kForm };

// The identity an incoming object carries.
struct IncomingIdentity {
  TraitSource source = TraitSource::kDicom;
  std::string cim;  // DICOM IssuerOfPatientID / the form's CIM
  std::string ipp;  // DICOM PatientID; empty for a form
  // DICOM: PatientName's family component (birth or used name) and given names.
  // Form: birth_name and used_name separately; family_name is left empty.
  std::string family_name;
  std::string birth_name;
  std::string used_name;
  std::string first_names;
  std::string birth_date;  // YYYYMMDD
  std::string sex;         // DICOM only
  std::string ins;         // NIR + key (OtherPatientIDsSequence / form), empty if absent
  std::string ins_oid;     // UniversalEntityID or IssuerOfPatientID of that identifier
  // The woman the object is already tied to, when there is one: for a form, the woman of the
  // exam's images or the woman id the form names. Plays the role the IPP plays for DICOM.
  std::optional<int64_t> linked_woman;
};

// Splits a DICOM PN value ("FAMILY^GIVEN^MIDDLE^PREFIX^SUFFIX", first component group only) into
// the family name and the given names (given + middle, space separated).
void splitPersonName(const std::string& pn, std::string& family, std::string& given);

}  // namespace dualread
