#pragma once
// Loads a GatewayConfig from a TOML file ([gateway], [transfer], [retention], [pacs]); every key
// is optional, unknown keys and wrong types are refused with the file, key and reason
// (std::runtime_error), so that a typo never leaves a default silently in force.

#include <filesystem>

#include "gateway/gateway_config.h"

namespace dualread {

void loadGatewayConfig(const std::filesystem::path& file, GatewayConfig& config);

// The bearer token from a credentials file (first non-empty line, trimmed). Throws
// std::runtime_error with a sentence when it cannot be read or is empty.
std::string readBearerToken(const std::filesystem::path& file);

}  // namespace dualread
