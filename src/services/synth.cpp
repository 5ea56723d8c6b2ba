#include "services/synth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "dicom/synth_writer.h"
#include "domain/invitation_file.h"
#include "domain/synth_pixels.h"
#include "domain/synth_plan.h"
#include "domain/time.h"

#ifndef DUALREAD_VERSION
#define DUALREAD_VERSION "dev"
#endif

namespace dualread {
namespace {

namespace fs = std::filesystem;
using synth::Fault;
using synth::PlannedImage;
using synth::PlannedStudy;
using synth::SynthPlan;

std::string humanBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"bytes", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000.0 && unit < 4) {
    value /= 1000.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", value, kUnits[unit]);
  return buf;
}

std::string lateralityText(char side) {
  return side == 'R' || side == 'L' ? std::string(1, side) : "";
}

struct Task {
  const PlannedStudy* study;
  const PlannedImage* image;
};

uint64_t renderAndWrite(const SynthPlan& plan, const Task& task, const fs::path& out) {
  const PlannedImage& img = *task.image;
  auto fill_mammo = [&](std::span<uint16_t> pixels) {
    synth::MammoPixelSpec spec;
    spec.rows = img.geometry.rows;
    spec.cols = img.geometry.cols;
    spec.bits_stored = img.geometry.bits_stored;
    spec.laterality = img.laterality;
    spec.view = img.view;
    spec.modifier = img.modifier;
    spec.for_processing = img.for_processing;
    spec.density = img.density;
    spec.anatomy_seed = img.anatomy_seed;
    spec.noise_seed = img.pixel_seed;
    synth::renderMammogram(spec, pixels);
  };
  auto fill_us = [&](std::span<uint8_t> pixels) {
    synth::renderUltrasound({img.geometry.rows, img.geometry.cols, img.pixel_seed}, pixels);
  };
  return synth::writeSynthImage(plan, *task.study, img, fill_mammo, fill_us,
                                out / img.relative_path);
}

nlohmann::ordered_json fileJson(const PlannedImage& img, uint64_t bytes) {
  nlohmann::ordered_json f;
  f["path"] = img.relative_path;
  f["sop_uid"] = img.sop_uid;
  f["series_uid"] = img.series_uid;
  f["sop_class"] = img.sop_class_uid;
  f["modality"] = img.modality == synth::Modality::kMammography ? "MG" : "US";
  f["view"] = img.view_code;
  f["label"] = img.series_description;
  f["laterality"] = lateralityText(img.laterality);
  f["coded_laterality"] = lateralityText(img.coded_laterality);
  f["for_processing"] = img.for_processing;
  f["rows"] = img.geometry.rows;
  f["cols"] = img.geometry.cols;
  f["bits_stored"] = img.geometry.bits_stored;
  f["bytes"] = bytes;
  return f;
}

nlohmann::ordered_json manifestJson(const SynthPlan& plan, const std::vector<Task>& tasks,
                                    const std::vector<uint64_t>& bytes) {
  nlohmann::ordered_json m;
  m["generator"] = std::string("dualread synth ") + DUALREAD_VERSION;
  nlohmann::ordered_json opts;
  opts["women"] = plan.options.women;
  opts["rounds"] = plan.options.rounds;
  opts["seed"] = plan.options.seed;
  opts["size"] = plan.options.full_size ? "full" : "small";
  opts["faults"] = nlohmann::ordered_json::array();
  for (Fault f : plan.options.faults) opts["faults"].push_back(std::string(synth::faultName(f)));
  opts["fault_rate"] = plan.options.fault_rate;
  m["options"] = opts;

  m["cims"] = nlohmann::ordered_json::array();
  for (const auto& cim : plan.cims) {
    m["cims"].push_back({{"id", cim.id},
                         {"name", cim.name},
                         {"vendor", std::string(synth::vendorName(cim.vendor))},
                         {"manufacturer", cim.manufacturer},
                         {"model", cim.model},
                         {"station", cim.station},
                         {"records_used_name", cim.records_used_name}});
  }
  m["women"] = nlohmann::ordered_json::array();
  for (const auto& w : plan.women) {
    nlohmann::ordered_json ipps = nlohmann::ordered_json::object();
    for (const auto& [cim, ipp] : w.ipps) ipps[cim] = ipp;
    m["women"].push_back({{"ins", w.ins},
                          {"birth_name", w.birth_name},
                          {"first_names", w.first_names},
                          {"used_name", w.used_name},
                          {"birth_date", w.birth_date},
                          {"sex", w.sex},
                          {"density", std::string(1, static_cast<char>('A' + w.density))},
                          {"ipps", ipps}});
  }

  std::map<const PlannedImage*, uint64_t> size_of;
  uint64_t total_bytes = 0;
  for (size_t i = 0; i < tasks.size(); ++i) {
    size_of[tasks[i].image] = bytes[i];
    total_bytes += bytes[i];
  }
  m["studies"] = nlohmann::ordered_json::array();
  for (const auto& s : plan.studies) {
    const auto& cim = plan.cims[s.cim];
    nlohmann::ordered_json st;
    st["study_uid"] = s.study_uid;
    st["woman_ins"] = plan.women[s.woman].ins;
    st["cim"] = cim.id;
    st["patient_id"] = s.patient_id;
    st["patient_name"] = s.patient_name;
    st["patient_birth_date"] = s.patient_birth_date;
    st["study_date"] = s.study_date;
    st["study_time"] = s.study_time;
    st["round"] = s.round;
    st["vendor"] = std::string(synth::vendorName(cim.vendor));
    st["accession"] = s.accession;
    st["files"] = nlohmann::ordered_json::array();
    for (const auto& img : s.images) st["files"].push_back(fileJson(img, size_of[&img]));
    st["faults"] = nlohmann::ordered_json::array();
    for (const auto& f : s.faults) {
      nlohmann::ordered_json fj;
      fj["kind"] = std::string(synth::faultName(f.kind));
      fj["detail"] = f.detail;
      fj["view"] = f.view_code;
      fj["sop_uid"] = f.sop_uid;
      fj["path"] = f.relative_path;
      if (f.kind == Fault::kUidConflict) {
        for (const auto& c : s.conflicts) {
          if (c.relative_path == f.relative_path) fj["bytes"] = size_of[&c];
        }
      }
      st["faults"].push_back(fj);
    }
    m["studies"].push_back(st);
  }
  m["totals"] = {{"women", plan.women.size()},
                 {"studies", plan.studies.size()},
                 {"files", tasks.size()},
                 {"bytes", total_bytes}};
  return m;
}

// The health-insurance invitation file of the synthetic women (format: domain/invitation_file.h):
// identity, INS, a postal address and the doctors they named, invited 45 days before their
// latest mammogram. Deterministic: derived from the plan only.
}  // namespace

