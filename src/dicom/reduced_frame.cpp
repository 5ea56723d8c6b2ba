#include "dicom/reduced_frame.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfcache.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <cstdlib>

#include "dicom/dimse_sender.h"

namespace dualread {
namespace {

// floor(a / b) for b > 0.
int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

uint16_t u16(DcmDataset& ds, const DcmTagKey& tag, uint16_t fallback) {
  Uint16 v = 0;
  return ds.findAndGetUint16(tag, v).good() ? v : fallback;
}

}  // namespace

uint32_t reductionFactor(uint32_t rows, uint32_t columns, uint32_t viewport_columns,
                         uint32_t viewport_rows) {
  if (viewport_columns == 0 || viewport_rows == 0) return 1;
  const uint32_t k = std::max(columns / viewport_columns, rows / viewport_rows);
  return std::max<uint32_t>(1, k);
}

ReducedFrame reduceGrayscale(const uint8_t* frame, size_t size, const GrayFrameFormat& f,
                             uint32_t factor) {
  if (f.bits_allocated != 8 && f.bits_allocated != 16)
    throw ReduceError(ReduceError::Kind::kUnsupported,
                      "images of " + std::to_string(f.bits_allocated) +
                          " bits allocated have no reduced rendition (8 or 16 only)");
  if (f.bits_stored == 0 || f.bits_stored > f.bits_allocated)
    throw ReduceError(ReduceError::Kind::kUnsupported,
                      "bits stored (" + std::to_string(f.bits_stored) + ") does not fit in " +
                          std::to_string(f.bits_allocated) + " bits allocated");
  const size_t bytes = f.bits_allocated / 8;
  if (f.rows == 0 || f.columns == 0 || size < size_t{f.rows} * f.columns * bytes)
    throw ReduceError(ReduceError::Kind::kUnreadable,
                      "the frame holds fewer pixels than its rows and columns say");
  const uint32_t k = std::max<uint32_t>(1, factor);
  ReducedFrame out;
  out.factor = k;
  out.bits_allocated = f.bits_allocated;
  out.is_signed = f.is_signed;
  out.rows = (f.rows + k - 1) / k;
  out.columns = (f.columns + k - 1) / k;
  out.pixels.resize(size_t{out.rows} * out.columns * bytes);
  const uint32_t mask = f.bits_stored >= 32 ? 0xFFFFFFFFu : (1u << f.bits_stored) - 1;
  const uint32_t sign = 1u << (f.bits_stored - 1);
  std::vector<int64_t> sums(out.columns);
  // Adds row `line` into the column boxes; one instantiation per sample format (the inner loop
  // runs over every stored pixel).
  auto addRow = [&]<size_t kBytes, bool kSigned>(const uint8_t* line) {
    for (uint32_t oc = 0; oc < out.columns; ++oc) {
      const uint32_t c1 = std::min(f.columns, (oc + 1) * k);
      int64_t s = 0;
      for (uint32_t c = oc * k; c < c1; ++c) {
        uint32_t raw =
            kBytes == 1 ? line[c] : uint32_t{line[2 * c]} | uint32_t{line[2 * c + 1]} << 8;
        raw &= mask;
        if constexpr (kSigned) {
          s += (raw & sign) ? int64_t{raw} - (int64_t{1} << f.bits_stored) : int64_t{raw};
        } else {
          s += raw;
        }
      }
      sums[oc] += s;
    }
  };
  for (uint32_t orow = 0; orow < out.rows; ++orow) {
    std::fill(sums.begin(), sums.end(), 0);
    const uint32_t r0 = orow * k;
    const uint32_t r1 = std::min(f.rows, r0 + k);
    for (uint32_t r = r0; r < r1; ++r) {
      const uint8_t* line = frame + size_t{r} * f.columns * bytes;
      if (bytes == 1)
        f.is_signed ? addRow.operator()<1, true>(line) : addRow.operator()<1, false>(line);
      else
        f.is_signed ? addRow.operator()<2, true>(line) : addRow.operator()<2, false>(line);
    }
    uint8_t* dst = out.pixels.data() + size_t{orow} * out.columns * bytes;
    const int64_t box_rows = r1 - r0;
    for (uint32_t oc = 0; oc < out.columns; ++oc) {
      const int64_t box_cols = std::min(f.columns, (oc + 1) * k) - oc * k;
      const int64_t n = box_rows * box_cols;
      const int64_t avg = floorDiv(2 * sums[oc] + n, 2 * n);  // rounded half up
      const auto word = static_cast<uint16_t>(avg);           // two's complement when signed
      if (bytes == 1) {
        dst[oc] = static_cast<uint8_t>(word);
      } else {
        dst[2 * oc] = static_cast<uint8_t>(word & 0xFF);
        dst[2 * oc + 1] = static_cast<uint8_t>(word >> 8);
      }
    }
  }
  return out;
}

ReducedFrame reduceFrame(const std::filesystem::path& file, uint32_t frame,
                         uint32_t viewport_columns, uint32_t viewport_rows) {
  registerDicomDecoders();
  DcmFileFormat ff;
  // Large values stay on disk until the frame is read.
  OFCondition c = ff.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
  if (c.bad())
    throw ReduceError(ReduceError::Kind::kUnreadable,
                      std::string("the stored object cannot be read as DICOM (") + c.text() + ")");
  DcmDataset& ds = *ff.getDataset();
  DcmElement* e = nullptr;
  DcmPixelData* pixels = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, e).good() && e) pixels = dynamic_cast<DcmPixelData*>(e);
  if (!pixels) throw ReduceError(ReduceError::Kind::kNoPixelData, "this object has no pixel data");
  OFString photometric;
  ds.findAndGetOFString(DCM_PhotometricInterpretation, photometric);
  const uint16_t samples = u16(ds, DCM_SamplesPerPixel, 1);
  if (samples != 1 || (photometric != "MONOCHROME1" && photometric != "MONOCHROME2"))
    throw ReduceError(ReduceError::Kind::kUnsupported,
                      "a reduced rendition exists for grayscale images only (this one is " +
                          std::string(photometric.empty() ? "without photometric interpretation"
                                                          : photometric.c_str()) +
                          "); retrieve its frames");
  GrayFrameFormat f;
  f.rows = u16(ds, DCM_Rows, 0);
  f.columns = u16(ds, DCM_Columns, 0);
  f.bits_allocated = u16(ds, DCM_BitsAllocated, 0);
  f.bits_stored = u16(ds, DCM_BitsStored, f.bits_allocated);
  f.is_signed = u16(ds, DCM_PixelRepresentation, 0) == 1;
  OFString nf;
  long frames = 1;
  if (ds.findAndGetOFString(DCM_NumberOfFrames, nf).good() && !nf.empty())
    frames = std::max(1L, std::strtol(nf.c_str(), nullptr, 10));
  if (frame < 1 || frame > frames)
    throw ReduceError(ReduceError::Kind::kNoSuchFrame,
                      "there is no frame " + std::to_string(frame) + " (this object has " +
                          std::to_string(frames) + ")");
  Uint32 frame_size = 0;
  if (pixels->getUncompressedFrameSize(&ds, frame_size).bad() || frame_size == 0)
    throw ReduceError(ReduceError::Kind::kUnreadable, "the frame's size cannot be worked out");
  std::vector<uint8_t> buffer(frame_size);
  Uint32 start_fragment = 0;
  OFString model;
  DcmFileCache cache;
  c = pixels->getUncompressedFrame(&ds, frame - 1, start_fragment, buffer.data(), frame_size, model,
                                   &cache);
  if (c.bad()) {
    const DcmXfer xfer(ds.getOriginalXfer());
    if (xfer.isEncapsulated())
      throw ReduceError(ReduceError::Kind::kUnsupported, "frame " + std::to_string(frame) +
                                                             " cannot be decompressed here (" +
                                                             xfer.getXferName() + "): " + c.text());
    throw ReduceError(ReduceError::Kind::kUnreadable,
                      "frame " + std::to_string(frame) + " cannot be read: " + c.text());
  }
  ReducedFrame out =
      reduceGrayscale(buffer.data(), buffer.size(), f,
                      reductionFactor(f.rows, f.columns, viewport_columns, viewport_rows));
  out.photometric = photometric.c_str();
  Float64 v = 0;
  if (ds.findAndGetFloat64(DCM_RescaleSlope, v).good() && v != 0) out.rescale_slope = v;
  if (ds.findAndGetFloat64(DCM_RescaleIntercept, v).good()) out.rescale_intercept = v;
  Float64 center = 0, width = 0;
  if (ds.findAndGetFloat64(DCM_WindowCenter, center).good() &&
      ds.findAndGetFloat64(DCM_WindowWidth, width).good() && width > 0) {
    out.window_center = center;
    out.window_width = width;
  }
  return out;
}

}  // namespace dualread
