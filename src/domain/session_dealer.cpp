#include "domain/session_dealer.h"

#include <algorithm>

namespace dualread {

namespace {

bool mayRead(const L2Reader& r, const ReadyExam& e) {
  if (r.reader.rpps == e.l1_reader_rpps) return false;
  return std::find(r.cim_ids.begin(), r.cim_ids.end(), e.cim_id) == r.cim_ids.end();
}

// The reader's open slot: her sessions in order, the first with room.
struct ReaderSlots {
  const L2Reader* reader = nullptr;
  std::vector<ReadingSession> sessions;
  int capacity = 0;
  int dealt = 0;
  bool hasRoom() const { return dealt < capacity; }
};

}  // namespace

DealResult dealSessions(std::vector<ReadyExam> ready, const std::vector<L2Reader>& readers,
                        const ProgrammeRules& rules, Date today) {
  std::stable_sort(ready.begin(), ready.end(), [](const ReadyExam& a, const ReadyExam& b) {
    if (a.mammogram_date != b.mammogram_date) return a.mammogram_date < b.mammogram_date;
    if (a.ready_since != b.ready_since) return a.ready_since < b.ready_since;
    return a.exam_id < b.exam_id;
  });
  const int size = std::max(1, rules.l2_session_size);
  std::vector<ReaderSlots> slots;
  for (const auto& r : readers) {
    ReaderSlots s;
    s.reader = &r;
    s.capacity = std::max(0, r.sessions_wanted) * size;
    slots.push_back(std::move(s));
  }

  DealResult out;
  for (const ReadyExam& e : ready) {
    ReaderSlots* chosen = nullptr;
    bool anyone_may = false;
    for (auto& s : slots) {
      if (!mayRead(*s.reader, e)) continue;
      anyone_may = true;
      if (!e.preferred_reader_rpps.empty() && s.reader->reader.rpps == e.preferred_reader_rpps &&
          s.hasRoom()) {
        chosen = &s;
        break;
      }
    }
    if (!chosen)
      for (auto& s : slots)
        if (mayRead(*s.reader, e) && s.hasRoom()) {
          chosen = &s;
          break;
        }
    if (!chosen) {
      out.undealt.push_back(
          {e.exam_id, anyone_may ? "every eligible reader's sessions are full"
                                 : "no available reader may read it (each was its L1 reader or "
                                   "practises at its CIM)"});
      continue;
    }
    const int index = chosen->dealt / size;
    if (static_cast<int>(chosen->sessions.size()) <= index) {
      ReadingSession session;
      session.reader = chosen->reader->reader;
      session.number = index + 1;
      chosen->sessions.push_back(std::move(session));
    }
    DealtExam d;
    d.exam_id = e.exam_id;
    d.mammogram_date = e.mammogram_date;
    d.due = addDays(e.mammogram_date, rules.result_deadline_days);
    d.days_left = daysBetween(today, d.due);
    d.urgent = d.days_left <= rules.deadline_warning_days;
    chosen->sessions[index].exams.push_back(d);
    ++chosen->dealt;
  }
  for (auto& s : slots)
    for (auto& session : s.sessions) out.sessions.push_back(std::move(session));
  return out;
}

namespace {

void count(DiscordanceSummary& s, const ReadOutcome& o) {
  ++s.reads;
  switch (o.verdict) {
    case L2Verdict::kNegative:
      ++s.negatives;
      break;
    case L2Verdict::kPositive:
      ++s.positives;
      s.discordant_exam_ids.push_back(o.exam_id);
      break;
    case L2Verdict::kTechnicallyInsufficient:
      ++s.ctis;
      break;
  }
  if (o.verdict == L2Verdict::kNegative &&
      ((o.l1_right && o.l2_right && *o.l1_right != *o.l2_right) ||
       (o.l1_left && o.l2_left && *o.l1_left != *o.l2_left)))
    ++s.category_disagreements;
  if (o.l1_density && o.l2_density && *o.l1_density != *o.l2_density) ++s.density_disagreements;
}

void finish(DiscordanceSummary& s) {
  if (s.reads > 0) {
    s.positive_rate = static_cast<double>(s.positives) / s.reads;
    s.cti_rate = static_cast<double>(s.ctis) / s.reads;
  }
}

}  // namespace

DiscordanceSummary summariseSession(const std::string& reader_rpps,
                                    const std::vector<ReadOutcome>& outcomes) {
  DiscordanceSummary s;
  s.reader_rpps = reader_rpps;
  for (const auto& o : outcomes) count(s, o);
  finish(s);
  return s;
}

DiscordanceSummary summariseReaderYear(const std::string& reader_rpps, int year,
                                       const std::vector<ReadOutcome>& outcomes,
                                       const ProgrammeRules& rules) {
  DiscordanceSummary s;
  s.reader_rpps = reader_rpps;
  for (const auto& o : outcomes) {
    if (o.l2_reader_rpps != reader_rpps) continue;
    if (static_cast<int>(std::chrono::year_month_day{o.read_on}.year()) != year) continue;
    count(s, o);
  }
  finish(s);
  s.below_minimum_volume = s.reads < rules.l2_min_reads_per_year;
  return s;
}

}  // namespace dualread