std::string synthInvitationCsv(const SynthPlan& plan) {
  static const char* kStreets[] = {
      "rue des Lilas",        "avenue Jean Jaurès", "chemin des Écoliers", "place de la République",
      "boulevard des Belges", "rue Victor Hugo",    "allée des Tilleuls",  "quai Saint-Antoine"};
  static const char* kCities[][2] = {
      {"69003", "Lyon"}, {"69100", "Villeurbanne"},     {"69200", "Vénissieux"},
      {"69500", "Bron"}, {"69300", "Caluire-et-Cuire"}, {"69120", "Vaulx-en-Velin"}};
  static const char* kDoctors[] = {"Jean Dupré", "Marie Caron", "Paul Lemaire", "Sophie Garnier",
                                   "Luc Besson", "Anne Morel",  "Henri Faure",  "Claire Roux"};
  std::vector<std::string> latest(plan.women.size());
  std::vector<int> latest_round(plan.women.size(), 0);
  for (const auto& st : plan.studies)
    if (st.round >= latest_round[st.woman]) {
      latest_round[st.woman] = st.round;
      latest[st.woman] = st.study_date;
    }
  auto iso = [](const std::string& yyyymmdd) {
    return yyyymmdd.size() == 8
               ? yyyymmdd.substr(0, 4) + "-" + yyyymmdd.substr(4, 2) + "-" + yyyymmdd.substr(6, 2)
               : std::string();
  };
  std::string out;
  const auto& cols = invitationColumns();
  for (size_t i = 0; i < cols.size(); ++i) out += (i ? ";" : "") + cols[i];
  out += "\n";
  for (size_t i = 0; i < plan.women.size(); ++i) {
    const auto& w = plan.women[i];
    const auto* city = kCities[i % std::size(kCities)];
    std::string invited;
    if (auto d = parseIsoDate(iso(latest[i]))) invited = toIsoDate(addDays(*d, -45));
    char number[8];
    std::snprintf(number, sizeof number, "%zu", 1 + (i * 7) % 180);
    const size_t gp = i % std::size(kDoctors), gyn = (i + 3) % std::size(kDoctors);
    char gp_rpps[16], gyn_rpps[16], screening[24];
    std::snprintf(gp_rpps, sizeof gp_rpps, "1%010zu", 100 + gp);
    std::snprintf(gyn_rpps, sizeof gyn_rpps, "1%010zu", 200 + gyn);
    std::snprintf(screening, sizeof screening, "69-%06zu", i + 1);
    const bool names_gyn = i % 3 == 0;  // one woman in three also named a gynaecologist
    const std::vector<std::string> row = {
        w.ins,
        screening,
        w.birth_name,
        w.first_names,
        w.used_name,
        iso(w.birth_date),
        "F",
        std::string(number) + " " + kStreets[i % std::size(kStreets)],
        i % 4 == 0
            ? "Résidence Les Tilleuls, bât. " + std::string(1, static_cast<char>('A' + i % 5))
            : "",
        "",
        city[0],
        city[1],
        invited,
        gp_rpps,
        kDoctors[gp],
        "Cabinet médical, " + std::to_string(2 + gp) + " place du Marché",
        city[0],
        city[1],
        names_gyn ? gyn_rpps : "",
        names_gyn ? kDoctors[gyn] : "",
        names_gyn ? "Centre de gynécologie, " + std::to_string(10 + gyn) + " cours Gambetta" : "",
        names_gyn ? "69007" : "",
        names_gyn ? "Lyon" : ""};
    for (size_t c = 0; c < row.size(); ++c) out += (c ? ";" : "") + csvField(row[c]);
    out += "\n";
  }
  return out;
}

