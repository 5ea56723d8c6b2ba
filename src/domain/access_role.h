#pragma once
// The people and machines that use the hub (SCREENING.md §2) as access control knows them: a
// Role, and the Principal an authenticated request acts as — login, role, the imaging centres
// (CIM) it is bound to, its RPPS (doctors, radiologists) or the woman it is. Pure values and
// functions, no I/O; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dualread {

enum class Role {
  kAdministrator,  // users, configuration; no clinical data
  kCoordinator,    // CRCDC medical coordinator: everything clinical, audit, investigations
  kSecretary,      // CRCDC secretariat: files, sessions, CTI, letters, access codes
  kL2Radiologist,  // second reader at the centre: every CIM's images (priors), own sessions
  kL1Radiologist,  // first reader, bound to one or more CIMs: their exams only
  kTechnologist,   // MERM at a CIM: that CIM's exams only
  kGateway,        // a CIM's gateway (machine, bearer token): that CIM's exams only
  kDoctor,         // GP / gynaecologist (RPPS): the women who named her
  kWoman,          // the woman herself (portal): her own data
  kShareLink,      // holder of a share link: one exam (not a user account)
  kOpen,           // the hub runs --open: no credentials (development, tests)
};

// Every role a user account can have (not kShareLink / kOpen), in the matrix's order.
const std::vector<Role>& accountRoles();

// "administrator", "coordinator", "secretary", "l2_radiologist", "l1_radiologist",
// "technologist", "gateway", "doctor", "woman", "share_link", "open".
std::string_view roleName(Role role);
// nullopt for an unknown name (only account roles parse).
std::optional<Role> parseRole(std::string_view name);

// True for roles that only see the exams of their CIM(s).
bool isCimBound(Role role);
// True for roles whose accounts must name at least one CIM (l1_radiologist may name several,
// technologist and gateway exactly one).
bool needsCim(Role role);
// True for roles whose accounts must carry an RPPS (doctor).
bool needsRpps(Role role);
// True for roles that may add a TOTP second factor (staff with a password).
bool isStaff(Role role);

struct Principal {
  std::string login;  // account login; "woman:<id>" for a woman; "share:<id>"
  Role role = Role::kOpen;
  std::vector<std::string> cims;  // CIM ids (CIM-bound roles)
  std::string rpps;               // doctors and radiologists, when known
  std::string display_name;       // the account's name, when it has one (signatures)
  std::string woman_id;           // kWoman: herself
  std::string method;             // "session", "token", "basic", "portal", "share", "open"
  std::string session_id_hash;    // cookie sessions: the stored hash of the session id
  std::string csrf_token;         // cookie sessions: what state-changing requests must echo

  bool hasCim(const std::string& cim) const {
    for (const auto& c : cims)
      if (c == cim) return true;
    return false;
  }
  // The audit trail's role field: the role, and "@CIM01,CIM02" for CIM-bound roles.
  std::string auditRole() const;
};

// A login is 3 to 64 characters of [a-z0-9._-], starting with a letter or digit. Returns the
// problem as a sentence, or empty.
std::string loginProblem(std::string_view login);
// An RPPS is 11 digits. Returns the problem as a sentence, or empty.
std::string rppsProblem(std::string_view rpps);
// A CIM id is 1 to 64 characters of [A-Za-z0-9._-]. Returns the problem, or empty.
std::string cimProblem(std::string_view cim);

}  // namespace dualread
