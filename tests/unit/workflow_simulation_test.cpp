// A simulated screening round driven end to end through the hub's services, in process: the
// women of a `dualread synth` plan are invited (its invitation file imported), come to their
// imaging centres (small images ingested through IngestService), their L1 forms are put and
// signed, exams are dealt into L2 sessions and read with injected decisions (L1 positives ~10%,
// L2 positives ~1.7% with L3 arbitration, CTIs 0.5% whose retakes join the same exam), the
// daily print run sends the letters, results are closed and positives followed until their
// work-up or pathology comes back. Asserts that every exam reaches the expected final state,
// that the letters say the right thing (pdftotext), and that the indicators equal the injected
// rates exactly. DUALREAD_SIM_WOMEN overrides the number of women (default 2,000).

#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "domain/synth_plan.h"
#include "hub_fixture.h"
#include "letters_test_data.h"
#include "services/reading_form_json.h"
#include "services/synth.h"
#include "test_dicom.h"
#include "workflow_test_data.h"

namespace dualread::testing {
namespace {

using nlohmann::json;
namespace td = dualread::testdata;
namespace lt = dualread::letters_test;

int simulatedWomen() {
  if (const char* n = std::getenv("DUALREAD_SIM_WOMEN")) return std::max(100, std::atoi(n));
  return 2000;
}

// The injected decisions, by the woman's index in the plan.
struct Fate {
  bool l1_positive = false;
  bool bdi_cleared = false;
  bool discordant = false;   // L1-negative, L2-positive
  bool l3_confirms = false;  // L3 confirms the L2 positive: recall
  bool cti = false;          // first L2 asks for a retake
  bool cancer = false;
};
Fate fateOf(int i) {
  Fate f;
  f.l1_positive = i % 10 == 0;
  f.bdi_cleared = i % 10 == 5;
  f.discordant = !f.l1_positive && i % 60 == 7;
  f.l3_confirms = f.discordant && (i / 60) % 3 != 2;
  f.cti = !f.l1_positive && !f.discordant && i % 200 == 13;
  f.cancer = (f.l1_positive && i % 40 == 0) || (f.l3_confirms && (i / 60) % 3 == 0);
  return f;
}

const char* kReaders[] = {"30000000001", "30000000002", "30000000003"};
const char* kL3a = "30000000011";
const char* kL3b = "30000000012";

class WorkflowSimulationTest : public HubFixture {
 protected:
  void SetUp() override {
    // fsync-heavy: keep the simulated archive in memory when the machine offers it.
    if (std::filesystem::is_directory("/dev/shm")) setenv("TMPDIR", "/dev/shm", 1);
    women_ = simulatedWomen();
    synth::PlanOptions po;
    po.women = women_ + women_ / 20;  // 5% of the invited women do not come
    po.rounds = 1;
    po.seed = 2026;
    plan_ = synth::makeSynthPlan(po);
    HubFixture::SetUp();
    unsetenv("TMPDIR");
  }
  void configure(HubConfig& c) override {
    for (const char* r : kReaders) c.l2_readers.push_back(L2Reader{{r, "Dr L2"}, {}, 10});
    c.programme.l3_enabled = true;
    c.programme.l3_min_readers = 2;
    c.letters.crcdc = {"CRCDC Simulation", {"1 place Bellecour"}, "69002", "Lyon", "", ""};
    c.letters.signatory = "Dr Coordinatrice";
    // Fewer glyphs to embed in each of the ~4,000 letters: half the print run's time.
    c.letters.font_regular = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf";
    c.letters.font_bold = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf";
    for (const auto& cim : plan_.cims)
      c.letters.cims.push_back(
          {cim.id, {cim.name, {"10 rue de la Radiologie"}, "69001", "Lyon", "", ""}});
  }
  WorkflowService::Clock workflowClock() override {
    return [this] {
      return makeTime(2026, 1, 10, 8) + std::chrono::hours(24 * days_.load()) +
             std::chrono::seconds(ticks_++);
    };
  }

  std::string ingest(TestImage t, const std::string& view, int n) {
    t.series_uid = t.study_uid + "." + std::to_string(n);
    t.sop_uid = t.series_uid + ".1";
    t.laterality = view.substr(0, 1);
    t.view_position = view.substr(1);
    t.series_description = view.substr(0, 1) + " " + view.substr(1);
    t.seed = static_cast<uint16_t>(n);
    const auto path = dir_ / "img.dcm";
    writeTestImage(t, path);
    const IngestResult r = ingest_->ingestBytes(lt::readFile(path), {"SIM", "", ""});
    return r.ok() ? "" : "ingest failed for " + t.study_uid;
  }

