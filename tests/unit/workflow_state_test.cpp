// The exam state machine: every (state, event) pair against an explicit table, the guards of
// each transition, L2 outcome routing with L3 on and off, the CTI loop and completeness.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "domain/exam_workflow.h"
#include "workflow_test_data.h"

namespace dualread {
namespace {

using namespace testdata;
using S = ExamState;

TimePoint t0() { return makeTime(2024, 3, 12, 18, 0); }
TimePoint later(int hours) { return t0() + std::chrono::hours{hours}; }

ProgrammeRules rulesL3(bool on) {
  ProgrammeRules r;
  r.l3_enabled = on;
  return r;
}

// Applies and insists on acceptance; returns the new record.
ExamRecord step(const ExamRecord& r, const ExamEvent& e, const ProgrammeRules& rules = {},
                TimePoint now = t0()) {
  TransitionResult t = apply(r, e, rules, now);
  EXPECT_TRUE(t.accepted) << t.error;
  return t.record;
}

RetakeStudy retakeFor(const ExamRecord& r) {
  RetakeStudy s;
  s.study_uid = "1.2.250.99.2";
  s.woman_id = r.woman_id;
  s.cim_id = r.cim_id;
  s.acquired_at = later(200);
  s.views = {"RMLO", "RCC"};
  return s;
}

ExamRecord received() { return newExamRecord("E1", "W1", kCim, t0()); }

ExamRecord complete(const L1Form& form = negativeForm()) {
  ExamRecord r = step(received(), ImagesUpdated{{"1.2.250.99.1"}, true});
  return step(r, FormSubmitted{form});
}

ExamRecord awaitingL2() { return step(complete(), Dispatch{}); }
ExamRecord inSession() {
  return step(awaitingL2(), AssignToSession{"S1", {kL2Rpps, "Dr L2"}, {kOtherCim}});
}
ExamRecord l2Read(const L2Reading& reading = negativeL2()) {
  return step(inSession(), L2Signed{reading});
}

// A record in `s`, reached through real transitions.
ExamRecord recordIn(S s) {
  switch (s) {
    case S::kReceived:
      return received();
    case S::kComplete:
      return complete();
    case S::kAwaitingL2:
      return awaitingL2();
    case S::kInSession:
      return inSession();
    case S::kL2Read:
      return l2Read();
    case S::kAwaitingL3:
      return step(l2Read(positiveL2()), ConcludeL2{}, rulesL3(true));
    case S::kCtiRequested:
      return step(l2Read(ctiL2()), ConcludeL2{});
    case S::kRetakeReceived: {
      ExamRecord r = recordIn(S::kCtiRequested);
      return step(r, RetakeReceived{retakeFor(r)}, {}, later(201));
    }
    case S::kNegativeResult:
      return step(l2Read(), ConcludeL2{});
    case S::kRecallBdd:
      return step(l2Read(positiveL2()), ConcludeL2{}, rulesL3(false));
    case S::kL1Positive:
      return step(complete(positiveForm()), Dispatch{});
    case S::kPositiveFollowUp:
      return step(recordIn(S::kRecallBdd), ResultSent{});
    case S::kResultSent:
      return step(recordIn(S::kNegativeResult), ResultSent{});
    case S::kClosed:
      return step(recordIn(S::kResultSent), Close{});
    case S::kCancelled:
      return step(received(), Cancel{"duplicate file"});
  }
  return received();
}

constexpr size_t kEventKinds = std::variant_size_v<ExamEvent>;

// An event of kind `index` whose guards pass for `r` (when its state accepts the kind).
ExamEvent validEvent(size_t index, const ExamRecord& r) {
  switch (index) {
    case 0:
      return ImagesUpdated{{"1.2.250.99.9"}, true};
    case 1:
      return FormSubmitted{r.l1_form.value_or(negativeForm())};
    case 2:
      return Dispatch{};
    case 3:
      return AssignToSession{"S2", {kL2bRpps, "Dr L2b"}, {kOtherCim}};
    case 4:
      return ReturnToPool{"reader unavailable"};
    case 5:
      return L2Signed{negativeL2(r.assignment ? r.assignment->reader.rpps.c_str() : kL2Rpps)};
    case 6:
      return ConcludeL2{};
    case 7:
      return L3Decided{{{{kL3Rpps, "Dr L3"}}, later(300), false, {}, {}, ""}};
    case 8:
      return RetakeReceived{retakeFor(r)};
    case 9:
      return ResultSent{};
    case 10:
      return FollowUpConcluded{"BDD normal"};
    case 11:
      return Close{};
    default:
      return Cancel{"duplicate file"};
  }
}

// The diagram in exam_workflow.h, written out independently of acceptsEvent().
const std::map<S, std::set<size_t>>& expectedTable() {
  static const std::map<S, std::set<size_t>> table = {
      {S::kReceived, {0, 1, 12}},   {S::kComplete, {0, 1, 2, 12}},
      {S::kAwaitingL2, {0, 3, 12}}, {S::kInSession, {4, 5, 12}},
      {S::kL2Read, {5, 6, 12}},     {S::kAwaitingL3, {7, 12}},
      {S::kCtiRequested, {8, 12}},  {S::kRetakeReceived, {0, 2, 12}},
      {S::kNegativeResult, {9}},    {S::kRecallBdd, {9}},
      {S::kL1Positive, {10}},       {S::kPositiveFollowUp, {10}},
      {S::kResultSent, {11}},       {S::kClosed, {}},
      {S::kCancelled, {}},
  };
  return table;
}

// ---------------------------------------------------------------- the whole table

TEST(WorkflowTable, RecordsReachEveryState) {
  for (S s : kAllExamStates) EXPECT_EQ(recordIn(s).state, s) << toCode(s);
}

TEST(WorkflowTable, EveryStateEventPairIsAllowedOrRefusedAsDrawn) {
  int allowed = 0, refused = 0;
  for (S s : kAllExamStates) {
    const ExamRecord r = recordIn(s);
    const auto& expected = expectedTable().at(s);
    for (size_t k = 0; k < kEventKinds; ++k) {
      const ExamEvent e = validEvent(k, r);
      const bool should = expected.count(k) > 0;
      EXPECT_EQ(acceptsEvent(s, e), should) << toCode(s) << " / " << eventName(e);
      const TransitionResult t = apply(r, e, rulesL3(true), later(400));
      EXPECT_EQ(t.accepted, should) << toCode(s) << " / " << eventName(e) << ": " << t.error;
      if (should) {
        ++allowed;
        EXPECT_TRUE(t.error.empty());
        ASSERT_FALSE(t.record.history.empty());
        EXPECT_EQ(t.record.history.back().from, s);
        EXPECT_EQ(t.record.history.back().to, t.record.state);
        EXPECT_EQ(t.record.history.back().event, eventName(e));
        EXPECT_EQ(t.record.history.back().at, later(400));
      } else {
        ++refused;
        EXPECT_EQ(t.record, r) << "a refused event leaves the record unchanged";
        EXPECT_NE(t.error.find(labelEn(s)), std::string::npos) << t.error;
        EXPECT_NE(t.error.find(eventName(e)), std::string::npos) << t.error;
        EXPECT_NE(t.error.find("E1"), std::string::npos) << t.error;
      }
    }
  }
  EXPECT_EQ(allowed, 28);
  EXPECT_EQ(refused, 15 * 13 - 28);
}

TEST(WorkflowTable, RefusalSentenceIsClear) {
  const TransitionResult t = apply(recordIn(S::kAwaitingL2), ConcludeL2{}, {}, t0());
  EXPECT_FALSE(t.accepted);
  EXPECT_EQ(t.error, "Event \"conclude L2\" is not allowed in state \"awaiting L2\" (exam E1).");
}

TEST(WorkflowTable, StateCodesAndLabelsAreDistinct) {
  std::set<std::string> codes, labels;
  for (S s : kAllExamStates) {
    codes.insert(toCode(s));
    labels.insert(labelEn(s));
  }
  EXPECT_EQ(codes.size(), std::size(kAllExamStates));
  EXPECT_EQ(labels.size(), std::size(kAllExamStates));
}

// ---------------------------------------------------------------- completeness

TEST(WorkflowCompleteness, ImagesWithoutFormStayReceived) {
  ExamRecord r = step(received(), ImagesUpdated{{"1.2.250.99.1"}, true});
  EXPECT_EQ(r.state, S::kReceived);
  const auto missing = missingForCompletion(r, {});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0], "No reading form (FI) received yet.");
}

