#include "domain/dicom_peer.h"

#include <algorithm>

namespace dualread {

std::optional<DimseService> parseDimseService(const std::string& name) {
  if (name == "echo") return DimseService::kEcho;
  if (name == "store") return DimseService::kStore;
  if (name == "find") return DimseService::kFind;
  if (name == "move") return DimseService::kMove;
  if (name == "get") return DimseService::kGet;
  return std::nullopt;
}

const char* dimseServiceName(DimseService s) {
  switch (s) {
    case DimseService::kEcho:
      return "echo";
    case DimseService::kStore:
      return "store";
    case DimseService::kFind:
      return "find";
    case DimseService::kMove:
      return "move";
    case DimseService::kGet:
      return "get";
  }
  return "?";
}

bool DicomPeer::allows(DimseService s) const {
  return s == DimseService::kEcho ||
         std::find(services.begin(), services.end(), s) != services.end();
}

DicomPeerDecision decideDicomPeer(const std::vector<DicomPeer>& peers, bool open,
                                  const std::string& calling_aet, const std::string& host) {
  DicomPeerDecision d;
  for (const auto& p : peers) {
    if (p.aet != calling_aet) continue;
    if (!p.hosts.empty() && std::find(p.hosts.begin(), p.hosts.end(), host) == p.hosts.end()) {
      if (open) break;
      d.sentence = "the AE title '" + calling_aet + "' is allowed only from " +
                   [&] {
                     std::string s;
                     for (const auto& h : p.hosts) s += (s.empty() ? "" : ", ") + h;
                     return s;
                   }() +
                   ", not from " + host;
      return d;
    }
    d.accepted = true;
    d.peer = &p;
    return d;
  }
  if (open) {
    d.accepted = true;
    return d;
  }
  d.sentence = "the calling AE title '" + calling_aet +
               "' is not a configured DICOM peer of this hub (add it as a [[dicom_peer]])";
  return d;
}

}  // namespace dualread
