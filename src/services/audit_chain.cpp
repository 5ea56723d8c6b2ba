#include "services/audit_chain.h"

#include "storage/sha256.h"

namespace dualread {

std::string auditEntryHash(const AuditEvent& e) {
  return sha256Hex(e.prev_hash + canonicalAuditBytes(e));
}

}  // namespace dualread
