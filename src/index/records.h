#pragma once
// Rows the archive index stores and returns: what one stored instance is, and the study,
// series, instance, patient, woman, exam and quarantine rows queries give back. Plain values.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/instance_summary.h"

namespace dualread {

// One instance ready to be recorded: its summary, the blob holding its bytes, and the view
// classification serialised by the caller (the index does not interpret it).
struct StoredInstance {
  InstanceSummary summary;
  std::string blob_key;
  uint64_t size = 0;
  std::string sha256;  // of the whole file = the blob key
  std::string view_code;
  std::string view_role;
  std::string view_json;
  std::string source;       // who sent it, e.g. "DIMSE CIM01_MG@127.0.0.1" or "STOW 127.0.0.1"
  std::string received_at;  // ISO 8601 UTC
  // The identity vigilance decision taken before recording (services/identity_service). When
  // `decided`, a new patient tuple is attached to `woman_id` (none = held for the identity
  // queue, with `issue` as the exam's problem) and the woman's row is created from the summary
  // fields if absent; otherwise the index applies its own rule (exact INS with the same traits).
  struct IdentityAssignment {
    bool decided = false;
    std::optional<int64_t> woman_id;
    std::string issue;
    std::string ins, name, birth_date, sex;
  } identity;
};

// One CIM's identity tuple as the patients table keys it.
struct PatientTuple {
  std::string patient_id, issuer, name, birth_date, sex, ins;
};

struct WomanRow {
  int64_t id = 0;
  std::string ins;
  std::string name;
  std::string birth_date;
  std::string sex;
};

struct PatientRow {
  int64_t id = 0;
  std::optional<int64_t> woman_id;
  std::string patient_id;
  std::string issuer;
  std::string name;
  std::string birth_date;
  std::string sex;
  std::string ins;
  std::string identity_issue;  // sentence; empty when the identity is consistent
  int64_t study_count = 0;
  int64_t instance_count = 0;
};

struct StudyRow {
  std::string study_uid;
  std::string study_date;
  std::string study_time;
  std::string accession;
  std::string study_id;
  std::string description;
  std::string referring;
  std::string institution;
  std::string modalities;  // backslash-separated, DICOM style
  int64_t series_count = 0;
  int64_t instance_count = 0;
  PatientRow patient;
  std::string exam_status;
  std::string exam_json;
  std::string received_at;
  std::string updated_at;
};

struct SeriesRow {
  std::string series_uid;
  std::string study_uid;
  std::string modality;
  std::string series_number;
  std::string description;
  std::string body_part;
  std::string laterality;
  std::string series_date;
  int64_t instance_count = 0;
};

struct InstanceRow {
  std::string sop_uid;
  std::string sop_class;
  std::string instance_number;
  std::string series_uid;
  std::string study_uid;
  std::string transfer_syntax;
  int64_t rows = 0;
  int64_t columns = 0;
  int64_t frames = 0;
  int64_t bits_allocated = 0;
  int64_t bits_stored = 0;
  std::string photometric;
  std::string view_code;
  std::string view_role;
  std::string view_json;
  std::string blob_key;
  int64_t size = 0;
  std::string sha256;
  std::string source;
  std::string received_at;
};

struct QuarantineRow {
  int64_t id = 0;
  std::string sop_uid;
  std::string study_uid;
  std::string reason;
  std::string blob_key;
  int64_t size = 0;
  std::string sha256;
  std::string source;
  std::string received_at;
};

// QIDO/C-FIND style filters. Empty fields do not filter. Text filters accept DICOM wildcards
// ('*', '?'); dates accept "YYYYMMDD", "A-B", "-B", "A-".
struct StudyQuery {
  std::string patient_id;
  std::string issuer;
  std::string patient_name;
  std::string patient_birth_date;
  std::string study_date;
  std::string accession;
  std::vector<std::string> study_uids;
  std::string modality;  // ModalitiesInStudy
  std::string study_id;
  std::string study_description;
  std::string referring;
  std::optional<int64_t> woman_id;
  // Confinement to imaging centres (a CIM-bound caller, domain/cim_scope.h): when set, only
  // the rows of patients whose IssuerOfPatientID is exactly one of these (empty list: none).
  std::optional<std::vector<std::string>> cims;
  int64_t limit = 100;
  int64_t offset = 0;
};

struct SeriesQuery {
  std::vector<std::string> study_uids;
  std::vector<std::string> series_uids;
  std::string modality;
  std::string series_number;
  std::string patient_id;
  // Confinement to imaging centres (a CIM-bound caller, domain/cim_scope.h): when set, only
  // the rows of patients whose IssuerOfPatientID is exactly one of these (empty list: none).
  std::optional<std::vector<std::string>> cims;
  int64_t limit = 1000;
  int64_t offset = 0;
};

struct InstanceQuery {
  std::vector<std::string> study_uids;
  std::vector<std::string> series_uids;
  std::vector<std::string> sop_uids;
  std::string sop_class;
  std::string instance_number;
  std::string patient_id;
  // Confinement to imaging centres (a CIM-bound caller, domain/cim_scope.h): when set, only
  // the rows of patients whose IssuerOfPatientID is exactly one of these (empty list: none).
  std::optional<std::vector<std::string>> cims;
  // With `cims`: the rows of the *other* centres instead (what a confined retrieve refused).
  bool outside_cims = false;
  int64_t limit = 10000;
  int64_t offset = 0;
};

struct PatientQuery {
  std::string patient_id;
  std::string patient_name;
  std::string birth_date;
  // Confinement to imaging centres (a CIM-bound caller, domain/cim_scope.h): when set, only
  // the rows of patients whose IssuerOfPatientID is exactly one of these (empty list: none).
  std::optional<std::vector<std::string>> cims;
  int64_t limit = 100;
  int64_t offset = 0;
};

}  // namespace dualread
