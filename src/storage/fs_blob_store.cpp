#include "storage/fs_blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "storage/sha256.h"

namespace fs = std::filesystem;

namespace dualread {
namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& p) {
  throw StorageError(what + " " + p.string() + ": " + std::strerror(errno));
}

void fsyncPath(const fs::path& p, bool directory) {
  int fd = ::open(p.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) fail("cannot open for fsync", p);
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("fsync failed on", p);
  }
  ::close(fd);
}

bool validKey(const std::string& key) {
  if (key.size() != 64) return false;
  for (char c : key)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Creates dir (and parents) and makes each new directory entry durable.
void ensureDir(const fs::path& dir) {
  if (fs::exists(dir)) return;
  ensureDir(dir.parent_path());
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) fail("cannot create directory", dir);
  fsyncPath(dir.parent_path(), true);
}

}  // namespace

FsBlobStore::FsBlobStore(fs::path root)
    : root_(std::move(root)), blobs_(root_ / "blobs"), staging_(root_ / "staging") {
  std::error_code ec;
  fs::create_directories(blobs_, ec);
  fs::create_directories(staging_, ec);
  if (ec || ::access(staging_.c_str(), W_OK) != 0) fail("blob store is not writable:", root_);
  std::random_device rd;
  counter_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

fs::path FsBlobStore::newStagingPath() {
  return staging_ / ("in-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) +
                     ".part");
}

fs::path FsBlobStore::blobPath(const std::string& key) const {
  return blobs_ / key.substr(0, 2) / key.substr(2, 2) / key;
}

BlobInfo FsBlobStore::adopt(const fs::path& staged, const std::string& known_sha256) {
  BlobInfo info;
  info.key = known_sha256.empty() ? sha256File(staged) : known_sha256;
  std::error_code ec;
  info.size = fs::file_size(staged, ec);
  if (ec) throw StorageError("staged file vanished: " + staged.string());
  const fs::path target = blobPath(info.key);
  if (fs::exists(target)) {
    fs::remove(staged, ec);
    return info;
  }
  fsyncPath(staged, false);
  ensureDir(target.parent_path());
  if (::rename(staged.c_str(), target.c_str()) != 0) fail("cannot move blob into place:", target);
  fsyncPath(target.parent_path(), true);
  return info;
}

BlobInfo FsBlobStore::put(std::string_view bytes) {
  const fs::path staged = newStagingPath();
  int fd = ::open(staged.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0640);
  if (fd < 0) fail("cannot create", staged);
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      ::unlink(staged.c_str());
      fail("cannot write", staged);
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  try {
    return adopt(staged, sha256Hex(bytes));
  } catch (...) {
    ::unlink(staged.c_str());
    throw;
  }
}

fs::path FsBlobStore::pathOf(const std::string& key) const {
  if (!validKey(key)) throw StorageError("not a blob key: " + key);
  return blobPath(key);
}

bool FsBlobStore::exists(const std::string& key) const {
  return validKey(key) && fs::exists(blobPath(key));
}

void FsBlobStore::remove(const std::string& key) {
  if (!validKey(key)) return;
  std::error_code ec;
  fs::remove(blobPath(key), ec);
}

void FsBlobStore::forEach(const std::function<void(const std::string&, uint64_t)>& fn) const {
  for (const auto& e : fs::recursive_directory_iterator(blobs_)) {
    if (!e.is_regular_file()) continue;
    fn(e.path().filename().string(), e.file_size());
  }
}

int FsBlobStore::cleanStaging() {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(staging_, ec)) {
    if (fs::remove(e.path(), ec)) ++n;
  }
  return n;
}

}  // namespace dualread
