// `dualread synth`: writes a deterministic synthetic screening data set (women, rounds, MG
// studies from two vendor profiles, ultrasound, injected faults) as DICOM files plus a
// manifest.json that says what every file is and which faults were injected where.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dualread {

namespace synth {
struct SynthPlan;
}

// Options of one synth run (the CLI maps its flags onto this). Value type.
struct SynthOptions {
  std::filesystem::path out;  // must not exist or be an empty directory
  int women = 10;
  int rounds = 2;  // rounds two years apart, the latest in 2026
  uint64_t seed = 1;
  enum class Size { kSmall, kFull } size = Size::kSmall;
  std::vector<std::string> faults;  // names from synthFaultNames()
  double fault_rate = 0.1;          // share of studies that get each requested fault
  int threads = 0;                  // 0: std::thread::hardware_concurrency()
};

// What a run wrote. Value type. `files` and `bytes` count every DICOM file (conflict twins
// included), not the manifest.
struct SynthResult {
  int files = 0;
  int studies = 0;
  uint64_t bytes = 0;
};

// Generates the data set under options.out: studies/<StudyUID>/<SOPUID>.dcm,
// conflicts/<SOPUID>.dcm and manifest.json (written last, atomically: its presence means the
// run completed). The same options give byte-identical files and manifest whatever the number
// of threads. `progress` receives human sentences ("wrote 120/400 images (2.1 GB)"); it is
// called from worker threads but never concurrently. May be empty.
// Throws std::invalid_argument for bad options (unknown fault, women < 0, rounds < 1, rate not
// in [0, 1], empty out path) and std::runtime_error when the output directory is not empty or a
// file cannot be written; files already written are then left in place, without a manifest.
SynthResult runSynth(const SynthOptions& options,
                     const std::function<void(const std::string&)>& progress);

// Splits a comma-separated fault list ("missing-view,uid-conflict"; "all" = every fault),
// trimming spaces and dropping duplicates. Throws std::invalid_argument naming the unknown fault
// and listing the known ones.
std::vector<std::string> parseSynthFaults(std::string_view comma_separated);

// "small" or "full"; throws std::invalid_argument otherwise.
SynthOptions::Size parseSynthSize(std::string_view name);

// The known fault names, in canonical order.
std::vector<std::string> synthFaultNames();

// The health-insurance invitation file (domain/invitation_file.h format) of a plan's women:
// identity, INS, a postal address, the doctors they named, invited 45 days before their latest
// mammogram. runSynth writes it as invitations.csv; the workflow simulation test uses it too.
std::string synthInvitationCsv(const synth::SynthPlan& plan);

}  // namespace dualread
