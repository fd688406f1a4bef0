// The Reporter: counts, decisions, the drift test's basis (every record, not the judged-normal
// ones; labelled-normal ones when there are labels), refusals of another model, and the JSON
// summary with rd-eval's own metrics.
#include "report/report.h"

#include <doctest/doctest.h>

#include <random>
#include <sstream>

#include "errors.h"
#include "eval/eval_report.h"
#include "eval/threshold.h"
#include "support.h"

namespace {

using rd::test::normal_scores;

// A model "m1" with 200 validation scores ~ N(0.30, 0.02).
rd::ReportOptions options_with_model(unsigned seed = 1) {
  std::mt19937 rng(seed);
  rd::ReportOptions o;
  o.model = rd::ReportModel{"m1.rdm", "m1", {{"backbone", "resnet18"}, {"validation", {{"scores", normal_scores(rng, 200, 0.30, 0.02)}}}}};
  o.made = "2026-01-01T00:00:00Z";
  return o;
}

rd::RecordFields scored(double score, const std::string& path = "a.png") {
  return {{"path", path}, {"score", score}, {"model", "m1"}};
}

rd::ThresholdFit threshold(double value, const std::string& model = "m1") {
  rd::ThresholdFit t;
  t.method = "percentile:99";
  t.value = value;
  t.model_id = model;
  return t;
}

}  // namespace

TEST_CASE("a drifted run is found even when the threshold judges most of it anomalous") {
  // Judged-normal records are cut at the threshold: among them no score is above it, whatever
  // happened to the camera. The test uses every record, so the shift shows.
  std::mt19937 rng(2);
  rd::ReportOptions o = options_with_model();
  o.threshold = threshold(0.33);  // about the validation scores' 93rd percentile
  o.threshold_source = "t.json";
  rd::Reporter reporter(o);
  for (double s : normal_scores(rng, 100, 0.34, 0.02)) reporter.add(scored(s), "run:1");
  const rd::ReportSummary r = reporter.finish();
  CHECK(r.counts.anomalous > 50);
  CHECK(r.drift.verdict == rd::DriftVerdict::drift);
  CHECK(r.drift.direction == "higher");
  CHECK(r.drift.records == 100);
  CHECK(r.json["drift"]["basis"] == "all_scored");
}

TEST_CASE("with labels the drift test uses the labelled-normal records, so many anomalies do not look like drift") {
  std::mt19937 rng(3);
  rd::Reporter reporter(options_with_model());
  for (double s : normal_scores(rng, 60, 0.30, 0.02)) reporter.add({{"score", s}, {"label", 0}, {"model", "m1"}}, "x");
  for (double s : normal_scores(rng, 60, 0.60, 0.05)) reporter.add({{"score", s}, {"label", 1}, {"model", "m1"}}, "x");
  const rd::ReportSummary r = reporter.finish();
  CHECK(r.drift.verdict == rd::DriftVerdict::no_drift);
  CHECK(r.drift.records == 60);
  CHECK(r.json["drift"]["basis"] == "labelled_normal");
  CHECK(r.counts.labelled_normal == 60);
  CHECK(r.counts.labelled_anomalous == 60);
}

TEST_CASE("counts: errors, unusable lines, records without a score, decisions, false positives and negatives") {
  rd::ReportOptions o = options_with_model();
  o.threshold = threshold(0.5);
  rd::Reporter reporter(o);
  std::istringstream in(
      "{\"path\":\"a.png\",\"score\":0.9,\"label\":0,\"model\":\"m1\"}\n"   // false positive
      "{\"path\":\"b.png\",\"score\":0.2,\"label\":1,\"model\":\"m1\"}\n"   // false negative
      "{\"path\":\"c.png\",\"score\":0.7,\"label\":1,\"model\":\"m1\"}\n"
      "{\"path\":\"d.png\",\"error\":\"cannot decode\"}\n"
      "{\"path\":\"e.png\",\"score\":\"high\"}\n"
      "{\"path\":\"f.png\"\n");
  reporter.read(in, "run.jsonl");
  const rd::ReportSummary r = reporter.finish();
  CHECK(r.counts.records == 6);
  CHECK(r.counts.scored == 3);
  CHECK(r.counts.errors == 3);
  CHECK(r.counts.anomalous == 2);
  CHECK(r.counts.normal == 1);
  CHECK(r.counts.false_positives == 1);
  CHECK(r.counts.false_negatives == 1);
  CHECK(r.json["threshold"]["value"] == 0.5);
  CHECK(r.json["drift"]["verdict"] == "too_few_records");
}

