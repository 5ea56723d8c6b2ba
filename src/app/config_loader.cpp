#include "app/config_loader.h"

#include <toml++/toml.h>

#include <algorithm>
#include <stdexcept>

#include "domain/reading.h"

namespace dualread {

namespace {

// [programme]: every key is a ProgrammeRules field name; unknown keys and wrong types are errors
// (a typo must not silently leave a national default in force).
void loadProgramme(const toml::table& tbl, const std::string& file, ProgrammeRules& r) {
  struct IntKey {
    const char* name;
    int ProgrammeRules::*field;
  };
  struct RealKey {
    const char* name;
    double ProgrammeRules::*field;
  };
  static const IntKey kInts[] = {
      {"min_age_years", &ProgrammeRules::min_age_years},
      {"max_age_years", &ProgrammeRules::max_age_years},
      {"screening_interval_months", &ProgrammeRules::screening_interval_months},
      {"invitation_reminder_days", &ProgrammeRules::invitation_reminder_days},
      {"min_standard_views", &ProgrammeRules::min_standard_views},
      {"transfer_deadline_hours", &ProgrammeRules::transfer_deadline_hours},
      {"result_deadline_days", &ProgrammeRules::result_deadline_days},
      {"deadline_warning_days", &ProgrammeRules::deadline_warning_days},
      {"l2_session_size", &ProgrammeRules::l2_session_size},
      {"l2_min_reads_per_year", &ProgrammeRules::l2_min_reads_per_year},
      {"l3_min_readers", &ProgrammeRules::l3_min_readers},
      {"cti_retake_reminder_days", &ProgrammeRules::cti_retake_reminder_days},
      {"follow_up_reminder_days", &ProgrammeRules::follow_up_reminder_days},
      {"follow_up_reminder_repeat_days", &ProgrammeRules::follow_up_reminder_repeat_days},
      {"follow_up_max_reminders", &ProgrammeRules::follow_up_max_reminders},
      {"follow_up_surveillance_months", &ProgrammeRules::follow_up_surveillance_months},
  };
  static const RealKey kReals[] = {
      {"alert_max_recall_rate", &ProgrammeRules::alert_max_recall_rate},
      {"alert_max_cti_rate", &ProgrammeRules::alert_max_cti_rate},
      {"alert_max_l1_positive_after_bdi", &ProgrammeRules::alert_max_l1_positive_after_bdi},
      {"alert_max_overdue_fraction", &ProgrammeRules::alert_max_overdue_fraction},
  };
  const std::string where = "configuration " + file + ", [programme] ";
  for (const auto& [key, node] : tbl) {
    const std::string name(key.str());
    bool known = false;
    for (const auto& k : kInts) {
      if (name != k.name) continue;
      known = true;
      auto v = node.value_exact<int64_t>();
      if (!v || *v < -1000000 || *v > 1000000)
        throw std::runtime_error(where + name + " must be a whole number");
      r.*k.field = static_cast<int>(*v);
    }
    for (const auto& k : kReals) {
      if (name != k.name) continue;
      known = true;
      auto v = node.value<double>();  // accepts integers too (0 or 1)
      if (!v) throw std::runtime_error(where + name + " must be a number");
      r.*k.field = *v;
    }
    if (name == "l3_enabled") {
      known = true;
      auto v = node.value_exact<bool>();
      if (!v) throw std::runtime_error(where + name + " must be true or false");
      r.l3_enabled = *v;
    }
    if (!known) throw std::runtime_error(where + "has an unknown key '" + name + "'");
  }
  const auto problems = r.validate();
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : " ") + p;
    throw std::runtime_error(where + "is not usable: " + all);
  }
}

L2Reader loadL2Reader(const toml::table& tbl, const std::string& file) {
  const std::string where = "configuration " + file + ": every [[l2_reader]] ";
  L2Reader r;
  r.reader.rpps = tbl["rpps"].value_or(std::string());
  r.reader.name = tbl["name"].value_or(std::string());
  if (!isRpps(r.reader.rpps)) throw std::runtime_error(where + "needs an 'rpps' of 11 digits");
  if (r.reader.name.empty()) throw std::runtime_error(where + "needs a 'name'");
  if (auto arr = tbl["cim_ids"].as_array()) {
    for (auto& v : *arr) {
      auto s = v.value<std::string>();
      if (!s || s->empty())
        throw std::runtime_error(where + "lists 'cim_ids' as non-empty strings (reader " +
                                 r.reader.rpps + ")");
      r.cim_ids.push_back(*s);
    }
  } else if (tbl.contains("cim_ids")) {
    throw std::runtime_error(where + "lists 'cim_ids' as an array of strings");
  }
  const int64_t wanted = tbl["sessions_wanted"].value_or<int64_t>(1);
  if (wanted < 1 || wanted > 100)
    throw std::runtime_error(where + "has 'sessions_wanted' from 1 to 100 (reader " +
                             r.reader.rpps + ")");
  r.sessions_wanted = static_cast<int>(wanted);
  return r;
}

