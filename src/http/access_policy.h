#pragma once
// The permission matrix in code: for every HTTP route (method + pattern, exactly as registered
// in the Router) the roles allowed to call it, whether it is public, and the row-level rule the
// gate applies to the object named in the path or query. docs/permissions.md is the same table
// in words; a unit test checks that every registered route has an entry here, and another one
// walks the whole matrix (role x route, allowed and refused). Immutable after start-up;
// thread-safe.

#include <map>
#include <string>
#include <vector>

#include "domain/access_role.h"

namespace dualread::http {

// What the caller may see among the objects a route can reach, beyond its role.
enum class RowRule {
  kNone,            // the role is enough
  kStudy,           // {study}: a CIM-bound role only its CIMs' studies, a doctor only studies of
                    // women who named her, a woman only her own
  kWoman,           // {woman}: the same rule for a woman's record
  kSession,         // {session}: an L2 radiologist only her own reading sessions
  kSessionsReader,  // ?reader=RPPS: an L2 radiologist only her own RPPS
  kCtiCim,          // ?cim=ID: a CIM-bound role only its CIMs
  kQido,            // QIDO-RS over all studies: a CIM-bound role is restricted to its CIM
                    // (IssuerOfPatientID is forced)
};

struct RoutePolicy {
  std::string method;
  std::string pattern;
  bool is_public = false;  // no authentication (login, portal login, share links, health)
  std::vector<Role> roles;
  RowRule rule = RowRule::kNone;

  bool allows(Role r) const;
};

// The table, in the order of docs/permissions.md.
const std::vector<RoutePolicy>& routePolicies();

// The entry for (method, pattern), or nullptr.
const RoutePolicy* policyFor(const std::string& method, const std::string& pattern);

// The entry whose pattern matches `segments` (decoded path segments) with `method`, with the
// {named} segments in `params`; nullptr when none.
const RoutePolicy* matchPolicy(const std::string& method, const std::vector<std::string>& segments,
                               std::map<std::string, std::string>& params);

std::string_view rowRuleName(RowRule r);

}  // namespace dualread::http
