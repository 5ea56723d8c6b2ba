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
#include "index/workflow_store.h"
#include "services/audit_service.h"
#include "services/exam_service.h"
#include "services/hub_services.h"
#include "services/ingest_service.h"
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
    services_ = std::make_unique<HubServices>(
        HubServices{config_, *blobs_, *index_, *ingest_, *exams_, workflow_.get(), audit_.get()});
  }
  void TearDown() override {
    services_.reset();
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
  std::unique_ptr<HubServices> services_;
};

}  // namespace dualread::testing