std::vector<std::string> stringArray(const toml::table& tbl, const char* key,
                                     const std::string& where) {
  std::vector<std::string> out;
  if (!tbl.contains(key)) return out;
  auto arr = tbl[key].as_array();
  if (!arr) throw std::runtime_error(where + "'" + key + "' must be an array of strings");
  for (auto& v : *arr) {
    auto s = v.value<std::string>();
    if (!s) throw std::runtime_error(where + "'" + key + "' must be an array of strings");
    out.push_back(*s);
  }
  return out;
}

// [letters]: the centre's own address and signatory; [[cim]]: each imaging centre's address.
void loadLetters(const toml::table& t, const std::string& file, LettersConfig& l) {
  if (auto node = t["letters"]) {
    auto tbl = node.as_table();
    const std::string where = "configuration " + file + ", [letters] ";
    if (!tbl) throw std::runtime_error(where + "must be a table");
    static const char* kKeys[] = {"crcdc_name",    "crcdc_address_lines", "crcdc_postal_code",
                                  "crcdc_city",    "crcdc_phone",         "crcdc_email",
                                  "crcdc_website", "signatory",           "signatory_title",
                                  "portal_url",    "templates_dir"};
    for (const auto& [key, value] : *tbl) {
      const std::string name(key.str());
      if (std::find(std::begin(kKeys), std::end(kKeys), name) == std::end(kKeys))
        throw std::runtime_error(where + "has an unknown key '" + name + "'");
      if (name != "crcdc_address_lines" && !value.is_string())
        throw std::runtime_error(where + name + " must be a string");
    }
    l.crcdc.name = (*tbl)["crcdc_name"].value_or(std::string());
    l.crcdc.address_lines = stringArray(*tbl, "crcdc_address_lines", where);
    l.crcdc.postal_code = (*tbl)["crcdc_postal_code"].value_or(std::string());
    l.crcdc.city = (*tbl)["crcdc_city"].value_or(std::string());
    l.crcdc.phone = (*tbl)["crcdc_phone"].value_or(std::string());
    l.crcdc.email = (*tbl)["crcdc_email"].value_or(std::string());
    l.website = (*tbl)["crcdc_website"].value_or(std::string());
    l.signatory = (*tbl)["signatory"].value_or(std::string());
    l.signatory_title = (*tbl)["signatory_title"].value_or(std::string());
    l.portal_url = (*tbl)["portal_url"].value_or(std::string());
    l.templates_dir = (*tbl)["templates_dir"].value_or(std::string());
    l.font_regular = (*tbl)["font_regular"].value_or(std::string());
    l.font_bold = (*tbl)["font_bold"].value_or(std::string());
    if (!l.configured())
      throw std::runtime_error(where +
                               "needs crcdc_name, crcdc_address_lines and crcdc_city (they are "
                               "printed on every letter)");
  }
  if (auto cims = t["cim"].as_array()) {
    const std::string where = "configuration " + file + ": every [[cim]] ";
    for (auto& node : *cims) {
      auto tbl = node.as_table();
      if (!tbl) throw std::runtime_error(where + "must be a table");
      CimContact c;
      c.id = (*tbl)["id"].value_or(std::string());
      c.contact.name = (*tbl)["name"].value_or(std::string());
      c.contact.address_lines = stringArray(*tbl, "address_lines", where);
      c.contact.postal_code = (*tbl)["postal_code"].value_or(std::string());
      c.contact.city = (*tbl)["city"].value_or(std::string());
      c.contact.phone = (*tbl)["phone"].value_or(std::string());
      if (c.id.empty() || c.contact.name.empty() || c.contact.address_lines.empty() ||
          c.contact.city.empty())
        throw std::runtime_error(where + "needs 'id', 'name', 'address_lines' and 'city'");
      if (l.cim(c.id)) throw std::runtime_error(where + "id '" + c.id + "' is listed twice");
      l.cims.push_back(std::move(c));
    }
  }
}

