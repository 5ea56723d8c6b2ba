#include "services/letter_service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "letters/print_run.h"
#include "services/audit_service.h"
#include "storage/durable_file.h"
#include "storage/sha256.h"

namespace dualread {

using nlohmann::json;

namespace {

TimePoint systemNow() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// The woman's portal access code: 12 characters from an alphabet without look-alikes, from
// the system's random source. Only its hash is kept.
std::string newAccessCode() {
  static const char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::random_device rd;
  std::string code;
  for (int i = 0; i < 12; ++i) {
    if (i && i % 4 == 0) code += '-';
    code += kAlphabet[rd() % (sizeof kAlphabet - 1)];
  }
  return code;
}

json contactJson(const PostalContact& c) {
  json j = {{"name", c.name},
            {"address_lines", c.address_lines},
            {"postal_code", c.postal_code},
            {"city", c.city}};
  if (!c.phone.empty()) j["phone"] = c.phone;
  if (!c.email.empty()) j["email"] = c.email;
  return j;
}

json addressRecipient(const std::string& name, const PostalAddress& a) {
  json j = {
      {"name", name}, {"address_lines", a.lines}, {"postal_code", a.postal_code}, {"city", a.city}};
  if (!a.country.empty() && a.country != "FR") j["country"] = a.country;
  return j;
}

std::string doctorRoleFr(DoctorRole r) {
  switch (r) {
    case DoctorRole::kGeneralPractitioner:
      return "médecin traitant";
    case DoctorRole::kGynaecologist:
      return "gynécologue";
    case DoctorRole::kOther:
      return "médecin";
  }
  return "médecin";
}

// "Sein gauche, quadrant supéro-externe : masse de 8 mm (ACR 4)".
std::vector<std::string> findingsFr(const L2Reading& r) {
  std::vector<std::string> out;
  for (const auto* a : {&r.right, &r.left}) {
    for (const auto& f : a->findings) {
      std::string s = std::string("Sein ") + labelFr(f.side);
      if (f.location.quadrant) s += std::string(", ") + labelFr(*f.location.quadrant);
      s += std::string(" : ") + labelFr(f.type);
      if (f.size_mm) s += " de " + std::to_string(*f.size_mm) + " mm";
      if (a->birads) s += " (" + std::string(labelFr(*a->birads)) + ")";
      out.push_back(s);
    }
  }
  return out;
}

PdfRenderOptions renderOptions(const LettersConfig& l) {
  PdfRenderOptions o;
  if (!l.font_regular.empty()) o.fonts.regular = l.font_regular;
  if (!l.font_bold.empty()) o.fonts.bold = l.font_bold;
  return o;
}

}  // namespace

struct LetterService::Impl {
  const HubConfig& config;
  ArchiveIndex& index;
  WorkflowService& workflow;
  RegisterService& reg;
  LetterStore& store;
  AuditService* audit;
  Clock clock;
  LetterTemplateSet templates;
  LetterPdfRenderer renderer;
  std::mutex mu;
  AccessCodeIssuer code_issuer;  // set once at start-up (setAccessCodeIssuer)

  // One letter due: the item to render and the row to record once printed.
  struct Due {
    PrintRunItem item;
    LetterRow row;
    bool result_letter = false;  // the woman's result: printing it sends the result
  };
  struct Refused {
    std::string id, kind, exam_id, reason;
  };

  json base(const std::string& reference, Date today) const {
    const auto& l = config.letters;
    json crcdc = contactJson(l.crcdc);
    if (!l.website.empty()) crcdc["website"] = l.website;
    if (!l.signatory.empty()) crcdc["signatory"] = l.signatory;
    if (!l.signatory_title.empty()) crcdc["signatory_title"] = l.signatory_title;
    json d = {{"crcdc", crcdc}, {"date", frenchLongDate(today)}, {"reference", reference}};
    if (!l.portal_url.empty()) d["portal_url"] = l.portal_url;
    return d;
  }

  std::string insOf(const ExamRecord& r) {
    if (r.l1_form && !r.l1_form->identification.ins.empty()) return r.l1_form->identification.ins;
    WomanRow w;
    try {
      if (!r.woman_id.empty() && index.getWoman(std::stoll(r.woman_id), w)) return w.ins;
    } catch (const std::exception&) {
    }
    return {};
  }

