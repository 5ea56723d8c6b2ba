#pragma once
// HL7 CDA R2 level 3 export of the reading form (FI) and, when read, the L2 result — the
// structured exchange document the national framework asks for (SCREENING.md §5). Builds a
// ClinicalDocument: recordTarget with the INS (OID 1.2.250.1.213.1.4.8), the L1 (and L2) reader
// as authors (RPPS as national professional id), the centre as custodian, and a structuredBody
// whose sections carry French narrative plus coded entries: breast density and per-breast
// BI-RADS as observations (SNOMED CT, DICOM), findings with location and size, BDI, conclusion,
// L2 result and CTI requests. Pure string building, no I/O; thread-safe.

#include <optional>
#include <string>

#include "domain/reading.h"
#include "domain/reading_form.h"
#include "domain/time.h"

namespace dualread {

// dualread's own OID arc (a UUID-derived 2.25 OID, which needs no registration). Codes without
// a standard equivalent (quadrants, CTI reasons, conclusions) live in the code system
// kDualreadCodeSystemOid; a deployment may map them to national value sets when published.
inline constexpr const char* kDualreadOidRoot = "2.25.269277956027799287179408270671191120169";
inline constexpr const char* kDualreadCodeSystemOid =
    "2.25.269277956027799287179408270671191120169.1";
inline constexpr const char* kDualreadTemplateOid =
    "2.25.269277956027799287179408270671191120169.2";

inline constexpr const char* kInsOid = "1.2.250.1.213.1.4.8";    // INS-NIR
inline constexpr const char* kRppsOid = "1.2.250.1.71.4.2.1";    // national professional id
inline constexpr const char* kFinessOid = "1.2.250.1.71.4.2.2";  // FINESS (organisations)

// What the document needs beyond the form itself.
struct CdaDocumentContext {
  std::string document_id_root = std::string(kDualreadOidRoot) + ".3";  // root of document ids
  std::string document_id;  // unique per document (extension)
  std::string set_id;       // stays the same across versions of the document
  int version = 1;
  TimePoint created_at{};
  std::string custodian_finess;  // the coordination centre (CRCDC)
  std::string custodian_name;
  // Root of the CIM identifiers used in identification.cim_id (FINESS by default).
  std::string cim_id_root = kFinessOid;
  std::string cim_name;
};

// The CDA document as UTF-8 XML. `l2`, when given, adds the L2 section and the L2 reader as
// author.
std::string exportReadingFormCda(const CdaDocumentContext& ctx, const L1Form& form,
                                 const std::optional<L2Reading>& l2 = std::nullopt);

// Escapes the five XML special characters.
std::string xmlEscape(std::string_view text);

}  // namespace dualread