TEST(WorkflowCompleteness, FormWithoutImagesStaysReceived) {
  ExamRecord r = step(received(), FormSubmitted{negativeForm()});
  EXPECT_EQ(r.state, S::kReceived);
  const auto missing = missingForCompletion(r, {});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0], "No images received yet.");
}

TEST(WorkflowCompleteness, IncompleteImagesOrIncoherentFormStayReceived) {
  ExamRecord r = step(received(), ImagesUpdated{{"1.2.250.99.1"}, false});
  L1Form unsigned_form = negativeForm();
  unsigned_form.signature.is_signed = false;
  r = step(r, FormSubmitted{unsigned_form});
  EXPECT_EQ(r.state, S::kReceived);
  const auto missing = missingForCompletion(r, {});
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_NE(missing[0].find("incomplete"), std::string::npos);
  EXPECT_NE(missing[1].find("signature.signed"), std::string::npos);
  r = step(r, ImagesUpdated{{"1.2.250.99.1"}, true});
  EXPECT_EQ(r.state, S::kReceived);
  r = step(r, FormSubmitted{negativeForm()});
  EXPECT_EQ(r.state, S::kComplete);
  EXPECT_TRUE(missingForCompletion(r, {}).empty());
}

TEST(WorkflowCompleteness, CompleteGoesBackWhenImagesBecomeIncomplete) {
  ExamRecord r = step(complete(), ImagesUpdated{{"1.2.250.99.1"}, false});
  EXPECT_EQ(r.state, S::kReceived);
  EXPECT_EQ(r.study_uids.size(), 1u) << "study uids are merged, not duplicated";
}

