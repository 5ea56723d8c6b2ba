#include "gateway/forwarder.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "dicom/jpegls_transcoder.h"
#include "storage/sha256.h"
#include "util/wall_clock.h"

namespace fs = std::filesystem;

namespace dualread {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kJpegLsLossless = "1.2.840.10008.1.2.4.80";
constexpr int kMaxRoundsPerAttempt = 6;

// The hub's sentence in an error body, or the status.
std::string hubSentence(const HubResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string())
    return "HTTP " + std::to_string(r.status) + ": " + j["error"].get<std::string>();
  return "HTTP " + std::to_string(r.status);
}

// A failure worth retrying later (link, hub busy).
struct Retry : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Refusals of this content: retrying the same bytes cannot help. Others (401/403 until the
// token is fixed, 404 from a hub without the gateway routes yet, 5xx) are retried.
bool permanent(int status) {
  return status == 400 || status == 409 || status == 413 || status == 415 || status == 422;
}

}  // namespace

Forwarder::Forwarder(const GatewayConfig& config, GatewayQueue& queue, FsBlobStore& blobs,
                     HubClient& client, DiskReserve* reserve)
    : config_(config),
      queue_(queue),
      blobs_(blobs),
      client_(client),
      reserve_(reserve),
      limiter_(config.bandwidth_bytes_per_second),
      rng_(std::random_device{}()) {}

Forwarder::~Forwarder() { stop(); }

void Forwarder::start() {
  if (int n = queue_.recoverInterrupted())
    spdlog::info("{} uploads interrupted by the last stop resume from the hub's confirmed offset",
                 n);
  stopping_ = false;
  last_sample_ = Clock::now();
  threads_.emplace_back([this] { prepareLoop(); });
  for (int i = 0; i < std::max(1, config_.streams); ++i)
    threads_.emplace_back([this, i] { sendLoop(i); });
  threads_.emplace_back([this] { stewardLoop(); });
}