namespace {

void writeManifest(const fs::path& out, const nlohmann::ordered_json& manifest) {
  const fs::path final_path = out / "manifest.json";
  fs::path tmp = final_path;
  tmp += ".tmp";
  {
    std::ofstream stream(tmp, std::ios::binary | std::ios::trunc);
    stream << manifest.dump(2) << '\n';
    stream.flush();
    if (!stream) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, final_path, ec);
  if (ec) throw std::runtime_error("cannot rename " + tmp.string() + ": " + ec.message());
}

}  // namespace

std::vector<std::string> synthFaultNames() {
  std::vector<std::string> names;
  for (Fault f : synth::allFaults()) names.emplace_back(synth::faultName(f));
  return names;
}

std::vector<std::string> parseSynthFaults(std::string_view comma_separated) {
  std::vector<std::string> out;
  auto add = [&](const std::string& name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  size_t start = 0;
  while (start <= comma_separated.size()) {
    size_t end = comma_separated.find(',', start);
    if (end == std::string_view::npos) end = comma_separated.size();
    std::string_view token = comma_separated.substr(start, end - start);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    start = end + 1;
    if (token.empty()) continue;
    if (token == "all") {
      for (const auto& name : synthFaultNames()) add(name);
      continue;
    }
    if (!synth::faultFromName(token)) {
      std::string known;
      for (const auto& name : synthFaultNames()) known += (known.empty() ? "" : ", ") + name;
      throw std::invalid_argument("unknown fault '" + std::string(token) + "' (known: " + known +
                                  ", or all)");
    }
    add(std::string(token));
  }
  return out;
}

SynthOptions::Size parseSynthSize(std::string_view name) {
  if (name == "small") return SynthOptions::Size::kSmall;
  if (name == "full") return SynthOptions::Size::kFull;
  throw std::invalid_argument("unknown size '" + std::string(name) + "' (expected small or full)");
}

SynthResult runSynth(const SynthOptions& options,
                     const std::function<void(const std::string&)>& progress) {
  if (options.out.empty()) throw std::invalid_argument("the output directory is required");
  synth::PlanOptions plan_options;
  plan_options.women = options.women;
  plan_options.rounds = options.rounds;
  plan_options.seed = options.seed;
  plan_options.full_size = options.size == SynthOptions::Size::kFull;
  plan_options.fault_rate = options.fault_rate;
  for (const auto& name : options.faults) {
    for (const auto& parsed : parseSynthFaults(name)) {
      plan_options.faults.push_back(*synth::faultFromName(parsed));
    }
  }
  const SynthPlan plan = synth::makeSynthPlan(plan_options);

  const fs::path& out = options.out;
  if (fs::exists(out) && !(fs::is_directory(out) && fs::is_empty(out))) {
    throw std::runtime_error("output directory " + out.string() +
                             " is not empty: give a new or empty directory");
  }
  fs::create_directories(out / "studies");
  std::vector<Task> tasks;
  for (const auto& study : plan.studies) {
    fs::create_directories(out / "studies" / study.study_uid);
    for (const auto& img : study.images) tasks.push_back({&study, &img});
  }
  for (const auto& study : plan.studies) {
    for (const auto& img : study.conflicts) tasks.push_back({&study, &img});
  }
  if (std::any_of(tasks.begin(), tasks.end(),
                  [](const Task& t) { return t.image->conflict_copy; })) {
    fs::create_directories(out / "conflicts");
  }

  std::mutex report_mutex;
  auto report = [&](const std::string& message) {
    if (progress) progress(message);
  };
  report("planned " + std::to_string(plan.women.size()) + " women, " +
         std::to_string(plan.studies.size()) + " studies, " + std::to_string(tasks.size()) +
         " images");

  unsigned threads = options.threads > 0 ? static_cast<unsigned>(options.threads)
                                         : std::max(1u, std::thread::hardware_concurrency());
  threads = std::max<unsigned>(1, std::min<unsigned>(threads, static_cast<unsigned>(tasks.size())));

  std::vector<uint64_t> bytes(tasks.size(), 0);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  size_t done = 0;
  uint64_t done_bytes = 0;
  auto last_report = std::chrono::steady_clock::now();

  auto worker = [&]() {
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= tasks.size() || failed.load()) return;
      try {
        bytes[i] = renderAndWrite(plan, tasks[i], out);
      } catch (...) {
        std::lock_guard lock(report_mutex);
        if (!failed.exchange(true)) error = std::current_exception();
        return;
      }
      std::lock_guard lock(report_mutex);
      ++done;
      done_bytes += bytes[i];
      const auto now = std::chrono::steady_clock::now();
      if (done == tasks.size() || now - last_report >= std::chrono::seconds(2)) {
        last_report = now;
        report("wrote " + std::to_string(done) + "/" + std::to_string(tasks.size()) + " images (" +
               humanBytes(done_bytes) + ")");
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);

  {
    // Written before the manifest (whose presence means the run completed).
    const fs::path csv = out / "invitations.csv";
    std::ofstream stream(csv, std::ios::binary | std::ios::trunc);
    stream << synthInvitationCsv(plan);
    stream.flush();
    if (!stream) throw std::runtime_error("cannot write " + csv.string());
  }
  writeManifest(out, manifestJson(plan, tasks, bytes));
  SynthResult result;
  result.files = static_cast<int>(tasks.size());
  result.studies = static_cast<int>(plan.studies.size());
  result.bytes = done_bytes;
  report("done: " + std::to_string(result.studies) + " studies, " + std::to_string(result.files) +
         " files (" + humanBytes(result.bytes) + ") in " + out.string());
  return result;
}

}  // namespace dualread
