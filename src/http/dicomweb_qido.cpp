// QIDO-RS (PS3.18 10.6): studies, series and instances searched in the archive index only (no
// file is read), answered as application/dicom+json arrays with the default attributes of each
// level plus the matching keys and any includefield. An empty result is 200 with [].

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "dicom/instance_reader.h"
#include "http/dicomweb_json.h"
#include "http/handler_util.h"
#include "http/http_util.h"
#include "http/routes.h"

namespace dualread::http {
namespace {

using nlohmann::json;

enum class Level { kStudy, kSeries, kInstance };

enum class KeyKind { kText, kName, kDate, kUidList, kUid };

struct KeyDef {
  const char* keyword;
  const char* tag;
  Level level;
  KeyKind kind;
};

// The matching keys the index can answer.
constexpr KeyDef kKeys[] = {
    {"PatientName", "00100010", Level::kStudy, KeyKind::kName},
    {"PatientID", "00100020", Level::kStudy, KeyKind::kText},
    {"IssuerOfPatientID", "00100021", Level::kStudy, KeyKind::kText},
    {"PatientBirthDate", "00100030", Level::kStudy, KeyKind::kDate},
    {"StudyDate", "00080020", Level::kStudy, KeyKind::kDate},
    {"AccessionNumber", "00080050", Level::kStudy, KeyKind::kText},
    {"StudyInstanceUID", "0020000D", Level::kStudy, KeyKind::kUidList},
    {"ModalitiesInStudy", "00080061", Level::kStudy, KeyKind::kText},
    {"StudyID", "00200010", Level::kStudy, KeyKind::kText},
    {"StudyDescription", "00081030", Level::kStudy, KeyKind::kText},
    {"ReferringPhysicianName", "00080090", Level::kStudy, KeyKind::kName},
    {"Modality", "00080060", Level::kSeries, KeyKind::kText},
    {"SeriesInstanceUID", "0020000E", Level::kSeries, KeyKind::kUidList},
    {"SeriesNumber", "00200011", Level::kSeries, KeyKind::kText},
    {"SOPInstanceUID", "00080018", Level::kInstance, KeyKind::kUidList},
    {"SOPClassUID", "00080016", Level::kInstance, KeyKind::kUid},
    {"InstanceNumber", "00200013", Level::kInstance, KeyKind::kText},
};

// Attributes the index holds, by keyword, for includefield by keyword.
constexpr std::pair<const char*, const char*> kReturnable[] = {
    {"SpecificCharacterSet", "00080005"},
    {"StudyTime", "00080030"},
    {"InstanceAvailability", "00080056"},
    {"InstitutionName", "00080080"},
    {"RetrieveURL", "00081190"},
    {"SeriesDescription", "0008103E"},
    {"SeriesDate", "00080021"},
    {"PatientSex", "00100040"},
    {"BodyPartExamined", "00180015"},
    {"Laterality", "00200060"},
    {"NumberOfStudyRelatedSeries", "00201206"},
    {"NumberOfStudyRelatedInstances", "00201208"},
    {"NumberOfSeriesRelatedInstances", "00201209"},
    {"Rows", "00280010"},
    {"Columns", "00280011"},
    {"NumberOfFrames", "00280008"},
    {"BitsAllocated", "00280100"},
    {"BitsStored", "00280101"},
    {"PhotometricInterpretation", "00280004"},
    {"AvailableTransferSyntaxUID", "00083002"},
};

const std::set<std::string> kStudyDefaults = {
    "00080005", "00080020", "00080030", "00080050", "00080056", "00080061",
    "00080090", "00081030", "00081190", "00100010", "00100020", "00100030",
    "00100040", "0020000D", "00200010", "00201206", "00201208"};
const std::set<std::string> kSeriesDefaults = {"00080005", "00080060", "0020000E", "00200011",
                                               "0008103E", "00201209", "00081190", "00080021",
                                               "00180015", "00200060", "0020000D"};
const std::set<std::string> kInstanceDefaults = {
    "00080005", "00080016", "00080018", "00200013", "00280010", "00280011", "00280008",
    "00280100", "00280101", "00280004", "00083002", "00081190", "0020000E", "0020000D"};
// Study attributes added to series and instances found outside a study (PS3.18 10.6.3.3).
const std::set<std::string> kStudyContextAttrs = {
    "00080020", "00080030", "00080050", "00080061", "00080090", "00081030", "00100010",
    "00100020", "00100030", "00100040", "00200010", "00201206", "00201208"};
// Series attributes added to instances found outside a series.
const std::set<std::string> kSeriesContextAttrs = {"00080060", "00200011", "0008103E"};

const char* levelName(Level l) {
  return l == Level::kStudy ? "study" : l == Level::kSeries ? "series" : "instance";
}

bool isTag(const std::string& s) {
  return s.size() == 8 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

std::string upperHex(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool isKeyword(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::isalpha(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

const KeyDef* findKey(const std::string& name) {
  const std::string tag = isTag(name) ? upperHex(name) : std::string();
  for (const auto& k : kKeys)
    if (tag == k.tag || iequals(name, k.keyword)) return &k;
  return nullptr;
}

bool validDate(const std::string& d) {
  return d.size() == 8 &&
         std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> splitUids(const std::string& v) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t sep = v.find_first_of(",\\", start);
    std::string item = trim(v.substr(start, sep == std::string::npos ? sep : sep - start));
    if (!item.empty()) out.push_back(item);
    if (sep == std::string::npos) break;
    start = sep + 1;
  }
  return out;
}

// A parsed QIDO query.
struct Qido {
  StudyQuery study;
  bool study_filter = false;  // study-level keys beyond StudyInstanceUID and PatientID
  SeriesQuery series;
  bool series_filter = false;  // Modality or SeriesNumber
  InstanceQuery instance;
  std::vector<std::string> study_uids, series_uids, sop_uids;
  std::string patient_id;
  std::set<std::string> include;
  bool include_all = false;
  std::optional<int64_t> limit;
  int64_t offset = 0;
};

Qido parseQido(const HttpRequest& req, std::initializer_list<Level> levels) {
  Qido q;
  for (const auto& [key, raw_value] : req.query) {
    const std::string value = trim(raw_value);
    if (key == "includefield") {
      for (const auto& f : splitUids(value)) {  // comma-separated list
        if (f == "all") {
          q.include_all = true;
        } else if (isTag(f)) {
          q.include.insert(upperHex(f));
        } else if (isKeyword(f)) {
          if (const KeyDef* k = findKey(f)) q.include.insert(k->tag);
          for (const auto& [kw, tag] : kReturnable)
            if (iequals(f, kw)) q.include.insert(tag);
          // Other keywords name attributes the index does not hold: ignored (PS3.18 allows).
        } else {
          throw HttpError(400, "includefield '" + headerSafe(f, 64) +
                                   "' is neither an attribute keyword, a tag (8 hex digits) "
                                   "nor 'all'");
        }
      }
      continue;
    }
    if (key == "limit" || key == "offset") {
      auto n = parseNonNegative(value);
      if (!n || (key == "limit" && (*n < 1 || *n > 100000)))
        throw HttpError(400, key == "limit" ? "limit must be an integer from 1 to 100000"
                                            : "offset must be a non-negative integer");
      if (key == "limit")
        q.limit = *n;
      else
        q.offset = *n;
      continue;
    }
    if (key == "fuzzymatching") {
      if (value != "true" && value != "false")
        throw HttpError(400, "fuzzymatching must be true or false");
      continue;  // accepted; matching is always exact or wildcard
    }
    const KeyDef* k = findKey(key);
    if (!k && value.empty() && (isTag(key) || isKeyword(key))) {
      // "Key=" asks for the attribute to be returned (PS3.18 8.3.4.1): an includefield.
      if (isTag(key)) q.include.insert(upperHex(key));
      for (const auto& [kw, tag] : kReturnable)
        if (iequals(key, kw)) q.include.insert(tag);
      continue;
    }
    if (!k) {
      throw HttpError(400, "'" + headerSafe(key, 64) +
                               "' is not a query key this hub supports; use a keyword or tag "
                               "such as PatientID, PatientName, StudyDate, AccessionNumber, "
                               "StudyInstanceUID, Modality, SeriesInstanceUID, SOPInstanceUID, "
                               "or includefield, limit, offset");
    }
    if (std::find(levels.begin(), levels.end(), k->level) == levels.end()) {
      throw HttpError(400, std::string(k->keyword) + " is a " + levelName(k->level) +
                               "-level key and cannot be used in this query");
    }
    q.include.insert(k->tag);
    if (value.empty()) continue;  // universal matching: return the attribute, no filter
    if (value.size() > 256 || std::any_of(value.begin(), value.end(), [](char c) {
          return static_cast<unsigned char>(c) < 0x20;
        }))
      throw HttpError(400, std::string("the value of ") + k->keyword +
                               " is too long or holds "
                               "control characters");
    switch (k->kind) {
      case KeyKind::kDate: {
        const size_t dash = value.find('-');
        const std::string from = value.substr(0, dash);
        const std::string to = dash == std::string::npos ? "" : value.substr(dash + 1);
        const bool ok = dash == std::string::npos
                            ? validDate(value)
                            : (from.empty() || validDate(from)) && (to.empty() || validDate(to)) &&
                                  !(from.empty() && to.empty());
        if (!ok)
          throw HttpError(400, std::string(k->keyword) +
                                   " must be a date YYYYMMDD or a range "
                                   "YYYYMMDD-YYYYMMDD (either end may be "
                                   "left open)");
        break;
      }
      case KeyKind::kUidList:
      case KeyKind::kUid: {
        const auto uids = splitUids(value);
        if (uids.empty() || (k->kind == KeyKind::kUid && uids.size() != 1))
          throw HttpError(400, std::string(k->keyword) + " needs a UID");
        for (const auto& u : uids)
          if (!isValidUid(u))
            throw HttpError(
                400, "'" + headerSafe(u, 80) + "' in " + k->keyword + " is not a valid DICOM UID");
        break;
      }
      default:
        break;
    }
    const std::string kw = k->keyword;
    if (kw == "PatientName")
      q.study.patient_name = value, q.study_filter = true;
    else if (kw == "PatientID")
      q.patient_id = value;
    else if (kw == "IssuerOfPatientID")
      q.study.issuer = value, q.study_filter = true;
    else if (kw == "PatientBirthDate")
      q.study.patient_birth_date = value, q.study_filter = true;
    else if (kw == "StudyDate")
      q.study.study_date = value, q.study_filter = true;
    else if (kw == "AccessionNumber")
      q.study.accession = value, q.study_filter = true;
    else if (kw == "StudyInstanceUID")
      q.study_uids = splitUids(value);
    else if (kw == "ModalitiesInStudy")
      q.study.modality = value, q.study_filter = true;
    else if (kw == "StudyID")
      q.study.study_id = value, q.study_filter = true;
    else if (kw == "StudyDescription")
      q.study.study_description = value, q.study_filter = true;
    else if (kw == "ReferringPhysicianName")
      q.study.referring = value, q.study_filter = true;
    else if (kw == "Modality")
      q.series.modality = value, q.series_filter = true;
    else if (kw == "SeriesInstanceUID")
      q.series_uids = splitUids(value);
    else if (kw == "SeriesNumber")
      q.series.series_number = value, q.series_filter = true;
    else if (kw == "SOPInstanceUID")
      q.sop_uids = splitUids(value);
    else if (kw == "SOPClassUID")
      q.instance.sop_class = value;
    else if (kw == "InstanceNumber")
      q.instance.instance_number = value;
  }
  return q;
}

json filterAttrs(const json& full, const std::set<std::string>& defaults, const Qido& q) {
  if (q.include_all) return full;
  json out = json::object();
  for (auto it = full.begin(); it != full.end(); ++it)
    if (defaults.count(it.key()) || q.include.count(it.key())) out[it.key()] = it.value();
  return out;
}

json studyAttrs(const HttpRequest& req, const StudyRow& s) {
  json o = json::object();
  dj::putText(o, "00080005", "CS", "ISO_IR 192");
  dj::putText(o, "00080020", "DA", s.study_date);
  dj::putText(o, "00080030", "TM", s.study_time);
  dj::putText(o, "00080050", "SH", s.accession);
  dj::putText(o, "00080056", "CS", "ONLINE");
  dj::putMulti(o, "00080061", "CS", s.modalities);
  dj::putText(o, "00080080", "LO", s.institution);
  dj::putPersonName(o, "00080090", s.referring);
  dj::putText(o, "00081030", "LO", s.description);
  dj::putText(o, "00081190", "UR", studyUrl(req, s.study_uid));
  dj::putPersonName(o, "00100010", s.patient.name);
  dj::putText(o, "00100020", "LO", s.patient.patient_id);
  dj::putText(o, "00100021", "LO", s.patient.issuer);
  dj::putText(o, "00100030", "DA", s.patient.birth_date);
  dj::putText(o, "00100040", "CS", s.patient.sex);
  dj::putText(o, "0020000D", "UI", s.study_uid);
  dj::putText(o, "00200010", "SH", s.study_id);
  dj::putNumber(o, "00201206", "IS", s.series_count);
  dj::putNumber(o, "00201208", "IS", s.instance_count);
  return o;
}

json seriesAttrs(const HttpRequest& req, const SeriesRow& s) {
  json o = json::object();
  dj::putText(o, "00080005", "CS", "ISO_IR 192");
  dj::putText(o, "00080021", "DA", s.series_date);
  dj::putText(o, "00080060", "CS", s.modality);
  dj::putText(o, "0008103E", "LO", s.description);
  dj::putText(o, "00081190", "UR", seriesUrl(req, s.study_uid, s.series_uid));
  dj::putText(o, "00180015", "CS", s.body_part);
  dj::putText(o, "0020000D", "UI", s.study_uid);
  dj::putText(o, "0020000E", "UI", s.series_uid);
  dj::putIntegerString(o, "00200011", s.series_number);
  dj::putText(o, "00200060", "CS", s.laterality);
  dj::putNumber(o, "00201209", "IS", s.instance_count);
  return o;
}

json instanceAttrs(const HttpRequest& req, const InstanceRow& i) {
  json o = json::object();
  dj::putText(o, "00080005", "CS", "ISO_IR 192");
  dj::putText(o, "00080016", "UI", i.sop_class);
  dj::putText(o, "00080018", "UI", i.sop_uid);
  dj::putText(o, "00081190", "UR", instanceUrl(req, i.study_uid, i.series_uid, i.sop_uid));
  dj::putText(o, "00083002", "UI", i.transfer_syntax);
  dj::putText(o, "0020000D", "UI", i.study_uid);
  dj::putText(o, "0020000E", "UI", i.series_uid);
  dj::putIntegerString(o, "00200013", i.instance_number);
  if (!i.photometric.empty()) dj::putText(o, "00280004", "CS", i.photometric);
  if (i.frames > 0) dj::putNumber(o, "00280008", "IS", i.frames);
  if (i.rows > 0) dj::putNumber(o, "00280010", "US", i.rows);
  if (i.columns > 0) dj::putNumber(o, "00280011", "US", i.columns);
  if (i.bits_allocated > 0) dj::putNumber(o, "00280100", "US", i.bits_allocated);
  if (i.bits_stored > 0) dj::putNumber(o, "00280101", "US", i.bits_stored);
  return o;
}

void mergeAttrs(json& into, const json& from, const std::set<std::string>& which) {
  for (auto it = from.begin(); it != from.end(); ++it)
    if (which.count(it.key()) && !into.contains(it.key())) into[it.key()] = it.value();
}

std::map<std::string, StudyRow> studiesByUid(ArchiveIndex& index,
                                             const std::vector<std::string>& uids) {
  std::map<std::string, StudyRow> out;
  if (uids.empty()) return out;
  StudyQuery q;
  q.study_uids = uids;
  q.limit = static_cast<int64_t>(uids.size());
  for (auto& s : index.findStudies(q)) out.emplace(s.study_uid, std::move(s));
  return out;
}

std::map<std::string, SeriesRow> seriesByUid(ArchiveIndex& index,
                                             const std::vector<std::string>& uids) {
  std::map<std::string, SeriesRow> out;
  if (uids.empty()) return out;
  SeriesQuery q;
  q.series_uids = uids;
  q.limit = static_cast<int64_t>(uids.size());
  for (auto& s : index.findSeries(q)) out.emplace(s.series_uid, std::move(s));
  return out;
}

void requireDicomJsonAccept(const HttpRequest& req) {
  if (!acceptsAny(req.header("accept"), {"application/dicom+json", "application/json"}))
    throw HttpError(406, "QIDO-RS results are only available as application/dicom+json");
}

// Records the search in the audit trail before answering (503 when it cannot be): the names of
// the query keys and the number of results, never their values (they may be a woman's name).
void sendResults(HubServices& services, const HttpRequest& req, ResponseWriter& w,
                 const json& results, bool maybe_more, int64_t limit) {
  std::set<std::string> keys;
  for (const auto& [k, v] : req.query) keys.insert(k);
  auditRead(services, req, "search", "query", req.path, std::nullopt,
            {{"keys", keys}, {"results", results.size()}});
  Headers headers;
  if (maybe_more)
    headers.emplace_back("Warning", "299 dualread \"only the first " + std::to_string(limit) +
                                        " matches are returned; use limit and offset to page\"");
  sendJson(w, 200, results, "application/dicom+json", std::move(headers));
}

// Study UIDs the series/instance search is restricted to: from the path, the keys, and the
// study-level filters (resolved through a study search). nullopt = no restriction; an empty
// vector = nothing can match.
std::optional<std::vector<std::string>> resolveStudies(ArchiveIndex& index, const Qido& q,
                                                       const std::string& path_study) {
  std::optional<std::vector<std::string>> uids;
  if (!path_study.empty())
    uids = std::vector<std::string>{path_study};
  else if (!q.study_uids.empty())
    uids = q.study_uids;
  if (!q.study_filter) return uids;
  StudyQuery sq = q.study;
  sq.patient_id = q.patient_id;
  if (uids) sq.study_uids = *uids;
  sq.limit = 100000;
  std::vector<std::string> found;
  for (const auto& s : index.findStudies(sq)) found.push_back(s.study_uid);
  return found;
}

void studySearch(HubServices& services, HttpRequest& req, ResponseWriter& w) {
  requireDicomJsonAccept(req);
  Qido q = parseQido(req, {Level::kStudy});
  StudyQuery sq = q.study;
  sq.patient_id = q.patient_id;
  sq.study_uids = q.study_uids;
  const int64_t limit = q.limit.value_or(1000);
  sq.limit = limit;
  sq.offset = q.offset;
  json out = json::array();
  const auto rows = services.index.findStudies(sq);
  for (const auto& s : rows) out.push_back(filterAttrs(studyAttrs(req, s), kStudyDefaults, q));
  sendResults(services, req, w, out, !q.limit && static_cast<int64_t>(rows.size()) == limit, limit);
}

void seriesSearch(HubServices& services, HttpRequest& req, ResponseWriter& w,
                  const std::string& path_study) {
  requireDicomJsonAccept(req);
  Qido q = path_study.empty() ? parseQido(req, {Level::kStudy, Level::kSeries})
                              : parseQido(req, {Level::kSeries});
  const auto studies = resolveStudies(services.index, q, path_study);
  const int64_t limit = q.limit.value_or(5000);
  json out = json::array();
  if (studies && studies->empty()) {
    sendResults(services, req, w, out, false, limit);
    return;
  }
  SeriesQuery sq = q.series;
  if (studies) sq.study_uids = *studies;
  sq.series_uids = q.series_uids;
  sq.patient_id = q.patient_id;
  sq.limit = limit;
  sq.offset = q.offset;
  const auto rows = services.index.findSeries(sq);
  std::map<std::string, StudyRow> context;
  if (path_study.empty()) {
    std::set<std::string> uids;
    for (const auto& s : rows) uids.insert(s.study_uid);
    context = studiesByUid(services.index, {uids.begin(), uids.end()});
  }
  for (const auto& s : rows) {
    json attrs = seriesAttrs(req, s);
    std::set<std::string> defaults = kSeriesDefaults;
    if (auto it = context.find(s.study_uid); it != context.end()) {
      mergeAttrs(attrs, studyAttrs(req, it->second), kStudyContextAttrs);
      defaults.insert(kStudyContextAttrs.begin(), kStudyContextAttrs.end());
    }
    out.push_back(filterAttrs(attrs, defaults, q));
  }
  sendResults(services, req, w, out, !q.limit && static_cast<int64_t>(rows.size()) == limit, limit);
}

void instanceSearch(HubServices& services, HttpRequest& req, ResponseWriter& w,
                    const std::string& path_study, const std::string& path_series) {
  requireDicomJsonAccept(req);
  Qido q = !path_series.empty() ? parseQido(req, {Level::kInstance})
           : !path_study.empty()
               ? parseQido(req, {Level::kSeries, Level::kInstance})
               : parseQido(req, {Level::kStudy, Level::kSeries, Level::kInstance});
  const int64_t limit = q.limit.value_or(10000);
  json out = json::array();
  const auto studies = resolveStudies(services.index, q, path_study);
  if (studies && studies->empty()) {
    sendResults(services, req, w, out, false, limit);
    return;
  }
  std::optional<std::vector<std::string>> series;
  if (!path_series.empty())
    series = std::vector<std::string>{path_series};
  else if (!q.series_uids.empty())
    series = q.series_uids;
  if (q.series_filter) {
    SeriesQuery sq = q.series;
    if (studies) sq.study_uids = *studies;
    if (series) sq.series_uids = *series;
    sq.patient_id = q.patient_id;
    sq.limit = 100000;
    std::vector<std::string> found;
    for (const auto& s : services.index.findSeries(sq)) found.push_back(s.series_uid);
    series = found;
  }
  if (series && series->empty()) {
    sendResults(services, req, w, out, false, limit);
    return;
  }
  InstanceQuery iq = q.instance;
  if (studies) iq.study_uids = *studies;
  if (series) iq.series_uids = *series;
  iq.sop_uids = q.sop_uids;
  iq.patient_id = q.patient_id;
  iq.limit = limit;
  iq.offset = q.offset;
  const auto rows = services.index.findInstances(iq);
  std::map<std::string, StudyRow> study_ctx;
  std::map<std::string, SeriesRow> series_ctx;
  if (path_series.empty()) {
    std::set<std::string> su, se;
    for (const auto& i : rows) {
      su.insert(i.study_uid);
      se.insert(i.series_uid);
    }
    series_ctx = seriesByUid(services.index, {se.begin(), se.end()});
    if (path_study.empty()) study_ctx = studiesByUid(services.index, {su.begin(), su.end()});
  }
  for (const auto& i : rows) {
    json attrs = instanceAttrs(req, i);
    std::set<std::string> defaults = kInstanceDefaults;
    if (auto it = series_ctx.find(i.series_uid); it != series_ctx.end()) {
      mergeAttrs(attrs, seriesAttrs(req, it->second), kSeriesContextAttrs);
      defaults.insert(kSeriesContextAttrs.begin(), kSeriesContextAttrs.end());
    }
    if (auto it = study_ctx.find(i.study_uid); it != study_ctx.end()) {
      mergeAttrs(attrs, studyAttrs(req, it->second), kStudyContextAttrs);
      defaults.insert(kStudyContextAttrs.begin(), kStudyContextAttrs.end());
    }
    out.push_back(filterAttrs(attrs, defaults, q));
  }
  sendResults(services, req, w, out, !q.limit && static_cast<int64_t>(rows.size()) == limit, limit);
}

}  // namespace

void addQidoRoutes(Router& router, HubServices& services) {
  HubServices* s = &services;
  router.add("GET", "/dicomweb/studies", "QIDO-RS: search for studies",
             [s](HttpRequest& req, ResponseWriter& w) { studySearch(*s, req, w); });
  router.add("GET", "/dicomweb/series", "QIDO-RS: search for series in all studies",
             [s](HttpRequest& req, ResponseWriter& w) { seriesSearch(*s, req, w, ""); });
  router.add("GET", "/dicomweb/instances", "QIDO-RS: search for instances in all studies",
             [s](HttpRequest& req, ResponseWriter& w) { instanceSearch(*s, req, w, "", ""); });
  router.add("GET", "/dicomweb/studies/{study}/series", "QIDO-RS: search for a study's series",
             [s](HttpRequest& req, ResponseWriter& w) {
               seriesSearch(*s, req, w, uidParam(req, "study", "Study Instance UID"));
             });
  router.add("GET", "/dicomweb/studies/{study}/instances",
             "QIDO-RS: search for a study's instances", [s](HttpRequest& req, ResponseWriter& w) {
               instanceSearch(*s, req, w, uidParam(req, "study", "Study Instance UID"), "");
             });
  router.add("GET", "/dicomweb/studies/{study}/series/{series}/instances",
             "QIDO-RS: search for a series' instances", [s](HttpRequest& req, ResponseWriter& w) {
               const std::string study = uidParam(req, "study", "Study Instance UID");
               instanceSearch(*s, req, w, study, uidParam(req, "series", "Series Instance UID"));
             });
}

}  // namespace dualread::http