void Forwarder::stop() {
  if (threads_.empty()) return;
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    ++wake_seq_;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Forwarder::wake() {
  {
    std::lock_guard lk(mu_);
    ++wake_seq_;
  }
  cv_.notify_all();
}

bool Forwarder::waitFor(std::chrono::milliseconds d) {
  std::unique_lock lk(mu_);
  const uint64_t seq = wake_seq_;
  cv_.wait_for(lk, d, [&] { return stopping_ || wake_seq_ != seq; });
  return !stopping_;
}

int64_t Forwarder::backoffMs(int attempts) {
  // Exponential backoff with "equal jitter": half the delay fixed, half random, so that
  // gateways cut by the same outage do not all come back at the same instant.
  const double base = config_.backoff_initial_seconds * 1000.0;
  const double cap = config_.backoff_max_seconds * 1000.0;
  const double d = std::min(cap, base * std::pow(2.0, std::min(attempts, 30)));
  std::lock_guard lk(rng_mu_);
  std::uniform_real_distribution<double> half(0.0, d / 2);
  return static_cast<int64_t>(d / 2 + half(rng_));
}

void Forwarder::prepareLoop() {
  while (!stopping_) {
    std::optional<QueuedInstance> in;
    try {
      in = queue_.nextToPrepare();
    } catch (const std::exception& e) {
      spdlog::error("The gateway queue cannot be read: {}", e.what());
    }
    if (!in) {
      waitFor(std::chrono::milliseconds(1000));
      continue;
    }
    fs::path original;
    try {
      original = blobs_.pathOf(in->original_key);
    } catch (const std::exception& e) {
      queue_.markInstanceError(in->sop_uid, "its file is missing from the gateway's disk");
      continue;
    }
    std::string pixel, send_key = in->original_key, send_ts = in->transfer_syntax;
    uint64_t send_size = in->original_size;
    const fs::path copy = blobs_.newStagingPath();
    try {
      if (config_.transcode && reserve_ && reserve_->spent()) {
        // The disk is full: no copy, the image goes as received.
        pixel = pixelSha256(original);
      } else if (config_.transcode) {
        TranscodeOutcome t = transcodeJpegLsLossless(original, copy);
        pixel = t.pixel_sha256;
        if (t.transcoded) {
          BlobInfo b = blobs_.adopt(copy, "");
          send_key = b.key;
          send_size = b.size;
          send_ts = kJpegLsLossless;
        } else {
          spdlog::debug("Image {} sent as received: {}", in->sop_uid, t.reason);
        }
      } else {
        pixel = pixelSha256(original);
      }
    } catch (const std::exception& e) {
      std::error_code ec;
      fs::remove(copy, ec);
      // Sent as received; the hub then checks its SHA-256 only.
      spdlog::warn("Image {} cannot be compressed losslessly ({}); it will be sent as received",
                   in->sop_uid, e.what());
      try {
        pixel = pixelSha256(original);
      } catch (const std::exception&) {
        pixel.clear();
      }
      send_key = in->original_key;
      send_size = in->original_size;
      send_ts = in->transfer_syntax;
    }
    try {
      queue_.markPrepared(in->sop_uid, pixel, send_key, send_size, send_ts);
      wake();
    } catch (const std::exception& e) {
      spdlog::error("The gateway queue cannot be written: {}", e.what());
      onQueueWriteFailure();
      waitFor(std::chrono::milliseconds(1000));
    }
  }
}

void Forwarder::sendLoop(int) {
  while (!stopping_) {
    std::optional<QueuedInstance> in;
    try {
      in = queue_.claimNextToSend(nowMs());
    } catch (const std::exception& e) {
      spdlog::error("The gateway queue cannot be read: {}", e.what());
      onQueueWriteFailure();  // claiming an instance writes
    }
    if (!in) {
      waitFor(std::chrono::milliseconds(500));
      continue;
    }
    sendOne(std::move(*in));
  }
}

void Forwarder::sendOne(QueuedInstance in) {
  const std::string create = json{
      {"cim", config_.cim},
      {"sop_instance_uid", in.sop_uid},
      {"study_instance_uid", in.study_uid},
      {"size", in.send_size},
      {"sha256", in.send_key},
      {"original_sha256", in.original_key},
      {"pixel_sha256", in.pixel_sha256},
      {"transfer_syntax", in.send_transfer_syntax},
      {"prior", in.prior}}.dump();
  // Paces the upload under the cap; a stop interrupts it (the hub keeps what it confirmed).
  const std::function<void(size_t)> pace = [this](size_t n) {
    if (stopping_) throw Retry("the gateway is stopping");
    limiter_.acquire(n);
  };
  try {
    const fs::path file = blobs_.pathOf(in.send_key);
    for (int round = 0; round < kMaxRoundsPerAttempt && !stopping_; ++round) {
      // Creating is idempotent and answers the offset the hub has made durable.
      HubResponse r = client_.request("POST", "/api/gateway/uploads",
                                      {{"Content-Type", "application/json"}}, create);
      if (permanent(r.status)) {
        queue_.markInstanceError(in.sop_uid, hubSentence(r));
        return;
      }
      if (r.status != 200 && r.status != 201) throw Retry(hubSentence(r));
      json up = json::parse(r.body, nullptr, false);
      if (!up.is_object() || !up.contains("upload_id"))
        throw Retry("the hub's answer to an upload creation is not understood");
      std::string id = up["upload_id"].get<std::string>();
      uint64_t offset = up.value("offset", uint64_t{0});
      std::string state = up.value("state", std::string());
      queue_.setUpload(in.sop_uid, id, offset);
      while (!stopping_) {
        if (state == "stored") {
          queue_.markSent(in.sop_uid, nowIso());
          spdlog::info("Image {} of study {} delivered to the hub and verified{}", in.sop_uid,
                       in.study_uid, in.prior ? " (prior)" : "");
          return;
        }
        if (state == "refused") {
          queue_.markInstanceError(in.sop_uid, up.value("reason", std::string("refused")));
          return;
        }
        if (offset > 0)
          spdlog::info("Resuming image {} at byte {} of {}", in.sop_uid, offset, in.send_size);
        HubResponse p = client_.upload("PATCH", "/api/gateway/uploads/" + id,
                                       {{"Content-Type", "application/offset+octet-stream"},
                                        {"Upload-Offset", std::to_string(offset)},
                                        {"Tus-Resumable", "1.0.0"}},
                                       file, offset, in.send_size - offset, pace, &bytes_sent_);
        if (p.status == 204) {
          offset = std::stoull(p.header("upload-offset").empty() ? "0" : p.header("upload-offset"));
          queue_.setUpload(in.sop_uid, id, offset);
          continue;
        }
        if (p.status == 200) {
          up = json::parse(p.body, nullptr, false);
          state = up.is_object() ? up.value("state", std::string()) : std::string();
          continue;
        }
        if (p.status == 409 || p.status == 404) break;  // re-create: fresh offset and state
        if (permanent(p.status)) {
          queue_.markInstanceError(in.sop_uid, hubSentence(p));
          return;
        }
        throw Retry(hubSentence(p));
      }
    }
    if (stopping_) throw Retry("the gateway is stopping");
    throw Retry("the hub kept changing the upload's offset");
  } catch (const std::exception& e) {
    const int64_t delay = backoffMs(in.attempts);
    try {
      queue_.markRetry(in.sop_uid, e.what(), nowMs() + delay);
    } catch (const std::exception& e2) {
      spdlog::error("The gateway queue cannot be written: {}", e2.what());
      onQueueWriteFailure();
    }
    {
      std::lock_guard lk(error_mu_);
      last_error_ = nowIso() + " " + e.what();
    }
    if (!stopping_)
      spdlog::warn("Image {} not delivered yet ({}); next try in {:.1f} s", in.sop_uid, e.what(),
                   static_cast<double>(delay) / 1000.0);
  }
}

void Forwarder::sendManifest(const QueuedExam& exam) {
  const auto instances = queue_.instancesOf(exam.study_uid);
  json list = json::array();
  for (const auto& i : instances)
    list.push_back({{"sop_instance_uid", i.sop_uid},
                    {"sha256", i.send_key},
                    {"original_sha256", i.original_key},
                    {"pixel_sha256", i.pixel_sha256}});
  const json body = {{"cim", config_.cim},
                     {"study_instance_uid", exam.study_uid},
                     {"prior", exam.prior},
                     {"instance_count", instances.size()},
                     {"instances", list}};
  try {
    HubResponse r = client_.request("POST", "/api/gateway/manifests",
                                    {{"Content-Type", "application/json"}}, body.dump());
    if (r.status != 200) {
      if (permanent(r.status)) {
        queue_.markExamError(exam.study_uid, "manifest refused: " + hubSentence(r));
        return;
      }
      throw Retry(hubSentence(r));
    }
    json a = json::parse(r.body, nullptr, false);
    const std::string status = a.is_object() ? a.value("status", std::string()) : "";
    if (status == "acknowledged") {
      queue_.markAcknowledged(exam.study_uid, a.value("acknowledged_at", nowIso()), nowMs());
      spdlog::info("Exam {} acknowledged by the hub: {} images stored and verified{}",
                   exam.study_uid, instances.size(), exam.prior ? " (prior)" : "");
      return;
    }
    if (status == "refused") {
      std::string why;
      for (const auto& f : a["refused"])
        why += (why.empty() ? "" : "; ") + f.value("sop_instance_uid", std::string()) + ": " +
               f.value("reason", std::string());
      queue_.markExamError(exam.study_uid, "the hub refused images: " + why);
      return;
    }
    std::vector<std::string> missing;
    if (a.is_object() && a["missing"].is_array())
      for (const auto& m : a["missing"]) missing.push_back(m.get<std::string>());
    spdlog::warn("The hub lacks {} images of exam {}: sending them again", missing.size(),
                 exam.study_uid);
    queue_.resend(missing);
    queue_.markManifestRetry(
        exam.study_uid, "the hub lacked " + std::to_string(missing.size()) + " images; sent again",
        nowMs() + backoffMs(exam.manifest_attempts));
    wake();
  } catch (const std::exception& e) {
    queue_.markManifestRetry(exam.study_uid, e.what(), nowMs() + backoffMs(exam.manifest_attempts));
  }
}

void Forwarder::announceDismissal(const QueuedExam& exam) {
  const auto instances = queue_.instancesOf(exam.study_uid);
  json list = json::array();
  for (const auto& i : instances)
    list.push_back({{"sop_instance_uid", i.sop_uid},
                    {"sha256", i.send_key.empty() ? i.original_key : i.send_key},
                    {"original_sha256", i.original_key},
                    {"pixel_sha256", i.pixel_sha256}});
  const json body = {
      {"cim", config_.cim},
      {"study_instance_uid", exam.study_uid},
      {"prior", exam.prior},
      {"instance_count", instances.size()},
      {"instances", list},
      {"dismissed",
       {{"reason", exam.dismissal_reason}, {"by", exam.dismissed_by}, {"at", exam.dismissed_at}}}};
  const int64_t retry_at = nowMs() + backoffMs(exam.manifest_attempts);
  try {
    HubResponse r = client_.request("POST", "/api/gateway/manifests",
                                    {{"Content-Type", "application/json"}}, body.dump());
    json a = json::parse(r.body, nullptr, false);
    if (r.status == 200 && a.is_object() && a.value("status", std::string()) == "dismissed") {
      queue_.markDismissalRecorded(exam.study_uid, nowMs());
      spdlog::info("The hub recorded the dismissal of exam {}; its files are kept {} more days",
                   exam.study_uid, config_.retention_days);
      return;
    }
    // Until the hub has recorded it (an older hub does not know dismissals), the files stay.
    const std::string why =
        r.status == 200 ? "the hub did not record the dismissal (it may be an older version)"
                        : hubSentence(r);
    spdlog::warn("Dismissal of exam {} not recorded by the hub yet: {}", exam.study_uid, why);
    queue_.markManifestRetry(exam.study_uid, "", retry_at);
  } catch (const std::exception& e) {
    spdlog::warn("Dismissal of exam {} not told to the hub yet: {}", exam.study_uid, e.what());
    queue_.markManifestRetry(exam.study_uid, "", retry_at);
  }
}

void Forwarder::purgeExpired() {
  const int64_t before = nowMs() - int64_t{config_.retention_days} * 86400 * 1000;
  for (const auto& exam : queue_.purgeable(before)) {
    const auto keys = queue_.markPurged(exam.study_uid);
    for (const auto& k : keys) blobs_.remove(k);
    if (exam.state == "dismissed")
      spdlog::info(
          "Exam {} dismissed on {} (recorded by the hub): its {} local files were removed "
          "after {} days",
          exam.study_uid, exam.dismissed_at, keys.size(), config_.retention_days);
    else
      spdlog::info("Exam {} acknowledged on {}: its {} local files were removed after {} days",
                   exam.study_uid, exam.acknowledged_at, keys.size(), config_.retention_days);
  }
}

void Forwarder::onQueueWriteFailure() {
  if (reserve_ && reserve_->releaseIfFull()) wake();
}

void Forwarder::publishStatus() {
  const auto now = Clock::now();
  const double dt = std::chrono::duration<double>(now - last_sample_).count();
  if (dt < 1.0) return;
  const uint64_t total = bytes_sent_;
  const double instant = static_cast<double>(total - last_bytes_) / dt;
  rate_bps_ = rate_bps_ == 0 ? instant : 0.5 * rate_bps_ + 0.5 * instant;
  last_bytes_ = total;
  last_sample_ = now;
  queue_.setStatus("link_rate_bytes_per_second", std::to_string(static_cast<uint64_t>(rate_bps_)));
  queue_.setStatus("bytes_sent_total", std::to_string(total));
  queue_.setStatus("updated_at", nowIso());
  std::lock_guard lk(error_mu_);
  if (!last_error_.empty()) queue_.setStatus("last_link_error", last_error_);
}

void Forwarder::stewardLoop() {
  while (!stopping_) {
    try {
      for (const auto& exam : queue_.examsDueForManifest(nowMs(), config_.quiet_seconds * 1000LL)) {
        if (stopping_) break;
        if (!exam.prior && !exam.priors_checked && priors_hook_) priors_hook_(exam);
        sendManifest(exam);
      }
      for (const auto& exam : queue_.dismissalsToAnnounce(nowMs())) {
        if (stopping_) break;
        announceDismissal(exam);
      }
      if (Clock::now() - last_purge_ > std::chrono::minutes(1) ||
          last_purge_ == Clock::time_point{}) {
        last_purge_ = Clock::now();
        purgeExpired();
      }
      publishStatus();
    } catch (const std::exception& e) {
      spdlog::error("Gateway housekeeping failed: {}", e.what());
      onQueueWriteFailure();
    }
    if (reserve_ && reserve_->spent()) reserve_->restore();
    waitFor(std::chrono::milliseconds(1000));
  }
  try {
    publishStatus();
  } catch (...) {
  }
}

}  // namespace dualread
