#include "app/hub.h"

#include <spdlog/spdlog.h>

#include "dicom/dimse_server.h"
#include "http/http_server.h"
#include "index/archive_index.h"
#include "index/follow_up_store.h"
#include "index/gateway_ledger.h"
#include "index/identity_store.h"
#include "index/letter_store.h"
#include "index/register_store.h"
#include "index/workflow_store.h"
#include "services/access_service.h"
#include "services/account_admin.h"
#include "services/audit_service.h"
#include "services/exam_service.h"
#include "services/follow_up_service.h"
#include "services/gateway_receiver.h"
#include "services/identity_service.h"
#include "services/indicator_service.h"
#include "services/ingest_service.h"
#include "services/letter_service.h"
#include "services/register_service.h"
#include "services/study_event_queue.h"
#include "services/workflow_service.h"
#include "storage/fs_blob_store.h"
#include "tls/tls_files.h"

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
  std::unique_ptr<IdentityStore> identity_store;
  std::unique_ptr<IdentityService> identity;
  std::unique_ptr<StudyEventQueue> study_events;
  std::unique_ptr<RegisterStore> register_store;
  std::unique_ptr<RegisterService> register_service;
  std::unique_ptr<LetterStore> letter_store;
  std::unique_ptr<LetterService> letters;
  std::unique_ptr<FollowUpStore> follow_up_store;
  std::unique_ptr<FollowUpService> follow_up;
  std::unique_ptr<IndicatorService> indicators;
  std::unique_ptr<GatewayLedger> gateway_ledger;
  std::unique_ptr<GatewayReceiver> gateway;
  std::unique_ptr<HubServices> services;
  std::unique_ptr<AccessService> access;
  std::unique_ptr<AccountAdmin> accounts;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<DimseServer> dimse;
};

Hub::Hub(HubConfig config) : impl_(std::make_unique<Impl>()) { impl_->config = std::move(config); }

Hub::~Hub() { stop(); }

