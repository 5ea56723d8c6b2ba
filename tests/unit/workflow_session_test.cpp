// L2 session dealing (reader exclusions, oldest first, session size, deadlines) and the
// end-of-session / yearly discordance summaries.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "domain/session_dealer.h"

namespace dualread {
namespace {

const Date kToday = makeDate(2024, 3, 20);

ReadyExam exam(const std::string& id, Date mammogram, const std::string& cim = "CIM-A",
               const std::string& l1 = "10000000001") {
  ReadyExam e;
  e.exam_id = id;
  e.cim_id = cim;
  e.l1_reader_rpps = l1;
  e.mammogram_date = mammogram;
  e.ready_since = TimePoint{mammogram} + std::chrono::hours{30};
  return e;
}

L2Reader reader(const std::string& rpps, std::vector<std::string> cims = {}, int sessions = 1) {
  return {{rpps, "Dr " + rpps}, std::move(cims), sessions};
}

std::vector<std::string> ids(const ReadingSession& s) {
  std::vector<std::string> out;
  for (const auto& e : s.exams) out.push_back(e.exam_id);
  return out;
}

TEST(SessionDeal, DefaultSessionSizeIsOneHundred) {
  EXPECT_EQ(ProgrammeRules{}.l2_session_size, 100);
}

TEST(SessionDeal, OldestMammogramFirstThenArrivalThenId) {
  std::vector<ReadyExam> ready = {
      exam("E3", makeDate(2024, 3, 10)), exam("E1", makeDate(2024, 3, 5)),
      exam("E2b", makeDate(2024, 3, 8)), exam("E2a", makeDate(2024, 3, 8)),
      exam("E4", makeDate(2024, 3, 8)),
  };
  ready[4].ready_since -= std::chrono::hours{10};  // E4 arrived first among the 8 March exams
  const DealResult r = dealSessions(ready, {reader("20000000001")}, {}, kToday);
  ASSERT_EQ(r.sessions.size(), 1u);
  EXPECT_EQ(ids(r.sessions[0]), (std::vector<std::string>{"E1", "E4", "E2a", "E2b", "E3"}));
  EXPECT_TRUE(r.undealt.empty());
}

TEST(SessionDeal, OrderDoesNotDependOnInputOrder) {
  std::vector<ReadyExam> ready;
  for (int i = 0; i < 40; ++i)
    ready.push_back(exam("E" + std::to_string(i), addDays(makeDate(2024, 3, 1), i % 13)));
  const DealResult a = dealSessions(ready, {reader("20000000001")}, {}, kToday);
  std::shuffle(ready.begin(), ready.end(), std::mt19937{42});
  const DealResult b = dealSessions(ready, {reader("20000000001")}, {}, kToday);
  EXPECT_EQ(ids(a.sessions[0]), ids(b.sessions[0]));
}

TEST(SessionDeal, SessionsHoldAtMostTheConfiguredSize) {
  std::vector<ReadyExam> ready;
  for (int i = 0; i < 250; ++i)
    ready.push_back(exam("E" + std::to_string(1000 + i), addDays(makeDate(2024, 3, 1), i / 20)));
  DealResult r = dealSessions(ready, {reader("20000000001", {}, 3)}, {}, kToday);
  ASSERT_EQ(r.sessions.size(), 3u);
  EXPECT_EQ(r.sessions[0].exams.size(), 100u);
  EXPECT_EQ(r.sessions[1].exams.size(), 100u);
  EXPECT_EQ(r.sessions[2].exams.size(), 50u);
  EXPECT_EQ(r.sessions[0].number, 1);
  EXPECT_EQ(r.sessions[2].number, 3);
  EXPECT_EQ(r.sessions[0].exams.front().exam_id, "E1000");

  r = dealSessions(ready, {reader("20000000001", {}, 2)}, {}, kToday);
  ASSERT_EQ(r.undealt.size(), 50u);
  EXPECT_EQ(r.undealt[0].exam_id, "E1200") << "the newest wait";
  EXPECT_NE(r.undealt[0].reason.find("full"), std::string::npos);

  ProgrammeRules small;
  small.l2_session_size = 2;
  r = dealSessions({exam("A", kToday), exam("B", kToday), exam("C", kToday)},
                   {reader("20000000001", {}, 5)}, small, kToday);
  ASSERT_EQ(r.sessions.size(), 2u);
  EXPECT_EQ(r.sessions[1].exams.size(), 1u);
}

TEST(SessionDeal, SessionsFillBeforeTheNextReader) {
  ProgrammeRules rules;
  rules.l2_session_size = 3;
  std::vector<ReadyExam> ready;
  for (int i = 0; i < 4; ++i)
    ready.push_back(exam("E" + std::to_string(i), makeDate(2024, 3, 1 + i)));
  const DealResult r =
      dealSessions(ready, {reader("20000000001"), reader("20000000002")}, rules, kToday);
  ASSERT_EQ(r.sessions.size(), 2u);
  EXPECT_EQ(ids(r.sessions[0]), (std::vector<std::string>{"E0", "E1", "E2"}));
  EXPECT_EQ(ids(r.sessions[1]), (std::vector<std::string>{"E3"}));
}

TEST(SessionDeal, NeverTheExamsSheReadAtL1) {
  const DealResult r = dealSessions(
      {exam("E1", makeDate(2024, 3, 5), "CIM-A", "20000000001"), exam("E2", makeDate(2024, 3, 6))},
      {reader("20000000001"), reader("20000000002")}, {}, kToday);
  ASSERT_EQ(r.sessions.size(), 2u);
  EXPECT_EQ(ids(r.sessions[0]), (std::vector<std::string>{"E2"}));
  EXPECT_EQ(r.sessions[0].reader.rpps, "20000000001");
  EXPECT_EQ(ids(r.sessions[1]), (std::vector<std::string>{"E1"}));
  EXPECT_EQ(r.sessions[1].reader.rpps, "20000000002");
}

TEST(SessionDeal, NeverExamsFromHerOwnCim) {
  const DealResult r = dealSessions(
      {exam("E1", makeDate(2024, 3, 5), "CIM-A"), exam("E2", makeDate(2024, 3, 6), "CIM-B")},
      {reader("20000000001", {"CIM-A", "CIM-C"}), reader("20000000002", {"CIM-B"})}, {}, kToday);
  ASSERT_EQ(r.sessions.size(), 2u);
  EXPECT_EQ(r.sessions[0].reader.rpps, "20000000001");
  EXPECT_EQ(ids(r.sessions[0]), (std::vector<std::string>{"E2"}));
  EXPECT_EQ(ids(r.sessions[1]), (std::vector<std::string>{"E1"}));
}

TEST(SessionDeal, ExamNobodyMayReadStaysInThePool) {
  const DealResult r =
      dealSessions({exam("E1", makeDate(2024, 3, 5), "CIM-A", "20000000002")},
                   {reader("20000000001", {"CIM-A"}), reader("20000000002")}, {}, kToday);
  EXPECT_TRUE(r.sessions.empty());
  ASSERT_EQ(r.undealt.size(), 1u);
  EXPECT_NE(r.undealt[0].reason.find("no available reader"), std::string::npos);
  EXPECT_EQ(dealSessions({exam("E1", kToday)}, {}, {}, kToday).undealt.size(), 1u);
}

TEST(SessionDeal, RereadAfterCtiGoesBackToTheReaderWhoAskedWhenPossible) {
  ReadyExam retake = exam("R1", makeDate(2024, 3, 1));
  retake.preferred_reader_rpps = "20000000002";
  DealResult r = dealSessions({retake, exam("E2", makeDate(2024, 3, 2))},
                              {reader("20000000001"), reader("20000000002")}, {}, kToday);
  ASSERT_EQ(r.sessions.size(), 2u);
  EXPECT_EQ(r.sessions[1].reader.rpps, "20000000002");
  EXPECT_EQ(ids(r.sessions[1]), (std::vector<std::string>{"R1"}));
  // Preferred reader not offering time: anyone eligible.
  r = dealSessions({retake}, {reader("20000000001")}, {}, kToday);
  ASSERT_EQ(r.sessions.size(), 1u);
  EXPECT_EQ(r.sessions[0].reader.rpps, "20000000001");
}

TEST(SessionDeal, DeadlineIsVisiblePerExam) {
  const DealResult r =
      dealSessions({exam("Overdue", makeDate(2024, 3, 1)), exam("Urgent", makeDate(2024, 3, 8)),
                    exam("Edge", makeDate(2024, 3, 9)), exam("Fresh", makeDate(2024, 3, 19))},
                   {reader("20000000001")}, {}, kToday);
  const auto& e = r.sessions.at(0).exams;
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0].due, makeDate(2024, 3, 16));
  EXPECT_EQ(e[0].days_left, -4);
  EXPECT_TRUE(e[0].urgent);
  EXPECT_EQ(e[1].days_left, 3);
  EXPECT_TRUE(e[1].urgent) << "3 days left is within the warning delay";
  EXPECT_EQ(e[2].days_left, 4);
  EXPECT_FALSE(e[2].urgent);
  EXPECT_EQ(e[3].due, makeDate(2024, 4, 3));
  EXPECT_EQ(e[3].days_left, 14);
}

