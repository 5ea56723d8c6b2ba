#pragma once
// Building DICOM JSON (PS3.18 F.2) attributes from index values, for QIDO-RS results and
// STOW-RS responses: {"vr": "DA", "Value": [...]} keyed by 8-hex-digit tag, no Value when
// empty, person names as {"Alphabetic": ...}. Header-only, stateless.

#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dualread::http::dj {

using nlohmann::json;

inline json attr(const char* vr) { return json{{"vr", vr}}; }

// A single text value; empty gives an attribute without Value.
inline void putText(json& o, const char* tag, const char* vr, const std::string& v) {
  json a = attr(vr);
  if (!v.empty()) a["Value"] = json::array({v});
  o[tag] = std::move(a);
}

// Backslash-separated multi-valued text ("MG\\US").
inline void putMulti(json& o, const char* tag, const char* vr, const std::string& v) {
  json a = attr(vr);
  if (!v.empty()) {
    json values = json::array();
    size_t start = 0;
    for (;;) {
      const size_t bs = v.find('\\', start);
      const std::string item = v.substr(start, bs == std::string::npos ? bs : bs - start);
      if (item.empty())
        values.push_back(nullptr);
      else
        values.push_back(item);
      if (bs == std::string::npos) break;
      start = bs + 1;
    }
    a["Value"] = values;
  }
  o[tag] = std::move(a);
}

inline json personName(const std::string& pn) {
  json v = json::object();
  static const char* kGroups[] = {"Alphabetic", "Ideographic", "Phonetic"};
  size_t start = 0;
  for (int g = 0; g < 3 && start <= pn.size(); ++g) {
    size_t eq = pn.find('=', start);
    if (eq == std::string::npos) eq = pn.size();
    if (eq > start) v[kGroups[g]] = pn.substr(start, eq - start);
    start = eq + 1;
  }
  return v;
}

inline void putPersonName(json& o, const char* tag, const std::string& pn) {
  json a = attr("PN");
  if (!pn.empty()) a["Value"] = json::array({personName(pn)});
  o[tag] = std::move(a);
}

inline void putNumber(json& o, const char* tag, const char* vr, int64_t v) {
  json a = attr(vr);
  a["Value"] = json::array({v});
  o[tag] = std::move(a);
}

// An IS value held as text: a number when it parses, the text otherwise.
inline void putIntegerString(json& o, const char* tag, const std::string& v) {
  json a = attr("IS");
  if (!v.empty()) {
    char* end = nullptr;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (end && *end == '\0')
      a["Value"] = json::array({static_cast<int64_t>(n)});
    else
      a["Value"] = json::array({v});
  }
  o[tag] = std::move(a);
}

}  // namespace dualread::http::dj
