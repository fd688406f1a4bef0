#include "eval/threshold_tool.h"

#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "errors.h"
#include "eval/metrics.h"
#include "eval/pixel_metrics.h"
#include "io/npy.h"
#include "support.h"

namespace {

rd::FitResult fit(const std::string& method, const std::string& jsonl, std::vector<std::string>* warnings = nullptr,
                  bool pixel = false, std::optional<std::string> model = std::nullopt) {
  rd::FitOptions o;
  o.method = rd::parse_threshold_method(method);
  o.pixel = pixel;
  o.model_id = std::move(model);
  rd::ThresholdFitter fitter(o, [&](const std::string& m) {
    if (warnings) warnings->push_back(m);
  });
  std::istringstream in(jsonl);
  fitter.read(in, "r.jsonl");
  return fitter.finish();
}

struct Applied {
  std::vector<std::string> lines;
  rd::ApplyCounts counts;
  int idle = 0;
};

Applied apply(const std::string& jsonl, rd::ApplyOptions o) {
  Applied a;
  rd::ThresholdApplier applier(std::move(o));
  std::istringstream in(jsonl);
  applier.apply(
      in, "r.jsonl", [&](const rd::RecordFields& r) { a.lines.push_back(rd::to_json_line(r)); }, [&] { ++a.idle; });
  a.counts = applier.counts();
  return a;
}

rd::ApplyOptions threshold(double value, std::optional<std::string> model = "m1") {
  rd::ApplyOptions o;
  o.threshold.method = "f1";
  o.threshold.value = value;
  o.threshold.model_id = std::move(model);
  o.threshold_source = "t.json";
  return o;
}

const char* kScores =
    "{\"score\": 1.0, \"model\": \"m1\"}\n"
    "{\"score\": 3.0, \"label\": 0, \"model\": \"m1\"}\n"
    "{\"score\": 2.0, \"label\": null}\n"
    "{\"score\": 9.0, \"label\": 1, \"model\": \"m1\"}\n"
    "{\"path\": \"e.png\", \"error\": \"bad\", \"model\": \"m1\"}\n";

}  // namespace

TEST_CASE("percentile_fits_on_the_normal_and_unlabelled_scores_and_names_the_records_model") {
  std::vector<std::string> warnings;
  const rd::FitResult r = fit("percentile:50", kScores, &warnings);
  CHECK(r.fit.value == 2.0);
  CHECK(r.fit.count == 3);
  CHECK(r.fit.method == "percentile:50");
  CHECK(r.fit.model_id == std::optional<std::string>("m1"));
  CHECK_FALSE(r.fit.pixel);
  CHECK(r.counts.records == 5);
  CHECK(r.counts.used == 3);
  CHECK(r.counts.skipped_anomalous == 1);
  CHECK(r.counts.skipped_error == 1);
  CHECK(warnings == std::vector<std::string>{
                        "1 records carry an \"error\" (failed before fitting); they are counted, not used"});
}

TEST_CASE("f1_fits_on_labelled_scores_and_skips_unlabelled_ones") {
  const rd::FitResult r = fit("f1", kScores);
  CHECK(r.fit.value == rd::f1_max({3.0, 9.0}, {0, 1}).threshold);
  CHECK(r.counts.skipped_unlabelled == 2);
  CHECK(r.fit.count == 2);
}

TEST_CASE("a_model_given_by_the_caller_wins_and_records_of_another_model_are_refused") {
  CHECK(fit("sigma:1", "{\"score\": 1}\n", nullptr, false, "m9").fit.model_id == std::optional<std::string>("m9"));
  CHECK_THROWS_WITH_AS(fit("sigma:1", kScores, nullptr, false, "m9"),
                       "r.jsonl:1: record is from model 'm1', but -m names model 'm9'", rd::UsageError);
  CHECK_THROWS_WITH_AS(fit("sigma:1", "{\"score\": 1, \"model\": \"a\"}\n{\"score\": 1, \"model\": {\"id\": \"b\"}}\n"),
                       "records come from two models: 'a' (r.jsonl:1) and 'b' (r.jsonl:2)", rd::UsageError);
  CHECK_FALSE(fit("sigma:1", "{\"score\": 1}\n").fit.model_id);
}

