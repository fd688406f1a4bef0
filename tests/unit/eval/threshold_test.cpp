#include "eval/threshold.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "errors.h"
#include "eval/metrics.h"
#include "support.h"

namespace {


// A file name in the temporary directory, unique to this process; removed on destruction.
struct TempFile {
  explicit TempFile(const std::string& stem)
      : path(std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/rd_" + stem +
             "_" + std::to_string(getpid()) + ".json") {}
  ~TempFile() { std::remove(path.c_str()); }
  void write(const std::string& text) const { std::ofstream(path) << text; }
  std::string path;
};

// How many scores the rule flags.
std::size_t flagged(const std::vector<double>& scores, double threshold) {
  std::size_t n = 0;
  for (double s : scores) n += rd::is_anomalous(s, threshold);
  return n;
}

}  // namespace

TEST_CASE("parse_threshold_method_accepts_the_four_forms_and_canonicalises") {
  CHECK(rd::parse_threshold_method("percentile:99.50").text() == "percentile:99.5");
  CHECK(rd::parse_threshold_method("percentile:100").parameter == 100);
  CHECK(rd::parse_threshold_method("sigma:3").kind == rd::ThresholdMethodKind::sigma);
  CHECK(rd::parse_threshold_method("sigma:-0.5").text() == "sigma:-0.5");
  CHECK(rd::parse_threshold_method("fpr:0.01").text() == "fpr:0.01");
  CHECK(rd::parse_threshold_method("f1").kind == rd::ThresholdMethodKind::f1);
}

