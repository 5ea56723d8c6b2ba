#include "domain/synth_pixels.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

// Portability note: only +, -, *, / and sqrt are used on floating point values (all correctly
// rounded by IEEE 754), never libm transcendental functions whose last bit differs between C
// libraries, and multiply-adds are never fused (GCC in ISO mode does not contract; clang is told
// so below), so a seed draws the same pixels everywhere.
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace dualread::synth {
namespace {

float smoothstep(float e0, float e1, float x) {
  float t = (x - e0) / (e1 - e0);
  t = std::clamp(t, 0.0f, 1.0f);
  return t * t * (3.0f - 2.0f * t);
}

float fade(float t) { return t * t * (3.0f - 2.0f * t); }

uint64_t hash64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// One octave of 2-D value noise over breast space [-0.5, 1.5]^2 (clamped outside), sampled on an
// axis-aligned affine image grid. Column lookups are precomputed once per image and each image row
// first interpolates the two grid rows it falls between, so a pixel costs one lerp per octave.
class NoiseOctave {
 public:
  NoiseOctave(uint64_t seed, float cells_u, float cells_v, float weight, float offset_u = 0.0f,
              float offset_v = 0.0f)
      : cells_u_(cells_u),
        cells_v_(cells_v),
        weight_(weight),
        offset_u_(offset_u),
        offset_v_(offset_v) {
    width_ = static_cast<int>(2.0f * cells_u) + 4;
    height_ = static_cast<int>(2.0f * cells_v) + 4;
    grid_.resize(static_cast<size_t>(width_) * height_);
    Rng rng(seed);
    for (float& g : grid_) g = static_cast<float>(rng.next() >> 40) * (1.0f / 16777216.0f);
    row_.resize(width_);
  }

  float weight() const { return weight_; }

  // u of every image column.
  void prepareColumns(const std::vector<float>& u) {
    index_.resize(u.size());
    frac_.resize(u.size());
    for (size_t x = 0; x < u.size(); ++x) {
      const float t =
          std::clamp((u[x] + 0.5f) * cells_u_ + offset_u_, 0.0f, static_cast<float>(width_ - 2));
      const int i = std::min(static_cast<int>(t), width_ - 2);
      index_[x] = i;
      frac_[x] = fade(t - static_cast<float>(i));
    }
  }

  void prepareRow(float v) {
    const float t =
        std::clamp((v + 0.5f) * cells_v_ + offset_v_, 0.0f, static_cast<float>(height_ - 2));
    const int j = std::min(static_cast<int>(t), height_ - 2);
    const float f = fade(t - static_cast<float>(j));
    const float* a = &grid_[static_cast<size_t>(j) * width_];
    const float* b = a + width_;
    for (int i = 0; i < width_; ++i) row_[i] = a[i] + (b[i] - a[i]) * f;
  }

  float at(int x) const {
    const int i = index_[x];
    return row_[i] + (row_[i + 1] - row_[i]) * frac_[x];
  }

 private:
  float cells_u_, cells_v_, weight_, offset_u_, offset_v_;
  int width_ = 0, height_ = 0;
  std::vector<float> grid_;
  std::vector<float> row_;
  std::vector<int> index_;
  std::vector<float> frac_;
};

// Breast geometry, drawn once per anatomy seed so that every round shows the same breast.
struct Anatomy {
  float a;             // depth from the chest wall (u = 0) to the nipple
  float b_top, b_bot;  // vertical half-extents above and below the nipple line
  float v0, shear;     // nipple line height and its droop with depth
  float nipple_r;
  float pect_w, pect_h;  // pectoral triangle along the chest wall (MLO)
  float threshold;       // fibroglandular threshold from density
  bool calcifications;
  float calc_u, calc_v;
  int calc_count;
  uint64_t calc_seed;
};

Anatomy drawAnatomy(const MammoPixelSpec& spec) {
  Rng rng(spec.anatomy_seed);
  // Left and right breasts share their shape and coarse layout (a woman is nearly symmetric);
  // details, size jitter and calcifications are per side.
  Rng side_rng(hash64(spec.anatomy_seed + static_cast<uint64_t>(spec.laterality)));
  auto between = [&](float lo, float hi) {
    return lo + (hi - lo) * static_cast<float>(rng.uniform());
  };
  Anatomy an{};
  if (spec.view == ViewKind::kMLO) {
    // The MLO outline runs off the top of the image (axillary tail) and comes back to the chest
    // wall near the bottom (inframammary fold).
    an.a = between(0.62f, 0.84f);
    an.v0 = between(0.52f, 0.58f);
    an.b_top = an.v0 + between(0.10f, 0.20f);
    an.b_bot = std::min(between(0.36f, 0.44f), 0.99f - an.v0);
    an.shear = between(0.0f, 0.06f);
    const float r = an.v0 / an.b_top;
    const float top_width = an.a * std::sqrt(1.0f - r * r);
    an.pect_w = top_width * between(0.55f, 0.85f);
    an.pect_h = between(0.38f, 0.56f);
  } else {
    an.a = between(0.55f, 0.80f);
    an.v0 = between(0.47f, 0.53f);
    an.b_top = between(0.34f, 0.44f);
    an.b_bot = an.b_top * between(0.95f, 1.05f);
    an.shear = between(-0.03f, 0.03f);
  }
  an.nipple_r = between(0.014f, 0.022f);
  static constexpr float kThreshold[] = {0.66f, 0.58f, 0.50f, 0.42f};
  an.threshold = kThreshold[std::clamp(spec.density, 0, 3)];
  auto side_between = [&](float lo, float hi) {
    return lo + (hi - lo) * static_cast<float>(side_rng.uniform());
  };
  an.a *= side_between(0.96f, 1.04f);
  an.b_bot *= side_between(0.97f, 1.0f);
  an.calcifications = side_rng.chance(0.15);
  // A cluster somewhere in the central, glandular part of the breast.
  an.calc_u = side_between(0.15f, 0.55f) * an.a;
  an.calc_v = an.v0 + an.shear * an.calc_u + side_between(-0.4f, 0.4f) * an.b_bot;
  an.calc_count = static_cast<int>(side_rng.range(3, 9));
  an.calc_seed = side_rng.next();
  return an;
}

}  // namespace

void renderMammogram(const MammoPixelSpec& spec, std::span<uint16_t> out) {
  if (spec.rows <= 0 || spec.cols <= 0 ||
      out.size() != static_cast<size_t>(spec.rows) * static_cast<size_t>(spec.cols)) {
    throw std::invalid_argument("renderMammogram: buffer size does not match rows x cols");
  }
  if (spec.bits_stored < 8 || spec.bits_stored > 16) {
    throw std::invalid_argument("renderMammogram: bits_stored must be within [8, 16]");
  }
  const Anatomy an = drawAnatomy(spec);
  const bool mlo = spec.view == ViewKind::kMLO;
  const float max_value = static_cast<float>((1 << spec.bits_stored) - 1);
  const int rows = spec.rows;
  const int cols = spec.cols;

  // Extra views show a magnified part of the same breast.
  Rng view_rng(spec.noise_seed ^ 0x5A00A1ULL);
  float zoom = 1.0f, uc = 0.5f, vc = 0.5f;
  if (spec.modifier != ViewModifier::kNone) {
    zoom = spec.modifier == ViewModifier::kMag ? 1.8f : 1.35f;
    uc = 0.30f + 0.20f * static_cast<float>(view_rng.uniform());
    vc = an.v0 + an.shear * uc + (static_cast<float>(view_rng.uniform()) - 0.5f) * 0.3f;
  }

  std::vector<float> u(cols);
  for (int x = 0; x < cols; ++x) {
    const float ui = spec.laterality == 'L' ? (static_cast<float>(x) + 0.5f) / cols
                                            : (static_cast<float>(cols - x) - 0.5f) / cols;
    u[x] = uc + (ui - 0.5f) / zoom;
  }

  // Parenchyma: fractal value noise, coarse lobes to fine texture; the middle octaves are
  // stretched along u because ducts and ligaments run from the nipple to the chest wall. Each
  // octave is shifted by a random offset so that the lattices of different octaves never align
  // (that alignment is what makes value noise look blocky). Cells are ~square physically.
  // Octaves finer than ~4 pixels per cell are left out (they would only alias); they count as
  // their mean so that a small image looks like a downscaled large one of the same seed.
  constexpr int kOctaves = 9;
  const float weights[kOctaves] = {1.0f, 0.7f, 0.45f, 0.3f, 0.2f, 0.12f, 0.07f, 0.045f, 0.03f};
  Rng octave_rng(hash64(spec.anatomy_seed ^ 0x0C7A));
  Rng side_octave_rng(
      hash64((spec.anatomy_seed + static_cast<uint64_t>(spec.laterality)) ^ 0x51DE));
  std::vector<NoiseOctave> octaves;
  float weight_sum = 0.0f;
  float absent = 0.0f;  // mean contribution of the octaves left out
  for (int k = 0; k < kOctaves; ++k) {
    // Coarse octaves are shared by both breasts, finer ones differ.
    Rng& source = k < 3 ? octave_rng : side_octave_rng;
    const uint64_t seed = source.next();
    const float offset_u = static_cast<float>(source.uniform());
    const float offset_v = static_cast<float>(source.uniform());
    const float f = 3.0f * static_cast<float>(1 << k);
    weight_sum += weights[k];
    if (static_cast<float>(rows) * zoom / f < 4.0f) {
      absent += 0.5f * weights[k];
      continue;
    }
    const float stretch = k >= 2 && k <= 4 ? 0.5f : 1.0f;
    octaves.emplace_back(seed, f * 0.8f * stretch, f, weights[k], offset_u, offset_v);
    octaves.back().prepareColumns(u);
  }
  const float inv_weight_sum = 1.0f / weight_sum;
  const size_t n_octaves = octaves.size();
  auto octave = [&](size_t k, int x) { return k < n_octaves ? octaves[k].at(x) : 0.5f; };
  // Detector noise is slightly correlated between neighbours (finite MTF).
  std::vector<float> grain_above(cols, 0.0f);
  // Antialiased skin edge about 1.5 pixels wide.
  const float edge = 1.5f / (an.a * static_cast<float>(cols) * zoom);

  for (int y = 0; y < rows; ++y) {
    const float vi = (static_cast<float>(y) + 0.5f) / rows;
    const float v = vc + (vi - 0.5f) / zoom;
    for (auto& o : octaves) o.prepareRow(v);
    const float bg = 0.018f * (1.0f + 0.3f * vi);
    uint16_t* line = out.data() + static_cast<size_t>(y) * cols;
    uint64_t noise_state = hash64(spec.noise_seed + static_cast<uint64_t>(y) * 0x9E37ULL);
    float grain_left = 0.0f;

    for (int x = 0; x < cols; ++x) {
      const float uu = u[x];
      const float vs = v - an.v0 - an.shear * uu;
      const float ue = uu > 0.0f ? uu / an.a : 0.0f;
      const float ve = vs / (vs < 0.0f ? an.b_top : an.b_bot);
      const float d = std::sqrt(ue * ue + ve * ve);
      // Nipple: a small soft bump at the apex of the outline.
      const float nu = (uu - an.a) / an.nipple_r;
      const float nv = vs / (an.nipple_r * 1.3f);
      const float dn =
          nu > -3.0f && nu < 3.0f && nv > -3.0f && nv < 3.0f ? std::sqrt(nu * nu + nv * nv) : 3.0f;

      float value = bg;
      if (d < 1.0f + edge) {
        float n = absent;
        for (const auto& o : octaves) n += o.weight() * o.at(x);
        n *= inv_weight_sum;
        const float lobe = octave(0, x);
        const float fine = octave(5, x) + octave(6, x) - 1.0f;
        const float contrast = (n - 0.5f) * 2.4f + 0.5f;
        // Fibroglandular tissue lies centrally, behind a layer of subcutaneous fat.
        const float central = smoothstep(0.97f, 0.5f, d);
        const float gland = smoothstep(an.threshold - 0.22f, an.threshold + 0.16f,
                                       contrast * (0.62f + 0.5f * central)) *
                            smoothstep(0.0f, 0.4f, central);
        float tissue =
            0.27f + 0.05f * (lobe - 0.5f) + 0.32f * gland + 0.05f * gland * fine + 0.03f * fine;
        tissue *= 1.0f - 0.18f * smoothstep(0.7f, 0.99f, d);  // thinner at the periphery
        if (mlo) {
          const float pu = std::max(uu, 0.0f) / an.pect_w;
          const float pv = std::max(v, 0.0f) / an.pect_h;
          const float t = pu + pv + 0.25f * pu * pv;  // slightly convex anterior edge
          const float muscle = smoothstep(1.02f, 0.98f, t);
          const float fibres = octave(3, x) - 0.5f;
          const float pect =
              0.52f + 0.10f * (1.0f - std::min(t, 1.0f)) + 0.08f * fibres + 0.03f * fine;
          tissue += (pect - tissue) * muscle;
        }
        // Skin line: a thin rim slightly brighter than the subcutaneous fat.
        const float rim = smoothstep(0.978f, 0.99f, d) * smoothstep(1.0f + edge, 0.996f, d);
        tissue += (0.31f - tissue) * rim * 0.7f;
        const float alpha = smoothstep(1.0f + edge, 1.0f - edge, d);
        value = bg + (tissue - bg) * alpha;
      }
      if (dn < 1.2f) {
        const float nipple = smoothstep(1.05f, 0.85f, dn);
        value += (0.30f - value) * nipple;
      }
      if (spec.modifier == ViewModifier::kSpot) {
        // Outside the small spot paddle the breast is thicker and less sharp.
        const float px = (static_cast<float>(x) + 0.5f) / cols - 0.5f;
        const float py = (vi - 0.5f) * static_cast<float>(rows) / cols;
        const float r = std::sqrt(px * px + py * py);
        const float outside = smoothstep(0.30f, 0.32f, r);
        value = value - (value - bg) * 0.25f * outside;
        value += 0.05f * smoothstep(0.30f, 0.31f, r) * smoothstep(0.32f, 0.31f, r);
      }
      if (spec.for_processing) value = 0.15f + 0.45f * value;

      // Quantum noise: triangular approximation of a Gaussian, sigma grows with sqrt(signal).
      noise_state = noise_state * 6364136223846793005ULL + 1442695040888963407ULL;
      const uint64_t h = noise_state ^ (noise_state >> 29);
      const float r1 = static_cast<float>((h >> 16) & 0xFFFF) * (1.0f / 65536.0f);
      const float r2 = static_cast<float>((h >> 40) & 0xFFFF) * (1.0f / 65536.0f);
      const float white = (r1 + r2 - 1.0f) * 2.45f;  // unit variance
      const float grain = 0.62f * white + 0.3f * grain_left + 0.3f * grain_above[x];
      grain_left = grain;
      grain_above[x] = grain;
      const float sigma = 0.018f * std::sqrt(value) + 0.004f;
      value += grain * sigma;
      const float scaled = std::clamp(value, 0.0f, 1.0f) * max_value + 0.5f;
      line[x] = static_cast<uint16_t>(scaled);
    }
  }

  // Microcalcifications: a few bright specks that stay in place from one round to the next.
  if (an.calcifications && !spec.for_processing) {
    Rng calc(an.calc_seed);
    const float radius = std::max(1.0f, 0.0012f * static_cast<float>(rows) * zoom);
    for (int i = 0; i < an.calc_count; ++i) {
      const float cu = an.calc_u + (static_cast<float>(calc.uniform()) - 0.5f) * 0.05f;
      const float cv = an.calc_v + (static_cast<float>(calc.uniform()) - 0.5f) * 0.05f;
      const float ui = (cu - uc) * zoom + 0.5f;
      const float vi = (cv - vc) * zoom + 0.5f;
      const float cx = spec.laterality == 'L' ? ui * cols - 0.5f : cols - 0.5f - ui * cols;
      const float cy = vi * rows - 0.5f;
      const float r = radius * (0.6f + 0.8f * static_cast<float>(calc.uniform()));
      const int x0 = std::max(0, static_cast<int>(cx - r - 1));
      const int x1 = std::min(cols - 1, static_cast<int>(cx + r + 1));
      const int y0 = std::max(0, static_cast<int>(cy - r - 1));
      const int y1 = std::min(rows - 1, static_cast<int>(cy + r + 1));
      for (int yy = y0; yy <= y1; ++yy) {
        for (int xx = x0; xx <= x1; ++xx) {
          const float dx = (static_cast<float>(xx) - cx) / r;
          const float dy = (static_cast<float>(yy) - cy) / r;
          const float w = smoothstep(1.0f, 0.4f, std::sqrt(dx * dx + dy * dy));
          uint16_t& p = out[static_cast<size_t>(yy) * cols + xx];
          const float boosted = static_cast<float>(p) + 0.28f * max_value * w;
          p = static_cast<uint16_t>(std::min(boosted, max_value));
        }
      }
    }
  }
}

void renderUltrasound(const UltrasoundPixelSpec& spec, std::span<uint8_t> out) {
  if (spec.rows <= 0 || spec.cols <= 0 ||
      out.size() != static_cast<size_t>(spec.rows) * static_cast<size_t>(spec.cols)) {
    throw std::invalid_argument("renderUltrasound: buffer size does not match rows x cols");
  }
  const int rows = spec.rows;
  const int cols = spec.cols;
  Rng rng(spec.seed);
  const float apex_x = 0.5f * cols;
  const float apex_y = 0.04f * rows;
  const float r0 = 0.06f * rows;
  const float r1 = 0.93f * rows;
  const float tan_half = 0.62f + 0.12f * static_cast<float>(rng.uniform());
  const float skin = 0.05f * rows;
  const float fat_end = (0.18f + 0.12f * static_cast<float>(rng.uniform())) * rows;
  const float gland_end = (0.55f + 0.15f * static_cast<float>(rng.uniform())) * rows;
  const bool lesion = rng.chance(0.5);
  const float lx = apex_x + (static_cast<float>(rng.uniform()) - 0.5f) * 0.3f * cols;
  const float ly =
      fat_end + (gland_end - fat_end) * (0.3f + 0.4f * static_cast<float>(rng.uniform()));
  const float lrx = (0.05f + 0.05f * static_cast<float>(rng.uniform())) * cols;
  const float lry = lrx * (0.55f + 0.2f * static_cast<float>(rng.uniform()));

  NoiseOctave layers(rng.next(), 1.5f, 6.0f, 1.0f);
  std::vector<float> u(cols);
  for (int x = 0; x < cols; ++x) u[x] = static_cast<float>(x) / cols;
  layers.prepareColumns(u);

  std::vector<float> previous(cols, 1.0f);
  uint64_t state = hash64(spec.seed);
  for (int y = 0; y < rows; ++y) {
    layers.prepareRow(static_cast<float>(y) / rows);
    uint8_t* line = out.data() + static_cast<size_t>(y) * cols;
    float left = 1.0f;
    for (int x = 0; x < cols; ++x) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const uint64_t h = state ^ (state >> 29);
      const float a = static_cast<float>((h >> 16) & 0xFFFF) * (1.0f / 65536.0f);
      const float b = static_cast<float>((h >> 40) & 0xFFFF) * (1.0f / 65536.0f);
      // Speckle: a chi-square-like multiplicative pattern, elongated laterally and axially.
      float speckle = 1.5f * (a * a + b * b);
      speckle = 0.4f * speckle + 0.35f * left + 0.25f * previous[x];
      left = speckle;
      previous[x] = speckle;

      const float dx = static_cast<float>(x) - apex_x;
      const float dy = static_cast<float>(y) - apex_y;
      const float r = std::sqrt(dx * dx + dy * dy);
      float value = 2.0f;  // surround is not pure zero: real scanners never output flat black
      if (dy > 0.0f && std::abs(dx) <= dy * tan_half && r >= r0 && r <= r1) {
        const float depth = r - r0;
        float echo;
        if (depth < skin) {
          echo = 170.0f;
        } else if (depth < fat_end) {
          echo = 60.0f;
        } else if (depth < gland_end) {
          echo = 95.0f + 70.0f * layers.at(x);
        } else {
          // Pectoral muscle: striated bands.
          echo = 80.0f + 40.0f * layers.at(x) * (static_cast<int>(depth / 9.0f) % 2 == 0);
        }
        if (lesion) {
          const float ex = (static_cast<float>(x) - lx) / lrx;
          const float ey = (static_cast<float>(y) - ly) / lry;
          const float e = ex * ex + ey * ey;
          if (e < 1.0f) echo = 12.0f;
          // Posterior acoustic enhancement behind a cyst.
          if (std::abs(ex) < 1.0f && static_cast<float>(y) > ly && e >= 1.0f) echo *= 1.3f;
        }
        const float gain = 1.0f - 0.45f * (r / r1);
        value = echo * speckle * gain;
        // Depth ticks every 1/16 of the field along the right edge of the sector.
        if (std::abs(dx - dy * tan_half) < 2.0f && static_cast<int>(r) % (rows / 16) < 2) {
          value = 230.0f;
        }
      }
      line[x] = static_cast<uint8_t>(std::clamp(value, 0.0f, 255.0f));
    }
  }
}

}  // namespace dualread::synth
