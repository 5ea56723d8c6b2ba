#include "services/identity_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <tuple>

#include "domain/identity_correction.h"
#include "domain/identity_names.h"
#include "domain/identity_nir.h"
#include "domain/time.h"
#include "services/audit_service.h"
#include "storage/sha256.h"
#include "util/wall_clock.h"

namespace dualread {

using nlohmann::json;

namespace {

json traitsJson(const IncomingIdentity& in) {
  json j = {{"source", in.source == TraitSource::kDicom ? "dicom" : "form"},
            {"cim", in.cim},
            {"ipp", in.ipp},
            {"family_name", in.family_name},
            {"birth_name", in.birth_name},
            {"used_name", in.used_name},
            {"first_names", in.first_names},
            {"birth_date", in.birth_date},
            {"sex", in.sex},
            {"ins", in.ins},
            {"ins_oid", in.ins_oid}};
  j["linked_woman"] = in.linked_woman ? json(*in.linked_woman) : json(nullptr);
  return j;
}

IncomingIdentity traitsFromJson(const json& j) {
  IncomingIdentity in;
  in.source = j.value("source", "dicom") == "form" ? TraitSource::kForm : TraitSource::kDicom;
  in.cim = j.value("cim", "");
  in.ipp = j.value("ipp", "");
  in.family_name = j.value("family_name", "");
  in.birth_name = j.value("birth_name", "");
  in.used_name = j.value("used_name", "");
  in.first_names = j.value("first_names", "");
  in.birth_date = j.value("birth_date", "");
  in.sex = j.value("sex", "");
  in.ins = j.value("ins", "");
  in.ins_oid = j.value("ins_oid", "");
  if (j.contains("linked_woman") && j["linked_woman"].is_number_integer())
    in.linked_woman = j["linked_woman"].get<int64_t>();
  return in;
}

// The CIM identity tuple exactly as the archive keys it, kept with the traits of a DICOM link.
PatientTuple tupleOf(const json& traits) {
  const json t = traits.value("tuple", json::object());
  return {t.value("patient_id", ""), t.value("issuer", ""), t.value("name", ""),
          t.value("birth_date", ""), t.value("sex", ""),    t.value("ins", "")};
}

std::string displayName(const WomanIdentity& w) {
  std::string first = w.first_names.substr(0, w.first_names.find(' '));
  return w.birth_name + "^" + first;
}

// The register effects of attaching `in` to `w` (INS, IPP, used name); returns `w` changed.
WomanIdentity applyAttach(WomanIdentity w, const IncomingIdentity& in, const IdentityDecision& d) {
  if (d.record_ins && !in.ins.empty()) {
    w.nir = in.ins;
    w.ins_oid = in.source == TraitSource::kForm ? std::string(kInsNirOid) : in.ins_oid;
  }
  if (d.status == InsStatus::kVerified && w.nir == in.ins && !in.ins.empty())
    w.status = InsStatus::kVerified;
  else if (w.status == InsStatus::kUnknown)
    w.status = d.status;
  if (d.record_ipp && !in.ipp.empty() && !w.ippAt(in.cim)) w.ipps.push_back({in.cim, in.ipp});
  if (!d.new_used_name.empty()) w.used_names.push_back(d.new_used_name);
  // The form carries the whole civil list of first names; images often the first one only.
  if (in.source == TraitSource::kForm &&
      nameKey(in.first_names).size() > nameKey(w.first_names).size())
    w.first_names = in.first_names;
  return w;
}

WomanIdentity newWoman(const IncomingIdentity& in, const IdentityDecision& d) {
  WomanIdentity w;
  w.birth_name = incomingFamilyName(in);
  w.first_names = in.first_names;
  w.birth_date = in.birth_date;
  w.sex = in.source == TraitSource::kForm ? "F" : in.sex;
  w.status = d.status;
  if (d.record_ins) {
    w.nir = in.ins;
    w.ins_oid = in.source == TraitSource::kForm ? std::string(kInsNirOid) : in.ins_oid;
  }
  if (d.record_ipp && !in.ipp.empty()) w.ipps.push_back({in.cim, in.ipp});
  if (!d.new_used_name.empty()) w.used_names.push_back(d.new_used_name);
  return w;
}

std::vector<WomanIdentity> candidatesFor(IdentityStore& store, const IncomingIdentity& in) {
  std::vector<std::string> keys;
  for (const std::string& n : {in.family_name, in.birth_name, in.used_name, in.first_names})
    if (!n.empty()) keys.push_back(nameKey(n));
  return store.candidates(in.ins, in.cim, in.ipp, in.linked_woman, in.birth_date, keys);
}

json fieldRow(const std::string& field, const std::string& incoming, const std::string& woman,
              const char* match) {
  return {{"field", field}, {"incoming", incoming}, {"woman", woman}, {"match", match}};
}

}  // namespace

json toJson(const WomanIdentity& w) {
  json ipps = json::array();
  for (const auto& p : w.ipps) ipps.push_back({{"cim", p.cim}, {"ipp", p.ipp}});
  json j = {{"id", w.id},
            {"ins", w.nir},
            {"ins_oid", w.ins_oid},
            {"status", toCode(w.status)},
            {"birth_name", w.birth_name},
            {"first_names", w.first_names},
            {"birth_date", w.birth_date},
            {"sex", w.sex},
            {"birth_place", w.birth_place},
            {"used_names", w.used_names},
            {"ipps", ipps}};
  j["merged_into"] = w.merged_into ? json(*w.merged_into) : json(nullptr);
  return j;
}

json toJson(const IdentityTraits& t) {
  return {{"birth_name", t.birth_name},
          {"first_names", t.first_names},
          {"used_names", t.used_names},
          {"birth_date", t.birth_date},
          {"sex", t.sex},
          {"birth_place", t.birth_place},
          {"ins", t.nir},
          {"ins_oid", t.ins_oid},
          {"status", toCode(t.status)}};
}

IdentityTraits identityTraitsFromJson(const json& j) {
  IdentityTraits t;
  if (!j.is_object()) return t;
  t.birth_name = j.value("birth_name", "");
  t.first_names = j.value("first_names", "");
  t.used_names = j.value("used_names", std::vector<std::string>{});
  t.birth_date = j.value("birth_date", "");
  t.sex = j.value("sex", "");
  t.birth_place = j.value("birth_place", "");
  t.nir = j.value("ins", "");
  t.ins_oid = j.value("ins_oid", "");
  t.status = insStatusFromCode(j.value("status", "")).value_or(InsStatus::kUnknown);
  return t;
}

IdentityService::IdentityService(IdentityStore& store, ArchiveIndex& index)
    : store_(store), index_(index) {}

void IdentityService::mirror(const WomanIdentity& w) {
  index_.mirrorWoman(w.id, w.merged_into ? std::string() : w.nir, displayName(w), w.birth_date,
                     w.sex);
}

void IdentityService::audit(const AuditActor& by, const std::string& action,
                            const std::string& object_type, const std::string& object_id,
                            std::optional<int64_t> woman, const json& detail) {
  if (!audit_) return;
  try {
    audit_->record(by.actor, by.role, action, object_type, object_id,
                   woman ? std::optional<std::string>(std::to_string(*woman)) : std::nullopt,
                   by.source, detail.dump());
  } catch (const std::exception& e) {
    spdlog::error("AUDIT: {} of {} {} by {} was done but could not be recorded: {}", action,
                  object_type, object_id, by.actor, e.what());
  }
}

StoredInstance::IdentityAssignment IdentityService::resolveInstance(const InstanceSummary& s) {
  IncomingIdentity in;
  in.source = TraitSource::kDicom;
  in.cim = s.issuer_of_patient_id;
  in.ipp = s.patient_id;
  splitPersonName(s.patient_name, in.family_name, in.first_names);
  in.birth_date = s.patient_birth_date;
  in.sex = s.patient_sex;
  in.ins = s.ins;
  in.ins_oid = s.ins_issuer;
  json traits = traitsJson(in);
  traits["tuple"] = {{"patient_id", s.patient_id}, {"issuer", s.issuer_of_patient_id},
                     {"name", s.patient_name},     {"birth_date", s.patient_birth_date},
                     {"sex", s.patient_sex},       {"ins", s.ins}};
  const std::string key = sha256Hex("dicom\n" + traits.dump());

  StoredInstance::IdentityAssignment out;
  out.decided = true;
  auto fill = [&](const WomanIdentity& w) {
    out.woman_id = w.id;
    out.ins = w.nir;
    out.name = displayName(w);
    out.birth_date = w.birth_date;
    out.sex = w.sex;
  };
  auto held = [&](int64_t case_id, const std::string& why) {
    out.issue =
        "identity being reconciled (identity queue case " + std::to_string(case_id) + "): " + why;
  };

  std::lock_guard lk(mu_);
  if (auto link = store_.link(key)) {
    if (link->woman_id) {
      if (auto w = store_.woman(*link->woman_id)) fill(*w);
      return out;
    }
    if (link->case_id) {
      store_.write([&](IdentityWriter& wr) {
        wr.addCaseSubject(*link->case_id, "study", s.study_instance_uid);
      });
      auto c = store_.caseById(*link->case_id);
      held(*link->case_id, c ? c->explanation : link->explanation);
    }
    return out;
  }

  const std::vector<WomanIdentity> candidates = candidatesFor(store_, in);
  const IdentityDecision d = matchIdentity(in, candidates);
  IdentityLinkRow link{key,          "dicom",       traits.dump(), std::nullopt, "queued",
                       std::nullopt, d.explanation, "matcher",     nowIso()};
  std::optional<WomanIdentity> woman;
  std::optional<int64_t> case_id;
  store_.write([&](IdentityWriter& wr) {
    if (d.outcome == IdentityOutcome::kQueue) {
      IdentityCaseRow c;
      c.link_key = key;
      c.source = "dicom";
      c.reason = toCode(d.reason);
      c.explanation = d.explanation;
      c.traits_json = traits.dump();
      c.candidates = d.candidates;
      case_id = wr.openCase(c);
      wr.addCaseSubject(*case_id, "study", s.study_instance_uid);
      link.case_id = case_id;
    } else {
      WomanIdentity w;
      if (d.outcome == IdentityOutcome::kCreate) {
        w = newWoman(in, d);
        w.id = wr.createWoman(w);
      } else {
        for (const auto& c : candidates)
          if (c.id == *d.woman_id) w = c;
        const WomanIdentity before = w;
        w = applyAttach(w, in, d);
        if (!(w == before)) wr.updateWoman(w);
      }
      woman = w;
      link.woman_id = w.id;
      link.status = toCode(d.status);
    }
    wr.putLink(link);
  });
  if (woman) {
    fill(*woman);
    mirror(*woman);
    spdlog::info("Identity: study {} from {}: {} woman {} ({})", s.study_instance_uid, in.cim,
                 d.outcome == IdentityOutcome::kCreate ? "new" : "attached to", woman->id,
                 toCode(d.status));
  } else {
    held(*case_id, d.explanation);
    spdlog::warn("Identity: study {} from {} held for a secretary (identity queue case {}, {})",
                 s.study_instance_uid, in.cim, *case_id, toCode(d.reason));
  }
  return out;
}

FormIdentityCheck IdentityService::checkForm(const std::string& exam_id,
                                             const FormIdentification& id,
                                             const std::string& exam_woman, const AuditActor& by) {
  IncomingIdentity in;
  in.source = TraitSource::kForm;
  in.cim = id.cim_id;
  in.birth_name = id.birth_name;
  in.used_name = id.used_name;
  in.first_names = id.first_names;
  if (id.birth_date) {
    const std::string iso = toIsoDate(*id.birth_date);  // YYYY-MM-DD
    in.birth_date = iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2);
  }
  in.ins = id.ins;
  auto numeric = [](const std::string& s) -> std::optional<int64_t> {
    if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), ::isdigit))
      return std::nullopt;
    return std::stoll(s);
  };
  in.linked_woman = numeric(exam_woman);
  if (!in.linked_woman) in.linked_woman = numeric(id.woman_id);
  json traits = traitsJson(in);
  traits["exam_id"] = exam_id;
  const std::string key = sha256Hex("form\n" + traits.dump());

  FormIdentityCheck out;
  std::lock_guard lk(mu_);
  if (auto link = store_.link(key)) {
    out.woman_id = link->woman_id;
    out.case_id = link->case_id;
    out.outcome = link->woman_id  ? IdentityOutcome::kAttach
                  : link->case_id ? IdentityOutcome::kQueue
                                  : IdentityOutcome::kCreate;
    out.explanation = link->explanation;
    return out;
  }
  const std::vector<WomanIdentity> candidates = candidatesFor(store_, in);
  const IdentityDecision d = matchIdentity(in, candidates);
  out.outcome = d.outcome;
  out.explanation = d.explanation;
  IdentityLinkRow link{key,
                       "form",
                       traits.dump(),
                       std::nullopt,
                       d.outcome == IdentityOutcome::kQueue ? "queued" : "unmatched",
                       std::nullopt,
                       d.explanation,
                       "matcher",
                       nowIso()};
  std::optional<WomanIdentity> changed;
  store_.write([&](IdentityWriter& wr) {
    if (d.outcome == IdentityOutcome::kQueue) {
      IdentityCaseRow c;
      c.link_key = key;
      c.source = "form";
      c.reason = toCode(d.reason);
      c.explanation = d.explanation;
      c.traits_json = traits.dump();
      c.candidates = d.candidates;
      out.case_id = wr.openCase(c);
      wr.addCaseSubject(*out.case_id, "exam", exam_id);
      link.case_id = out.case_id;
    } else if (d.outcome == IdentityOutcome::kAttach) {
      // A form only confirms or enriches a woman its images or INS already identify; it never
      // creates one (the images do, with their IPP).
      for (const auto& c : candidates)
        if (c.id == *d.woman_id) {
          WomanIdentity w = applyAttach(c, in, d);
          if (!(w == c)) {
            wr.updateWoman(w);
            changed = w;
          }
        }
      link.woman_id = d.woman_id;
      link.status = toCode(d.status);
      out.woman_id = d.woman_id;
    }
    wr.putLink(link);
  });
  if (changed) mirror(*changed);
  if (out.case_id) {
    spdlog::warn("Identity: the reading form of exam {} is held for a secretary (case {}, {})",
                 exam_id, *out.case_id, toCode(d.reason));
    audit(by, "identity-queued", "identity-case", std::to_string(*out.case_id), std::nullopt,
          {{"exam_id", exam_id}, {"reason", toCode(d.reason)}});
  }
  return out;
}

