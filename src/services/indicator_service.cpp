#include "services/indicator_service.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>

#include "domain/invitation_file.h"

namespace dualread {

using nlohmann::json;

namespace {

TimePoint systemNow() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

json rateJson(int num, int den) {
  return {{"numerator", num},
          {"denominator", den},
          {"value", den ? static_cast<double>(num) / den : 0.0}};
}
json rateJson(const Rate& r) { return rateJson(r.numerator, r.denominator); }

json delayJson(const DelayStats& d) {
  return {{"count", d.count},
          {"mean_days", d.mean_days},
          {"median_days", d.median_days},
          {"max_days", d.max_days}};
}

// What the domain's Indicators do not count: recalls after L2 (and L3) among L2 reads.
struct Extra {
  int l2_read = 0;
  int l2_recalled = 0;
};

bool inPeriod(const ExamOutcomeRecord& r, const IndicatorQuery& q) {
  if (q.from && r.mammogram_date < *q.from) return false;
  if (q.to && r.mammogram_date > *q.to) return false;
  if (q.cim_id && r.cim_id != *q.cim_id) return false;
  return true;
}

json groupJson(const Indicators& i, const Extra& e) {
  return {{"exams", i.exams},
          {"l1_positive_before_bdi", rateJson(i.l1_positive_before_bdi)},
          {"l1_positive_after_bdi", rateJson(i.l1_positive_after_bdi)},
          {"l2_read", i.l2_read},
          {"cti", rateJson(i.cti)},
          {"discordance", rateJson(i.l2_positive)},
          {"l2_recall", rateJson(e.l2_recalled, e.l2_read)},
          {"l3_read", i.l3_read},
          {"recall", rateJson(i.recall)},
          {"cancers", i.cancers},
          {"cancers_l1", i.cancers_l1},
          {"cancers_l2", i.cancers_l2},
          {"detection", rateJson(i.detection)},
          {"detection_per_1000", i.detection.value() * 1000.0},
          {"ppv", rateJson(i.ppv)},
          {"delays",
           {{"mammogram_to_received", delayJson(i.mammogram_to_received)},
            {"received_to_l2", delayJson(i.received_to_l2)},
            {"l2_to_result", delayJson(i.l2_to_result)},
            {"mammogram_to_result", delayJson(i.mammogram_to_result)}}},
          {"late_results", i.late_results},
          {"overdue_results", i.overdue_results},
          {"overdue_fraction", rateJson(i.overdue_fraction)}};
}

}  // namespace

IndicatorService::IndicatorService(const HubConfig& config, WorkflowService& workflow,
                                   FollowUpService& follow_up, RegisterService* register_service,
                                   Clock clock)
    : config_(config),
      workflow_(workflow),
      follow_up_(follow_up),
      register_(register_service),
      clock_(clock ? std::move(clock) : Clock(&systemNow)) {}

std::vector<ExamOutcomeRecord> IndicatorService::outcomes() {
  const Date today = dateOf(clock_());
  std::map<std::string, PositiveCase> cases;
  for (auto& c : follow_up_.cases()) cases.emplace(c.exam_id, std::move(c));
  std::vector<ExamOutcomeRecord> out;
  for (ExamState s : kAllExamStates) {
    if (s == ExamState::kCancelled) continue;
    for (const ExamRecord& r : workflow_.records(s)) {
      ExamOutcomeRecord o;
      o.exam_id = r.exam_id;
      o.cim_id = r.cim_id;
      o.mammogram_date = r.mammogramDate().value_or(dateOf(r.received_at));
      if (auto t = r.firstEntered(ExamState::kComplete)) o.received_on = dateOf(*t);
      if (r.l1_form) {
        const L1Form& f = *r.l1_form;
        o.l1_reader_rpps = f.identification.l1_radiologist.rpps;
        o.l1_positive_before_bdi = bdiRequired(f);
        o.bdi_done = f.bdi.done;
      }
      o.l1_positive = r.firstEntered(ExamState::kL1Positive).has_value();
      if (!r.l2_readings.empty()) {
        o.l2_reader_rpps = r.l2_readings.back().reader.rpps;
        o.cti = !r.cti_requests.empty();
        // The final L2: the reading that concluded (not one that asked for a retake still
        // awaited).
        const L2Verdict v = verdictOf(r.l2_readings.back());
        if (v != L2Verdict::kTechnicallyInsufficient) {
          o.l2_read = true;
          o.l2_read_on = dateOf(r.l2_readings.back().read_at);
          o.l2_positive = v == L2Verdict::kPositive;
        }
      }
      if (r.l3) {
        o.l3_read = true;
        o.l3_positive = r.l3->positive;
      }
      if (auto t = r.firstEntered(ExamState::kResultSent))
        o.result_sent_on = dateOf(*t);
      else if (auto p = r.firstEntered(ExamState::kPositiveFollowUp))
        o.result_sent_on = dateOf(*p);
      else if (auto l1 = r.firstEntered(ExamState::kL1Positive))
        o.result_sent_on = dateOf(*l1);
      if (auto it = cases.find(r.exam_id); it != cases.end())
        o.cancer =
            statusOf(it->second, config_.programme, today) == FollowUpStatus::kConcludedCancer;
      out.push_back(std::move(o));
    }
  }
  return out;
}

json IndicatorService::indicatorsJson(const IndicatorQuery& q) {
  const Date today = dateOf(clock_());
  const auto& rules = config_.programme;
  const std::vector<ExamOutcomeRecord> records = outcomes();
  IndicatorFilter f;
  f.from = q.from;
  f.to = q.to;
  f.cim_id = q.cim_id;
  auto extraFor = [&](auto pick) {
    std::map<std::string, Extra> m;
    for (const auto& r : records) {
      if (!inPeriod(r, q) || !r.l2_read) continue;
      const std::string key = pick(r);
      if (key.empty()) continue;
      ++m[key].l2_read;
      m[key].l2_recalled += r.recalledAfterL2();
    }
    return m;
  };
  const auto extra_all = extraFor([](const ExamOutcomeRecord&) { return std::string("all"); });
  const Indicators all = computeIndicators(records, f, rules, today);
  json overall = groupJson(all, extra_all.count("all") ? extra_all.at("all") : Extra{});
  if (register_ && !q.cim_id) {
    const int64_t invited =
        register_->countInvited(q.from ? toIsoDate(*q.from) : "", q.to ? toIsoDate(*q.to) : "");
    overall["invited"] = invited;
    overall["participation"] = rateJson(all.exams, static_cast<int>(invited));
  }
  auto groups = [&](const std::map<std::string, Indicators>& by,
                    const std::map<std::string, Extra>& extra) {
    json out = json::object();
    for (const auto& [k, i] : by) out[k] = groupJson(i, extra.count(k) ? extra.at(k) : Extra{});
    return out;
  };
  json alerts = json::array();
  for (const auto& a : indicatorAlerts(all, rules)) alerts.push_back(a);
  return {{"period",
           {{"from", q.from ? json(toIsoDate(*q.from)) : json(nullptr)},
            {"to", q.to ? json(toIsoDate(*q.to)) : json(nullptr)},
            {"cim", q.cim_id ? json(*q.cim_id) : json(nullptr)}}},
          {"today", toIsoDate(today)},
          {"overall", overall},
          {"by_cim", groups(indicatorsByCim(records, f, rules, today),
                            extraFor([](const ExamOutcomeRecord& r) { return r.cim_id; }))},
          {"by_l1_reader",
           groups(indicatorsByL1Reader(records, f, rules, today),
                  extraFor([](const ExamOutcomeRecord& r) { return r.l1_reader_rpps; }))},
          {"by_l2_reader",
           groups(indicatorsByL2Reader(records, f, rules, today),
                  extraFor([](const ExamOutcomeRecord& r) { return r.l2_reader_rpps; }))},
          {"alerts", alerts}};
}

std::string IndicatorService::indicatorsCsv(const IndicatorQuery& q) {
  const json j = indicatorsJson(q);
  std::ostringstream out;
  out << "scope;key;exams;invited;participation;l1_positive_after_bdi;l2_read;cti_rate;"
         "discordance_rate;l2_recall_rate;recall_rate;cancers;detection_per_1000;ppv;"
         "overdue_results\n";
  auto num = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", v);
    return std::string(buf);
  };
  auto line = [&](const std::string& scope, const std::string& key, const json& g) {
    out << scope << ';' << csvField(key) << ';' << g["exams"].get<int>() << ';'
        << (g.contains("invited") ? std::to_string(g["invited"].get<int64_t>()) : "") << ';'
        << (g.contains("participation") ? num(g["participation"]["value"].get<double>()) : "")
        << ';' << num(g["l1_positive_after_bdi"]["value"].get<double>()) << ';'
        << g["l2_read"].get<int>() << ';' << num(g["cti"]["value"].get<double>()) << ';'
        << num(g["discordance"]["value"].get<double>()) << ';'
        << num(g["l2_recall"]["value"].get<double>()) << ';'
        << num(g["recall"]["value"].get<double>()) << ';' << g["cancers"].get<int>() << ';'
        << num(g["detection_per_1000"].get<double>()) << ';' << num(g["ppv"]["value"].get<double>())
        << ';' << g["overdue_results"].get<int>() << '\n';
  };
  line("overall", "all", j["overall"]);
  for (const auto& [scope, key] :
       {std::pair{"cim", "by_cim"}, std::pair{"l1_reader", "by_l1_reader"},
        std::pair{"l2_reader", "by_l2_reader"}})
    for (auto it = j[key].begin(); it != j[key].end(); ++it) line(scope, it.key(), it.value());
  return out.str();
}

}  // namespace dualread