  TestImage imageOf(const synth::PlannedStudy& s) {
    const auto& w = plan_.women[s.woman];
    TestImage t;
    t.study_uid = s.study_uid;
    t.patient_id = s.patient_id;
    t.issuer = plan_.cims[s.cim].id;
    t.patient_name = s.patient_name;
    t.birth_date = s.patient_birth_date;
    t.ins = w.ins;
    t.study_date = "20260108";
    t.accession = s.accession;
    return t;
  }

  L1Form formOf(const synth::PlannedStudy& s, const Fate& f) {
    const auto& w = plan_.women[s.woman];
    L1Form form = f.l1_positive   ? td::positiveForm()
                  : f.bdi_cleared ? td::clearedByBdiForm()
                                  : td::negativeForm();
    auto& id = form.identification;
    id.woman_id.clear();
    id.ins = w.ins;
    id.screening_number.clear();
    id.birth_name = w.birth_name;
    id.first_names = w.first_names;
    id.used_name = w.used_name;
    id.birth_date = parseIsoDate(w.birth_date.substr(0, 4) + "-" + w.birth_date.substr(4, 2) + "-" +
                                 w.birth_date.substr(6, 2));
    id.cim_id = plan_.cims[s.cim].id;
    id.mammogram_date = makeDate(2026, 1, 8);
    id.l1_radiologist = {"2000000000" + std::to_string(s.cim), "Dr L1 " + plan_.cims[s.cim].id};
    form.signature = {};
    return form;
  }