std::optional<std::string> IdentityService::holdReason(const std::string& exam_id,
                                                       const std::vector<std::string>& studies) {
  const auto open = store_.openCasesFor(studies, {exam_id});
  if (open.empty()) return std::nullopt;
  return "identity queue case " + std::to_string(open.front().id) + " (" + open.front().reason +
         "): " + open.front().explanation;
}

namespace {
json caseJson(const IdentityCaseRow& c) {
  json j = {{"id", c.id},
            {"source", c.source},
            {"reason", c.reason},
            {"explanation", c.explanation},
            {"status", c.status},
            {"created_at", c.created_at},
            {"candidates", c.candidates},
            {"studies", c.studies},
            {"exams", c.exams},
            {"incoming", json::parse(c.traits_json, nullptr, false)}};
  j["incoming"].erase("tuple");
  j["incoming"].erase("exam_id");
  if (!c.resolution_json.empty()) {
    j["resolution"] = json::parse(c.resolution_json, nullptr, false);
    j["resolved_by"] = c.resolved_by;
    j["resolved_at"] = c.resolved_at;
  }
  if (!c.reassessment_json.empty())
    j["reassessment"] = json::parse(c.reassessment_json, nullptr, false);
  return j;
}
}  // namespace

IdentityResult IdentityService::listCases(const std::string& status, int64_t limit,
                                          int64_t offset) {
  const std::string s = status.empty() ? "open" : status == "all" ? "" : status;
  if (!s.empty() && s != "open" && s != "resolved")
    return IdentityResult::fail(IdentityStatus::kInvalid,
                                "status must be open, resolved or all, not '" + status + "'");
  json items = json::array();
  for (const auto& c :
       store_.cases(s, std::clamp<int64_t>(limit, 1, 1000), std::max<int64_t>(0, offset)))
    items.push_back(caseJson(c));
  return IdentityResult::ok({{"items", items}, {"total", store_.countCases(s)}});
}

