#pragma once
// The audit chain's hash: entry_hash = SHA-256(prev_hash || canonicalAuditBytes(event)), hex.
// Kept out of domain/ (which does no I/O and links no crypto) and handed to the index's
// AuditLog as a function. Pure functions, thread-safe.

#include <string>

#include "domain/audit_event.h"

namespace dualread {

// The hash `e` must carry, from its prev_hash and its fields (entry_hash is ignored).
std::string auditEntryHash(const AuditEvent& e);

}  // namespace dualread
