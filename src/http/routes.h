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
// The imaging-centre gateway protocol and the reconciliation ledger (gateway_api.cpp).
void addGatewayRoutes(Router& router, HubServices& services);
// Serves config.static_dir (when set) for GETs no route matches, with the single-page-app
// fallback to index.html.
void setStaticFallback(Router& router, HubServices& services);

// All of the above.
void registerHubRoutes(Router& router, HubServices& services);

}  // namespace dualread::http
