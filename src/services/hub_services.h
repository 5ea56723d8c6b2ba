#pragma once
// HubServices: the application services one running hub shares between its network doors
// (HTTP, DIMSE). Owned by app/Hub; the doors hold a reference for their lifetime. Each member
// is thread-safe.

#include "services/exam_service.h"
#include "services/hub_config.h"
#include "services/ingest_service.h"
#include "services/workflow_service.h"

namespace dualread {

class AuditService;
class GatewayReceiver;

struct HubServices {
  const HubConfig& config;
  BlobStore& blobs;
  ArchiveIndex& index;
  IngestService& ingest;
  ExamService& exams;
  // The screening workflow; null in tools and tests that run without it (its routes then
  // answer 503).
  WorkflowService* workflow = nullptr;
  // The audit trail; null in tools and tests that run without it (reads are then served
  // unrecorded and GET /api/audit answers 503).
  AuditService* audit = nullptr;
  // The imaging-centre gateways' uploads, manifests and ledger; null in tools and tests that
  // run without it (its routes then answer 503).
  GatewayReceiver* gateway = nullptr;
};

}  // namespace dualread