TEST_CASE("the metrics are rd-eval's, on the same records") {
  std::ostringstream lines;
  lines << "{\"score\": 0.5, \"label\": 1\n";  // a broken line: both count it as skipped
  std::mt19937 rng(4);
  for (int i = 0; i < 30; ++i)
    lines << nlohmann::json{{"score", normal_scores(rng, 1, i < 20 ? 0.3 : 0.4, 0.05)[0]}, {"label", i < 20 ? 0 : 1},
                            {"defect", i < 20 ? "good" : i % 2 ? "crack" : "hole"}}.dump() << "\n";
  std::istringstream for_report(lines.str()), for_eval(lines.str());
  rd::Reporter reporter(rd::ReportOptions{});
  reporter.read(for_report, "run");
  const rd::ReportSummary r = reporter.finish();
  rd::EvalOptions e;
  e.by_defect = true;
  CHECK(r.json["metrics"] == rd::report_to_json(rd::evaluate(for_eval, e)));
  CHECK(r.json["drift"]["verdict"] == "no_validation");
  CHECK(r.json["drift"]["reason"] == "no model given (-m MODEL): no validation scores to compare with");
}

TEST_CASE("without labels there are no metrics, and the summary says why") {
  rd::Reporter reporter(options_with_model());
  reporter.add(scored(0.3), "x");
  const rd::ReportSummary r = reporter.finish();
  CHECK(r.json["metrics"].is_null());
  CHECK(r.json["metrics_reason"] == "the records have no labels");
}

TEST_CASE("records of another model than -m, -t's or each other are refused") {
  rd::Reporter with_model(options_with_model());
  CHECK_THROWS_WITH_AS(with_model.add({{"score", 0.3}, {"model", "m2"}}, "run:3"),
                       "run:3: the record is from model 'm2', but -m 'm1.rdm' is model 'm1'; its validation scores "
                       "say nothing about another model's",
                       rd::UsageError);
  rd::ReportOptions o;
  o.threshold = threshold(0.5, "m2");
  o.threshold_source = "t.json";
  rd::Reporter with_threshold(o);
  CHECK_THROWS_WITH_AS(with_threshold.add(scored(0.3), "run:1"),
                       "run:1: the record is from model 'm1', but threshold file 't.json' was fitted for model 'm2'",
                       rd::UsageError);
  rd::Reporter alone(rd::ReportOptions{});
  alone.add(scored(0.3), "run:1");
  CHECK_THROWS_WITH_AS(alone.add({{"score", 0.3}, {"model", "m2"}}, "run:2"),
                       "records come from two models: 'm1' (run:1) and 'm2' (run:2); make one report per model",
                       rd::UsageError);
  rd::ReportOptions both = options_with_model();
  both.threshold = threshold(0.5, "m2");
  both.threshold_source = "t.json";
  CHECK_THROWS_AS(rd::Reporter{both}, rd::UsageError);
  both.threshold->model_id = "m1";
  both.threshold->pixel = true;
  CHECK_THROWS_WITH_AS(rd::Reporter{both}, doctest::Contains("is a pixel threshold"), rd::UsageError);
}

TEST_CASE("records at another precision get that precision's tolerance") {
  CHECK(rd::precision_tolerance("fp32") == 0);
  CHECK(rd::precision_tolerance("bf16") == 0.01);
  CHECK(rd::precision_tolerance("int8") == 0.04);
  std::mt19937 rng(5);
  rd::ReportOptions o = options_with_model();
  rd::Reporter reporter(o);
  for (double s : normal_scores(rng, 40, 0.30, 0.02)) reporter.add({{"score", s}, {"precision", "bf16"}}, "x");
  const rd::ReportSummary r = reporter.finish();
  CHECK(r.json["drift"]["precision_tolerance"]["bf16"] == 0.01);
  o.precision_tolerance = 0.02;
  rd::Reporter custom(o);
  custom.add({{"score", 0.3}, {"precision", "int8"}}, "x");
  CHECK(custom.finish().json["drift"]["precision_tolerance"]["int8"] == 0.02);
}

TEST_CASE("SOURCE_DATE_EPOCH stands for the time a page was made") {
  {
    rd::test::ScopedEnv epoch("SOURCE_DATE_EPOCH", "86400");
    CHECK(rd::detail::utc_timestamp() == "1970-01-02T00:00:00Z");
  }
  CHECK(rd::detail::utc_timestamp().size() == 20);
}
