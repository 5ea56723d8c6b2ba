// The reduced rendition of a frame (dicom/reduced_frame.h): the factor for a viewport, the box
// average (edges, rounding, signed values, overlay bits) against a naive reference, and the
// same reduction from native, big-endian, RLE and JPEG-LS files; refusals for colour, missing
// pixel data and frames out of range.

#include "dicom/reduced_frame.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "dicom/jpegls_transcoder.h"
#include "hub_fixture.h"

namespace dualread::testing {
namespace {

namespace fs = std::filesystem;

// Reference: the mean of the box's values (as real numbers), rounded half up.
std::vector<int> naive(const std::vector<int>& values, uint32_t rows, uint32_t cols, uint32_t k) {
  std::vector<int> out;
  for (uint32_t r0 = 0; r0 < rows; r0 += k)
    for (uint32_t c0 = 0; c0 < cols; c0 += k) {
      double sum = 0;
      int n = 0;
      for (uint32_t r = r0; r < std::min(rows, r0 + k); ++r)
        for (uint32_t c = c0; c < std::min(cols, c0 + k); ++c, ++n) sum += values[r * cols + c];
      out.push_back(static_cast<int>(std::floor(sum / n + 0.5)));
    }
  return out;
}

std::vector<uint8_t> le16(const std::vector<uint16_t>& words) {
  std::vector<uint8_t> out;
  for (uint16_t w : words) {
    out.push_back(static_cast<uint8_t>(w & 0xFF));
    out.push_back(static_cast<uint8_t>(w >> 8));
  }
  return out;
}

std::vector<int> samples(const ReducedFrame& r, bool is_signed) {
  std::vector<int> out;
  if (r.bits_allocated == 8) {
    for (uint8_t b : r.pixels) out.push_back(is_signed ? static_cast<int8_t>(b) : b);
    return out;
  }
  for (size_t i = 0; i + 1 < r.pixels.size(); i += 2) {
    const auto w = static_cast<uint16_t>(r.pixels[i] | r.pixels[i + 1] << 8);
    out.push_back(is_signed ? static_cast<int16_t>(w) : w);
  }
  return out;
}

TEST(ReducedFrameTest, FactorKeepsAtLeastOnePixelPerScreenPixel) {
  // A 4096 x 3328 mammogram in a 700 x 480 viewport: height limits, 4096 / 480 = 8.5 -> 8.
  EXPECT_EQ(reductionFactor(4096, 3328, 700, 480), 8u);
  EXPECT_GE((4096 + 7) / 8, 480u);
  // Width limits: 3328 / 300 = 11.1 -> 11.
  EXPECT_EQ(reductionFactor(4096, 3328, 300, 2000), 11u);
  // A viewport larger than the image: no reduction.
  EXPECT_EQ(reductionFactor(64, 64, 1920, 1080), 1u);
  EXPECT_EQ(reductionFactor(64, 64, 0, 0), 1u);
}

TEST(ReducedFrameTest, UnsignedSixteenBitsWithPartialEdgeBoxes) {
  const uint32_t rows = 7, cols = 10, k = 3;
  std::vector<uint16_t> px;
  std::vector<int> values;
  for (uint32_t i = 0; i < rows * cols; ++i) {
    px.push_back(static_cast<uint16_t>((i * 37 + 11) % 4096));
    values.push_back(px.back());
  }
  const auto bytes = le16(px);
  GrayFrameFormat f{rows, cols, 16, 12, false};
  const ReducedFrame r = reduceGrayscale(bytes.data(), bytes.size(), f, k);
  EXPECT_EQ(r.rows, 3u);     // ceil(7 / 3)
  EXPECT_EQ(r.columns, 4u);  // ceil(10 / 3)
  EXPECT_EQ(r.factor, 3u);
  EXPECT_EQ(r.pixels.size(), 3u * 4u * 2u);
  EXPECT_EQ(samples(r, false), naive(values, rows, cols, k));
  // Factor 1 gives the frame back.
  const ReducedFrame same = reduceGrayscale(bytes.data(), bytes.size(), f, 1);
  EXPECT_EQ(same.pixels, bytes);
}

TEST(ReducedFrameTest, SignedValuesAreSignExtendedAndOverlayBitsIgnored) {
  // 12 bits stored, signed: 0x800 is -2048, 0xFFF is -1; bits 12-15 carry an overlay (0xF000)
  // that must not count.
  const uint32_t rows = 4, cols = 4, k = 2;
  std::vector<uint16_t> px;
  std::vector<int> values;
  for (uint32_t i = 0; i < rows * cols; ++i) {
    const int v = static_cast<int>(i * 300) - 2048;  // -2048 .. 2452 -> clipped below
    const int clipped = std::max(-2048, std::min(2047, v));
    values.push_back(clipped);
    px.push_back(static_cast<uint16_t>((clipped & 0xFFF) | (i % 2 ? 0xF000 : 0)));
  }
  const auto bytes = le16(px);
  const ReducedFrame r = reduceGrayscale(bytes.data(), bytes.size(), {rows, cols, 16, 12, true}, k);
  EXPECT_EQ(samples(r, true), naive(values, rows, cols, k));
  // Rounding half up below zero: the mean of -3 and -2 is -2.5 -> -2.
  const auto half = le16({static_cast<uint16_t>(-3 & 0xFFFF), static_cast<uint16_t>(-2 & 0xFFFF)});
  const ReducedFrame h = reduceGrayscale(half.data(), half.size(), {1, 2, 16, 16, true}, 2);
  EXPECT_EQ(samples(h, true), std::vector<int>{-2});
}

TEST(ReducedFrameTest, EightBitsAndRefusals) {
  std::vector<uint8_t> px = {0, 255, 10, 20, 30, 40};
  const ReducedFrame r = reduceGrayscale(px.data(), px.size(), {2, 3, 8, 8, false}, 2);
  EXPECT_EQ(r.bits_allocated, 8);
  EXPECT_EQ(samples(r, false), (std::vector<int>{76, 25}));  // (0+255+20+30)/4, (10+40)/2
  EXPECT_THROW(reduceGrayscale(px.data(), px.size() - 1, {2, 3, 8, 8, false}, 2), ReduceError);
  EXPECT_THROW(reduceGrayscale(px.data(), px.size(), {1, 1, 32, 32, false}, 1), ReduceError);
  EXPECT_THROW(reduceGrayscale(px.data(), px.size(), {2, 3, 8, 12, false}, 1), ReduceError);
}

class ReducedFrameFileTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = makeTempDir("dualread-reduced"); }
  void TearDown() override { fs::remove_all(dir_); }

