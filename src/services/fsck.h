#pragma once
// Archive integrity check: every blob the index references exists and hashes to its recorded
// SHA-256; every stored blob is referenced. Reads only; repairs nothing. Run by
// `dualread fsck` on a stopped or running hub.

#include <functional>
#include <string>
#include <vector>

#include "index/archive_index.h"
#include "storage/blob_store.h"

namespace dualread {

struct FsckReport {
  int64_t checked = 0;
  int64_t bytes = 0;
  std::vector<std::string> missing;  // referenced by the index, absent on disk
  std::vector<std::string> corrupt;  // present but content differs from its hash or size
  std::vector<std::string> orphans;  // on disk, referenced by nothing
  bool clean() const { return missing.empty() && corrupt.empty() && orphans.empty(); }
};

// `progress` receives sentences while the check runs (every few seconds).
FsckReport runFsck(BlobStore& blobs, ArchiveIndex& index,
                   const std::function<void(const std::string&)>& progress);

}  // namespace dualread