TEST(WorkflowCompleteness, FormFromAnotherCimOrWomanIsRefused) {
  L1Form f = negativeForm();
  f.identification.cim_id = kOtherCim;
  TransitionResult t = apply(received(), FormSubmitted{f}, {}, t0());
  EXPECT_FALSE(t.accepted);
  EXPECT_NE(t.error.find(kOtherCim), std::string::npos);
  f = negativeForm();
  f.identification.woman_id = "W2";
  t = apply(received(), FormSubmitted{f}, {}, t0());
  EXPECT_FALSE(t.accepted);
  EXPECT_NE(t.error.find("W2"), std::string::npos);
}

// ---------------------------------------------------------------- dispatch and routing

TEST(WorkflowDispatch, RoutesNegativeAndClearedToL2AndPositiveToFollowUp) {
  EXPECT_EQ(step(complete(negativeForm()), Dispatch{}).state, S::kAwaitingL2);
  EXPECT_EQ(step(complete(clearedByBdiForm()), Dispatch{}).state, S::kAwaitingL2);
  const ExamRecord p = step(complete(positiveForm()), Dispatch{});
  EXPECT_EQ(p.state, S::kL1Positive);
  EXPECT_EQ(p.history.back().detail, "l1_positive");
  // An L1-positive is never offered to a session.
  EXPECT_FALSE(apply(p, AssignToSession{"S1", {kL2Rpps, ""}, {}}, {}, t0()).accepted);
}

TEST(WorkflowDispatch, RefusedWhenRulesNowFindTheFileIncomplete) {
  ProgrammeRules stricter;
  stricter.min_standard_views = 5;
  const TransitionResult t = apply(complete(), Dispatch{}, stricter, t0());
  EXPECT_FALSE(t.accepted);
  EXPECT_NE(t.error.find("mammography.view_count"), std::string::npos) << t.error;
}

// ---------------------------------------------------------------- session assignment

TEST(WorkflowAssign, NeverTheL1Reader) {
  const TransitionResult t =
      apply(awaitingL2(), AssignToSession{"S1", {kL1Rpps, "Dr L1"}, {}}, {}, t0());
  EXPECT_FALSE(t.accepted);
  EXPECT_NE(t.error.find("first reader"), std::string::npos) << t.error;
}

TEST(WorkflowAssign, NeverAReaderOfTheSameCim) {
  const TransitionResult t =
      apply(awaitingL2(), AssignToSession{"S1", {kL2Rpps, ""}, {kOtherCim, kCim}}, {}, t0());
  EXPECT_FALSE(t.accepted);
  EXPECT_NE(t.error.find(kCim), std::string::npos) << t.error;
}

TEST(WorkflowAssign, NeedsSessionAndReader) {
  EXPECT_FALSE(apply(awaitingL2(), AssignToSession{"", {kL2Rpps, ""}, {}}, {}, t0()).accepted);
  EXPECT_FALSE(apply(awaitingL2(), AssignToSession{"S1", {"", ""}, {}}, {}, t0()).accepted);
}