// ---------------------------------------------------------------- discordance summaries

ReadOutcome outcome(const std::string& id, const std::string& rpps, Date on, L2Verdict v) {
  ReadOutcome o;
  o.exam_id = id;
  o.l2_reader_rpps = rpps;
  o.read_on = on;
  o.verdict = v;
  o.l1_right = o.l1_left = o.l2_right = o.l2_left = BiRads::k1;
  o.l1_density = o.l2_density = Density::kB;
  return o;
}

TEST(SessionSummary, EndOfSessionCountsDiscordances) {
  const Date d = makeDate(2024, 3, 18);
  const std::string rpps = "20000000001";
  std::vector<ReadOutcome> s;
  for (int i = 0; i < 16; ++i)
    s.push_back(outcome("N" + std::to_string(i), rpps, d, L2Verdict::kNegative));
  s[0].l2_left = BiRads::k2;      // minor disagreement
  s[1].l2_density = Density::kC;  // density disagreement
  s.push_back(outcome("P1", rpps, d, L2Verdict::kPositive));
  s.push_back(outcome("P2", rpps, d, L2Verdict::kPositive));
  s.push_back(outcome("C1", rpps, d, L2Verdict::kTechnicallyInsufficient));
  s.push_back(outcome("N16", rpps, d, L2Verdict::kNegative));
  const DiscordanceSummary sum = summariseSession(rpps, s);
  EXPECT_EQ(sum.reads, 20);
  EXPECT_EQ(sum.negatives, 17);
  EXPECT_EQ(sum.positives, 2);
  EXPECT_EQ(sum.ctis, 1);
  EXPECT_EQ(sum.category_disagreements, 1);
  EXPECT_EQ(sum.density_disagreements, 1);
  EXPECT_DOUBLE_EQ(sum.positive_rate, 0.10);
  EXPECT_DOUBLE_EQ(sum.cti_rate, 0.05);
  EXPECT_EQ(sum.discordant_exam_ids, (std::vector<std::string>{"P1", "P2"}));
  EXPECT_FALSE(sum.below_minimum_volume) << "volume is a yearly notion";
}