std::vector<int64_t> IdentityService::womenOfCase(int64_t case_id) {
  auto c = store_.caseById(case_id);
  if (!c) return {};
  std::vector<int64_t> out = c->candidates;
  const json r =
      json::parse(c->resolution_json.empty() ? "{}" : c->resolution_json, nullptr, false);
  if (r.is_object() && r.contains("woman_id") && r["woman_id"].is_number_integer())
    out.push_back(r["woman_id"].get<int64_t>());
  return out;
}

IdentityResult IdentityService::caseView(int64_t case_id) {
  auto c = store_.caseById(case_id);
  if (!c)
    return IdentityResult::fail(IdentityStatus::kNotFound,
                                "no identity case " + std::to_string(case_id));
  const IncomingIdentity in = traitsFromJson(json::parse(c->traits_json, nullptr, false));
  json candidates = json::array();
  for (int64_t wid : c->candidates) {
    auto w = store_.woman(wid);
    if (!w) continue;
    const TraitComparison cmp = compareTraits(in, *w);
    std::string names = w->birth_name;
    for (const auto& u : w->used_names) names += " / " + u;
    json fields = json::array();
    fields.push_back(fieldRow("family_name", incomingFamilyName(in), names, toCode(cmp.family)));
    if (in.source == TraitSource::kForm && !in.used_name.empty())
      fields.push_back(fieldRow(
          "used_name", in.used_name, names,
          familyNameMatches(in.used_name, w->birth_name, w->used_names) ? "same" : "differs"));
    fields.push_back(
        fieldRow("first_names", in.first_names, w->first_names, toCode(cmp.first_names)));
    fields.push_back(fieldRow("birth_date", in.birth_date, w->birth_date, toCode(cmp.birth_date)));
    fields.push_back(fieldRow("sex", in.sex, w->sex, toCode(cmp.sex)));
    fields.push_back(fieldRow("ins", in.ins, w->nir,
                              in.ins.empty() && w->nir.empty() ? "missing"
                              : in.ins.empty() || w->nir.empty()
                                  ? (in.ins.empty() ? "missing" : "differs")
                                  : (in.ins == w->nir ? "same" : "differs")));
    if (in.source == TraitSource::kDicom) {
      const auto ipp = w->ippAt(in.cim);
      fields.push_back(fieldRow("ipp", in.cim + " " + in.ipp,
                                ipp ? in.cim + " " + *ipp : std::string(),
                                !ipp             ? "missing"
                                : *ipp == in.ipp ? "same"
                                                 : "differs"));
    }
    candidates.push_back({{"woman", toJson(*w)},
                          {"fields", fields},
                          {"coherent", cmp.coherent()},
                          {"swapped_names", cmp.swapped}});
  }
  return IdentityResult::ok({{"case", caseJson(*c)}, {"candidates", candidates}});
}

