// dualread: one binary, one sub-command per deployable (see README).

#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/config_loader.h"
#include "app/gateway.h"
#include "app/gateway_config_loader.h"
#include "app/hub.h"
#include "app/tls_cli.h"
#include "app/web_app_dir.h"
#include "index/archive_index.h"
#include "index/register_store.h"
#include "services/admin_commands.h"
#include "services/audit_service.h"
#include "services/fsck.h"
#include "services/register_service.h"
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
  config.open = open;
  if (open)
    spdlog::warn(
        "--open: no credentials are asked, every request is served (development and "
        "tests only, on a trusted network)");
  const sigset_t stop_signals = blockStopSignals();
  Hub hub(config);
  try {
    hub.start();
  } catch (const std::exception& e) {
    spdlog::error("The hub could not start: {}", e.what());
    return 1;
  }
  if (config.tls.enabled()) {
    spdlog::info("{}", hubReadyWithTls(config, hub.httpPort(), hub.httpsPort()));
  } else {
    spdlog::info("Hub ready: web and DICOMweb on http://{}:{}, DICOM AE {} on port {}",
                 config.bind_address, hub.httpPort(), config.aet, config.dicom_port);
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("Stop requested ({}); finishing transfers in progress and closing",
               sig == SIGTERM ? "SIGTERM" : "SIGINT");
  hub.stop();
  spdlog::info("Hub stopped cleanly");
  return 0;
}

