#pragma once
// AuditEvent: one entry of the append-only audit trail — who (actor, role), when (UTC), did
// what (action) to which object, concerning which woman, from where — and the rules of the hash
// chain that makes tampering detectable: each entry carries the previous entry's hash, and its
// own hash covers the previous hash and the canonical bytes below. Pure value type and
// functions, no I/O, thread-safe. The hash function itself lives in services/audit_chain.h.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dualread {

// prev_hash of the first entry.
inline constexpr std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct AuditEvent {
  int64_t seq = 0;          // 1, 2, 3... without gaps
  std::string time;         // "YYYY-MM-DDTHH:MM:SSZ", UTC
  std::string actor;        // user id or service name ("hub", "gateway:cim-042")
  std::string role;         // "l2_reader", "secretariat", "woman", "system"...
  std::string action;       // "exam.read", "reading.sign", "letter.print"...
  std::string object_type;  // "exam", "woman", "letter"...
  std::string object_id;
  std::optional<std::string> woman_id;  // whose data this is, when it is a woman's
  std::string source;                   // source address ("203.0.113.7", "cli", "internal")
  std::string detail = "{}";            // JSON text, stored and hashed byte for byte
  std::string prev_hash;                // hex SHA-256 of the previous entry (genesis: zeros)
  std::string entry_hash;               // hex SHA-256(prev_hash || canonical bytes)
  bool operator==(const AuditEvent&) const = default;
};

// The bytes the entry hash covers, besides prev_hash: a versioned, length-prefixed encoding of
// every field except the hashes, so no two different events share their bytes (an absent
// woman_id differs from an empty one).
std::string canonicalAuditBytes(const AuditEvent& e);

// What the caller must fix before an event can be recorded (empty actor, role, action, object
// type, malformed time, control characters in identifiers), one sentence each.
std::vector<std::string> auditEventProblems(const AuditEvent& e);

enum class AuditBreakKind {
  kAltered,     // the entry's content no longer matches its hash
  kMissing,     // a sequence number is missing (a row was deleted)
  kReordered,   // the entry was written under another sequence number
  kBrokenLink,  // the entry does not chain to the previous one (rewritten and re-hashed,
                // inserted or replaced)
  kTruncated,   // the chain ends before the recorded head (last rows deleted)
};

struct AuditBreak {
  int64_t seq = 0;  // the first sequence number that does not verify
  AuditBreakKind kind = AuditBreakKind::kAltered;
  std::string sentence;  // for the operator
};

// Checks one entry against the entry before it (nullptr for the first one).
// `recomputed_hash` is the hash of `cur` as stored; `hash_with_seq(s)` recomputes it as if its
// seq were `s` (used only when the entry does not verify, to tell a moved row from an edited
// one). Returns the break, or nothing when the link holds.
template <typename HashWithSeq>
std::optional<AuditBreak> checkAuditLink(const AuditEvent* prev, const AuditEvent& cur,
                                         const std::string& recomputed_hash,
                                         HashWithSeq&& hash_with_seq);

std::string_view auditBreakKindName(AuditBreakKind kind);

// ---------------------------------------------------------------------------------------------

template <typename HashWithSeq>
std::optional<AuditBreak> checkAuditLink(const AuditEvent* prev, const AuditEvent& cur,
                                         const std::string& recomputed_hash,
                                         HashWithSeq&& hash_with_seq) {
  const int64_t expected_seq = prev ? prev->seq + 1 : 1;
  const std::string s = std::to_string(cur.seq);
  if (cur.seq > expected_seq) {
    const std::string first = std::to_string(expected_seq);
    const std::string range = cur.seq - 1 == expected_seq
                                  ? "entry " + first
                                  : "entries " + first + " to " + std::to_string(cur.seq - 1);
    return AuditBreak{expected_seq, AuditBreakKind::kMissing,
                      "audit " + range + " " + (cur.seq - 1 == expected_seq ? "is" : "are") +
                          " missing: the chain jumps from " +
                          (prev ? std::to_string(prev->seq) : std::string("the start")) + " to " +
                          s + " (rows were deleted)"};
  }
  if (cur.seq < expected_seq) {
    return AuditBreak{cur.seq, AuditBreakKind::kReordered,
                      "audit entry " + s + " comes after entry " + std::to_string(prev->seq) +
                          ": the entries are out of order"};
  }
  if (recomputed_hash != cur.entry_hash) {
    for (int64_t d = 1; d <= 16; ++d) {
      for (int64_t other : {cur.seq - d, cur.seq + d}) {
        if (other >= 1 && hash_with_seq(other) == cur.entry_hash) {
          return AuditBreak{cur.seq, AuditBreakKind::kReordered,
                            "audit entry " + s + " holds the entry written as number " +
                                std::to_string(other) + ": the entries were reordered"};
        }
      }
    }
    return AuditBreak{
        cur.seq, AuditBreakKind::kAltered,
        "audit entry " + s + " was altered: its content no longer matches its recorded hash"};
  }
  const std::string expected_prev = prev ? prev->entry_hash : std::string(kAuditGenesisHash);
  if (cur.prev_hash != expected_prev) {
    return AuditBreak{
        cur.seq, AuditBreakKind::kBrokenLink,
        "audit entry " + s + " does not chain to " +
            (prev ? "entry " + std::to_string(prev->seq) : std::string("the start of the log")) +
            ": one of them was rewritten and re-hashed, or an entry was inserted or replaced"};
  }
  return std::nullopt;
}

}  // namespace dualread
