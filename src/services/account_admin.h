#pragma once
// AccountAdmin: the administrator's use cases on accounts — list them (never a password hash
// nor a TOTP secret), create one, change its role and bindings (CIMs, RPPS, name), disable and
// enable it, reset its password (given, or generated and returned once), unlock it after a
// lockout, reset or remove its second factor (TOTP), issue and revoke a gateway's bearer
// tokens. One implementation behind two doors: `dualread admin ...` (app/main.cpp,
// services/admin_commands) and the REST routes /api/admin/users (http/admin_api.cpp). Every
// change is recorded in the audit trail before it is made (who, what; never a secret): when the
// trail cannot record, nothing changes. The last active administrator cannot be disabled nor
// given another role. Owned by whoever opened the AccessService (the hub, or one CLI command);
// thread-safe (changes are serialised).

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "services/access_service.h"

namespace dualread {

class AuditService;

// The account named does not exist (REST: 404).
class AccountNotFound : public AccessError {
 public:
  using AccessError::AccessError;
};

// The change conflicts with the accounts as they are (login taken, last administrator,
// already revoked...) (REST: 409).
class AccountConflict : public AccessError {
 public:
  using AccessError::AccessError;
};

// Who makes a change, for the audit trail.
struct AccountActor {
  std::string login;   // "admin-cli" from the command line
  std::string role;    // "administrator"
  std::string source;  // "ip:port" of an HTTP client, "cli"
};

// What an administrator sees of an account.
struct AccountView {
  std::string login;
  std::string role;
  std::vector<std::string> cims;
  std::string rpps;
  std::string display_name;
  bool totp = false;
  bool disabled = false;
  bool locked = false;
  int64_t locked_until = 0;
  int64_t failed_logins = 0;
  int active_tokens = 0;
  std::string created_at;
  std::string cert_cn;  // gateways: the CN of the TLS client certificate it may use instead
};

struct NewAccount {
  std::string login;
  std::string role;
  std::vector<std::string> cims;
  std::string rpps;
  std::string display_name;
  std::string password;            // ignored when generate_password
  bool generate_password = false;  // staff: a random password, returned once
  bool totp = false;
  std::string cert_cn;  // gateways only: subject CN of its TLS client certificate
};

// Secrets created by a change, shown once to the administrator and stored nowhere in clear.
struct AccountSecrets {
  std::optional<std::string> password;     // generated password
  std::optional<std::string> totp_secret;  // base32
  std::optional<std::string> totp_uri;     // otpauth:// for authenticator apps
};

// Fields left nullopt are not changed.
struct AccountChange {
  std::optional<std::string> role;
  std::optional<std::vector<std::string>> cims;
  std::optional<std::string> rpps;
  std::optional<std::string> display_name;
  std::optional<std::string> cert_cn;  // "" removes it
};

struct IssuedToken {
  std::string id;     // names the token in lists and for revocation
  std::string token;  // the credential, shown once
};

class AccountAdmin {
 public:
  // `audit` may be null only in tests without an audit trail (changes are then unrecorded).
  AccountAdmin(AccessService& access, AuditService* audit) : access_(access), audit_(audit) {}

  std::vector<AccountView> list();
  // Throws AccountNotFound.
  AccountView get(const std::string& login);
  std::vector<TokenRow> tokens(const std::string& login);

  // Each throws AccessError (invalid input: unknown role, CIM for a role that takes none,
  // weak password...), AccountNotFound, AccountConflict, or what the audit trail throws when
  // it cannot record (nothing is then changed).
  AccountSecrets create(const NewAccount& a, const AccountActor& by);
  AccountView change(const std::string& login, const AccountChange& c, const AccountActor& by);
  AccountView setDisabled(const std::string& login, bool disabled, const AccountActor& by);
  // `password` nullopt: a generated one, returned. The account's sessions end; a lockout is
  // cleared.
  AccountSecrets resetPassword(const std::string& login, const std::optional<std::string>& password,
                               const AccountActor& by);
  AccountView unlock(const std::string& login, const AccountActor& by);
  // enable: a new TOTP secret (enrol again), returned; !enable: the second factor removed.
  AccountSecrets resetTotp(const std::string& login, bool enable, const AccountActor& by);
  IssuedToken issueToken(const std::string& login, const AccountActor& by);
  void revokeToken(const std::string& login, const std::string& token_id, const AccountActor& by);

 private:
  UserRow existing(const std::string& login);
  AccountView view(const UserRow& u);
  // Throws unless `cn` may be the certificate CN of `login` with `role` (gateways only, 1 to 64
  // printable characters, no other account's).
  void checkCertCn(const std::string& login, Role role, const std::string& cn);
  // Refuses a change that leaves no active administrator.
  void keepAnAdministrator(const UserRow& u, bool stays_active_admin);
  void record(const AccountActor& by, const std::string& action, const std::string& login,
              const std::string& detail_json);

  AccessService& access_;
  AuditService* audit_;
  std::mutex mu_;  // one change at a time: the last-administrator check holds
};

// Role names accepted by accounts, as a sentence ("administrator, coordinator, ...").
std::string accountRoleList();

}  // namespace dualread
