#pragma once
// CimScope: the imaging centres (CIM) whose exams a caller may find, retrieve or send — every
// centre (the regional centre's staff, an unbound DICOM peer such as a regional PACS) or a list
// (a CIM-bound account, gateway token or DICOM peer). An exam belongs to the CIM its patient's
// IssuerOfPatientID (0010,0021) names: the CIM's RIS assigns the IPP, and identity vigilance
// keys each IPP by that issuer (docs/notes/identity.md). The HTTP access gate, the DICOM query
// engine and ingest all use this one rule. Pure values and functions, no I/O; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "domain/access_role.h"
#include "domain/dicom_peer.h"

namespace dualread {

class CimScope {
 public:
  // Every imaging centre (the default).
  CimScope() = default;
  static CimScope everyCentre() { return CimScope(); }
  // Only these centres; an empty list reaches nothing (fail closed).
  static CimScope only(std::vector<std::string> cims);

  bool unrestricted() const { return unrestricted_; }
  // The centres of a restricted scope (empty when unrestricted).
  const std::vector<std::string>& cims() const { return cims_; }
  // True when an exam whose patient's IssuerOfPatientID is `issuer` is within the scope.
  bool covers(std::string_view issuer) const;
  // "every imaging centre", "CIM01", "CIM01, CIM02" — for log lines and refusals.
  std::string describe() const;

 private:
  bool unrestricted_ = true;
  std::vector<std::string> cims_;
};

// The scope of an authenticated HTTP caller: its CIMs for CIM-bound roles (l1 radiologist,
// technologist, gateway), every centre otherwise. Row rules for doctors, women and share links
// are separate (they are about women, not centres).
CimScope cimScopeOf(const Principal& principal);
// The scope of a DICOM peer: its `cim` when it names one; every centre for a peer without a CIM
// (the regional centre's own AEs, a regional PACS) and for `peer == nullptr` (hub --open).
CimScope cimScopeOf(const DicomPeer* peer);

// What ingest does with an object's IssuerOfPatientID given who sent it.
struct SenderIssuerDecision {
  bool accepted = false;
  // The issuer to index the object under: the object's own, or — when it has none and the
  // sender works for exactly one centre — the sender's centre.
  std::string issuer;
  bool issuer_from_sender = false;
  std::string sentence;  // why it was refused, for the sender and the log
};

// The rule "a CIM-bound sender sends only its own centre's images": an unrestricted sender's
// object keeps its issuer; a bound sender's object must name one of its centres, or none (it is
// then attributed to the sender's centre, which identity vigilance then keys its IPP under; a
// sender bound to several centres must say which). Any other issuer — another centre's, or a
// value that is no centre of this sender — is refused: indexed under it, the images would be
// attributed to a centre that did not make them and be invisible to the one that did.
SenderIssuerDecision decideSenderIssuer(const CimScope& sender, const std::string& issuer);

}  // namespace dualread
