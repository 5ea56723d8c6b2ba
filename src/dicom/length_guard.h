#pragma once
// Length guard: before DCMTK parses a received file, walks its element headers (no values) and
// finds a declared length larger than the bytes that remain. DCMTK allocates a value's memory
// from its declared length, so a 200-byte file claiming a 3 GB element would otherwise make the
// hub allocate 3 GB — found by the fuzzer, and a denial of service on an open port.
// Stateless, thread-safe. Only certain violations are reported: when the walk meets a
// structure it cannot follow (implicit VR inside UN, unknown VR, deflate) it stops and lets
// DCMTK decide.

#include <filesystem>
#include <optional>
#include <string>

namespace dualread {

// A sentence naming the offending element, or nullopt when no impossible length was found.
std::optional<std::string> findImpossibleLength(const std::filesystem::path& file);

}  // namespace dualread