TEST(WorkflowAssign, RecordsAssignmentAndReturnToPoolClearsIt) {
  ExamRecord r = inSession();
  ASSERT_TRUE(r.assignment);
  EXPECT_EQ(r.assignment->session_id, "S1");
  EXPECT_EQ(r.assignment->reader.rpps, kL2Rpps);
  r = step(r, ReturnToPool{"session cancelled"});
  EXPECT_EQ(r.state, S::kAwaitingL2);
  EXPECT_FALSE(r.assignment);
}

TEST(WorkflowAssign, LateExtraViewsJoinButCannotMakeItIncomplete) {
  ExamRecord r = step(awaitingL2(), ImagesUpdated{{"1.2.250.99.7"}, true});
  EXPECT_EQ(r.state, S::kAwaitingL2);
  EXPECT_EQ(r.study_uids.size(), 2u);
  EXPECT_FALSE(apply(r, ImagesUpdated{{}, false}, {}, t0()).accepted);
}

// ---------------------------------------------------------------- L2 reading

TEST(WorkflowL2, OnlyTheAssignedReaderSigns) {
  const TransitionResult t = apply(inSession(), L2Signed{negativeL2(kL2bRpps)}, {}, t0());
  EXPECT_FALSE(t.accepted);
  EXPECT_NE(t.error.find(kL2bRpps), std::string::npos);
}

TEST(WorkflowL2, IncoherentReadingRefusedWithFieldProblems) {
  L2Reading r = positiveL2();
  r.left.findings.clear();
  r.is_signed = false;
  const TransitionResult t = apply(inSession(), L2Signed{r}, {}, t0());
  EXPECT_FALSE(t.accepted);
  ASSERT_EQ(t.problems.size(), 2u);
  EXPECT_EQ(t.problems[0].field, "left.findings");
  EXPECT_EQ(t.problems[1].field, "signed");
}

TEST(WorkflowL2, SameReaderMayAmendBeforeConclusion) {
  ExamRecord r = l2Read(negativeL2());
  r = step(r, L2Signed{positiveL2()});
  EXPECT_EQ(r.state, S::kL2Read);
  ASSERT_EQ(r.l2_readings.size(), 1u);
  EXPECT_EQ(verdictOf(r.l2_readings[0]), L2Verdict::kPositive);
  EXPECT_FALSE(apply(r, L2Signed{negativeL2(kL2bRpps)}, {}, t0()).accepted);
}

TEST(WorkflowL2, InconsistentStoredRecordIsRefusedNotCrashed) {
  ExamRecord r = inSession();
  r.state = S::kL2Read;  // as if loaded from a damaged row: no reading recorded
  const TransitionResult t = apply(r, ConcludeL2{}, {}, t0());
  EXPECT_FALSE(t.accepted);
  EXPECT_NE(t.error.find("no signed L2 reading"), std::string::npos);
}

TEST(WorkflowL2, NegativeGivesNegativeResult) {
  EXPECT_EQ(step(l2Read(negativeL2()), ConcludeL2{}).state, S::kNegativeResult);
}

TEST(WorkflowL2, DiscordanceGoesToRecallWhenL3IsOff) {
  const ExamRecord r = step(l2Read(positiveL2()), ConcludeL2{}, rulesL3(false));
  EXPECT_EQ(r.state, S::kRecallBdd);
  EXPECT_EQ(r.history.back().detail, "L1/L2 discordance");
}

TEST(WorkflowL2, DiscordanceGoesToArbitrationWhenL3IsOn) {
  EXPECT_EQ(step(l2Read(positiveL2()), ConcludeL2{}, rulesL3(true)).state, S::kAwaitingL3);
}

TEST(WorkflowL2, PositiveWithCtiStillRecalls) {
  L2Reading r = positiveL2();
  r.cti = {{"LCC", CtiReason::kPositioning, ""}};
  const ExamRecord e = step(l2Read(r), ConcludeL2{}, rulesL3(false));
  EXPECT_EQ(e.state, S::kRecallBdd);
  EXPECT_TRUE(e.cti_requests.empty());
}

