#pragma once
// GatewayIntake: what the gateway's DICOM door does with each received object. It checks the
// object (same validation as the hub: Part-10, complete, UIDs, accepted SOP Class, as
// announced by the command), refuses it with out-of-resources when the disk is below the
// configured free-space floor or while the emergency disk reserve is spent, makes the file durable
// in the gateway's content-addressed store (fsync, rename, fsync of the directory) and commits its
// queue row — all before the C-STORE success is answered. Owned by app/Gateway; thread-safe (one
// association per thread).

#include <filesystem>
#include <functional>
#include <set>
#include <string>

#include "dicom/dimse_store_sink.h"
#include "index/gateway_queue.h"
#include "storage/disk_reserve.h"
#include "storage/fs_blob_store.h"

namespace dualread {

class GatewayIntake final : public DimseStoreSink {
 public:
  // `on_queued` is called after each newly queued instance (wakes the forwarder).
  GatewayIntake(FsBlobStore& blobs, GatewayQueue& queue, std::set<std::string> accepted,
                uint64_t min_free_bytes, const DiskReserve* reserve,
                std::function<void()> on_queued);

  std::filesystem::path newStagingPath() override { return blobs_.newStagingPath(); }
  IngestResult store(const std::filesystem::path& staged, const IngestSource& source,
                     const FileDigests& digests) override;

  // Free bytes on the data directory's filesystem for an unprivileged writer.
  uint64_t freeBytes() const;

 private:
  FsBlobStore& blobs_;
  GatewayQueue& queue_;
  std::set<std::string> accepted_;
  uint64_t min_free_;
  const DiskReserve* reserve_;  // may be null
  std::function<void()> on_queued_;
};

}  // namespace dualread
