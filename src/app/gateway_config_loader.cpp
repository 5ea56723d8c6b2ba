#include "app/gateway_config_loader.h"

#include <toml++/toml.h>

#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>

namespace dualread {
namespace {

using Setter = std::function<void(const toml::node&, const std::string& where)>;

Setter text(std::string& out) {
  return [&out](const toml::node& n, const std::string& where) {
    auto v = n.value_exact<std::string>();
    if (!v) throw std::runtime_error(where + " must be a string");
    out = *v;
  };
}

template <class T>
Setter integer(T& out, int64_t min, int64_t max) {
  return [&out, min, max](const toml::node& n, const std::string& where) {
    auto v = n.value_exact<int64_t>();
    if (!v || *v < min || *v > max)
      throw std::runtime_error(where + " must be a whole number from " + std::to_string(min) +
                               " to " + std::to_string(max));
    out = static_cast<T>(*v);
  };
}

Setter real(double& out, double min, double max) {
  return [&out, min, max](const toml::node& n, const std::string& where) {
    auto v = n.value<double>();
    if (!v || *v < min || *v > max)
      throw std::runtime_error(where + " must be a number from " + std::to_string(min) + " to " +
                               std::to_string(max));
    out = *v;
  };
}

Setter boolean(bool& out) {
  return [&out](const toml::node& n, const std::string& where) {
    auto v = n.value_exact<bool>();
    if (!v) throw std::runtime_error(where + " must be true or false");
    out = *v;
  };
}

void apply(const toml::table& root, const std::string& file, const std::string& section,
           const std::map<std::string, Setter>& keys) {
  const toml::node* node = root.get(section);
  if (!node) return;
  const toml::table* tbl = node->as_table();
  if (!tbl)
    throw std::runtime_error("configuration " + file + ": [" + section + "] must be a table");
  for (const auto& [key, value] : *tbl) {
    const std::string name(key.str());
    auto it = keys.find(name);
    const std::string where = "configuration " + file + ", [" + section + "] " + name;
    if (it == keys.end()) throw std::runtime_error(where + " is not a known key");
    it->second(value, where);
  }
}

}  // namespace

void loadGatewayConfig(const std::filesystem::path& file, GatewayConfig& c) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw std::runtime_error("configuration " + file.string() +
                             " is not valid TOML: " + std::string(e.description()));
  }
  const std::string f = file.string();
  for (const auto& [key, value] : root) {
    const std::string name(key.str());
    if (name != "gateway" && name != "transfer" && name != "retention" && name != "pacs")
      throw std::runtime_error("configuration " + f + ": [" + name +
                               "] is not a known section (gateway, transfer, retention, pacs)");
  }
  std::string data;
  std::string credentials;
  apply(root, f, "gateway",
        {{"data", text(data)},
         {"cim", text(c.cim)},
         {"bind", text(c.bind_address)},
         {"dicom_port", integer(c.dicom_port, 1, 65535)},
         {"aet", text(c.aet)},
         {"dicom_max_associations", integer(c.dicom_max_associations, 1, 1000)},
         {"http_port", integer(c.http_port, -1, 65535)},
         {"http_bind", text(c.http_bind_address)},
         {"hub", text(c.hub_url)},
         {"credentials", text(credentials)},
         {"ca_file", text(c.ca_file)},
         {"tls_verify", boolean(c.tls_verify)}});
  if (!data.empty()) c.data_dir = data;
  if (!credentials.empty()) c.credentials_file = credentials;
  apply(root, f, "transfer",
        {{"transcode", boolean(c.transcode)},
         {"streams", integer(c.streams, 1, 16)},
         {"bandwidth_bytes_per_second", integer(c.bandwidth_bytes_per_second, 0, int64_t{1} << 40)},
         {"backoff_initial_seconds", real(c.backoff_initial_seconds, 0.01, 3600)},
         {"backoff_max_seconds", real(c.backoff_max_seconds, 0.01, 86400)},
         {"io_timeout_seconds", integer(c.io_timeout_seconds, 1, 3600)},
         {"quiet_seconds", integer(c.quiet_seconds, 0, 86400)}});
  apply(root, f, "retention",
        {{"days", integer(c.retention_days, 0, 3650)},
         {"min_free_bytes", integer(c.min_free_bytes, 0, int64_t{1} << 50)},
         {"reserve_bytes", integer(c.reserve_bytes, 0, int64_t{1} << 40)}});
  apply(root, f, "pacs",
        {{"aet", text(c.pacs.aet)},
         {"host", text(c.pacs.host)},
         {"port", integer(c.pacs.port, 1, 65535)},
         {"timeout_seconds", integer(c.pacs_timeout_seconds, 1, 3600)}});
  if (c.backoff_max_seconds < c.backoff_initial_seconds)
    throw std::runtime_error("configuration " + f +
                             ", [transfer] backoff_max_seconds is below backoff_initial_seconds");
}

std::string readBearerToken(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read the credentials file " + file.string());
  std::string line;
  while (std::getline(in, line)) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    const auto e = line.find_last_not_of(" \t\r");
    std::string token = line.substr(b, e - b + 1);
    if (token.rfind("Bearer ", 0) == 0) token = token.substr(7);
    for (char ch : token)
      if (static_cast<unsigned char>(ch) < 0x21 || static_cast<unsigned char>(ch) > 0x7e)
        throw std::runtime_error("the credentials file " + file.string() +
                                 " must hold the token on one line, without spaces");
    return token;
  }
  throw std::runtime_error("the credentials file " + file.string() + " is empty");
}

}  // namespace dualread
