#pragma once
// A frame at screen resolution: the pixels of one grayscale frame averaged over k x k boxes,
// for the reading console's first display of an exam (a 20 MB mammogram shown in a 700-pixel
// high viewport needs about 0.5 MB of its pixels; the full frame follows for zooming).
// The rule: for a viewport of W x H screen pixels, k is the largest integer with the reduced
// image still at least as large as the image fitted into the viewport, so every screen pixel
// gets at least one reduced pixel: k = max(1, floor(max(columns / W, rows / H))). The reduced
// image has ceil(rows / k) x ceil(columns / k) pixels; the last boxes of a row or column
// average the pixels they have. Values are the stored values (before the modality LUT, which is
// linear for the images this serves), averaged and rounded half up, in the frame's own
// representation (8 or 16 bits, signed or not), little endian.
// reduceGrayscale is pure; reduceFrame reads a stored file (decompressing its frame with the
// codecs DCMTK has: JPEG, JPEG-LS, RLE). Stateless functions; thread-safe.

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace dualread {

class ReduceError : public std::runtime_error {
 public:
  enum class Kind {
    kUnreadable,   // not a readable DICOM file, or its frame cannot be decompressed
    kNoPixelData,  // no pixel data (SR, PDF...)
    kNoSuchFrame,  // frame number out of range
    kUnsupported,  // colour, or a pixel layout this reduction does not handle
  };
  ReduceError(Kind kind, const std::string& sentence) : std::runtime_error(sentence), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// The geometry and sample format of a grayscale frame.
struct GrayFrameFormat {
  uint32_t rows = 0;
  uint32_t columns = 0;
  uint16_t bits_allocated = 16;  // 8 or 16
  uint16_t bits_stored = 16;     // values beyond it (overlay bits) are masked off
  bool is_signed = false;        // Pixel Representation 1 (two's complement)
};

struct ReducedFrame {
  uint32_t rows = 0;
  uint32_t columns = 0;
  uint32_t factor = 1;  // k: one reduced pixel per k x k stored pixels
  uint16_t bits_allocated = 16;
  bool is_signed = false;
  std::vector<uint8_t> pixels;  // rows * columns samples, little endian
  // What a viewer without the DICOM file needs to show it (reduceFrame fills them from the
  // file): MONOCHROME1 or MONOCHROME2, the modality LUT, the first window (0 width: none).
  std::string photometric = "MONOCHROME2";
  double rescale_slope = 1;
  double rescale_intercept = 0;
  double window_center = 0;
  double window_width = 0;
};

// k for a frame of rows x columns shown in a viewport of viewport_columns x viewport_rows.
uint32_t reductionFactor(uint32_t rows, uint32_t columns, uint32_t viewport_columns,
                         uint32_t viewport_rows);

// Averages `frame` (rows * columns samples, little endian, as described by `format`) over k x k
// boxes. Throws ReduceError(kUnsupported) for a format it cannot read, or when `frame` is
// shorter than the format says.
ReducedFrame reduceGrayscale(const uint8_t* frame, size_t size, const GrayFrameFormat& format,
                             uint32_t factor);

// Frame `frame` (1-based) of the stored file `file`, reduced for a viewport of
// viewport_columns x viewport_rows. Throws ReduceError.
ReducedFrame reduceFrame(const std::filesystem::path& file, uint32_t frame,
                         uint32_t viewport_columns, uint32_t viewport_rows);

}  // namespace dualread
