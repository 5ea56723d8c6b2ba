#pragma once
// StoreSubOperations: the C-STORE sub-operations of a C-MOVE (on an association the hub opens
// to the move destination) or of a C-GET (on the requester's own association, where the
// requester accepted the SCP role). Each instance goes out exactly as stored when the peer
// accepts its transfer syntax; otherwise it is converted to explicit/implicit VR little endian
// (decompressed with the JPEG, JPEG-LS and RLE decoders DCMTK has; JPEG 2000 has none in DCMTK
// 3.6.7 and then fails that sub-operation with a sentence). Owned by one DIMSE worker thread;
// not thread-safe.

#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "index/records.h"
#include "services/hub_config.h"

class DcmTLSTransportLayer;

namespace dualread {

struct SubOperationResult {
  enum class Outcome { kCompleted, kWarning, kFailed };
  Outcome outcome = Outcome::kFailed;
  uint16_t status = 0xC000;  // the peer's C-STORE status, or ours when nothing was sent
  std::string message;       // sentence for the log when not completed
  bool cancelled = false;    // the C-GET requester sent C-CANCEL while we waited
  bool connection_lost = false;
};

class StoreSubOperations {
 public:
  // Opens an association from `calling_aet` to `destination`, proposing for every distinct
  // (SOP class, transfer syntax) of `instances` a context with that transfer syntax alone and
  // one with explicit/implicit VR little endian. Returns nullptr and fills `error` with a
  // sentence when the destination cannot be reached or accepts none of them. A destination
  // with tls = true is reached over DICOM TLS set up from `tls` (required then).
  static std::unique_ptr<StoreSubOperations> connect(const RemoteAe& destination,
                                                     const std::string& calling_aet,
                                                     const std::vector<InstanceRow>& instances,
                                                     int timeout_seconds, std::string& error,
                                                     const TlsConfig* tls = nullptr);

  // Uses the association of a C-GET request (not owned): only contexts on which the requester
  // accepted the SCP role are used.
  StoreSubOperations(T_ASC_Association* assoc, int timeout_seconds);
  ~StoreSubOperations();
  StoreSubOperations(const StoreSubOperations&) = delete;
  StoreSubOperations& operator=(const StoreSubOperations&) = delete;

  // Sends one stored instance. For a C-MOVE, `move_originator_aet`/`move_originator_id` name
  // the requester (empty / 0 for C-GET).
  SubOperationResult send(const InstanceRow& instance, const std::filesystem::path& file,
                          const std::string& move_originator_aet, uint16_t move_originator_id);

  // Ends an owned association with A-RELEASE (A-ABORT if the peer does not answer).
  void release();

 private:
  StoreSubOperations() = default;
  T_ASC_PresentationContextID choosePresentationContext(const InstanceRow& instance,
                                                        std::string& accepted_ts) const;

  std::unique_ptr<DcmTLSTransportLayer> tls_layer_;  // outlives net_ (destroyed after it)
  T_ASC_Network* net_ = nullptr;                     // owned when we opened the association
  T_ASC_Association* assoc_ = nullptr;
  bool owned_ = false;
  bool get_role_ = false;  // C-GET: the peer must have accepted the SCP role
  int timeout_ = 60;
};

// Registers the decoders DCMTK has (JPEG, JPEG-LS, RLE) once per process. Thread-safe.
void registerDicomDecoders();

// True for the uncompressed, non-deflated transfer syntaxes.
bool isNativeTransferSyntax(const std::string& ts);

}  // namespace dualread
