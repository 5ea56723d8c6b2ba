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
  if (s == "dismissed") return "écarté par le centre d'imagerie";
  return "?";
}

const char* frenchAction(const std::string& a) {
  if (a == "retry") return "renvoi";
  if (a == "dismiss") return "mise à l'écart";
  return "?";
}

// "/exams/<uid>": UIDs are digits and dots, nothing to escape in a path.
std::string examLink(const std::string& uid) { return "/exams/" + uid; }

json journalJson(const std::vector<JournalEntry>& entries) {
  json out = json::array();
  for (const auto& j : entries)
    out.push_back({{"at", j.at},
                   {"study_instance_uid", j.study_uid},
                   {"action", j.action},
                   {"reason", j.reason},
                   {"by", j.by},
                   {"source", j.source},
                   {"previous_state", j.previous_state},
                   {"previous_reason", j.previous_reason}});
  return out;
}

json examJson(const QueuedExam& e) {
  json x = {{"study_instance_uid", e.study_uid},
            {"state", e.state},
            {"reason", e.reason},
            {"instances", e.instances},
            {"first_received_at", e.first_received_at},
            {"acknowledged_at", e.acknowledged_at},
            {"prior", e.prior},
            {"files_removed", e.purged}};
  if (e.state == "dismissed")
    x["dismissal"] = {{"at", e.dismissed_at},
                      {"by", e.dismissed_by},
                      {"reason", e.dismissal_reason},
                      {"recorded_by_hub", e.dismissal_recorded_ms > 0}};
  return x;
}

const char* kStyle =
    "<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:"
    "collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.erreur{color:#b00}"
    ".ok{color:#060}form{margin:1em 0;padding:.6em 1em;border:1px solid #ccc}label{display:"
    "block;margin:.4em 0}input[type=text]{width:30em;max-width:100%}"
    "button{padding:.3em 1em}a:focus,button:focus,input:focus{outline:3px solid #05a}</style>";

}  // namespace

json gatewayStatus(GatewayQueue& queue, int recent_exams) {
  const GatewayTotals t = queue.totals();
  auto num = [&](const char* key) -> uint64_t {
    const std::string v = queue.status(key);
    return v.empty() ? 0 : std::stoull(v);
  };
  json exams = json::array();
  for (const auto& e : queue.recentExams(recent_exams)) exams.push_back(examJson(e));
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
            {"error", t.exams_error},
            {"dismissed", t.exams_dismissed}}},
          {"link",
           {{"rate_bytes_per_second", num("link_rate_bytes_per_second")},
            {"bytes_sent_total", num("bytes_sent_total")},
            {"last_error", queue.status("last_link_error")},
            {"updated_at", queue.status("updated_at")}}},
          {"last_acknowledged_at", t.last_acknowledged_at},
          {"recent_exams", exams},
          {"recent_errors", errors},
          {"journal", journalJson(queue.journal("", 10))}};
}

std::optional<json> gatewayExamDetail(GatewayQueue& queue, const std::string& study_uid) {
  auto e = queue.exam(study_uid);
  if (!e) return std::nullopt;
  json x = examJson(*e);
  json errors = json::array();
  for (const auto& i : queue.instancesOf(study_uid))
    if (i.state == "error" || !i.last_error.empty())
      errors.push_back({{"sop_instance_uid", i.sop_uid},
                        {"state", i.state},
                        {"attempts", i.attempts},
                        {"error", i.last_error}});
  x["images_in_error"] = errors;
  x["journal"] = journalJson(queue.journal(study_uid, 50));
  return x;
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
    << " in error, " << e["dismissed"].get<int64_t>() << " dismissed\n";
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
    if (x.contains("dismissal"))
      o << "  (dismissed by " << x["dismissal"]["by"].get<std::string>() << ": "
        << x["dismissal"]["reason"].get<std::string>()
        << (x["dismissal"]["recorded_by_hub"].get<bool>() ? "; recorded by the hub"
                                                          : "; not yet told to the hub")
        << ")";
    o << "\n";
  }
  if (!s["journal"].empty()) o << "Technicians' decisions (newest first):\n";
  for (const auto& j : s["journal"])
    o << "  " << j["at"].get<std::string>() << "  " << j["action"].get<std::string>() << "  "
      << j["study_instance_uid"].get<std::string>() << "  by " << j["by"].get<std::string>() << " ("
      << j["source"].get<std::string>() << "): " << j["reason"].get<std::string>() << "\n";
  return o.str();
}

