#pragma once
// LetterService: the centre's daily print run and the results deadline. A run gathers the
// letters due — negative results (to the woman and each doctor she named), recalls after a
// positive second reading (to the woman, her doctors and the L1 radiologist), CTI notices (to
// the imaging centre), L1-positive acknowledgments (to the imaging centre) — renders them from
// the centre's templates, writes one PDF per letter and one combined PDF for the folding
// machine durably under DATA/letters/<run>/, records the run and its letters (LetterStore),
// then marks each exam whose woman's letter was printed as "result sent". A letter whose data
// is incomplete (woman missing from the register, CIM without an address) is refused and listed
// in the run's summary; its exam stays due and shows in the overdue list. Letters are never
// printed twice (dedupe key per exam, kind and recipient).
//
// Owned by app/Hub. Thread-safe: runs are serialised by a mutex; reads go to the stores.

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "index/archive_index.h"
#include "index/letter_store.h"
#include "letters/letter_template.h"
#include "letters/pdf_renderer.h"
#include "services/hub_config.h"
#include "services/register_service.h"
#include "services/workflow_service.h"

namespace dualread {

class AuditService;

class LetterService {
 public:
  using Clock = WorkflowService::Clock;
  // Loads the templates (config.letters.templates_dir or the shipped ones) and the fonts.
  // Throws LetterTemplateError / PdfRenderError with a sentence when they are unusable.
  LetterService(const HubConfig& config, ArchiveIndex& index, WorkflowService& workflow,
                RegisterService& register_service, LetterStore& store, AuditService* audit,
                Clock clock = {});
  ~LetterService();

  // Produces today's run. kConflict when [letters] is not configured; kOk with the run's
  // summary otherwise (possibly with no letter when nothing is due).
  WorkflowResult printRun(const AuditActor& by);
  WorkflowResult runs();
  WorkflowResult run(const std::string& run_id);
  // Letters of a run or of an exam (either may be empty).
  WorkflowResult letters(const std::string& run_id, const std::string& exam_id);
  // The stored letter row; nullopt when unknown.
  std::optional<LetterRow> letter(const std::string& id) { return store_.letter(id); }
  // Letters about a woman addressed to `recipient` ("woman", "doctor:<rpps>"), newest first.
  std::vector<LetterRow> lettersTo(const std::string& woman_id, const std::string& recipient) {
    return store_.lettersTo(woman_id, recipient);
  }
  std::optional<PrintRunRow> runRow(const std::string& id) { return store_.run(id); }
  // Absolute path of a stored file (relative to the data directory).
  std::filesystem::path fileOf(const std::string& relative) const;

  // Exams whose result is not sent and whose deadline (mammogram + result_deadline_days) has
  // passed, most overdue first; with `include_due_soon`, also those due within
  // deadline_warning_days.
  WorkflowResult overdue(bool include_due_soon);

  // Where the portal access code printed in a woman's letter comes from: (woman id, round) →
  // the code in clear, issued by access control so that the portal accepts it (one per round:
  // "exam-" and the start of the exam id's SHA-256). Without it a code is made here and only its
  // hash kept with the letter.
  using AccessCodeIssuer =
      std::function<std::string(const std::string& woman_id, const std::string& round)>;
  void setAccessCodeIssuer(AccessCodeIssuer issuer);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  LetterStore& store_;
};

}  // namespace dualread