// [tls]: unknown keys and wrong types are errors (a typo must not leave TLS half set up).
void loadTls(const toml::table& tbl, const std::string& file, TlsConfig& t) {
  const std::string where = "configuration " + file + ", [tls] ";
  auto text = [&](const toml::node& node, const std::string& name) {
    auto v = node.value_exact<std::string>();
    if (!v) throw std::runtime_error(where + name + " must be a string");
    return *v;
  };
  auto port = [&](const toml::node& node, const std::string& name) {
    auto v = node.value_exact<int64_t>();
    if (!v || *v < 0 || *v > 65535)
      throw std::runtime_error(where + name + " must be a port number from 0 (off) to 65535");
    return static_cast<uint16_t>(*v);
  };
  for (const auto& [key, node] : tbl) {
    const std::string name(key.str());
    if (name == "cert") {
      t.cert = text(node, name);
    } else if (name == "key") {
      t.key = text(node, name);
    } else if (name == "ca") {
      t.ca = text(node, name);
    } else if (name == "min_version") {
      t.min_version = text(node, name);
    } else if (name == "client_cert") {
      t.client_cert = text(node, name);
    } else if (name == "http") {
      t.http = text(node, name);
    } else if (name == "https_port") {
      t.https_port = port(node, name);
    } else if (name == "dicom_port") {
      t.dicom_port = port(node, name);
    } else if (name == "dicom_plain") {
      auto v = node.value_exact<bool>();
      if (!v) throw std::runtime_error(where + name + " must be true or false");
      t.dicom_plain = *v;
    } else if (name == "hsts_max_age") {
      auto v = node.value_exact<int64_t>();
      if (!v || *v < 0) throw std::runtime_error(where + name + " must be a number of seconds");
      t.hsts_max_age = *v;
    } else {
      throw std::runtime_error(where + "has an unknown key '" + name + "'");
    }
  }
  // Relative paths are relative to the configuration file, not to the hub's working directory.
  const auto base = std::filesystem::path(file).parent_path();
  for (auto* p : {&t.cert, &t.key, &t.ca})
    if (!p->empty() && p->is_relative()) *p = base / *p;
}

}  // namespace

