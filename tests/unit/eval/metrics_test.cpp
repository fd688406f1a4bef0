#include "eval/metrics.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "errors.h"
#include "support.h"

namespace {

constexpr double kTolerance = 1e-9;


}  // namespace

TEST_CASE("roc_auc_is_one_for_perfect_separation_and_zero_when_reversed") {
  const std::vector<double> scores{0.1, 0.2, 0.3, 0.7, 0.8};
  CHECK(rd::roc_auc(scores, {0, 0, 0, 1, 1}) == 1.0);
  CHECK(rd::roc_auc(scores, {1, 1, 0, 0, 0}) == 0.0);
}

TEST_CASE("roc_auc_of_all_tied_scores_is_one_half") {
  CHECK(rd::roc_auc({2, 2, 2, 2}, {0, 1, 1, 0}) == 0.5);
}

TEST_CASE("roc_auc_counts_a_tie_between_classes_as_one_half") {
  // Pairs (positive, negative): (0.5, 0.5) tie -> 1/2, (0.5, 0.1) -> 1, (0.9, *) -> 1 each.
  CHECK(rd::roc_auc({0.9, 0.5, 0.5, 0.1}, {1, 1, 0, 0}) == 0.875);
}

TEST_CASE("average_precision_sums_recall_steps_times_precision") {
  // Thresholds 0.9 (P 1, R 1/2), 0.8 (P 1/2, R 1/2), 0.7 (P 2/3, R 1): 1/2*1 + 1/2*2/3.
  CHECK(rd::average_precision({0.9, 0.8, 0.7}, {1, 0, 1}) ==
        doctest::Approx(0.5 + 1.0 / 3).epsilon(1e-15));
}

TEST_CASE("f1_max_reports_threshold_precision_and_recall") {
  const rd::F1Max f1 = rd::f1_max({0.9, 0.8, 0.7, 0.1}, {1, 0, 1, 0});
  CHECK(f1.f1 == doctest::Approx(0.8));  // At 0.7: P 2/3, R 1.
  CHECK(f1.threshold == 0.7);
  CHECK(f1.precision == doctest::Approx(2.0 / 3));
  CHECK(f1.recall == 1.0);
}

TEST_CASE("f1_max_prefers_the_lowest_threshold_among_equal_f1") {
  // At 0.9: tp 1, fp 0 -> 2/(1+0+2) = 2/3. At 0.5: tp 2, fp 2 -> 4/(2+2+2) = 2/3.
  const rd::F1Max f1 = rd::f1_max({0.9, 0.5, 0.5, 0.5, 0.1}, {1, 1, 0, 0, 0});
  CHECK(f1.f1 == doctest::Approx(2.0 / 3));
  CHECK(f1.threshold == 0.5);
}

TEST_CASE("metrics_refuse_a_single_class_instead_of_returning_nan") {
  CHECK_THROWS_WITH_AS(rd::roc_auc({0.1, 0.2}, {0, 0}),
                       "image scores: only one class present (0 anomalous, 2 normal); AUROC, AP "
                       "and F1 need both",
                       rd::InputError);
  CHECK_THROWS_AS(rd::average_precision({0.1, 0.2}, {1, 1}), rd::InputError);
  CHECK_THROWS_AS(rd::f1_max({}, {}), rd::InputError);
  CHECK_THROWS_AS(rd::roc_curve({0.3}, {1}), rd::InputError);
  CHECK_THROWS_AS(rd::pr_curve({0.3}, {0}), rd::InputError);
}

TEST_CASE("metrics_refuse_non_finite_scores_bad_labels_and_length_mismatch") {
  CHECK_THROWS_WITH_AS(rd::roc_auc({0.1, std::nan(""), 0.3}, {0, 1, 1}),
                       "score at index 1 is nan; scores must be finite numbers", rd::InputError);
  const double inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(rd::roc_auc({0.1, inf}, {0, 1}), rd::InputError);
  CHECK_THROWS_WITH_AS(rd::roc_auc({0.1, 0.2}, {0, 2}),
                       "label at index 1 is 2; expected 0 (normal) or 1 (anomalous)",
                       rd::InputError);
  CHECK_THROWS_WITH_AS(rd::roc_auc({0.1, 0.2}, {0, rd::kNoLabel}),
                       "score at index 1 has no label; this needs labelled scores", rd::InputError);
  CHECK_THROWS_WITH_AS(rd::roc_auc({0.1, 0.2}, {0}), "2 scores but 1 labels", rd::InputError);
}

