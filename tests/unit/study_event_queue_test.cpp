#include "services/study_event_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace dualread {
namespace {

TEST(StudyEventQueue, DeliversEveryStudyAndDeduplicatesWhileQueued) {
  std::mutex mu;
  std::map<std::string, int> seen;
  std::atomic<bool> release{false};
  StudyEventQueue q([&](const std::string& uid) {
    while (!release) std::this_thread::yield();
    std::lock_guard lk(mu);
    ++seen[uid];
  });
  // Queued before the worker starts: each study once, however many images arrived.
  for (int i = 0; i < 50; ++i) q.push("1.2.3." + std::to_string(i % 5));
  EXPECT_EQ(q.pending(), 5u);
  q.start();
  release = true;
  q.drain();
  EXPECT_EQ(seen.size(), 5u);
  for (auto& [uid, n] : seen) EXPECT_EQ(n, 1) << uid;
  q.stop();
}

TEST(StudyEventQueue, StudyPushedDuringDeliveryIsDeliveredAgain) {
  std::atomic<int> calls{0};
  StudyEventQueue* self = nullptr;
  StudyEventQueue q([&](const std::string& uid) {
    if (calls++ == 0) self->push(uid);  // a late image of the same study
  });
  self = &q;
  q.start();
  q.push("1.2.3");
  q.drain();
  EXPECT_EQ(calls.load(), 2);
}

TEST(StudyEventQueue, ConsumerFailureDoesNotStopTheQueue) {
  std::vector<std::string> got;
  StudyEventQueue q([&](const std::string& uid) {
    if (uid == "bad") throw std::runtime_error("boom");
    got.push_back(uid);
  });
  q.start();
  q.push("bad");
  q.push("good");
  q.drain();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "good");
}

TEST(StudyEventQueue, StopDeliversWhatIsQueued) {
  std::atomic<int> calls{0};
  StudyEventQueue q([&](const std::string&) { ++calls; });
  q.push("a");
  q.push("b");
  q.start();
  q.stop();
  EXPECT_EQ(calls.load(), 2);
}

}  // namespace
}  // namespace dualread