void loadHubConfig(const std::filesystem::path& file, HubConfig& c) {
  toml::table t;
  try {
    t = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw std::runtime_error("configuration " + file.string() + " is not valid TOML: " +
                             std::string(e.description()));
  }
  if (auto hub = t["hub"].as_table()) {
    c.data_dir = (*hub)["data"].value_or(c.data_dir.string());
    c.bind_address = (*hub)["bind"].value_or(c.bind_address);
    c.http_port = static_cast<uint16_t>((*hub)["http_port"].value_or<int64_t>(c.http_port));
    c.dicom_port = static_cast<uint16_t>((*hub)["dicom_port"].value_or<int64_t>(c.dicom_port));
    c.aet = (*hub)["aet"].value_or(c.aet);
    c.http_threads = static_cast<int>((*hub)["http_threads"].value_or<int64_t>(c.http_threads));
    c.dicom_max_associations = static_cast<int>(
        (*hub)["dicom_max_associations"].value_or<int64_t>(c.dicom_max_associations));
    c.max_object_bytes =
        static_cast<uint64_t>((*hub)["max_object_bytes"].value_or<int64_t>(
            static_cast<int64_t>(c.max_object_bytes)));
    c.max_request_bytes =
        static_cast<uint64_t>((*hub)["max_request_bytes"].value_or<int64_t>(
            static_cast<int64_t>(c.max_request_bytes)));
    c.static_dir = (*hub)["static_dir"].value_or(c.static_dir.string());
    if (auto arr = (*hub)["accepted_sop_classes"].as_array()) {
      c.accepted_sop_classes.clear();
      for (auto& v : *arr)
        if (auto s = v.value<std::string>()) c.accepted_sop_classes.push_back(*s);
    }
  }
  if (auto comp = t["completeness"].as_table()) {
    if (auto arr = (*comp)["required_views"].as_array()) {
      c.completeness.required_views.clear();
      for (auto& v : *arr)
        if (auto s = v.value<std::string>()) c.completeness.required_views.push_back(*s);
    }
  }
  if (auto aes = t["remote_ae"].as_array()) {
    for (auto& node : *aes) {
      auto tbl = node.as_table();
      if (!tbl) continue;
      RemoteAe ae;
      ae.aet = (*tbl)["aet"].value_or(std::string());
      ae.host = (*tbl)["host"].value_or(std::string("127.0.0.1"));
      ae.port = static_cast<uint16_t>((*tbl)["port"].value_or<int64_t>(104));
      if (auto tls = (*tbl)["tls"]) {
        auto v = tls.value_exact<bool>();
        if (!v)
          throw std::runtime_error("configuration " + file.string() +
                                   ": [[remote_ae]] tls must be true or false");
        ae.tls = *v;
      }
      if (ae.aet.empty() || ae.aet.size() > 16)
        throw std::runtime_error("configuration " + file.string() +
                                 ": every [[remote_ae]] needs an 'aet' of 1 to 16 characters");
      c.remote_aes.push_back(ae);
    }
  }
  if (auto node = t["access"]) {
    auto tbl = node.as_table();
    const std::string where = "configuration " + file.string() + ", [access] ";
    if (!tbl) throw std::runtime_error(where + "must be a table");
    struct IntKey {
      const char* name;
      int AccessSettings::*field;
      int min, max;
    };
    static const IntKey kInts[] = {
        {"max_failed_logins", &AccessSettings::max_failed_logins, 1, 100},
        {"lockout_minutes", &AccessSettings::lockout_minutes, 1, 100000},
        {"login_attempts_per_minute", &AccessSettings::login_attempts_per_minute, 1, 100000},
        {"session_idle_minutes", &AccessSettings::session_idle_minutes, 1, 100000},
        {"session_max_hours", &AccessSettings::session_max_hours, 1, 10000},
        {"woman_code_valid_days", &AccessSettings::woman_code_valid_days, 1, 10000},
        {"share_link_max_days", &AccessSettings::share_link_max_days, 1, 3650},
    };
    for (const auto& [key, value] : *tbl) {
      const std::string name(key.str());
      bool known = false;
      for (const auto& k : kInts) {
        if (name != k.name) continue;
        known = true;
        auto v = value.value_exact<int64_t>();
        if (!v || *v < k.min || *v > k.max)
          throw std::runtime_error(where + name + " must be a whole number from " +
                                   std::to_string(k.min) + " to " + std::to_string(k.max));
        c.access.*k.field = static_cast<int>(*v);
      }
      if (name == "password_cost") {
        known = true;
        auto v = value.value<std::string>();
        if (!v || (*v != "interactive" && *v != "moderate" && *v != "minimum"))
          throw std::runtime_error(where + "password_cost is interactive, moderate or minimum");
        c.access.password_cost = *v;
      }
      if (name == "totp_key_file") {
        known = true;
        auto v = value.value<std::string>();
        if (!v || v->empty() || v->size() > 4096)
          throw std::runtime_error(where + "totp_key_file must be the path of a file");
        c.access.totp_key_file = *v;
      }
      if (!known) throw std::runtime_error(where + "has no key '" + name + "'");
    }
  }
  if (auto peers = t["dicom_peer"].as_array()) {
    const std::string where = "configuration " + file.string() + ": every [[dicom_peer]] ";
    for (auto& node : *peers) {
      auto tbl = node.as_table();
      if (!tbl) throw std::runtime_error(where + "must be a table");
      DicomPeer p;
      p.aet = (*tbl)["aet"].value_or(std::string());
      p.cim = (*tbl)["cim"].value_or(std::string());
      if (p.aet.empty() || p.aet.size() > 16)
        throw std::runtime_error(where + "needs an 'aet' of 1 to 16 characters");
      if (auto hosts = (*tbl)["hosts"].as_array())
        for (auto& h : *hosts) {
          auto v = h.value<std::string>();
          if (!v || v->empty()) throw std::runtime_error(where + "'hosts' are IP addresses");
          p.hosts.push_back(*v);
        }
      auto services = (*tbl)["services"].as_array();
      if (!services)
        throw std::runtime_error(where + "needs 'services', e.g. [\"store\", \"find\"]");
      for (auto& sv : *services) {
        auto v = sv.value<std::string>();
        auto parsed = v ? parseDimseService(*v) : std::nullopt;
        if (!parsed)
          throw std::runtime_error(where + "services are echo, store, find, move and get");
        p.services.push_back(*parsed);
      }
      for (const auto& other : c.dicom_peers)
        if (other.aet == p.aet)
          throw std::runtime_error("configuration " + file.string() + ": the DICOM peer " +
                                   p.aet + " is listed twice");
      c.dicom_peers.push_back(std::move(p));
    }
  }
  if (auto node = t["programme"]) {
    auto tbl = node.as_table();
    if (!tbl)
      throw std::runtime_error("configuration " + file.string() + ": [programme] must be a table");
    loadProgramme(*tbl, file.string(), c.programme);
  }
  loadLetters(t, file.string(), c.letters);
  if (auto node = t["tls"]) {
    auto tbl = node.as_table();
    if (!tbl)
      throw std::runtime_error("configuration " + file.string() + ": [tls] must be a table");
    loadTls(*tbl, file.string(), c.tls);
  }
  if (auto readers = t["l2_reader"].as_array()) {
    c.l2_readers.clear();
    for (auto& node : *readers) {
      auto tbl = node.as_table();
      if (!tbl)
        throw std::runtime_error("configuration " + file.string() +
                                 ": [[l2_reader]] must be tables");
      L2Reader r = loadL2Reader(*tbl, file.string());
      for (const auto& other : c.l2_readers)
        if (other.reader.rpps == r.reader.rpps)
          throw std::runtime_error("configuration " + file.string() + ": L2 reader " +
                                   r.reader.rpps + " is listed twice");
      c.l2_readers.push_back(std::move(r));
    }
  }
}

}  // namespace dualread
