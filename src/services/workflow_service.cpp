#include "services/workflow_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "domain/cti.h"
#include "domain/session_dealer.h"
#include "services/audit_service.h"
#include "services/cda_export.h"
#include "services/identity_service.h"
#include "services/reading_form_json.h"
#include "storage/sha256.h"

namespace dualread {

using nlohmann::json;

namespace {

// Transitions driven by images arriving (DIMSE C-STORE or STOW-RS, through the archive).
const AuditActor kIngestActor{"hub", "system", "ingest"};

TimePoint systemNow() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::optional<ExamState> stateFromCode(const std::string& code) {
  for (ExamState s : kAllExamStates)
    if (code == toCode(s)) return s;
  return std::nullopt;
}

json readerJson(const ReaderRef& r) { return {{"rpps", r.rpps}, {"name", r.name}}; }

json historyJson(const std::vector<StateChange>& history) {
  json out = json::array();
  for (const auto& h : history)
    out.push_back({{"from", toCode(h.from)},
                   {"to", toCode(h.to)},
                   {"event", h.event},
                   {"at", toIsoDateTime(h.at)},
                   {"detail", h.detail}});
  return out;
}

std::vector<StateChange> historyFromJson(const json& j) {
  std::vector<StateChange> out;
  if (!j.is_array()) return out;
  for (const auto& h : j) {
    StateChange c;
    c.from = stateFromCode(h.value("from", "")).value_or(ExamState::kReceived);
    c.to = stateFromCode(h.value("to", "")).value_or(ExamState::kReceived);
    c.event = h.value("event", "");
    c.at = parseIsoDateTime(h.value("at", "")).value_or(TimePoint{});
    c.detail = h.value("detail", "");
    out.push_back(std::move(c));
  }
  return out;
}

json errorsJson(const std::vector<FormError>& errors) {
  json out = json::array();
  for (const auto& e : errors) out.push_back({{"field", e.field}, {"message", e.message}});
  return out;
}

// Stored documents were written by this service; one that does not parse back is corruption.
template <class T>
T parseStored(const Parsed<T>& p, const std::string& what, const std::string& exam_id) {
  if (!p.ok())
    throw std::runtime_error("the stored " + what + " of exam " + exam_id + " is unreadable: " +
                             (p.errors.empty() ? std::string() : p.errors.front().message));
  return *p.value;
}

}  // namespace

// An exam record with what the store keeps beside it.
struct WorkflowService::Loaded {
  ExamRecord record;
  std::vector<std::string> retake_study_uids;
  std::optional<L1SignatureRow> signature;
  std::string l3_decided_at;
  size_t history_audited = 0;  // history entries already recorded in the audit trail
};

WorkflowService::WorkflowService(const HubConfig& config, ArchiveIndex& index, WorkflowStore& store,
                                 Clock clock)
    : config_(config),
      rules_(config.programme),
      index_(index),
      store_(store),
      clock_(clock ? std::move(clock) : Clock(&systemNow)) {}

std::optional<WorkflowService::Loaded> WorkflowService::load(const std::string& exam_id) {
  auto row = store_.loadExam(exam_id);
  if (!row) return std::nullopt;
  Loaded l;
  ExamRecord& r = l.record;
  r.exam_id = row->exam_id;
  r.woman_id = row->woman_id;
  r.cim_id = row->cim_id;
  r.state = stateFromCode(row->state).value_or(ExamState::kReceived);
  r.received_at = parseIsoDateTime(row->received_at).value_or(TimePoint{});
  r.study_uids = row->study_uids;
  r.images_complete = row->images_complete;
  if (row->l1_form_json)
    r.l1_form = parseStored(l1FormFromJsonText(*row->l1_form_json), "reading form", exam_id);
  const json a = json::parse(row->assignment_json, nullptr, false);
  if (a.is_object()) {
    SessionAssignment s;
    s.session_id = a.value("session_id", "");
    s.reader.rpps = a.value("reader_rpps", "");
    s.reader.name = a.value("reader_name", "");
    s.assigned_at = parseIsoDateTime(a.value("assigned_at", "")).value_or(TimePoint{});
    r.assignment = s;
  }
  for (const auto& j : row->l2_reading_jsons)
    r.l2_readings.push_back(parseStored(l2ReadingFromJsonText(j), "L2 reading", exam_id));
  if (row->l3_json)
    r.l3 = parseStored(l3DecisionFromJson(json::parse(*row->l3_json, nullptr, false)),
                       "L3 decision", exam_id);
  for (const auto& c : row->cti_requests)
    r.cti_requests.push_back(parseStored(ctiRequestFromJson(json::parse(c.json, nullptr, false)),
                                         "CTI request", exam_id));
  r.follow_up_summary = row->follow_up_summary;
  r.cancel_reason = row->cancel_reason;
  r.history = historyFromJson(json::parse(row->history_json, nullptr, false));
  l.retake_study_uids = row->retake_study_uids;
  l.signature = row->l1_signature;
  l.l3_decided_at = row->l3_decided_at;
  l.history_audited = r.history.size();
  return l;
}

void WorkflowService::save(WorkflowWriter& w, const Loaded& l) {
  const ExamRecord& r = l.record;
  WorkflowExamRow row;
  row.exam_id = r.exam_id;
  row.woman_id = r.woman_id;
  row.cim_id = r.cim_id;
  row.state = toCode(r.state);
  row.images_complete = r.images_complete;
  row.received_at = toIsoDateTime(r.received_at);
  if (r.assignment)
    row.assignment_json = json{{"session_id", r.assignment->session_id},
                               {"reader_rpps", r.assignment->reader.rpps},
                               {"reader_name", r.assignment->reader.name},
                               {"assigned_at", toIsoDateTime(r.assignment->assigned_at)}}
                              .dump();
  row.history_json = historyJson(r.history).dump();
  row.follow_up_summary = r.follow_up_summary;
  row.cancel_reason = r.cancel_reason;
  row.study_uids = r.study_uids;
  row.retake_study_uids = l.retake_study_uids;
  if (r.l1_form) row.l1_form_json = toJson(*r.l1_form).dump();
  row.l1_signature = l.signature;
  for (const auto& reading : r.l2_readings) row.l2_reading_jsons.push_back(toJson(reading).dump());
  if (r.l3) {
    row.l3_json = toJson(*r.l3).dump();
    row.l3_decided_at = toIsoDateTime(r.l3->decided_at);
  }
  for (const auto& c : r.cti_requests)
    row.cti_requests.push_back({c.id, c.exam_id, c.woman_id, c.cim_id, toCode(c.status),
                                toIsoDateTime(c.requested_at), toJson(c).dump()});
  w.putExam(row);
}

bool WorkflowService::step(Loaded& l, const ExamEvent& event, TimePoint now,
                           WorkflowResult& error) {
  // An exam whose identity is not reconciled never progresses (SCREENING.md §4: files were
  // closed before identities were reconciled).
  const bool progress =
      std::holds_alternative<Dispatch>(event) || std::holds_alternative<AssignToSession>(event) ||
      std::holds_alternative<L2Signed>(event) || std::holds_alternative<ConcludeL2>(event) ||
      std::holds_alternative<L3Decided>(event) || std::holds_alternative<ResultSent>(event) ||
      std::holds_alternative<FollowUpConcluded>(event) || std::holds_alternative<Close>(event);
  if (progress && identity_) {
    if (auto why = identity_->holdReason(l.record.exam_id, l.record.study_uids)) {
      error = WorkflowResult::fail(
          WorkflowStatus::kConflict,
          "exam " + l.record.exam_id + " is held until its identity is reconciled: " + *why);
      return false;
    }
  }
  TransitionResult t = apply(l.record, event, rules_, now);
  if (!t.accepted) {
    error = WorkflowResult::fail(
        acceptsEvent(l.record.state, event) ? WorkflowStatus::kInvalid : WorkflowStatus::kConflict,
        t.error, std::move(t.problems));
    return false;
  }
  l.record = std::move(t.record);
  return true;
}

void WorkflowService::recordAudit(const AuditActor& by, const std::string& action,
                                  const std::string& exam_id, const json& detail) {
  if (!audit_) return;
  try {
    audit_->record(by.actor, by.role, action, "exam", exam_id, std::nullopt, by.source,
                   detail.dump());
  } catch (const std::exception& e) {
    spdlog::error("AUDIT: {} of exam {} by {} could not be recorded: {}", action, exam_id, by.actor,
                  e.what());
  }
}

void WorkflowService::auditTransitions(Loaded& l, const AuditActor& by) {
  const ExamRecord& r = l.record;
  if (!audit_) {
    l.history_audited = r.history.size();
    return;
  }
  for (; l.history_audited < r.history.size(); ++l.history_audited) {
    const StateChange& h = r.history[l.history_audited];
    try {
      audit_->record(by.actor, by.role, h.event, "exam", r.exam_id,
                     r.woman_id.empty() ? std::nullopt : std::optional<std::string>(r.woman_id),
                     by.source, json{{"from", toCode(h.from)}, {"to", toCode(h.to)}}.dump());
    } catch (const std::exception& e) {
      spdlog::error(
          "AUDIT: transition \"{}\" of exam {} ({} -> {}) was stored but could not be recorded "
          "in the audit trail: {}",
          h.event, r.exam_id, toCode(h.from), toCode(h.to), e.what());
    }
  }
}

void WorkflowService::autoDispatch(Loaded& l, TimePoint now) {
  const bool ready = (l.record.state == ExamState::kComplete && !l.record.woman_id.empty()) ||
                     l.record.state == ExamState::kRetakeReceived;
  if (!ready) return;
  WorkflowResult ignored;
  step(l, Dispatch{}, now, ignored);
}

void WorkflowService::onInstanceStored(const InstanceSummary& summary) {
  try {
    std::lock_guard lk(mu_);
    const TimePoint now = clock_();
    const std::string& study_uid = summary.study_instance_uid;
    StudyRow study;
    if (!index_.getStudy(study_uid, study)) return;
    const std::string woman_id =
        study.patient.woman_id ? std::to_string(*study.patient.woman_id) : std::string();
    // The CIM is the assigning authority of the woman's local id (IPP): it names the centre
    // that took the images, whatever its devices write in InstitutionName.
    const std::string cim_id = study.patient.issuer;

    // Whether the exam's images are complete: one of its studies holds every required view by
    // itself (retakes complete an exam, they are rarely complete alone) and none needs review.
    auto imagesComplete = [this](const std::vector<std::string>& uids) {
      bool complete = false;
      for (const auto& uid : uids) {
        StudyRow s;
        if (!index_.getStudy(uid, s)) continue;
        if (s.exam_status == "needs-review") return false;
        complete = complete || s.exam_status == "complete";
      }
      return complete;
    };

    std::optional<Loaded> exam;
    if (auto id = store_.examOfStudy(study_uid)) {
      exam = load(*id);
      if (!exam) return;
    } else if ((exam = load(study_uid))) {
      // The reading form came first (PUT before any image): the images complete its exam,
      // unless the form names another centre or woman (never attach silently).
      const ExamRecord& r = exam->record;
      const std::string form_woman = r.l1_form ? r.l1_form->identification.woman_id : "";
      if ((!r.cim_id.empty() && r.cim_id != cim_id) ||
          (!form_woman.empty() && form_woman != woman_id)) {
        spdlog::warn(
            "Study {} (CIM {}, woman {}) disagrees with the reading form received for "
            "it (CIM {}, woman {}); not joined, identity must be reconciled",
            study_uid, cim_id, woman_id, r.cim_id, form_woman);
        return;
      }
      // The form was matched without images (INS or traits only): now that they name her
      // woman, it is matched again against her; a conflict opens a case that holds the exam.
      const bool rematch = identity_ && r.l1_form && r.woman_id.empty() && !woman_id.empty();
      exam->record.woman_id = woman_id;
      exam->record.cim_id = cim_id;
      if (rematch) {
        const FormIdentityCheck check =
            identity_->checkForm(r.exam_id, r.l1_form->identification, woman_id, AuditActor{});
        spdlog::info("Exam {}: its reading form came first, matched again with its images: {}{}",
                     r.exam_id, toCode(check.outcome),
                     check.case_id ? " (identity queue case " + std::to_string(*check.case_id) + ")"
                                   : std::string());
      }
    } else {
      // A new study: a retake answering an open CTI request of this woman, or a new exam.
      std::vector<CtiRequest> open;
      if (!woman_id.empty()) {
        for (const auto& row : store_.ctiRequests("", woman_id, "open")) {
          auto p = ctiRequestFromJson(json::parse(row.json, nullptr, false));
          if (p.ok()) open.push_back(*p.value);
        }
      }
      if (!open.empty()) {
        RetakeStudy retake{study_uid, woman_id, cim_id, now, {}};
        const json assessment = json::parse(study.exam_json, nullptr, false);
        if (assessment.is_object() && assessment.contains("views") &&
            assessment["views"].is_object())
          for (auto it = assessment["views"].begin(); it != assessment["views"].end(); ++it)
            retake.views.push_back(it.key());
        const RetakeAssignment match = findRequestForRetake(open, retake);
        if (match.request_id) {
          std::string exam_id;
          for (const auto& r : open)
            if (r.id == *match.request_id) exam_id = r.exam_id;
          exam = load(exam_id);
          if (!exam) return;
          WorkflowResult error;
          if (!step(*exam, RetakeReceived{retake}, now, error)) {
            spdlog::warn("Study {} was not joined to exam {}: {}", study_uid, exam_id, error.error);
            return;
          }
          exam->retake_study_uids.push_back(study_uid);
          // Its images join too (the exam stays complete: it was before the CTI).
          step(*exam, ImagesUpdated{{study_uid}, imagesComplete(exam->record.study_uids)}, now,
               error);
          autoDispatch(*exam, now);
          store_.write([&](WorkflowWriter& w) { save(w, *exam); });
          auditTransitions(*exam, kIngestActor);
          spdlog::info("Retake study {} joined exam {} (CTI request {})", study_uid, exam_id,
                       *match.request_id);
          return;
        }
        bool same_centre = false;
        for (const auto& r : open) same_centre = same_centre || r.cim_id == cim_id;
        if (match.ambiguous || same_centre) {
          // Never a second file for a retake: a study of a woman with an open request at this
          // centre waits (every further image retries) until it matches or a human decides.
          spdlog::info("Study {} of woman {} waits for its CTI request: {}", study_uid, woman_id,
                       match.ambiguous
                           ? std::string("several requests match")
                           : (match.reasons.empty() ? std::string() : match.reasons.front()));
          return;
        }
      }
      // Another study of the same woman, same centre, same day (extra views, ultrasound sent
      // as a separate study) belongs to that day's exam: one screening episode, one file.
      if (!woman_id.empty() && !study.study_date.empty()) {
        for (const auto& id : store_.examIdsOfWoman(woman_id)) {
          auto candidate = load(id);
          StudyRow first;
          if (candidate && candidate->record.state != ExamState::kCancelled &&
              candidate->record.cim_id == cim_id &&
              index_.getStudy(candidate->record.exam_id, first) &&
              first.study_date == study.study_date)
            exam = std::move(candidate);
        }
      }
      if (!exam)
        exam = Loaded{newExamRecord(study_uid, woman_id, cim_id, now), {}, std::nullopt, {}, 0};
    }

    std::vector<std::string> uids = exam->record.study_uids;
    if (std::find(uids.begin(), uids.end(), study_uid) == uids.end()) uids.push_back(study_uid);
    WorkflowResult error;
    if (!step(*exam, ImagesUpdated{{study_uid}, imagesComplete(uids)}, now, error)) {
      spdlog::info("Exam {}: new image of study {} recorded in the archive, workflow unchanged: {}",
                   exam->record.exam_id, study_uid, error.error);
      return;
    }
    autoDispatch(*exam, now);
    store_.write([&](WorkflowWriter& w) { save(w, *exam); });
    auditTransitions(*exam, kIngestActor);
  } catch (const std::exception& e) {
    spdlog::error("Workflow of study {} not updated: {}", summary.study_instance_uid, e.what());
  }
}

json WorkflowService::workflowJson(const Loaded& l) {
  const ExamRecord& r = l.record;
  json readings = json::array();
  for (const auto& x : r.l2_readings) readings.push_back(toJson(x));
  json cti = json::array();
  for (const auto& c : r.cti_requests) cti.push_back(toJson(c));
  json missing = json::array();
  if (r.state == ExamState::kReceived || r.state == ExamState::kComplete)
    for (const auto& m : missingForCompletion(r, rules_)) missing.push_back(m);
  if (r.state == ExamState::kComplete && r.woman_id.empty())
    missing.push_back("The woman is not identified yet: identity must be reconciled.");
  json identity_hold = nullptr;
  if (identity_) {
    try {
      if (auto why = identity_->holdReason(r.exam_id, r.study_uids)) identity_hold = *why;
    } catch (const std::exception& e) {
      identity_hold = std::string("the identity register cannot be read: ") + e.what();
    }
  }
  json signature = nullptr;
  if (l.signature)
    signature = {
        {"signer", {{"name", l.signature->signer_name}, {"rpps", l.signature->signer_rpps}}},
        {"signed_at", l.signature->signed_at},
        {"form_sha256", l.signature->form_sha256},
        {"authenticated", l.signature->authenticated}};
  json assignment = nullptr;
  if (r.assignment)
    assignment = {{"session_id", r.assignment->session_id},
                  {"reader", readerJson(r.assignment->reader)},
                  {"assigned_at", toIsoDateTime(r.assignment->assigned_at)}};
  return {{"exam_id", r.exam_id},
          {"woman_id", r.woman_id},
          {"cim_id", r.cim_id},
          {"state", toCode(r.state)},
          {"state_label", labelEn(r.state)},
          {"received_at", toIsoDateTime(r.received_at)},
          {"study_uids", r.study_uids},
          {"retake_study_uids", l.retake_study_uids},
          {"images_complete", r.images_complete},
          {"l1_form", r.l1_form.has_value()},
          {"l1_signature", signature},
          {"missing", missing},
          {"assignment", assignment},
          {"l2_readings", readings},
          {"l3", r.l3 ? toJson(*r.l3) : json(nullptr)},
          {"cti_requests", cti},
          {"history", historyJson(r.history)},
          {"identity_hold", identity_hold}};
}

WorkflowResult WorkflowService::workflow(const std::string& exam_id) {
  auto l = load(exam_id);
  if (!l)
    return WorkflowResult::fail(WorkflowStatus::kNotFound,
                                "no screening exam " + exam_id + " is known to the workflow");
  return WorkflowResult::ok(workflowJson(*l));
}

namespace {
// The answer to a body the JSON mapping refused, with each field's problem.
WorkflowResult malformed(const std::string& what, std::vector<FormError> errors) {
  return WorkflowResult::fail(
      WorkflowStatus::kInvalid,
      what + " is not well-formed (" + std::to_string(errors.size()) + " problem(s))",
      std::move(errors));
}

WorkflowResult noExam(const std::string& exam_id) {
  return WorkflowResult::fail(WorkflowStatus::kNotFound,
                              "no screening exam " + exam_id + " is known to the workflow");
}
}  // namespace

WorkflowResult WorkflowService::putL1Form(const std::string& exam_id, const json& body,
                                          const AuditActor& by) {
  std::lock_guard lk(mu_);
  Parsed<L1Form> parsed = l1FormFromJson(body);
  if (!parsed.ok()) return malformed("the reading form", std::move(parsed.errors));
  L1Form form = std::move(*parsed.value);
  // The signature is given only by POST .../sign: a changed form is unsigned.
  form.signature = FormSignature{};
  const TimePoint now = clock_();
  auto l = load(exam_id);
  if (!l) {
    // The form may arrive before the images (SCREENING.md §4): the exam is opened under its
    // Study Instance UID and waits for them.
    if (store_.examOfStudy(exam_id))
      return WorkflowResult::fail(WorkflowStatus::kConflict,
                                  "study " + exam_id + " belongs to exam " +
                                      *store_.examOfStudy(exam_id) + "; put the form there");
    l = Loaded{
        newExamRecord(exam_id, "", form.identification.cim_id, now), {}, std::nullopt, {}, 0};
  }
  WorkflowResult error;
  if (!step(*l, FormSubmitted{form}, now, error)) return error;
  std::optional<FormIdentityCheck> identity;
  if (identity_)
    identity = identity_->checkForm(l->record.exam_id, form.identification, l->record.woman_id, by);
  l->signature.reset();
  store_.write([&](WorkflowWriter& w) { save(w, *l); });
  auditTransitions(*l, by);
  json out = workflowJson(*l);
  out["form_errors"] = errorsJson(checkL1Form(form, rules_));
  if (identity) {
    out["identity"] = {{"decision", toCode(identity->outcome)},
                       {"explanation", identity->explanation}};
    out["identity"]["woman_id"] = identity->woman_id ? json(*identity->woman_id) : json(nullptr);
    out["identity"]["case_id"] = identity->case_id ? json(*identity->case_id) : json(nullptr);
  }
  return WorkflowResult::ok(out);
}

WorkflowResult WorkflowService::getL1Form(const std::string& exam_id) {
  auto l = load(exam_id);
  if (!l) return noExam(exam_id);
  if (!l->record.l1_form)
    return WorkflowResult::fail(WorkflowStatus::kNotFound,
                                "exam " + exam_id + " has no reading form yet");
  json out = workflowJson(*l);
  return WorkflowResult::ok({{"exam_id", exam_id},
                             {"form", toJson(*l->record.l1_form)},
                             {"signature", out["l1_signature"]},
                             {"form_errors", errorsJson(checkL1Form(*l->record.l1_form, rules_))}});
}

WorkflowResult WorkflowService::signL1Form(const std::string& exam_id, const json& body,
                                           const AuditActor& by) {
  std::lock_guard lk(mu_);
  std::vector<FormError> errors;
  ReaderRef signer;
  const bool named = body.is_object() && body.contains("signer") && body["signer"].is_object();
  if (named) {
    const json& s = body["signer"];
    if (s.contains("rpps") && s["rpps"].is_string()) signer.rpps = s["rpps"].get<std::string>();
    if (s.contains("name") && s["name"].is_string()) signer.name = s["name"].get<std::string>();
  }
  if (by.authenticated) {
    // The signature is the logged-in account's: a body naming someone else is refused.
    auto refuse = [&](const std::string& why) {
      recordAudit(by, "l1-sign-refused", exam_id, {{"why", why}, {"named_rpps", signer.rpps}});
      return WorkflowResult::fail(WorkflowStatus::kForbidden, why,
                                  {{"signer.rpps", "is not the logged-in account's RPPS"}});
    };
    if (!isRpps(by.rpps))
      return refuse("your account (" + by.actor +
                    ") has no RPPS: an L1 radiologist's account needs one to sign");
    if (!signer.rpps.empty() && signer.rpps != by.rpps)
      return refuse("you are logged in as " + by.actor + " (RPPS " + by.rpps +
                    "): you cannot sign in the name of RPPS " + signer.rpps);
    signer.rpps = by.rpps;
    if (!by.name.empty()) signer.name = by.name;
  } else if (!named) {
    errors.push_back({"signer", "missing: {\"signer\": {\"name\": ..., \"rpps\": ...}}"});
  } else {
    if (!isRpps(signer.rpps)) errors.push_back({"signer.rpps", "must be an RPPS of 11 digits"});
    if (signer.name.empty()) errors.push_back({"signer.name", "the signer's name is required"});
  }
  if (!errors.empty())
    return WorkflowResult::fail(WorkflowStatus::kInvalid, "the signer is not identified",
                                std::move(errors));
  auto l = load(exam_id);
  if (!l) return noExam(exam_id);
  if (!l->record.l1_form)
    return WorkflowResult::fail(WorkflowStatus::kConflict,
                                "exam " + exam_id + " has no reading form to sign; PUT it first");
  L1Form form = *l->record.l1_form;
  if (signer.name.empty()) signer.name = form.identification.l1_radiologist.name;
  if (form.identification.l1_radiologist.rpps != signer.rpps)
    return WorkflowResult::fail(WorkflowStatus::kInvalid,
                                "the form names " + form.identification.l1_radiologist.rpps +
                                    " as its L1 radiologist; only she can sign it, not " +
                                    signer.rpps,
                                {{"signer.rpps", "is not the form's L1 radiologist"}});
  const TimePoint now = clock_();
  form.signature = FormSignature{true, now};
  auto problems = checkL1Form(form, rules_);
  if (!problems.empty())
    return WorkflowResult::fail(WorkflowStatus::kInvalid,
                                "the reading form cannot be signed: it has " +
                                    std::to_string(problems.size()) + " problem(s)",
                                std::move(problems));
  WorkflowResult error;
  if (!step(*l, FormSubmitted{form}, now, error)) return error;
  l->signature = L1SignatureRow{signer.name, signer.rpps, toIsoDateTime(now),
                                sha256Hex(toJson(form).dump()), by.authenticated};
  autoDispatch(*l, now);
  return commitExam(*l, by);
}

WorkflowResult WorkflowService::cda(const std::string& exam_id) {
  auto l = load(exam_id);
  if (!l) return noExam(exam_id);
  if (!l->record.l1_form)
    return WorkflowResult::fail(WorkflowStatus::kNotFound,
                                "exam " + exam_id + " has no reading form to export");
  CdaDocumentContext ctx;
  ctx.document_id = exam_id + "." + std::to_string(l->record.history.size());
  ctx.set_id = exam_id;
  ctx.version = static_cast<int>(l->record.l2_readings.size()) + 1;
  ctx.created_at = clock_();
  ctx.custodian_name = config_.aet;
  std::optional<L2Reading> l2;
  if (!l->record.l2_readings.empty()) l2 = l->record.l2_readings.back();
  return WorkflowResult::ok({{"xml", exportReadingFormCda(ctx, *l->record.l1_form, l2)}});
}

namespace {
json sessionJson(const SessionRow& s, bool with_exams) {
  int pending = 0, read = 0, skipped = 0;
  json exams = json::array();
  for (const auto& x : s.exams) {
    pending += x.outcome == "pending";
    read += x.outcome == "read";
    skipped += x.outcome == "skipped";
    exams.push_back({{"exam_id", x.exam_id},
                     {"mammogram_date", x.mammogram_date},
                     {"due", x.due},
                     {"days_left", x.days_left},
                     {"urgent", x.urgent},
                     {"outcome", x.outcome}});
  }
  json out = {{"id", s.id},
              {"reader", {{"rpps", s.reader_rpps}, {"name", s.reader_name}}},
              {"number", s.number},
              {"created_at", s.created_at},
              {"status", s.status},
              {"position", s.position},
              {"size", s.exams.size()},
              {"pending", pending},
              {"read", read},
              {"skipped", skipped}};
  if (with_exams) out["exams"] = exams;
  return out;
}

WorkflowResult noSession(const std::string& id) {
  return WorkflowResult::fail(WorkflowStatus::kNotFound, "no reading session " + id);
}
}  // namespace

WorkflowResult WorkflowService::dealSessions(const AuditActor& by) {
  std::lock_guard lk(mu_);
  const TimePoint now = clock_();
  const Date today = dateOf(now);
  std::vector<ReadyExam> ready;
  std::map<std::string, Loaded> exams;
  json held = json::array();
  for (const auto& row : store_.examsInState(toCode(ExamState::kAwaitingL2))) {
    auto l = load(row.exam_id);
    if (!l) continue;
    const ExamRecord& r = l->record;
    if (identity_) {
      if (auto why = identity_->holdReason(r.exam_id, r.study_uids)) {
        held.push_back(
            {{"exam_id", r.exam_id}, {"reason", "held until its identity is reconciled: " + *why}});
        continue;
      }
    }
    ReadyExam e;
    e.exam_id = r.exam_id;
    e.cim_id = r.cim_id;
    if (r.l1_form) e.l1_reader_rpps = r.l1_form->identification.l1_radiologist.rpps;
    e.mammogram_date = r.mammogramDate().value_or(dateOf(r.received_at));
    e.ready_since = r.received_at;
    for (auto it = r.history.rbegin(); it != r.history.rend(); ++it)
      if (it->to == ExamState::kAwaitingL2) {
        e.ready_since = it->at;
        break;
      }
    if (!r.cti_requests.empty()) e.preferred_reader_rpps = r.cti_requests.back().requested_by.rpps;
    ready.push_back(e);
    exams.emplace(r.exam_id, std::move(*l));
  }
  const DealResult dealt = ::dualread::dealSessions(ready, config_.l2_readers, rules_, today);

  std::vector<SessionRow> sessions;
  json undealt = held;
  for (const auto& u : dealt.undealt)
    undealt.push_back({{"exam_id", u.exam_id}, {"reason", u.reason}});
  int64_t next_number = store_.sessionCount();
  for (const auto& ds : dealt.sessions) {
    SessionRow s;
    s.id = "S" + std::to_string(++next_number);
    s.reader_rpps = ds.reader.rpps;
    s.reader_name = ds.reader.name;
    s.number = ds.number;
    s.created_at = toIsoDateTime(now);
    std::vector<std::string> cims;
    for (const auto& r : config_.l2_readers)
      if (r.reader.rpps == ds.reader.rpps) cims = r.cim_ids;
    for (const auto& x : ds.exams) {
      Loaded& l = exams.at(x.exam_id);
      WorkflowResult error;
      if (!step(l, AssignToSession{s.id, ds.reader, cims}, now, error)) {
        undealt.push_back({{"exam_id", x.exam_id}, {"reason", error.error}});
        continue;
      }
      s.exams.push_back({x.exam_id, toIsoDate(x.mammogram_date), toIsoDate(x.due), x.days_left,
                         x.urgent, "pending"});
    }
    if (!s.exams.empty()) sessions.push_back(std::move(s));
  }
  store_.write([&](WorkflowWriter& w) {
    for (const auto& s : sessions) {
      w.putSession(s);
      for (const auto& x : s.exams) save(w, exams.at(x.exam_id));
    }
  });
  for (const auto& s : sessions)
    for (const auto& x : s.exams) auditTransitions(exams.at(x.exam_id), by);
  json out = json::array();
  for (const auto& s : sessions) out.push_back(sessionJson(s, true));
  return WorkflowResult::ok({{"sessions", out}, {"undealt", undealt}});
}

WorkflowResult WorkflowService::sessions(const std::string& reader_rpps) {
  json items = json::array();
  for (const auto& s : store_.sessions(reader_rpps)) items.push_back(sessionJson(s, false));
  return WorkflowResult::ok({{"items", items}});
}

WorkflowResult WorkflowService::session(const std::string& session_id) {
  auto s = store_.loadSession(session_id);
  if (!s) return noSession(session_id);
  return WorkflowResult::ok(sessionJson(*s, true));
}

// The session's current exam: the first pending one from `position`. kOk with `exam` unset
// when the session is done.
WorkflowResult WorkflowService::currentExam(const std::string& session_id, SessionRow& session,
                                            std::optional<Loaded>& exam) {
  auto s = store_.loadSession(session_id);
  if (!s) return noSession(session_id);
  session = std::move(*s);
  while (session.position < static_cast<int64_t>(session.exams.size()) &&
         session.exams[session.position].outcome != "pending")
    ++session.position;
  if (session.position < static_cast<int64_t>(session.exams.size())) {
    exam = load(session.exams[session.position].exam_id);
    if (!exam)
      return WorkflowResult::fail(WorkflowStatus::kNotFound,
                                  "exam " + session.exams[session.position].exam_id +
                                      " of session " + session_id + " is missing");
  }
  return WorkflowResult::ok(nullptr);
}

WorkflowResult WorkflowService::next(const std::string& session_id) {
  SessionRow s;
  std::optional<Loaded> exam;
  auto r = currentExam(session_id, s, exam);
  if (r.status != WorkflowStatus::kOk) return r;
  if (!exam) return WorkflowResult::ok({{"session_id", session_id}, {"done", true}});
  json out = {{"session_id", session_id},
              {"done", false},
              {"position", s.position},
              {"size", s.exams.size()},
              {"exam", workflowJson(*exam)},
              {"due", s.exams[s.position].due},
              {"urgent", s.exams[s.position].urgent}};
  out["l1_form"] = exam->record.l1_form ? toJson(*exam->record.l1_form) : json(nullptr);
  return WorkflowResult::ok(out);
}

WorkflowResult WorkflowService::submitReading(const std::string& session_id, const json& body,
                                              const AuditActor& by) {
  std::lock_guard lk(mu_);
  SessionRow s;
  std::optional<Loaded> exam;
  auto r = currentExam(session_id, s, exam);
  if (r.status != WorkflowStatus::kOk) return r;
  if (!exam)
    return WorkflowResult::fail(WorkflowStatus::kConflict,
                                "session " + session_id + " has no exam left to read");
  const TimePoint now = clock_();
  json stamped = body;
  if (stamped.is_object()) stamped["read_at"] = toIsoDateTime(now);
  Parsed<L2Reading> parsed = l2ReadingFromJson(stamped);
  if (!parsed.ok()) return malformed("the L2 reading", std::move(parsed.errors));
  if (parsed.value->reader.rpps != s.reader_rpps)
    return WorkflowResult::fail(WorkflowStatus::kInvalid,
                                "session " + session_id + " belongs to reader " + s.reader_rpps +
                                    ", not " + parsed.value->reader.rpps,
                                {{"reader.rpps", "is not the session's reader"}});
  WorkflowResult error;
  if (!step(*exam, L2Signed{*parsed.value}, now, error)) return error;
  if (!step(*exam, ConcludeL2{}, now, error)) return error;
  return advanceSession(s, *exam, "read", by);
}

WorkflowResult WorkflowService::skip(const std::string& session_id, const json& body,
                                     const AuditActor& by) {
  std::lock_guard lk(mu_);
  std::string reason = "skipped by the reader";
  if (body.is_object() && body.contains("reason")) {
    if (!body["reason"].is_string())
      return WorkflowResult::fail(WorkflowStatus::kInvalid, "reason must be a string",
                                  {{"reason", "must be a string"}});
    if (!body["reason"].get<std::string>().empty()) reason = body["reason"].get<std::string>();
  }
  SessionRow s;
  std::optional<Loaded> exam;
  auto r = currentExam(session_id, s, exam);
  if (r.status != WorkflowStatus::kOk) return r;
  if (!exam)
    return WorkflowResult::fail(WorkflowStatus::kConflict,
                                "session " + session_id + " has no exam left to skip");
  WorkflowResult error;
  if (!step(*exam, ReturnToPool{reason}, clock_(), error)) return error;
  return advanceSession(s, *exam, "skipped", by);
}

WorkflowResult WorkflowService::sessionSummary(const std::string& session_id) {
  auto s = store_.loadSession(session_id);
  if (!s) return noSession(session_id);
  std::vector<ReadOutcome> outcomes;
  for (const auto& x : s->exams) {
    if (x.outcome != "read") continue;
    auto l = load(x.exam_id);
    if (!l) continue;
    const ExamRecord& r = l->record;
    for (auto it = r.l2_readings.rbegin(); it != r.l2_readings.rend(); ++it) {
      if (it->reader.rpps != s->reader_rpps) continue;
      ReadOutcome o;
      o.exam_id = r.exam_id;
      o.l2_reader_rpps = s->reader_rpps;
      o.read_on = dateOf(it->read_at);
      o.verdict = verdictOf(*it);
      if (r.l1_form) {
        o.l1_right = r.l1_form->mammography.right.birads;
        o.l1_left = r.l1_form->mammography.left.birads;
        o.l1_density = r.l1_form->mammography.density;
      }
      o.l2_right = it->right.birads;
      o.l2_left = it->left.birads;
      o.l2_density = it->density;
      outcomes.push_back(o);
      break;
    }
  }
  const DiscordanceSummary d = summariseSession(s->reader_rpps, outcomes);
  return WorkflowResult::ok(
      {{"session_id", session_id},
       {"reader_rpps", d.reader_rpps},
       {"reads", d.reads},
       {"negatives", d.negatives},
       {"positives", d.positives},
       {"ctis", d.ctis},
       {"category_disagreements", d.category_disagreements},
       {"density_disagreements", d.density_disagreements},
       {"positive_rate", d.positive_rate},
       {"cti_rate", d.cti_rate},
       {"discordant_exam_ids", d.discordant_exam_ids},
       {"skipped", std::count_if(s->exams.begin(), s->exams.end(),
                                 [](const SessionExamRow& x) { return x.outcome == "skipped"; })},
       {"pending", std::count_if(s->exams.begin(), s->exams.end(),
                                 [](const SessionExamRow& x) { return x.outcome == "pending"; })}});
}

WorkflowResult WorkflowService::ctiWorklist(const std::string& cim_id) {
  std::vector<CtiRequest> requests;
  for (const auto& row : store_.ctiRequests(cim_id, "", "open")) {
    auto p = ctiRequestFromJson(json::parse(row.json, nullptr, false));
    if (p.ok()) requests.push_back(*p.value);
  }
  json items = json::array();
  for (const auto& e : ::dualread::ctiWorklist(requests, cim_id, rules_, dateOf(clock_()))) {
    json flags = json::array();
    for (const auto& f : e.items)
      flags.push_back({{"view", f.view}, {"reason", toCode(f.reason)}, {"comment", f.comment}});
    items.push_back({{"request_id", e.request_id},
                     {"exam_id", e.exam_id},
                     {"woman_id", e.woman_id},
                     {"requested_on", toIsoDate(e.requested_on)},
                     {"days_open", e.days_open},
                     {"reminder_due", e.reminder_due},
                     {"items", flags}});
  }
  return WorkflowResult::ok({{"cim_id", cim_id}, {"items", items}});
}

WorkflowResult WorkflowService::l3Queue() {
  json items = json::array();
  for (const auto& row : store_.examsInState(toCode(ExamState::kAwaitingL3))) {
    auto l = load(row.exam_id);
    if (!l) continue;
    json j = workflowJson(*l);
    j["l1_form_detail"] = l->record.l1_form ? toJson(*l->record.l1_form) : json(nullptr);
    items.push_back(j);
  }
  return WorkflowResult::ok({{"l3_enabled", rules_.l3_enabled}, {"items", items}});
}

WorkflowResult WorkflowService::decideL3(const std::string& exam_id, const json& body,
                                         const AuditActor& by) {
  std::lock_guard lk(mu_);
  auto l = load(exam_id);
  if (!l) return noExam(exam_id);
  const TimePoint now = clock_();
  json stamped = body;
  if (stamped.is_object()) stamped["decided_at"] = toIsoDateTime(now);
  Parsed<L3Decision> parsed = l3DecisionFromJson(stamped);
  if (!parsed.ok()) return malformed("the L3 decision", std::move(parsed.errors));
  // A radiologist logged in records a decision she took part in; the coordinator records the
  // readers of a meeting.
  if (by.authenticated && by.role == "l2_radiologist") {
    bool among = false;
    for (const auto& r : parsed.value->readers) among = among || r.rpps == by.rpps;
    if (!among) {
      const std::string why = "you are logged in as " + by.actor + " (RPPS " + by.rpps +
                              "): an L3 decision you record must name you among its readers";
      recordAudit(by, "l3-decision-refused", exam_id, {{"why", why}});
      return WorkflowResult::fail(WorkflowStatus::kForbidden, why,
                                  {{"readers", "do not include the logged-in account"}});
    }
  }
  WorkflowResult error;
  if (!step(*l, L3Decided{*parsed.value}, now, error)) return error;
  return commitExam(*l, by);
}

WorkflowResult WorkflowService::commitExam(Loaded& l, const AuditActor& by) {
  store_.write([&](WorkflowWriter& w) { save(w, l); });
  auditTransitions(l, by);
  return WorkflowResult::ok(workflowJson(l));
}

WorkflowResult WorkflowService::advanceSession(SessionRow& s, Loaded& exam, const char* outcome,
                                               const AuditActor& by) {
  s.exams[s.position].outcome = outcome;
  ++s.position;
  if (s.position >= static_cast<int64_t>(s.exams.size())) s.status = "done";
  store_.write([&](WorkflowWriter& w) {
    save(w, exam);
    w.putSession(s);
  });
  auditTransitions(exam, by);
  return WorkflowResult::ok({{"exam", workflowJson(exam)}, {"session", sessionJson(s, false)}});
}

WorkflowResult WorkflowService::applyOne(const std::string& exam_id, const ExamEvent& event,
                                         const AuditActor& by) {
  std::lock_guard lk(mu_);
  auto l = load(exam_id);
  if (!l) return noExam(exam_id);
  WorkflowResult error;
  if (!step(*l, event, clock_(), error)) return error;
  return commitExam(*l, by);
}

WorkflowResult WorkflowService::markResultSent(const std::string& exam_id, const AuditActor& by) {
  return applyOne(exam_id, ResultSent{}, by);
}

WorkflowResult WorkflowService::closeExam(const std::string& exam_id, const AuditActor& by) {
  return applyOne(exam_id, Close{}, by);
}

WorkflowResult WorkflowService::concludeFollowUp(const std::string& exam_id,
                                                 const std::string& summary, const AuditActor& by) {
  return applyOne(exam_id, FollowUpConcluded{summary}, by);
}

std::optional<ExamRecord> WorkflowService::record(const std::string& exam_id) {
  auto l = load(exam_id);
  if (!l) return std::nullopt;
  return std::move(l->record);
}

std::vector<ExamRecord> WorkflowService::records(ExamState state) {
  std::vector<ExamRecord> out;
  for (const auto& row : store_.examsInState(toCode(state)))
    if (auto l = load(row.exam_id)) out.push_back(std::move(l->record));
  return out;
}

void WorkflowService::identityReconciled(const std::vector<std::string>& study_uids,
                                         const std::vector<std::string>& exam_ids) {
  try {
    std::lock_guard lk(mu_);
    std::vector<std::string> ids = exam_ids;
    for (const auto& uid : study_uids)
      if (auto id = store_.examOfStudy(uid))
        if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
    const TimePoint now = clock_();
    for (const auto& id : ids) {
      auto l = load(id);
      if (!l) continue;
      // The woman the archive now gives the exam's first study (settled by a secretary).
      StudyRow first;
      if (l->record.woman_id.empty() && index_.getStudy(l->record.exam_id, first) &&
          first.patient.woman_id) {
        l->record.woman_id = std::to_string(*first.patient.woman_id);
        // A form that came before its (held) images is matched again against her.
        if (identity_ && l->record.l1_form)
          identity_->checkForm(id, l->record.l1_form->identification, l->record.woman_id,
                               {"hub", "system", "identity"});
      }
      WorkflowResult error;
      // The archive reassessed its studies: completeness may have changed.
      bool complete = false, review = false;
      for (const auto& uid : l->record.study_uids) {
        StudyRow s;
        if (!index_.getStudy(uid, s)) continue;
        review = review || s.exam_status == "needs-review";
        complete = complete || s.exam_status == "complete";
      }
      if (l->record.state == ExamState::kReceived || l->record.state == ExamState::kComplete)
        step(*l, ImagesUpdated{{}, complete && !review}, now, error);
      autoDispatch(*l, now);
      store_.write([&](WorkflowWriter& w) { save(w, *l); });
      auditTransitions(*l, {"hub", "system", "identity"});
      spdlog::info("Exam {}: identity reconciled (woman {}), state {}", id, l->record.woman_id,
                   toCode(l->record.state));
    }
  } catch (const std::exception& e) {
    spdlog::error("Exams of a reconciled identity not updated: {}", e.what());
  }
}

std::vector<std::string> WorkflowService::moveExams(const std::string& from, const std::string& to,
                                                    const std::vector<std::string>* only) {
  std::lock_guard lk(mu_);
  std::vector<std::string> ids = only ? *only : store_.examIdsOfWoman(from);
  std::vector<Loaded> moved;
  for (const auto& id : ids) {
    auto l = load(id);
    if (!l || l->record.woman_id != from) continue;
    l->record.woman_id = to;
    for (auto& c : l->record.cti_requests)
      if (c.woman_id == from) c.woman_id = to;
    moved.push_back(std::move(*l));
  }
  store_.write([&](WorkflowWriter& w) {
    for (const auto& l : moved) save(w, l);
  });
  std::vector<std::string> out;
  for (const auto& l : moved) out.push_back(l.record.exam_id);
  return out;
}

}  // namespace dualread
