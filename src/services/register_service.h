#pragma once
// RegisterService: the CRCDC's register of invited women — importing the health-insurance
// invitation file (every row checked, the file imported whole or not at all, audited) and
// finding a woman's postal address and named doctors for her letters. Owned by app/Hub (and
// by `dualread import women`). Thread-safe (the store is).

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "domain/invitation_file.h"
#include "domain/woman.h"
#include "index/register_store.h"
#include "services/workflow_service.h"

namespace dualread {

class AuditService;

struct RegisterImportReport {
  bool ok = false;
  int rows = 0;   // women read
  int added = 0;  // new to the register (the others were updated)
  std::string import_id;
  std::vector<InvitationRowError> errors;  // nothing was imported when not empty
  nlohmann::json toJson() const;
};

class RegisterService {
 public:
  // `audit` may be null (tools without an audit trail).
  RegisterService(RegisterStore& store, AuditService* audit);

  // Parses, checks and imports `text`. `progress` (may be empty) receives sentences. When
  // any row is invalid nothing is imported and the report lists every problem. Throws
  // IndexError / AuditError when the database cannot be written (nothing is then imported).
  RegisterImportReport importInvitations(std::string_view text, const std::string& file_name,
                                         const AuditActor& by,
                                         const std::function<void(const std::string&)>& progress);

  // The register's entry for an INS (identity, address, doctors); nullopt when absent.
  std::optional<Woman> womanByIns(const std::string& ins);
  std::optional<Date> invitedOn(const std::string& ins);
  int64_t countInvited(const std::string& from, const std::string& to) {
    return store_.countInvited(from, to);
  }
  int64_t size() { return store_.count(); }

 private:
  RegisterStore& store_;
  AuditService* audit_;
};

nlohmann::json addressJson(const PostalAddress& a);
PostalAddress addressFromJson(const nlohmann::json& j);

}  // namespace dualread
