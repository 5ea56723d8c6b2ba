#include "storage/disk_reserve.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fs = std::filesystem;

namespace dualread {
namespace {

std::string kb(uint64_t b) { return std::to_string(b >> 10) + " KB"; }

// Below this, the disk counts as full for the queue database (a few WAL frames).
constexpr uint64_t kFullBelow = 256 * 1024;

}  // namespace

DiskReserve::DiskReserve(fs::path file, uint64_t bytes) : file_(std::move(file)), bytes_(bytes) {
  std::error_code ec;
  if (bytes_ > 0 && !fs::exists(file_, ec)) spent_ = true;  // restore() will create it
  if (bytes_ == 0) fs::remove(file_, ec);
}

uint64_t DiskReserve::freeBytes() const {
  struct statvfs s {};
  const fs::path dir = file_.parent_path().empty() ? fs::path(".") : file_.parent_path();
  if (::statvfs(dir.c_str(), &s) != 0) return 0;
  return static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
}

bool DiskReserve::restore() {
  if (bytes_ == 0) return false;
  std::lock_guard lk(mu_);
  std::error_code ec;
  if (fs::exists(file_, ec) && fs::file_size(file_, ec) == bytes_) {
    spent_ = false;
    return false;
  }
  if (freeBytes() < 2 * bytes_) {
    if (!warned_)
      spdlog::warn(
          "The gateway's disk has {} free: its emergency reserve of {} cannot be set aside yet",
          kb(freeBytes()), kb(bytes_));
    warned_ = true;
    spent_ = true;
    return false;
  }
  const fs::path tmp = file_.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err = fd < 0 ? errno : ::posix_fallocate(fd, 0, static_cast<off_t>(bytes_));
  if (fd >= 0 && err == 0 && ::fsync(fd) != 0) err = errno;
  if (fd >= 0) ::close(fd);
  if (err == 0 && ::rename(tmp.c_str(), file_.c_str()) != 0) err = errno;
  if (err != 0) {
    fs::remove(tmp, ec);
    if (!warned_)
      spdlog::warn("The gateway's emergency disk reserve ({}) could not be set aside: {}",
                   kb(bytes_), std::strerror(err));
    warned_ = true;
    spent_ = true;
    return false;
  }
  const bool was_spent = spent_.exchange(false);
  warned_ = false;
  if (was_spent)
    spdlog::info("The gateway set aside its emergency disk reserve ({}); {} free", kb(bytes_),
                 kb(freeBytes()));
  return true;
}

bool DiskReserve::releaseIfFull() {
  if (bytes_ == 0) return false;
  std::lock_guard lk(mu_);
  if (spent_) return false;
  const uint64_t free_now = freeBytes();
  if (free_now >= kFullBelow) return false;
  std::error_code ec;
  if (!fs::remove(file_, ec)) return false;
  spent_ = true;
  spdlog::warn(
      "The gateway's disk is full ({} free): it released its emergency reserve of {} so that it "
      "can go on recording deliveries; new images are refused until space is free again",
      kb(free_now), kb(bytes_));
  return true;
}

}  // namespace dualread
