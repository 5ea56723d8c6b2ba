#include "storage/staging_flusher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace dualread {

StagingFlusher::StagingFlusher(const std::filesystem::path& path, uint64_t dataset_offset,
                               uint64_t chunk_bytes)
    : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)),
      dataset_offset_(dataset_offset),
      chunk_(chunk_bytes),
      buf_(1 << 20) {
  failed_ = fd_ < 0;
  if (!failed_) hasher_ = std::thread([this] { hashLoop(); });
}

StagingFlusher::~StagingFlusher() {
  {
    std::lock_guard lk(mu_);
    closing_ = true;
    target_ = 0;  // an abandoned reception: stop hashing at once
  }
  cv_.notify_one();
  if (hasher_.joinable()) hasher_.join();
  if (fd_ >= 0) ::close(fd_);
}

void StagingFlusher::hashLoop() {
  std::unique_lock lk(mu_);
  while (true) {
    cv_.wait(lk, [&] { return closing_ || target_ > hashed_; });
    const uint64_t end = target_;
    const bool last = closing_;
    if (end > hashed_) {
      lk.unlock();
      hashUpTo(end);
      lk.lock();
      if (failed_) return;
      continue;  // more may have arrived meanwhile
    }
    if (last) return;
  }
}

bool StagingFlusher::hashUpTo(uint64_t end) {
  while (!failed_ && hashed_ < end) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf_.size(), end - hashed_));
    const ssize_t n = ::pread(fd_, buf_.data(), want, static_cast<off_t>(hashed_));
    if (n <= 0) {
      failed_ = true;
      break;
    }
    whole_.update(buf_.data(), static_cast<size_t>(n));
    hashed_ += static_cast<uint64_t>(n);
  }
  return !failed_;
}

void StagingFlusher::written(uint64_t total) {
  if (fd_ < 0 || total < flushed_ + chunk_) return;
  // Leave the last half chunk alone: the writer's own buffer may not have reached the file yet.
  const uint64_t upto = total - chunk_ / 2;
  if (upto <= flushed_) return;
  ::sync_file_range(fd_, static_cast<off64_t>(flushed_), static_cast<off64_t>(upto - flushed_),
                    SYNC_FILE_RANGE_WRITE);
  flushed_ = upto;
  {
    std::lock_guard lk(mu_);
    target_ = upto;
  }
  cv_.notify_one();
}

std::optional<FileDigests> StagingFlusher::finish() {
  if (!hasher_.joinable()) return std::nullopt;  // never opened, or already finished
  struct stat st {};
  const bool sized = ::fstat(fd_, &st) == 0;
  {
    std::lock_guard lk(mu_);
    closing_ = true;
    target_ = sized ? static_cast<uint64_t>(st.st_size) : 0;
  }
  cv_.notify_one();
  hasher_.join();
  if (!sized || failed_ || hashed_ != static_cast<uint64_t>(st.st_size)) return std::nullopt;
  return FileDigests{whole_.hexDigest()};
}

}  // namespace dualread