std::string gatewayStatusHtml(const json& s) {
  std::ostringstream o;
  const auto& q = s["queue"];
  const auto& e = s["exams"];
  const auto& l = s["link"];
  o << "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
       "<meta http-equiv=\"refresh\" content=\"5\"><title>Passerelle dualread</title>"
    << kStyle << "</head><body><h1>Passerelle dualread</h1>";
  o << "<h2>File d'attente</h2><p>" << q["instances_waiting"].get<int64_t>()
    << " images en attente (" << human(q["bytes_waiting"].get<uint64_t>()) << "), "
    << q["instances_sent"].get<int64_t>() << " transmises, " << q["instances_error"].get<int64_t>()
    << " refusées par le centre</p>";
  o << "<p>Examens : " << e["queued"].get<int64_t>() << " en attente, "
    << e["sending"].get<int64_t>() << " en cours d'envoi, " << e["sent"].get<int64_t>()
    << " envoyés, " << e["acknowledged"].get<int64_t>() << " avec accusé de réception, "
    << e["error"].get<int64_t>() << " en erreur, " << e["dismissed"].get<int64_t>()
    << " écartés</p>";
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
    const std::string uid = x["study_instance_uid"].get<std::string>();
    std::string why = x["reason"].get<std::string>();
    if (x.contains("dismissal"))
      why = "écarté par " + x["dismissal"]["by"].get<std::string>() + " : " +
            x["dismissal"]["reason"].get<std::string>();
    o << "<tr" << (st == "error" ? " class=\"erreur\"" : "") << "><td><a href=\""
      << escape(examLink(uid)) << "\">" << escape(uid) << "</a></td><td>" << frenchState(st)
      << (x["prior"].get<bool>() ? " (antériorité)" : "") << "</td><td>"
      << x["instances"].get<int64_t>() << "</td><td>" << escape(why);
    if (st == "error")
      o << " — <a href=\"" << escape(examLink(uid)) << "\">renvoyer ou écarter</a>";
    o << "</td></tr>";
  }
  o << "</table>";
  if (!s["journal"].empty()) {
    o << "<h2>Décisions des manipulateurs</h2><table><tr><th>Date</th><th>Examen</th>"
         "<th>Décision</th><th>Par</th><th>Motif</th></tr>";
    for (const auto& j : s["journal"])
      o << "<tr><td>" << escape(j["at"].get<std::string>()) << "</td><td>"
        << escape(j["study_instance_uid"].get<std::string>()) << "</td><td>"
        << frenchAction(j["action"].get<std::string>()) << "</td><td>"
        << escape(j["by"].get<std::string>()) << "</td><td>"
        << escape(j["reason"].get<std::string>()) << "</td></tr>";
    o << "</table>";
  }
  o << "</body></html>";
  return o.str();
}

