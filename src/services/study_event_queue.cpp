#include "services/study_event_queue.h"

#include <spdlog/spdlog.h>

namespace dualread {

StudyEventQueue::StudyEventQueue(Consumer consumer) : consumer_(std::move(consumer)) {}

StudyEventQueue::~StudyEventQueue() { stop(); }

void StudyEventQueue::start() {
  std::lock_guard lk(mu_);
  if (worker_.joinable()) return;
  stopping_ = false;
  worker_ = std::thread([this] { run(); });
}

void StudyEventQueue::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void StudyEventQueue::push(const std::string& study_uid) {
  {
    std::lock_guard lk(mu_);
    if (!queued_.insert(study_uid).second) return;
    queue_.push_back(study_uid);
  }
  cv_.notify_one();
}

void StudyEventQueue::drain() {
  std::unique_lock lk(mu_);
  idle_cv_.wait(lk, [this] { return queue_.empty() && !busy_; });
}

size_t StudyEventQueue::pending() const {
  std::lock_guard lk(mu_);
  return queue_.size() + (busy_ ? 1 : 0);
}

void StudyEventQueue::run() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    std::string uid = std::move(queue_.front());
    queue_.pop_front();
    // Removed before delivery: images arriving during delivery queue the study again.
    queued_.erase(uid);
    busy_ = true;
    lk.unlock();
    try {
      consumer_(uid);
    } catch (const std::exception& e) {
      spdlog::error("Workflow update of study {} failed: {}", uid, e.what());
    }
    lk.lock();
    busy_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

}  // namespace dualread
