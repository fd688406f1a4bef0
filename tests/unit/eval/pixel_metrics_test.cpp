#include "eval/pixel_metrics.h"

#include <array>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "errors.h"
#include "support.h"

namespace {

constexpr double kTolerance = 1e-9;


// A 4x6 image with two regions of 2 pixels: A (top left) scores 0.9 and is fully detected at
// 0.9; B (bottom right) scores 0.5 and 0.2. One normal pixel scores 0.6, the other 19 score 0.1.
void add_two_region_image(rd::PixelMetrics& pm) {
  // clang-format off
  const std::vector<float> map{0.9f, 0.9f, 0.1f, 0.1f, 0.1f, 0.1f,
                               0.1f, 0.1f, 0.6f, 0.1f, 0.1f, 0.1f,
                               0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f,
                               0.1f, 0.1f, 0.1f, 0.1f, 0.5f, 0.2f};
  const std::vector<std::uint8_t> mask{1, 1, 0, 0, 0, 0,
                                       0, 0, 0, 0, 0, 0,
                                       0, 0, 0, 0, 0, 0,
                                       0, 0, 0, 0, 1, 1};
  // clang-format on
  pm.add(map.data(), mask.data(), 4, 6);
}

}  // namespace

TEST_CASE("pro_curve_of_two_hand_built_regions") {
  rd::PixelMetrics pm;
  add_two_region_image(pm);
  CHECK(pm.regions() == 2);
  const auto curve = pm.pro_curve(0);
  // (FPR, PRO): A detected at 0.9; the 0.6 normal pixel; half of B at 0.5; all of B at 0.2.
  const std::vector<std::array<double, 3>> expected{
      {0, 0.5, 0.9f}, {0.05, 0.5, 0.6f}, {0.05, 0.75, 0.5f}, {0.05, 1, 0.2f}, {1, 1, 0.1f}};
  REQUIRE(curve.size() == expected.size() + 1);
  CHECK(std::isinf(curve[0].threshold));
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(curve[i + 1].x == doctest::Approx(expected[i][0]));
    CHECK(curve[i + 1].y == doctest::Approx(expected[i][1]));
    CHECK(curve[i + 1].threshold == expected[i][2]);
  }
}

TEST_CASE("aupro_of_two_hand_built_regions") {
  rd::PixelMetrics pm;
  add_two_region_image(pm);
  // Area to FPR 0.3: 0.05 * 0.5 (A only) + (0.3 - 0.05) * 1 (B complete) = 0.275.
  CHECK(pm.aupro() == doctest::Approx(0.275 / 0.3).epsilon(1e-12));
  // Positive-negative pairs won: 20 + 20 + 19 + 19 of 4 * 20.
  CHECK(pm.pixel_auroc() == doctest::Approx(78.0 / 80).epsilon(1e-12));
  // RD4AD: every threshold below 0.6 has FPR 0.05 (rescaled to 1), above it 0, and PRO is 0.5
  // on both sides of that step: area 1 * 0.5.
  CHECK(pm.aupro_rd4ad() == doctest::Approx(0.5).epsilon(1e-12));
}

TEST_CASE("aupro_counts_normal_pixels_of_all_images_jointly") {
  rd::PixelMetrics pm;
  add_two_region_image(pm);
  std::vector<float> map(24, 0.1f);
  map[7] = 0.95f;  // A false positive above everything in the first image.
  const std::vector<std::uint8_t> mask(24, 0);
  pm.add(map.data(), mask.data(), 4, 6);
  // 44 normal pixels: (1/44, 0) -> (1/44, 0.5) -> (2/44, 0.5) -> (2/44, 1) -> (1, 1).
  // Area: 0.5/44 + (0.3 - 2/44) = 0.3 - 1.5/44; divided by 0.3: 1 - 5/44.
  CHECK(pm.aupro() == doctest::Approx(39.0 / 44).epsilon(1e-12));
  CHECK(pm.aupro_rd4ad() == doctest::Approx(0.5).epsilon(1e-12));  // Anomalous images only.
  CHECK(pm.images() == 2);
  CHECK(pm.pixels() == 48);
  CHECK(pm.anomalous_pixels() == 4);
}

TEST_CASE("regions_are_8_connected") {
  const std::vector<float> map(9, 0.5f);
  const std::vector<std::uint8_t> mask{1, 0, 0,  //
                                       0, 1, 0,  //
                                       0, 0, 0};
  rd::PixelMetrics pm;
  pm.add(map.data(), mask.data(), 3, 3);
  CHECK(pm.regions() == 1);
}

TEST_CASE("add_accepts_cv_mats_including_non_continuous_ones") {
  cv::Mat big_map(6, 8, CV_32FC1, cv::Scalar(0.25f));
  cv::Mat big_mask(6, 8, CV_8UC1, cv::Scalar(0));
  big_mask(cv::Rect(2, 2, 2, 2)).setTo(1);
  big_map(cv::Rect(2, 2, 2, 2)).setTo(0.75f);
  rd::PixelMetrics pm;
  pm.add(big_map(cv::Rect(1, 1, 5, 4)), big_mask(cv::Rect(1, 1, 5, 4)));
  CHECK(pm.pixels() == 20);
  CHECK(pm.anomalous_pixels() == 4);
  CHECK(pm.pixel_auroc() == 1.0);
  CHECK(pm.aupro() == 1.0);
}

