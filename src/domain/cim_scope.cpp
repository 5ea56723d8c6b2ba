#include "domain/cim_scope.h"

#include <algorithm>

namespace dualread {

CimScope CimScope::only(std::vector<std::string> cims) {
  CimScope s;
  s.unrestricted_ = false;
  s.cims_ = std::move(cims);
  return s;
}

bool CimScope::covers(std::string_view issuer) const {
  if (unrestricted_) return true;
  return !issuer.empty() && std::find(cims_.begin(), cims_.end(), issuer) != cims_.end();
}

std::string CimScope::describe() const {
  if (unrestricted_) return "every imaging centre";
  if (cims_.empty()) return "no imaging centre";
  std::string s;
  for (const auto& c : cims_) s += (s.empty() ? "" : ", ") + c;
  return s;
}

CimScope cimScopeOf(const Principal& principal) {
  if (!isCimBound(principal.role)) return CimScope::everyCentre();
  return CimScope::only(principal.cims);
}

CimScope cimScopeOf(const DicomPeer* peer) {
  if (!peer || peer->cim.empty()) return CimScope::everyCentre();
  return CimScope::only({peer->cim});
}

SenderIssuerDecision decideSenderIssuer(const CimScope& sender, const std::string& issuer) {
  SenderIssuerDecision d;
  d.issuer = issuer;
  if (sender.covers(issuer)) {
    d.accepted = true;
    return d;
  }
  if (issuer.empty()) {
    if (sender.cims().size() == 1) {
      d.accepted = true;
      d.issuer = sender.cims().front();
      d.issuer_from_sender = true;
      return d;
    }
    d.sentence = sender.cims().empty()
                     ? "the sender is bound to no imaging centre, so it may not send images; "
                       "nothing stored"
                     : "the object has no IssuerOfPatientID (0010,0021) and the sender works "
                       "for several imaging centres (" +
                           sender.describe() + "); say which one; nothing stored";
    return d;
  }
  d.sentence = "not authorized: the object's IssuerOfPatientID (0010,0021) is '" +
               issuer.substr(0, 64) + "', another imaging centre than the sender's (" +
               sender.describe() + "); a centre sends only its own images, nothing stored";
  return d;
}

}  // namespace dualread
