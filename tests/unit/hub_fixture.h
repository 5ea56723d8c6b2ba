#pragma once
// HubFixture: a complete set of hub services over a fresh temporary data directory, for tests
// that exercise a door (HTTP, DIMSE) or a service without starting the whole binary.
// Not thread-safe itself; the services it owns are.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>

#include "index/archive_index.h"
#include "index/follow_up_store.h"
#include "index/letter_store.h"
#include "index/register_store.h"
#include "index/workflow_store.h"
#include "services/audit_service.h"
#include "services/exam_service.h"
#include "services/follow_up_service.h"
#include "services/hub_services.h"
#include "services/indicator_service.h"
#include "services/ingest_service.h"
#include "services/letter_service.h"
#include "services/register_service.h"
#include "services/workflow_service.h"
#include "storage/fs_blob_store.h"

namespace dualread::testing {

inline std::filesystem::path makeTempDir(const std::string& prefix) {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() /
             (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

class HubFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir("dualread-test");
    config_.data_dir = dir_;
    config_.http_port = 0;
    config_.dicom_port = 0;
    config_.open = true;
    configure(config_);
    blobs_ = std::make_unique<FsBlobStore>(dir_);
    index_ = std::make_unique<ArchiveIndex>((dir_ / "index.sqlite").string(), 2);
    IngestOptions opts;
    opts.max_object_bytes = config_.max_object_bytes;
    opts.completeness = config_.completeness;
    opts.accepted_sop_classes = {config_.accepted_sop_classes.begin(),
                                 config_.accepted_sop_classes.end()};
    ingest_ = std::make_unique<IngestService>(*blobs_, *index_, opts);
    exams_ = std::make_unique<ExamService>(*index_);
    workflow_store_ = std::make_unique<WorkflowStore>((dir_ / "index.sqlite").string());
    audit_ = std::make_unique<AuditService>(dir_ / "index.sqlite");
    workflow_ =
        std::make_unique<WorkflowService>(config_, *index_, *workflow_store_, workflowClock());
    workflow_->setAudit(audit_.get());
    ingest_->setInstanceStoredObserver(
        [w = workflow_.get()](const InstanceSummary& s) { w->onInstanceStored(s); });
    const std::string db = (dir_ / "index.sqlite").string();
    register_store_ = std::make_unique<RegisterStore>(db);
    register_ = std::make_unique<RegisterService>(*register_store_, audit_.get());
    letter_store_ = std::make_unique<LetterStore>(db);
    letters_ = std::make_unique<LetterService>(config_, *index_, *workflow_, *register_,
                                               *letter_store_, audit_.get(), workflowClock());
    follow_up_store_ = std::make_unique<FollowUpStore>(db);
    follow_up_ = std::make_unique<FollowUpService>(config_, *workflow_, *follow_up_store_,
                                                   audit_.get(), workflowClock());
    indicators_ = std::make_unique<IndicatorService>(config_, *workflow_, *follow_up_,
                                                     register_.get(), workflowClock());
    services_ = std::make_unique<HubServices>(
        HubServices{config_, *blobs_, *index_, *ingest_, *exams_, workflow_.get(), audit_.get()});
    services_->register_service = register_.get();
    services_->letters = letters_.get();
    services_->follow_up = follow_up_.get();
    services_->indicators = indicators_.get();
  }
  void TearDown() override {
    services_.reset();
    indicators_.reset();
    follow_up_.reset();
    follow_up_store_.reset();
    letters_.reset();
    letter_store_.reset();
    register_.reset();
    register_store_.reset();
    workflow_.reset();
    workflow_store_.reset();
    audit_.reset();
    exams_.reset();
    ingest_.reset();
    index_.reset();
    blobs_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // Override to change the configuration before the services are built.
  virtual void configure(HubConfig&) {}
  // Override to give the workflow a fixed clock; empty = the system clock.
  virtual WorkflowService::Clock workflowClock() { return {}; }

  std::filesystem::path dir_;
  HubConfig config_;
  std::unique_ptr<FsBlobStore> blobs_;
  std::unique_ptr<ArchiveIndex> index_;
  std::unique_ptr<IngestService> ingest_;
  std::unique_ptr<ExamService> exams_;
  std::unique_ptr<WorkflowStore> workflow_store_;
  std::unique_ptr<AuditService> audit_;
  std::unique_ptr<WorkflowService> workflow_;
  std::unique_ptr<RegisterStore> register_store_;
  std::unique_ptr<RegisterService> register_;
  std::unique_ptr<LetterStore> letter_store_;
  std::unique_ptr<LetterService> letters_;
  std::unique_ptr<FollowUpStore> follow_up_store_;
  std::unique_ptr<FollowUpService> follow_up_;
  std::unique_ptr<IndicatorService> indicators_;
  std::unique_ptr<HubServices> services_;
};

}  // namespace dualread::testing
