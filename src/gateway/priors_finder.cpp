#include "gateway/priors_finder.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "dicom/priors_scu.h"
#include "util/wall_clock.h"

namespace dualread {
namespace {

bool isMammography(const std::string& modalities) {
  if (modalities.empty()) return true;  // the PACS did not say: look anyway
  size_t start = 0;
  while (start <= modalities.size()) {
    const size_t end = modalities.find('\\', start);
    const std::string m = modalities.substr(start, end == std::string::npos ? end : end - start);
    if (m == "MG") return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

}  // namespace

PriorsFinder::PriorsFinder(const GatewayConfig& config, GatewayQueue& queue, HubClient& hub)
    : config_(config), queue_(queue), hub_(hub) {}

bool PriorsFinder::hubHas(const std::string& study_uid) {
  HubResponse r = hub_.request("GET", "/dicomweb/studies?StudyInstanceUID=" + study_uid,
                               {{"Accept", "application/dicom+json"}});
  if (r.status == 204) return false;
  if (r.status != 200)
    throw std::runtime_error("the hub answered HTTP " + std::to_string(r.status) +
                             " to a study search");
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_array()) throw std::runtime_error("the hub's study search answer is not understood");
  return !j.empty();
}

void PriorsFinder::onNewExam(const QueuedExam& exam) {
  if (config_.pacs.aet.empty() || exam.patient_id.empty()) {
    queue_.markPriorsChecked(exam.study_uid);
    return;
  }
  int retrieved = 0, held = 0;
  try {
    const auto studies = findPatientStudies(config_.pacs, config_.aet, exam.patient_id,
                                            config_.pacs_timeout_seconds);
    for (const auto& s : studies) {
      if (s.study_uid == exam.study_uid || !isMammography(s.modalities)) continue;
      if (queue_.exam(s.study_uid)) continue;  // already here (sent, or on its way)
      if (hubHas(s.study_uid)) {
        ++held;
        continue;
      }
      queue_.expectPrior(s.study_uid, exam.patient_id, nowIso(), nowMs());
      const MoveOutcome m = moveStudy(config_.pacs, config_.aet, s.study_uid, config_.aet,
                                      config_.pacs_timeout_seconds);
      spdlog::info("Prior study {} ({}) retrieved from the PACS {}: {} images{}", s.study_uid,
                   s.study_date, config_.pacs.aet, m.completed,
                   m.failed ? ", " + std::to_string(m.failed) + " failed" : std::string());
      ++retrieved;
    }
    spdlog::info("Priors of exam {}: {} earlier studies retrieved for the hub, {} already there",
                 exam.study_uid, retrieved, held);
  } catch (const std::exception& e) {
    spdlog::warn("Could not look for the priors of exam {}: {}", exam.study_uid, e.what());
  }
  queue_.markPriorsChecked(exam.study_uid);
}

}  // namespace dualread