  // A 16-bit MONOCHROME2 image of `frames` frames of 20 x 30, values (f*1000 + i*13) % 4096.
  static void fill(DcmDataset* ds, int frames, std::vector<std::vector<int>>& values) {
    ds->putAndInsertString(DCM_SOPClassUID, UID_SecondaryCaptureImageStorage);
    ds->putAndInsertString(DCM_SOPInstanceUID, "1.2.3.4.5.6");
    ds->putAndInsertString(DCM_StudyInstanceUID, "1.2.3.4");
    ds->putAndInsertString(DCM_SeriesInstanceUID, "1.2.3.4.5");
    ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
    ds->putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
    ds->putAndInsertUint16(DCM_Rows, 20);
    ds->putAndInsertUint16(DCM_Columns, 30);
    ds->putAndInsertUint16(DCM_BitsAllocated, 16);
    ds->putAndInsertUint16(DCM_BitsStored, 12);
    ds->putAndInsertUint16(DCM_HighBit, 11);
    ds->putAndInsertUint16(DCM_PixelRepresentation, 0);
    ds->putAndInsertString(DCM_NumberOfFrames, std::to_string(frames).c_str());
    std::vector<Uint16> px;
    values.assign(frames, {});
    for (int f = 0; f < frames; ++f)
      for (int i = 0; i < 600; ++i) {
        px.push_back(static_cast<Uint16>((f * 1000 + i * 13) % 4096));
        values[f].push_back(px.back());
      }
    ds->putAndInsertUint16Array(DCM_PixelData, px.data(), static_cast<unsigned long>(px.size()));
  }

  fs::path dir_;
};

