#pragma once
// Lossless JPEG-LS transcoding for the gateway's link, and the pixel hash that proves it lossless.
// The pixel hash is the SHA-256 of an image's native pixel data (PixelData decompressed when
// needed, 16-bit samples little endian, as DCMTK holds them on this platform): the original and
// its JPEG-LS copy have the same pixel hash exactly when the compression lost nothing, so the
// hub can verify every received image pixel-exact after decompression. Stateless functions;
// thread-safe (DCMTK's codec registry is set up once).

#include <filesystem>
#include <stdexcept>
#include <string>

namespace dualread {

class TranscodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// SHA-256 (lowercase hex) of the native pixel data of a Part-10 file; empty when the object
// has no pixel data (SR, PDF, KOS). Throws TranscodeError when the file cannot be read or its
// pixel data cannot be decompressed.
std::string pixelSha256(const std::filesystem::path& file);

struct TranscodeOutcome {
  bool transcoded = false;   // false: not an image, or a syntax we keep (already compressed)
  std::string pixel_sha256;  // of the original, empty when no pixel data
  std::string reason;        // why not transcoded, for the log
};

// Writes `out` as a JPEG-LS lossless copy of `in` (same dataset, transfer syntax JPEG-LS
// Lossless, 1.2.840.10008.1.2.4.80) when `in` is an uncompressed image, and checks the copy
// decompresses to the same pixel hash. When no copy is made (`transcoded` false) `out` is not
// written. Throws TranscodeError when `in` cannot be read or the copy is not pixel-exact.
TranscodeOutcome transcodeJpegLsLossless(const std::filesystem::path& in,
                                         const std::filesystem::path& out);

}  // namespace dualread
