// Synthetic pixel data that looks like a screening mammogram or a breast ultrasound: good enough
// for a reading console, a viewer or a codec to be exercised on realistic content, and fully
// deterministic from a seed. Pure C++: no I/O.
#pragma once

#include <cstdint>
#include <span>

#include "domain/synth_plan.h"

namespace dualread::synth {

// What to draw for one mammography image. Value type.
struct MammoPixelSpec {
  int rows = 0;
  int cols = 0;
  int bits_stored = 12;   // pixel values stay within [0, 2^bits_stored - 1]
  char laterality = 'R';  // 'R': chest wall on the right of the image, 'L': on the left
  ViewKind view = ViewKind::kCC;
  ViewModifier modifier = ViewModifier::kNone;
  bool for_processing = false;  // flatter, "raw" looking contrast
  int density = 1;              // ACR 0..3 (A..D): share of fibroglandular tissue
  uint64_t anatomy_seed = 0;    // breast shape and tissue
  uint64_t noise_seed = 0;      // quantum noise of this acquisition
};

// Fills `out` (rows * cols, row-major, MONOCHROME2) with a mammogram: dark background, breast as
// a half-ellipse from the chest wall, skin line, pectoral muscle on MLO, fibroglandular texture,
// quantum noise. Single-threaded, allocation of a few MB, ~0.2 s for 3328x4096. Thread-safe (no
// shared state). Throws std::invalid_argument when the sizes do not match or bits_stored is not
// in [8, 16].
void renderMammogram(const MammoPixelSpec& spec, std::span<uint16_t> out);

// What to draw for one ultrasound frame. Value type.
struct UltrasoundPixelSpec {
  int rows = 480;
  int cols = 640;
  uint64_t seed = 0;
};

// Fills `out` (rows * cols, 8-bit MONOCHROME2) with a B-mode-like frame: black surround, a
// sector (fan) of speckled tissue layers, sometimes a dark oval lesion. Thread-safe. Throws
// std::invalid_argument when the sizes do not match.
void renderUltrasound(const UltrasoundPixelSpec& spec, std::span<uint8_t> out);

}  // namespace dualread::synth
