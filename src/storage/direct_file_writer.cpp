#include "storage/direct_file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace dualread {

namespace {

constexpr size_t kAlign = 4096;  // direct I/O offsets, sizes and buffers are multiples of this
constexpr int kMaxBlocks = 8;  // one being filled, seven in flight: 8 MiB per reception

// pwrite until everything is written; returns 0 or the errno.
int writeAll(int fd, const char* p, size_t n, uint64_t off) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (w == 0) return EIO;
    p += w;
    n -= static_cast<size_t>(w);
    off += static_cast<uint64_t>(w);
  }
  return 0;
}

}  // namespace

struct DirectFileWriter::Block {
  // Blocks outlive the writer that used them: a process-wide pool hands them to the next
  // reception, so a 30 MB image does not cost thousands of fresh zeroed pages (page faults)
  // for its buffers. At most kPoolMax blocks are kept; thread-safe.
  static std::unique_ptr<Block> take(size_t cap) {
    {
      std::lock_guard lk(poolMutex());
      auto& pool = poolBlocks();
      for (auto it = pool.begin(); it != pool.end(); ++it) {
        if ((*it)->capacity != cap) continue;
        auto b = std::move(*it);
        pool.erase(it);
        b->size = 0;
        b->last = false;
        return b;
      }
    }
    return std::make_unique<Block>(cap);
  }
  static void give(std::unique_ptr<Block> b) {
    std::lock_guard lk(poolMutex());
    if (poolBlocks().size() < kPoolMax) poolBlocks().push_back(std::move(b));
  }
  static constexpr size_t kPoolMax = 32;  // 32 MiB of 1 MiB blocks: four receptions at once
  static std::mutex& poolMutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<std::unique_ptr<Block>>& poolBlocks() {
    static auto* pool = new std::vector<std::unique_ptr<Block>>();  // never destroyed: no
    return *pool;  // order-of-destruction problem with receptions ending at exit
  }

  explicit Block(size_t cap) : capacity(cap) {
    void* p = nullptr;
    if (::posix_memalign(&p, kAlign, cap) != 0) throw std::bad_alloc();
    data = static_cast<char*>(p);
  }
  ~Block() { std::free(data); }
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  char* data = nullptr;
  size_t capacity;
  size_t size = 0;
  bool last = false;
};

DirectFileWriter::DirectFileWriter(const std::filesystem::path& path, size_t block_bytes)
    : block_bytes_(std::max(kAlign, block_bytes / kAlign * kAlign)) {
  const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  fd_ = ::open(path.c_str(), flags | O_DIRECT, 0644);
  direct_ = fd_ >= 0;
  if (fd_ < 0 && errno == EINVAL) fd_ = ::open(path.c_str(), flags, 0644);  // e.g. tmpfs
  if (fd_ < 0) {
    std::lock_guard lk(mu_);
    fail(errno, "cannot create the staging file");
    return;
  }
  writer_ = std::thread([this] { writerLoop(); });
}

DirectFileWriter::~DirectFileWriter() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (fd_ >= 0) ::close(fd_);
  if (cur_) Block::give(std::move(cur_));
  for (auto& b : full_) Block::give(std::move(b));
  for (auto& b : free_) Block::give(std::move(b));
}

void DirectFileWriter::fail(int err, const char* what) {
  if (errno_ != 0) return;  // the first failure is the one to report
  errno_ = err != 0 ? err : EIO;
  error_ = std::string(what) + ": " + std::strerror(errno_);
}

bool DirectFileWriter::ok() const {
  std::lock_guard lk(mu_);
  return fd_ >= 0 && errno_ == 0;
}

std::string DirectFileWriter::error() const {
  std::lock_guard lk(mu_);
  return error_;
}

bool DirectFileWriter::diskFull() const {
  std::lock_guard lk(mu_);
  return errno_ == ENOSPC || errno_ == EDQUOT;
}

bool DirectFileWriter::write(const void* data, size_t n) {
  if (finished_ || !ok()) return false;
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    if (!cur_) {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return errno_ != 0 || !free_.empty() || blocks_out_ < kMaxBlocks; });
      if (errno_ != 0) return false;
      if (!free_.empty()) {
        cur_ = std::move(free_.back());
        free_.pop_back();
      } else {
        lk.unlock();
        cur_ = Block::take(block_bytes_);
        lk.lock();
      }
      ++blocks_out_;
      cur_->size = 0;
      cur_->last = false;
    }
    const size_t k = std::min(n, cur_->capacity - cur_->size);
    std::memcpy(cur_->data + cur_->size, p, k);
    cur_->size += k;
    total_ += k;
    p += k;
    n -= k;
    if (cur_->size == cur_->capacity && !submit(false)) return false;
  }
  return true;
}

bool DirectFileWriter::submit(bool last) {
  std::lock_guard lk(mu_);
  if (errno_ != 0) return false;
  cur_->last = last;
  last_queued_ = last;
  full_.push_back(std::move(cur_));
  cv_.notify_all();
  return true;
}

void DirectFileWriter::writerLoop() {
  std::unique_lock lk(mu_);
  while (true) {
    cv_.wait(lk, [&] { return stop_ || !full_.empty(); });
    if (stop_) return;
    std::unique_ptr<Block> b = std::move(full_.front());
    full_.pop_front();
    const bool failed = errno_ != 0;
    lk.unlock();
    int err = 0;
    const char* what = "cannot write the image to disk";
    if (!failed) {
      hash_.update(b->data, b->size);
      // Direct I/O for the aligned part; only the last block can end off alignment, and its
      // tail goes through the page cache (the caller's fsync makes it durable).
      const size_t aligned = direct_ ? b->size / kAlign * kAlign : b->size;
      err = writeAll(fd_, b->data, aligned, offset_);
      if (err == 0 && aligned < b->size) {
        const int fl = ::fcntl(fd_, F_GETFL);
        if (fl < 0 || ::fcntl(fd_, F_SETFL, fl & ~O_DIRECT) < 0) {
          err = errno;
          what = "cannot switch the staging file to buffered writes";
        } else {
          direct_ = false;
          err = writeAll(fd_, b->data + aligned, b->size - aligned, offset_ + aligned);
        }
      }
      offset_ += b->size;
    }
    lk.lock();
    if (err != 0) fail(err, what);
    const bool last = b->last;
    free_.push_back(std::move(b));
    --blocks_out_;
    if (last) done_ = true;
    cv_.notify_all();
    if (last) return;
  }
}

std::optional<FileDigests> DirectFileWriter::finish() {
  if (finished_ || fd_ < 0) return std::nullopt;
  finished_ = true;
  if (!cur_) {
    std::lock_guard lk(mu_);
    if (errno_ != 0) return std::nullopt;
    if (!free_.empty()) {
      cur_ = std::move(free_.back());
      free_.pop_back();
    } else {
      cur_ = Block::take(block_bytes_);
    }
    ++blocks_out_;
    cur_->size = 0;
  }
  if (!submit(true)) return std::nullopt;
  {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return done_; });
    if (errno_ != 0) return std::nullopt;
  }
  writer_.join();
  return FileDigests{hash_.hexDigest()};
}

}  // namespace dualread
