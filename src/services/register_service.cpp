#include "services/register_service.h"

#include "services/audit_service.h"

namespace dualread {

using nlohmann::json;

json addressJson(const PostalAddress& a) {
  return {
      {"lines", a.lines}, {"postal_code", a.postal_code}, {"city", a.city}, {"country", a.country}};
}

PostalAddress addressFromJson(const json& j) {
  PostalAddress a;
  if (!j.is_object()) return a;
  if (j.contains("lines") && j["lines"].is_array())
    for (const auto& l : j["lines"])
      if (l.is_string()) a.lines.push_back(l.get<std::string>());
  a.postal_code = j.value("postal_code", "");
  a.city = j.value("city", "");
  a.country = j.value("country", "FR");
  return a;
}

namespace {
const char* roleCode(DoctorRole r) {
  switch (r) {
    case DoctorRole::kGeneralPractitioner:
      return "gp";
    case DoctorRole::kGynaecologist:
      return "gynaecologist";
    case DoctorRole::kOther:
      return "other";
  }
  return "other";
}
DoctorRole roleFrom(const std::string& s) {
  if (s == "gp") return DoctorRole::kGeneralPractitioner;
  if (s == "gynaecologist") return DoctorRole::kGynaecologist;
  return DoctorRole::kOther;
}
}  // namespace

json RegisterImportReport::toJson() const {
  json errs = json::array();
  for (const auto& e : errors)
    errs.push_back({{"line", e.line}, {"field", e.field}, {"message", e.message}});
  return {{"ok", ok}, {"rows", rows}, {"added", added}, {"import_id", import_id}, {"errors", errs}};
}

RegisterService::RegisterService(RegisterStore& store, AuditService* audit)
    : store_(store), audit_(audit) {}

RegisterImportReport RegisterService::importInvitations(
    std::string_view text, const std::string& file_name, const AuditActor& by,
    const std::function<void(const std::string&)>& progress) {
  RegisterImportReport report;
  auto say = [&](const std::string& s) {
    if (progress) progress(s);
  };
  struct Ctx {
    const std::function<void(const std::string&)>* progress;
  } ctx{&progress};
  InvitationFile parsed = parseInvitationFile(
      text,
      [](int rows, void* c) {
        auto* p = static_cast<Ctx*>(c)->progress;
        if (*p) (*p)("checked " + std::to_string(rows) + " rows");
      },
      &ctx);
  report.rows = static_cast<int>(parsed.women.size());
  if (!parsed.ok()) {
    report.errors = std::move(parsed.errors);
    say("the file has " + std::to_string(report.errors.size()) +
        " problem(s): nothing was imported");
    return report;
  }
  std::vector<RegisterWomanRow> rows;
  rows.reserve(parsed.women.size());
  for (const auto& w : parsed.women) {
    RegisterWomanRow r;
    r.ins = w.woman.ins;
    r.screening_number = w.woman.screening_number;
    r.birth_name = w.woman.birth_name;
    r.first_names = w.woman.first_names;
    r.used_name = w.woman.used_name;
    r.birth_date = w.woman.birth_date ? toIsoDate(*w.woman.birth_date) : "";
    r.invited_on = w.invited_on ? toIsoDate(*w.invited_on) : "";
    r.address_json = addressJson(w.woman.address).dump();
    json docs = json::array();
    for (const auto& d : w.woman.doctors)
      docs.push_back({{"rpps", d.rpps},
                      {"name", d.name},
                      {"role", roleCode(d.role)},
                      {"address", addressJson(d.address)}});
    r.doctors_json = docs.dump();
    rows.push_back(std::move(r));
  }
  const RegisterImportRow imp = store_.importRows(rows, file_name, by.actor, [&](int64_t n) {
    say("imported " + std::to_string(n) + "/" + std::to_string(rows.size()) + " women");
  });
  report.ok = true;
  report.added = static_cast<int>(imp.added);
  report.import_id = std::to_string(imp.id);
  if (audit_)
    audit_->record(
        by.actor, by.role, "import-register", "register-import", report.import_id, std::nullopt,
        by.source,
        json{{"file", file_name}, {"rows", report.rows}, {"added", report.added}}.dump());
  say("imported " + std::to_string(report.rows) + " women (" + std::to_string(report.added) +
      " new, " + std::to_string(report.rows - report.added) + " updated)");
  return report;
}

std::optional<Woman> RegisterService::womanByIns(const std::string& ins) {
  if (ins.empty()) return std::nullopt;
  auto r = store_.find(ins);
  if (!r) return std::nullopt;
  Woman w;
  w.ins = r->ins;
  w.screening_number = r->screening_number;
  w.birth_name = r->birth_name;
  w.first_names = r->first_names;
  w.used_name = r->used_name;
  w.birth_date = parseIsoDate(r->birth_date);
  w.address = addressFromJson(json::parse(r->address_json, nullptr, false));
  const json docs = json::parse(r->doctors_json, nullptr, false);
  if (docs.is_array())
    for (const auto& d : docs) {
      NamedDoctor nd;
      nd.rpps = d.value("rpps", "");
      nd.name = d.value("name", "");
      nd.role = roleFrom(d.value("role", ""));
      if (d.contains("address")) nd.address = addressFromJson(d["address"]);
      w.doctors.push_back(std::move(nd));
    }
  return w;
}

std::optional<Date> RegisterService::invitedOn(const std::string& ins) {
  auto r = store_.find(ins);
  if (!r) return std::nullopt;
  return parseIsoDate(r->invited_on);
}

}  // namespace dualread
