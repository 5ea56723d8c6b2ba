#include "domain/synth_plan.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>
#include <utility>

namespace dualread::synth {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Upper-case names, UTF-8. Every character is in Latin-1 so the BOREALIS (ISO_IR 100) files can
// carry them too: no Œ, which Latin-1 lacks.
constexpr std::array<const char*, 120> kSurnames = {
    "MARTIN",    "BERNARD",  "DUBOIS",    "THOMAS",    "ROBERT",   "RICHARD",   "PETIT",
    "DURAND",    "LEROY",    "MOREAU",    "SIMON",     "LAURENT",  "LEFÈVRE",   "MICHEL",
    "GARCIA",    "DAVID",    "BERTRAND",  "ROUX",      "VINCENT",  "FOURNIER",  "MOREL",
    "GIRARD",    "ANDRÉ",    "MERCIER",   "DUPONT",    "LAMBERT",  "BONNET",    "FRANÇOIS",
    "MARTINEZ",  "LEGRAND",  "GARNIER",   "FAURE",     "ROUSSEAU", "BLANC",     "GUÉRIN",
    "MULLER",    "HENRY",    "ROUSSEL",   "NICOLAS",   "PERRIN",   "MORIN",     "MATHIEU",
    "CLÉMENT",   "GAUTHIER", "DUMONT",    "LOPEZ",     "FONTAINE", "CHEVALIER", "ROBIN",
    "MASSON",    "SANCHEZ",  "GÉRARD",    "NGUYEN",    "BOYER",    "DENIS",     "LEMAIRE",
    "DUVAL",     "JOLY",     "GAUTIER",   "ROGER",     "ROCHE",    "ROY",       "NOËL",
    "MEYER",     "LUCAS",    "MEUNIER",   "JEAN",      "PÉREZ",    "MARCHAND",  "DUFOUR",
    "BLANCHARD", "MARIE",    "BARBIER",   "BRUN",      "DUMAS",    "BRUNET",    "SCHMITT",
    "LEROUX",    "COLIN",    "FERNANDEZ", "PIERRE",    "RENARD",   "ARNAUD",    "ROLLAND",
    "CARON",     "AUBERT",   "GIRAUD",    "LECLERC",   "VIDAL",    "BOURGEOIS", "RENAUD",
    "LEMOINE",   "PICARD",   "GAILLARD",  "PHILIPPE",  "LECLERCQ", "LACROIX",   "FABRE",
    "DUPUIS",    "OLIVIER",  "RODRIGUEZ", "DA SILVA",  "HUBERT",   "LOUIS",     "CHARLES",
    "GUILLOT",   "RIVIÈRE",  "LE GALL",   "GUILLAUME", "ADAM",     "REY",       "MOULIN",
    "MÉNARD",    "FLEURY",   "DESCHAMPS", "BENOÎT",    "PRÉVOST",  "GARÇON",    "D'ALMEIDA",
    "HÉBERT"};

constexpr std::array<const char*, 48> kFirstNames = {
    "MARIE",     "NATHALIE", "ISABELLE",  "SYLVIE",    "CATHERINE", "FRANÇOISE",    "VALÉRIE",
    "CHRISTINE", "MONIQUE",  "NICOLE",    "SANDRINE",  "VÉRONIQUE", "PATRICIA",     "BRIGITTE",
    "MARTINE",   "HÉLÈNE",   "CHANTAL",   "DOMINIQUE", "ANNE",      "CORINNE",      "PASCALE",
    "ÉLISABETH", "JOSIANE",  "GENEVIÈVE", "LAURENCE",  "MURIEL",    "AGNÈS",        "FRÉDÉRIQUE",
    "BÉATRICE",  "CÉLINE",   "DANIÈLE",   "JOCELYNE",  "NOËLLE",    "MARIE-NOËLLE", "ADÉLAÏDE",
    "HÉLOÏSE",   "MAÏTÉ",    "LAÏLA",     "FRANCE",    "JOËLLE",    "ANNE-SOPHIE",  "MYRIAM",
    "CLAIRE",    "ODILE",    "GISÈLE",    "RAPHAËLLE", "ÉVELYNE",   "THÉRÈSE"};

constexpr std::array<const char*, 8> kReferringPhysicians = {
    "LEBLANC^CLAIRE^^DR", "DURAND^PAUL^^DR", "N'DIAYE^AMINATA^^DR", "FERRAND^LUC^^DR",
    "CHÂTELAIN^JEAN^^DR", "BESSON^MARC^^DR", "AUBRY^SOPHIE^^DR",    "ROCHE^ÉMILIE^^DR"};

struct CimProfile {
  const char* name;
  const char* station;
  Vendor vendor;
  const char* manufacturer;
  const char* model;
  bool records_used_name;
};

constexpr std::array<CimProfile, 5> kCims = {{
    {"CENTRE D'IMAGERIE DU PARC", "MAMMO1", Vendor::kAcme, "ACME", "Senograph X9", true},
    {"CABINET DE RADIOLOGIE SAINT-ÉLOI", "SELENIA2", Vendor::kBorealis, "BOREALIS", "Aurora DR-M",
     false},
    {"IMAGERIE MÉDICALE DES TROIS RIVIÈRES", "MG-SALLE3", Vendor::kAcme, "ACME", "Senograph X7",
     false},
    {"RADIOLOGIE DU LITTORAL", "BORMG01", Vendor::kBorealis, "BOREALIS", "Aurora DR-M", true},
    {"CENTRE DE SÉNOLOGIE GAMBETTA", "MAMMO-G", Vendor::kAcme, "ACME", "Senograph X9", false},
}};

// Proleptic Gregorian day count (days since 1970-01-01), H. Hinnant's algorithm.
int64_t daysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Date {
  int y, m, d;
};

Date civilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {static_cast<int>(yoe + era * 400 + (m <= 2)), m, d};
}

int daysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

std::string dicomDate(const Date& date) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", date.y, date.m, date.d);
  return buf;
}

int ageAt(const Date& birth, const Date& on) {
  int age = on.y - birth.y;
  if (on.m < birth.m || (on.m == birth.m && on.d < birth.d)) --age;
  return age;
}

std::string timeOfDay(int seconds) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d%02d%02d", seconds / 3600, (seconds / 60) % 60, seconds % 60);
  return buf;
}

// NIR-like INS: sex, YY, MM, department, commune, order, then the 97-complement key.
std::string makeIns(Rng& rng, const Date& birth) {
  int dept = static_cast<int>(rng.range(1, 95));
  if (dept == 20) dept = 21;        // Corsica uses 2A/2B, which a purely numeric id cannot carry
  if (rng.chance(0.04)) dept = 99;  // born abroad
  const int commune = static_cast<int>(rng.range(1, 990));
  const int order = static_cast<int>(rng.range(1, 999));
  char body[16];
  std::snprintf(body, sizeof body, "2%02d%02d%02d%03d%03d", birth.y % 100, birth.m, dept, commune,
                order);
  const uint64_t number = std::stoull(body);
  char full[20];
  std::snprintf(full, sizeof full, "%s%02d", body, static_cast<int>(97 - number % 97));
  return full;
}

// A component for UIDs: the seed itself when short, else a 12-digit digest, so that every UID
// stays within 64 characters.
std::string seedComponent(uint64_t seed) {
  if (seed < 1000000000000ULL) return std::to_string(seed);
  return std::to_string(100000000000ULL + mixSeed(seed, 0x554944) % 900000000000ULL);
}

std::string viewLabel(char side, ViewKind view, ViewModifier modifier) {
  std::string label(1, side);
  label += view == ViewKind::kCC ? " CC" : " MLO";
  if (modifier == ViewModifier::kSpot) label += " SPOT";
  if (modifier == ViewModifier::kMag) label += " MAG";
  return label;
}

