#include "index/audit_log.h"

#include <algorithm>

namespace dualread {

namespace {

constexpr const char* kColumns =
    "seq, time, actor, role, action, object_type, object_id, woman_id, source, detail, "
    "prev_hash, entry_hash";

constexpr const char* kCreateV1 = R"sql(
CREATE TABLE IF NOT EXISTS audit_log(
  seq INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  woman_id TEXT,
  source TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  entry_hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_log_by_woman ON audit_log(woman_id, seq);
CREATE INDEX IF NOT EXISTS audit_log_by_actor ON audit_log(actor, seq);
CREATE INDEX IF NOT EXISTS audit_log_by_time ON audit_log(time);
)sql";

// Re-created on every read-write open, so protection comes back after somebody dropped them.
constexpr const char* kTriggers = R"sql(
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: its entries cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: its entries cannot be deleted'); END;
)sql";

AuditEvent readRow(const SqliteStmt& st) {
  AuditEvent e;
  e.seq = st.integer(0);
  e.time = st.text(1);
  e.actor = st.text(2);
  e.role = st.text(3);
  e.action = st.text(4);
  e.object_type = st.text(5);
  e.object_id = st.text(6);
  if (!st.isNull(7)) e.woman_id = st.text(7);
  e.source = st.text(8);
  e.detail = st.text(9);
  e.prev_hash = st.text(10);
  e.entry_hash = st.text(11);
  return e;
}

bool tableExists(SqliteDb& db, const char* name) {
  auto st = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  st.bind(1, std::string_view(name));
  return st.step();
}

std::optional<std::string> metaValue(SqliteDb& db, const char* key) {
  auto st = db.prepare("SELECT value FROM audit_meta WHERE key = ?");
  st.bind(1, std::string_view(key));
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

void setMeta(SqliteDb& db, const char* key, const std::string& value) {
  auto st = db.prepare(
      "INSERT INTO audit_meta(key, value) VALUES(?, ?) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  st.bind(1, std::string_view(key)).bind(2, value);
  st.step();
}

int64_t toInt(const std::optional<std::string>& v) {
  if (!v) return 0;
  try {
    return std::stoll(*v);
  } catch (...) {
    return -1;
  }
}

}  // namespace

struct AuditLog::Impl {
  std::string path;
  AuditHasher hasher;
  bool read_only = false;
  bool tables = false;  // read-only on an archive that never had an audit log
  std::mutex write_mu;
  std::unique_ptr<SqliteDb> writer;
  std::mutex read_mu;
  std::unique_ptr<SqliteDb> reader;
};

AuditLog::AuditLog(const std::string& path, AuditHasher hasher, bool read_only)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->hasher = std::move(hasher);
  impl_->read_only = read_only;
  if (!read_only) {
    impl_->writer = std::make_unique<SqliteDb>(path, false);
    SqliteDb& db = *impl_->writer;
    SqliteTransaction tx(db);
    db.exec("CREATE TABLE IF NOT EXISTS audit_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const auto version = metaValue(db, "audit_schema_version");
    if (!version) {
      db.exec(kCreateV1);
      setMeta(db, "audit_schema_version", std::to_string(kSchemaVersion));
    } else if (toInt(version) > kSchemaVersion || toInt(version) < 1) {
      throw IndexError("the audit log in " + path + " has schema version " + *version +
                       ", which this dualread (audit schema " + std::to_string(kSchemaVersion) +
                       ") does not know: use a newer dualread");
    }
    db.exec(kTriggers);
    tx.commit();
  }
  impl_->reader = std::make_unique<SqliteDb>(path, true);
  impl_->tables = tableExists(*impl_->reader, "audit_log");
}

AuditLog::~AuditLog() = default;

int AuditLog::schemaVersion() {
  std::lock_guard lock(impl_->read_mu);
  if (!tableExists(*impl_->reader, "audit_meta")) return 0;
  return static_cast<int>(toInt(metaValue(*impl_->reader, "audit_schema_version")));
}

AuditEvent AuditLog::append(AuditEvent e) {
  if (impl_->read_only) throw IndexError("the audit log was opened read-only");
  std::lock_guard lock(impl_->write_mu);
  SqliteDb& db = *impl_->writer;
  SqliteTransaction tx(db);
  // Chain from the recorded head or the last row, whichever is further: if the last entries
  // were deleted, the gap stays visible to verify() instead of being papered over.
  int64_t last_seq = 0;
  std::string last_hash(kAuditGenesisHash);
  {
    auto st = db.prepare("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1");
    if (st.step()) {
      last_seq = st.integer(0);
      last_hash = st.text(1);
    }
  }
  const int64_t head_seq = toInt(metaValue(db, "head_seq"));
  if (head_seq > last_seq) {
    last_seq = head_seq;
    last_hash = metaValue(db, "head_hash").value_or(std::string(kAuditGenesisHash));
  }
  e.seq = last_seq + 1;
  e.prev_hash = last_hash;
  e.entry_hash = impl_->hasher(e);
  {
    auto st = db.prepare(std::string("INSERT INTO audit_log(") + kColumns +
                         ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, e.seq)
        .bind(2, e.time)
        .bind(3, e.actor)
        .bind(4, e.role)
        .bind(5, e.action)
        .bind(6, e.object_type)
        .bind(7, e.object_id)
        .bindOpt(8, e.woman_id)
        .bind(9, e.source)
        .bind(10, e.detail)
        .bind(11, e.prev_hash)
        .bind(12, e.entry_hash);
    st.step();
  }
  setMeta(db, "head_seq", std::to_string(e.seq));
  setMeta(db, "head_hash", e.entry_hash);
  tx.commit();
  return e;
}

std::vector<AuditEvent> AuditLog::query(const AuditQuery& q) {
  std::vector<AuditEvent> out;
  std::lock_guard lock(impl_->read_mu);
  if (!impl_->tables && !(impl_->tables = tableExists(*impl_->reader, "audit_log"))) return out;
  std::string sql = std::string("SELECT ") + kColumns + " FROM audit_log WHERE 1 = 1";
  std::vector<std::string> args;
  auto filter = [&](const std::optional<std::string>& v, const char* clause) {
    if (!v) return;
    sql += clause;
    args.push_back(*v);
  };
  filter(q.woman_id, " AND woman_id = ?");
  filter(q.actor, " AND actor = ?");
  filter(q.object_type, " AND object_type = ?");
  filter(q.object_id, " AND object_id = ?");
  filter(q.from, " AND time >= ?");
  filter(q.to, " AND time < ?");
  sql += q.newest_first ? " ORDER BY seq DESC" : " ORDER BY seq ASC";
  sql += " LIMIT ? OFFSET ?";
  auto st = impl_->reader->prepare(sql);
  int i = 1;
  for (const auto& a : args) st.bind(i++, a);
  st.bind(i++, static_cast<int64_t>(std::clamp<int64_t>(q.limit, 1, 10000)));
  st.bind(i++, static_cast<int64_t>(std::max<int64_t>(q.offset, 0)));
  while (st.step()) out.push_back(readRow(st));
  return out;
}

AuditVerifyResult AuditLog::verify() {
  AuditVerifyResult r;
  // A connection of its own: walking millions of entries must not hold up queries.
  SqliteDb db(impl_->path, true);
  if (!tableExists(db, "audit_log")) return r;
  db.exec("BEGIN");  // one snapshot: the head and the rows agree even while appends go on
  struct EndRead {
    SqliteDb& db;
    ~EndRead() {
      try {
        db.exec("COMMIT");
      } catch (...) {
      }
    }
  } end_read{db};

  r.head_seq = toInt(metaValue(db, "head_seq"));
  r.head_hash = metaValue(db, "head_hash").value_or("");
  {
    auto st = db.prepare(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN "
        "('audit_log_no_update', 'audit_log_no_delete')");
    st.step();
    r.triggers_present = st.integer(0) == 2;
  }

  auto st = db.prepare(std::string("SELECT ") + kColumns + " FROM audit_log ORDER BY seq");
  std::optional<AuditEvent> prev;
  while (st.step()) {
    AuditEvent cur = readRow(st);
    const std::string recomputed = impl_->hasher(cur);
    auto with_seq = [&](int64_t s) {
      AuditEvent moved = cur;
      moved.seq = s;
      return impl_->hasher(moved);
    };
    if (auto brk = checkAuditLink(prev ? &*prev : nullptr, cur, recomputed, with_seq)) {
      r.intact = false;
      r.broken = std::move(*brk);
      return r;
    }
    ++r.checked;
    prev = std::move(cur);
  }

  const int64_t last = prev ? prev->seq : 0;
  const std::string last_hash = prev ? prev->entry_hash : std::string();
  auto fail = [&](int64_t seq, AuditBreakKind kind, std::string sentence) {
    r.intact = false;
    r.broken = AuditBreak{seq, kind, std::move(sentence)};
  };
  if (r.head_seq > last) {
    fail(last + 1, AuditBreakKind::kTruncated,
         "audit entries " + std::to_string(last + 1) + " to " + std::to_string(r.head_seq) +
             " are missing at the end of the log (the last append recorded entry " +
             std::to_string(r.head_seq) + "): the last entries were deleted");
  } else if (r.head_seq < last) {
    fail(r.head_seq + 1, AuditBreakKind::kBrokenLink,
         "audit entries after " + std::to_string(r.head_seq) +
             " were not appended by dualread (the recorded head is entry " +
             std::to_string(r.head_seq) + ", the log ends at " + std::to_string(last) + ")");
  } else if (last > 0 && r.head_hash != last_hash) {
    fail(last, AuditBreakKind::kBrokenLink,
         "the last audit entry " + std::to_string(last) +
             " does not match the hash recorded when it was appended: it was rewritten");
  }
  return r;
}

}  // namespace dualread