IdentityResult IdentityService::woman(int64_t woman_id) {
  auto w = store_.woman(woman_id);
  if (!w)
    return IdentityResult::fail(IdentityStatus::kNotFound,
                                "no woman " + std::to_string(woman_id) + " in the register");
  json merges = json::array();
  for (const auto& m : store_.mergesOf(woman_id))
    merges.push_back({{"id", m.id},
                      {"survivor", m.survivor_id},
                      {"absorbed", m.absorbed_id},
                      {"merged_at", m.merged_at},
                      {"in_force", m.undone_at.empty()}});
  json j = toJson(*w);
  j["merges"] = merges;
  json corrections = json::array();
  const IdentityTraits current = traitsOf(*w);
  for (const auto& c : store_.correctionsOf(woman_id)) {
    const IdentityTraits before =
        identityTraitsFromJson(json::parse(c.before_json, nullptr, false));
    const IdentityTraits after = identityTraitsFromJson(json::parse(c.after_json, nullptr, false));
    json row = {{"id", c.id},
                {"corrected_by", c.corrected_by},
                {"corrected_at", c.corrected_at},
                {"why", c.why},
                {"before", toJson(before)},
                {"after", toJson(after)},
                {"changed", changedTraits(before, after)},
                {"in_force", c.undone_at.empty()},
                {"undoable", c.undone_at.empty() && !w->merged_into && current == after}};
    if (!c.undone_at.empty())
      row["undone"] = {{"by", c.undone_by}, {"at", c.undone_at}, {"why", c.undo_why}};
    corrections.push_back(row);
  }
  j["corrections"] = corrections;
  return IdentityResult::ok(j);
}

namespace {
std::string requiredWhy(const json& body) {
  if (!body.is_object() || !body.contains("why") || !body["why"].is_string()) return {};
  std::string why = body["why"].get<std::string>();
  return why.find_first_not_of(" \t\r\n") == std::string::npos ? std::string() : why;
}
// The refusal when a queue action comes without its reason; `what` is the action recorded.
IdentityResult whyMissing(const std::string& what) {
  return IdentityResult::fail(IdentityStatus::kInvalid,
                              "say why (\"why\"): the " + what + " is kept in the audit trail");
}
std::optional<int64_t> intField(const json& body, const char* name) {
  if (!body.is_object() || !body.contains(name) || !body[name].is_number_integer())
    return std::nullopt;
  return body[name].get<int64_t>();
}
}  // namespace

