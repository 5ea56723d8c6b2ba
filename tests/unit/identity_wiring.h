#pragma once
// IdentityWiring: identity vigilance (IdentityStore + IdentityService) wired into a HubFixture's
// services exactly as app/Hub wires it, for tests. Not thread-safe itself.

#include <memory>

#include "hub_fixture.h"
#include "index/identity_store.h"
#include "services/identity_service.h"

namespace dualread::testing {

struct IdentityWiring {
  std::unique_ptr<IdentityStore> store;
  std::unique_ptr<IdentityService> service;

  void wire(const std::filesystem::path& dir, ArchiveIndex& index, IngestService& ingest,
            WorkflowService& workflow, AuditService& audit, HubServices& services) {
    store = std::make_unique<IdentityStore>((dir / "index.sqlite").string());
    service = std::make_unique<IdentityService>(*store, index);
    service->setAudit(&audit);
    service->setReassess(
        [&ingest](const std::vector<std::string>& u) { ingest.reassessStudies(u); });
    service->setReleasedObserver(
        [&workflow](const std::vector<std::string>& s, const std::vector<std::string>& e) {
          workflow.identityReconciled(s, e);
        });
    service->setExamMover([&workflow](const std::string& from, const std::string& to,
                                      const std::vector<std::string>* only) {
      return workflow.moveExams(from, to, only);
    });
    ingest.setIdentity(service.get());
    workflow.setIdentity(service.get());
    services.identity = service.get();
  }
  void reset(IngestService& ingest, WorkflowService& workflow, HubServices& services) {
    ingest.setIdentity(nullptr);
    workflow.setIdentity(nullptr);
    services.identity = nullptr;
    service.reset();
    store.reset();
  }
};

}  // namespace dualread::testing
