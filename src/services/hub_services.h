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
class RegisterService;
class LetterService;
class FollowUpService;
class IndicatorService;
class IdentityService;
class AccessService;
class AccountAdmin;
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
  // Results after reading (null in tools and tests without them; their routes then answer
  // 503): the register of invited women, letters and print runs, follow-up of positives,
  // indicators.
  RegisterService* register_service = nullptr;
  LetterService* letters = nullptr;
  FollowUpService* follow_up = nullptr;
  IndicatorService* indicators = nullptr;
  // Identity vigilance (the identity queue); null in tools and tests that run without it (its
  // routes then answer 503).
  IdentityService* identity = nullptr;
  // Accounts, sessions, tokens, access codes, share links (access control); null in tools and
  // tests that run the hub --open (every request is then served as "open-access").
  AccessService* access = nullptr;
  // Account administration over `access` (the /api/admin routes); null with it.
  AccountAdmin* accounts = nullptr;
  // The imaging-centre gateways' uploads, manifests and ledger; null in tools and tests that
  // run without it (its routes then answer 503).
  GatewayReceiver* gateway = nullptr;
};

}  // namespace dualread