IdentityResult IdentityService::resolveCase(int64_t case_id, const json& body,
                                            const AuditActor& by) {
  const std::string why = requiredWhy(body);
  const std::string action =
      body.is_object() && body.contains("action") && body["action"].is_string()
          ? body["action"].get<std::string>()
          : "";
  if (action != "attach" && action != "create")
    return IdentityResult::fail(IdentityStatus::kInvalid,
                                "action must be \"attach\" (to an existing woman, with woman_id) "
                                "or \"create\" (a new woman)");
  if (why.empty()) return whyMissing("decision");
  const auto target = intField(body, "woman_id");
  if (action == "attach" && !target)
    return IdentityResult::fail(IdentityStatus::kInvalid, "woman_id (an integer) is required");

  // Queue actions are serialised; the register lock is released before the archive and the
  // workflow are told (the workflow calls checkForm() under its own lock).
  std::lock_guard serial(action_mu_);
  std::unique_lock lk(mu_);
  auto c = store_.caseById(case_id);
  if (!c)
    return IdentityResult::fail(IdentityStatus::kNotFound,
                                "no identity case " + std::to_string(case_id));
  if (c->status != "open")
    return IdentityResult::fail(IdentityStatus::kConflict,
                                "identity case " + std::to_string(case_id) +
                                    " is already resolved (" + c->resolved_at + " by " +
                                    c->resolved_by + ")");
  const json traits = json::parse(c->traits_json, nullptr, false);
  const IncomingIdentity in = traitsFromJson(traits);
  WomanIdentity w;
  if (action == "attach") {
    auto found = store_.woman(*target);
    if (!found)
      return IdentityResult::fail(IdentityStatus::kNotFound,
                                  "no woman " + std::to_string(*target) + " in the register");
    if (found->merged_into)
      return IdentityResult::fail(IdentityStatus::kConflict,
                                  "woman " + std::to_string(*target) + " was merged into woman " +
                                      std::to_string(*found->merged_into) + "; attach to her");
    w = *found;
  }
  // What the person decided is recorded in the register: the IPP (when free), the INS (when
  // valid, qualified and not another woman's), a family name she was not known under.
  IdentityDecision d;
  d.status = insQualified(in) ? InsStatus::kVerified : InsStatus::kProvisional;
  d.record_ipp = in.source == TraitSource::kDicom && !in.ipp.empty() &&
                 store_.candidates("", in.cim, in.ipp, std::nullopt, "", {}).empty();
  const bool ins_free = !in.ins.empty() && checkNir(in.ins) == NirCheck::kValid &&
                        store_.candidates(in.ins, "", "", std::nullopt, "", {}).empty();
  d.record_ins = ins_free && (action == "create" || w.nir.empty());
  if (!d.record_ins && !(action == "attach" && !in.ins.empty() && w.nir == in.ins))
    d.status = InsStatus::kProvisional;
  // A family name she was not known under is recorded as a used name only when the person says
  // so ("record_name"; by default for a name-change case): a typo is not a name.
  const bool record_name =
      body.is_object() && body.contains("record_name") && body["record_name"].is_boolean()
          ? body["record_name"].get<bool>()
          : c->reason == toCode(IdentityReason::kNameChange);
  if (action == "attach" && record_name) {
    for (const std::string& family : {incomingFamilyName(in), in.used_name})
      if (!family.empty() && !familyNameMatches(family, w.birth_name, w.used_names) &&
          d.new_used_name.empty())
        d.new_used_name = family;
  } else if (action == "create" && in.source == TraitSource::kForm && !in.used_name.empty() &&
             !in.birth_name.empty()) {
    d.new_used_name = in.used_name;
  }
  const std::string now = nowIso();
  const json resolution = {{"action", action}, {"why", why}};
  json stored_resolution = resolution;
  store_.write([&](IdentityWriter& wr) {
    if (action == "create") {
      w = newWoman(in, d);
      w.id = wr.createWoman(w);
    } else {
      const WomanIdentity before = w;
      w = applyAttach(w, in, d);
      if (!(w == before)) wr.updateWoman(w);
    }
    stored_resolution["woman_id"] = w.id;
    wr.resolveCase(case_id, stored_resolution.dump(), by.actor, now);
    wr.putLink({c->link_key, c->source, c->traits_json, w.id, toCode(d.status), case_id,
                "settled by " + by.actor + ": " + why, by.actor, now});
  });
  lk.unlock();
  mirror(w);
  std::vector<std::string> studies = c->studies;
  if (in.source == TraitSource::kDicom) {
    const auto patients = index_.setTupleWoman(tupleOf(traits), w.id, "");
    for (const auto& s : index_.studiesOfPatients(patients))
      if (std::find(studies.begin(), studies.end(), s) == studies.end()) studies.push_back(s);
    if (reassess_) reassess_(studies);
  }
  audit(by, "identity-resolve", "identity-case", std::to_string(case_id), w.id,
        {{"action", action}, {"woman_id", w.id}, {"reason", c->reason}, {"why", why}});
  spdlog::info("Identity queue case {} settled by {}: {} woman {}", case_id, by.actor,
               action == "create" ? "new" : "attached to", w.id);
  if (on_released_) on_released_(studies, c->exams);
  auto view = caseView(case_id);
  view.body["woman"] = toJson(w);
  return view;
}

IdentityResult IdentityService::mergeWomen(const json& body, const AuditActor& by) {
  const auto survivor_id = intField(body, "survivor");
  const auto absorbed_id = intField(body, "absorbed");
  const std::string why = requiredWhy(body);
  if (!survivor_id || !absorbed_id)
    return IdentityResult::fail(IdentityStatus::kInvalid,
                                "survivor and absorbed (woman ids, integers) are required");
  if (*survivor_id == *absorbed_id)
    return IdentityResult::fail(IdentityStatus::kInvalid, "a woman cannot be merged into herself");
  if (why.empty()) return whyMissing("merge");
  // Queue actions are serialised; the register lock is released before the archive and the
  // workflow are told (the workflow calls checkForm() under its own lock).
  std::lock_guard serial(action_mu_);
  std::unique_lock lk(mu_);
  auto a = store_.woman(*survivor_id);
  auto b = store_.woman(*absorbed_id);
  if (!a || !b)
    return IdentityResult::fail(
        IdentityStatus::kNotFound,
        "no woman " + std::to_string(!a ? *survivor_id : *absorbed_id) + " in the register");
  if (a->merged_into || b->merged_into)
    return IdentityResult::fail(IdentityStatus::kConflict,
                                "woman " + std::to_string(a->merged_into ? a->id : b->id) +
                                    " is already merged into another; undo that merge first");
  if (!a->nir.empty() && !b->nir.empty() && a->nir != b->nir)
    return IdentityResult::fail(IdentityStatus::kConflict,
                                "women " + std::to_string(a->id) + " and " + std::to_string(b->id) +
                                    " have different INS (" + a->nir + ", " + b->nir +
                                    "): two people, not one; not merged");
  WomanIdentity a_after = *a;
  json moved = {{"ipps", json::array()}, {"names", json::array()}};
  for (const auto& p : b->ipps) {
    a_after.ipps.push_back(p);
    moved["ipps"].push_back({{"cim", p.cim}, {"ipp", p.ipp}});
  }
  std::vector<std::string> b_names = b->used_names;
  b_names.insert(b_names.begin(), b->birth_name);
  for (const auto& n : b_names)
    if (!n.empty() && !familyNameMatches(n, a_after.birth_name, a_after.used_names)) {
      a_after.used_names.push_back(n);
      moved["names"].push_back(n);
    }
  if (a_after.nir.empty() && !b->nir.empty()) {
    moved["ins_from_absorbed"] = {{"previous_ins", a->nir},
                                  {"previous_oid", a->ins_oid},
                                  {"previous_status", toCode(a->status)}};
    a_after.nir = b->nir;
    a_after.ins_oid = b->ins_oid;
    a_after.status = b->status;
  }
  WomanIdentity b_after = *b;
  b_after.ipps.clear();
  b_after.merged_into = a->id;
  // The archive's identities and the workflow's exams of B.
  std::vector<int64_t> patients;
  for (const auto& p : index_.patientsOfWoman(b->id)) patients.push_back(p.id);
  moved["patients"] = patients;
  const std::string now = nowIso();
  int64_t merge_id = 0;
  store_.write([&](IdentityWriter& wr) {
    wr.updateWoman(b_after);
    wr.updateWoman(a_after);
    moved["links"] = wr.moveLinks(b->id, a->id);
    merge_id = wr.addMerge({0, a->id, b->id, moved.dump(), by.actor, now, why, "", "", ""});
  });
  lk.unlock();
  index_.setPatientsWoman(patients, a->id);
  std::vector<std::string> exams;
  if (move_exams_) exams = move_exams_(std::to_string(b->id), std::to_string(a->id), nullptr);
  moved["exams"] = exams;
  store_.write([&](IdentityWriter& wr) { wr.setMergeMoved(merge_id, moved.dump()); });
  mirror(b_after);  // first: the absorbed woman's row gives up the INS the survivor may take
  mirror(a_after);
  audit(by, "identity-merge", "woman", std::to_string(a->id), a->id,
        {{"merge_id", merge_id}, {"absorbed", b->id}, {"why", why}});
  audit(by, "identity-merge", "woman", std::to_string(b->id), b->id,
        {{"merge_id", merge_id}, {"survivor", a->id}, {"why", why}});
  return mergeView(merge_id);
}