TEST(WorkflowL2, CtiRaisesARequestForTheCim) {
  const ExamRecord r = step(l2Read(ctiL2()), ConcludeL2{}, {}, later(100));
  EXPECT_EQ(r.state, S::kCtiRequested);
  ASSERT_EQ(r.cti_requests.size(), 1u);
  const CtiRequest& q = r.cti_requests[0];
  EXPECT_EQ(q.id, "E1/cti/1");
  EXPECT_EQ(q.exam_id, "E1");
  EXPECT_EQ(q.woman_id, "W1");
  EXPECT_EQ(q.cim_id, kCim);
  EXPECT_EQ(q.requested_at, later(100));
  EXPECT_EQ(q.requested_by.rpps, kL2Rpps);
  ASSERT_EQ(q.items.size(), 1u);
  EXPECT_EQ(q.items[0].view, "RMLO");
  EXPECT_EQ(q.items[0].reason, CtiReason::kMotionBlur);
  EXPECT_EQ(q.status, CtiStatus::kOpen);
}

// ---------------------------------------------------------------- L3

TEST(WorkflowL3, DecisionRoutesAndIsRecordedWithReaders) {
  const ExamRecord pending = recordIn(S::kAwaitingL3);
  L3Decision d{{{kL3Rpps, "Dr L3"}, {kL3bRpps, "Dr L3b"}}, later(300), true, {}, {}, "consensus"};
  ExamRecord r = step(pending, L3Decided{d}, rulesL3(true));
  EXPECT_EQ(r.state, S::kRecallBdd);
  ASSERT_TRUE(r.l3);
  EXPECT_EQ(r.l3->readers.size(), 2u);
  EXPECT_EQ(r.history.back().detail, std::string("L3 by ") + kL3Rpps + ", " + kL3bRpps);
  d.positive = false;
  EXPECT_EQ(step(pending, L3Decided{d}, rulesL3(true)).state, S::kNegativeResult);
}

TEST(WorkflowL3, ReaderRules) {
  const ExamRecord pending = recordIn(S::kAwaitingL3);
  ProgrammeRules rules = rulesL3(true);
  rules.l3_min_readers = 2;
  L3Decision one{{{kL3Rpps, ""}}, later(300), false, {}, {}, ""};
  EXPECT_FALSE(apply(pending, L3Decided{one}, rules, t0()).accepted);
  L3Decision with_l1{{{kL3Rpps, ""}, {kL1Rpps, ""}}, later(300), false, {}, {}, ""};
  const TransitionResult t = apply(pending, L3Decided{with_l1}, rules, t0());
  EXPECT_FALSE(t.accepted);
  EXPECT_NE(t.error.find("first reader"), std::string::npos);
  L3Decision bad{{{kL3Rpps, ""}, {"42", ""}}, later(300), false, {}, {}, ""};
  EXPECT_FALSE(apply(pending, L3Decided{bad}, rules, t0()).accepted);
  // The L2 reader may sit on the panel.
  L3Decision ok{{{kL3Rpps, ""}, {kL2Rpps, ""}}, later(300), false, {}, {}, ""};
  EXPECT_TRUE(apply(pending, L3Decided{ok}, rules, t0()).accepted);
}

// ---------------------------------------------------------------- CTI loop

TEST(WorkflowCti, RetakeJoinsTheSameExamAndGetsANewL2) {
  ExamRecord r = recordIn(S::kCtiRequested);
  const RetakeStudy retake = retakeFor(r);
  r = step(r, RetakeReceived{retake}, {}, later(201));
  EXPECT_EQ(r.state, S::kRetakeReceived);
  EXPECT_EQ(r.exam_id, "E1");
  ASSERT_EQ(r.study_uids.size(), 2u);
  EXPECT_EQ(r.study_uids[1], retake.study_uid);
  EXPECT_EQ(r.cti_requests[0].status, CtiStatus::kFulfilled);
  EXPECT_EQ(r.cti_requests[0].fulfilled_by_study_uid, retake.study_uid);
  EXPECT_EQ(r.cti_requests[0].fulfilled_at, later(201));

  r = step(r, Dispatch{});
  EXPECT_EQ(r.state, S::kAwaitingL2);
  EXPECT_FALSE(r.assignment);
  r = step(r, AssignToSession{"S9", {kL2bRpps, ""}, {}});
  r = step(r, L2Signed{negativeL2(kL2bRpps)});
  r = step(r, ConcludeL2{});
  EXPECT_EQ(r.state, S::kNegativeResult);
  EXPECT_EQ(r.l2_readings.size(), 2u) << "both readings kept";
}