TEST(SessionSummary, YearlyPerReaderWithMinimumVolume) {
  const std::string a = "20000000001", b = "20000000002";
  std::vector<ReadOutcome> all = {
      outcome("1", a, makeDate(2023, 12, 31), L2Verdict::kPositive),
      outcome("2", a, makeDate(2024, 1, 1), L2Verdict::kNegative),
      outcome("3", a, makeDate(2024, 12, 31), L2Verdict::kPositive),
      outcome("4", b, makeDate(2024, 6, 1), L2Verdict::kPositive),
  };
  ProgrammeRules rules;
  DiscordanceSummary y = summariseReaderYear(a, 2024, all, rules);
  EXPECT_EQ(y.reads, 2);
  EXPECT_EQ(y.positives, 1);
  EXPECT_EQ(y.discordant_exam_ids, (std::vector<std::string>{"3"}));
  EXPECT_TRUE(y.below_minimum_volume) << "2 < 1500";
  rules.l2_min_reads_per_year = 2;
  EXPECT_FALSE(summariseReaderYear(a, 2024, all, rules).below_minimum_volume);
  EXPECT_EQ(summariseReaderYear(a, 2023, all, rules).reads, 1);
  EXPECT_EQ(summariseSession(a, {}).positive_rate, 0.0) << "no division by zero";
}

}  // namespace
}  // namespace dualread
