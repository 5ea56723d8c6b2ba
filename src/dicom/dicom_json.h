#pragma once
// DICOM JSON model (PS3.18 F.2) of a stored Part-10 file, for WADO-RS metadata: every attribute
// of the dataset (not the file meta group) keyed by its 8-hex-digit tag, text in UTF-8, person
// names as {"Alphabetic", "Ideographic", "Phonetic"}, numbers as JSON numbers, sequences as
// arrays of objects. Pixel Data and large top-level binary values become a BulkDataURI; small
// binary values are InlineBinary (base64). Large values are never read just to be skipped.
// Stateless and thread-safe.

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace dualread {

// The file could not be read as DICOM; what() is a sentence.
class DicomJsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DicomJsonOptions {
  // URI prefix of the instance's bulk data, e.g.
  // "http://host/dicomweb/studies/1.2/series/1.3/instances/1.4/bulkdata"; a value becomes
  // "<prefix>/<TAG>". Empty: bulk values are given without any value.
  std::string bulkdata_base;
  // Top-level binary values longer than this become bulk data; Pixel Data always does.
  size_t inline_binary_limit = 1024;
  // Binary values in sequences are inlined up to this size and otherwise left without value.
  size_t nested_binary_limit = 64 * 1024;
};

// Returns the JSON object of the file's dataset. Throws DicomJsonError when it cannot be read.
nlohmann::json dicomJsonOfFile(const std::filesystem::path& file, const DicomJsonOptions& options);

}  // namespace dualread