void Hub::start() {
  auto& c = impl_->config;
  // TLS files and settings are checked before anything opens: a wrong file is one sentence.
  if (const auto cert = tls::checkTlsConfig(c); c.tls.enabled())
    spdlog::info("TLS certificate {} (CN {}, valid until {})", c.tls.cert.string(),
                 cert.subject_cn.empty() ? "none" : cert.subject_cn, cert.not_after);
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
  // Identity vigilance: every image and form is matched to the register before it counts;
  // doubtful identities wait in the identity queue and hold their exam back.
  impl_->identity_store = std::make_unique<IdentityStore>((c.data_dir / "index.sqlite").string());
  impl_->identity = std::make_unique<IdentityService>(*impl_->identity_store, *impl_->index);
  impl_->identity->setAudit(impl_->audit.get());
  impl_->identity->setReassess([i = impl_->ingest.get()](const std::vector<std::string>& uids) {
    i->reassessStudies(uids);
  });
  impl_->identity->setReleasedObserver(
      [w = impl_->workflow.get()](const std::vector<std::string>& studies,
                                  const std::vector<std::string>& exams) {
        w->identityReconciled(studies, exams);
      });
  impl_->identity->setExamMover([w = impl_->workflow.get()](const std::string& from,
                                                            const std::string& to,
                                                            const std::vector<std::string>* only) {
    return w->moveExams(from, to, only);
  });
  impl_->ingest->setIdentity(impl_->identity.get());
  impl_->ingest->setAudit(impl_->audit.get());
  impl_->workflow->setIdentity(impl_->identity.get());
  // The workflow follows the archive on its own thread: an image is acknowledged as soon as it
  // is durably archived, and exams are assembled just after.
  impl_->study_events =
      std::make_unique<StudyEventQueue>([w = impl_->workflow.get()](const std::string& uid) {
        InstanceSummary s;
        s.study_instance_uid = uid;
        w->onInstanceStored(s);
      });
  impl_->ingest->setInstanceStoredObserver(
      [q = impl_->study_events.get()](const InstanceSummary& s) { q->push(s.study_instance_uid); });
  const auto unlinked = impl_->workflow_store->studiesNotInAnExam();
  for (const auto& uid : unlinked) impl_->study_events->push(uid);
  if (!unlinked.empty())
    spdlog::info("{} archived studies are not in a screening exam yet: assembling them",
                 unlinked.size());
  impl_->study_events->start();
  const std::string index_path = (c.data_dir / "index.sqlite").string();
  impl_->register_store = std::make_unique<RegisterStore>(index_path);
  impl_->register_service =
      std::make_unique<RegisterService>(*impl_->register_store, impl_->audit.get());
  impl_->letter_store = std::make_unique<LetterStore>(index_path);
  impl_->letters =
      std::make_unique<LetterService>(c, *impl_->index, *impl_->workflow, *impl_->register_service,
                                      *impl_->letter_store, impl_->audit.get());
  impl_->follow_up_store = std::make_unique<FollowUpStore>(index_path);
  impl_->follow_up = std::make_unique<FollowUpService>(c, *impl_->workflow, *impl_->follow_up_store,
                                                       impl_->audit.get());
  impl_->indicators = std::make_unique<IndicatorService>(c, *impl_->workflow, *impl_->follow_up,
                                                         impl_->register_service.get());
  impl_->services = std::make_unique<HubServices>(
      HubServices{c, *impl_->blobs, *impl_->index, *impl_->ingest, *impl_->exams,
                  impl_->workflow.get(), impl_->audit.get()});
  impl_->services->register_service = impl_->register_service.get();
  impl_->services->letters = impl_->letters.get();
  impl_->services->follow_up = impl_->follow_up.get();
  impl_->services->indicators = impl_->indicators.get();
  impl_->services->identity = impl_->identity.get();
  impl_->access = std::make_unique<AccessService>((c.data_dir / "index.sqlite").string(), c.access);
  impl_->access->setAudit(impl_->audit.get());
  impl_->access->setBirthDateLookup(
      [index = impl_->index.get()](const std::string& woman) -> std::optional<std::string> {
        WomanRow w;
        if (woman.empty() || woman.size() > 18 ||
            woman.find_first_not_of("0123456789") != std::string::npos ||
            !index->getWoman(std::stoll(woman), w) || w.birth_date.empty())
          return std::nullopt;
        return w.birth_date;
      });
  impl_->services->access = impl_->access.get();
  impl_->accounts = std::make_unique<AccountAdmin>(*impl_->access, impl_->audit.get());
  impl_->services->accounts = impl_->accounts.get();
  // The code printed in a woman's letter is the one the portal accepts.
  impl_->letters->setAccessCodeIssuer(
      [a = impl_->access.get()](const std::string& woman, const std::string& round) {
        return a->issueWomanCode(woman, round);
      });
  if (!c.open && !impl_->access->hasUsers())
    spdlog::warn(
        "No user account exists yet: every request will be refused until one is added with "
        "'dualread admin add-user --data {} ...'",
        c.data_dir.string());
  // The imaging-centre gateways: resumable uploads and the reconciliation ledger, in their own
  // database so that upload progress never waits for the archive's writer.
  impl_->gateway_ledger =
      std::make_unique<GatewayLedger>((c.data_dir / "gateway-ledger.sqlite").string());
  impl_->gateway = std::make_unique<GatewayReceiver>(*impl_->ingest, *impl_->gateway_ledger,
                                                     c.data_dir / "gateway-uploads");
  impl_->services->gateway = impl_->gateway.get();
  // An image received from a modality and its JPEG-LS copy received through a gateway are one
  // object, whichever arrives first.
  impl_->ingest->setOriginalResolver([ledger = impl_->gateway_ledger.get()](const std::string& k) {
    return ledger->originalOf(k).value_or(k);
  });
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

uint16_t Hub::httpsPort() const { return impl_->http ? impl_->http->tlsPort() : 0; }

}  // namespace dualread