IdentityResult IdentityService::unmerge(int64_t merge_id, const json& body, const AuditActor& by) {
  const std::string why = requiredWhy(body);
  if (why.empty()) return whyMissing("unmerge");
  // Queue actions are serialised; the register lock is released before the archive and the
  // workflow are told (the workflow calls checkForm() under its own lock).
  std::lock_guard serial(action_mu_);
  std::unique_lock lk(mu_);
  auto m = store_.merge(merge_id);
  if (!m)
    return IdentityResult::fail(IdentityStatus::kNotFound, "no merge " + std::to_string(merge_id));
  if (!m->undone_at.empty())
    return IdentityResult::fail(IdentityStatus::kConflict,
                                "merge " + std::to_string(merge_id) + " was already undone (" +
                                    m->undone_at + " by " + m->undone_by + ")");
  auto a = store_.woman(m->survivor_id);
  auto b = store_.woman(m->absorbed_id);
  if (!a || !b || b->merged_into != a->id)
    return IdentityResult::fail(IdentityStatus::kConflict,
                                "the women of merge " + std::to_string(merge_id) +
                                    " changed since; it cannot be undone automatically");
  if (a->merged_into)
    return IdentityResult::fail(
        IdentityStatus::kConflict,
        "woman " + std::to_string(a->id) + " was merged into another since; undo that merge first");
  const json moved = json::parse(m->moved_json, nullptr, false);
  WomanIdentity a_after = *a, b_after = *b;
  // IPPs back to B (those still A's).
  for (const auto& p : moved.value("ipps", json::array())) {
    const CimPatientId id{p.value("cim", ""), p.value("ipp", "")};
    auto it = std::find(a_after.ipps.begin(), a_after.ipps.end(), id);
    if (it != a_after.ipps.end()) a_after.ipps.erase(it);
    b_after.ipps.push_back(id);
  }
  std::sort(b_after.ipps.begin(), b_after.ipps.end(),
            [](const CimPatientId& x, const CimPatientId& y) {
              return std::tie(x.cim, x.ipp) < std::tie(y.cim, y.ipp);
            });
  for (const auto& n : moved.value("names", json::array())) {
    auto it = std::find(a_after.used_names.begin(), a_after.used_names.end(), n.get<std::string>());
    if (it != a_after.used_names.end()) a_after.used_names.erase(it);
  }
  if (moved.contains("ins_from_absorbed")) {
    const json& prev = moved["ins_from_absorbed"];
    a_after.nir = prev.value("previous_ins", "");
    a_after.ins_oid = prev.value("previous_oid", "");
    a_after.status = insStatusFromCode(prev.value("previous_status", "")).value_or(a->status);
  }
  b_after.merged_into.reset();
  const std::string now = nowIso();
  store_.write([&](IdentityWriter& wr) {
    wr.updateWoman(a_after);
    wr.updateWoman(b_after);
    wr.moveLinksBack(moved.value("links", std::vector<std::string>{}), b->id);
    wr.markMergeUndone(merge_id, by.actor, now, why);
  });
  lk.unlock();
  index_.setPatientsWoman(moved.value("patients", std::vector<int64_t>{}), b->id);
  const auto exams = moved.value("exams", std::vector<std::string>{});
  if (move_exams_ && !exams.empty())
    move_exams_(std::to_string(a->id), std::to_string(b->id), &exams);
  mirror(a_after);
  mirror(b_after);
  audit(by, "identity-unmerge", "woman", std::to_string(a->id), a->id,
        {{"merge_id", merge_id}, {"absorbed", b->id}, {"why", why}});
  audit(by, "identity-unmerge", "woman", std::to_string(b->id), b->id,
        {{"merge_id", merge_id}, {"survivor", a->id}, {"why", why}});
  return mergeView(merge_id);
}

