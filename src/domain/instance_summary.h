#pragma once
// InstanceSummary: what dualread keeps of one received DICOM object — identity, hierarchy,
// image geometry and the view attributes vendors encode in different places. Filled by the
// DICOM adapter (dicom/), consumed by the index and the exam assembly. Plain value type.

#include <cstdint>
#include <string>
#include <vector>

namespace dualread {

// A coded concept as found in a DICOM code sequence (e.g. ViewCodeSequence).
struct CodedConcept {
  std::string value;    // CodeValue, e.g. "399162004"
  std::string scheme;   // CodingSchemeDesignator, e.g. "SCT"
  std::string meaning;  // CodeMeaning, e.g. "cranio-caudal"
};

struct InstanceSummary {
  // Hierarchy.
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::string study_instance_uid;
  std::string series_instance_uid;
  std::string transfer_syntax_uid;
  // Where the dataset starts in the Part-10 file (after preamble and file meta header): two
  // copies of one object differ only in their meta header when they came by different doors.
  uint64_t dataset_offset = 0;

  // Woman, as the sending CIM identified her (UTF-8).
  std::string patient_id;             // IPP of the CIM
  std::string issuer_of_patient_id;   // the CIM's assigning authority
  std::string patient_name;           // DICOM PN, e.g. "MARTIN^Claire"
  std::string patient_birth_date;     // YYYYMMDD
  std::string patient_sex;
  std::string ins;  // national identifier found in OtherPatientIDsSequence, empty if absent
  // Who issued it: the item's UniversalEntityID (OID, e.g. 1.2.250.1.213.1.4.8 = INS-NIR) or,
  // without one, its IssuerOfPatientID text.
  std::string ins_issuer;

  // Study / series / instance attributes used by QIDO and the exam.
  std::string study_date;  // YYYYMMDD
  std::string study_time;
  std::string accession_number;
  std::string study_id;
  std::string study_description;
  std::string referring_physician_name;
  std::string institution_name;
  std::string modality;
  std::string series_number;
  std::string series_description;
  std::string series_date;
  std::string body_part_examined;
  std::string instance_number;
  std::string manufacturer;

  // Image geometry (0 when absent).
  uint32_t rows = 0;
  uint32_t columns = 0;
  uint32_t number_of_frames = 0;
  uint16_t bits_allocated = 0;
  uint16_t bits_stored = 0;
  std::string photometric_interpretation;

  // View attributes, exactly as encoded (classification happens in the domain).
  std::string presentation_intent_type;  // FOR PRESENTATION / FOR PROCESSING
  std::string image_laterality;          // (0020,0062)
  std::string laterality;                // (0020,0060), series level
  std::string view_position;             // (0018,5101)
  std::vector<CodedConcept> view_codes;           // ViewCodeSequence
  std::vector<CodedConcept> view_modifier_codes;  // ViewModifierCodeSequence (any level)
  std::string private_view_label;  // vendor private view label when the vendor has one
  std::string private_view_modifier;
};

}  // namespace dualread
