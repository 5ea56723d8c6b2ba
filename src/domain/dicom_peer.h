#pragma once
// DicomPeer: a DICOM application entity allowed to open associations with the hub — its calling
// AE title, the CIM it belongs to, the addresses it may come from and the DIMSE services it may
// use (the DICOM half of the permission matrix, docs/permissions.md). decideDicomPeer() is the
// rule the DICOM door applies. Pure values and functions, no I/O; thread-safe.

#include <optional>
#include <string>
#include <vector>

namespace dualread {

enum class DimseService { kEcho, kStore, kFind, kMove, kGet };

// "echo", "store", "find", "move", "get"; nullopt for anything else.
std::optional<DimseService> parseDimseService(const std::string& name);
const char* dimseServiceName(DimseService s);

struct DicomPeer {
  std::string aet;                     // calling AE title
  std::string cim;                     // the CIM it belongs to (empty: the centre itself)
  std::vector<std::string> hosts;      // allowed source IP addresses; empty = any
  std::vector<DimseService> services;  // allowed services; C-ECHO is always allowed
  bool allows(DimseService s) const;
};

struct DicomPeerDecision {
  bool accepted = false;
  const DicomPeer* peer = nullptr;  // the matching peer when accepted
  std::string sentence;             // why it was refused, for the log
};

// `open` (hub --open): every peer is accepted with every service. Otherwise the calling AE must
// be listed and, when the peer lists hosts, `host` (an IP address, without port) must be one of
// them. `peers` must outlive the decision.
DicomPeerDecision decideDicomPeer(const std::vector<DicomPeer>& peers, bool open,
                                  const std::string& calling_aet, const std::string& host);

}  // namespace dualread