TEST(WorkflowCti, NonMatchingRetakeIsRefusedWithReasons) {
  const ExamRecord r = recordIn(S::kCtiRequested);
  RetakeStudy s = retakeFor(r);
  s.cim_id = kOtherCim;
  TransitionResult t = apply(r, RetakeReceived{s}, {}, later(201));
  EXPECT_FALSE(t.accepted);
  EXPECT_NE(t.error.find(kOtherCim), std::string::npos) << t.error;
  s = retakeFor(r);
  s.views = {"RCC"};
  t = apply(r, RetakeReceived{s}, {}, later(201));
  EXPECT_FALSE(t.accepted);
  EXPECT_NE(t.error.find("RMLO"), std::string::npos) << t.error;
}

TEST(WorkflowCti, ARetakeIsANewStudy) {
  const ExamRecord r = recordIn(S::kCtiRequested);
  RetakeStudy s = retakeFor(r);
  s.study_uid = r.study_uids[0];
  const TransitionResult t = apply(r, RetakeReceived{s}, {}, later(201));
  EXPECT_FALSE(t.accepted);
  EXPECT_NE(t.error.find("already part"), std::string::npos);
}

TEST(WorkflowCti, SecondCtiGetsASecondRequest) {
  ExamRecord r = recordIn(S::kRetakeReceived);
  r = step(r, Dispatch{});
  r = step(r, AssignToSession{"S9", {kL2Rpps, ""}, {}});
  r = step(r, L2Signed{ctiL2()});
  r = step(r, ConcludeL2{}, {}, later(500));
  ASSERT_EQ(r.cti_requests.size(), 2u);
  EXPECT_EQ(r.cti_requests[1].id, "E1/cti/2");
  EXPECT_EQ(r.cti_requests[0].status, CtiStatus::kFulfilled);
  EXPECT_EQ(r.cti_requests[1].status, CtiStatus::kOpen);
}

// ---------------------------------------------------------------- results and closing

TEST(WorkflowResult, NegativePathToClosed) {
  ExamRecord r = recordIn(S::kNegativeResult);
  r = step(r, ResultSent{}, {}, later(24 * 5));
  EXPECT_EQ(r.state, S::kResultSent);
  r = step(r, Close{});
  EXPECT_EQ(r.state, S::kClosed);
  EXPECT_EQ(r.firstEntered(S::kResultSent), later(24 * 5));
  EXPECT_EQ(r.firstEntered(S::kComplete), t0());
  EXPECT_FALSE(r.firstEntered(S::kAwaitingL3));
}

TEST(WorkflowResult, RecallResultLeadsToFollowUpNotClosing) {
  ExamRecord r = step(recordIn(S::kRecallBdd), ResultSent{});
  EXPECT_EQ(r.state, S::kPositiveFollowUp);
  EXPECT_FALSE(apply(r, Close{}, {}, t0()).accepted) << "a positive closes by its follow-up";
  EXPECT_FALSE(apply(r, FollowUpConcluded{""}, {}, t0()).accepted) << "summary required";
  r = step(r, FollowUpConcluded{"BDD: benign cyst"});
  EXPECT_EQ(r.state, S::kClosed);
  EXPECT_EQ(r.follow_up_summary, "BDD: benign cyst");
}

TEST(WorkflowResult, L1PositiveIsFollowedWithoutL2) {
  ExamRecord r = recordIn(S::kL1Positive);
  EXPECT_TRUE(r.l2_readings.empty());
  EXPECT_FALSE(apply(r, ResultSent{}, {}, t0()).accepted) << "result was given at the CIM";
  r = step(r, FollowUpConcluded{"invasive carcinoma, treated"});
  EXPECT_EQ(r.state, S::kClosed);
}

TEST(WorkflowCancel, NeedsAReasonAndCancelsOpenCti) {
  EXPECT_FALSE(apply(received(), Cancel{""}, {}, t0()).accepted);
  const ExamRecord r = step(recordIn(S::kCtiRequested), Cancel{"woman withdrew"});
  EXPECT_EQ(r.state, S::kCancelled);
  EXPECT_EQ(r.cancel_reason, "woman withdrew");
  EXPECT_EQ(r.cti_requests[0].status, CtiStatus::kCancelled);
}

TEST(WorkflowCancel, PositivesCannotBeCancelled) {
  for (S s :
       {S::kRecallBdd, S::kL1Positive, S::kPositiveFollowUp, S::kNegativeResult, S::kResultSent})
    EXPECT_FALSE(apply(recordIn(s), Cancel{"error"}, {}, t0()).accepted) << toCode(s);
}

}  // namespace
}  // namespace dualread
