// DimseServer: accept loop + one thread per association on DCMTK's raw ASC_/DIMSE_ API (the
// pattern of dcmnet/apps/storescp.cc and dcmqrdb). Chosen over DcmSCPPool because the hub
// needs what DcmSCP 3.6.7 does not give: the association itself for C-GET sub-operations, a
// bind address (DCMTK always listens on INADDR_ANY), and a stop() that ends idle associations
// within a second.
//
// Binding: the hub opens and accepts its own listening socket on config.bind_address, then
// hands each accepted socket to DCMTK through dcmExternalSocketHandle, the library's hook for
// sockets accepted elsewhere (inetd). That global is process-wide, so every use is serialised
// by external_socket_mutex and limited to the reading of the A-ASSOCIATE-RQ (we wait for its first
// bytes before taking the lock).

#include "dicom/dimse_server.h"

#include <arpa/inet.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrmf.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/dcmnet/dul.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <iterator>
#include <list>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "dicom/dicom_access.h"
#include "dicom/dicom_tls.h"
#include "dicom/dimse_query.h"
#include "dicom/dimse_sender.h"
#include "dicom/direct_output_stream.h"
#include "dicom/instance_reader.h"
#include "domain/cim_scope.h"
#include "domain/view_classifier.h"
#include "services/audit_service.h"
#include "storage/direct_file_writer.h"

namespace fs = std::filesystem;

