#pragma once
// Loads a HubConfig from a TOML file (all keys optional; absent keys keep the national
// defaults). Throws std::runtime_error with the file, key and reason on bad input.

#include <filesystem>

#include "services/hub_config.h"

namespace dualread {

void loadHubConfig(const std::filesystem::path& file, HubConfig& config);

}  // namespace dualread
