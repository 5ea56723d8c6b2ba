#include "domain/identity.h"

namespace dualread {

const char* toCode(InsStatus s) {
  switch (s) {
    case InsStatus::kVerified:
      return "verified";
    case InsStatus::kProvisional:
      return "provisional";
    default:
      return "unknown";
  }
}

std::optional<InsStatus> insStatusFromCode(const std::string& code) {
  if (code == "verified") return InsStatus::kVerified;
  if (code == "provisional") return InsStatus::kProvisional;
  if (code == "unknown") return InsStatus::kUnknown;
  return std::nullopt;
}

void splitPersonName(const std::string& pn, std::string& family, std::string& given) {
  // Only the first component group (alphabetic); ideographic/phonetic groups follow '='.
  const std::string alpha = pn.substr(0, pn.find('='));
  std::vector<std::string> parts;
  size_t i = 0;
  for (;;) {
    const size_t j = alpha.find('^', i);
    parts.push_back(alpha.substr(i, j == std::string::npos ? std::string::npos : j - i));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  auto trim = [](std::string s) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
    while (!s.empty() && s.front() == ' ') s.erase(s.begin());
    return s;
  };
  family = trim(parts[0]);
  given = parts.size() > 1 ? trim(parts[1]) : std::string();
  if (parts.size() > 2 && !trim(parts[2]).empty()) {
    given += given.empty() ? "" : " ";
    given += trim(parts[2]);
  }
}

}  // namespace dualread
