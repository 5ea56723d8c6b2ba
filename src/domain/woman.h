#pragma once
// Woman: a participant of the programme as the centre knows her — identity traits (the five INS
// traits plus used name), the national identifier when qualified, one local patient id (IPP) per
// imaging centre, postal address, consent to the digital flow and the doctors she named (RPPS)
// to receive her results. Owned by the register (index/ repositories); the domain only reads it.
// Plain value type, no invariants enforced here (identity matching lives elsewhere).

#include <optional>
#include <string>
#include <vector>

#include "domain/time.h"

namespace dualread {

enum class Sex { kUnknown, kFemale, kMale, kOther };

// The IPP a CIM's RIS assigned to her; carried in DICOM PatientID with the CIM as issuer.
struct LocalPatientId {
  std::string cim_id;
  std::string ipp;
};

struct PostalAddress {
  std::vector<std::string> lines;  // street, building, "lieu-dit"...
  std::string postal_code;
  std::string city;
  std::string country = "FR";
};

// Consent to the dematerialised flow (images and forms sent electronically, portal access).
enum class DigitalConsent { kNotAsked, kGranted, kRefused };

enum class DoctorRole { kGeneralPractitioner, kGynaecologist, kOther };

// A doctor she named to receive her results; RPPS is the national professional id (11 digits).
// `address` is where the centre posts her letters (from the invitation file).
struct NamedDoctor {
  std::string rpps;
  std::string name;
  DoctorRole role = DoctorRole::kGeneralPractitioner;
  PostalAddress address;
};

struct Woman {
  std::string id;  // dualread's own identifier, stable across CIMs
  // INS (NIR-based national identifier). Empty when not known; `ins_qualified` says whether it
  // was verified against the national teleservice (only a qualified INS may be exchanged).
  std::string ins;
  bool ins_qualified = false;
  std::string screening_number;  // the programme's number printed on the invitation

  // INS traits.
  std::string birth_name;
  std::string first_names;  // all first names, space-separated, as on the civil record
  std::optional<Date> birth_date;
  Sex sex = Sex::kFemale;
  std::string birth_place_code;  // INSEE code (99xxx abroad)
  std::string used_name;         // "nom d'usage", may differ from the birth name

  std::vector<LocalPatientId> local_ids;
  PostalAddress address;
  DigitalConsent consent = DigitalConsent::kNotAsked;
  std::optional<Date> consent_date;
  std::vector<NamedDoctor> doctors;

  // The IPP she has at `cim_id`, if that CIM ever registered her.
  std::optional<std::string> ippAt(const std::string& cim_id) const {
    for (const auto& l : local_ids)
      if (l.cim_id == cim_id) return l.ipp;
    return std::nullopt;
  }
};

}  // namespace dualread