TEST_CASE("parse_threshold_method_refuses_bad_text_with_usage_error") {
  CHECK_THROWS_WITH_AS(rd::parse_threshold_method("percentile:101"),
                       "bad threshold method 'percentile:101': percentile outside 0-100; "
                       "expected percentile:P (0-100), sigma:K, fpr:F (0 <= F < 1) or f1",
                       rd::UsageError);
  for (const char* bad : {"sigma:x", "foo", "fpr:1", "fpr:-0.1", "percentile:", "percentile",
                          "f1:3", "percentile: 5", "sigma:nan", "sigma:inf", "", "Percentile:5"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(rd::parse_threshold_method(bad), rd::UsageError);
  }
}

TEST_CASE("fit_threshold_equals_numpy_on_reference_cases") {
  const nlohmann::json fixture = rd::test::json_fixture("metrics_threshold.json");
  for (const auto& c : fixture["cases"]) {
    CAPTURE(c["name"].get<std::string>());
    const auto scores = c["scores"].get<std::vector<double>>();
    for (const auto& [p, value] : c["percentile"].get<std::vector<std::pair<double, double>>>()) {
      CAPTURE(p);
      const rd::ThresholdFit fit =
          rd::fit_threshold(rd::ThresholdMethod{rd::ThresholdMethodKind::percentile, p}, scores);
      CHECK(std::abs(fit.value - value) < 1e-9);
      CHECK(fit.count == scores.size());
    }
    for (const auto& [k, value] : c["sigma"].get<std::vector<std::pair<double, double>>>()) {
      CAPTURE(k);
      const rd::ThresholdFit fit =
          rd::fit_threshold(rd::ThresholdMethod{rd::ThresholdMethodKind::sigma, k}, scores);
      CHECK(std::abs(fit.value - value) < 1e-9);
    }
    for (const auto& [f, value] : c["fpr"].get<std::vector<std::pair<double, double>>>()) {
      CAPTURE(f);
      const rd::ThresholdFit fit =
          rd::fit_threshold(rd::ThresholdMethod{rd::ThresholdMethodKind::fpr, f}, scores);
      CHECK(fit.value == value);  // Exact: both are the next double above one score.
    }
  }
}

TEST_CASE("fpr_threshold_is_the_lowest_that_flags_at_most_the_fraction") {
  const std::vector<double> scores{3.0, 1.0, 2.0, 2.0, 5.0, 4.0, 0.5, 2.5, 1.5, 0.0};
  for (double f : {0.0, 0.1, 0.25, 0.3, 0.5, 0.9}) {
    CAPTURE(f);
    const double t = rd::fit_threshold("fpr:" + std::to_string(f), scores).value;
    CHECK(double(flagged(scores, t)) / scores.size() <= f);
    const double lower = std::nextafter(t, -std::numeric_limits<double>::infinity());
    CHECK(double(flagged(scores, lower)) / scores.size() > f);
  }
  CHECK(rd::fit_threshold("fpr:0", scores).value == std::nextafter(5.0, 6.0));
}

TEST_CASE("f1_threshold_is_the_f1_max_threshold_and_needs_every_label") {
  const std::vector<double> scores{0.9, 0.8, 0.7, 0.1};
  const std::vector<int> labels{1, 0, 1, 0};
  const rd::ThresholdFit fit = rd::fit_threshold("f1", scores, labels);
  CHECK(fit.value == rd::f1_max(scores, labels).threshold);
  CHECK(fit.count == 4);
  CHECK(flagged(scores, fit.value) == 3);  // >= keeps the F1 the threshold was chosen for.
  CHECK_THROWS_WITH_AS(rd::fit_threshold("f1", scores, {1, 0, rd::kNoLabel, 0}),
                       "score at index 2 has no label; this needs labelled scores", rd::InputError);
  CHECK_THROWS_AS(rd::fit_threshold("f1", scores), rd::InputError);
  CHECK_THROWS_AS(rd::fit_threshold("f1", scores, {0, 0, 0, 0}), rd::InputError);
}

TEST_CASE("normal_methods_leave_out_anomalous_scores_and_refuse_empty_input") {
  const rd::ThresholdFit fit =
      rd::fit_threshold("percentile:100", {1.0, 9.0, 2.0, 3.0}, {0, 1, rd::kNoLabel, 0});
  CHECK(fit.value == 3.0);
  CHECK(fit.count == 3);
  CHECK_THROWS_AS(rd::fit_threshold("sigma:3", {}), rd::InputError);
  CHECK_THROWS_AS(rd::fit_threshold("sigma:3", {1.0}, {1}), rd::InputError);
  CHECK_THROWS_AS(rd::fit_threshold("sigma:3", {1.0, std::nan("")}), rd::InputError);
  CHECK_THROWS_AS(rd::fit_threshold("sigma:3", {1.0, 2.0}, {0}), rd::InputError);
  CHECK_THROWS_AS(rd::fit_threshold("bogus", {1.0}), rd::UsageError);
  CHECK(rd::fit_threshold("sigma:2", {5.0}).value == 5.0);  // One score: std 0.
}

TEST_CASE("is_anomalous_includes_the_threshold_itself") {
  CHECK(rd::is_anomalous(0.5, 0.5));
  CHECK(rd::is_anomalous(0.6, 0.5));
  CHECK_FALSE(rd::is_anomalous(0.4, 0.5));
  CHECK_FALSE(rd::is_anomalous(std::nan(""), 0.5));
}

TEST_CASE("threshold_file_round_trips_exactly") {
  rd::ThresholdFit fit = rd::fit_threshold("fpr:0.2", {0.1, 0.7312, 0.4, 0.2, 0.3});
  fit.model_id = "sha256:0123abcd";
  fit.pixel = true;
  const TempFile file("roundtrip");
  rd::write_threshold_file(file.path, fit);
  const rd::ThresholdFit back = rd::read_threshold_file(file.path);
  CHECK(back.method == "fpr:0.2");
  CHECK(back.value == fit.value);  // Bit for bit, though it is nextafter(0.4).
  CHECK(back.count == 5);
  CHECK(back.model_id == fit.model_id);
  CHECK(back.pixel);
  CHECK(back.created == fit.created);
  CHECK(back.created.size() == 20);  // 2024-05-01T12:00:00Z

  const nlohmann::json j = rd::threshold_to_json(fit);
  CHECK(j["kind"] == "rd-threshold");
  CHECK(j["version"] == 1);
  fit.model_id.reset();
  CHECK(rd::threshold_to_json(fit)["model"].is_null());
  CHECK_FALSE(rd::threshold_from_json(rd::threshold_to_json(fit), "x").model_id);
}

TEST_CASE("write_threshold_file_reports_an_unwritable_path") {
  CHECK_THROWS_AS(rd::write_threshold_file("/nonexistent-dir/t.json", rd::ThresholdFit{}),
                  rd::RuntimeFailure);
}

TEST_CASE("threshold_loader_refuses_garbage_naming_the_file") {
  const TempFile file("garbage");
  file.write("not json at all");
  CHECK_THROWS_WITH_AS(rd::read_threshold_file(file.path), (file.path + ": not valid JSON").c_str(),
                       rd::FormatError);
  CHECK_THROWS_AS(rd::read_threshold_file(file.path + ".missing"), rd::UsageError);

  nlohmann::json good = rd::threshold_to_json(rd::fit_threshold("sigma:3", {1.0, 2.0}));
  CHECK_NOTHROW(rd::threshold_from_json(good, "t.json"));
  auto broken = [&](const char* key, nlohmann::json value) {
    nlohmann::json j = good;
    if (value.is_discarded()) {
      j.erase(key);
    } else {
      j[key] = value;
    }
    return j;
  };
  CHECK_THROWS_WITH_AS(rd::threshold_from_json(broken("kind", "rd-model"), "t.json"),
                       "t.json: not an rd threshold file (no \"kind\": \"rd-threshold\")",
                       rd::FormatError);
  CHECK_THROWS_WITH_AS(rd::threshold_from_json(broken("version", 2), "t.json"),
                       "t.json: threshold file version 2 is not supported (this rd reads 1)",
                       rd::FormatError);
  CHECK_THROWS_WITH_AS(rd::threshold_from_json(broken("value", "high"), "t.json"),
                       "t.json: field 'value' must be a finite number", rd::FormatError);
  const nlohmann::json gone(nlohmann::json::value_t::discarded);
  for (const char* key : {"version", "method", "value", "count", "model", "pixel", "created"}) {
    CAPTURE(key);
    CHECK_THROWS_AS(rd::threshold_from_json(broken(key, gone), "t.json"), rd::FormatError);
  }
  CHECK_THROWS_AS(rd::threshold_from_json(broken("method", "median"), "t.json"), rd::FormatError);
  CHECK_THROWS_AS(rd::threshold_from_json(broken("count", -3), "t.json"), rd::FormatError);
  CHECK_THROWS_AS(rd::threshold_from_json(broken("model", {{"id", 7}}), "t.json"), rd::FormatError);
  CHECK_THROWS_AS(rd::threshold_from_json(nlohmann::json::array(), "t.json"), rd::FormatError);
}

TEST_CASE("check_threshold_model_refuses_another_models_threshold") {
  rd::ThresholdFit fit;
  fit.model_id = "abc";
  CHECK_NOTHROW(rd::check_threshold_model(fit, std::string("abc"), "t.json"));
  CHECK_NOTHROW(rd::check_threshold_model(fit, std::nullopt, "t.json"));
  CHECK_THROWS_WITH_AS(rd::check_threshold_model(fit, std::string("def"), "t.json"),
                       "t.json: threshold was fitted for model 'abc', not 'def'", rd::UsageError);
  fit.model_id.reset();
  CHECK_NOTHROW(rd::check_threshold_model(fit, std::string("def"), "t.json"));
}

TEST_CASE("threshold_files_record_their_precision_and_older_files_read_as_fp32") {
  rd::ThresholdFit fit = rd::fit_threshold("sigma:3", {1.0, 2.0});
  CHECK(fit.precision == "fp32");
  fit.precision = "bf16";
  nlohmann::json j = rd::threshold_to_json(fit);
  CHECK(j["precision"] == "bf16");
  CHECK(rd::threshold_from_json(j, "t.json").precision == "bf16");
  j.erase("precision");  // a file written before precisions existed
  CHECK(rd::threshold_from_json(j, "t.json").precision == "fp32");
  j["precision"] = "int4";
  CHECK_THROWS_WITH_AS(rd::threshold_from_json(j, "t.json"),
                       "t.json: field 'precision' must be \"fp32\", \"bf16\" or \"int8\"", rd::FormatError);
}
