#include "app/hub.h"

#include <spdlog/spdlog.h>

#include "dicom/dimse_server.h"
#include "http/http_server.h"
#include "index/archive_index.h"
#include "index/gateway_ledger.h"
#include "index/workflow_store.h"
#include "services/audit_service.h"
#include "services/exam_service.h"
#include "services/gateway_receiver.h"
#include "services/ingest_service.h"
#include "services/study_event_queue.h"
#include "services/workflow_service.h"
#include "storage/fs_blob_store.h"

namespace dualread {

struct Hub::Impl {
  HubConfig config;
  std::unique_ptr<FsBlobStore> blobs;
  std::unique_ptr<ArchiveIndex> index;
  std::unique_ptr<IngestService> ingest;
  std::unique_ptr<ExamService> exams;
  std::unique_ptr<AuditService> audit;
  std::unique_ptr<WorkflowStore> workflow_store;
  std::unique_ptr<WorkflowService> workflow;
  std::unique_ptr<StudyEventQueue> study_events;
  std::unique_ptr<GatewayLedger> gateway_ledger;
  std::unique_ptr<GatewayReceiver> gateway;
  std::unique_ptr<HubServices> services;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<DimseServer> dimse;
};

Hub::Hub(HubConfig config) : impl_(std::make_unique<Impl>()) { impl_->config = std::move(config); }

Hub::~Hub() { stop(); }

void Hub::start() {
  auto& c = impl_->config;
  std::filesystem::create_directories(c.data_dir);
  impl_->blobs = std::make_unique<FsBlobStore>(c.data_dir);
  if (int n = impl_->blobs->cleanStaging())
    spdlog::info("Removed {} partial receptions left by an interrupted run (never acknowledged)",
                 n);
  impl_->index = std::make_unique<ArchiveIndex>((c.data_dir / "index.sqlite").string());
  // Files moved into the store by a run that died before recording them were never
  // acknowledged to their sender: remove them so the archive holds only recorded objects.
  const auto pending = impl_->index->unreferencedBlobIntents();
  for (const auto& key : pending) impl_->blobs->remove(key);
  impl_->index->clearBlobIntents();
  if (!pending.empty())
    spdlog::info("Removed {} stored files whose reception was interrupted before being recorded",
                 pending.size());
  IngestOptions opts;
  opts.accepted_sop_classes = {c.accepted_sop_classes.begin(), c.accepted_sop_classes.end()};
  opts.max_object_bytes = c.max_object_bytes;
  opts.completeness = c.completeness;
  impl_->ingest = std::make_unique<IngestService>(*impl_->blobs, *impl_->index, opts);
  impl_->exams = std::make_unique<ExamService>(*impl_->index);
  impl_->workflow_store = std::make_unique<WorkflowStore>((c.data_dir / "index.sqlite").string());
  impl_->audit = std::make_unique<AuditService>(c.data_dir / "index.sqlite");
  impl_->workflow = std::make_unique<WorkflowService>(c, *impl_->index, *impl_->workflow_store);
  impl_->workflow->setAudit(impl_->audit.get());
  // The workflow follows the archive on its own thread: an image is acknowledged as soon as it
  // is durably archived, and exams are assembled just after.
  impl_->study_events = std::make_unique<StudyEventQueue>(
      [w = impl_->workflow.get()](const std::string& uid) {
        InstanceSummary s;
        s.study_instance_uid = uid;
        w->onInstanceStored(s);
      });
  impl_->ingest->setInstanceStoredObserver(
      [q = impl_->study_events.get()](const InstanceSummary& s) {
        q->push(s.study_instance_uid);
      });
  const auto unlinked = impl_->workflow_store->studiesNotInAnExam();
  for (const auto& uid : unlinked) impl_->study_events->push(uid);
  if (!unlinked.empty())
    spdlog::info("{} archived studies are not in a screening exam yet: assembling them",
                 unlinked.size());
  impl_->study_events->start();
  impl_->services = std::make_unique<HubServices>(
      HubServices{c, *impl_->blobs, *impl_->index, *impl_->ingest, *impl_->exams,
                  impl_->workflow.get(), impl_->audit.get()});
  // The imaging-centre gateways: resumable uploads and the reconciliation ledger, in their own
  // database so that upload progress never waits for the archive's writer.
  impl_->gateway_ledger =
      std::make_unique<GatewayLedger>((c.data_dir / "gateway-ledger.sqlite").string());
  impl_->gateway = std::make_unique<GatewayReceiver>(*impl_->ingest, *impl_->gateway_ledger,
                                                     c.data_dir / "gateway-uploads");
  impl_->services->gateway = impl_->gateway.get();
  auto totals = impl_->index->totals();
  spdlog::info("Archive {} opened: {} women, {} exams, {} images ({} MB), {} in quarantine",
               c.data_dir.string(), totals.women, totals.studies, totals.instances,
               totals.bytes >> 20, totals.quarantined);
  impl_->http = std::make_unique<HttpServer>(*impl_->services);
  impl_->http->start();
  impl_->dimse = std::make_unique<DimseServer>(*impl_->services);
  impl_->dimse->start();
}

void Hub::stop() {
  if (impl_->dimse) impl_->dimse->stop();
  if (impl_->http) impl_->http->stop();
  impl_->dimse.reset();
  impl_->http.reset();
  if (impl_->study_events) impl_->study_events->stop();
}

uint16_t Hub::httpPort() const { return impl_->http ? impl_->http->port() : 0; }

}  // namespace dualread
