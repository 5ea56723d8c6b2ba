// Deterministic plan of a synthetic screening data set: who the women are, which imaging centre
// (CIM) they went to at each round, which images each study holds and which faults are injected.
// Pure C++: no I/O, no DCMTK. The DICOM writer and the pixel generator consume this plan.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dualread::synth {

// Portable seeded PRNG (xoshiro256** seeded through splitmix64). Every draw is computed with
// integer arithmetic only, so a seed yields the same sequence on every machine and compiler,
// which std::uniform_*_distribution does not guarantee. Not thread-safe: one instance per thread.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  // Uniform integer in [0, n); n must be > 0.
  uint64_t below(uint64_t n);
  // Uniform integer in [lo, hi] (inclusive).
  int64_t range(int64_t lo, int64_t hi);
  // Uniform double in [0, 1) built from 53 random bits: exact, hence portable.
  double uniform();
  bool chance(double p) { return uniform() < p; }

 private:
  uint64_t s_[4];
};

// Mixes values into one 64-bit key (splitmix64 finaliser chained); used to derive independent
// per-woman / per-study / per-image seeds from the run seed so that one change (e.g. enabling a
// fault) does not shift every other random draw of the data set.
uint64_t mixSeed(uint64_t a, uint64_t b, uint64_t c = 0, uint64_t d = 0);

// Faults the generator can inject; names (see faultName) are the CLI spellings.
enum class Fault { kMissingView, kLateralityMismatch, kIdentityTypo, kUidConflict, kForProcessing };

// The CLI name of a fault, e.g. "missing-view".
std::string_view faultName(Fault fault);
// The fault with that CLI name, or nullopt when the name is unknown.
std::optional<Fault> faultFromName(std::string_view name);
// Every fault, in a stable order.
const std::vector<Fault>& allFaults();

enum class Vendor { kAcme, kBorealis };
std::string_view vendorName(Vendor vendor);

enum class ViewKind { kCC, kMLO };
enum class ViewModifier { kNone, kSpot, kMag };
enum class Modality { kMammography, kUltrasound };

// One imaging centre (CIM) with the acquisition profile of its mammography unit. Value type,
// owned by SynthPlan::cims; immutable once planned, so safe to read from any thread.
struct Cim {
  std::string id;    // "CIM02", also the IssuerOfPatientID of its IPPs
  std::string name;  // InstitutionName
  std::string station;
  Vendor vendor = Vendor::kAcme;
  std::string manufacturer;
  std::string model;
  std::string us_manufacturer;
  std::string us_model;
  // The RIS of this centre records the woman's used name (nom d'usage) rather than her birth
  // name when she has one: a realistic source of identity mismatches between centres.
  bool records_used_name = false;
};

// A woman's reference identity (as in the INS referential). Value type, owned by
// SynthPlan::women; immutable once planned.
struct Woman {
  std::string ins;          // 15-digit NIR-like number, with a valid key
  std::string birth_name;   // upper case UTF-8, may carry accents
  std::string first_names;  // space separated, upper case UTF-8
  std::string used_name;    // empty when none
  std::string birth_date;   // YYYYMMDD
  std::string sex = "F";
  std::map<std::string, std::string> ipps;  // CIM id -> IPP
  uint64_t anatomy_seed = 0;                // same breasts on every round (priors look alike)
  int density = 1;                          // ACR density 0..3 (A..D)
};

// Pixel geometry of one planned image. Value type.
struct PixelGeometry {
  int rows = 0;
  int cols = 0;
  int bits_stored = 8;
  double pixel_spacing_mm = 0.1;
};

// One DICOM instance to write. Value type, owned by its PlannedStudy; immutable once planned.
struct PlannedImage {
  Modality modality = Modality::kMammography;
  std::string sop_class_uid;
  std::string sop_uid;
  std::string series_uid;
  int series_number = 0;
  int instance_number = 1;
  std::string series_description;  // human label, e.g. "R CC SPOT"
  std::string view_code;           // manifest code, e.g. "RCC", "LMLO_MAG", "US_R", "US"
  char laterality = 'R';           // true side of the pixels; ' ' when unknown (ultrasound)
  char coded_laterality = 'R';     // what the DICOM laterality attribute says
  ViewKind view = ViewKind::kCC;
  ViewModifier modifier = ViewModifier::kNone;
  bool for_processing = false;
  std::string content_time;  // HHMMSS
  PixelGeometry geometry;
  uint64_t anatomy_seed = 0;   // the breasts: same woman and view -> same seed (side mixed in)
  uint64_t pixel_seed = 0;     // quantum noise / speckle of this acquisition
  int density = 1;             // ACR density 0..3 (A..D) of the woman
  std::string relative_path;   // relative to the output directory
  bool conflict_copy = false;  // the uid-conflict twin written under conflicts/
  // Acquisition parameters, for realism only.
  int kvp = 28;
  int thickness_mm = 50;
  int compression_n = 100;
};

// A recorded fault: what was done, to which file. Value type, owned by its PlannedStudy.
struct FaultRecord {
  Fault kind = Fault::kMissingView;
  std::string detail;
  std::string sop_uid;        // empty when the fault is study-level or removed a file
  std::string relative_path;  // idem
  std::string view_code;
};

// One screening study (one round of one woman at one CIM). Value type, owned by
// SynthPlan::studies; immutable once planned.
struct PlannedStudy {
  int woman = 0;  // index into SynthPlan::women
  int cim = 0;    // index into SynthPlan::cims
  int round = 1;  // 1 = oldest round
  std::string study_uid;
  std::string patient_id;          // IPP at that CIM
  std::string patient_name;        // PN as written in this study's files (UTF-8)
  std::string patient_birth_date;  // as written in this study's files
  std::string study_date;          // YYYYMMDD
  std::string study_time;          // HHMMSS
  std::string accession;
  std::string study_id;
  std::string referring_physician;
  std::vector<PlannedImage> images;     // regular files under studies/
  std::vector<PlannedImage> conflicts;  // uid-conflict twins under conflicts/
  std::vector<FaultRecord> faults;
};

// Options of a plan; the service layer maps its CLI options onto this. Value type.
struct PlanOptions {
  int women = 10;
  int rounds = 2;
  uint64_t seed = 1;
  bool full_size = false;
  std::vector<Fault> faults;
  double fault_rate = 0.1;
};

// The complete deterministic plan. Value type; safe to share read-only between threads.
struct SynthPlan {
  PlanOptions options;
  std::vector<Cim> cims;
  std::vector<Woman> women;
  std::vector<PlannedStudy> studies;
};

// Root of every UID we generate (a sub-arc of the DCMTK-registered 1.2.826.0.1.3680043 root).
inline constexpr std::string_view kUidRoot = "1.2.826.0.1.3680043.10.1011";
inline constexpr std::string_view kMgForPresentationClass = "1.2.840.10008.5.1.4.1.1.1.2";
inline constexpr std::string_view kMgForProcessingClass = "1.2.840.10008.5.1.4.1.1.1.2.1";
inline constexpr std::string_view kUsImageClass = "1.2.840.10008.5.1.4.1.1.6.1";
inline constexpr int kLatestRoundYear = 2026;

// Builds the plan. Same options -> same plan, on every machine. Throws std::invalid_argument
// when women < 0, rounds < 1 or fault_rate is outside [0, 1].
SynthPlan makeSynthPlan(const PlanOptions& options);

// The PN value "NAME^FIRST" for a woman as a given centre records it.
std::string patientNameAt(const Woman& woman, const Cim& cim);

}  // namespace dualread::synth
