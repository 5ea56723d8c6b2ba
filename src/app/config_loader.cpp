#include "app/config_loader.h"

#include <toml++/toml.h>

#include <stdexcept>

namespace dualread {

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
      if (ae.aet.empty() || ae.aet.size() > 16)
        throw std::runtime_error("configuration " + file.string() +
                                 ": every [[remote_ae]] needs an 'aet' of 1 to 16 characters");
      c.remote_aes.push_back(ae);
    }
  }
}

}  // namespace dualread