  int women_ = 0;
  synth::SynthPlan plan_;
  std::atomic<int> days_{0};
  std::atomic<int64_t> ticks_{0};
};

TEST_F(WorkflowSimulationTest, ARoundOfScreeningEndsAsInjected) {
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  const AuditActor secretary{"sim-secretary", "secretary", "test"};

  // 1. Invitation file of every planned woman (some will not come).
  const auto report =
      register_->importInvitations(synthInvitationCsv(plan_), "invitations.csv", secretary, {});
  ASSERT_TRUE(report.ok) << (report.errors.empty() ? "" : report.errors.front().message);
  ASSERT_EQ(report.rows, static_cast<int>(plan_.women.size()));

  // 2. The women who come: images, then the signed L1 form.
  std::map<std::string, int> index_of;  // exam id -> woman index
  int n_l1pos = 0, n_disc = 0, n_recall = 0, n_cti = 0, n_cancer = 0, n_cancer_l2 = 0;
  for (const auto& s : plan_.studies) {
    if (s.woman >= women_) continue;
    const Fate f = fateOf(s.woman);
    index_of[s.study_uid] = s.woman;
    n_l1pos += f.l1_positive;
    n_disc += f.discordant;
    n_recall += f.l1_positive || f.l3_confirms;
    n_cti += f.cti;
    n_cancer += f.cancer;
    n_cancer_l2 += f.cancer && f.l3_confirms;
    const TestImage base = imageOf(s);
    int n = 0;
    for (const char* v : {"RCC", "LCC", "RMLO", "LMLO"}) ASSERT_EQ(ingest(base, v, ++n), "");
    ASSERT_EQ(workflow_->putL1Form(s.study_uid, toJson(formOf(s, f))).status, WorkflowStatus::kOk);
    const auto& rpps = formOf(s, f).identification.l1_radiologist;
    auto signed_r = workflow_->signL1Form(s.study_uid,
                                          {{"signer", {{"name", rpps.name}, {"rpps", rpps.rpps}}}});
    ASSERT_EQ(signed_r.status, WorkflowStatus::kOk) << signed_r.error;
    ASSERT_EQ(signed_r.body["state"], f.l1_positive ? "l1_positive" : "awaiting_l2");
  }
  ASSERT_EQ(static_cast<int>(index_of.size()), women_);
  const double t_ingest = elapsed();

  // 3. L2: deal and read until the pool is empty; CTI retakes arrive and join their exam.
  std::map<std::string, int> reads;
  for (int round = 0; round < 20; ++round) {
    auto dealt = workflow_->dealSessions();
    ASSERT_EQ(dealt.status, WorkflowStatus::kOk);
    ASSERT_TRUE(dealt.body["undealt"].empty()) << dealt.body["undealt"].dump();
    if (dealt.body["sessions"].empty()) break;
    for (const auto& session : dealt.body["sessions"]) {
      const std::string sid = session["id"];
      const std::string reader = session["reader"]["rpps"];
      while (true) {
        auto next = workflow_->next(sid);
        ASSERT_EQ(next.status, WorkflowStatus::kOk);
        if (next.body["done"].get<bool>()) break;
        const std::string exam = next.body["exam"]["exam_id"];
        const Fate f = fateOf(index_of.at(exam));
        const bool first = reads[exam]++ == 0;
        L2Reading reading = f.discordant       ? td::positiveL2(reader.c_str())
                            : (f.cti && first) ? td::ctiL2(reader.c_str())
                                               : td::negativeL2(reader.c_str());
        auto r = workflow_->submitReading(sid, toJson(reading));
        ASSERT_EQ(r.status, WorkflowStatus::kOk) << r.error;
      }
    }
    // The CIMs retake what was asked: a new study of the flagged view.
    for (const ExamRecord& r : workflow_->records(ExamState::kCtiRequested)) {
      const auto& s = *std::find_if(plan_.studies.begin(), plan_.studies.end(),
                                    [&](const auto& p) { return p.study_uid == r.exam_id; });
      TestImage t = imageOf(s);
      t.study_uid = s.study_uid + ".9";
      t.study_date = "20260112";
      ASSERT_EQ(ingest(t, "RMLO", 1), "");
      EXPECT_EQ(workflow_->record(r.exam_id)->state, ExamState::kAwaitingL2);
    }
  }
  EXPECT_TRUE(workflow_->records(ExamState::kAwaitingL2).empty());
  EXPECT_EQ(static_cast<int>(workflow_->records(ExamState::kAwaitingL3).size()), n_disc);
  for (const auto& [exam, n] : reads) EXPECT_EQ(n, fateOf(index_of.at(exam)).cti ? 2 : 1) << exam;

  // 4. L3: two arbitrators, confirming or not as injected.
  for (const ExamRecord& r : workflow_->records(ExamState::kAwaitingL3)) {
    const Fate f = fateOf(index_of.at(r.exam_id));
    auto d = workflow_->decideL3(
        r.exam_id,
        {{"readers", {{{"rpps", kL3a}, {"name", "Dr A"}}, {{"rpps", kL3b}, {"name", "Dr B"}}}},
         {"positive", f.l3_confirms}});
    ASSERT_EQ(d.status, WorkflowStatus::kOk) << d.error;
  }
  const double t_read = elapsed();

  // 5. The daily print run.
  auto run = letters_->printRun(secretary);
  ASSERT_EQ(run.status, WorkflowStatus::kOk) << run.error;
  EXPECT_EQ(run.body["refused"], 0) << run.body["refused_items"].dump();
  int expect_woman = 0, expect_doctor = 0;
  for (const auto& [exam, i] : index_of) {
    const Fate f = fateOf(i);
    if (f.l1_positive) continue;
    ++expect_woman;
    expect_doctor += 1 + (i % 3 == 0) + (f.l3_confirms ? 1 : 0);  // GP, gynaecologist, L1
  }
  const json& by_kind = run.body["by_kind"];
  auto kindCount = [&](const char* k) {
    return by_kind.contains(k) ? by_kind[k]["letters"].get<int>() : 0;
  };
  EXPECT_EQ(kindCount("negative_result") + kindCount("recall"), expect_woman);
  EXPECT_EQ(kindCount("recall"), n_recall - n_l1pos);
  EXPECT_EQ(kindCount("negative_result_doctor") + kindCount("recall_doctor"), expect_doctor);
  EXPECT_EQ(kindCount("l1_positive_ack"), n_l1pos);
  EXPECT_EQ(kindCount("cti_notice"), 0);  // every retake arrived before the run
  EXPECT_EQ(static_cast<int>(run.body["results_sent"].size()), expect_woman);
  const double t_print = elapsed();

  // The letters say the right thing: every recall and acknowledgment, a sample of the rest.
  const std::string run_id = run.body["run_id"];
  int checked = 0;
  for (const auto& l : letter_store_->letters(run_id, "", 100000)) {
    const int i = index_of.at(l.exam_id);
    const auto& w = plan_.women[i];
    const bool check = l.kind != "negative_result" && l.kind != "negative_result_doctor";
    if (!check && i % 97 != 0) continue;
    const std::string text =
        lt::pdfText(lt::readFile(letters_->fileOf(l.file)), dir_, "sim-letter");
    ++checked;
    const std::string name =
        w.first_names + " " + (w.used_name.empty() ? w.birth_name : w.used_name);
    EXPECT_NE(text.find(name), std::string::npos) << l.kind << " " << l.id << ": " << text;
    const char* expected = l.kind == "negative_result"   ? "ne montrent pas d'anomalie"
                           : l.kind == "recall"          ? "examen complémentaire"
                           : l.kind == "recall_doctor"   ? "seconde lecture positive"
                           : l.kind == "l1_positive_ack" ? "positif en première lecture"
                                                         : "";
    EXPECT_NE(text.find(expected), std::string::npos) << l.kind << ": " << text;
  }
  EXPECT_GT(checked, n_l1pos);

  // 6. Results closed; positives followed until what came back closes them.
  for (const ExamRecord& r : workflow_->records(ExamState::kResultSent))
    ASSERT_EQ(workflow_->closeExam(r.exam_id, secretary).status, WorkflowStatus::kOk);
  for (ExamState s : {ExamState::kL1Positive, ExamState::kPositiveFollowUp}) {
    for (const ExamRecord& r : workflow_->records(s)) {
      const Fate f = fateOf(index_of.at(r.exam_id));
      json body;
      if (f.cancer)
        body = {{"biopsy", {{"date", "2026-01-25"}}},
                {"pathology", {{"date", "2026-02-02"}, {"result", "invasive"}, {"grade", 2}}}};
      else if (f.l1_positive)
        body = {{"biopsy", {{"date", "2026-01-25"}}},
                {"pathology", {{"date", "2026-02-02"}, {"result", "benign"}}}};
      else
        body = {{"bdd", {{"date", "2026-01-28"}, {"result", "normal"}}}};
      auto fu = follow_up_->record(r.exam_id, body, secretary);
      ASSERT_EQ(fu.status, WorkflowStatus::kOk) << fu.error << " " << json(fu.errors.size());
      EXPECT_EQ(fu.body["exam_state"], "closed");
    }
  }
  // Every exam is closed; nothing is overdue; no reminder is due.
  EXPECT_EQ(static_cast<int>(workflow_->records(ExamState::kClosed).size()), women_);
  EXPECT_EQ(letters_->overdue(true).body["items"].size(), 0u);
  EXPECT_TRUE(follow_up_->reminders().body["items"].empty());

  // 7. The indicators equal the injected rates exactly.
  const json ind = indicators_->indicatorsJson({});
  const json& all = ind["overall"];
  const int l2_read = women_ - n_l1pos;
  EXPECT_EQ(all["exams"], women_);
  EXPECT_EQ(all["invited"], static_cast<int64_t>(plan_.women.size()));
  EXPECT_EQ(all["participation"]["numerator"], women_);
  EXPECT_EQ(all["l1_positive_after_bdi"]["numerator"], n_l1pos);
  EXPECT_EQ(all["l2_read"], l2_read);
  EXPECT_EQ(all["cti"]["numerator"], n_cti);
  EXPECT_EQ(all["cti"]["denominator"], l2_read);
  EXPECT_EQ(all["discordance"]["numerator"], n_disc);
  EXPECT_EQ(all["discordance"]["denominator"], l2_read);
  EXPECT_EQ(all["l2_recall"]["numerator"], n_recall - n_l1pos);
  EXPECT_EQ(all["l3_read"], n_disc);
  EXPECT_EQ(all["recall"]["numerator"], n_recall);
  EXPECT_EQ(all["recall"]["denominator"], women_);
  EXPECT_EQ(all["cancers"], n_cancer);
  EXPECT_EQ(all["cancers_l2"], n_cancer_l2);
  EXPECT_EQ(all["detection"]["numerator"], n_cancer);
  EXPECT_EQ(all["ppv"]["numerator"], n_cancer);
  EXPECT_EQ(all["ppv"]["denominator"], n_recall);
  EXPECT_EQ(all["late_results"], 0);
  // Per CIM and per reader the parts add up to the whole.
  int by_cim = 0, by_l2 = 0, disc_l2 = 0;
  for (const auto& [k, v] : ind["by_cim"].items()) by_cim += v["exams"].get<int>();
  for (const auto& [k, v] : ind["by_l2_reader"].items()) {
    by_l2 += v["l2_read"].get<int>();
    disc_l2 += v["discordance"]["numerator"].get<int>();
  }
  EXPECT_EQ(by_cim, women_);
  EXPECT_EQ(by_l2, l2_read);
  EXPECT_EQ(disc_l2, n_disc);
  std::printf(
      "[ simulation ] %d women: ingest+forms %.1f s, L2/L3 %.1f s, print run %.1f s, letters "
      "checked+follow-up %.1f s; %d letters\n",
      women_, t_ingest, t_read - t_ingest, t_print - t_read, elapsed() - t_print,
      run.body["letters"].get<int>());
}

}  // namespace
}  // namespace dualread::testing
