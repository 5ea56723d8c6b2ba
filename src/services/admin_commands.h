#pragma once
// `dualread admin ...`: the operator's commands on the access-control store of a data
// directory — add a user (password read from stdin, never from the command line), list users,
// add a gateway's bearer token, issue a woman's access code. Each writes sentences to `out`
// and `err` and returns the exit code (0 done, 1 refused, 2 no archive). Run while the hub
// runs or not (SQLite WAL).

#include <filesystem>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace dualread {

struct AddUserArgs {
  std::filesystem::path data;
  std::string login, role, rpps, name;
  std::vector<std::string> cims;
  bool totp = false;
  bool password_stdin = false;
};

int runAdminAddUser(const AddUserArgs& a, std::istream& in, std::ostream& out, std::ostream& err);
int runAdminListUsers(const std::filesystem::path& data, std::ostream& out, std::ostream& err);
// Creates the gateway account `login` bound to `cim` if absent, then prints a new token.
int runAdminAddToken(const std::filesystem::path& data, const std::string& login,
                     const std::string& role, const std::string& cim, std::ostream& out,
                     std::ostream& err);
// One change to an existing account, by the same service as the REST routes (AccountAdmin):
// exactly one of the actions. The way back in when the administrators locked themselves out.
struct AccountCommandArgs {
  std::filesystem::path data;
  std::string login;
  bool disable = false, enable = false, unlock = false;
  bool reset_totp = false, remove_totp = false;
  bool password_stdin = false;  // the new password on stdin
  bool generate_password = false;
  std::optional<std::string> cert_cn;  // gateways: bind ("" unbinds) a client-certificate CN
};
int runAdminAccount(const AccountCommandArgs& a, std::istream& in, std::ostream& out,
                    std::ostream& err);

int runAdminWomanCode(const std::filesystem::path& data, const std::string& woman,
                      const std::string& round, std::ostream& out, std::ostream& err);

}  // namespace dualread
