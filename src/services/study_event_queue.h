#pragma once
// StudyEventQueue: hands "this study received new images" to a consumer on its own thread, so
// the screening workflow never delays the acknowledgement of an image (C-STORE or STOW) and
// never serialises concurrent senders. A study queued several times before the consumer gets to
// it is delivered once. Owned by app/Hub; push() is thread-safe; start/stop from one thread.
// The consumer must tolerate being called again for a study it already saw: at start-up the
// hub re-queues every study the workflow has not linked yet, which is how a crash between the
// index commit and the workflow update is recovered.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace dualread {

class StudyEventQueue {
 public:
  using Consumer = std::function<void(const std::string& study_uid)>;
  explicit StudyEventQueue(Consumer consumer);
  ~StudyEventQueue();

  void start();
  // Delivers what is queued, then stops the worker.
  void stop();
  void push(const std::string& study_uid);
  // Blocks until every study pushed so far has been delivered (tests, orderly shutdown).
  void drain();
  size_t pending() const;

 private:
  void run();

  Consumer consumer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::string> queue_;
  std::set<std::string> queued_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace dualread