namespace {

// Reads the corrected identity a PUT carries; field errors into `errors`.
IdentityTraits correctedTraits(const json& body, const WomanIdentity& current,
                               std::vector<FormError>& errors) {
  static const std::set<std::string> kKnown = {"birth_name", "first_names", "used_names",
                                               "birth_date", "sex",         "birth_place",
                                               "ins",        "status",      "why"};
  IdentityTraits t;
  if (!body.is_object()) {
    errors.push_back({"", "send the corrected identity as a JSON object"});
    return t;
  }
  for (const auto& [k, v] : body.items())
    if (!kKnown.count(k)) errors.push_back({k, "unknown field"});
  auto text = [&](const char* field, std::string& out) {
    if (!body.contains(field)) {
      errors.push_back({field, "missing (send the whole corrected identity)"});
    } else if (!body[field].is_string()) {
      errors.push_back({field, "must be a string"});
    } else {
      out = body[field].get<std::string>();
      const auto b = out.find_first_not_of(" \t\r\n");
      out = b == std::string::npos ? std::string()
                                   : out.substr(b, out.find_last_not_of(" \t\r\n") - b + 1);
    }
  };
  text("birth_name", t.birth_name);
  text("first_names", t.first_names);
  text("birth_date", t.birth_date);
  text("sex", t.sex);
  text("birth_place", t.birth_place);
  text("ins", t.nir);
  std::string status;
  text("status", status);
  if (!body.contains("used_names")) {
    errors.push_back({"used_names", "missing (an empty list when she has none)"});
  } else if (!body["used_names"].is_array()) {
    errors.push_back({"used_names", "must be a list of names"});
  } else {
    for (const auto& u : body["used_names"]) {
      if (!u.is_string()) {
        errors.push_back({"used_names", "must be a list of names"});
        break;
      }
      t.used_names.push_back(u.get<std::string>());
    }
  }
  if (t.birth_date.size() == 10 && t.birth_date[4] == '-' && t.birth_date[7] == '-')
    t.birth_date =
        t.birth_date.substr(0, 4) + t.birth_date.substr(5, 2) + t.birth_date.substr(8, 2);
  if (body.contains("status") && body["status"].is_string()) {
    if (auto st = insStatusFromCode(status))
      t.status = *st;
    else
      errors.push_back({"status", "must be verified, provisional or unknown"});
  }
  t.ins_oid = correctedInsOid(traitsOf(current), t.nir, t.status);
  return t;
}

std::string todayYmd() {
  const std::string now = nowIso();  // YYYY-MM-DDTHH:MM:SSZ
  return now.substr(0, 4) + now.substr(5, 2) + now.substr(8, 2);
}

json errorsJson(const std::vector<FormError>& errors) {
  json out = json::array();
  for (const auto& e : errors) out.push_back({{"field", e.field}, {"message", e.message}});
  return out;
}

}  // namespace

json IdentityService::conflictsWith(const WomanIdentity& w) {
  std::vector<std::string> keys;
  if (!nameKey(w.birth_name).empty()) keys.push_back(nameKey(w.birth_name));
  json out = json::array();
  for (const auto& other : store_.candidates(w.nir, "", "", std::nullopt, w.birth_date, keys))
    if (auto why = sameWomanAs(w, other))
      out.push_back({{"woman_id", other.id}, {"why", *why}, {"woman", toJson(other)}});
  return out;
}

IdentityResult IdentityService::correctWoman(int64_t woman_id, const json& body,
                                             const AuditActor& by) {
  std::lock_guard serial(action_mu_);
  std::unique_lock lk(mu_);
  auto w = store_.woman(woman_id);
  if (!w)
    return IdentityResult::fail(IdentityStatus::kNotFound,
                                "no woman " + std::to_string(woman_id) + " in the register");
  std::vector<FormError> errors;
  const IdentityTraits t = correctedTraits(body, *w, errors);
  if (errors.empty()) errors = checkCorrectedTraits(t, todayYmd());
  const std::string why = requiredWhy(body);
  if (why.empty()) errors.push_back({"why", "say why: the correction is kept in the audit trail"});
  if (!errors.empty()) {
    std::string fields;
    for (const auto& e : errors) fields += (fields.empty() ? "" : ", ") + e.field;
    return IdentityResult::fail(IdentityStatus::kInvalid,
                                "the corrected identity is not valid (" + fields + ")",
                                {{"errors", errorsJson(errors)}});
  }
  if (w->merged_into)
    return IdentityResult::fail(IdentityStatus::kConflict,
                                "woman " + std::to_string(woman_id) + " was merged into woman " +
                                    std::to_string(*w->merged_into) + "; correct her instead");
  if (traitsOf(*w) == t)
    return IdentityResult::fail(IdentityStatus::kInvalid,
                                "nothing to correct: these are already her traits");
  return applyTraits(*w, withTraits(*w, t), std::nullopt, why, by, lk);
}

IdentityResult IdentityService::undoCorrection(int64_t woman_id, int64_t correction_id,
                                               const json& body, const AuditActor& by) {
  const std::string why = requiredWhy(body);
  if (why.empty()) return whyMissing("undo");
  std::lock_guard serial(action_mu_);
  std::unique_lock lk(mu_);
  auto c = store_.correction(correction_id);
  if (!c || c->woman_id != woman_id)
    return IdentityResult::fail(
        IdentityStatus::kNotFound,
        "no correction " + std::to_string(correction_id) + " of woman " + std::to_string(woman_id));
  if (!c->undone_at.empty())
    return IdentityResult::fail(IdentityStatus::kConflict,
                                "correction " + std::to_string(correction_id) +
                                    " was already undone (" + c->undone_at + " by " + c->undone_by +
                                    ")");
  auto w = store_.woman(woman_id);
  if (!w)
    return IdentityResult::fail(IdentityStatus::kNotFound,
                                "no woman " + std::to_string(woman_id) + " in the register");
  if (w->merged_into)
    return IdentityResult::fail(IdentityStatus::kConflict,
                                "woman " + std::to_string(woman_id) + " was merged into woman " +
                                    std::to_string(*w->merged_into) + "; undo the merge first");
  const IdentityTraits after = identityTraitsFromJson(json::parse(c->after_json, nullptr, false));
  if (!(traitsOf(*w) == after))
    return IdentityResult::fail(IdentityStatus::kConflict,
                                "her identity changed since correction " +
                                    std::to_string(correction_id) +
                                    "; undo the later correction first");
  const IdentityTraits before = identityTraitsFromJson(json::parse(c->before_json, nullptr, false));
  return applyTraits(*w, withTraits(*w, before), correction_id, why, by, lk);
}

