#include "services/audit_service.h"

#include <nlohmann/json.hpp>

#include "services/audit_chain.h"

namespace dualread {

AuditService::AuditService(const std::filesystem::path& index_path, Clock clock)
    : log_(std::make_unique<AuditLog>(index_path.string(), auditEntryHash)),
      clock_(std::move(clock)) {
  if (!clock_) {
    clock_ = [] {
      return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    };
  }
}

AuditService::~AuditService() = default;

AuditEvent AuditService::record(const std::string& actor, const std::string& role,
                                const std::string& action, const std::string& object_type,
                                const std::string& object_id,
                                const std::optional<std::string>& woman_id,
                                const std::string& source, const std::string& detail_json) {
  AuditEvent e;
  e.time = toIsoDateTime(clock_());
  e.actor = actor;
  e.role = role;
  e.action = action;
  e.object_type = object_type;
  e.object_id = object_id;
  e.woman_id = woman_id;
  e.source = source;
  if (detail_json.empty()) {
    e.detail = "{}";
  } else {
    try {
      e.detail = nlohmann::json::parse(detail_json).dump();
    } catch (const nlohmann::json::exception&) {
      throw AuditError("the audit detail of '" + action + "' is not valid JSON");
    }
  }
  const auto problems = auditEventProblems(e);
  if (!problems.empty()) {
    std::string msg = "the audit event cannot be recorded: ";
    for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
    throw AuditError(msg);
  }
  return log_->append(std::move(e));
}

AuditVerifyResult AuditService::verify() { return log_->verify(); }

std::vector<AuditEvent> AuditService::query(const AuditQuery& q) { return log_->query(q); }

int runAuditVerify(const std::filesystem::path& data_dir, std::ostream& out) {
  const auto index = data_dir / "index.sqlite";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(index, ec)) {
    out << "No archive in " << data_dir.string() << " (" << index.string() << " does not exist).\n";
    return 2;
  }
  AuditVerifyResult r;
  try {
    AuditLog log(index.string(), auditEntryHash, /*read_only=*/true);
    r = log.verify();
  } catch (const std::exception& e) {
    out << "The audit log in " << index.string() << " cannot be read: " << e.what() << "\n";
    return 1;
  }
  if (!r.triggers_present && r.head_seq > 0) {
    out << "Warning: the append-only triggers of the audit log were removed.\n";
  }
  if (!r.intact) {
    out << "TAMPERED: " << r.broken->sentence << " (first broken entry: " << r.broken->seq << ", "
        << auditBreakKindName(r.broken->kind) << "; " << r.checked
        << " entries verified before it).\n";
    return 1;
  }
  out << "Audit log intact: " << r.checked << " entries verified";
  if (r.head_seq > 0) out << ", head " << r.head_seq << " " << r.head_hash;
  out << ".\n";
  return 0;
}

}  // namespace dualread