TEST_F(ReducedFrameFileTest, SameRenditionFromEveryStoredForm) {
  DcmRLEEncoderRegistration::registerCodecs();
  std::vector<std::vector<int>> values;
  DcmFileFormat ff;
  fill(ff.getDataset(), 2, values);
  const auto native = dir_ / "native.dcm";
  ASSERT_TRUE(ff.saveFile(native.c_str(), EXS_LittleEndianExplicit).good());
  const auto big = dir_ / "big.dcm";
  ASSERT_TRUE(ff.saveFile(big.c_str(), EXS_BigEndianExplicit).good());
  const auto jls = dir_ / "jls.dcm";
  // One frame for JPEG-LS (the gateway's transcoding is of single-frame mammograms).
  DcmFileFormat single;
  std::vector<std::vector<int>> single_values;
  fill(single.getDataset(), 1, single_values);
  const auto single_native = dir_ / "single.dcm";
  ASSERT_TRUE(single.saveFile(single_native.c_str(), EXS_LittleEndianExplicit).good());
  ASSERT_TRUE(transcodeJpegLsLossless(single_native, jls).transcoded);
  ASSERT_TRUE(ff.getDataset()->chooseRepresentation(EXS_RLELossless, nullptr).good());
  const auto rle = dir_ / "rle.dcm";
  ASSERT_TRUE(ff.saveFile(rle.c_str(), EXS_RLELossless).good());

  // Viewport 8 x 6: k = max(30 / 8, 20 / 6) = 3 -> 7 x 10.
  for (const auto& path : {native, big, rle}) {
    SCOPED_TRACE(path.filename().string());
    for (uint32_t frame : {1u, 2u}) {
      const ReducedFrame r = reduceFrame(path, frame, 8, 6);
      EXPECT_EQ(r.factor, 3u);
      EXPECT_EQ(r.rows, 7u);
      EXPECT_EQ(r.columns, 10u);
      EXPECT_EQ(samples(r, false), naive(values[frame - 1], 20, 30, 3));
    }
    EXPECT_THROW(reduceFrame(path, 3, 8, 6), ReduceError);
  }
  const ReducedFrame j = reduceFrame(jls, 1, 8, 6);
  EXPECT_EQ(samples(j, false), naive(single_values[0], 20, 30, 3));
  try {
    reduceFrame(jls, 2, 8, 6);
    ADD_FAILURE() << "frame 2 of a single-frame image";
  } catch (const ReduceError& e) {
    EXPECT_EQ(e.kind(), ReduceError::Kind::kNoSuchFrame);
  }
}

TEST_F(ReducedFrameFileTest, RefusesColourNoPixelsAndUnreadableFiles) {
  std::vector<std::vector<int>> values;
  DcmFileFormat ff;
  fill(ff.getDataset(), 1, values);
  ff.getDataset()->putAndInsertString(DCM_PhotometricInterpretation, "RGB");
  ff.getDataset()->putAndInsertUint16(DCM_SamplesPerPixel, 3);
  ff.getDataset()->putAndInsertUint16(DCM_BitsAllocated, 8);
  const auto colour = dir_ / "colour.dcm";
  ASSERT_TRUE(ff.saveFile(colour.c_str(), EXS_LittleEndianExplicit).good());
  auto kindOf = [](const fs::path& p) {
    try {
      reduceFrame(p, 1, 100, 100);
    } catch (const ReduceError& e) {
      return static_cast<int>(e.kind());
    }
    return -1;
  };
  EXPECT_EQ(kindOf(colour), static_cast<int>(ReduceError::Kind::kUnsupported));
  ff.getDataset()->findAndDeleteElement(DCM_PixelData);
  const auto none = dir_ / "none.dcm";
  ASSERT_TRUE(ff.saveFile(none.c_str(), EXS_LittleEndianExplicit).good());
  EXPECT_EQ(kindOf(none), static_cast<int>(ReduceError::Kind::kNoPixelData));
  const auto junk = dir_ / "junk.dcm";
  std::ofstream(junk) << "not a DICOM file at all";
  EXPECT_EQ(kindOf(junk), static_cast<int>(ReduceError::Kind::kUnreadable));
}

}  // namespace
}  // namespace dualread::testing
