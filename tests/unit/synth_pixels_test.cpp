#include "domain/synth_pixels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <vector>

namespace dualread::synth {
namespace {

MammoPixelSpec spec(char side, ViewKind view, int bits = 12) {
  MammoPixelSpec s;
  s.rows = 320;
  s.cols = 256;
  s.bits_stored = bits;
  s.laterality = side;
  s.view = view;
  s.density = 2;
  s.anatomy_seed = 1234;
  s.noise_seed = 99;
  return s;
}

std::vector<uint16_t> render(const MammoPixelSpec& s) {
  std::vector<uint16_t> px(static_cast<size_t>(s.rows) * s.cols);
  renderMammogram(s, px);
  return px;
}

double meanOf(const std::vector<uint16_t>& px, int cols, int x0, int x1, int y0, int y1) {
  double sum = 0;
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) sum += px[static_cast<size_t>(y) * cols + x];
  }
  return sum / ((x1 - x0) * (y1 - y0));
}

uint64_t fnv1a(const std::vector<uint16_t>& px) {
  uint64_t h = 1469598103934665603ULL;
  for (uint16_t v : px) {
    h = (h ^ (v & 0xFF)) * 1099511628211ULL;
    h = (h ^ (v >> 8)) * 1099511628211ULL;
  }
  return h;
}

TEST(SynthPixels, NeverConstantAndWithinBitsStored) {
  for (int bits : {12, 14}) {
    for (char side : {'R', 'L'}) {
      for (ViewKind view : {ViewKind::kCC, ViewKind::kMLO}) {
        for (ViewModifier mod : {ViewModifier::kNone, ViewModifier::kSpot, ViewModifier::kMag}) {
          for (bool raw : {false, true}) {
            auto s = spec(side, view, bits);
            s.modifier = mod;
            s.for_processing = raw;
            const auto px = render(s);
            const auto [lo, hi] = std::minmax_element(px.begin(), px.end());
            EXPECT_LT(*lo, *hi);
            EXPECT_LE(*hi, (1 << bits) - 1);
            // Real contrast, not just noise.
            EXPECT_GT(*hi - *lo, (1 << bits) / 8);
          }
        }
      }
    }
  }
}

TEST(SynthPixels, DeterministicFromSeeds) {
  const auto a = render(spec('R', ViewKind::kCC));
  EXPECT_EQ(a, render(spec('R', ViewKind::kCC)));
  auto other_noise = spec('R', ViewKind::kCC);
  other_noise.noise_seed = 100;
  EXPECT_NE(a, render(other_noise));
  // Pinned checksum: float code is restricted to IEEE-exact operations so this holds on every
  // machine. Update it deliberately when the look of the images is changed on purpose.
  EXPECT_EQ(fnv1a(a), 0xf54904df1040ce95ULL) << std::hex << fnv1a(a);
}

TEST(SynthPixels, ChestWallSideFollowsLaterality) {
  const int cols = 256, rows = 320;
  for (char side : {'R', 'L'}) {
    const auto px = render(spec(side, ViewKind::kCC));
    const double left = meanOf(px, cols, 0, 20, rows / 3, 2 * rows / 3);
    const double right = meanOf(px, cols, cols - 20, cols, rows / 3, 2 * rows / 3);
    if (side == 'R') {
      EXPECT_GT(right, 4 * left) << "right breast: chest wall on the right of the image";
    } else {
      EXPECT_GT(left, 4 * right);
    }
  }
}

TEST(SynthPixels, MloShowsPectoralMuscleBrighterThanBackground) {
  const int cols = 256, rows = 320;
  for (uint64_t seed : {1ULL, 2ULL, 3ULL, 4ULL}) {
    auto s = spec('R', ViewKind::kMLO);
    s.anatomy_seed = seed;
    s.density = 0;  // fatty: the muscle must stand out from fat too
    const auto px = render(s);
    // Top corner at the chest wall (right for R) vs the opposite top corner.
    const double muscle = meanOf(px, cols, cols - 16, cols, 0, 16);
    const double background = meanOf(px, cols, 0, 16, 0, 16);
    const double fat = meanOf(px, cols, cols / 2 - 8, cols / 2 + 8, rows - 80, rows - 64);
    EXPECT_GT(muscle, 5 * background) << seed;
    EXPECT_GT(muscle, fat) << seed;
    // A CC has no muscle in that corner.
    auto cc = s;
    cc.view = ViewKind::kCC;
    EXPECT_LT(meanOf(render(cc), cols, cols - 16, cols, 0, 16), muscle) << seed;
  }
}

TEST(SynthPixels, FullSizeIsFast) {
  MammoPixelSpec s = spec('L', ViewKind::kMLO, 14);
  s.rows = 4096;
  s.cols = 3328;
  std::vector<uint16_t> px(static_cast<size_t>(s.rows) * s.cols);
  const auto start = std::chrono::steady_clock::now();
  renderMammogram(s, px);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("render_3328x4096_ms", static_cast<int>(seconds * 1000));
  // The target is well under 1 s on one core; the bound is loose for shared CI machines.
  EXPECT_LT(seconds, 3.0);
  EXPECT_LE(*std::max_element(px.begin(), px.end()), (1 << 14) - 1);
}

TEST(SynthPixels, UltrasoundHasAFanOfSpeckle) {
  std::vector<uint8_t> px(640 * 480);
  renderUltrasound({480, 640, 7}, px);
  const auto [lo, hi] = std::minmax_element(px.begin(), px.end());
  EXPECT_LT(*lo, 10);
  EXPECT_GT(*hi, 150);
  EXPECT_LT(px[5 * 640 + 5], 10) << "outside the fan is black";
  double centre = 0;
  for (int y = 200; y < 220; ++y) {
    for (int x = 310; x < 330; ++x) centre += px[y * 640 + x];
  }
  EXPECT_GT(centre / 400, 20.0);
  std::vector<uint8_t> again(640 * 480);
  renderUltrasound({480, 640, 7}, again);
  EXPECT_EQ(px, again);
}

TEST(SynthPixels, RejectsMismatchedBuffers) {
  std::vector<uint16_t> small(10);
  EXPECT_THROW(renderMammogram(spec('R', ViewKind::kCC), small), std::invalid_argument);
  std::vector<uint8_t> us(10);
  EXPECT_THROW(renderUltrasound({480, 640, 1}, us), std::invalid_argument);
}

}  // namespace
}  // namespace dualread::synth
