#include "services/follow_up_service.h"

#include <chrono>

#include "services/audit_service.h"

namespace dualread {

using nlohmann::json;

namespace {

TimePoint systemNow() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

const char* bddCode(BddResult r) {
  switch (r) {
    case BddResult::kNormal:
      return "normal";
    case BddResult::kBenign:
      return "benign";
    case BddResult::kProbablyBenign:
      return "probably_benign";
    case BddResult::kBiopsyNeeded:
      return "biopsy_needed";
  }
  return "normal";
}
std::optional<BddResult> bddFrom(const std::string& s) {
  for (BddResult r : {BddResult::kNormal, BddResult::kBenign, BddResult::kProbablyBenign,
                      BddResult::kBiopsyNeeded})
    if (s == bddCode(r)) return r;
  return std::nullopt;
}
const char* pathoCode(PathologyResult r) {
  switch (r) {
    case PathologyResult::kBenign:
      return "benign";
    case PathologyResult::kInSitu:
      return "in_situ";
    case PathologyResult::kInvasive:
      return "invasive";
  }
  return "benign";
}
std::optional<PathologyResult> pathoFrom(const std::string& s) {
  for (PathologyResult r :
       {PathologyResult::kBenign, PathologyResult::kInSitu, PathologyResult::kInvasive})
    if (s == pathoCode(r)) return r;
  return std::nullopt;
}

// Field readers collecting errors with their JSON path.
struct Reader {
  std::vector<FormError>& errors;
  std::optional<Date> date(const json& o, const std::string& path) {
    if (!o.contains("date") || !o["date"].is_string()) {
      errors.push_back({path + ".date", "is required (YYYY-MM-DD)"});
      return std::nullopt;
    }
    auto d = parseIsoDate(o["date"].get<std::string>());
    if (!d) errors.push_back({path + ".date", "is not a date (YYYY-MM-DD)"});
    return d;
  }
  std::string text(const json& o, const char* key, const std::string& path, bool required) {
    if (!o.contains(key)) {
      if (required) errors.push_back({path + "." + key, "is required"});
      return {};
    }
    if (!o[key].is_string()) {
      errors.push_back({path + "." + key, "must be a string"});
      return {};
    }
    return o[key].get<std::string>();
  }
  std::optional<int> integer(const json& o, const char* key, const std::string& path) {
    if (!o.contains(key) || o[key].is_null()) return std::nullopt;
    if (!o[key].is_number_integer()) {
      errors.push_back({path + "." + key, "must be a whole number"});
      return std::nullopt;
    }
    return o[key].get<int>();
  }
};

}  // namespace

json positiveCaseToJson(const PositiveCase& c) {
  json j = {{"exam_id", c.exam_id},
            {"woman_id", c.woman_id},
            {"origin", toCode(c.origin)},
            {"positive_on", toIsoDate(c.positive_on)}};
  if (c.l1_management) j["l1_management"] = toCode(*c.l1_management);
  json bdds = json::array();
  for (const auto& b : c.work_ups)
    bdds.push_back(
        {{"date", toIsoDate(b.date)}, {"result", bddCode(b.result)}, {"comment", b.comment}});
  j["work_ups"] = bdds;
  j["biopsy"] = c.biopsy ? json{{"date", toIsoDate(c.biopsy->date)}, {"kind", c.biopsy->kind}}
                         : json(nullptr);
  if (c.pathology) {
    j["pathology"] = {{"date", toIsoDate(c.pathology->date)},
                      {"result", pathoCode(c.pathology->result)},
                      {"comment", c.pathology->comment}};
    j["pathology"]["grade"] = c.pathology->grade ? json(*c.pathology->grade) : json(nullptr);
    j["pathology"]["size_mm"] = c.pathology->size_mm ? json(*c.pathology->size_mm) : json(nullptr);
  } else {
    j["pathology"] = nullptr;
  }
  j["treatment"] = c.treatment ? json{{"date", toIsoDate(c.treatment->date)},
                                      {"description", c.treatment->description}}
                               : json(nullptr);
  json rem = json::array();
  for (const auto& d : c.reminders_sent) rem.push_back(toIsoDate(d));
  j["reminders_sent"] = rem;
  return j;
}

std::optional<PositiveCase> positiveCaseFromJson(const json& j) {
  if (!j.is_object()) return std::nullopt;
  PositiveCase c;
  c.exam_id = j.value("exam_id", "");
  c.woman_id = j.value("woman_id", "");
  const std::string origin = j.value("origin", "l2");
  c.origin = origin == "l1"   ? PositiveOrigin::kL1
             : origin == "l3" ? PositiveOrigin::kL3
                              : PositiveOrigin::kL2;
  c.positive_on = parseIsoDate(j.value("positive_on", "")).value_or(Date{});
  const std::string m = j.value("l1_management", "");
  for (Management x :
       {Management::kNone, Management::kShortFollowUp, Management::kBiopsy, Management::kReferral})
    if (m == toCode(x)) c.l1_management = x;
  if (j.contains("work_ups") && j["work_ups"].is_array())
    for (const auto& b : j["work_ups"])
      c.work_ups.push_back({parseIsoDate(b.value("date", "")).value_or(Date{}),
                            bddFrom(b.value("result", "")).value_or(BddResult::kNormal),
                            b.value("comment", "")});
  if (j.contains("biopsy") && j["biopsy"].is_object())
    c.biopsy = BiopsyRecord{parseIsoDate(j["biopsy"].value("date", "")).value_or(Date{}),
                            j["biopsy"].value("kind", "")};
  if (j.contains("pathology") && j["pathology"].is_object()) {
    const json& p = j["pathology"];
    PathologyRecord r;
    r.date = parseIsoDate(p.value("date", "")).value_or(Date{});
    r.result = pathoFrom(p.value("result", "")).value_or(PathologyResult::kBenign);
    if (p.contains("grade") && p["grade"].is_number_integer()) r.grade = p["grade"].get<int>();
    if (p.contains("size_mm") && p["size_mm"].is_number_integer())
      r.size_mm = p["size_mm"].get<int>();
    r.comment = p.value("comment", "");
    c.pathology = r;
  }
  if (j.contains("treatment") && j["treatment"].is_object())
    c.treatment = TreatmentRecord{parseIsoDate(j["treatment"].value("date", "")).value_or(Date{}),
                                  j["treatment"].value("description", "")};
  if (j.contains("reminders_sent") && j["reminders_sent"].is_array())
    for (const auto& d : j["reminders_sent"])
      if (d.is_string())
        if (auto x = parseIsoDate(d.get<std::string>())) c.reminders_sent.push_back(*x);
  return c;
}

FollowUpService::FollowUpService(const HubConfig& config, WorkflowService& workflow,
                                 FollowUpStore& store, AuditService* audit, Clock clock)
    : config_(config),
      workflow_(workflow),
      store_(store),
      audit_(audit),
      clock_(clock ? std::move(clock) : Clock(&systemNow)) {}

std::optional<PositiveCase> FollowUpService::caseFor(const ExamRecord& r) {
  if (auto row = store_.find(r.exam_id))
    return positiveCaseFromJson(json::parse(row->case_json, nullptr, false));
  PositiveCase c;
  c.exam_id = r.exam_id;
  c.woman_id = r.woman_id;
  if (auto at = r.firstEntered(ExamState::kL1Positive)) {
    c.origin = PositiveOrigin::kL1;
    c.positive_on = dateOf(*at);
    if (r.l1_form) c.l1_management = r.l1_form->conclusion.management;
  } else if (auto sent = r.firstEntered(ExamState::kPositiveFollowUp)) {
    c.origin = r.l3 ? PositiveOrigin::kL3 : PositiveOrigin::kL2;
    c.positive_on = dateOf(*sent);
  } else {
    return std::nullopt;  // not a positive
  }
  return c;
}

json FollowUpService::caseJson(const PositiveCase& c, Date today) const {
  json j = positiveCaseToJson(c);
  j["status"] = toCode(statusOf(c, config_.programme, today));
  j["replaces_next_invitation"] = replacesNextInvitation(c, config_.programme, today);
  if (auto r = nextReminder(c, config_.programme, today))
    j["reminder_due"] = {
        {"due_on", toIsoDate(r->due_on)}, {"number", r->number}, {"reason", r->reason}};
  else
    j["reminder_due"] = nullptr;
  if (auto d = diagnosisDate(c)) j["diagnosis_date"] = toIsoDate(*d);
  return j;
}

WorkflowResult FollowUpService::record(const std::string& exam_id, const json& body,
                                       const AuditActor& by) {
  std::lock_guard lk(mu_);
  auto r = workflow_.record(exam_id);
  if (!r)
    return WorkflowResult::fail(WorkflowStatus::kNotFound,
                                "no screening exam " + exam_id + " is known to the workflow");
  if (r->state != ExamState::kL1Positive && r->state != ExamState::kPositiveFollowUp)
    return WorkflowResult::fail(
        WorkflowStatus::kConflict,
        "exam " + exam_id + " is " + labelEn(r->state) +
            ": follow-up results are recorded only for an L1-positive exam or a recall whose "
            "result was sent (positive follow-up)");
  std::optional<PositiveCase> c = caseFor(*r);
  if (!c)
    return WorkflowResult::fail(WorkflowStatus::kConflict,
                                "exam " + exam_id + " has no positive result to follow");
  std::vector<FormError> errors;
  if (!body.is_object() || body.empty())
    return WorkflowResult::fail(
        WorkflowStatus::kInvalid,
        "say what came back: one or more of bdd, biopsy, pathology, treatment",
        {{"", "expected an object with bdd, biopsy, pathology or treatment"}});
  for (auto it = body.begin(); it != body.end(); ++it)
    if (it.key() != "bdd" && it.key() != "biopsy" && it.key() != "pathology" &&
        it.key() != "treatment")
      errors.push_back({it.key(), "unknown field (known: bdd, biopsy, pathology, treatment)"});
    else if (!it.value().is_object())
      errors.push_back({it.key(), "must be an object"});
  Reader rd{errors};
  if (errors.empty()) {
    if (body.contains("bdd")) {
      const json& b = body["bdd"];
      auto d = rd.date(b, "bdd");
      const std::string res = rd.text(b, "result", "bdd", true);
      auto parsed = bddFrom(res);
      if (!res.empty() && !parsed)
        errors.push_back({"bdd.result", "'" + res +
                                            "' is not one of normal, benign, probably_benign, "
                                            "biopsy_needed"});
      if (d && parsed) c->work_ups.push_back({*d, *parsed, rd.text(b, "comment", "bdd", false)});
    }
    if (body.contains("biopsy")) {
      const json& b = body["biopsy"];
      auto d = rd.date(b, "biopsy");
      const std::string kind = rd.text(b, "kind", "biopsy", false);
      if (d) c->biopsy = BiopsyRecord{*d, kind};
    }
    if (body.contains("pathology")) {
      const json& p = body["pathology"];
      auto d = rd.date(p, "pathology");
      const std::string res = rd.text(p, "result", "pathology", true);
      auto parsed = pathoFrom(res);
      if (!res.empty() && !parsed)
        errors.push_back(
            {"pathology.result", "'" + res + "' is not one of benign, in_situ, invasive"});
      PathologyRecord pr;
      pr.grade = rd.integer(p, "grade", "pathology");
      pr.size_mm = rd.integer(p, "size_mm", "pathology");
      pr.comment = rd.text(p, "comment", "pathology", false);
      if (d && parsed) {
        pr.date = *d;
        pr.result = *parsed;
        c->pathology = pr;
      }
    }
    if (body.contains("treatment")) {
      const json& t = body["treatment"];
      auto d = rd.date(t, "treatment");
      const std::string desc = rd.text(t, "description", "treatment", true);
      if (d && !desc.empty()) c->treatment = TreatmentRecord{*d, desc};
    }
  }
  if (errors.empty())
    for (const auto& p : checkPositiveCase(*c)) errors.push_back({"", p});
  if (!errors.empty()) {
    const std::string why = "the follow-up of exam " + exam_id + " was not recorded (" +
                            std::to_string(errors.size()) + " problem(s))";
    return WorkflowResult::fail(WorkflowStatus::kInvalid, why, std::move(errors));
  }
  const Date today = dateOf(clock_());
  const FollowUpStatus status = statusOf(*c, config_.programme, today);
  if (audit_) {
    json fields = json::array();
    for (auto it = body.begin(); it != body.end(); ++it) fields.push_back(it.key());
    audit_->record(by.actor, by.role, "record-follow-up", "exam", exam_id,
                   r->woman_id.empty() ? std::nullopt : std::optional<std::string>(r->woman_id),
                   by.source, json{{"fields", fields}, {"status", toCode(status)}}.dump());
  }
  store_.put({exam_id, r->woman_id, toCode(c->origin), toIsoDate(c->positive_on), toCode(status),
              positiveCaseToJson(*c).dump(), ""});
  json out = caseJson(*c, today);
  out["exam_state"] = toCode(r->state);
  if (isConcluded(status)) {
    std::string summary;
    if (status == FollowUpStatus::kConcludedCancer) {
      summary = std::string("cancer: ") + pathoCode(c->pathology->result) + " carcinoma";
    } else if (c->pathology) {
      summary = "benign at pathology";
    } else {
      summary = std::string("work-up ") + bddCode(c->work_ups.back().result);
    }
    WorkflowResult closed = workflow_.concludeFollowUp(exam_id, summary, by);
    if (closed.status != WorkflowStatus::kOk) return closed;
    out["exam_state"] = closed.body["state"];
  }
  return WorkflowResult::ok(out);
}

WorkflowResult FollowUpService::get(const std::string& exam_id) {
  auto r = workflow_.record(exam_id);
  if (!r)
    return WorkflowResult::fail(WorkflowStatus::kNotFound,
                                "no screening exam " + exam_id + " is known to the workflow");
  auto c = caseFor(*r);
  if (!c)
    return WorkflowResult::fail(
        WorkflowStatus::kNotFound,
        "exam " + exam_id + " has no positive result to follow (" + labelEn(r->state) + ")");
  json out = caseJson(*c, dateOf(clock_()));
  out["exam_state"] = toCode(r->state);
  return WorkflowResult::ok(out);
}

WorkflowResult FollowUpService::reminders() {
  const Date today = dateOf(clock_());
  json items = json::array();
  for (ExamState s : {ExamState::kL1Positive, ExamState::kPositiveFollowUp}) {
    for (const ExamRecord& r : workflow_.records(s)) {
      auto c = caseFor(r);
      if (!c) continue;
      auto rem = nextReminder(*c, config_.programme, today);
      if (!rem) continue;
      items.push_back({{"exam_id", r.exam_id},
                       {"woman_id", r.woman_id},
                       {"cim_id", r.cim_id},
                       {"origin", toCode(c->origin)},
                       {"positive_on", toIsoDate(c->positive_on)},
                       {"status", toCode(statusOf(*c, config_.programme, today))},
                       {"due_on", toIsoDate(rem->due_on)},
                       {"number", rem->number},
                       {"reason", rem->reason}});
    }
  }
  return WorkflowResult::ok({{"today", toIsoDate(today)}, {"items", items}});
}

std::vector<PositiveCase> FollowUpService::cases() {
  std::vector<PositiveCase> out;
  for (const auto& row : store_.all())
    if (auto c = positiveCaseFromJson(json::parse(row.case_json, nullptr, false)))
      out.push_back(std::move(*c));
  return out;
}

}  // namespace dualread
