#pragma once
// The hub's HTTP routes: /healthz, DICOMweb (QIDO-RS, WADO-RS, STOW-RS) under /dicomweb, the
// REST API under /api, and the static web app as the fallback for other GETs. One function per
// resource group fills a Router; registerHubRoutes() is what HttpServer and the OpenAPI test
// use. Handlers keep only references to the services, which are thread-safe.

#include "http/router.h"
#include "services/hub_services.h"

namespace dualread::http {

void addSystemRoutes(Router& router, HubServices& services);
void addQidoRoutes(Router& router, HubServices& services);
void addWadoRoutes(Router& router, HubServices& services);
void addStowRoutes(Router& router, HubServices& services);
void addRestRoutes(Router& router, HubServices& services);
// The screening workflow: L1 form, exam workflow, CDA, L2 sessions, CTI, L3 (workflow_api.cpp).
void addWorkflowRoutes(Router& router, HubServices& services);
// Results after reading: result sent / close, register import, print runs and letters, the
// overdue list (results_api.cpp); follow-up of positives and indicators (follow_up_api.cpp).
void addResultsRoutes(Router& router, HubServices& services);
void addFollowUpRoutes(Router& router, HubServices& services);
// Identity vigilance: the identity queue, a woman's identity, merges (identity_api.cpp).
void addIdentityRoutes(Router& router, HubServices& services);
// Access control: login, portal, audit views, access codes, doctors, share links
// (access_api.cpp).
void addAccessRoutes(Router& router, HubServices& services);
// Account administration for administrators: /api/admin/users... (admin_api.cpp).
void addAdminRoutes(Router& router, HubServices& services);
// The portal of women and their doctors: their documents, letters and images (portal_api.cpp).
void addPortalRoutes(Router& router, HubServices& services);
// The imaging-centre gateway protocol and the reconciliation ledger (gateway_api.cpp).
void addGatewayRoutes(Router& router, HubServices& services);
// Serves config.static_dir (when set) for GETs no route matches, with the single-page-app
// fallback to index.html.
void setStaticFallback(Router& router, HubServices& services);

// When `req` is a browser's page navigation (Accept names text/html, not JSON) and the web app
// is served, answers its index.html and returns true; false otherwise (nothing sent). A share
// link opened in a browser thus shows the exam's page, which asks the same URL for JSON.
bool serveAppPage(HubServices& services, const HttpRequest& req, ResponseWriter& w);

// All of the above.
void registerHubRoutes(Router& router, HubServices& services);

}  // namespace dualread::http