namespace dualread {
namespace {

constexpr int kAcseTimeoutSeconds = 30;
constexpr int kDimseTimeoutSeconds = 60;
constexpr int kIdleLimitSeconds = 600;
constexpr long kMaxReceivePdu = ASC_MAXIMUMPDUSIZE;
constexpr auto kStopGrace = std::chrono::seconds(5);

std::mutex external_socket_mutex;

// Written in the meta header of every received file. Fixed (not DCMTK's, which changes with
// its version) so that a file's bytes never depend on the hub's build.
constexpr const char* kImplementationClassUid = "1.2.826.0.1.3680043.10.1011.0.1";
constexpr const char* kImplementationVersionName = "DUALREAD";

// Storage transfer syntaxes, most wanted first. Lossless compressed ones come before the
// uncompressed ones (a sender offering both keeps its compressed bytes), lossy ones last (a
// sender that can send either must not be asked to degrade a mammogram).
const char* const kStorageSyntaxes[] = {
    UID_JPEGLSLosslessTransferSyntax,
    UID_JPEG2000LosslessOnlyTransferSyntax,
    UID_JPEGProcess14SV1TransferSyntax,
    UID_JPEGProcess14TransferSyntax,
    UID_RLELosslessTransferSyntax,
    UID_LittleEndianExplicitTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_JPEGLSLossyTransferSyntax,
    UID_JPEG2000TransferSyntax,
    UID_JPEGProcess1TransferSyntax,
    UID_JPEGProcess2_4TransferSyntax,
};

const char* const kQuerySyntaxes[] = {UID_LittleEndianExplicitTransferSyntax,
                                      UID_BigEndianExplicitTransferSyntax,
                                      UID_LittleEndianImplicitTransferSyntax};

const std::set<std::string>& nonStorageClasses() {
  static const std::set<std::string> k = {UID_VerificationSOPClass,
                                          UID_FINDPatientRootQueryRetrieveInformationModel,
                                          UID_FINDStudyRootQueryRetrieveInformationModel,
                                          UID_MOVEPatientRootQueryRetrieveInformationModel,
                                          UID_MOVEStudyRootQueryRetrieveInformationModel,
                                          UID_GETPatientRootQueryRetrieveInformationModel,
                                          UID_GETStudyRootQueryRetrieveInformationModel};
  return k;
}

std::string trim(const char* s) {
  std::string v = s ? s : "";
  while (!v.empty() && (v.back() == ' ' || v.back() == '\0')) v.pop_back();
  std::size_t b = 0;
  while (b < v.size() && v[b] == ' ') ++b;
  return v.substr(b);
}

std::string hex4(uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04X", v);
  return buf;
}

std::string megabytes(uint64_t bytes) {
  char buf[32];
  if (bytes < 100 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f kB", static_cast<double>(bytes) / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

// ErrorComment (0000,0902) is LO: 64 characters, no backslash, no control characters. Keeps the
// sentence up to its first ';' (our sentences put the detail after it), cut at a word.
std::string errorComment(const std::string& sentence) {
  std::string s = sentence.substr(0, sentence.find(';'));
  for (auto& c : s)
    if (c == '\\' || static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  if (s.size() > 64) {
    s.resize(64);
    auto sp = s.rfind(' ');
    if (sp > 40) s.resize(sp);
  }
  return s;
}

// Preamble, "DICM" and a File Meta Information group built only from the object's identity
// and transfer syntax (explicit VR little endian, as PS3.10 requires).
std::string partTenHeader(const std::string& sop_class, const std::string& sop_uid,
                          const std::string& ts) {
  std::string group;
  auto put16 = [](std::string& s, uint16_t v) {
    s.push_back(static_cast<char>(v & 0xFF));
    s.push_back(static_cast<char>(v >> 8));
  };
  auto put32 = [&](std::string& s, uint32_t v) {
    put16(s, static_cast<uint16_t>(v & 0xFFFF));
    put16(s, static_cast<uint16_t>(v >> 16));
  };
  auto element = [&](uint16_t elem, const char* vr, std::string value, char pad) {
    if (value.size() % 2) value.push_back(pad);
    put16(group, 0x0002);
    put16(group, elem);
    group.append(vr, 2);
    if (std::string(vr) == "OB") {
      put16(group, 0);
      put32(group, static_cast<uint32_t>(value.size()));
    } else {
      put16(group, static_cast<uint16_t>(value.size()));
    }
    group += value;
  };
  element(0x0001, "OB", std::string("\x00\x01", 2), '\0');
  element(0x0002, "UI", sop_class, '\0');
  element(0x0003, "UI", sop_uid, '\0');
  element(0x0010, "UI", ts, '\0');
  element(0x0012, "UI", kImplementationClassUid, '\0');
  element(0x0013, "SH", kImplementationVersionName, ' ');
  std::string out(128, '\0');
  out += "DICM";
  put16(out, 0x0002);
  put16(out, 0x0000);
  out += "UL";
  put16(out, 4);
  put32(out, static_cast<uint32_t>(group.size()));
  return out + group;
}

DIC_US clampCount(std::size_t n) { return static_cast<DIC_US>(n > 65535 ? 65535 : n); }

std::unique_ptr<DcmDataset> commentDetail(const std::string& comment) {
  if (comment.empty()) return nullptr;
  auto d = std::make_unique<DcmDataset>();
  d->putAndInsertString(DCM_ErrorComment, errorComment(comment).c_str());
  return d;
}

void rejectAssociation(T_ASC_Association* assoc, T_ASC_RejectParametersResult result,
                       T_ASC_RejectParametersSource source, T_ASC_RejectParametersReason reason) {
  T_ASC_RejectParameters rej;
  rej.result = result;
  rej.source = source;
  rej.reason = reason;
  ASC_rejectAssociation(assoc, &rej);
}

}  // namespace

// The hub's sink: the archive's ingest service.
class IngestSink final : public DimseStoreSink {
 public:
  explicit IngestSink(HubServices& s) : s_(s) {}
  fs::path newStagingPath() override { return s_.blobs.newStagingPath(); }
  IngestResult store(const fs::path& staged, const IngestSource& source,
                     const FileDigests& digests) override {
    return s_.ingest.ingestStagedFile(staged, source, digests);
  }

 private:
  HubServices& s_;
};

// The listening settings of a storage-only door (the gateway) in the hub's configuration shape:
// plain DICOM, any calling AE (the centre's own modalities and PACS on its LAN).
std::unique_ptr<HubConfig> doorHubConfig(const DimseDoorConfig& d) {
  auto c = std::make_unique<HubConfig>();
  c->aet = d.aet;
  c->bind_address = d.bind_address;
  c->dicom_port = d.port;
  c->dicom_max_associations = d.max_associations;
  c->open = true;
  return c;
}

struct DimseServer::Impl {
  explicit Impl(HubServices& s)
      : services(&s), config(s.config), own_sink(std::make_unique<IngestSink>(s)), sink(*own_sink) {
    door.aet = s.config.aet;
    door.accepted_sop_classes = s.ingest.options().accepted_sop_classes;
  }
  Impl(DimseDoorConfig d, DimseStoreSink& k)
      : own_config(doorHubConfig(d)), config(*own_config), door(std::move(d)), sink(k) {
    if (door.accepted_sop_classes.empty()) door.accepted_sop_classes = defaultAcceptedSopClasses();
  }

  HubServices* services = nullptr;  // null: storage-only door (gateway)
  std::unique_ptr<HubConfig> own_config;
  const HubConfig& config;
  DimseDoorConfig door;
  std::unique_ptr<DimseStoreSink> own_sink;
  DimseStoreSink& sink;
  int listen_fd = -1;
  int wake_fd = -1;
  T_ASC_Network* net = nullptr;
  // DICOM TLS ([tls] dicom_port): its own listening socket and DCMTK network with the TLS
  // layer; the plain port (listen_fd) is -1 when [tls] dicom_plain = false.
  int tls_listen_fd = -1;
  uint16_t tls_port = 0;
  T_ASC_Network* tls_net = nullptr;
  std::unique_ptr<DcmTLSTransportLayer> tls_layer;
  std::thread acceptor;
  std::atomic<bool> stopping{false};
  bool started = false;

  struct Connection {
    std::mutex mu;
    int fd = -1;       // our copy of the socket, for shutdown() at stop; DCMTK owns a dup()
    bool tls = false;  // accepted on the TLS DICOM port
    std::string ip;
    std::thread thread;
    std::atomic<bool> finished{false};
  };
  std::mutex conns_mu;
  std::condition_variable conns_cv;
  std::list<std::unique_ptr<Connection>> conns;
  std::mutex active_mu;
  int active_associations = 0;

  void acceptLoop();
  void reapFinished();
  void serve(Connection& c);
  // `peer`: the configured peer whose services bound what is accepted; null = everything.
  void negotiate(T_ASC_Association* assoc, std::vector<std::string>& refused,
                 const DicomPeer* peer = nullptr);
};

// One accepted association: the requester's identity, counters for the closing log line, and
// the DIMSE service handlers. Lives on its worker thread.
class DimseSession {
 public:
  // `scope`: the imaging centres the peer may query, retrieve and send (its [[dicom_peer]]
  // cim); every centre for an unbound peer and under --open.
  DimseSession(HubServices* services, DimseStoreSink& sink, const DimseDoorConfig& door,
               const std::atomic<bool>& stopping, T_ASC_Association* assoc, CimScope scope)
      : s_(services),
        sink_(sink),
        door_(door),
        stopping_(stopping),
        assoc_(assoc),
        scope_(std::move(scope)) {
    calling_ = trim(assoc->params->DULparams.callingAPTitle);
    peer_ = trim(assoc->params->DULparams.callingPresentationAddress);
  }

  const std::string& calling() const { return calling_; }
  const std::string& peer() const { return peer_; }
  // Runs the command loop until release, abort, error or hub stop. Returns a phrase for the
  // closing log line ("released", "aborted by the peer"...).
  std::string run();

  int received = 0, refused = 0;
  uint64_t received_bytes = 0;

 private:
  OFCondition echo(T_DIMSE_C_EchoRQ& req, T_ASC_PresentationContextID pc);
  OFCondition store(T_DIMSE_C_StoreRQ& req, T_ASC_PresentationContextID pc);
  OFCondition find(T_DIMSE_C_FindRQ& req, T_ASC_PresentationContextID pc);
  OFCondition move(T_DIMSE_C_MoveRQ& req, T_ASC_PresentationContextID pc);
  OFCondition get(T_DIMSE_C_GetRQ& req, T_ASC_PresentationContextID pc);
  OFCondition receiveIdentifier(std::unique_ptr<DcmDataset>& out);
  // Records a DIMSE read in the audit trail before anything is sent, like the HTTP doors;
  // false (logged) when it could not be recorded: the request must then fail.
  bool auditRead(const std::string& action, const std::string& object_type,
                 const std::string& object_id, const std::optional<std::string>& woman_id,
                 const nlohmann::json& detail);

  struct StoreState {
    T_ASC_PresentationContextID pc = 0;
    fs::path staged;
    FileDigests digests;  // computed while receiving; empty if that failed
    bool handed_to_ingest = false;
    std::unique_ptr<DcmDataset> detail;
  };
  void finishStore(StoreState& st, T_DIMSE_C_StoreRQ& req, T_DIMSE_C_StoreRSP& rsp);

  // Runs the sub-operations of a C-MOVE (move=true) or C-GET and sends the responses.
  OFCondition retrieve(bool is_move, DIC_US msg_id, T_ASC_PresentationContextID pc,
                       const std::string& sop_class, const std::string& destination,
                       DcmDataset& identifier, const void* request);

  HubServices* s_;  // null on a storage-only door: no query or retrieve
  DimseStoreSink& sink_;
  const DimseDoorConfig& door_;
  const std::atomic<bool>& stopping_;
  T_ASC_Association* assoc_;
  CimScope scope_;
  std::string calling_, peer_;
};

std::string DimseSession::run() {
  int idle = 0;
  while (true) {
    T_DIMSE_Message msg;
    T_ASC_PresentationContextID pc = 0;
    DcmDataset* status_detail = nullptr;
    OFCondition cond =
        DIMSE_receiveCommand(assoc_, DIMSE_NONBLOCKING, 1, &pc, &msg, &status_detail);
    delete status_detail;
    if (cond == DIMSE_NODATAAVAILABLE) {
      if (stopping_) {
        ASC_abortAssociation(assoc_);
        return "closed: the hub is stopping";
      }
      if (++idle >= kIdleLimitSeconds) {
        ASC_abortAssociation(assoc_);
        return "closed after " + std::to_string(kIdleLimitSeconds) + " s without activity";
      }
      continue;
    }
    idle = 0;
    if (cond == DUL_PEERREQUESTEDRELEASE) {
      ASC_acknowledgeRelease(assoc_);
      return "released";
    }
    if (cond == DUL_PEERABORTEDASSOCIATION) return "aborted by the sender";
    if (cond.bad()) {
      ASC_abortAssociation(assoc_);
      return std::string("aborted after a network error (") + cond.text() + ")";
    }
    const bool is_query = msg.CommandField == DIMSE_C_FIND_RQ ||
                          msg.CommandField == DIMSE_C_MOVE_RQ || msg.CommandField == DIMSE_C_GET_RQ;
    if (is_query && !s_) {
      spdlog::warn("{} ({}) sent a query or retrieve, which this {} does not provide; closing",
                   calling_, peer_, door_.door_name);
      ASC_abortAssociation(assoc_);
      return "aborted: unsupported command";
    }
    switch (msg.CommandField) {
      case DIMSE_C_ECHO_RQ:
        cond = echo(msg.msg.CEchoRQ, pc);
        break;
      case DIMSE_C_STORE_RQ:
        cond = store(msg.msg.CStoreRQ, pc);
        break;
      case DIMSE_C_FIND_RQ:
        cond = find(msg.msg.CFindRQ, pc);
        break;
      case DIMSE_C_MOVE_RQ:
        cond = move(msg.msg.CMoveRQ, pc);
        break;
      case DIMSE_C_GET_RQ:
        cond = get(msg.msg.CGetRQ, pc);
        break;
      case DIMSE_C_CANCEL_RQ:
        break;  // late cancel of an operation already answered
      default:
        spdlog::warn("{} ({}) sent a DIMSE command this hub does not provide ({}); closing",
                     calling_, peer_, hex4(msg.CommandField));
        ASC_abortAssociation(assoc_);
        return "aborted: unsupported command";
    }
    if (cond == DUL_PEERREQUESTEDRELEASE) {
      ASC_acknowledgeRelease(assoc_);
      return "released";
    }
    if (cond == DUL_PEERABORTEDASSOCIATION) return "aborted by the sender";
    if (cond.bad()) {
      ASC_abortAssociation(assoc_);
      return std::string("aborted after an error (") + cond.text() + ")";
    }
  }
}

OFCondition DimseSession::echo(T_DIMSE_C_EchoRQ& req, T_ASC_PresentationContextID pc) {
  spdlog::debug("C-ECHO from {} ({})", calling_, peer_);
  return DIMSE_sendEchoResponse(assoc_, pc, &req, STATUS_Success, nullptr);
}

OFCondition DimseSession::store(T_DIMSE_C_StoreRQ& req, T_ASC_PresentationContextID pc) {
  StoreState st;
  st.pc = pc;
  st.staged = sink_.newStagingPath();
  T_ASC_PresentationContext pcx;
  std::string ts = UID_LittleEndianImplicitTransferSyntax;
  if (ASC_findAcceptedPresentationContext(assoc_->params, pc, &pcx).good())
    ts = trim(pcx.acceptedTransferSyntax);
  OFCondition cond = EC_Normal;
  bool disk_ok = true;
  std::optional<FileDigests> digests;
  {
    // Bit-preserving: the dataset goes to disk exactly as received, never whole in memory,
    // behind a meta header that depends only on the object (not on who sent it), so the same
    // image sent twice from two stations has the same bytes and hash. Direct I/O and hashing
    // run on the writer's thread while the image is still arriving (DirectFileWriter).
    DirectFileWriter writer(st.staged);
    DirectOutputStream out(writer);
    const std::string meta =
        partTenHeader(trim(req.AffectedSOPClassUID), trim(req.AffectedSOPInstanceUID), ts);
    disk_ok = writer.write(meta.data(), meta.size());
    T_ASC_PresentationContextID data_pc = pc;
    cond = DIMSE_receiveDataSetInFile(assoc_, DIMSE_NONBLOCKING, kDimseTimeoutSeconds, &data_pc,
                                      &out, nullptr, nullptr);
    if (cond.good() && data_pc != pc)
      cond = makeDcmnetCondition(DIMSEC_INVALIDPRESENTATIONCONTEXTID, OF_error,
                                 "DIMSE: presentation contexts of command and data differ");
    if (cond == DIMSE_OUTOFRESOURCES || !writer.ok()) {
      if (!writer.ok())
        spdlog::warn("Could not write image {} to disk: {}", trim(req.AffectedSOPInstanceUID),
                     writer.error());
      disk_ok = false;
      if (cond == DIMSE_OUTOFRESOURCES) cond = EC_Normal;
    }
    if (cond.good() && disk_ok) {
      digests = writer.finish();
      if (!digests) {
        spdlog::warn("Could not write image {} to disk: {}", trim(req.AffectedSOPInstanceUID),
                     writer.error());
        disk_ok = false;
      }
    }
  }
  if (cond.bad()) {
    std::error_code ec;
    fs::remove(st.staged, ec);
    spdlog::warn("Reception of image {} from {} ({}) was interrupted: {}; nothing stored",
                 trim(req.AffectedSOPInstanceUID), calling_, peer_, cond.text());
    return cond;
  }
  T_DIMSE_C_StoreRSP rsp;
  std::memset(&rsp, 0, sizeof rsp);
  rsp.DimseStatus = disk_ok ? STATUS_Success : STATUS_STORE_Refused_OutOfResources;
  if (digests) st.digests = std::move(*digests);
  finishStore(st, req, rsp);
  if (!st.handed_to_ingest) {
    std::error_code ec;
    fs::remove(st.staged, ec);
  }
  return DIMSE_sendStoreResponse(assoc_, pc, &req, &rsp, st.detail.get());
}

void DimseSession::finishStore(StoreState& st, T_DIMSE_C_StoreRQ& req, T_DIMSE_C_StoreRSP& rsp) {
  auto refuse = [&](uint16_t status, const std::string& sentence) {
    rsp.DimseStatus = status;
    st.detail = commentDetail(sentence);
    ++refused;
    spdlog::warn("Refused an image from {} ({}): {}", calling_, peer_, sentence);
  };
  if (rsp.DimseStatus != STATUS_Success) {  // DCMTK could not write the staging file
    refuse(STATUS_STORE_Refused_OutOfResources,
           "the hub could not write the image to disk; nothing stored, retry later");
    return;
  }
  const std::string cmd_sop = trim(req.AffectedSOPInstanceUID);
  // IngestService parses the header once and refuses a dataset that is not what the command
  // and the presentation context announced.
  IngestSource source{"DIMSE", calling_, peer_, cmd_sop, {}};
  source.scope = scope_;
  source.actor = "dicom:" + calling_;
  source.actor_role = "dicom-peer";
  T_ASC_PresentationContext pcx;
  if (ASC_findAcceptedPresentationContext(assoc_->params, st.pc, &pcx).good())
    source.announced_sop_class_uid = trim(pcx.abstractSyntax);
  std::error_code ec;
  const uint64_t size = fs::file_size(st.staged, ec);
  st.handed_to_ingest = true;
  const IngestResult r = sink_.store(st.staged, source, st.digests);
  switch (r.status) {
    case IngestStatus::kStored: {
      rsp.DimseStatus = STATUS_Success;
      ++received;
      received_bytes += size;
      spdlog::info("Received {} of study {} ({}) from {}", classifyView(r.summary).code,
                   r.summary.study_instance_uid, megabytes(size), calling_);
      break;
    }
    case IngestStatus::kAlreadyStored:
      rsp.DimseStatus = STATUS_Success;
      ++received;
      break;
    case IngestStatus::kConflict:
      rsp.DimseStatus = 0x0111;  // Duplicate SOP Instance
      st.detail = commentDetail("Same SOP Instance UID already stored with other content");
      ++refused;
      break;
    case IngestStatus::kNotAuthorized:
      // PS3.7 C.4.2: Refused, Not Authorized. The full sentence is in the hub's log.
      rsp.DimseStatus = STATUS_STORE_Refused_NotAuthorized;
      st.detail = commentDetail("Not authorized: images of another imaging centre");
      ++refused;
      break;
    case IngestStatus::kQuarantined:
      rsp.DimseStatus = 0xC001;
      st.detail = commentDetail("Identity conflicts with the stored study; quarantined");
      ++refused;
      break;
    case IngestStatus::kRejected:
      rsp.DimseStatus =
          r.rejected_kind == static_cast<int>(DicomRejected::Kind::kSopClassNotAccepted)
              ? STATUS_STORE_Refused_SOPClassNotSupported
          : r.rejected_kind == static_cast<int>(DicomRejected::Kind::kNotAsAnnounced)
              ? STATUS_STORE_Error_DataSetDoesNotMatchSOPClass
              : STATUS_STORE_Error_CannotUnderstand;
      st.detail = commentDetail(r.message);
      ++refused;
      break;
    case IngestStatus::kFailed:
      rsp.DimseStatus = STATUS_STORE_Refused_OutOfResources;
      st.detail = commentDetail(door_.out_of_resources_comment);
      ++refused;
      break;
  }
  // IngestService has logged the full sentence of every refusal.
  if (!r.ok())
    spdlog::debug("Answered {} to {} for image {}", hex4(rsp.DimseStatus), calling_, cmd_sop);
}

OFCondition DimseSession::receiveIdentifier(std::unique_ptr<DcmDataset>& out) {
  DcmDataset* ds = nullptr;
  T_ASC_PresentationContextID data_pc = 0;
  OFCondition cond = DIMSE_receiveDataSetInMemory(assoc_, DIMSE_NONBLOCKING, kDimseTimeoutSeconds,
                                                  &data_pc, &ds, nullptr, nullptr);
  out.reset(ds);
  if (cond.good() && !out) out = std::make_unique<DcmDataset>();
  return cond;
}

bool DimseSession::auditRead(const std::string& action, const std::string& object_type,
                             const std::string& object_id,
                             const std::optional<std::string>& woman_id,
                             const nlohmann::json& detail) {
  if (!s_->audit) return true;
  try {
    s_->audit->record("dicom:" + calling_, "dicom-peer", action, object_type, object_id, woman_id,
                      "dicom:" + calling_ + "@" + peer_, detail.dump());
    return true;
  } catch (const std::exception& e) {
    spdlog::error("AUDIT: {} of {} {} by {} ({}) refused: it could not be recorded: {}", action,
                  object_type, object_id, calling_, peer_, e.what());
    return false;
  }
}

// The attribute keywords a query carries with a value (never the values: they are health data).
nlohmann::json queryKeys(DcmDataset& identifier) {
  nlohmann::json keys = nlohmann::json::array();
  for (unsigned long i = 0; i < identifier.card(); ++i) {
    DcmElement* e = identifier.getElement(i);
    if (!e || e->getLength() == 0) continue;
    DcmTag tag = e->getTag();
    keys.push_back(tag.getTagName());
  }
  return keys;
}

OFCondition DimseSession::find(T_DIMSE_C_FindRQ& req, T_ASC_PresentationContextID pc) {
  std::unique_ptr<DcmDataset> identifier;
  OFCondition cond = receiveIdentifier(identifier);
  if (cond.bad()) return cond;
  T_DIMSE_C_FindRSP rsp;
  std::memset(&rsp, 0, sizeof rsp);
  const std::string sop = trim(req.AffectedSOPClassUID);
  auto finish = [&](uint16_t status, const std::string& comment) {
    rsp.DimseStatus = status;
    auto detail = commentDetail(comment);
    return DIMSE_sendFindResponse(assoc_, pc, &req, &rsp, nullptr, detail.get());
  };
  QueryModel model;
  if (sop == UID_FINDPatientRootQueryRetrieveInformationModel) {
    model = QueryModel::kPatientRoot;
  } else if (sop == UID_FINDStudyRootQueryRetrieveInformationModel) {
    model = QueryModel::kStudyRoot;
  } else {
    return finish(STATUS_FIND_Refused_SOPClassNotSupported,
                  "Only patient root and study root C-FIND are provided");
  }
  std::unique_ptr<FindCursor> cursor;
  try {
    cursor = std::make_unique<FindCursor>(s_->index, model, *identifier, scope_);
  } catch (const DimseQueryError& e) {
    spdlog::warn("Refused a C-FIND from {} ({}): {}", calling_, peer_, e.what());
    return finish(e.status(), e.comment());
  }
  nlohmann::json find_detail = {{"keys", queryKeys(*identifier)}, {"model", sop}};
  if (!scope_.unrestricted()) find_detail["confined_to"] = scope_.cims();
  if (!auditRead("dicom-find", "query", toString(cursor->level()), std::nullopt, find_detail))
    return finish(STATUS_FIND_Failed_UnableToProcess,
                  "The query could not be recorded in the audit trail; retry later");
  uint16_t final_status = STATUS_Success;
  std::string comment;
  while (true) {
    OFCondition c = DIMSE_checkForCancelRQ(assoc_, pc, req.MessageID);
    if (c.good()) {
      final_status = STATUS_FIND_Cancel_MatchingTerminatedDueToCancelRequest;
      break;
    }
    if (c != DIMSE_NODATAAVAILABLE) return c;
    if (stopping_) {
      final_status = STATUS_FIND_Failed_UnableToProcess;
      comment = "The hub is stopping";
      break;
    }
    std::unique_ptr<DcmDataset> match;
    try {
      match = cursor->next();
    } catch (const std::exception& e) {
      spdlog::error("C-FIND from {} failed in the archive index: {}", calling_, e.what());
      final_status = STATUS_FIND_Failed_UnableToProcess;
      comment = "The archive index failed; retry later";
      break;
    }
    if (!match) break;
    rsp.DimseStatus = STATUS_FIND_Pending_MatchesAreContinuing;
    cond = DIMSE_sendFindResponse(assoc_, pc, &req, &rsp, match.get(), nullptr);
    if (cond.bad()) return cond;
  }
  spdlog::info("Answered a C-FIND at {} level from {}{}: {} match{}{}", toString(cursor->level()),
               calling_,
               scope_.unrestricted() ? std::string()
                                     : " (confined to imaging centre " + scope_.describe() + ")",
               cursor->returned(), cursor->returned() == 1 ? "" : "es",
               final_status == STATUS_FIND_Cancel_MatchingTerminatedDueToCancelRequest
                   ? " (cancelled by the requester)"
                   : "");
  return finish(final_status, comment);
}

OFCondition DimseSession::move(T_DIMSE_C_MoveRQ& req, T_ASC_PresentationContextID pc) {
  std::unique_ptr<DcmDataset> identifier;
  OFCondition cond = receiveIdentifier(identifier);
  if (cond.bad()) return cond;
  return retrieve(true, req.MessageID, pc, trim(req.AffectedSOPClassUID), trim(req.MoveDestination),
                  *identifier, &req);
}

OFCondition DimseSession::get(T_DIMSE_C_GetRQ& req, T_ASC_PresentationContextID pc) {
  std::unique_ptr<DcmDataset> identifier;
  OFCondition cond = receiveIdentifier(identifier);
  if (cond.bad()) return cond;
  return retrieve(false, req.MessageID, pc, trim(req.AffectedSOPClassUID), {}, *identifier, &req);
}

OFCondition DimseSession::retrieve(bool is_move, DIC_US msg_id, T_ASC_PresentationContextID pc,
                                   const std::string& sop_class, const std::string& destination,
                                   DcmDataset& identifier, const void* request) {
  const char* op = is_move ? "C-MOVE" : "C-GET";
  std::size_t remaining = 0, completed = 0, failed = 0, warning = 0;
  auto respond = [&](uint16_t status, const std::string& comment, DcmDataset* ids) {
    auto detail = commentDetail(comment);
    const bool pending = status == STATUS_MOVE_Pending_SubOperationsAreContinuing;
    const bool with_remaining =
        pending || status == STATUS_MOVE_Cancel_SubOperationsTerminatedDueToCancelIndication;
    // C-MOVE and C-GET responses carry the same counts under different DCMTK types.
    auto fill = [&](auto& rsp, unsigned remaining_flag, unsigned other_flags) {
      std::memset(&rsp, 0, sizeof rsp);
      rsp.DimseStatus = status;
      rsp.NumberOfRemainingSubOperations = clampCount(remaining);
      rsp.NumberOfCompletedSubOperations = clampCount(completed);
      rsp.NumberOfFailedSubOperations = clampCount(failed);
      rsp.NumberOfWarningSubOperations = clampCount(warning);
      rsp.opts = other_flags | (with_remaining ? remaining_flag : 0);
    };
    if (is_move) {
      T_DIMSE_C_MoveRSP rsp;
      fill(rsp, O_MOVE_NUMBEROFREMAININGSUBOPERATIONS,
           O_MOVE_NUMBEROFCOMPLETEDSUBOPERATIONS | O_MOVE_NUMBEROFFAILEDSUBOPERATIONS |
               O_MOVE_NUMBEROFWARNINGSUBOPERATIONS);
      return DIMSE_sendMoveResponse(assoc_, pc, static_cast<const T_DIMSE_C_MoveRQ*>(request), &rsp,
                                    ids, detail.get());
    }
    T_DIMSE_C_GetRSP rsp;
    fill(rsp, O_GET_NUMBEROFREMAININGSUBOPERATIONS,
         O_GET_NUMBEROFCOMPLETEDSUBOPERATIONS | O_GET_NUMBEROFFAILEDSUBOPERATIONS |
             O_GET_NUMBEROFWARNINGSUBOPERATIONS);
    return DIMSE_sendGetResponse(assoc_, pc, static_cast<const T_DIMSE_C_GetRQ*>(request), &rsp,
                                 ids, detail.get());
  };

  QueryModel model;
  if (sop_class == UID_MOVEPatientRootQueryRetrieveInformationModel ||
      sop_class == UID_GETPatientRootQueryRetrieveInformationModel) {
    model = QueryModel::kPatientRoot;
  } else if (sop_class == UID_MOVEStudyRootQueryRetrieveInformationModel ||
             sop_class == UID_GETStudyRootQueryRetrieveInformationModel) {
    model = QueryModel::kStudyRoot;
  } else {
    return respond(STATUS_MOVE_Refused_SOPClassNotSupported,
                   "Only patient root and study root retrieve are provided", nullptr);
  }

  const RemoteAe* dest = nullptr;
  if (is_move) {
    for (const auto& ae : s_->config.remote_aes)
      if (ae.aet == destination) dest = &ae;
    if (!dest) {
      spdlog::warn(
          "Refused a C-MOVE from {} ({}): destination AE '{}' is not configured (add "
          "it as a [[remote_ae]] in the hub configuration)",
          calling_, peer_, destination);
      return respond(STATUS_MOVE_Refused_MoveDestinationUnknown, "Move destination unknown",
                     nullptr);
    }
  }

  std::vector<InstanceRow> instances;
  std::vector<StudyRow> refused_studies;
  try {
    RetrieveMatch match = resolveRetrieve(s_->index, model, identifier, scope_);
    instances = std::move(match.instances);
    refused_studies = std::move(match.refused_studies);
  } catch (const DimseQueryError& e) {
    spdlog::warn("Refused a {} from {} ({}): {}", op, calling_, peer_, e.what());
    return respond(e.status(), e.comment(), nullptr);
  } catch (const std::exception& e) {
    spdlog::error("{} from {} failed in the archive index: {}", op, calling_, e.what());
    return respond(STATUS_MOVE_Failed_UnableToProcess, "The archive index failed; retry later",
                   nullptr);
  }
  // Another centre's studies: nothing of them leaves; said in the log and the audit trail (the
  // attempt is part of the woman's access history).
  for (const auto& st : refused_studies) {
    spdlog::warn(
        "{} from {} ({}): study {} was not sent: it belongs to imaging centre '{}' "
        "(IssuerOfPatientID) and {} is bound to {}",
        op, calling_, peer_, st.study_uid, st.patient.issuer, calling_, scope_.describe());
    std::optional<std::string> woman;
    if (st.patient.woman_id) woman = std::to_string(*st.patient.woman_id);
    nlohmann::json detail = {{"reason", "study of another imaging centre"},
                             {"study_cim", st.patient.issuer},
                             {"peer_cims", scope_.cims()}};
    if (is_move) detail["destination"] = destination;
    auditRead(is_move ? "dicom-move-refused" : "dicom-get-refused", "study", st.study_uid, woman,
              detail);  // a failure to record is logged; nothing is sent either way
  }
  if (instances.empty() && !refused_studies.empty()) {
    return respond(STATUS_MOVE_Refused_NotAuthorized,
                   "Not authorized: studies of another imaging centre", nullptr);
  }
  if (instances.empty()) {
    spdlog::info("{} from {}: nothing matched, nothing sent", op, calling_);
    return respond(STATUS_Success, "", nullptr);
  }

  // Every study about to leave is a read of its woman's data: recorded first, or nothing goes.
  {
    std::map<std::string, std::size_t> per_study;
    for (const auto& row : instances) ++per_study[row.study_uid];
    for (const auto& [study, count] : per_study) {
      StudyRow st;
      std::optional<std::string> woman;
      if (s_->index.getStudy(study, st) && st.patient.woman_id)
        woman = std::to_string(*st.patient.woman_id);
      nlohmann::json detail = {{"instances", count}};
      if (is_move) detail["destination"] = destination;
      if (!auditRead(is_move ? "dicom-move" : "dicom-get", "study", study, woman, detail)) {
        failed = instances.size();
        return respond(STATUS_MOVE_Failed_UnableToProcess,
                       "The retrieval could not be recorded in the audit trail; retry later",
                       nullptr);
      }
    }
  }

  std::unique_ptr<StoreSubOperations> sender;
  std::string target = calling_;
  if (is_move) {
    std::string error;
    sender = StoreSubOperations::connect(*dest, s_->config.aet, instances, kDimseTimeoutSeconds,
                                         error, &s_->config.tls);
    target = dest->aet;
    if (!sender) {
      spdlog::error("Could not send {} images to {} for {} by C-MOVE: {}", instances.size(),
                    dest->aet, calling_, error);
      failed = instances.size();
      return respond(STATUS_MOVE_Refused_OutOfResourcesSubOperations,
                     "Cannot open an association with " + dest->aet, nullptr);
    }
  } else {
    sender = std::make_unique<StoreSubOperations>(assoc_, kDimseTimeoutSeconds);
  }

  std::vector<std::string> failed_uids;
  std::set<std::string> studies;
  bool cancelled = false, stopped = false;
  remaining = instances.size();
  for (std::size_t i = 0; i < instances.size(); ++i) {
    const InstanceRow& row = instances[i];
    OFCondition c = DIMSE_checkForCancelRQ(assoc_, pc, msg_id);
    if (c.good()) {
      cancelled = true;
      break;
    }
    if (c != DIMSE_NODATAAVAILABLE) return c;  // requester gone; the sender aborts its own
    if (stopping_) {
      stopped = true;
      break;
    }
    SubOperationResult r;
    try {
      r = sender->send(row, s_->blobs.pathOf(row.blob_key), is_move ? calling_ : std::string(),
                       is_move ? msg_id : 0);
    } catch (const std::exception& e) {
      r.message = std::string("the stored file is not available (") + e.what() + ")";
    }
    --remaining;
    studies.insert(row.study_uid);
    switch (r.outcome) {
      case SubOperationResult::Outcome::kCompleted:
        ++completed;
        break;
      case SubOperationResult::Outcome::kWarning:
        ++warning;
        break;
      case SubOperationResult::Outcome::kFailed:
        ++failed;
        failed_uids.push_back(row.sop_uid);
        spdlog::warn("Could not send image {} of study {} to {} by {}: {}", row.sop_uid,
                     row.study_uid, target, op, r.message);
        break;
    }
    if (r.cancelled) {
      cancelled = true;
      break;
    }
    if (r.connection_lost) {
      // Nothing more can go through this association: the rest fails.
      for (std::size_t k = i + 1; k < instances.size(); ++k)
        failed_uids.push_back(instances[k].sop_uid);
      failed += remaining;
      remaining = 0;
      if (!is_move) return DIMSE_SENDFAILED;  // the requester's own association is gone
      break;
    }
    if (i + 1 < instances.size()) {
      OFCondition sc = respond(STATUS_MOVE_Pending_SubOperationsAreContinuing, "", nullptr);
      if (sc.bad()) return sc;
    }
  }
  if (sender) sender->release();

  uint16_t status = STATUS_Success;
  std::string comment;
  if (cancelled) {
    status = STATUS_MOVE_Cancel_SubOperationsTerminatedDueToCancelIndication;
  } else {
    if (stopped) {
      for (std::size_t k = instances.size() - remaining; k < instances.size(); ++k)
        failed_uids.push_back(instances[k].sop_uid);
      failed += remaining;
      remaining = 0;
      comment = "The hub is stopping";
    }
    if (failed > 0 && completed == 0 && warning == 0)
      status = STATUS_MOVE_Refused_OutOfResourcesSubOperations;
    else if (failed > 0 || warning > 0)
      status = STATUS_MOVE_Warning_SubOperationsCompleteOneOrMoreFailures;
  }
  std::unique_ptr<DcmDataset> ids;
  if (!failed_uids.empty()) {
    std::string list;
    for (const auto& u : failed_uids) list += (list.empty() ? "" : "\\") + u;
    ids = std::make_unique<DcmDataset>();
    ids->putAndInsertString(DCM_FailedSOPInstanceUIDList, list.c_str());
  }
  const std::string what = studies.size() == 1 ? "study " + *studies.begin()
                                               : std::to_string(studies.size()) + " studies";
  spdlog::info("Sent {} image{} of {} to {} by {} ({} failed){}", completed + warning,
               completed + warning == 1 ? "" : "s", what, target, op, failed,
               cancelled ? ", cancelled by the requester"
               : stopped ? ", hub stopping"
                         : "");
  return respond(status, comment, ids.get());
}

void DimseServer::Impl::negotiate(T_ASC_Association* assoc, std::vector<std::string>& refused,
                                  const DicomPeer* peer) {
  const auto& storage = door.accepted_sop_classes;
  T_ASC_Parameters* params = assoc->params;
  const int n = ASC_countPresentationContexts(params);
  for (int i = 0; i < n; ++i) {
    T_ASC_PresentationContext pc;
    if (ASC_getPresentationContext(params, i, &pc).bad()) continue;
    const std::string abstract = trim(pc.abstractSyntax);
    const bool is_storage = storage.count(abstract) > 0;
    const bool is_service = nonStorageClasses().count(abstract) > 0 &&
                            (services || abstract == UID_VerificationSOPClass);
    if (!is_storage && !is_service) {
      ASC_refusePresentationContext(params, pc.presentationContextID,
                                    ASC_P_ABSTRACTSYNTAXNOTSUPPORTED);
      refused.push_back(sopClassName(abstract));
      continue;
    }
    if (!peerMayUse(peer, abstract, is_storage, pc.proposedRole)) {
      ASC_refusePresentationContext(params, pc.presentationContextID, ASC_P_USERREJECTION);
      refused.push_back(sopClassName(abstract) + " (not allowed for this AE title)");
      continue;
    }
    const char* const* prefs = is_storage ? kStorageSyntaxes : kQuerySyntaxes;
    const int nprefs = is_storage ? static_cast<int>(std::size(kStorageSyntaxes))
                                  : static_cast<int>(std::size(kQuerySyntaxes));
    const char* chosen = nullptr;
    for (int k = 0; k < nprefs && !chosen; ++k)
      for (int j = 0; j < pc.transferSyntaxCount; ++j)
        if (std::strcmp(pc.proposedTransferSyntaxes[j], prefs[k]) == 0) chosen = prefs[k];
    if (!chosen) {
      ASC_refusePresentationContext(params, pc.presentationContextID,
                                    ASC_P_TRANSFERSYNTAXESNOTSUPPORTED);
      refused.push_back(sopClassName(abstract) + " (no supported transfer syntax)");
      continue;
    }
    // Storage contexts keep the role the requester proposed: SCU when it sends us images,
    // SCP when it wants to receive them through C-GET.
    ASC_acceptPresentationContext(params, pc.presentationContextID, chosen,
                                  is_storage ? pc.proposedRole : ASC_SC_ROLE_DEFAULT);
  }
}

void DimseServer::Impl::serve(Connection& c) {
  int dcmtk_fd = -1;
  {
    std::lock_guard<std::mutex> lk(c.mu);
    dcmtk_fd = ::dup(c.fd);
  }
  // Wait for the A-ASSOCIATE-RQ to start arriving before taking the process-wide lock.
  pollfd p[2] = {{c.fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  const int ready = dcmtk_fd < 0 ? 0 : ::poll(p, 2, kAcseTimeoutSeconds * 1000);
  T_ASC_Association* assoc = nullptr;
  OFCondition cond = EC_IllegalCall;
  bool right_protocol = false;
  if (ready > 0 && (p[0].revents & POLLIN) && !stopping) {
    // A TLS ClientHello starts with byte 0x16, an A-ASSOCIATE-RQ with 0x01: each port refuses
    // the other protocol with a sentence rather than a protocol error.
    unsigned char first = 0;
    const ssize_t n = ::recv(c.fd, &first, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 1 && c.tls && first != 0x16) {
      spdlog::warn(
          "DICOM from {}: a plain (non-TLS) association reached the TLS DICOM port {}; the "
          "sender must enable TLS (e.g. storescu +tls) or use the plain port",
          c.ip, tls_port);
    } else if (n == 1 && !c.tls && first == 0x16) {
      spdlog::warn(
          "DICOM from {}: a TLS connection reached the plain DICOM port {}; the sender must "
          "use the TLS DICOM port{}",
          c.ip, config.dicom_port,
          tls_port ? " " + std::to_string(tls_port) : std::string(" (none is configured)"));
    } else if (n == 1) {
      right_protocol = true;
    }
  }
  if (right_protocol) {
    std::lock_guard<std::mutex> lk(external_socket_mutex);
    dcmExternalSocketHandle.set(dcmtk_fd);
    cond = ASC_receiveAssociation(c.tls ? tls_net : net, &assoc, kMaxReceivePdu, nullptr, nullptr,
                                  c.tls ? OFTrue : OFFalse, DUL_NOBLOCK, kAcseTimeoutSeconds);
    dcmExternalSocketHandle.set(-1);
  }
  bool dcmtk_owns_fd = assoc && assoc->DULassociation;
  if (cond.bad()) {
    if (right_protocol && c.tls)
      spdlog::warn(
          "DICOM TLS from {}: no association ({}); a failed TLS handshake usually "
          "means an untrusted certificate on either side, a missing client "
          "certificate, or an old TLS version",
          c.ip, cond.text());
    else if (right_protocol)
      spdlog::debug("A connection closed before a valid association: {}", cond.text());
  } else {
    const std::string calling = trim(assoc->params->DULparams.callingAPTitle);
    const std::string called = trim(assoc->params->DULparams.calledAPTitle);
    const std::string peer = trim(assoc->params->DULparams.callingPresentationAddress);
    char app_ctx[256] = {};
    ASC_getApplicationContextName(assoc->params, app_ctx, sizeof app_ctx);
    bool counted = false;
    if (app_ctx[0] == '\0' && calling.empty()) {
      // A bare TCP connection closed before any association request (a port probe).
      spdlog::debug("A connection from {} closed without requesting an association", peer);
    } else if (std::strcmp(app_ctx, UID_StandardApplicationContext) != 0) {
      spdlog::warn("Refused an association from {} ({}): not a DICOM application context", calling,
                   peer);
      rejectAssociation(assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
                        ASC_REASON_SU_APPCONTEXTNAMENOTSUPPORTED);
    } else if (called != config.aet) {
      spdlog::warn(
          "Refused an association from {} ({}): it called AE title '{}' but this hub is "
          "'{}' (fix the called AE title on the sending device)",
          calling, peer, called, config.aet);
      rejectAssociation(assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
                        ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED);
    } else if (const DicomPeerDecision allowed = decideDicomPeer(
                   config.dicom_peers, config.open, calling, hostOfPresentationAddress(peer));
               !allowed.accepted) {
      // The DICOM half of the permission matrix: only configured AE titles, from their hosts.
      spdlog::warn("Refused an association from {} ({}): {}", calling, peer, allowed.sentence);
      rejectAssociation(assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
                        ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED);
    } else {
      {
        std::lock_guard<std::mutex> lk(active_mu);
        if (active_associations < config.dicom_max_associations) {
          ++active_associations;
          counted = true;
        }
      }
      if (!counted) {
        spdlog::warn(
            "Refused an association from {} ({}): already {} associations in progress "
            "(dicom_max_associations); the sender should retry",
            calling, peer, config.dicom_max_associations);
        rejectAssociation(assoc, ASC_RESULT_REJECTEDTRANSIENT,
                          ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
                          ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED);
      } else {
        std::vector<std::string> refused;
        negotiate(assoc, refused, config.open ? nullptr : allowed.peer);
        cond = ASC_acknowledgeAssociation(assoc);
        if (cond.bad()) {
          spdlog::warn("Association from {} ({}) failed while accepting it: {}", calling, peer,
                       cond.text());
        } else {
          const std::string cert_cn = c.tls ? peerCertificateCn(assoc) : std::string();
          if (c.tls)
            spdlog::info("Association from {} ({}) accepted over TLS{}", calling, peer,
                         cert_cn.empty() ? " (no client certificate)"
                                         : " (client certificate " + cert_cn + ")");
          else
            spdlog::info("Association from {} ({}) accepted", calling, peer);
          if (!refused.empty()) {
            // Many senders propose every type they know; only a refused send is worth a warning.
            std::set<std::string> unique(refused.begin(), refused.end());
            std::string list;
            for (const auto& r : unique) list += (list.empty() ? "" : ", ") + r;
            spdlog::debug("{} also proposed object types this hub does not accept: {}", calling,
                          list);
          }
          DimseSession session(services, sink, door, stopping, assoc,
                               cimScopeOf(config.open ? nullptr : allowed.peer));
          const std::string end = session.run();
          std::string summary;
          if (session.received || session.refused) {
            summary = ": " + std::to_string(session.received) + " image" +
                      (session.received == 1 ? "" : "s") + " received (" +
                      megabytes(session.received_bytes) + "), " + std::to_string(session.refused) +
                      " refused";
          }
          spdlog::info("Association with {} ({}) {}{}", calling, peer, end, summary);
        }
        std::lock_guard<std::mutex> lk(active_mu);
        --active_associations;
      }
    }
  }
  if (assoc) {
    ASC_dropSCPAssociation(assoc, 2);
    ASC_destroyAssociation(&assoc);
  }
  if (!dcmtk_owns_fd && dcmtk_fd >= 0) ::close(dcmtk_fd);
  {
    std::lock_guard<std::mutex> lk(c.mu);
    ::close(c.fd);
    c.fd = -1;
  }
  {
    std::lock_guard<std::mutex> lk(conns_mu);
    c.finished = true;
  }
  conns_cv.notify_all();
}

void DimseServer::Impl::reapFinished() {
  std::lock_guard<std::mutex> lk(conns_mu);
  for (auto it = conns.begin(); it != conns.end();) {
    if ((*it)->finished) {
      (*it)->thread.join();
      it = conns.erase(it);
    } else {
      ++it;
    }
  }
}

void DimseServer::Impl::acceptLoop() {
  const std::size_t max_connections =
      static_cast<std::size_t>(std::max(1, config.dicom_max_associations)) + 16;
  while (!stopping) {
    // poll() skips negative descriptors: either port may be closed.
    pollfd p[3] = {{listen_fd, POLLIN, 0}, {tls_listen_fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const int n = ::poll(p, 3, 1000);
    reapFinished();
    if (stopping) break;
    if (n <= 0) continue;
    const bool secure = !(p[0].revents & POLLIN) && (p[1].revents & POLLIN);
    if (!(p[0].revents & POLLIN) && !secure) continue;
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const int fd = ::accept4(secure ? tls_listen_fd : listen_fd, reinterpret_cast<sockaddr*>(&from),
                             &len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lk(conns_mu);
    if (conns.size() >= max_connections) {
      char ip[INET_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
      spdlog::warn("Dropped a DICOM connection from {}: {} connections already open", ip,
                   conns.size());
      ::close(fd);
      continue;
    }
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->tls = secure;
    char ip[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
    c->ip = ip;
    Connection* raw = c.get();
    conns.push_back(std::move(c));
    raw->thread = std::thread([this, raw] { serve(*raw); });
  }
}

DimseServer::DimseServer(HubServices& services) : impl_(std::make_unique<Impl>(services)) {}

DimseServer::DimseServer(DimseDoorConfig config, DimseStoreSink& sink)
    : impl_(std::make_unique<Impl>(std::move(config), sink)) {}

DimseServer::~DimseServer() { stop(); }

namespace {

// Opens a listening IPv4 socket; throws a sentence naming the address and the reason.
int listenSocket(const std::string& bind_address, uint16_t port_number, const std::string& what) {
  const std::string where = bind_address + ":" + std::to_string(port_number);
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(port_number);
  if (::getaddrinfo(bind_address.empty() ? nullptr : bind_address.c_str(), port.c_str(), &hints,
                    &res) != 0 ||
      !res) {
    throw std::runtime_error("cannot listen for " + what + " on " + where +
                             ": the bind address is not an IPv4 address or host name");
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
    const std::string err = std::strerror(errno);
    ::freeaddrinfo(res);
    ::close(fd);
    throw std::runtime_error("cannot listen for " + what + " on " + where + ": " + err);
  }
  ::freeaddrinfo(res);
  return fd;
}

// A DCMTK acceptor network over our own listening socket (see the file comment).
T_ASC_Network* acceptorNetwork(int listen_fd) {
  std::lock_guard<std::mutex> lk(external_socket_mutex);
  dcmExternalSocketHandle.set(listen_fd);
  T_ASC_Network* net = nullptr;
  OFCondition cond = ASC_initializeNetwork(NET_ACCEPTOR, 0, kAcseTimeoutSeconds, &net);
  dcmExternalSocketHandle.set(-1);
  if (cond.bad())
    throw std::runtime_error(std::string("cannot initialise the DICOM network: ") + cond.text());
  return net;
}

uint16_t boundPort(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return 0;
  return ntohs(a.sin_port);
}

}  // namespace

void DimseServer::start() {
  Impl& m = *impl_;
  if (m.started) return;
  const HubConfig& cfg = m.config;
  registerDicomDecoders();
  dcmDisableGethostbyaddr.set(OFTrue);  // peers are logged by address; no DNS stalls
  if (dcmConnectionTimeout.get() < 0) dcmConnectionTimeout.set(15);  // C-MOVE destinations

  const bool tls = cfg.tls.enabled() && cfg.tls.dicom_port != 0;
  const bool plain = !tls || cfg.tls.dicom_plain;
  const std::string where = cfg.bind_address + ":" + std::to_string(cfg.dicom_port);
  auto cleanup = [&m] {
    if (m.net) ASC_dropNetwork(&m.net);
    if (m.tls_net) ASC_dropNetwork(&m.tls_net);
    m.tls_layer.reset();
    for (int* fd : {&m.listen_fd, &m.tls_listen_fd, &m.wake_fd}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
  };
  try {
    if (plain) {
      m.listen_fd = listenSocket(cfg.bind_address, cfg.dicom_port, "DICOM");
      m.net = acceptorNetwork(m.listen_fd);
    }
    if (tls) {
      m.tls_layer = makeDicomTlsLayer(cfg.tls, true);
      m.tls_listen_fd = listenSocket(cfg.bind_address, cfg.tls.dicom_port, "DICOM over TLS");
      m.tls_port = boundPort(m.tls_listen_fd);
      m.tls_net = acceptorNetwork(m.tls_listen_fd);
      OFCondition cond = ASC_setTransportLayer(m.tls_net, m.tls_layer.get(), 0);
      if (cond.bad())
        throw std::runtime_error(std::string("cannot set up DICOM TLS: ") + cond.text());
    }
  } catch (...) {
    cleanup();
    throw;
  }
  m.wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  m.stopping = false;
  m.started = true;
  m.acceptor = std::thread([&m] { m.acceptLoop(); });
  if (plain)
    spdlog::info("DICOM door open: AE {} on {} (up to {} simultaneous associations)", cfg.aet,
                 where, cfg.dicom_max_associations);
  if (tls)
    spdlog::info("DICOM TLS door open: AE {} on {}:{} (TLS {} and up, client certificates: {})",
                 cfg.aet, cfg.bind_address, m.tls_port, cfg.tls.min_version, cfg.tls.client_cert);
}

void DimseServer::stop() {
  Impl& m = *impl_;
  if (!m.started) return;
  m.stopping = true;
  const uint64_t one = 1;
  if (::write(m.wake_fd, &one, sizeof one) < 0) {
    // The accept loop also wakes once a second.
  }
  if (m.acceptor.joinable()) m.acceptor.join();
  if (m.listen_fd >= 0) ::close(m.listen_fd);
  if (m.tls_listen_fd >= 0) ::close(m.tls_listen_fd);
  m.listen_fd = m.tls_listen_fd = -1;
  {
    // Idle associations close within a second; transfers in progress get a grace period, then
    // their sockets are shut down.
    std::unique_lock<std::mutex> lk(m.conns_mu);
    m.conns_cv.wait_for(lk, kStopGrace, [&m] {
      for (const auto& c : m.conns)
        if (!c->finished) return false;
      return true;
    });
    for (auto& c : m.conns) {
      std::lock_guard<std::mutex> clk(c->mu);
      if (c->fd >= 0 && !c->finished) {
        spdlog::warn("Interrupting a DICOM transfer still running at stop");
        ::shutdown(c->fd, SHUT_RDWR);
      }
    }
  }
  m.reapFinished();
  {
    std::lock_guard<std::mutex> lk(m.conns_mu);
    for (auto& c : m.conns)
      if (c->thread.joinable()) c->thread.join();
    m.conns.clear();
  }
  if (m.net) ASC_dropNetwork(&m.net);
  if (m.tls_net) ASC_dropNetwork(&m.tls_net);
  m.tls_layer.reset();
  ::close(m.wake_fd);
  m.wake_fd = -1;
  m.started = false;
  spdlog::info("DICOM door closed");
}

}  // namespace dualread
