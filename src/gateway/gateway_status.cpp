#include "gateway/gateway_status.h"

#include <cstdio>
#include <sstream>

namespace dualread {
namespace {

using nlohmann::json;

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string human(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30))
    std::snprintf(buf, sizeof buf, "%.1f GB", static_cast<double>(bytes) / (1ull << 30));
  else if (bytes >= (1ull << 20))
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1ull << 20));
  else
    std::snprintf(buf, sizeof buf, "%.1f kB", static_cast<double>(bytes) / 1024.0);
  return buf;
}

std::string rate(uint64_t bytes_per_second) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f Mbit/s", static_cast<double>(bytes_per_second) * 8 / 1e6);
  return buf;
}

const char* frenchState(const std::string& s) {
  if (s == "queued") return "en attente";
  if (s == "sending") return "en cours d'envoi";
  if (s == "sent") return "envoyé, accusé attendu";
  if (s == "acknowledged") return "accusé de réception reçu";
  if (s == "error") return "erreur";
  return "?";
}

}  // namespace

json gatewayStatus(GatewayQueue& queue, int recent_exams) {
  const GatewayTotals t = queue.totals();
  auto num = [&](const char* key) -> uint64_t {
    const std::string v = queue.status(key);
    return v.empty() ? 0 : std::stoull(v);
  };
  json exams = json::array();
  for (const auto& e : queue.recentExams(recent_exams))
    exams.push_back({{"study_instance_uid", e.study_uid},
                     {"state", e.state},
                     {"reason", e.reason},
                     {"instances", e.instances},
                     {"first_received_at", e.first_received_at},
                     {"acknowledged_at", e.acknowledged_at},
                     {"prior", e.prior},
                     {"files_removed", e.purged}});
  json errors = json::array();
  for (const auto& i : queue.recentErrors(10))
    errors.push_back({{"sop_instance_uid", i.sop_uid},
                      {"study_instance_uid", i.study_uid},
                      {"state", i.state},
                      {"attempts", i.attempts},
                      {"error", i.last_error}});
  return {{"queue",
           {{"instances_waiting", t.instances_waiting},
            {"bytes_waiting", t.bytes_waiting},
            {"instances_sent", t.instances_sent},
            {"instances_error", t.instances_error}}},
          {"exams",
           {{"queued", t.exams_queued},
            {"sending", t.exams_sending},
            {"sent", t.exams_sent},
            {"acknowledged", t.exams_acknowledged},
            {"error", t.exams_error}}},
          {"link",
           {{"rate_bytes_per_second", num("link_rate_bytes_per_second")},
            {"bytes_sent_total", num("bytes_sent_total")},
            {"last_error", queue.status("last_link_error")},
            {"updated_at", queue.status("updated_at")}}},
          {"last_acknowledged_at", t.last_acknowledged_at},
          {"recent_exams", exams},
          {"recent_errors", errors}};
}

std::string gatewayStatusText(const json& s) {
  std::ostringstream o;
  const auto& q = s["queue"];
  const auto& e = s["exams"];
  const auto& l = s["link"];
  o << "Queue: " << q["instances_waiting"].get<int64_t>() << " images waiting ("
    << human(q["bytes_waiting"].get<uint64_t>()) << "), " << q["instances_sent"].get<int64_t>()
    << " delivered, " << q["instances_error"].get<int64_t>() << " refused by the hub\n";
  o << "Exams: " << e["queued"].get<int64_t>() << " queued, " << e["sending"].get<int64_t>()
    << " sending, " << e["sent"].get<int64_t>() << " sent (waiting for acknowledgement), "
    << e["acknowledged"].get<int64_t>() << " acknowledged, " << e["error"].get<int64_t>()
    << " in error\n";
  o << "Link: " << rate(l["rate_bytes_per_second"].get<uint64_t>()) << ", "
    << human(l["bytes_sent_total"].get<uint64_t>()) << " sent since start";
  if (!l["updated_at"].get<std::string>().empty())
    o << " (at " << l["updated_at"].get<std::string>() << ")";
  o << "\n";
  if (!l["last_error"].get<std::string>().empty())
    o << "Last link error: " << l["last_error"].get<std::string>() << "\n";
  const std::string ack = s["last_acknowledged_at"].get<std::string>();
  o << "Last acknowledgement: " << (ack.empty() ? "none yet" : ack) << "\n";
  for (const auto& x : s["recent_exams"]) {
    o << "  " << x["study_instance_uid"].get<std::string>() << "  " << x["state"].get<std::string>()
      << "  " << x["instances"].get<int64_t>() << " images";
    if (!x["reason"].get<std::string>().empty())
      o << "  (" << x["reason"].get<std::string>() << ")";
    o << "\n";
  }
  return o.str();
}

std::string gatewayStatusHtml(const json& s) {
  std::ostringstream o;
  const auto& q = s["queue"];
  const auto& e = s["exams"];
  const auto& l = s["link"];
  o << "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
       "<meta http-equiv=\"refresh\" content=\"5\"><title>Passerelle dualread</title>"
       "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
       "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.erreur{color:#b00}"
       "</style></head><body><h1>Passerelle dualread</h1>";
  o << "<h2>File d'attente</h2><p>" << q["instances_waiting"].get<int64_t>()
    << " images en attente (" << human(q["bytes_waiting"].get<uint64_t>()) << "), "
    << q["instances_sent"].get<int64_t>() << " transmises, " << q["instances_error"].get<int64_t>()
    << " refusées par le centre</p>";
  o << "<p>Examens : " << e["queued"].get<int64_t>() << " en attente, "
    << e["sending"].get<int64_t>() << " en cours d'envoi, " << e["sent"].get<int64_t>()
    << " envoyés, " << e["acknowledged"].get<int64_t>() << " avec accusé de réception, "
    << e["error"].get<int64_t>() << " en erreur</p>";
  o << "<h2>Liaison</h2><p>Débit : " << rate(l["rate_bytes_per_second"].get<uint64_t>()) << " ; "
    << human(l["bytes_sent_total"].get<uint64_t>()) << " envoyés depuis le démarrage</p>";
  if (!l["last_error"].get<std::string>().empty())
    o << "<p class=\"erreur\">Dernière erreur de liaison : "
      << escape(l["last_error"].get<std::string>()) << "</p>";
  const std::string ack = s["last_acknowledged_at"].get<std::string>();
  o << "<p>Dernier accusé de réception : " << (ack.empty() ? "aucun" : escape(ack)) << "</p>";
  o << "<h2>Derniers examens</h2><table><tr><th>Étude</th><th>État</th><th>Images</th>"
       "<th>Motif</th></tr>";
  for (const auto& x : s["recent_exams"]) {
    const std::string st = x["state"].get<std::string>();
    o << "<tr" << (st == "error" ? " class=\"erreur\"" : "") << "><td>"
      << escape(x["study_instance_uid"].get<std::string>()) << "</td><td>" << frenchState(st)
      << (x["prior"].get<bool>() ? " (antériorité)" : "") << "</td><td>"
      << x["instances"].get<int64_t>() << "</td><td>" << escape(x["reason"].get<std::string>())
      << "</td></tr>";
  }
  o << "</table></body></html>";
  return o.str();
}

}  // namespace dualread
