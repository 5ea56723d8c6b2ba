#pragma once
// DICOM TLS (PS3.15 Annex B, BCP 195 profile) on DCMTK's dcmtls: builds the transport layer
// of the hub's TLS DICOM port (acceptor) or of an association it opens to a remote AE with
// tls = true (requestor), from [tls]. The acceptor verifies client certificates as [tls]
// client_cert says; the requestor shows the hub's certificate and verifies the remote's
// against [tls] ca. A layer is shared read-only by the associations of one T_ASC_Network and
// must outlive it.

#include <dcmtk/dcmtls/tlslayer.h>

#include <memory>
#include <string>

#include "services/hub_config.h"

namespace dualread {

// Throws std::runtime_error with a sentence when a file cannot be used.
std::unique_ptr<DcmTLSTransportLayer> makeDicomTlsLayer(const TlsConfig& tls, bool acceptor);

// Subject CN of the certificate the peer of an open TLS association showed; empty otherwise.
std::string peerCertificateCn(T_ASC_Association* assoc);

}  // namespace dualread