std::string gatewayExamHtml(const json& x, const ExamPageOptions& opt) {
  std::ostringstream o;
  const std::string uid = x["study_instance_uid"].get<std::string>();
  const std::string st = x["state"].get<std::string>();
  o << "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
       "<title>Examen "
    << escape(uid) << " — passerelle dualread</title>" << kStyle << "</head><body>"
    << "<p><a href=\"/\">← Retour à l'état de la passerelle</a></p><h1>Examen " << escape(uid)
    << "</h1>";
  if (!opt.notice.empty()) o << "<p class=\"ok\" role=\"status\">" << escape(opt.notice) << "</p>";
  if (!opt.error.empty()) o << "<p class=\"erreur\" role=\"alert\">" << escape(opt.error) << "</p>";
  o << "<p>État : <strong" << (st == "error" ? " class=\"erreur\"" : "") << ">" << frenchState(st)
    << "</strong>" << (x["prior"].get<bool>() ? " (antériorité)" : "") << " — "
    << x["instances"].get<int64_t>() << " images, reçu le "
    << escape(x["first_received_at"].get<std::string>()) << "</p>";
  if (!x["reason"].get<std::string>().empty())
    o << "<p>Motif : " << escape(x["reason"].get<std::string>()) << "</p>";
  if (x.contains("dismissal"))
    o << "<p>Écarté le " << escape(x["dismissal"]["at"].get<std::string>()) << " par "
      << escape(x["dismissal"]["by"].get<std::string>()) << " : "
      << escape(x["dismissal"]["reason"].get<std::string>()) << " ("
      << (x["dismissal"]["recorded_by_hub"].get<bool>() ? "enregistré par le centre"
                                                        : "pas encore transmis au centre")
      << ")</p>";
  if (x["files_removed"].get<bool>())
    o << "<p>Les fichiers de cet examen ont été supprimés de la passerelle (durée de "
         "conservation écoulée).</p>";
  if (!x["images_in_error"].empty()) {
    o << "<h2>Images en erreur</h2><table><tr><th>Image (SOP Instance UID)</th><th>État</th>"
         "<th>Erreur</th></tr>";
    for (const auto& i : x["images_in_error"])
      o << "<tr><td>" << escape(i["sop_instance_uid"].get<std::string>()) << "</td><td>"
        << escape(i["state"].get<std::string>()) << "</td><td>"
        << escape(i["error"].get<std::string>()) << "</td></tr>";
    o << "</table>";
  }
  const bool can_retry = (st == "error" || st == "dismissed") && !x["files_removed"].get<bool>();
  const bool can_dismiss = st == "error";
  if (can_retry || can_dismiss) {
    o << "<h2>Que faire ?</h2>";
    if (opt.form_token.empty()) {
      o << "<p>Les actions (renvoyer, écarter) ne sont proposées que sur la passerelle "
           "elle-même (adresse 127.0.0.1), ou avec la commande <code>dualread gateway retry"
           "|dismiss --data … --study "
        << escape(uid) << " --reason …</code>.</p>";
    } else {
      auto form = [&](const char* action, const char* title, const char* help, const char* button) {
        o << "<form method=\"post\" action=\"" << escape(examLink(uid)) << "/" << action
          << "\"><h3>" << title << "</h3><p>" << help << "</p>"
          << "<input type=\"hidden\" name=\"jeton\" value=\"" << escape(opt.form_token)
          << "\"><label>Motif (conservé dans le journal) : <input type=\"text\" name=\"motif\" "
             "required minlength=\"3\" maxlength=\"1000\"></label>"
             "<label>Votre nom : <input type=\"text\" name=\"par\" required "
             "maxlength=\"100\" autocomplete=\"name\"></label><button type=\"submit\">"
          << button << "</button></form>";
      };
      if (can_retry)
        form("retry", "Renvoyer l'examen",
             "Les images refusées sont soumises de nouveau au centre, qui les examine à neuf "
             "(par exemple une fois le conflit ou l'identité réglés au CRCDC).",
             "Renvoyer");
      if (can_dismiss)
        form("dismiss", "Écarter l'examen",
             "Plus rien n'est envoyé ; le registre du centre enregistre ce choix et son motif. "
             "Les fichiers restent sur la passerelle jusqu'à la fin de la durée de conservation.",
             "Écarter");
    }
  }
  if (!x["journal"].empty()) {
    o << "<h2>Journal</h2><table><tr><th>Date</th><th>Décision</th><th>Par</th><th>D'où</th>"
         "<th>Motif</th><th>État avant</th></tr>";
    for (const auto& j : x["journal"])
      o << "<tr><td>" << escape(j["at"].get<std::string>()) << "</td><td>"
        << frenchAction(j["action"].get<std::string>()) << "</td><td>"
        << escape(j["by"].get<std::string>()) << "</td><td>"
        << escape(j["source"].get<std::string>()) << "</td><td>"
        << escape(j["reason"].get<std::string>()) << "</td><td>"
        << frenchState(j["previous_state"].get<std::string>()) << " — "
        << escape(j["previous_reason"].get<std::string>()) << "</td></tr>";
    o << "</table>";
  }
  o << "</body></html>";
  return o.str();
}

}  // namespace dualread
