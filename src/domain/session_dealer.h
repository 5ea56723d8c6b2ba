#pragma once
// L2 session dealing and the readers' discordance feedback. dealSessions() takes the exams
// ready for a second reading and the L2 readers available, and deals the exams into reading
// sessions (default 100 exams) per reader — oldest mammogram first, each exam carrying its
// 15-day result deadline — never giving a reader an exam she read at L1 or one from a CIM where
// she practises. summariseSession()/summariseReaderYear() give the end-of-session and yearly
// discordance summaries per reader. Pure functions over value types; thread-safe.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/programme_rules.h"
#include "domain/reading.h"
#include "domain/time.h"

namespace dualread {

// An exam in state "awaiting L2", as the dealer needs it.
struct ReadyExam {
  std::string exam_id;
  std::string cim_id;
  std::string l1_reader_rpps;
  Date mammogram_date{};
  TimePoint ready_since{};  // tie-breaker among exams of the same day
  // The L2 reader who asked for a retake: a re-read after CTI goes back to her when she can
  // take it, so she judges the images she rejected. Empty otherwise.
  std::string preferred_reader_rpps;
};

// An L2 radiologist offering reading time.
struct L2Reader {
  ReaderRef reader;
  std::vector<std::string> cim_ids;  // CIMs where she practises (excluded for her)
  int sessions_wanted = 1;           // how many sessions she takes in this deal
};

struct DealtExam {
  std::string exam_id;
  Date mammogram_date{};
  Date due{};           // mammogram + rules.result_deadline_days
  int days_left = 0;    // due - today; negative when overdue
  bool urgent = false;  // days_left <= rules.deadline_warning_days
  bool operator==(const DealtExam&) const = default;
};

struct ReadingSession {
  ReaderRef reader;
  int number = 1;                // 1..sessions_wanted for this reader in this deal
  std::vector<DealtExam> exams;  // reading order: oldest first
};

struct UndealtExam {
  std::string exam_id;
  std::string reason;
};

struct DealResult {
  std::vector<ReadingSession> sessions;  // non-empty sessions only, by reader then number
  std::vector<UndealtExam> undealt;      // exams left in the pool, with why
};

// Deals `ready` into sessions of at most rules.l2_session_size. Exams are taken oldest
// mammogram first (then ready_since, then id, for a deterministic order); each goes to its
// preferred reader if eligible with room, else to the first eligible reader (in `readers`
// order) whose sessions are not full — so sessions fill up to their size rather than being
// spread thin. Exams nobody may read, or left over when every session is full, are undealt.
DealResult dealSessions(std::vector<ReadyExam> ready, const std::vector<L2Reader>& readers,
                        const ProgrammeRules& rules, Date today);

// --- Discordance feedback ---

// One signed L2 reading with the L1 result it is compared to.
struct ReadOutcome {
  std::string exam_id;
  std::string l2_reader_rpps;
  Date read_on{};
  L2Verdict verdict = L2Verdict::kNegative;
  // L1 side: exams reach L2 L1-negative, but BI-RADS and density may still differ.
  std::optional<BiRads> l1_right, l1_left, l2_right, l2_left;
  std::optional<Density> l1_density, l2_density;
};

struct DiscordanceSummary {
  std::string reader_rpps;
  int reads = 0;
  int negatives = 0;
  int positives = 0;  // L2-positive on an L1-negative: the discordances that recall a woman
  int ctis = 0;
  int category_disagreements = 0;  // both negative but BI-RADS differs (e.g. ACR 1 vs 2)
  int density_disagreements = 0;
  double positive_rate = 0.0;  // positives / reads
  double cti_rate = 0.0;
  std::vector<std::string> discordant_exam_ids;
  // Yearly summary only: below rules.l2_min_reads_per_year.
  bool below_minimum_volume = false;
};

// End-of-session summary: every outcome given is counted (the caller passes one session's).
DiscordanceSummary summariseSession(const std::string& reader_rpps,
                                    const std::vector<ReadOutcome>& outcomes);

// Yearly summary for one reader: outcomes of `reader_rpps` read in calendar year `year`.
DiscordanceSummary summariseReaderYear(const std::string& reader_rpps, int year,
                                       const std::vector<ReadOutcome>& outcomes,
                                       const ProgrammeRules& rules);

}  // namespace dualread