std::string viewCode(char side, ViewKind view, ViewModifier modifier) {
  std::string code(1, side);
  code += view == ViewKind::kCC ? "CC" : "MLO";
  if (modifier == ViewModifier::kSpot) code += "_SPOT";
  if (modifier == ViewModifier::kMag) code += "_MAG";
  return code;
}

// Replaces one ASCII letter of the family-name part by another letter.
std::string typoInName(const std::string& name, Rng& rng) {
  std::vector<size_t> letters;
  const size_t caret = name.find('^');
  for (size_t i = 0; i < std::min(caret, name.size()); ++i) {
    if (name[i] >= 'A' && name[i] <= 'Z') letters.push_back(i);
  }
  std::string out = name;
  if (letters.empty()) return out + "E";
  const size_t pos = letters[rng.below(letters.size())];
  char replacement = static_cast<char>('A' + rng.below(25));
  if (replacement >= out[pos]) ++replacement;  // never the same letter
  out[pos] = replacement;
  return out;
}

}  // namespace

Rng::Rng(uint64_t seed) {
  uint64_t state = seed;
  for (auto& s : s_) s = splitmix64(state);
}

uint64_t Rng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t Rng::below(uint64_t n) {
  // Rejection sampling: unbiased and integer-only.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = next();
  } while (x >= limit);
  return x % n;
}

