#pragma once
// DimseStoreSink: what the DICOM door does with each object a C-STORE delivered. The hub's sink
// ingests it into the archive (IngestService); the imaging-centre gateway's sink queues it
// durably for the hub. The door receives each object bit-preserving into a staging file given
// by the sink, hashing it while it arrives, then hands the file over and answers the sender
// from the result: success only once the sink has made the object durable; kFailed becomes
// DIMSE 0xA700 (out of resources). Implementations must be thread-safe (one association per
// thread).

#include <filesystem>
#include <set>
#include <string>

#include "services/ingest_service.h"
#include "storage/sha256.h"

namespace dualread {

class DimseStoreSink {
 public:
  virtual ~DimseStoreSink() = default;
  // A fresh path where the door writes one incoming object.
  virtual std::filesystem::path newStagingPath() = 0;
  // Takes ownership of the staged file (stored or deleted). `digests` were computed while
  // receiving and may be empty.
  virtual IngestResult store(const std::filesystem::path& staged, const IngestSource& source,
                             const FileDigests& digests) = 0;
};

// Where and how a DICOM door listens, independent of what it serves.
struct DimseDoorConfig {
  std::string aet = "DUALREAD";
  std::string bind_address = "127.0.0.1";
  uint16_t port = 11112;
  int max_associations = 32;
  std::set<std::string> accepted_sop_classes;  // storage classes; empty = defaults
  std::string door_name = "hub";               // in log lines: "this hub is 'X'"
  // ErrorComment of a 0xA700 answer when the sink could not store.
  std::string out_of_resources_comment = "The hub cannot store images now; retry later";
};

}  // namespace dualread
