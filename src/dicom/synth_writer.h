// DCMTK adapter of the synthetic data generator: turns one planned image (domain/synth_plan.h)
// into a DICOM Part-10 file, encoding its view and laterality the way its CIM's vendor does.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "domain/synth_plan.h"

namespace dualread::synth {

// Fills the pixel buffer of a mammography image (rows * cols, row-major).
using Mammo16Filler = std::function<void(std::span<uint16_t>)>;
// Fills the pixel buffer of an ultrasound image (rows * cols, row-major).
using Ultrasound8Filler = std::function<void(std::span<uint8_t>)>;

// Writes `image` of `study` as an Explicit VR Little Endian Part-10 file at `path`.
// The pixel buffer is allocated inside the DCMTK element and filled in place by `fill` (no
// second copy of a 27 MB image). The file is written to "<path>.tmp" then renamed, so a crash
// never leaves a truncated file under the final name; the parent directory must exist.
// Mammography images use `fill_mammo`, ultrasound images `fill_us` (the other may be empty).
// Returns the size of the written file in bytes. Throws std::runtime_error with a sentence
// naming the file on any DCMTK or filesystem failure. Thread-safe for distinct paths.
uint64_t writeSynthImage(const SynthPlan& plan, const PlannedStudy& study,
                         const PlannedImage& image, const Mammo16Filler& fill_mammo,
                         const Ultrasound8Filler& fill_us, const std::filesystem::path& path);

// Converts UTF-8 text to ISO 8859-1 (the BOREALIS character set); a character outside Latin-1
// becomes '?'. Exposed for tests.
std::string utf8ToLatin1(std::string_view utf8);

}  // namespace dualread::synth
