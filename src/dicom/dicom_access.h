#pragma once
// The DICOM half of the permission matrix at negotiation time: which DIMSE service a proposed
// presentation context would open (storage sent to the hub = store, storage received through
// C-GET = get, the query/retrieve models = find / move / get, verification = echo), so that
// the DICOM door accepts only the contexts a configured peer (domain/dicom_peer.h) may use.
// Stateless; thread-safe.

#include <dcmtk/dcmnet/assoc.h>

#include <optional>
#include <string>

#include "domain/dicom_peer.h"

namespace dualread {

// The service of a presentation context; nullopt for an abstract syntax the hub does not serve.
std::optional<DimseService> serviceOfContext(const std::string& abstract_syntax, bool is_storage,
                                             T_ASC_SC_ROLE proposed_role);

// True when `peer` (null = hub --open: everything) may use that context.
bool peerMayUse(const DicomPeer* peer, const std::string& abstract_syntax, bool is_storage,
                T_ASC_SC_ROLE proposed_role);

// The IP address of a DCMTK presentation address ("10.0.0.7" or "10.0.0.7:1234").
std::string hostOfPresentationAddress(const std::string& address);

}  // namespace dualread