TEST_CASE("roc_curve_has_one_point_per_distinct_score_after_an_infinite_start") {
  const auto curve = rd::roc_curve({0.9, 0.5, 0.5, 0.1}, {1, 1, 0, 0});
  REQUIRE(curve.size() == 4);
  CHECK(curve[0].x == 0);
  CHECK(curve[0].y == 0);
  CHECK(std::isinf(curve[0].threshold));
  CHECK(curve[2].x == 0.5);  // The tie moves the curve diagonally.
  CHECK(curve[2].y == 1.0);
  CHECK(curve[2].threshold == 0.5);
  CHECK(curve[3].x == 1.0);
}

TEST_CASE("image_metrics_counts_classes_and_agrees_with_single_metrics") {
  const std::vector<double> s{0.3, 0.1, 0.8, 0.5, 0.5};
  const std::vector<int> l{0, 0, 1, 1, 0};
  const rd::ImageMetrics m = rd::image_metrics(s, l);
  CHECK(m.normal == 3);
  CHECK(m.anomalous == 2);
  CHECK(m.auroc == rd::roc_auc(s, l));
  CHECK(m.average_precision == rd::average_precision(s, l));
  CHECK(m.f1.threshold == rd::f1_max(s, l).threshold);
}

TEST_CASE("image_metrics_equal_sklearn_on_reference_cases") {
  const nlohmann::json fixture = rd::test::json_fixture("metrics_image.json");
  REQUIRE(fixture["cases"].size() >= 7);
  for (const auto& c : fixture["cases"]) {
    CAPTURE(c["name"].get<std::string>());
    const auto scores = c["scores"].get<std::vector<double>>();
    const auto labels = c["labels"].get<std::vector<int>>();
    const rd::ImageMetrics m = rd::image_metrics(scores, labels);
    CHECK(std::abs(m.auroc - c["roc_auc"].get<double>()) < kTolerance);
    CHECK(std::abs(m.average_precision - c["average_precision"].get<double>()) < kTolerance);
    CHECK(std::abs(m.f1.f1 - c["f1"]["f1"].get<double>()) < kTolerance);
    CHECK(m.f1.threshold == c["f1"]["threshold"].get<double>());
    CHECK(std::abs(m.f1.precision - c["f1"]["precision"].get<double>()) < kTolerance);
    CHECK(std::abs(m.f1.recall - c["f1"]["recall"].get<double>()) < kTolerance);

    const auto roc = rd::roc_curve(scores, labels);
    REQUIRE(roc.size() == c["roc"]["fpr"].size() + 1);
    for (std::size_t i = 1; i < roc.size(); ++i) {
      CHECK(std::abs(roc[i].x - c["roc"]["fpr"][i - 1].get<double>()) < kTolerance);
      CHECK(std::abs(roc[i].y - c["roc"]["tpr"][i - 1].get<double>()) < kTolerance);
      CHECK(roc[i].threshold == c["roc"]["thresholds"][i - 1].get<double>());
    }
    const auto pr = rd::pr_curve(scores, labels);
    REQUIRE(pr.size() == c["pr"]["recall"].size() + 1);
    for (std::size_t i = 1; i < pr.size(); ++i) {
      CHECK(std::abs(pr[i].x - c["pr"]["recall"][i - 1].get<double>()) < kTolerance);
      CHECK(std::abs(pr[i].y - c["pr"]["precision"][i - 1].get<double>()) < kTolerance);
      CHECK(pr[i].threshold == c["pr"]["thresholds"][i - 1].get<double>());
    }
  }
}
