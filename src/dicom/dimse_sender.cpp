#include "dicom/dimse_sender.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>
#include <dcmtk/ofstd/ofstd.h>

#include <cstring>
#include <mutex>
#include <set>
#include <utility>

#include "dicom/dicom_tls.h"
#include "dicom/instance_reader.h"

namespace dualread {
namespace {

// "JPEG 2000 (Lossless only)": the words a technician sees in a PACS, not the UID keyword.
std::string tsName(const std::string& uid) {
  DcmXfer xfer(uid.c_str());
  if (xfer.getXfer() == EXS_Unknown) return uid;
  return xfer.getXferName();
}

std::string hex4(uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04X", v);
  return buf;
}

}  // namespace

void registerDicomDecoders() {
  static std::once_flag once;
  std::call_once(once, [] {
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
    // The JPEG-LS codec tells at INFO level that it ignores the modality LUT for every image:
    // noise in a technician's log.
    OFLog::getLogger("dcmtk.dcmjpls").setLogLevel(OFLogger::WARN_LOG_LEVEL);
  });
}

bool isNativeTransferSyntax(const std::string& ts) {
  return ts == UID_LittleEndianExplicitTransferSyntax ||
         ts == UID_LittleEndianImplicitTransferSyntax || ts == UID_BigEndianExplicitTransferSyntax;
}

std::unique_ptr<StoreSubOperations> StoreSubOperations::connect(
    const RemoteAe& destination, const std::string& calling_aet,
    const std::vector<InstanceRow>& instances, int timeout_seconds, std::string& error,
    const TlsConfig* tls) {
  std::unique_ptr<StoreSubOperations> s(new StoreSubOperations());
  s->owned_ = true;
  s->timeout_ = timeout_seconds;
  OFCondition cond = ASC_initializeNetwork(NET_REQUESTOR, 0, timeout_seconds, &s->net_);
  if (cond.bad()) {
    error = std::string("cannot initialise the network: ") + cond.text();
    return nullptr;
  }
  T_ASC_Parameters* params = nullptr;
  cond = ASC_createAssociationParameters(&params, ASC_DEFAULTMAXPDU);
  if (cond.bad()) {
    error = std::string("cannot prepare the association: ") + cond.text();
    return nullptr;
  }
  ASC_setAPTitles(params, calling_aet.c_str(), destination.aet.c_str(), nullptr);
  const std::string peer = destination.host + ":" + std::to_string(destination.port);
  ASC_setPresentationAddresses(params, OFStandard::getHostName().c_str(), peer.c_str());
  if (destination.tls) {
    if (!tls || !tls->enabled()) {
      error = destination.aet + " is configured with tls = true but the hub has no [tls] cert";
      ASC_destroyAssociationParameters(&params);
      return nullptr;
    }
    try {
      s->tls_layer_ = makeDicomTlsLayer(*tls, false);
    } catch (const std::exception& e) {
      error = e.what();
      ASC_destroyAssociationParameters(&params);
      return nullptr;
    }
    ASC_setTransportLayer(s->net_, s->tls_layer_.get(), 0);
    ASC_setTransportLayerType(params, OFTrue);
  }

  // One context per (SOP class, stored transfer syntax) proposing only that syntax, so the
  // destination either takes the bytes as stored or says no; one per SOP class for the
  // uncompressed fallback.
  std::set<std::pair<std::string, std::string>> exact;
  std::set<std::string> classes;
  for (const auto& i : instances) {
    exact.insert({i.sop_class, i.transfer_syntax});
    classes.insert(i.sop_class);
  }
  int id = 1;
  auto add = [&](const std::string& sop, std::vector<const char*> ts) {
    if (id > 255) return;
    ASC_addPresentationContext(params, static_cast<T_ASC_PresentationContextID>(id), sop.c_str(),
                               ts.data(), static_cast<int>(ts.size()));
    id += 2;
  };
  for (const auto& [sop, ts] : exact) {
    if (ts == UID_LittleEndianExplicitTransferSyntax ||
        ts == UID_LittleEndianImplicitTransferSyntax)
      continue;  // covered by the fallback context
    add(sop, {ts.c_str()});
  }
  for (const auto& sop : classes)
    add(sop, {UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax});

  cond = ASC_requestAssociation(s->net_, params, &s->assoc_);
  if (cond.bad()) {
    if (cond == DUL_ASSOCIATIONREJECTED) {
      T_ASC_RejectParameters rej;
      ASC_getRejectParameters(params, &rej);
      OFString why;
      ASC_printRejectParameters(why, &rej);
      error = destination.aet + " at " + peer + " rejected the association (" +
              std::string(why.c_str()) + ")";
    } else {
      error = "cannot open an association with " + destination.aet + " at " + peer + " (" +
              cond.text() + ")";
    }
    if (s->assoc_) {
      ASC_destroyAssociation(&s->assoc_);
    } else {
      ASC_destroyAssociationParameters(&params);
    }
    return nullptr;
  }
  if (ASC_countAcceptedPresentationContexts(s->assoc_->params) == 0) {
    error = destination.aet + " at " + peer + " accepted none of the image types proposed";
    s->release();
    return nullptr;
  }
  return s;
}

StoreSubOperations::StoreSubOperations(T_ASC_Association* assoc, int timeout_seconds)
    : assoc_(assoc), owned_(false), get_role_(true), timeout_(timeout_seconds) {}

StoreSubOperations::~StoreSubOperations() {
  if (owned_ && assoc_) {
    ASC_abortAssociation(assoc_);
    ASC_dropAssociation(assoc_);
    ASC_destroyAssociation(&assoc_);
  }
  if (net_) ASC_dropNetwork(&net_);
}

void StoreSubOperations::release() {
  if (!owned_ || !assoc_) return;
  if (ASC_releaseAssociation(assoc_).bad()) ASC_abortAssociation(assoc_);
  ASC_dropAssociation(assoc_);
  ASC_destroyAssociation(&assoc_);
}

T_ASC_PresentationContextID StoreSubOperations::choosePresentationContext(
    const InstanceRow& instance, std::string& accepted_ts) const {
  const char* preference[] = {UID_LittleEndianExplicitTransferSyntax,
                              UID_LittleEndianImplicitTransferSyntax,
                              UID_BigEndianExplicitTransferSyntax};
  T_ASC_PresentationContextID best = 0;
  int best_rank = 100;
  const int n = ASC_countPresentationContexts(assoc_->params);
  for (int i = 0; i < n; ++i) {
    T_ASC_PresentationContext pc;
    if (ASC_getPresentationContext(assoc_->params, i, &pc).bad()) continue;
    if (pc.resultReason != ASC_P_ACCEPTANCE) continue;
    if (instance.sop_class != pc.abstractSyntax) continue;
    if (get_role_ && pc.acceptedRole != ASC_SC_ROLE_SCP && pc.acceptedRole != ASC_SC_ROLE_SCUSCP)
      continue;
    const std::string ts = pc.acceptedTransferSyntax;
    int rank = 100;
    if (ts == instance.transfer_syntax) {
      rank = 0;
    } else {
      for (int k = 0; k < 3; ++k)
        if (ts == preference[k]) rank = 1 + k;
    }
    if (rank < best_rank) {
      best_rank = rank;
      best = pc.presentationContextID;
      accepted_ts = ts;
    }
  }
  return best;
}

SubOperationResult StoreSubOperations::send(const InstanceRow& instance,
                                            const std::filesystem::path& file,
                                            const std::string& move_originator_aet,
                                            uint16_t move_originator_id) {
  SubOperationResult r;
  std::string accepted;
  const T_ASC_PresentationContextID pc = choosePresentationContext(instance, accepted);
  if (pc == 0) {
    r.status = STATUS_MOVE_Refused_OutOfResourcesSubOperations;
    r.message = "the receiver accepted no presentation context for " +
                sopClassName(instance.sop_class) + " in " + tsName(instance.transfer_syntax) +
                " or uncompressed";
    return r;
  }

  T_DIMSE_C_StoreRQ req;
  std::memset(&req, 0, sizeof req);
  req.MessageID = assoc_->nextMsgID++;
  OFStandard::strlcpy(req.AffectedSOPClassUID, instance.sop_class.c_str(),
                      sizeof req.AffectedSOPClassUID);
  OFStandard::strlcpy(req.AffectedSOPInstanceUID, instance.sop_uid.c_str(),
                      sizeof req.AffectedSOPInstanceUID);
  req.DataSetType = DIMSE_DATASET_PRESENT;
  req.Priority = DIMSE_PRIORITY_MEDIUM;
  if (!move_originator_aet.empty()) {
    req.opts = O_STORE_MOVEORIGINATORAETITLE | O_STORE_MOVEORIGINATORID;
    OFStandard::strlcpy(req.MoveOriginatorApplicationEntityTitle, move_originator_aet.c_str(),
                        sizeof req.MoveOriginatorApplicationEntityTitle);
    req.MoveOriginatorID = move_originator_id;
  }

  T_DIMSE_C_StoreRSP rsp;
  std::memset(&rsp, 0, sizeof rsp);
  DcmDataset* detail = nullptr;
  T_DIMSE_DetectedCancelParameters cancel;
  std::memset(&cancel, 0, sizeof cancel);
  OFCondition cond;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    r.status = STATUS_MOVE_Refused_OutOfResourcesSubOperations;
    r.message =
        "the stored file of this image is missing (" + file.string() + "); run 'dualread fsck'";
    return r;
  }
  if (accepted == instance.transfer_syntax) {
    // As stored: DCMTK reads values from the file as it sends them.
    cond = DIMSE_storeUser(assoc_, pc, &req, file.c_str(), nullptr, nullptr, nullptr,
                           DIMSE_NONBLOCKING, timeout_, &rsp, &detail, &cancel,
                           static_cast<long>(std::filesystem::file_size(file, ec)));
  } else {
    DcmFileFormat ff;
    cond = ff.loadFile(file.c_str());
    if (cond.bad()) {
      r.status = STATUS_MOVE_Refused_OutOfResourcesSubOperations;
      r.message = "the stored file cannot be read (" + std::string(cond.text()) + ")";
      return r;
    }
    DcmDataset* ds = ff.getDataset();
    const E_TransferSyntax target = DcmXfer(accepted.c_str()).getXfer();
    if (DcmXfer(instance.transfer_syntax.c_str()).isEncapsulated()) {
      OFCondition c = ds->chooseRepresentation(target, nullptr);
      if (c.bad() || !ds->canWriteXfer(target)) {
        r.status = STATUS_MOVE_Refused_OutOfResourcesSubOperations;
        r.message = "the image is stored as " + tsName(instance.transfer_syntax) +
                    ", the receiver accepts only uncompressed images, and the hub cannot "
                    "decompress this syntax (" +
                    std::string(c.text()) + ")";
        return r;
      }
    } else if (!ds->canWriteXfer(target)) {
      r.status = STATUS_MOVE_Refused_OutOfResourcesSubOperations;
      r.message = "the image cannot be converted from " + tsName(instance.transfer_syntax) +
                  " to " + tsName(accepted);
      return r;
    }
    cond = DIMSE_storeUser(assoc_, pc, &req, nullptr, ds, nullptr, nullptr, DIMSE_NONBLOCKING,
                           timeout_, &rsp, &detail, &cancel);
  }
  delete detail;
  r.cancelled = cancel.cancelEncountered;
  if (cond.bad()) {
    r.connection_lost = true;
    r.status = STATUS_MOVE_Refused_OutOfResourcesSubOperations;
    r.message = std::string("sending failed (") + cond.text() + ")";
    return r;
  }
  r.status = rsp.DimseStatus;
  if (rsp.DimseStatus == STATUS_Success) {
    r.outcome = SubOperationResult::Outcome::kCompleted;
  } else if ((rsp.DimseStatus & 0xF000) == 0xB000) {
    r.outcome = SubOperationResult::Outcome::kWarning;
    r.message = "the receiver stored it with warning " + hex4(rsp.DimseStatus);
  } else {
    r.outcome = SubOperationResult::Outcome::kFailed;
    r.message = "the receiver refused it with status " + hex4(rsp.DimseStatus);
  }
  return r;
}

}  // namespace dualread
