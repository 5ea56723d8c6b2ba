#include "services/exam_service.h"

namespace dualread {
namespace {

nlohmann::json patientJson(const PatientRow& p) {
  nlohmann::json j = {{"patient_id", p.patient_id}, {"issuer", p.issuer},
                      {"name", p.name},             {"birth_date", p.birth_date},
                      {"sex", p.sex},               {"ins", p.ins}};
  j["woman_id"] = p.woman_id ? nlohmann::json(*p.woman_id) : nlohmann::json(nullptr);
  if (!p.identity_issue.empty()) j["identity_issue"] = p.identity_issue;
  return j;
}

}  // namespace

nlohmann::json ExamService::summary(const StudyRow& row) {
  nlohmann::json assessment = nlohmann::json::parse(row.exam_json, nullptr, false);
  if (assessment.is_discarded()) assessment = nlohmann::json::object();
  return {{"study_uid", row.study_uid},
          {"status", row.exam_status},
          {"study_date", row.study_date},
          {"study_time", row.study_time},
          {"accession_number", row.accession},
          {"institution", row.institution},
          {"description", row.description},
          {"modalities", row.modalities},
          {"series_count", row.series_count},
          {"instance_count", row.instance_count},
          {"patient", patientJson(row.patient)},
          {"missing", assessment.value("missing", nlohmann::json::array())},
          {"problems", assessment.value("problems", nlohmann::json::array())},
          {"counts", assessment.value("counts", nlohmann::json::object())},
          {"received_at", row.received_at},
          {"updated_at", row.updated_at}};
}

std::optional<nlohmann::json> ExamService::exam(const std::string& study_uid) {
  StudyRow row;
  if (!index_.getStudy(study_uid, row)) return std::nullopt;
  nlohmann::json j = summary(row);
  nlohmann::json assessment = nlohmann::json::parse(row.exam_json, nullptr, false);
  j["views"] = assessment.is_object() ? assessment.value("views", nlohmann::json::object())
                                      : nlohmann::json::object();
  if (row.patient.woman_id) {
    WomanRow w;
    if (index_.getWoman(*row.patient.woman_id, w))
      j["woman"] = {{"id", w.id},
                    {"ins", w.ins},
                    {"name", w.name},
                    {"birth_date", w.birth_date},
                    {"sex", w.sex}};
  } else {
    j["woman"] = nullptr;
  }
  InstanceQuery iq;
  iq.study_uids = {study_uid};
  nlohmann::json images = nlohmann::json::array();
  for (const auto& i : index_.findInstances(iq)) {
    nlohmann::json view = nlohmann::json::parse(i.view_json, nullptr, false);
    images.push_back({{"sop_instance_uid", i.sop_uid},
                      {"series_instance_uid", i.series_uid},
                      {"sop_class_uid", i.sop_class},
                      {"transfer_syntax_uid", i.transfer_syntax},
                      {"view", view.is_discarded() ? nlohmann::json(nullptr) : view},
                      {"rows", i.rows},
                      {"columns", i.columns},
                      {"size", i.size},
                      {"sha256", i.sha256},
                      {"source", i.source},
                      {"received_at", i.received_at}});
  }
  j["images"] = images;
  return j;
}

nlohmann::json ExamService::listExams(const std::string& status, int64_t limit, int64_t offset) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& row : index_.listExamsByStatus(status, limit, offset))
    items.push_back(summary(row));
  return {{"total", index_.countExamsByStatus(status)},
          {"limit", limit},
          {"offset", offset},
          {"items", items}};
}

std::optional<nlohmann::json> ExamService::womanExams(int64_t woman_id) {
  WomanRow w;
  if (!index_.getWoman(woman_id, w)) return std::nullopt;
  StudyQuery q;
  q.woman_id = woman_id;
  q.limit = 1000;
  nlohmann::json exams = nlohmann::json::array();
  for (const auto& row : index_.findStudies(q)) exams.push_back(summary(row));
  nlohmann::json patients = nlohmann::json::array();
  for (const auto& p : index_.patientsOfWoman(woman_id)) patients.push_back(patientJson(p));
  return nlohmann::json{
      {"woman",
       {{"id", w.id}, {"ins", w.ins}, {"name", w.name}, {"birth_date", w.birth_date},
        {"sex", w.sex}}},
      {"identities", patients},
      {"exams", exams}};
}

nlohmann::json ExamService::quarantine(int64_t limit, int64_t offset) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& q : index_.listQuarantine(limit, offset)) {
    items.push_back({{"id", q.id},
                     {"sop_instance_uid", q.sop_uid},
                     {"study_uid", q.study_uid},
                     {"reason", q.reason},
                     {"sha256", q.sha256},
                     {"size", q.size},
                     {"source", q.source},
                     {"received_at", q.received_at}});
  }
  return {{"items", items}};
}

}  // namespace dualread
