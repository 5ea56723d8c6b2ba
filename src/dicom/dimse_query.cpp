#include "dicom/dimse_query.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dctag.h>
#include <dcmtk/dcmnet/dimse.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace dualread {
namespace {

constexpr int64_t kPageSize = 200;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && s[b] == ' ') ++b;
  return s.substr(b);
}

std::string getString(DcmItem& item, const DcmTagKey& tag) {
  OFString v;
  if (item.findAndGetOFStringArray(tag, v, OFFalse).good()) return trim(v.c_str());
  return {};
}

std::vector<std::string> splitValues(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t pos = s.find('\\', start);
    std::string part = trim(s.substr(start, pos == std::string::npos ? pos : pos - start));
    if (!part.empty()) out.push_back(part);
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

bool hasWildcard(const std::string& s) { return s.find_first_of("*?") != std::string::npos; }

// '*' and '?' glob; iterative with backtracking on the last star.
bool globMatch(const std::string& pattern, const std::string& text, bool fold) {
  auto eq = [fold](char a, char b) {
    return fold ? std::toupper(static_cast<unsigned char>(a)) ==
                      std::toupper(static_cast<unsigned char>(b))
                : a == b;
  };
  std::size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || eq(pattern[p], text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// Upper-level keys that may be asked at lower levels, by the level that holds them.
const std::vector<DcmTagKey>& patientKeys() {
  static const std::vector<DcmTagKey> k = {DCM_PatientID,
                                           DCM_PatientName,
                                           DCM_PatientBirthDate,
                                           DCM_PatientSex,
                                           DCM_IssuerOfPatientID,
                                           DCM_NumberOfPatientRelatedStudies,
                                           DCM_NumberOfPatientRelatedInstances};
  return k;
}
const std::vector<DcmTagKey>& studyKeys() {
  static const std::vector<DcmTagKey> k = {DCM_StudyDate,
                                           DCM_StudyTime,
                                           DCM_AccessionNumber,
                                           DCM_StudyID,
                                           DCM_StudyDescription,
                                           DCM_ReferringPhysicianName,
                                           DCM_InstitutionName,
                                           DCM_ModalitiesInStudy,
                                           DCM_NumberOfStudyRelatedSeries,
                                           DCM_NumberOfStudyRelatedInstances};
  return k;
}
const std::vector<DcmTagKey>& seriesKeys() {
  static const std::vector<DcmTagKey> k = {DCM_Modality,
                                           DCM_SeriesNumber,
                                           DCM_SeriesDescription,
                                           DCM_BodyPartExamined,
                                           DCM_Laterality,
                                           DCM_SeriesDate,
                                           DCM_NumberOfSeriesRelatedInstances};
  return k;
}

bool requestsAny(DcmDataset& ds, const std::vector<DcmTagKey>& keys) {
  for (const auto& k : keys)
    if (ds.tagExists(k)) return true;
  return false;
}

}  // namespace

const char* toString(QueryLevel level) {
  switch (level) {
    case QueryLevel::kPatient:
      return "PATIENT";
    case QueryLevel::kStudy:
      return "STUDY";
    case QueryLevel::kSeries:
      return "SERIES";
    default:
      return "IMAGE";
  }
}

bool dicomValueMatches(const std::string& query, const std::string& value, bool range, bool list,
                       bool fold_case) {
  const std::string q = trim(query);
  if (q.empty() || q == "*") return true;
  std::vector<std::string> queries = list ? splitValues(q) : std::vector<std::string>{q};
  std::vector<std::string> values = splitValues(value);
  if (values.empty()) return false;
  for (const auto& qv : queries) {
    for (const auto& v : values) {
      if (range && qv.find('-') != std::string::npos) {
        const auto dash = qv.find('-');
        const std::string from = trim(qv.substr(0, dash)), to = trim(qv.substr(dash + 1));
        if ((from.empty() || v >= from) && (to.empty() || v.substr(0, to.size()) <= to))
          return true;
      } else if (globMatch(qv, v, fold_case)) {
        return true;
      }
    }
  }
  return false;
}

QueryLevel parseQueryLevel(QueryModel model, DcmDataset& identifier) {
  const std::string level = getString(identifier, DCM_QueryRetrieveLevel);
  const char* model_name = model == QueryModel::kPatientRoot ? "patient root" : "study root";
  if (level.empty())
    throw DimseQueryError(STATUS_FIND_Error_DataSetDoesNotMatchSOPClass,
                          "QueryRetrieveLevel (0008,0052) is missing",
                          "the request has no QueryRetrieveLevel (0008,0052)");
  if (level == "PATIENT" && model == QueryModel::kPatientRoot) return QueryLevel::kPatient;
  if (level == "STUDY") return QueryLevel::kStudy;
  if (level == "SERIES") return QueryLevel::kSeries;
  if (level == "IMAGE") return QueryLevel::kImage;
  throw DimseQueryError(STATUS_FIND_Error_DataSetDoesNotMatchSOPClass,
                        "QueryRetrieveLevel " + level.substr(0, 16) + " invalid for this model",
                        "QueryRetrieveLevel '" + level + "' is not valid in the " + model_name +
                            " information model (PATIENT, STUDY, SERIES or IMAGE" +
                            (model == QueryModel::kStudyRoot ? ", without PATIENT" : "") + ")");
}

// One match with every value the hub can return for it (upper levels included when needed).
struct FindCursor::Record {
  std::map<DcmTagKey, std::string> values;
};

namespace {

void putPatient(std::map<DcmTagKey, std::string>& v, const PatientRow& p, bool counts) {
  v[DCM_PatientID] = p.patient_id;
  v[DCM_PatientName] = p.name;
  v[DCM_PatientBirthDate] = p.birth_date;
  v[DCM_PatientSex] = p.sex;
  v[DCM_IssuerOfPatientID] = p.issuer;
  if (counts) {
    v[DCM_NumberOfPatientRelatedStudies] = std::to_string(p.study_count);
    v[DCM_NumberOfPatientRelatedInstances] = std::to_string(p.instance_count);
  }
}

void putStudy(std::map<DcmTagKey, std::string>& v, const StudyRow& s) {
  putPatient(v, s.patient, false);
  v[DCM_StudyInstanceUID] = s.study_uid;
  v[DCM_StudyDate] = s.study_date;
  v[DCM_StudyTime] = s.study_time;
  v[DCM_AccessionNumber] = s.accession;
  v[DCM_StudyID] = s.study_id;
  v[DCM_StudyDescription] = s.description;
  v[DCM_ReferringPhysicianName] = s.referring;
  v[DCM_InstitutionName] = s.institution;
  v[DCM_ModalitiesInStudy] = s.modalities;
  v[DCM_NumberOfStudyRelatedSeries] = std::to_string(s.series_count);
  v[DCM_NumberOfStudyRelatedInstances] = std::to_string(s.instance_count);
}

void putSeries(std::map<DcmTagKey, std::string>& v, const SeriesRow& s) {
  v[DCM_StudyInstanceUID] = s.study_uid;
  v[DCM_SeriesInstanceUID] = s.series_uid;
  v[DCM_Modality] = s.modality;
  v[DCM_SeriesNumber] = s.series_number;
  v[DCM_SeriesDescription] = s.description;
  v[DCM_BodyPartExamined] = s.body_part;
  v[DCM_Laterality] = s.laterality;
  v[DCM_SeriesDate] = s.series_date;
  v[DCM_NumberOfSeriesRelatedInstances] = std::to_string(s.instance_count);
}

void putInstance(std::map<DcmTagKey, std::string>& v, const InstanceRow& i) {
  v[DCM_StudyInstanceUID] = i.study_uid;
  v[DCM_SeriesInstanceUID] = i.series_uid;
  v[DCM_SOPInstanceUID] = i.sop_uid;
  v[DCM_SOPClassUID] = i.sop_class;
  v[DCM_InstanceNumber] = i.instance_number;
  v[DCM_AvailableTransferSyntaxUID] = i.transfer_syntax;
  v[DCM_PhotometricInterpretation] = i.photometric;
  if (i.rows) v[DCM_Rows] = std::to_string(i.rows);
  if (i.columns) v[DCM_Columns] = std::to_string(i.columns);
  if (i.frames) v[DCM_NumberOfFrames] = std::to_string(i.frames);
  if (i.bits_allocated) v[DCM_BitsAllocated] = std::to_string(i.bits_allocated);
  if (i.bits_stored) v[DCM_BitsStored] = std::to_string(i.bits_stored);
}

// A UID list usable as an SQL filter: empty when the key is universal or holds wildcards
// (those are matched afterwards).
std::vector<std::string> uidFilter(DcmDataset& ds, const DcmTagKey& tag) {
  const std::string v = getString(ds, tag);
  if (v.empty() || hasWildcard(v)) return {};
  return splitValues(v);
}

// A text value usable as an SQL filter (wildcards allowed), or empty.
std::string textFilter(DcmDataset& ds, const DcmTagKey& tag) {
  std::string v = getString(ds, tag);
  return v == "*" ? std::string() : v;
}

// The index's confinement for a scope: none when unrestricted.
std::optional<std::vector<std::string>> cimFilter(const CimScope& scope) {
  if (scope.unrestricted()) return std::nullopt;
  return scope.cims();
}

}  // namespace

FindCursor::FindCursor(ArchiveIndex& index, QueryModel model, DcmDataset& identifier,
                       CimScope scope)
    : index_(index),
      model_(model),
      level_(parseQueryLevel(model, identifier)),
      scope_(std::move(scope)) {
  request_ = std::make_unique<DcmDataset>(identifier);
  const std::string charset = getString(*request_, DCM_SpecificCharacterSet);
  if (!charset.empty() && charset != "ISO_IR 192" && charset != "ISO_IR 6") {
    OFCondition c = request_->convertToUTF8();
    (void)c;  // unconvertible text keeps its bytes; it then simply matches nothing
  }
}

FindCursor::~FindCursor() = default;

const StudyRow* FindCursor::studyOf(const std::string& study_uid) {
  auto it = study_cache_.find(study_uid);
  if (it != study_cache_.end()) return it->second.get();
  auto row = std::make_unique<StudyRow>();
  if (!index_.getStudy(study_uid, *row)) row.reset();
  if (study_cache_.size() > 1000) study_cache_.clear();
  return (study_cache_[study_uid] = std::move(row)).get();
}

const SeriesRow* FindCursor::seriesOf(const std::string& series_uid) {
  auto it = series_cache_.find(series_uid);
  if (it != series_cache_.end()) return it->second.get();
  SeriesQuery q;
  q.series_uids = {series_uid};
  q.limit = 1;
  auto rows = index_.findSeries(q);
  std::unique_ptr<SeriesRow> row;
  if (!rows.empty()) row = std::make_unique<SeriesRow>(std::move(rows.front()));
  if (series_cache_.size() > 1000) series_cache_.clear();
  return (series_cache_[series_uid] = std::move(row)).get();
}

bool FindCursor::fetchPage() {
  page_.clear();
  page_pos_ = 0;
  if (exhausted_) return false;
  DcmDataset& rq = *request_;
  std::size_t got = 0;
  switch (level_) {
    case QueryLevel::kPatient: {
      PatientQuery q;
      q.cims = cimFilter(scope_);
      q.patient_id = textFilter(rq, DCM_PatientID);
      q.patient_name = textFilter(rq, DCM_PatientName);
      q.birth_date = textFilter(rq, DCM_PatientBirthDate);
      q.limit = kPageSize;
      q.offset = offset_;
      for (const auto& p : index_.findPatients(q)) {
        Record r;
        putPatient(r.values, p, true);
        page_.push_back(std::move(r));
      }
      got = page_.size();
      break;
    }
    case QueryLevel::kStudy: {
      StudyQuery q;
      q.cims = cimFilter(scope_);
      q.patient_id = textFilter(rq, DCM_PatientID);
      q.issuer = textFilter(rq, DCM_IssuerOfPatientID);
      q.patient_name = textFilter(rq, DCM_PatientName);
      q.patient_birth_date = textFilter(rq, DCM_PatientBirthDate);
      q.study_date = textFilter(rq, DCM_StudyDate);
      q.accession = textFilter(rq, DCM_AccessionNumber);
      q.study_uids = uidFilter(rq, DCM_StudyInstanceUID);
      const std::string mods = textFilter(rq, DCM_ModalitiesInStudy);
      if (!mods.empty() && !hasWildcard(mods) && mods.find('\\') == std::string::npos)
        q.modality = mods;
      q.study_id = textFilter(rq, DCM_StudyID);
      q.study_description = textFilter(rq, DCM_StudyDescription);
      q.referring = textFilter(rq, DCM_ReferringPhysicianName);
      q.limit = kPageSize;
      q.offset = offset_;
      for (const auto& s : index_.findStudies(q)) {
        Record r;
        putStudy(r.values, s);
        page_.push_back(std::move(r));
      }
      got = page_.size();
      break;
    }
    case QueryLevel::kSeries: {
      SeriesQuery q;
      q.cims = cimFilter(scope_);
      q.study_uids = uidFilter(rq, DCM_StudyInstanceUID);
      q.series_uids = uidFilter(rq, DCM_SeriesInstanceUID);
      q.modality = textFilter(rq, DCM_Modality);
      q.series_number = textFilter(rq, DCM_SeriesNumber);
      q.patient_id = textFilter(rq, DCM_PatientID);
      q.limit = kPageSize;
      q.offset = offset_;
      const bool upper = requestsAny(rq, patientKeys()) || requestsAny(rq, studyKeys());
      auto rows = index_.findSeries(q);
      got = rows.size();
      for (const auto& s : rows) {
        Record r;
        if (upper) {
          if (const StudyRow* st = studyOf(s.study_uid)) putStudy(r.values, *st);
        }
        putSeries(r.values, s);
        page_.push_back(std::move(r));
      }
      break;
    }
    case QueryLevel::kImage: {
      InstanceQuery q;
      q.cims = cimFilter(scope_);
      q.study_uids = uidFilter(rq, DCM_StudyInstanceUID);
      q.series_uids = uidFilter(rq, DCM_SeriesInstanceUID);
      q.sop_uids = uidFilter(rq, DCM_SOPInstanceUID);
      const std::string sop_class = getString(rq, DCM_SOPClassUID);
      if (!hasWildcard(sop_class) && sop_class.find('\\') == std::string::npos)
        q.sop_class = sop_class;
      q.instance_number = textFilter(rq, DCM_InstanceNumber);
      q.patient_id = textFilter(rq, DCM_PatientID);
      q.limit = kPageSize;
      q.offset = offset_;
      const bool upper = requestsAny(rq, patientKeys()) || requestsAny(rq, studyKeys());
      const bool series = requestsAny(rq, seriesKeys());
      auto rows = index_.findInstances(q);
      got = rows.size();
      for (const auto& i : rows) {
        Record r;
        if (upper) {
          if (const StudyRow* st = studyOf(i.study_uid)) putStudy(r.values, *st);
        }
        if (series) {
          if (const SeriesRow* se = seriesOf(i.series_uid)) putSeries(r.values, *se);
        }
        putInstance(r.values, i);
        page_.push_back(std::move(r));
      }
      break;
    }
  }
  offset_ += static_cast<int64_t>(got);
  if (got < static_cast<std::size_t>(kPageSize)) exhausted_ = true;
  return got > 0;
}

bool FindCursor::matches(const Record& r) const {
  for (unsigned long i = 0; i < request_->card(); ++i) {
    DcmElement* e = request_->getElement(i);
    const DcmTagKey key = e->getTag().getXTag();
    if (key == DCM_QueryRetrieveLevel || key == DCM_SpecificCharacterSet) continue;
    auto it = r.values.find(key);
    if (it == r.values.end()) continue;  // a key the hub does not hold does not filter
    if (e->getTag().getEVR() == EVR_SQ) continue;
    OFString q;
    if (e->getOFStringArray(q).bad() || q.empty()) continue;
    const DcmEVR vr = e->getTag().getEVR();
    const bool range = vr == EVR_DA || vr == EVR_TM || vr == EVR_DT;
    const bool list = vr == EVR_UI || vr == EVR_CS;
    const bool fold = vr == EVR_PN;
    if (!dicomValueMatches(q.c_str(), it->second, range, list, fold)) return false;
  }
  return true;
}

std::unique_ptr<DcmDataset> FindCursor::build(const Record& r) const {
  auto ds = std::make_unique<DcmDataset>();
  ds->putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
  ds->putAndInsertString(DCM_QueryRetrieveLevel, toString(level_));
  for (unsigned long i = 0; i < request_->card(); ++i) {
    DcmElement* e = request_->getElement(i);
    const DcmTag& tag = e->getTag();
    const DcmTagKey key = tag.getXTag();
    if (key == DCM_QueryRetrieveLevel || key == DCM_SpecificCharacterSet) continue;
    if (tag.isPrivate() || key.getGroup() == 0x0000 || key.getGroup() == 0x0002) continue;
    auto it = r.values.find(key);
    if (it != r.values.end() && !it->second.empty() && tag.getEVR() != EVR_SQ) {
      ds->putAndInsertString(key, it->second.c_str());
    } else if (key == DCM_InstanceAvailability) {
      ds->putAndInsertString(key, "ONLINE");
    } else {
      ds->insertEmptyElement(key);
    }
  }
  return ds;
}

std::unique_ptr<DcmDataset> FindCursor::next() {
  while (true) {
    if (page_pos_ >= page_.size()) {
      if (!fetchPage()) return nullptr;
    }
    const Record& r = page_[page_pos_++];
    if (!matches(r)) continue;
    ++returned_;
    return build(r);
  }
}

RetrieveMatch resolveRetrieve(ArchiveIndex& index, QueryModel model, DcmDataset& identifier,
                              const CimScope& scope) {
  const QueryLevel level = parseQueryLevel(model, identifier);
  auto requireKey = [&](const DcmTagKey& tag, const char* name) {
    const std::string v = getString(identifier, tag);
    if (v.empty() || hasWildcard(v))
      throw DimseQueryError(STATUS_MOVE_Error_DataSetDoesNotMatchSOPClass,
                            std::string(name) + " missing for a " + toString(level) + " retrieve",
                            std::string("a ") + toString(level) + "-level retrieve needs " + name +
                                " without wildcards (got '" + v + "')");
    return v;
  };
  InstanceQuery q;
  q.limit = 1000000;
  switch (level) {
    case QueryLevel::kPatient:
      q.patient_id = requireKey(DCM_PatientID, "PatientID");
      break;
    case QueryLevel::kStudy:
      q.study_uids = splitValues(requireKey(DCM_StudyInstanceUID, "StudyInstanceUID"));
      break;
    case QueryLevel::kSeries:
      q.series_uids = splitValues(requireKey(DCM_SeriesInstanceUID, "SeriesInstanceUID"));
      break;
    case QueryLevel::kImage:
      q.sop_uids = splitValues(requireKey(DCM_SOPInstanceUID, "SOPInstanceUID"));
      break;
  }
  RetrieveMatch m;
  q.cims = cimFilter(scope);
  m.instances = index.findInstances(q);
  if (q.cims) {
    q.outside_cims = true;
    q.limit = 1000;
    m.refused_studies = index.findStudiesOfInstances(q);
  }
  return m;
}

}  // namespace dualread
