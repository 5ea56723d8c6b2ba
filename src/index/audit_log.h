#pragma once
// AuditLog: the append-only, hash-chained audit trail, stored in its own tables of the hub's
// index database (DATA/index.sqlite) through its own connections. Appends are serialised by a
// mutex, one transaction each: the new entry's seq and prev_hash come from the chain's head
// inside that transaction, so concurrent writers (threads or the other process connection)
// can never fork the chain. Triggers refuse UPDATE and DELETE; verify() walks the whole chain
// and finds tampering even when the triggers were dropped first. Queries and verify use their
// own connections and never wait for appends (WAL). Thread-safe.
//
// Tables (audit_* only; archive_index.cpp's migrations are not involved):
//   audit_meta(key, value): 'audit_schema_version', and the head ('head_seq', 'head_hash')
//     updated with every append, so deleting the last entries is detected too.
//   audit_log(seq PK, time, actor, role, action, object_type, object_id, woman_id, source,
//     detail, prev_hash, entry_hash), indexed by woman, actor and time.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "domain/audit_event.h"
#include "index/sqlite.h"

namespace dualread {

// Computes an entry's hash from its prev_hash and fields (services/audit_chain.h).
using AuditHasher = std::function<std::string(const AuditEvent&)>;

struct AuditQuery {
  std::optional<std::string> woman_id;
  std::optional<std::string> actor;
  std::optional<std::string> object_type;
  std::optional<std::string> object_id;
  std::optional<std::string> from;  // inclusive, "YYYY-MM-DDTHH:MM:SSZ" (or a prefix: a date)
  std::optional<std::string> to;    // exclusive
  int64_t limit = 100;
  int64_t offset = 0;
  bool newest_first = false;
};

struct AuditVerifyResult {
  bool intact = true;
  int64_t checked = 0;               // entries walked
  int64_t head_seq = 0;              // the head recorded at the last append
  std::string head_hash;             // publish it elsewhere to detect a rewrite of the whole log
  bool triggers_present = true;      // false: somebody dropped the append-only triggers
  std::optional<AuditBreak> broken;  // the first entry that does not verify
};

class AuditLog {
 public:
  // Opens the index database at `path` and creates the audit tables if needed (or, with
  // `read_only`, only reads them: an archive without audit tables reads as an empty log).
  // Throws IndexError (cannot open; schema written by a newer dualread).
  AuditLog(const std::string& path, AuditHasher hasher, bool read_only = false);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  static constexpr int kSchemaVersion = 1;
  int schemaVersion();

  // Appends `e` (seq, prev_hash and entry_hash are assigned here) and returns it as stored.
  // The caller validated the fields. Throws IndexError (read-only log, database failure:
  // nothing is then recorded).
  AuditEvent append(AuditEvent e);

  // Entries matching every given criterion, by seq. Throws IndexError.
  std::vector<AuditEvent> query(const AuditQuery& q);

  // Walks the chain from the first entry in one consistent snapshot. Throws IndexError only
  // when the database cannot be read.
  AuditVerifyResult verify();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dualread
