#pragma once
// LettersConfig: what the centre sets for its letters — its own name and postal address, the
// signatory, the portal address printed for women, the template directory, and each imaging
// centre's (CIM) postal address (CTI notices, L1-positive acknowledgments, letters to the L1
// radiologist). Filled by app/config_loader from [letters] and [[cim]]; read-only once the
// hub runs.

#include <filesystem>
#include <string>
#include <vector>

namespace dualread {

struct PostalContact {
  std::string name;
  std::vector<std::string> address_lines;
  std::string postal_code;
  std::string city;
  std::string phone;
  std::string email;
};

struct CimContact {
  std::string id;  // as in the images' IssuerOfPatientID and the reading forms
  PostalContact contact;
};

struct LettersConfig {
  PostalContact crcdc;
  std::string website;
  std::string signatory;
  std::string signatory_title;
  std::string portal_url;
  std::filesystem::path templates_dir;  // empty: the templates shipped with dualread
  // TrueType fonts embedded in every letter; empty: DejaVu Sans. A font with fewer glyphs
  // (DejaVu Serif) halves the time a print run takes.
  std::filesystem::path font_regular;
  std::filesystem::path font_bold;
  std::vector<CimContact> cims;

  // Letters need at least the centre's name and address.
  bool configured() const {
    return !crcdc.name.empty() && !crcdc.address_lines.empty() && !crcdc.city.empty();
  }
  const CimContact* cim(const std::string& id) const {
    for (const auto& c : cims)
      if (c.id == id) return &c;
    return nullptr;
  }
};

}  // namespace dualread
