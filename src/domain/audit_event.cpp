#include "domain/audit_event.h"

#include "domain/time.h"

namespace dualread {

namespace {

void field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out += ':';
  out += std::to_string(value.size());
  out += ':';
  out.append(value);
  out += '\n';
}

bool hasControl(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7F) return true;
  return false;
}

}  // namespace

std::string canonicalAuditBytes(const AuditEvent& e) {
  std::string out = "dualread-audit-v1\n";
  field(out, "seq", std::to_string(e.seq));
  field(out, "time", e.time);
  field(out, "actor", e.actor);
  field(out, "role", e.role);
  field(out, "action", e.action);
  field(out, "object_type", e.object_type);
  field(out, "object_id", e.object_id);
  if (e.woman_id)
    field(out, "woman_id", *e.woman_id);
  else
    out += "woman_id:-\n";
  field(out, "source", e.source);
  field(out, "detail", e.detail);
  return out;
}

std::vector<std::string> auditEventProblems(const AuditEvent& e) {
  std::vector<std::string> p;
  auto required = [&](std::string_view name, const std::string& v) {
    if (v.empty())
      p.push_back("the audit " + std::string(name) + " is empty");
    else if (hasControl(v))
      p.push_back("the audit " + std::string(name) + " contains control characters");
  };
  required("actor", e.actor);
  required("role", e.role);
  required("action", e.action);
  required("object type", e.object_type);
  if (hasControl(e.object_id)) p.push_back("the audit object id contains control characters");
  if (e.woman_id && hasControl(*e.woman_id))
    p.push_back("the audit woman id contains control characters");
  if (hasControl(e.source)) p.push_back("the audit source address contains control characters");
  if (!parseIsoDateTime(e.time))
    p.push_back("the audit time '" + e.time + "' is not a UTC time like 2025-03-03T10:15:00Z");
  return p;
}

std::string_view auditBreakKindName(AuditBreakKind kind) {
  switch (kind) {
    case AuditBreakKind::kAltered:
      return "altered";
    case AuditBreakKind::kMissing:
      return "missing";
    case AuditBreakKind::kReordered:
      return "reordered";
    case AuditBreakKind::kBrokenLink:
      return "broken_link";
    case AuditBreakKind::kTruncated:
      return "truncated";
  }
  return "unknown";
}

}  // namespace dualread