  // The exam's facts every letter prints: woman, mammogram, CIM, L1.
  json examFacts(const ExamRecord& r, const std::optional<Woman>& woman) {
    json d;
    const Date mammo = r.mammogramDate().value_or(dateOf(r.received_at));
    StudyRow study;
    std::string accession = r.exam_id;
    if (index.getStudy(r.exam_id, study) && !study.accession.empty()) accession = study.accession;
    d["exam"] = {{"date", frenchLongDate(mammo)}, {"accession", accession}};
    const CimContact* cim = config.letters.cim(r.cim_id);
    d["cim"] = {{"name", cim ? cim->contact.name : r.cim_id}};
    if (cim && !cim->contact.phone.empty()) d["cim"]["phone"] = cim->contact.phone;
    if (r.l1_form) d["l1"] = {{"name", r.l1_form->identification.l1_radiologist.name}};
    std::string name, birth;
    if (woman) {
      name = woman->first_names + " " +
             (woman->used_name.empty() ? woman->birth_name : woman->used_name);
      if (woman->birth_date) birth = frenchLongDate(*woman->birth_date);
      if (!woman->screening_number.empty()) d["screening_number"] = woman->screening_number;
    } else if (r.l1_form) {
      const auto& id = r.l1_form->identification;
      name = id.first_names + " " + (id.used_name.empty() ? id.birth_name : id.used_name);
      if (id.birth_date) birth = frenchLongDate(*id.birth_date);
    }
    d["woman"] = {{"name", name}, {"birth_date", birth}};
    return d;
  }

  static void merge(json& into, const json& from) {
    for (auto it = from.begin(); it != from.end(); ++it) into[it.key()] = it.value();
  }

