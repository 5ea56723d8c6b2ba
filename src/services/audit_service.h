#pragma once
// AuditService: the use case behind "every state change and every read of a woman's data is
// audited" — records who did what, to which object, for which woman, from where and when, in
// the hash-chained AuditLog; verifies the chain; answers queries (a woman's access history, an
// actor's activity, a period). Recording fails closed: when the entry cannot be written,
// record() throws and the caller must not carry out (or must report failed) the audited action.
// Owned by the hub; thread-safe.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/audit_event.h"
#include "domain/time.h"
#include "index/audit_log.h"

namespace dualread {

// Who acts until access control lands: the hub runs --open and knows no user.
inline constexpr const char* kOpenAccessActor = "open-access";
inline constexpr const char* kOpenAccessRole = "open";

// The event cannot be recorded as given (empty actor, malformed detail JSON...).
class AuditError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class AuditService {
 public:
  using Clock = std::function<TimePoint()>;

  // Opens (creating if needed) the audit tables in the index database `index_path`
  // (DATA/index.sqlite). `clock` gives the event time (default: the system clock; it is
  // called from every recording thread, so it must be thread-safe). Throws IndexError.
  explicit AuditService(const std::filesystem::path& index_path, Clock clock = {});
  ~AuditService();

  // Appends one event and returns it as stored (seq and hashes filled). `detail_json` must be
  // a JSON value (empty means {}); it is stored compact. Throws AuditError for invalid fields,
  // IndexError when the log cannot be written.
  AuditEvent record(const std::string& actor, const std::string& role, const std::string& action,
                    const std::string& object_type, const std::string& object_id,
                    const std::optional<std::string>& woman_id, const std::string& source,
                    const std::string& detail_json = "{}");

  AuditVerifyResult verify();
  std::vector<AuditEvent> query(const AuditQuery& q);

  AuditLog& log() { return *log_; }

 private:
  std::unique_ptr<AuditLog> log_;
  Clock clock_;
};

// `dualread audit verify --data DIR`: checks DIR/index.sqlite's audit chain without modifying
// anything, writes sentences to `out`, returns the exit code: 0 intact, 1 tampered (or the log
// cannot be read), 2 no archive in DIR.
int runAuditVerify(const std::filesystem::path& data_dir, std::ostream& out);

}  // namespace dualread