TEST_CASE("nothing_to_fit_on_or_a_single_class_for_f1_is_a_usage_error") {
  CHECK_THROWS_WITH_AS(fit("percentile:50", "{\"score\": 1, \"label\": 1}\n{\"error\": \"x\"}\n"),
                       "nothing to fit on: no usable scores among 2 records (1 with an error, 0 unlabelled, 1 "
                       "anomalous)",
                       rd::UsageError);
  CHECK_THROWS_AS(fit("f1", "{\"score\": 1, \"label\": 0}\n{\"score\": 2, \"label\": 0}\n"), rd::UsageError);
}

TEST_CASE("bad_records_are_skipped_with_a_warning_naming_the_line") {
  std::vector<std::string> warnings;
  const rd::FitResult r = fit("percentile:100", "{\"score\": 1}\n{\"label\": 0}\n{\"score\": \"x\"}\n{\"score\"\n",
                              &warnings);
  CHECK(r.fit.value == 1);
  CHECK(r.counts.skipped_error == 3);
  REQUIRE(warnings.size() == 3);
  CHECK(warnings[0] == "r.jsonl:2: no \"score\"; record skipped");
  CHECK(warnings[1] == "r.jsonl:3: \"score\" is not a number; record skipped");
  CHECK(warnings[2].rfind("r.jsonl:4: invalid JSON", 0) == 0);
}

TEST_CASE("pixel_fits_use_every_pixel_of_the_normal_maps_or_the_maps_and_masks_for_f1") {
  const std::string dir = rd::test::scratch_dir("threshold_tool_pixel");
  const std::vector<float> n{1, 2, 3, 4}, a{8, 2, 3, 4};
  rd::write_npy(dir + "/n.npy", n.data(), 2, 2);
  rd::write_npy(dir + "/a.npy", a.data(), 2, 2);
  rd::write_npy(dir + "/mask.npy", std::vector<float>{1, 0, 0, 0}.data(), 2, 2);
  const std::string records = "{\"score\": 4, \"label\": 0, \"map\": \"" + dir + "/n.npy\"}\n" +
                              "{\"score\": 8, \"label\": 1, \"map\": \"" + dir + "/a.npy\", \"mask\": \"" + dir +
                              "/mask.png\"}\n{\"score\": 1, \"label\": 0}\n";
  std::vector<std::string> warnings;
  const rd::FitResult r = fit("percentile:100", records, &warnings, true);
  CHECK(r.fit.value == 4);
  CHECK(r.fit.count == 4);
  CHECK(r.fit.pixel);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "r.jsonl:3: no \"map\" (a pixel threshold is fitted on anomaly maps); record skipped");
  // f1: the mask file does not exist, so the anomalous record is skipped and one class is left.
  CHECK_THROWS_AS(fit("f1", records, nullptr, true), rd::UsageError);
}

TEST_CASE("fit_from_validation_serves_image_methods_from_the_stored_scores") {
  const nlohmann::json meta = {{"validation", {{"scores", {1.0, 2.0, 3.0, 4.0}}}}};
  const rd::ThresholdFit f = rd::fit_from_validation(meta, rd::parse_threshold_method("percentile:50"), false,
                                                     "abc", "m.rdm");
  CHECK(f.value == 2.5);
  CHECK(f.count == 4);
  CHECK(f.model_id == std::optional<std::string>("abc"));
  CHECK(rd::fit_from_validation(meta, rd::parse_threshold_method("fpr:0.25"), false, "abc", "m.rdm").value ==
        rd::fit_threshold("fpr:0.25", {1, 2, 3, 4}).value);
  CHECK_THROWS_WITH_AS(rd::fit_from_validation(meta, rd::parse_threshold_method("f1"), false, "abc", "m.rdm"),
                       "method f1 needs labelled scores; the model stores only normal validation scores",
                       rd::UsageError);
  CHECK_THROWS_WITH_AS(
      rd::fit_from_validation(nlohmann::json::object(), rd::parse_threshold_method("sigma:3"), false, "abc", "m.rdm"),
      "model 'm.rdm' has no validation scores; train with --val", rd::UsageError);
}

