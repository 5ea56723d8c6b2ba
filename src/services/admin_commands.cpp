#include "services/admin_commands.h"

#include <ctime>

#include "index/archive_index.h"
#include "services/access_service.h"
#include "services/account_admin.h"
#include "services/audit_service.h"
#include "services/totp.h"

namespace dualread {

namespace {

// A new TOTP secret is printed once, for the account's owner to enrol.
void printTotpSecret(std::ostream& out, const AccountSecrets& secrets) {
  if (secrets.totp_secret)
    out << "TOTP secret (add it to an authenticator app now; it is not shown again): "
        << *secrets.totp_secret << "\n"
        << *secrets.totp_uri << "\n";
}

std::string indexPath(const std::filesystem::path& data) {
  return (data / "index.sqlite").string();
}

bool archiveExists(const std::filesystem::path& data, std::ostream& err) {
  if (std::filesystem::exists(data / "index.sqlite")) return true;
  err << "No archive at " << data.string()
      << " (index.sqlite not found): start the hub once with --data " << data.string()
      << " to create it\n";
  return false;
}

const AccountActor kCliActor{"admin-cli", "administrator", "cli"};

}  // namespace

int runAdminAddUser(const AddUserArgs& a, std::istream& in, std::ostream& out, std::ostream& err) {
  std::filesystem::create_directories(a.data);
  auto role = parseRole(a.role);
  if (!role) {
    err << "'" << a.role << "' is not a role; use one of:";
    for (Role r : accountRoles()) err << " " << roleName(r);
    err << "\n";
    return 1;
  }
  NewUser u;
  u.login = a.login;
  u.role = *role;
  u.cims = a.cims;
  u.rpps = a.rpps;
  u.display_name = a.name;
  u.totp = a.totp;
  if (*role != Role::kGateway) {
    if (!a.password_stdin) {
      err << "give the password on standard input with --password-stdin (never on the command "
             "line, where other users and the shell history would see it)\n";
      return 1;
    }
    std::getline(in, u.password);
    while (!u.password.empty() && (u.password.back() == '\r' || u.password.back() == '\n'))
      u.password.pop_back();
  }
  try {
    ArchiveIndex index(indexPath(a.data), 1);  // creates the archive tables of a new directory
    AccessService access(indexPath(a.data), AccessSettings{});
    AuditService audit(a.data / "index.sqlite");
    NewAccount n;
    n.login = u.login;
    n.role = a.role;
    n.cims = u.cims;
    n.rpps = u.rpps;
    n.display_name = u.display_name;
    n.password = u.password;
    n.totp = u.totp;
    auto secrets = AccountAdmin(access, &audit).create(n, kCliActor);
    out << "User " << u.login << " added as " << roleName(u.role);
    if (!u.cims.empty()) {
      out << " for";
      for (const auto& c : u.cims) out << " " << c;
    }
    out << "\n";
    printTotpSecret(out, secrets);
    return 0;
  } catch (const AccessError& e) {
    err << "User not added: " << e.what() << "\n";
    return 1;
  } catch (const SecretKeyError& e) {
    err << "User not added: " << e.what() << "\n";
    return 1;
  }
}

int runAdminListUsers(const std::filesystem::path& data, std::ostream& out, std::ostream& err) {
  if (!archiveExists(data, err)) return 2;
  AccessService access(indexPath(data), AccessSettings{});
  const int64_t now = access.now();
  out << "login\trole\tcims\trpps\ttotp\tstate\n";
  for (const auto& u : access.users()) {
    std::string cims;
    for (const auto& c : u.cims) cims += (cims.empty() ? "" : ",") + c;
    out << u.login << "\t" << u.role << "\t" << (cims.empty() ? "-" : cims) << "\t"
        << (u.rpps.empty() ? "-" : u.rpps) << "\t" << (u.totp_secret.empty() ? "no" : "yes") << "\t"
        << (u.disabled             ? "disabled"
            : u.locked_until > now ? "locked"
                                   : "active")
        << "\n";
  }
  return 0;
}

int runAdminAddToken(const std::filesystem::path& data, const std::string& login,
                     const std::string& role, const std::string& cim, std::ostream& out,
                     std::ostream& err) {
  if (role != "gateway") {
    err << "bearer tokens are for gateway accounts (--role gateway)\n";
    return 1;
  }
  std::filesystem::create_directories(data);
  try {
    ArchiveIndex index(indexPath(data), 1);
    AccessService access(indexPath(data), AccessSettings{});
    AuditService audit(data / "index.sqlite");
    AccountAdmin admin(access, &audit);
    auto existing = access.store().user(login);
    if (!existing) {
      NewAccount n;
      n.login = login;
      n.role = "gateway";
      if (!cim.empty()) n.cims = {cim};
      admin.create(n, kCliActor);
      out << "Gateway account " << login << " added for " << cim << "\n";
    } else if (existing->role != "gateway" ||
               (!cim.empty() && (existing->cims.size() != 1 || existing->cims[0] != cim))) {
      err << "the account " << login << " exists as " << existing->role << " for another centre\n";
      return 1;
    }
    const IssuedToken token = admin.issueToken(login, kCliActor);
    out << "Bearer token " << token.id << " for " << login
        << " (shown once; only its hash is kept):\n"
        << token.token << "\n";
    return 0;
  } catch (const AccessError& e) {
    err << "Token not created: " << e.what() << "\n";
    return 1;
  }
}

int runAdminAccount(const AccountCommandArgs& a, std::istream& in, std::ostream& out,
                    std::ostream& err) {
  if (!archiveExists(a.data, err)) return 2;
  const int actions = a.disable + a.enable + a.unlock + a.reset_totp + a.remove_totp +
                      a.password_stdin + a.generate_password + a.cert_cn.has_value();
  if (actions != 1) {
    err << "give exactly one of --disable, --enable, --unlock, --reset-totp, --remove-totp, "
           "--password-stdin, --generate-password, --cert-cn\n";
    return 1;
  }
  try {
    AccessService access(indexPath(a.data), AccessSettings{});
    AuditService audit(a.data / "index.sqlite");
    AccountAdmin admin(access, &audit);
    AccountSecrets secrets;
    if (a.cert_cn) {
      AccountChange c;
      c.cert_cn = *a.cert_cn;
      admin.change(a.login, c, kCliActor);
      out << "Account " << a.login
          << (a.cert_cn->empty() ? " no longer accepts a client certificate"
                                 : " authenticates with the client certificate CN " + *a.cert_cn)
          << "\n";
    } else if (a.disable || a.enable) {
      admin.setDisabled(a.login, a.disable, kCliActor);
      out << "Account " << a.login << (a.disable ? " disabled" : " enabled") << "\n";
    } else if (a.unlock) {
      admin.unlock(a.login, kCliActor);
      out << "Account " << a.login << " unlocked\n";
    } else if (a.reset_totp || a.remove_totp) {
      secrets = admin.resetTotp(a.login, a.reset_totp, kCliActor);
      out << "Second factor of " << a.login << (a.reset_totp ? " reset" : " removed") << "\n";
    } else {
      std::optional<std::string> password;
      if (a.password_stdin) {
        std::string line;
        std::getline(in, line);
        while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
        password = line;
      }
      secrets = admin.resetPassword(a.login, password, kCliActor);
      out << "Password of " << a.login << " reset\n";
    }
    if (secrets.password)
      out << "New password (shown once; give it to its owner): " << *secrets.password << "\n";
    printTotpSecret(out, secrets);
    return 0;
  } catch (const AccessError& e) {
    err << "Account not changed: " << e.what() << "\n";
    return 1;
  }
}

int runAdminWomanCode(const std::filesystem::path& data, const std::string& woman,
                      const std::string& round, std::ostream& out, std::ostream& err) {
  if (!archiveExists(data, err)) return 2;
  ArchiveIndex index(indexPath(data), 1);
  WomanRow row;
  int64_t id = 0;
  try {
    id = std::stoll(woman);
  } catch (const std::exception&) {
  }
  if (id < 1 || !index.getWoman(id, row)) {
    err << "no woman with id " << woman << " in this archive\n";
    return 1;
  }
  try {
    AccessService access(indexPath(data), AccessSettings{});
    AuditService(data / "index.sqlite")
        .record("admin-cli", "administrator", "access-code.issue", "woman", std::to_string(id),
                std::to_string(id), "cli", "{\"round\":\"" + round.substr(0, 32) + "\"}");
    out << access.issueWomanCode(std::to_string(id), round) << "\n";
    return 0;
  } catch (const AccessError& e) {
    err << e.what() << "\n";
    return 1;
  }
}

}  // namespace dualread