int runGateway(GatewayConfig config) {
  const sigset_t stop_signals = blockStopSignals();
  Gateway gateway(config);
  try {
    gateway.start();
  } catch (const std::exception& e) {
    spdlog::error("The gateway could not start: {}", e.what());
    return 1;
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("Stop requested ({}); the queue is kept on disk and resumes at next start",
               sig == SIGTERM ? "SIGTERM" : "SIGINT");
  gateway.stop();
  spdlog::info("Gateway stopped cleanly");
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
  std::cout << "checked " << r.checked << " objects (" << (r.bytes >> 20)
            << " MB): " << r.missing.size() << " missing, " << r.corrupt.size() << " corrupt, "
            << r.orphans.size() << " orphan\n";
  return r.clean() ? 0 : 1;
}

// `dualread import women --data DIR FILE`: the invitation file into the register, whole or not
// at all; progress and every problem (with its line) on stderr.
int runImportWomen(const std::filesystem::path& data, const std::filesystem::path& file) {
  if (!std::filesystem::exists(data / "index.sqlite")) {
    std::cerr << "No archive at " << data << " (index.sqlite not found): start the hub once with "
              << "--data " << data << " first\n";
    return 2;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << "Cannot read " << file << "\n";
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  RegisterStore store((data / "index.sqlite").string());
  AuditService audit(data / "index.sqlite");
  RegisterService service(store, &audit);
  const char* user = std::getenv("USER");
  const AuditActor by{std::string("cli:") + (user ? user : "unknown"), "administrator",
                      "dualread import"};
  const RegisterImportReport r =
      service.importInvitations(text.str(), file.filename().string(), by,
                                [](const std::string& s) { std::cerr << s << "\n"; });
  if (!r.ok) {
    for (const auto& e : r.errors)
      std::cerr << file.filename().string() << ":" << e.line << ": "
                << (e.field.empty() ? "" : e.field + ": ") << e.message << "\n";
    std::cerr << r.errors.size() << " problem(s): nothing was imported\n";
    return 1;
  }
  std::cout << "imported " << r.rows << " women (" << r.added << " new) from " << file.string()
            << "\n";
  return 0;
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
  addHubTlsOptions(*hub, hub_config.tls);

  // gateway
  GatewayConfig gw_config;
  std::string gw_config_file;
  auto* gw = app.add_subcommand("gateway",
                                "run an imaging centre's gateway (store-and-forward to the hub)");
  gw->add_option("--config", gw_config_file, "TOML configuration file")->check(CLI::ExistingFile);
  gw->add_option("--data", gw_config.data_dir, "data directory (queue + files)");
  gw->add_option("--dicom-port", gw_config.dicom_port, "DICOM port for modalities and PACS");
  gw->add_option("--aet", gw_config.aet, "the gateway's DICOM AE title");
  gw->add_option("--bind", gw_config.bind_address,
                 "address the DICOM door listens on (default 127.0.0.1)");
  gw->add_option("--http-bind", gw_config.http_bind_address,
                 "address the status page listens on (default 127.0.0.1)");
  gw->add_option("--http-port", gw_config.http_port, "status page port (-1 = none)");
  gw->add_option("--hub", gw_config.hub_url, "the hub's URL, https://host:port");
  gw->add_option("--cim", gw_config.cim, "this imaging centre's identifier at the hub");
  gw->add_option("--credentials", gw_config.credentials_file,
                 "file holding the bearer token for the hub")
      ->check(CLI::ExistingFile);
  gw->add_option("--ca-file", gw_config.ca_file, "trusted CA certificates (PEM) for https");
  std::filesystem::path gw_status_data;
  bool gw_status_json = false;
  auto* gw_status = gw->add_subcommand("status", "the queue, link, errors, last acknowledgement");
  gw_status->add_option("--data", gw_status_data, "the gateway's data directory")->required();
  gw_status->add_flag("--json", gw_status_json, "as JSON");
  // The technician's decisions on an exam in error.
  struct {
    std::filesystem::path data;
    std::string study, reason, by;
  } gw_action;
  auto* gw_retry = gw->add_subcommand(
      "retry", "send an exam in error again (the hub examines its refused images afresh)");
  auto* gw_dismiss = gw->add_subcommand(
      "dismiss",
      "give up an exam in error (the hub's ledger records it; files kept until retention)");
  for (auto* sub : {gw_retry, gw_dismiss}) {
    sub->add_option("--data", gw_action.data, "the gateway's data directory")->required();
    sub->add_option("--study", gw_action.study, "the exam's Study Instance UID")->required();
    sub->add_option("--reason", gw_action.reason, "why (kept in the gateway's journal)")
        ->required();
    sub->add_option("--by", gw_action.by, "who decides (default: the system user)");
  }

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
  auto* audit_verify = audit->add_subcommand("verify",
                                             "detect any altered, removed or "
                                             "reordered audit entry");
  audit_verify->add_option("--data", audit_data, "data directory")->required();

  // import
  std::filesystem::path import_data, import_file;
  auto* import_cmd = app.add_subcommand("import", "bulk imports into the hub's data directory");
  import_cmd->require_subcommand(1);
  auto* import_women = import_cmd->add_subcommand(
      "women", "the health-insurance invitation file (CSV) into the register of invited women");
  import_women->add_option("--data", import_data, "data directory")->required();
  import_women->add_option("file", import_file, "invitation file (CSV, ';' separated)")
      ->required()
      ->check(CLI::ExistingFile);
  // admin
  auto* admin = app.add_subcommand(
      "admin", "administration: user accounts, gateway tokens, access codes, certificates");
  admin->require_subcommand(1);
  tls::DevCertOptions dev_cert;
  auto* dev_cert_cmd = addDevCertCommand(*admin, dev_cert);
  AddUserArgs add_user;
  auto* admin_add = admin->add_subcommand("add-user", "add a user account (password on stdin)");
  admin_add->add_option("--data", add_user.data, "data directory")->required();
  admin_add->add_option("--login", add_user.login, "login")->required();
  admin_add
      ->add_option("--role", add_user.role,
                   "administrator, coordinator, secretary, l2_radiologist, "
                   "l1_radiologist, technologist, gateway, doctor")
      ->required();
  admin_add->add_option("--cim", add_user.cims, "imaging centre (repeat for an L1 radiologist)");
  admin_add->add_option("--rpps", add_user.rpps, "RPPS number (doctors, radiologists)");
  admin_add->add_option("--name", add_user.name, "display name");
  admin_add->add_flag("--totp", add_user.totp, "require a TOTP second factor (prints its secret)");
  admin_add->add_flag("--password-stdin", add_user.password_stdin, "read the password from stdin");
  std::filesystem::path admin_data;
  auto* admin_list = admin->add_subcommand("list-users", "list the user accounts");
  admin_list->add_option("--data", admin_data, "data directory")->required();
  std::string token_login, token_role, token_cim;
  auto* admin_token = admin->add_subcommand("add-token", "a gateway's bearer token (shown once)");
  admin_token->add_option("--data", admin_data, "data directory")->required();
  admin_token->add_option("--login", token_login, "gateway account")->required();
  admin_token->add_option("--role", token_role, "gateway")->required();
  admin_token->add_option("--cim", token_cim, "its imaging centre")->required();
  AccountCommandArgs account_args;
  auto* admin_account = admin->add_subcommand(
      "account", "change an account: disable, enable, unlock, reset its password or TOTP");
  admin_account->add_option("--data", account_args.data, "data directory")->required();
  admin_account->add_option("--login", account_args.login, "account")->required();
  admin_account->add_flag("--disable", account_args.disable, "disable it (its sessions end)");
  admin_account->add_flag("--enable", account_args.enable, "enable it again");
  admin_account->add_flag("--unlock", account_args.unlock, "clear a lockout");
  admin_account->add_flag("--reset-totp", account_args.reset_totp, "a new TOTP secret (printed)");
  admin_account->add_flag("--remove-totp", account_args.remove_totp, "remove the second factor");
  admin_account->add_flag("--password-stdin", account_args.password_stdin,
                          "set the password read from stdin");
  admin_account->add_flag("--generate-password", account_args.generate_password,
                          "set a generated password (printed once)");
  admin_account->add_option("--cert-cn", account_args.cert_cn,
                            "gateways: the CN of the TLS client certificate it may use instead "
                            "of a token (\"\" removes it)");
  std::string code_woman, code_round;
  auto* admin_code = admin->add_subcommand("woman-code", "issue a woman's portal access code");
  admin_code->add_option("--data", admin_data, "data directory")->required();
  admin_code->add_option("--woman", code_woman, "woman id")->required();
  admin_code->add_option("--round", code_round, "screening round, e.g. 2026")->required();

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
    if (*gw) {
      if (*gw_status) return printGatewayStatus(gw_status_data, gw_status_json, std::cout);
      if (*gw_retry || *gw_dismiss)
        return runGatewayExamAction(gw_action.data, gw_retry->parsed(), gw_action.study,
                                    gw_action.reason, gw_action.by, std::cout);
      if (!gw_config_file.empty()) {
        GatewayConfig from_file;
        loadGatewayConfig(gw_config_file, from_file);
        // Command-line values win over the file: re-parse them on top of it.
        std::swap(gw_config, from_file);
        CLI11_PARSE(app, argc, argv);
      }
      return runGateway(gw_config);
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
    if (*import_women) return runImportWomen(import_data, import_file);
    if (*dev_cert_cmd) return runDevCertCommand(dev_cert);
    if (*admin_add) return runAdminAddUser(add_user, std::cin, std::cout, std::cerr);
    if (*admin_list) return runAdminListUsers(admin_data, std::cout, std::cerr);
    if (*admin_token)
      return runAdminAddToken(admin_data, token_login, token_role, token_cim, std::cout, std::cerr);
    if (*admin_account) return runAdminAccount(account_args, std::cin, std::cout, std::cerr);
    if (*admin_code)
      return runAdminWomanCode(admin_data, code_woman, code_round, std::cout, std::cerr);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}
