#include "dicom/priors_scu.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/scu.h>

namespace dualread {
namespace {

std::string trim(const OFString& s) {
  std::string v = s.c_str();
  while (!v.empty() && (v.back() == ' ' || v.back() == '\0')) v.pop_back();
  return v;
}

// An association to the PACS offering one query/retrieve model.
void connect(DcmSCU& scu, const RemoteAe& pacs, const std::string& calling, const char* sop_class,
             int timeout) {
  scu.setAETitle(calling.c_str());
  scu.setPeerAETitle(pacs.aet.c_str());
  scu.setPeerHostName(pacs.host.c_str());
  scu.setPeerPort(pacs.port);
  scu.setACSETimeout(static_cast<Uint32>(timeout));
  scu.setDIMSETimeout(static_cast<Uint32>(timeout));
  scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  scu.setConnectionTimeout(timeout);
  OFList<OFString> ts;
  ts.push_back(UID_LittleEndianExplicitTransferSyntax);
  ts.push_back(UID_LittleEndianImplicitTransferSyntax);
  scu.addPresentationContext(sop_class, ts);
  const std::string who =
      "the PACS " + pacs.aet + " at " + pacs.host + ":" + std::to_string(pacs.port);
  OFCondition c = scu.initNetwork();
  if (c.bad()) throw PacsError("cannot initialise the network for " + who + ": " + c.text());
  c = scu.negotiateAssociation();
  if (c.bad()) throw PacsError("cannot open an association with " + who + ": " + c.text());
  if (scu.findPresentationContextID(sop_class, "") == 0) {
    scu.releaseAssociation();
    throw PacsError(who + " does not provide study root query/retrieve");
  }
}

}  // namespace

std::vector<PacsStudy> findPatientStudies(const RemoteAe& pacs, const std::string& calling_aet,
                                          const std::string& patient_id, int timeout_seconds) {
  DcmSCU scu;
  connect(scu, pacs, calling_aet, UID_FINDStudyRootQueryRetrieveInformationModel, timeout_seconds);
  DcmDataset q;
  q.putAndInsertString(DCM_QueryRetrieveLevel, "STUDY");
  q.putAndInsertString(DCM_PatientID, patient_id.c_str());
  q.putAndInsertString(DCM_StudyInstanceUID, "");
  q.putAndInsertString(DCM_StudyDate, "");
  q.putAndInsertString(DCM_ModalitiesInStudy, "");
  OFList<QRResponse*> responses;
  OFCondition c = scu.sendFINDRequest(
      scu.findPresentationContextID(UID_FINDStudyRootQueryRetrieveInformationModel, ""), &q,
      &responses);
  std::vector<PacsStudy> out;
  uint16_t final_status = 0;
  for (QRResponse* r : responses) {
    if (r->m_dataset) {
      PacsStudy s;
      OFString v;
      if (r->m_dataset->findAndGetOFString(DCM_StudyInstanceUID, v).good()) s.study_uid = trim(v);
      if (r->m_dataset->findAndGetOFString(DCM_StudyDate, v).good()) s.study_date = trim(v);
      if (r->m_dataset->findAndGetOFStringArray(DCM_ModalitiesInStudy, v).good())
        s.modalities = trim(v);
      if (!s.study_uid.empty()) out.push_back(std::move(s));
    }
    final_status = r->m_status;
    delete r;
  }
  scu.releaseAssociation();
  if (c.bad()) throw PacsError(std::string("the C-FIND to the PACS failed: ") + c.text());
  if (final_status != 0 && final_status != 0xFF00 && final_status != 0xFF01)
    throw PacsError("the PACS refused the C-FIND (status " + std::to_string(final_status) + ")");
  return out;
}

MoveOutcome moveStudy(const RemoteAe& pacs, const std::string& calling_aet,
                      const std::string& study_uid, const std::string& destination_aet,
                      int timeout_seconds) {
  DcmSCU scu;
  connect(scu, pacs, calling_aet, UID_MOVEStudyRootQueryRetrieveInformationModel, timeout_seconds);
  DcmDataset q;
  q.putAndInsertString(DCM_QueryRetrieveLevel, "STUDY");
  q.putAndInsertString(DCM_StudyInstanceUID, study_uid.c_str());
  OFList<RetrieveResponse*> responses;
  OFCondition c = scu.sendMOVERequest(
      scu.findPresentationContextID(UID_MOVEStudyRootQueryRetrieveInformationModel, ""),
      destination_aet.c_str(), &q, &responses);
  MoveOutcome out;
  uint16_t final_status = 0;
  for (RetrieveResponse* r : responses) {
    out.completed = r->m_numberOfCompletedSubops;
    out.failed = r->m_numberOfFailedSubops;
    out.warning = r->m_numberOfWarningSubops;
    final_status = r->m_status;
    delete r;
  }
  scu.releaseAssociation();
  if (c.bad()) throw PacsError(std::string("the C-MOVE from the PACS failed: ") + c.text());
  if (final_status == 0xA801)
    throw PacsError("the PACS does not know the destination " + destination_aet +
                    " (declare the gateway as a DICOM modality in the PACS)");
  if ((final_status & 0xF000) == 0xA000 || (final_status & 0xF000) == 0xC000)
    throw PacsError("the PACS refused the C-MOVE (status " + std::to_string(final_status) + ")");
  return out;
}

}  // namespace dualread