IdentityResult IdentityService::applyTraits(const WomanIdentity& before, const WomanIdentity& after,
                                            std::optional<int64_t> undo_of, const std::string& why,
                                            const AuditActor& by,
                                            std::unique_lock<std::mutex>& lk) {
  const json conflicts = conflictsWith(after);
  if (!conflicts.empty()) {
    const int64_t other = conflicts[0]["woman_id"].get<int64_t>();
    return IdentityResult::fail(
        IdentityStatus::kConflict,
        "with these traits woman " + std::to_string(before.id) + " would be the same person as " +
            conflicts[0]["why"].get<std::string>() +
            ": nothing was changed; if they are one woman, merge them",
        {{"conflicts", conflicts},
         {"proposed_merge",
          {{"survivor", other},
           {"absorbed", before.id},
           {"why", "woman " + std::to_string(before.id) + " is woman " + std::to_string(other) +
                       " (" + conflicts[0]["why"].get<std::string>() + ")"}}}});
  }
  const std::string now = nowIso();
  const IdentityTraits tb = traitsOf(before), ta = traitsOf(after);
  int64_t correction_id = undo_of.value_or(0);
  // Open cases naming her are matched again against the corrected register (same rule as a
  // fresh object). The verdict is shown in the case; the case stays open for a human.
  json reassessed = json::array();
  store_.write([&](IdentityWriter& wr) {
    wr.updateWoman(after);
    if (undo_of)
      wr.markCorrectionUndone(*undo_of, by.actor, now, why);
    else
      correction_id = wr.addCorrection(
          {0, before.id, toJson(tb).dump(), toJson(ta).dump(), why, by.actor, now, "", "", ""});
  });
  for (int64_t case_id : store_.openCasesWithCandidate(before.id)) {
    auto c = store_.caseById(case_id);
    if (!c) continue;
    const IncomingIdentity in = traitsFromJson(json::parse(c->traits_json, nullptr, false));
    const IdentityDecision d = matchIdentity(in, candidatesFor(store_, in));
    std::vector<int64_t> candidates = c->candidates;
    std::vector<int64_t> named = d.candidates;
    if (d.woman_id) named.push_back(*d.woman_id);
    for (int64_t id : named)
      if (std::find(candidates.begin(), candidates.end(), id) == candidates.end())
        candidates.push_back(id);
    json r = {{"at", now},
              {"correction_id", correction_id},
              {"undo", undo_of.has_value()},
              {"outcome", toCode(d.outcome)},
              {"status", toCode(d.status)},
              {"reason", toCode(d.reason)},
              {"explanation", d.explanation},
              {"candidates", d.candidates}};
    r["woman_id"] = d.woman_id ? json(*d.woman_id) : json(nullptr);
    store_.write([&](IdentityWriter& wr) { wr.setCaseCandidates(case_id, candidates, r.dump()); });
    r["case_id"] = case_id;
    reassessed.push_back(r);
  }
  lk.unlock();
  mirror(after);
  const std::vector<std::string> changed = changedTraits(tb, ta);
  json before_changed = json::object(), after_changed = json::object();
  const json jb = toJson(tb), ja = toJson(ta);
  for (const auto& f : changed) {
    before_changed[f] = jb.value(f, json());
    after_changed[f] = ja.value(f, json());
  }
  std::vector<int64_t> case_ids;
  for (const auto& r : reassessed) case_ids.push_back(r["case_id"].get<int64_t>());
  audit(by, undo_of ? "identity-correct-undo" : "identity-correct", "woman",
        std::to_string(before.id), before.id,
        {{"correction_id", correction_id},
         {"changed", changed},
         {"before", before_changed},
         {"after", after_changed},
         {"why", why},
         {"reassessed_cases", case_ids}});
  spdlog::info("Identity: woman {} {} by {} (correction {}, {} open case(s) matched again)",
               before.id, undo_of ? "correction undone" : "corrected", by.actor, correction_id,
               case_ids.size());
  IdentityResult r = woman(before.id);
  if (r.status != IdentityStatus::kOk) return r;
  return IdentityResult::ok({{"woman", r.body},
                             {"correction_id", correction_id},
                             {"changed", changed},
                             {"reassessed", reassessed}});
}

IdentityResult IdentityService::mergeView(int64_t merge_id) {
  auto m = store_.merge(merge_id);
  if (!m)
    return IdentityResult::fail(IdentityStatus::kNotFound, "no merge " + std::to_string(merge_id));
  json j = {{"id", m->id},
            {"survivor", m->survivor_id},
            {"absorbed", m->absorbed_id},
            {"moved", json::parse(m->moved_json, nullptr, false)},
            {"merged_by", m->merged_by},
            {"merged_at", m->merged_at},
            {"why", m->why},
            {"in_force", m->undone_at.empty()}};
  if (!m->undone_at.empty())
    j["undone"] = {{"by", m->undone_by}, {"at", m->undone_at}, {"why", m->undo_why}};
  if (auto a = store_.woman(m->survivor_id)) j["survivor_identity"] = toJson(*a);
  if (auto b = store_.woman(m->absorbed_id)) j["absorbed_identity"] = toJson(*b);
  return IdentityResult::ok(j);
}

}  // namespace dualread
