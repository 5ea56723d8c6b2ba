#include "dicom/dicom_access.h"

#include <dcmtk/dcmdata/dcuid.h>

namespace dualread {

std::optional<DimseService> serviceOfContext(const std::string& abstract_syntax, bool is_storage,
                                             T_ASC_SC_ROLE proposed_role) {
  if (is_storage)
    return proposed_role == ASC_SC_ROLE_SCP ? DimseService::kGet : DimseService::kStore;
  const std::string& a = abstract_syntax;
  if (a == UID_VerificationSOPClass) return DimseService::kEcho;
  if (a == UID_FINDPatientRootQueryRetrieveInformationModel ||
      a == UID_FINDStudyRootQueryRetrieveInformationModel)
    return DimseService::kFind;
  if (a == UID_MOVEPatientRootQueryRetrieveInformationModel ||
      a == UID_MOVEStudyRootQueryRetrieveInformationModel)
    return DimseService::kMove;
  if (a == UID_GETPatientRootQueryRetrieveInformationModel ||
      a == UID_GETStudyRootQueryRetrieveInformationModel)
    return DimseService::kGet;
  return std::nullopt;
}

bool peerMayUse(const DicomPeer* peer, const std::string& abstract_syntax, bool is_storage,
                T_ASC_SC_ROLE proposed_role) {
  if (!peer) return true;
  auto s = serviceOfContext(abstract_syntax, is_storage, proposed_role);
  return s && peer->allows(*s);
}

std::string hostOfPresentationAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon != std::string::npos && address.find(':') == colon) return address.substr(0, colon);
  return address;
}

}  // namespace dualread