TEST_CASE("add_refuses_bad_maps_and_masks_and_keeps_nothing") {
  rd::PixelMetrics pm;
  const std::vector<float> map{0.1f, 0.2f, std::nanf(""), 0.4f};
  const std::vector<std::uint8_t> mask{0, 1, 0, 0};
  CHECK_THROWS_WITH_AS(pm.add(map.data(), mask.data(), 2, 2),
                       "anomaly map value at row 1, column 0 is nan", rd::InputError);
  const std::vector<float> good{0.1f, 0.2f, 0.3f, 0.4f};
  const std::vector<std::uint8_t> mask255{0, 255, 0, 0};
  CHECK_THROWS_WITH_AS(pm.add(good.data(), mask255.data(), 2, 2),
                       "mask value 255 at row 0, column 1; expected 0 or 1 (binarise the mask "
                       "first)",
                       rd::InputError);
  CHECK_THROWS_AS(pm.add(cv::Mat(2, 2, CV_32FC1), cv::Mat(2, 3, CV_8UC1)), rd::InputError);
  CHECK_THROWS_AS(pm.add(cv::Mat(2, 2, CV_64FC1), cv::Mat(2, 2, CV_8UC1)), rd::InputError);
  CHECK(pm.pixels() == 0);
  CHECK(pm.images() == 0);
}

TEST_CASE("pixel_metrics_refuse_undefined_cases") {
  rd::PixelMetrics pm;
  const std::vector<float> map{0.1f, 0.2f, 0.3f, 0.4f};
  const std::vector<std::uint8_t> normal(4, 0);
  pm.add(map.data(), normal.data(), 2, 2);
  CHECK_THROWS_AS(pm.pixel_auroc(), rd::InputError);
  CHECK_THROWS_WITH_AS(pm.aupro(),
                       "no ground-truth regions in any mask; AUPRO needs anomalous pixels",
                       rd::InputError);
  CHECK_THROWS_AS(pm.aupro_rd4ad(), rd::InputError);
  CHECK_THROWS_AS(pm.aupro(0), rd::UsageError);
  CHECK_THROWS_AS(pm.aupro(1.5), rd::UsageError);

  rd::PixelMetrics constant;
  const std::vector<float> flat(4, 0.5f);
  const std::vector<std::uint8_t> one{1, 0, 0, 0};
  constant.add(flat.data(), one.data(), 2, 2);
  CHECK_THROWS_WITH_AS(constant.aupro_rd4ad(), "image 0: the anomaly map is constant (0.5)",
                       rd::InputError);
}

TEST_CASE("thinned_curves_keep_both_ends_and_few_points") {
  const nlohmann::json fixture = rd::test::json_fixture("metrics_pixel.json");
  rd::PixelMetrics pm;
  for (const auto& image : fixture["cases"][0]["images"]) {
    const auto map = image["map"].get<std::vector<float>>();
    const auto mask = image["mask"].get<std::vector<std::uint8_t>>();
    pm.add(map.data(), mask.data(), image["height"].get<int>(), image["width"].get<int>());
  }
  for (const auto& curve : {pm.pro_curve(20), pm.roc_curve(20)}) {
    CHECK(curve.size() <= 42);
    CHECK(curve.size() >= 10);
    CHECK(curve.front().x == 0);
    CHECK(curve.back().x == 1);
    CHECK(curve.back().y == doctest::Approx(1));
  }
  CHECK(pm.pro_curve(0).size() > 1000);
  // 8 bytes per pixel plus bookkeeping.
  CHECK(pm.bytes() >= 8 * pm.pixels());
  CHECK(pm.bytes() < 8 * pm.pixels() + 4096);
}

TEST_CASE("pixel_metrics_equal_sklearn_and_independent_aupro_on_reference_cases") {
  const nlohmann::json fixture = rd::test::json_fixture("metrics_pixel.json");
  REQUIRE(fixture["cases"].size() >= 3);
  for (const auto& c : fixture["cases"]) {
    CAPTURE(c["name"].get<std::string>());
    rd::PixelMetrics pm;
    for (const auto& image : c["images"]) {
      const auto map = image["map"].get<std::vector<float>>();
      const auto mask = image["mask"].get<std::vector<std::uint8_t>>();
      pm.add(map.data(), mask.data(), image["height"].get<int>(), image["width"].get<int>());
    }
    CHECK(pm.regions() == c["regions"].get<std::size_t>());
    const rd::PixelSummary s = pm.summary();
    CHECK(std::abs(s.auroc - c["pixel_auroc"].get<double>()) < kTolerance);
    CHECK(std::abs(s.average_precision - c["pixel_average_precision"].get<double>()) < kTolerance);
    CHECK(std::abs(s.f1.f1 - c["pixel_f1"]["f1"].get<double>()) < kTolerance);
    CHECK(s.f1.threshold == c["pixel_f1"]["threshold"].get<double>());
    CHECK(std::abs(pm.aupro() - c["aupro"].get<double>()) < kTolerance);
    CHECK(std::abs(pm.aupro(1.0) - c["aupro_limit_1"].get<double>()) < kTolerance);
    CHECK(std::abs(pm.aupro_rd4ad() - c["aupro_rd4ad"].get<double>()) < kTolerance);
  }
}
