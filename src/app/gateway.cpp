#include "app/gateway.h"

#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <set>

#include "app/gateway_config_loader.h"
#include "dicom/dimse_server.h"
#include "gateway/exam_actions.h"
#include "gateway/forwarder.h"
#include "gateway/gateway_intake.h"
#include "gateway/gateway_status.h"
#include "gateway/priors_finder.h"
#include "http/gateway_status_routes.h"
#include "http/http_server.h"
#include "http/hub_client.h"
#include "index/gateway_queue.h"
#include "storage/disk_reserve.h"
#include "storage/fs_blob_store.h"

namespace dualread {

struct Gateway::Impl {
  GatewayConfig config;
  std::unique_ptr<FsBlobStore> blobs;
  std::unique_ptr<DiskReserve> reserve;
  std::unique_ptr<GatewayQueue> queue;
  std::unique_ptr<HubClient> client;
  std::unique_ptr<Forwarder> forwarder;
  std::unique_ptr<PriorsFinder> priors;
  std::unique_ptr<GatewayIntake> intake;
  std::unique_ptr<DimseServer> dimse;
  std::unique_ptr<HttpServer> http;
};

Gateway::Gateway(GatewayConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
}

Gateway::~Gateway() { stop(); }

void Gateway::start() {
  auto& c = impl_->config;
  if (c.cim.empty())
    throw std::runtime_error("--cim (the imaging centre's identifier) is required");
  if (c.hub_url.empty()) throw std::runtime_error("--hub (the hub's URL) is required");
  std::filesystem::create_directories(c.data_dir);
  impl_->blobs = std::make_unique<FsBlobStore>(c.data_dir);
  if (int n = impl_->blobs->cleanStaging())
    spdlog::info(
        "Removed {} partial receptions left by an interrupted run (never acknowledged "
        "to the modality)",
        n);
  impl_->queue = std::make_unique<GatewayQueue>((c.data_dir / "gateway.sqlite").string());
  HubClientOptions o;
  o.base_url = c.hub_url;
  o.ca_file = c.ca_file;
  o.verify_peer = c.tls_verify;
  o.io_timeout = std::chrono::seconds(c.io_timeout_seconds);
  o.connect_timeout = std::chrono::seconds(std::min(15, c.io_timeout_seconds));
  if (!c.credentials_file.empty()) o.bearer_token = readBearerToken(c.credentials_file);
  try {
    impl_->client = std::make_unique<HubClient>(o);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  if (!impl_->client->secure())
    spdlog::warn(
        "The hub URL is not https: images and the token travel in clear; use this only "
        "on a private network or for tests");
  impl_->reserve = std::make_unique<DiskReserve>(c.data_dir / "reserve.ballast", c.reserve_bytes);
  impl_->reserve->restore();
  impl_->forwarder = std::make_unique<Forwarder>(c, *impl_->queue, *impl_->blobs, *impl_->client,
                                                 impl_->reserve.get());
  if (!c.pacs.aet.empty()) {
    impl_->priors = std::make_unique<PriorsFinder>(c, *impl_->queue, *impl_->client);
    impl_->forwarder->setPriorsHook(
        [p = impl_->priors.get()](const QueuedExam& exam) { p->onNewExam(exam); });
  }
  impl_->intake = std::make_unique<GatewayIntake>(
      *impl_->blobs, *impl_->queue, std::set<std::string>{}, c.min_free_bytes, impl_->reserve.get(),
      [f = impl_->forwarder.get()] { f->wake(); });
  const GatewayTotals t = impl_->queue->totals();
  spdlog::info("Gateway of {} opened {}: {} images waiting, {} exams acknowledged, {} in error",
               c.cim, c.data_dir.string(), t.instances_waiting, t.exams_acknowledged,
               t.exams_error);
  impl_->forwarder->start();
  DimseDoorConfig door;
  door.aet = c.aet;
  door.bind_address = c.bind_address;
  door.port = c.dicom_port;
  door.max_associations = c.dicom_max_associations;
  door.door_name = "gateway";
  door.out_of_resources_comment = "The gateway cannot queue images now; retry later";
  impl_->dimse = std::make_unique<DimseServer>(door, *impl_->intake);
  impl_->dimse->start();
  if (c.http_port >= 0) {
    HubConfig listen;
    listen.bind_address = c.http_bind_address;
    listen.http_port = static_cast<uint16_t>(c.http_port);
    listen.http_threads = 2;
    listen.max_request_bytes = 1 << 20;
    impl_->http = std::make_unique<HttpServer>(
        listen, [q = impl_->queue.get()](http::Router& r) { http::addGatewayStatusRoutes(r, *q); });
    impl_->http->start();
  }
  spdlog::info(
      "Gateway ready: DICOM AE {} on {}:{}, forwarding to {} ({} streams{}{})", c.aet,
      c.bind_address, c.dicom_port, c.hub_url, c.streams,
      c.bandwidth_bytes_per_second
          ? ", capped at " + std::to_string(c.bandwidth_bytes_per_second * 8 / 1000) + " kbit/s"
          : std::string(),
      c.transcode ? ", JPEG-LS lossless" : "");
}

void Gateway::stop() {
  if (impl_->dimse) impl_->dimse->stop();
  if (impl_->http) impl_->http->stop();
  if (impl_->forwarder) impl_->forwarder->stop();
  impl_->dimse.reset();
  impl_->http.reset();
}

uint16_t Gateway::httpPort() const { return impl_->http ? impl_->http->port() : 0; }

int printGatewayStatus(const std::filesystem::path& data, bool as_json, std::ostream& out) {
  if (!std::filesystem::exists(data / "gateway.sqlite")) {
    out << "No gateway at " << data.string() << " (gateway.sqlite not found)\n";
    return 2;
  }
  GatewayQueue queue((data / "gateway.sqlite").string());
  const auto status = gatewayStatus(queue);
  out << (as_json ? status.dump(2) + "\n" : gatewayStatusText(status));
  return 0;
}

int runGatewayExamAction(const std::filesystem::path& data, bool retry, const std::string& study,
                         const std::string& reason, std::string by, std::ostream& out) {
  if (!std::filesystem::exists(data / "gateway.sqlite")) {
    out << "No gateway at " << data.string() << " (gateway.sqlite not found)\n";
    return 2;
  }
  std::string user;
  if (const char* sudo = std::getenv("SUDO_USER")) user = sudo;
  if (user.empty())
    if (const passwd* pw = ::getpwuid(::getuid())) user = pw->pw_name;
  if (by.empty()) by = user;
  GatewayQueue queue((data / "gateway.sqlite").string());
  ExamActionRequest r;
  r.study_uid = study;
  r.reason = reason;
  r.by = by;
  r.source = "command line" + (user.empty() ? std::string() : " (system user " + user + ")");
  const ExamActionResult x = retry ? retryGatewayExam(queue, r) : dismissGatewayExam(queue, r);
  if (x.done) {
    out << "Done: " << x.message << "\n";
    return 0;
  }
  out << "Refused: " << x.message << "\n";
  return !x.bad_input && x.status == ExamActionStatus::kNoSuchExam ? 2 : 1;
}

}  // namespace dualread
