// dualread: one binary, one sub-command per deployable (see README).

#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/config_loader.h"
#include "app/hub.h"
#include "app/web_app_dir.h"
#include "index/archive_index.h"
#include "services/audit_service.h"
#include "services/fsck.h"
#include "services/synth.h"
#include "storage/fs_blob_store.h"

using namespace dualread;

namespace {

sigset_t blockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int runHub(HubConfig config, bool open) {
  if (!open) {
    spdlog::error(
        "No user accounts are configured, so the hub refuses to start: start it with --open to "
        "run without credentials on a trusted network (demo, tests)");
    return 2;
  }
  config.open = open;
  const sigset_t stop_signals = blockStopSignals();
  Hub hub(config);
  try {
    hub.start();
  } catch (const std::exception& e) {
    spdlog::error("The hub could not start: {}", e.what());
    return 1;
  }
  spdlog::info("Hub ready: web and DICOMweb on http://{}:{}, DICOM AE {} on port {}",
               config.bind_address, hub.httpPort(), config.aet, config.dicom_port);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("Stop requested ({}); finishing transfers in progress and closing",
               sig == SIGTERM ? "SIGTERM" : "SIGINT");
  hub.stop();
  spdlog::info("Hub stopped cleanly");
  return 0;
}

int runFsckCommand(const std::filesystem::path& data) {
  if (!std::filesystem::exists(data / "index.sqlite")) {
    std::cerr << "No archive at " << data << " (index.sqlite not found)\n";
    return 2;
  }
  FsBlobStore blobs(data);
  ArchiveIndex index((data / "index.sqlite").string(), 1);
  FsckReport r = runFsck(blobs, index, [](const std::string& s) { std::cerr << s << "\n"; });
  for (const auto& m : r.missing) std::cout << "MISSING " << m << "\n";
  for (const auto& m : r.corrupt) std::cout << "CORRUPT " << m << "\n";
  for (const auto& m : r.orphans) std::cout << "ORPHAN  " << m << "\n";
  std::cout << "checked " << r.checked << " objects (" << (r.bytes >> 20) << " MB): "
            << r.missing.size() << " missing, " << r.corrupt.size() << " corrupt, "
            << r.orphans.size() << " orphan\n";
  return r.clean() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dualread — dematerialised organised breast-cancer screening"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");

  // hub
  HubConfig hub_config;
  std::string config_file;
  bool open = false;
  auto* hub = app.add_subcommand("hub", "run the regional hub (DICOM, DICOMweb, REST, web app)");
  hub->add_option("--config", config_file, "TOML configuration file")->check(CLI::ExistingFile);
  hub->add_option("--data", hub_config.data_dir, "data directory (index + blobs)");
  hub->add_option("--http-port", hub_config.http_port, "HTTP port");
  hub->add_option("--dicom-port", hub_config.dicom_port, "DICOM port");
  hub->add_option("--aet", hub_config.aet, "the hub's DICOM AE title");
  hub->add_option("--bind", hub_config.bind_address, "address to listen on (default 127.0.0.1)");
  hub->add_flag("--open", open, "no credentials required (demo and tests only)");

  // synth
  SynthOptions synth;
  std::string size = "small", faults;
  auto* syn = app.add_subcommand("synth", "generate deterministic synthetic screening data");
  syn->add_option("--out", synth.out, "output directory")->required();
  syn->add_option("--women", synth.women, "number of women")->required();
  syn->add_option("--rounds", synth.rounds, "screening rounds per woman (2 years apart)");
  syn->add_option("--seed", synth.seed, "seed: same seed, same bytes");
  syn->add_option("--size", size, "small (256x320) or full (vendor sizes)")
      ->check(CLI::IsMember({"small", "full"}));
  syn->add_option("--faults", faults,
                  "comma-separated: missing-view,laterality-mismatch,identity-typo,"
                  "uid-conflict,for-processing");
  syn->add_option("--fault-rate", synth.fault_rate, "share of studies given each fault");
  syn->add_option("--threads", synth.threads, "writer threads (0 = all cores)");

  // fsck
  std::filesystem::path fsck_data;
  auto* fsck = app.add_subcommand("fsck", "check every archived object against its hash");
  fsck->add_option("--data", fsck_data, "data directory")->required();

  // audit
  std::filesystem::path audit_data;
  auto* audit = app.add_subcommand("audit", "the hash-chained audit trail");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand("verify", "detect any altered, removed or "
                                                       "reordered audit entry");
  audit_verify->add_option("--data", audit_data, "data directory")->required();

  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S %^%l%$ %v");

  try {
    if (*hub) {
      if (!config_file.empty()) {
        HubConfig from_file;
        loadHubConfig(config_file, from_file);
        // Command-line values win over the file: re-parse them on top of it.
        std::swap(hub_config, from_file);
        CLI11_PARSE(app, argc, argv);
      }
      // The built web app (ui/dist) is served by default when no static_dir is configured.
      if (hub_config.static_dir.empty()) hub_config.static_dir = defaultWebAppDir();
      return runHub(hub_config, open);
    }
    if (*syn) {
      synth.size = size == "full" ? SynthOptions::Size::kFull : SynthOptions::Size::kSmall;
      synth.faults = parseSynthFaults(faults);
      SynthResult r = runSynth(synth, [](const std::string& s) { spdlog::info("{}", s); });
      spdlog::info("Synthetic data ready in {}: {} studies, {} files, {} MB", synth.out.string(),
                   r.studies, r.files, r.bytes >> 20);
      return 0;
    }
    if (*fsck) return runFsckCommand(fsck_data);
    if (*audit_verify) return runAuditVerify(audit_data, std::cout);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}