TEST_CASE("fit_from_validation_serves_pixel_quantiles_min_max_and_sigma_only") {
  const nlohmann::json meta = {
      {"validation",
       {{"scores", {1.0}},
        {"pixel",
         {{"count", 1000}, {"mean", 0.5}, {"std", 0.25}, {"min", 0.0}, {"max", 2.0},
          {"quantiles", {{"0.5", 0.45}, {"0.9", 0.8}, {"0.95", 0.9}, {"0.99", 1.2}, {"0.995", 1.4}}}}}}}};
  auto pixel = [&](const char* method) {
    return rd::fit_from_validation(meta, rd::parse_threshold_method(method), true, "abc", "m.rdm");
  };
  CHECK(pixel("percentile:99.5").value == 1.4);
  CHECK(pixel("percentile:99.5").count == 1000);
  CHECK(pixel("percentile:99.5").pixel);
  CHECK(pixel("percentile:50").value == 0.45);
  CHECK(pixel("percentile:100").value == 2.0);
  CHECK(pixel("percentile:0").value == 0.0);
  CHECK(pixel("sigma:2").value == 1.0);
  CHECK_THROWS_WITH_AS(pixel("percentile:97"),
                       "model 'm.rdm' stores pixel percentiles 50, 90, 95, 99, 99.5 (and 0, 100) only; for "
                       "percentile:97 fit on records with maps",
                       rd::UsageError);
  CHECK_THROWS_AS(pixel("fpr:0.01"), rd::UsageError);
  CHECK_THROWS_AS(pixel("f1"), rd::UsageError);
}

TEST_CASE("apply_adds_anomalous_and_threshold_at_the_end_and_passes_everything_else_through") {
  const Applied a = apply(
      "{\"score\": 2.5, \"path\": \"a.png\", \"z\": {\"y\": 1, \"b\": 2}, \"model\": \"m1\"}\n"
      "{\"path\": \"b.png\", \"score\": 2}\n"
      "{\"path\": \"c.png\", \"error\": \"cannot decode\"}\n"
      "{\"path\": \"d.png\", \"score\": null}\n"
      "e.png\n"
      "{\"path\":\n",
      threshold(2.5));
  REQUIRE(a.lines.size() == 6);
  CHECK(a.lines[0] ==
        "{\"score\":2.5,\"path\":\"a.png\",\"z\":{\"y\":1,\"b\":2},\"model\":\"m1\",\"anomalous\":true,"
        "\"threshold\":2.5}\n");
  CHECK(a.lines[1] == "{\"path\":\"b.png\",\"score\":2,\"anomalous\":false,\"threshold\":2.5}\n");
  CHECK(a.lines[2] == "{\"path\":\"c.png\",\"error\":\"cannot decode\"}\n");
  CHECK(a.lines[3] == "{\"path\":\"d.png\",\"score\":null,\"error\":\"r.jsonl:4: \\\"score\\\" is not a number\"}\n");
  CHECK(a.lines[4] == "{\"path\":\"e.png\"}\n");
  CHECK(a.lines[5].rfind("{\"error\":\"r.jsonl:6: invalid JSON", 0) == 0);
  CHECK(a.counts.records == 6);
  CHECK(a.counts.decided == 2);
  CHECK(a.counts.anomalous == 1);
  CHECK(a.counts.errors == 3);
  CHECK(a.counts.no_score == 1);
  CHECK(a.idle >= 1);  // at least before the final read
}

TEST_CASE("apply_refuses_records_of_another_model_unless_forced") {
  const std::string records = "{\"score\": 1, \"model\": \"m1\"}\n{\"score\": 3, \"model\": \"m2\"}\n";
  CHECK_THROWS_WITH_AS(apply(records, threshold(2)),
                       "r.jsonl:2: record is from model 'm2', but threshold file 't.json' was fitted for model 'm1' "
                       "(--force applies it anyway)",
                       rd::UsageError);
  rd::ApplyOptions forced = threshold(2);
  forced.force = true;
  CHECK(apply(records, forced).counts.anomalous == 1);
  CHECK(apply(records, threshold(2, std::nullopt)).counts.decided == 2);  // a file naming no model
}

TEST_CASE("apply_refuses_a_model_given_by_the_caller_that_the_threshold_was_not_fitted_for") {
  rd::ApplyOptions o = threshold(2);
  o.model_id = "m2";
  CHECK_THROWS_WITH_AS(rd::ThresholdApplier{o},
                       "t.json: threshold was fitted for model 'm1', not 'm2' (--force applies it anyway)",
                       rd::UsageError);
  o.force = true;
  std::vector<std::string> warnings;
  rd::ThresholdApplier applier(o, [&](const std::string& m) { warnings.push_back(m); });
  CHECK(warnings.size() == 1);
}
