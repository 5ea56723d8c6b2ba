#include "domain/access_role.h"

#include <cctype>

namespace dualread {

namespace {

struct RoleEntry {
  Role role;
  std::string_view name;
};

constexpr RoleEntry kRoles[] = {
    {Role::kAdministrator, "administrator"},
    {Role::kCoordinator, "coordinator"},
    {Role::kSecretary, "secretary"},
    {Role::kL2Radiologist, "l2_radiologist"},
    {Role::kL1Radiologist, "l1_radiologist"},
    {Role::kTechnologist, "technologist"},
    {Role::kGateway, "gateway"},
    {Role::kDoctor, "doctor"},
    {Role::kWoman, "woman"},
    {Role::kShareLink, "share_link"},
    {Role::kOpen, "open"},
};

}  // namespace

const std::vector<Role>& accountRoles() {
  static const std::vector<Role> kAll = {
      Role::kAdministrator, Role::kCoordinator,   Role::kSecretary,
      Role::kL2Radiologist, Role::kL1Radiologist, Role::kTechnologist,
      Role::kGateway,       Role::kDoctor,        Role::kWoman};
  return kAll;
}

std::string_view roleName(Role role) {
  for (const auto& r : kRoles)
    if (r.role == role) return r.name;
  return "unknown";
}

std::optional<Role> parseRole(std::string_view name) {
  for (Role r : accountRoles())
    if (roleName(r) == name) return r;
  return std::nullopt;
}

bool isCimBound(Role role) {
  return role == Role::kL1Radiologist || role == Role::kTechnologist || role == Role::kGateway;
}

bool needsCim(Role role) { return isCimBound(role); }

bool needsRpps(Role role) { return role == Role::kDoctor; }

bool isStaff(Role role) {
  return role != Role::kGateway && role != Role::kWoman && role != Role::kShareLink &&
         role != Role::kOpen;
}

std::string Principal::auditRole() const {
  std::string r(roleName(role));
  if (isCimBound(role) && !cims.empty()) {
    r += "@";
    for (size_t i = 0; i < cims.size(); ++i) r += (i ? "," : "") + cims[i];
  }
  return r;
}

std::string loginProblem(std::string_view login) {
  if (login.size() < 3 || login.size() > 64) return "a login has 3 to 64 characters";
  if (!std::isalnum(static_cast<unsigned char>(login[0])))
    return "a login starts with a letter or a digit";
  for (char c : login) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return "a login uses only lower-case letters, digits, '.', '_' and '-'";
  }
  return {};
}

std::string rppsProblem(std::string_view rpps) {
  if (rpps.size() != 11) return "an RPPS number has 11 digits";
  for (char c : rpps)
    if (c < '0' || c > '9') return "an RPPS number has 11 digits";
  return {};
}

std::string cimProblem(std::string_view cim) {
  if (cim.empty() || cim.size() > 64) return "a CIM id has 1 to 64 characters";
  for (char c : cim)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return "a CIM id uses only letters, digits, '.', '_' and '-'";
  return {};
}

}  // namespace dualread