int64_t Rng::range(int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

uint64_t mixSeed(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  uint64_t state = a;
  uint64_t h = splitmix64(state);
  for (uint64_t v : {b, c, d}) {
    state = h ^ v;
    h = splitmix64(state);
  }
  return h;
}

std::string_view faultName(Fault fault) {
  switch (fault) {
    case Fault::kMissingView:
      return "missing-view";
    case Fault::kLateralityMismatch:
      return "laterality-mismatch";
    case Fault::kIdentityTypo:
      return "identity-typo";
    case Fault::kUidConflict:
      return "uid-conflict";
    case Fault::kForProcessing:
      return "for-processing";
  }
  return "unknown";
}

const std::vector<Fault>& allFaults() {
  static const std::vector<Fault> kAll = {Fault::kMissingView, Fault::kLateralityMismatch,
                                          Fault::kIdentityTypo, Fault::kUidConflict,
                                          Fault::kForProcessing};
  return kAll;
}

std::optional<Fault> faultFromName(std::string_view name) {
  for (Fault fault : allFaults()) {
    if (faultName(fault) == name) return fault;
  }
  return std::nullopt;
}

std::string_view vendorName(Vendor vendor) { return vendor == Vendor::kAcme ? "ACME" : "BOREALIS"; }

std::string patientNameAt(const Woman& woman, const Cim& cim) {
  const std::string& family =
      cim.records_used_name && !woman.used_name.empty() ? woman.used_name : woman.birth_name;
  const std::string first = woman.first_names.substr(0, woman.first_names.find(' '));
  return family + "^" + first;
}

SynthPlan makeSynthPlan(const PlanOptions& options) {
  if (options.women < 0) throw std::invalid_argument("the number of women must be >= 0");
  if (options.rounds < 1) throw std::invalid_argument("the number of rounds must be >= 1");
  if (options.women > 9999999) throw std::invalid_argument("at most 9999999 women");
  if (options.rounds > 30) throw std::invalid_argument("at most 30 rounds");
  if (!(options.fault_rate >= 0.0 && options.fault_rate <= 1.0)) {
    throw std::invalid_argument("the fault rate must be between 0 and 1");
  }

  SynthPlan plan;
  plan.options = options;
  // Canonical fault order so that "a,b" and "b,a" give the same data set.
  std::vector<Fault> faults;
  for (Fault f : allFaults()) {
    if (std::find(options.faults.begin(), options.faults.end(), f) != options.faults.end()) {
      faults.push_back(f);
    }
  }
  plan.options.faults = faults;

  Rng cim_rng(mixSeed(options.seed, 0x43494D));
  for (size_t i = 0; i < kCims.size(); ++i) {
    const CimProfile& p = kCims[i];
    char id[8];
    std::snprintf(id, sizeof id, "CIM%02d", static_cast<int>(i + 1));
    Cim cim{id, p.name, p.station, p.vendor, p.manufacturer, p.model, "", "", p.records_used_name};
    cim.us_manufacturer = i % 2 == 0 ? "SONOVIEW" : "ECHOSTAR";
    cim.us_model = i % 2 == 0 ? "SV-700" : "ES Logic 9";
    plan.cims.push_back(std::move(cim));
  }
  std::vector<int> next_ipp(kCims.size());
  for (auto& n : next_ipp) n = static_cast<int>(cim_rng.range(1000, 8000));

  const int rounds = options.rounds;
  const int min_age = std::min(50 + 2 * (rounds - 1), 74);
  const std::string seed_uid = std::string(kUidRoot) + "." + seedComponent(options.seed);
  const int seed_tag = static_cast<int>(mixSeed(options.seed, 0x414343) % 1000);

  for (int w = 0; w < options.women; ++w) {
    Rng rng(mixSeed(options.seed, 0x574F4D, static_cast<uint64_t>(w)));
    Woman woman;

    // Dates: latest round in kLatestRoundYear, earlier ones two years apart (+/- a few days).
    const int month = static_cast<int>(rng.range(1, 10));
    const int day = static_cast<int>(rng.range(1, 28));
    std::vector<Date> dates(rounds);
    for (int r = 0; r < rounds; ++r) {
      const int year = kLatestRoundYear - 2 * (rounds - 1 - r);
      const int jitter = r == rounds - 1 ? 0 : static_cast<int>(rng.range(-10, 10));
      dates[r] = civilFromDays(daysFromCivil(year, month, day) + jitter);
    }
    int age = static_cast<int>(rng.range(min_age, 74));
    const int bm = static_cast<int>(rng.range(1, 12));
    const int bd = static_cast<int>(rng.range(1, daysInMonth(2001, bm)));  // no Feb 29
    Date birth{};
    for (;;) {
      birth = {dates.back().y - age, bm, bd};
      if (ageAt(birth, dates.back()) < age) birth.y -= 1;
      if (ageAt(birth, dates.front()) >= 50 || age >= 74) break;
      ++age;
    }
    woman.birth_date = dicomDate(birth);
    woman.ins = makeIns(rng, birth);
    woman.birth_name = kSurnames[rng.below(kSurnames.size())];
    const int n_first = rng.chance(0.6) ? static_cast<int>(rng.range(2, 3)) : 1;
    for (int i = 0; i < n_first; ++i) {
      std::string first = kFirstNames[rng.below(kFirstNames.size())];
      if (woman.first_names.find(first) != std::string::npos) continue;
      if (!woman.first_names.empty()) woman.first_names += " ";
      woman.first_names += first;
    }
    if (rng.chance(0.45)) {
      do {
        woman.used_name = kSurnames[rng.below(kSurnames.size())];
      } while (woman.used_name == woman.birth_name);
    }
    woman.anatomy_seed = rng.next();
    // ACR density in a screened population: roughly A 10%, B 40%, C 40%, D 10%.
    const uint64_t density_draw = rng.below(10);
    woman.density = density_draw == 0 ? 0 : density_draw < 5 ? 1 : density_draw < 9 ? 2 : 3;
    const int time_of_day = static_cast<int>(rng.range(8 * 3600, 18 * 3600));

    int cim = static_cast<int>(rng.below(plan.cims.size()));
    for (int r = 0; r < rounds; ++r) {
      if (r > 0 && rng.chance(0.25)) {
        cim = (cim + 1 + static_cast<int>(rng.below(plan.cims.size() - 1))) %
              static_cast<int>(plan.cims.size());
      }
      const Cim& c = plan.cims[cim];
      if (!woman.ipps.count(c.id)) {
        char ipp[32];
        std::snprintf(ipp, sizeof ipp, "%s-%06d", c.id.c_str(), next_ipp[cim]++);
        woman.ipps[c.id] = ipp;
      }

      Rng srng(mixSeed(options.seed, 0x535455, static_cast<uint64_t>(w), static_cast<uint64_t>(r)));
      PlannedStudy study;
      study.woman = w;
      study.cim = cim;
      study.round = r + 1;
      study.study_uid = seed_uid + "." + std::to_string(w + 1) + "." + std::to_string(r + 1);
      study.patient_id = woman.ipps[c.id];
      study.patient_name = patientNameAt(woman, c);
      study.patient_birth_date = woman.birth_date;
      study.study_date = dicomDate(dates[r]);
      const int start =
          std::clamp(time_of_day + static_cast<int>(srng.range(-1800, 1800)), 7 * 3600, 19 * 3600);
      study.study_time = timeOfDay(start);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%02d%02d%03d%07d", cim + 1, dates[r].y % 100, seed_tag,
                    w + 1);
      study.accession = buf;
      std::snprintf(buf, sizeof buf, "D%02d%07d", dates[r].y % 100, w + 1);
      study.study_id = buf;
      study.referring_physician = kReferringPhysicians[srng.below(kReferringPhysicians.size())];

      const bool full = options.full_size;
      PixelGeometry mg_geometry;
      if (c.vendor == Vendor::kAcme) {
        mg_geometry = {full ? 4096 : 320, full ? 3328 : 256, 14, 0.07 * (full ? 1 : 3328.0 / 256)};
      } else {
        mg_geometry = {full ? 3584 : 320, full ? 2816 : 256, 12, 0.085 * (full ? 1 : 2816.0 / 256)};
      }
      const PixelGeometry us_geometry{full ? 480 : 240, full ? 640 : 320, 8, full ? 0.1 : 0.2};

      int image_index = 0;
      auto addMammo = [&](char side, ViewKind view, ViewModifier modifier, int series) {
        PlannedImage img;
        img.modality = Modality::kMammography;
        img.sop_class_uid = kMgForPresentationClass;
        img.series_number = series;
        img.instance_number = 1;
        img.series_uid = study.study_uid + "." + std::to_string(series);
        img.sop_uid = img.series_uid + ".1";
        img.series_description = viewLabel(side, view, modifier);
        img.view_code = viewCode(side, view, modifier);
        img.laterality = side;
        img.coded_laterality = side;
        img.view = view;
        img.modifier = modifier;
        img.content_time = timeOfDay(start + 40 * ++image_index);
        img.geometry = mg_geometry;
        img.anatomy_seed = mixSeed(woman.anatomy_seed, view == ViewKind::kCC ? 1 : 2);
        img.pixel_seed = srng.next();
        img.density = woman.density;
        img.kvp = static_cast<int>(srng.range(26, 32));
        img.thickness_mm = static_cast<int>(srng.range(35, 75));
        img.compression_n = static_cast<int>(srng.range(60, 160));
        study.images.push_back(std::move(img));
      };
      addMammo('R', ViewKind::kCC, ViewModifier::kNone, 1);
      addMammo('L', ViewKind::kCC, ViewModifier::kNone, 2);
      addMammo('R', ViewKind::kMLO, ViewModifier::kNone, 3);
      addMammo('L', ViewKind::kMLO, ViewModifier::kNone, 4);
      char extra_side = ' ';
      if (srng.chance(0.15)) {
        const int n = static_cast<int>(srng.range(1, 2));
        extra_side = srng.chance(0.5) ? 'R' : 'L';
        // Two extra views of one side are distinct (view, modifier) pairs.
        const int first = static_cast<int>(srng.below(4));
        const int second = (first + 1 + static_cast<int>(srng.below(3))) % 4;
        for (int i = 0; i < n; ++i) {
          const int pick = i == 0 ? first : second;
          const ViewKind view = pick % 2 == 0 ? ViewKind::kCC : ViewKind::kMLO;
          const ViewModifier mod = pick < 2 ? ViewModifier::kSpot : ViewModifier::kMag;
          addMammo(extra_side, view, mod, 5 + i);
        }
      }
      if (srng.chance(extra_side != ' ' ? 0.6 : 0.08)) {
        char side = extra_side != ' ' ? extra_side : (srng.chance(0.5) ? 'R' : 'L');
        if (srng.chance(0.15)) side = ' ';  // the sonographer did not record the side
        const std::string series_uid = study.study_uid + ".100";
        for (int i = 1; i <= 2; ++i) {
          PlannedImage img;
          img.modality = Modality::kUltrasound;
          img.sop_class_uid = kUsImageClass;
          img.series_number = 100;
          img.instance_number = i;
          img.series_uid = series_uid;
          img.sop_uid = series_uid + "." + std::to_string(i);
          img.series_description = "ECHOGRAPHIE MAMMAIRE";
          img.view_code = side == ' ' ? "US" : std::string("US_") + side;
          img.laterality = side;
          img.coded_laterality = side;
          img.content_time = timeOfDay(start + 600 + 60 * i);
          img.geometry = us_geometry;
          img.pixel_seed = srng.next();
          img.anatomy_seed = img.pixel_seed;
          study.images.push_back(std::move(img));
        }
      }
      plan.studies.push_back(std::move(study));
    }
    plan.women.push_back(std::move(woman));
  }

  // Faults: for each requested fault, round(rate * studies) studies (at least one when the rate
  // is > 0) chosen by a seeded partial shuffle, independent of the studies' content draws.
  const size_t n_studies = plan.studies.size();
  std::vector<std::vector<Fault>> study_faults(n_studies);
  for (Fault fault : faults) {
    if (n_studies == 0 || options.fault_rate <= 0.0) break;
    size_t count = static_cast<size_t>(options.fault_rate * static_cast<double>(n_studies) + 0.5);
    count = std::clamp<size_t>(count, 1, n_studies);
    Rng frng(mixSeed(options.seed, 0x464C54, static_cast<uint64_t>(fault)));
    std::vector<size_t> order(n_studies);
    for (size_t i = 0; i < n_studies; ++i) order[i] = i;
    for (size_t i = 0; i < count; ++i) {
      std::swap(order[i], order[i + frng.below(n_studies - i)]);
      study_faults[order[i]].push_back(fault);
    }
  }

  for (size_t s = 0; s < n_studies; ++s) {
    PlannedStudy& study = plan.studies[s];
    const Cim& cim = plan.cims[study.cim];
    Rng frng(mixSeed(options.seed, 0x465354, s));
    auto has = [&](Fault f) {
      return std::find(study_faults[s].begin(), study_faults[s].end(), f) != study_faults[s].end();
    };
    auto standardIndexes = [&]() {
      std::vector<size_t> idx;
      for (size_t i = 0; i < study.images.size(); ++i) {
        const PlannedImage& img = study.images[i];
        if (img.modality == Modality::kMammography && img.modifier == ViewModifier::kNone &&
            !img.for_processing) {
          idx.push_back(i);
        }
      }
      return idx;
    };

    if (has(Fault::kMissingView)) {
      const auto idx = standardIndexes();
      const size_t victim = idx[frng.below(idx.size())];
      FaultRecord rec{Fault::kMissingView, study.images[victim].view_code + " was not emitted", "",
                      "", study.images[victim].view_code};
      study.faults.push_back(std::move(rec));
      study.images.erase(study.images.begin() + static_cast<std::ptrdiff_t>(victim));
    }
    if (has(Fault::kForProcessing)) {
      const auto idx = standardIndexes();
      PlannedImage img = study.images[idx[frng.below(idx.size())]];
      img.sop_class_uid = kMgForProcessingClass;
      img.for_processing = true;
      img.series_number += 50;
      img.series_uid = study.study_uid + "." + std::to_string(img.series_number);
      img.sop_uid = img.series_uid + ".1";
      img.pixel_seed = frng.next();
      study.faults.push_back({Fault::kForProcessing,
                              "a FOR PROCESSING " + img.view_code + " image was added", img.sop_uid,
                              "", img.view_code});
      study.images.push_back(std::move(img));
    }
    if (has(Fault::kLateralityMismatch)) {
      std::vector<size_t> idx;
      for (size_t i = 0; i < study.images.size(); ++i) {
        if (study.images[i].modality == Modality::kMammography && !study.images[i].for_processing) {
          idx.push_back(i);
        }
      }
      PlannedImage& img = study.images[idx[frng.below(idx.size())]];
      img.coded_laterality = img.laterality == 'R' ? 'L' : 'R';
      const char* attribute = cim.vendor == Vendor::kAcme ? "ImageLaterality" : "Laterality";
      study.faults.push_back({Fault::kLateralityMismatch,
                              std::string(attribute) + " " + img.coded_laterality +
                                  " contradicts the view label " + img.series_description,
                              img.sop_uid, "", img.view_code});
    }
    if (has(Fault::kUidConflict)) {
      const auto idx = standardIndexes();
      PlannedImage twin = study.images[idx[frng.below(idx.size())]];
      twin.conflict_copy = true;
      twin.pixel_seed = frng.next();
      twin.anatomy_seed = mixSeed(twin.anatomy_seed, 0x54574E);  // visibly another breast
      study.faults.push_back({Fault::kUidConflict,
                              "conflicts/" + twin.sop_uid + ".dcm reuses the SOP Instance UID of " +
                                  twin.view_code + " with different pixels",
                              twin.sop_uid, "", twin.view_code});
      study.conflicts.push_back(std::move(twin));
    }
    if (has(Fault::kIdentityTypo)) {
      const int mode = static_cast<int>(frng.below(3));  // 0 name, 1 birth date, 2 both
      std::string detail;
      if (mode != 1) {
        const std::string typo = typoInName(study.patient_name, frng);
        detail = "PatientName " + study.patient_name + " written as " + typo;
        study.patient_name = typo;
      }
      if (mode != 0) {
        const Date b{std::stoi(study.patient_birth_date.substr(0, 4)),
                     std::stoi(study.patient_birth_date.substr(4, 2)),
                     std::stoi(study.patient_birth_date.substr(6, 2))};
        const int shift = frng.chance(0.5) ? 1 : -1;
        const std::string typo = dicomDate(civilFromDays(daysFromCivil(b.y, b.m, b.d) + shift));
        if (!detail.empty()) detail += "; ";
        detail += "PatientBirthDate " + study.patient_birth_date + " written as " + typo;
        study.patient_birth_date = typo;
      }
      study.faults.push_back({Fault::kIdentityTypo, detail, "", "", ""});
    }

    // Paths and per-image anatomy are final only now that the fault set is applied.
    for (PlannedImage& img : study.images) {
      img.relative_path = "studies/" + study.study_uid + "/" + img.sop_uid + ".dcm";
    }
    for (PlannedImage& img : study.conflicts) {
      img.relative_path = "conflicts/" + img.sop_uid + ".dcm";
    }
    for (FaultRecord& rec : study.faults) {
      if (rec.sop_uid.empty()) continue;
      const auto& pool = rec.kind == Fault::kUidConflict ? study.conflicts : study.images;
      for (const PlannedImage& img : pool) {
        if (img.sop_uid == rec.sop_uid) rec.relative_path = img.relative_path;
      }
    }
  }
  return plan;
}

}  // namespace dualread::synth
