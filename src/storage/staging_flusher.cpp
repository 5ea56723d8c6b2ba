#include "storage/staging_flusher.h"

#include <fcntl.h>
#include <unistd.h>

namespace dualread {

StagingFlusher::StagingFlusher(const std::filesystem::path& path, uint64_t chunk_bytes)
    : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), chunk_(chunk_bytes) {}

StagingFlusher::~StagingFlusher() {
  if (fd_ >= 0) ::close(fd_);
}

void StagingFlusher::written(uint64_t total) {
  if (fd_ < 0 || total < flushed_ + chunk_) return;
  // Leave the last chunk alone: the writer's own buffer may not have reached the file yet.
  const uint64_t upto = total - chunk_ / 2;
  if (upto <= flushed_) return;
  ::sync_file_range(fd_, static_cast<off64_t>(flushed_), static_cast<off64_t>(upto - flushed_),
                    SYNC_FILE_RANGE_WRITE);
  flushed_ = upto;
}

}  // namespace dualread