  // Gathers every letter due today; `refused` receives those that cannot be made at all.
  std::vector<Due> gather(const std::string& run_id, Date today, std::vector<Refused>& refused) {
    std::vector<Due> due;
    int seq = 0;
    auto nextId = [&] {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%05d", ++seq);
      return run_id + "-" + buf;
    };
    std::map<std::string, std::string> issued_codes;
    auto add = [&](const ExamRecord& r, LetterKind kind, const std::string& recipient_key,
                   const std::string& dedupe, json data, bool result_letter) {
      Due d;
      d.item.id = nextId();
      d.item.kind = kind;
      merge(data, base(d.item.id, today));
      d.row.id = d.item.id;
      d.row.run_id = run_id;
      d.row.dedupe_key = dedupe;
      d.row.exam_id = r.exam_id;
      d.row.woman_id = r.woman_id;
      d.row.kind = std::string(letterKindName(kind));
      d.row.recipient = recipient_key;
      if (letterIsForWoman(kind)) {
        std::string code;
        if (code_issuer && !r.woman_id.empty()) {
          // One code per woman and round: every letter of this exam in the run prints the same.
          auto it = issued_codes.find(r.woman_id + "|" + r.exam_id);
          if (it == issued_codes.end())
            it = issued_codes
                     .emplace(r.woman_id + "|" + r.exam_id,
                              code_issuer(r.woman_id, "exam-" + sha256Hex(r.exam_id).substr(0, 26)))
                     .first;
          code = it->second;
        } else {
          code = newAccessCode();
        }
        data["access_code"] = code;
        d.row.access_code_sha256 = sha256Hex(code);
      }
      d.item.data = std::move(data);
      d.result_letter = result_letter;
      due.push_back(std::move(d));
    };
    auto refuse = [&](const ExamRecord& r, LetterKind kind, const std::string& reason) {
      refused.push_back({"", std::string(letterKindName(kind)), r.exam_id, reason});
    };
    auto key = [](const ExamRecord& r, LetterKind k, const std::string& who) {
      return r.exam_id + "/" + std::string(letterKindName(k)) + "/" + who;
    };

    // Results: negative and recall, to the woman and her doctors (and the L1 for a recall).
    for (ExamState state : {ExamState::kNegativeResult, ExamState::kRecallBdd}) {
      const bool recall = state == ExamState::kRecallBdd;
      const LetterKind to_woman = recall ? LetterKind::kRecall : LetterKind::kNegativeResult;
      const LetterKind to_doctor =
          recall ? LetterKind::kRecallDoctor : LetterKind::kNegativeResultDoctor;
      for (const ExamRecord& r : workflow.records(state)) {
        const std::string ins = insOf(r);
        const std::optional<Woman> woman = reg.womanByIns(ins);
        if (!woman) {
          refuse(r, to_woman,
                 "woman " + r.woman_id +
                     (ins.empty() ? std::string(" (no INS known)") : " (INS " + ins + ")") +
                     " is not in the register of invited women: import the invitation file "
                     "that names her, her address is needed");
          continue;
        }
        json facts = examFacts(r, woman);
        json doctors = json::array();
        for (const auto& doc : woman->doctors)
          doctors.push_back({{"name", doc.name}, {"role", doctorRoleFr(doc.role)}});
        facts["doctors"] = doctors;
        if (recall && !r.l2_readings.empty()) {
          facts["l2"] = {{"findings", findingsFr(r.l2_readings.back())}};
          if (!r.l2_readings.back().comment.empty())
            facts["l2"]["comment"] = r.l2_readings.back().comment;
        }
        if (!store.hasDedupeKey(key(r, to_woman, "woman"))) {
          json data = facts;
          const std::string used = woman->used_name.empty() ? woman->birth_name : woman->used_name;
          data["recipient"] =
              addressRecipient("Madame " + woman->first_names + " " + used, woman->address);
          add(r, to_woman, "woman", key(r, to_woman, "woman"), std::move(data), true);
        }
        for (const auto& doc : woman->doctors) {
          const std::string who = "doctor:" + doc.rpps;
          if (store.hasDedupeKey(key(r, to_doctor, who))) continue;
          json data = facts;
          data["recipient"] = addressRecipient("Docteur " + doc.name, doc.address);
          add(r, to_doctor, who, key(r, to_doctor, who), std::move(data), false);
        }
        if (recall && r.l1_form) {
          const auto& l1 = r.l1_form->identification.l1_radiologist;
          const std::string who = "l1:" + l1.rpps;
          if (store.hasDedupeKey(key(r, to_doctor, who))) continue;
          const CimContact* cim = config.letters.cim(r.cim_id);
          if (!cim) {
            refuse(r, to_doctor,
                   "the L1 radiologist's letter needs the postal address of CIM " + r.cim_id +
                       ": add it as a [[cim]] in the hub configuration");
            continue;
          }
          json data = facts;
          PostalAddress a;
          a.lines.push_back(cim->contact.name);
          for (const auto& line : cim->contact.address_lines) a.lines.push_back(line);
          a.postal_code = cim->contact.postal_code;
          a.city = cim->contact.city;
          data["recipient"] = addressRecipient(l1.name, a);
          add(r, to_doctor, who, key(r, to_doctor, who), std::move(data), false);
        }
      }
    }

    // To the imaging centres: CTI notices and L1-positive acknowledgments.
    auto toCim = [&](const ExamRecord& r, LetterKind kind, const std::string& dedupe, json data) {
      if (store.hasDedupeKey(dedupe)) return;
      const CimContact* cim = config.letters.cim(r.cim_id);
      if (!cim) {
        refuse(r, kind,
               "CIM " + r.cim_id +
                   " has no postal address: add it as a [[cim]] in the hub configuration");
        return;
      }
      merge(data, examFacts(r, reg.womanByIns(insOf(r))));
      data["recipient"] = contactJson(cim->contact);
      add(r, kind, "cim:" + r.cim_id, dedupe, std::move(data), false);
    };
    for (const ExamRecord& r : workflow.records(ExamState::kCtiRequested)) {
      for (const auto& c : r.cti_requests) {
        if (c.status != CtiStatus::kOpen) continue;
        json items = json::array();
        for (const auto& f : c.items)
          items.push_back({{"view", f.view}, {"reason", labelFr(f.reason)}});
        json cti = {
            {"items", items},
            {"requested_on", frenchLongDate(dateOf(c.requested_at))},
            {"due_date", frenchLongDate(addDays(dateOf(c.requested_at),
                                                config.programme.cti_retake_reminder_days))}};
        if (!c.items.empty() && !c.items.front().comment.empty())
          cti["comment"] = c.items.front().comment;
        toCim(r, LetterKind::kCtiNotice, c.id + "/cti_notice", {{"cti", cti}});
      }
    }
    for (ExamState state : {ExamState::kL1Positive, ExamState::kPositiveFollowUp}) {
      for (const ExamRecord& r : workflow.records(state)) {
        if (state == ExamState::kPositiveFollowUp) continue;  // L2 positives: no ack
        const auto entered = r.firstEntered(ExamState::kL1Positive).value_or(r.received_at);
        json items = json::array();
        items.push_back(std::to_string(r.study_uids.size()) + " étude(s) d'imagerie");
        items.push_back("fiche d'interprétation signée");
        toCim(r, LetterKind::kL1PositiveAck, key(r, LetterKind::kL1PositiveAck, "cim"),
              {{"received_date", frenchLongDate(dateOf(entered))}, {"received_items", items}});
      }
    }
    return due;
  }
};

LetterService::LetterService(const HubConfig& config, ArchiveIndex& index,
                             WorkflowService& workflow, RegisterService& register_service,
                             LetterStore& store, AuditService* audit, Clock clock)
    : impl_(new Impl{config,
                     index,
                     workflow,
                     register_service,
                     store,
                     audit,
                     clock ? std::move(clock) : Clock(&systemNow),
                     LetterTemplateSet::loadDirectory(config.letters.templates_dir.empty()
                                                          ? defaultLetterTemplateDir()
                                                          : config.letters.templates_dir),
                     LetterPdfRenderer(renderOptions(config.letters)),
                     {},
                     {}}),
      store_(store) {}

LetterService::~LetterService() = default;

std::filesystem::path LetterService::fileOf(const std::string& relative) const {
  return impl_->config.data_dir / relative;
}

WorkflowResult LetterService::printRun(const AuditActor& by) {
  Impl& m = *impl_;
  std::lock_guard lk(m.mu);
  if (!m.config.letters.configured())
    return WorkflowResult::fail(WorkflowStatus::kConflict,
                                "letters are not configured: set the centre's name and address "
                                "in [letters] of the hub configuration (crcdc_name, "
                                "crcdc_address_lines, crcdc_city)");
  const TimePoint now = m.clock();
  const Date today = dateOf(now);

  std::string day = toIsoDate(today);
  day.erase(std::remove(day.begin(), day.end(), '-'), day.end());
  const std::string prefix = "R" + day + "-";
  const std::string run_id = prefix + std::to_string(m.store.countRunsWithPrefix(prefix) + 1);
  const std::string dir = "letters/" + run_id;

  std::vector<Impl::Refused> pre_refused;
  std::vector<Impl::Due> due = m.gather(run_id, today, pre_refused);
  // (After gathering, so the letters it had not printed yet, e.g. to her doctors, still go.)
  // A run that died after recording its letters but before marking the results sent: the
  // results went out, say so now (never print them twice).
  json recovered = json::array();
  for (ExamState state : {ExamState::kNegativeResult, ExamState::kRecallBdd}) {
    const LetterKind k =
        state == ExamState::kRecallBdd ? LetterKind::kRecall : LetterKind::kNegativeResult;
    for (const ExamRecord& r : m.workflow.records(state))
      if (m.store.hasDedupeKey(r.exam_id + "/" + std::string(letterKindName(k)) + "/woman") &&
          m.workflow.markResultSent(r.exam_id, by).status == WorkflowStatus::kOk)
        recovered.push_back(r.exam_id);
  }

  std::map<std::string, Impl::Due*> by_id;
  std::vector<PrintRunItem> items;
  for (auto& d : due) {
    by_id[d.item.id] = &d;
    items.push_back(d.item);
  }
  std::vector<LetterRow> printed;
  PrintRunOptions opts;
  opts.run_id = run_id;
  opts.on_letter = [&](PrintedLetter&& letter) {
    Impl::Due& d = *by_id.at(letter.id);
    d.row.file = dir + "/" + letter.id + ".pdf";
    writeFileDurably(m.config.data_dir / d.row.file, letter.pdf);
    d.row.sha256 = sha256Hex(letter.pdf);
    d.row.pages = letter.pages;
    d.row.created_at = toIsoDateTime(now);
    printed.push_back(d.row);
  };
  PrintRun run = producePrintRun(items, m.templates, m.renderer, opts);

  PrintRunRow row;
  row.id = run_id;
  row.created_at = toIsoDateTime(now);
  row.actor = by.actor;
  row.letters = static_cast<int64_t>(run.letters.size());
  row.pages = run.total_pages;
  if (!run.combined_pdf.empty()) {
    row.combined_file = dir + "/combined.pdf";
    writeFileDurably(m.config.data_dir / row.combined_file, run.combined_pdf);
    row.combined_sha256 = sha256Hex(run.combined_pdf);
  }
  json summary = run.summary();
  for (const auto& r : run.refused) {
    const Impl::Due& d = *by_id.at(r.id);
    for (auto& item : summary["refused_items"])
      if (item["id"] == r.id) item["exam_id"] = d.row.exam_id;
  }
  for (const auto& r : pre_refused)
    summary["refused_items"].push_back(
        {{"id", nullptr}, {"kind", r.kind}, {"exam_id", r.exam_id}, {"reason", r.reason}});
  summary["refused"] = summary["refused_items"].size();
  row.refused = summary["refused"].get<int64_t>();
  row.summary_json = summary.dump();
  m.store.recordRun(row, printed);

  json sent = json::array();
  for (const auto& l : printed) {
    const Impl::Due& d = *by_id.at(l.id);
    if (!d.result_letter) continue;
    const WorkflowResult r = m.workflow.markResultSent(l.exam_id, by);
    if (r.status == WorkflowStatus::kOk)
      sent.push_back(l.exam_id);
    else
      spdlog::warn("Letter {} printed but exam {} not marked as sent: {}", l.id, l.exam_id,
                   r.error);
  }
  if (m.audit)
    m.audit->record(
        by.actor, by.role, "print-run", "print-run", run_id, std::nullopt, by.source,
        json{{"letters", row.letters}, {"refused", row.refused}, {"pages", row.pages}}.dump());
  spdlog::info("Print run {}: {} letters ({} pages), {} refused, {} results sent", run_id,
               row.letters, row.pages, row.refused, sent.size());
  summary["results_sent"] = sent;
  summary["recovered_results_sent"] = recovered;
  summary["created_at"] = row.created_at;
  summary["combined_pdf"] = row.combined_file.empty() ? json(nullptr) : json(true);
  return WorkflowResult::ok(summary);
}

namespace {
json runJson(const PrintRunRow& r) {
  return {{"run_id", r.id},
          {"created_at", r.created_at},
          {"actor", r.actor},
          {"letters", r.letters},
          {"refused", r.refused},
          {"pages", r.pages},
          {"combined_pdf", !r.combined_file.empty()},
          {"combined_sha256", r.combined_sha256}};
}
json letterJson(const LetterRow& l) {
  return {{"id", l.id},
          {"run_id", l.run_id},
          {"exam_id", l.exam_id},
          {"woman_id", l.woman_id},
          {"kind", l.kind},
          {"recipient", l.recipient},
          {"pages", l.pages},
          {"sha256", l.sha256},
          {"created_at", l.created_at}};
}
}  // namespace

WorkflowResult LetterService::runs() {
  json items = json::array();
  for (const auto& r : store_.runs()) items.push_back(runJson(r));
  return WorkflowResult::ok({{"items", items}});
}

WorkflowResult LetterService::run(const std::string& run_id) {
  auto r = store_.run(run_id);
  if (!r) return WorkflowResult::fail(WorkflowStatus::kNotFound, "no print run " + run_id);
  json out = runJson(*r);
  out["summary"] = json::parse(r->summary_json, nullptr, false);
  return WorkflowResult::ok(out);
}

WorkflowResult LetterService::letters(const std::string& run_id, const std::string& exam_id) {
  json items = json::array();
  for (const auto& l : store_.letters(run_id, exam_id)) items.push_back(letterJson(l));
  return WorkflowResult::ok({{"items", items}});
}

WorkflowResult LetterService::overdue(bool include_due_soon) {
  Impl& m = *impl_;
  const Date today = dateOf(m.clock());
  const auto& rules = m.config.programme;
  json items = json::array();
  struct Row {
    int days_left;
    json j;
  };
  std::vector<Row> rows;
  for (ExamState s : kAllExamStates) {
    switch (s) {
      case ExamState::kResultSent:
      case ExamState::kPositiveFollowUp:
      case ExamState::kClosed:
      case ExamState::kCancelled:
      case ExamState::kL1Positive:  // the result was given at the CIM
        continue;
      default:
        break;
    }
    for (const ExamRecord& r : m.workflow.records(s)) {
      const Date mammo = r.mammogramDate().value_or(dateOf(r.received_at));
      const Date due = addDays(mammo, rules.result_deadline_days);
      const int left = daysBetween(today, due);
      if (left >= 0 && !(include_due_soon && left <= rules.deadline_warning_days)) continue;
      rows.push_back({left,
                      {{"exam_id", r.exam_id},
                       {"woman_id", r.woman_id},
                       {"cim_id", r.cim_id},
                       {"state", toCode(r.state)},
                       {"mammogram_date", toIsoDate(mammo)},
                       {"due", toIsoDate(due)},
                       {"days_left", left},
                       {"overdue", left < 0}}});
    }
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.days_left < b.days_left; });
  int overdue = 0;
  for (auto& r : rows) {
    overdue += r.days_left < 0;
    items.push_back(std::move(r.j));
  }
  return WorkflowResult::ok({{"today", toIsoDate(today)},
                             {"deadline_days", rules.result_deadline_days},
                             {"overdue", overdue},
                             {"items", items}});
}

void LetterService::setAccessCodeIssuer(AccessCodeIssuer issuer) {
  std::lock_guard lk(impl_->mu);
  impl_->code_issuer = std::move(issuer);
}

}  // namespace dualread
