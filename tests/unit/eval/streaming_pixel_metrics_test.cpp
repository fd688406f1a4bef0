#include "eval/streaming_pixel_metrics.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "errors.h"
#include "eval/pixel_metrics.h"
#include "support.h"

namespace {

// The promise: streamed metrics within 1e-4 of the exact ones on any input.
constexpr double kPromise = 1e-4;

struct Image {
  int height, width;
  std::vector<float> map;
  std::vector<std::uint8_t> mask;
};

struct Streamed {
  double auroc, ap, aupro, aupro_rd4ad, bound;
  int passes;
};

// Runs passes over the images until the accumulator is done, as rd-eval does over map files.
Streamed stream(const std::vector<Image>& images, double limit = 0.3, bool rd4ad = true) {
  rd::StreamingPixelMetrics s(limit, rd4ad);
  do {
    for (const Image& i : images) s.add(i.map.data(), i.mask.data(), i.height, i.width);
  } while (s.finish_pass());
  return {s.pixel_auroc(), s.average_precision(), s.aupro(), rd4ad ? s.aupro_rd4ad() : 0, s.error_bound(),
          s.passes()};
}

void check_against_exact(const std::vector<Image>& images, bool rd4ad = true) {
  rd::PixelMetrics exact;
  for (const Image& i : images) exact.add(i.map.data(), i.mask.data(), i.height, i.width);
  const Streamed s = stream(images, 0.3, rd4ad);
  CAPTURE(s.passes);
  CHECK(s.bound <= rd::StreamingPixelMetrics::kDefaultTolerance);
  const rd::PixelSummary e = exact.summary();
  CHECK(std::abs(s.auroc - e.auroc) <= kPromise);
  CHECK(std::abs(s.ap - e.average_precision) <= kPromise);
  CHECK(std::abs(s.aupro - exact.aupro()) <= kPromise);
  if (rd4ad) CHECK(std::abs(s.aupro_rd4ad - exact.aupro_rd4ad()) < 1e-12);  // per image: the same code
}

// Square blobs as regions, and maps drawn by `score(row, col, anomalous)`.
template <class Score>
std::vector<Image> make_images(int count, int side, Score&& score) {
  std::vector<Image> images;
  for (int k = 0; k < count; ++k) {
    Image im{side, side, std::vector<float>(std::size_t(side * side)), std::vector<std::uint8_t>(std::size_t(side * side))};
    for (int r = 0; r < side; ++r)
      for (int c = 0; c < side; ++c) {
        // Every other image has two regions, one of them a single pixel.
        const bool anomalous = k % 2 == 1 && ((r >= 3 && r < 9 && c >= 4 && c < 12) || (r == side - 2 && c == 2));
        im.mask[std::size_t(r * side + c)] = anomalous;
        im.map[std::size_t(r * side + c)] = score(r, c, anomalous);
      }
    images.push_back(std::move(im));
  }
  return images;
}

}  // namespace

TEST_CASE("streamed_metrics_equal_sklearn_on_the_reference_cases") {
  const nlohmann::json fixture = rd::test::json_fixture("metrics_pixel.json");
  for (const auto& c : fixture["cases"]) {
    CAPTURE(c["name"].get<std::string>());
    std::vector<Image> images;
    for (const auto& image : c["images"])
      images.push_back({image["height"].get<int>(), image["width"].get<int>(), image["map"].get<std::vector<float>>(),
                        image["mask"].get<std::vector<std::uint8_t>>()});
    const Streamed s = stream(images);
    CHECK(std::abs(s.auroc - c["pixel_auroc"].get<double>()) <= kPromise);
    CHECK(std::abs(s.ap - c["pixel_average_precision"].get<double>()) <= kPromise);
    CHECK(std::abs(s.aupro - c["aupro"].get<double>()) <= kPromise);
    CHECK(std::abs(stream(images, 1.0).aupro - c["aupro_limit_1"].get<double>()) <= kPromise);
  }
}

TEST_CASE("streamed_metrics_equal_exact_on_random_maps") {
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0, 1);
  check_against_exact(make_images(6, 24, [&](int, int, bool a) { return noise(rng) + (a ? 1.5f : 0.0f); }));
}

TEST_CASE("streamed_metrics_equal_exact_when_both_classes_share_a_few_float_steps") {
  // Every score is one of 40 adjacent floats above 0.5: all fall into one first-level bin, and
  // the classes overlap, so only splitting down to single scores can give the exact answer.
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> step(0, 39);
  auto near_half = [&](int, int, bool a) {
    float v = 0.5f;
    for (int k = step(rng) + (a ? 8 : 0); k > 0; --k) v = std::nextafter(v, 1.0f);
    return v;
  };
  const auto images = make_images(6, 24, near_half);
  check_against_exact(images);
  CHECK(stream(images).passes == 3);
}

TEST_CASE("streamed_metrics_equal_exact_on_ties_constant_maps_and_signed_zeros") {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> tenth(0, 10);
  SUBCASE("scores rounded to tenths") {
    check_against_exact(make_images(6, 20, [&](int, int, bool a) { return 0.1f * float(tenth(rng) + (a ? 3 : 0)); }));
  }
  SUBCASE("one constant map for everything") {
    auto images = make_images(4, 16, [](int, int, bool) { return 0.25f; });
    rd::StreamingPixelMetrics s(0.3);
    do {
      for (const Image& i : images) s.add(i.map.data(), i.mask.data(), i.height, i.width);
    } while (s.finish_pass());
    CHECK(s.pixel_auroc() == 0.5);
    CHECK(s.error_bound() == 0);
  }
  SUBCASE("negative scores, -0 and +0") {
    std::uniform_int_distribution<int> pick(0, 3);
    const float values[] = {-0.0f, 0.0f, -1.5f, 2.0f};
    check_against_exact(make_images(6, 16, [&](int r, int, bool a) { return a && r % 2 ? 2.0f : values[pick(rng)]; }));
  }
}

TEST_CASE("streamed_ap_is_refined_where_positives_follow_negatives_in_one_bin") {
  // One normal pixel on top, then thousands of anomalous pixels on distinct scores in the same
  // first-level bin: precision climbs inside the bin, which a bin total would miss by ~0.1.
  std::vector<Image> images{{1, 2001, std::vector<float>(2001), std::vector<std::uint8_t>(2001, 1)}};
  Image& im = images[0];
  float v = 1.0f;
  for (int i = 0; i < 2001; ++i) {
    im.map[std::size_t(i)] = v;
    v = std::nextafter(v, 0.0f);
  }
  im.mask[0] = 0;
  im.mask[1000] = 0;
  check_against_exact(images, false);  // the paper's PRO is undefined here (no FPR below 0.3)
  CHECK(stream(images, 0.3, false).passes > 1);
}

TEST_CASE("streamed_metrics_refuse_what_the_exact_ones_refuse") {
  rd::StreamingPixelMetrics s(0.3);
  const std::vector<float> map{0.1f, 0.2f, std::nanf(""), 0.4f};
  const std::vector<std::uint8_t> mask{0, 1, 0, 0};
  CHECK_THROWS_WITH_AS(s.add(map.data(), mask.data(), 2, 2), "anomaly map value at row 1, column 0 is nan",
                       rd::InputError);
  const std::vector<float> good{0.1f, 0.2f, 0.3f, 0.4f};
  const std::vector<std::uint8_t> normal(4, 0);
  s.add(good.data(), normal.data(), 2, 2);
  CHECK_FALSE(s.finish_pass());
  CHECK(s.pixels() == 4);
  CHECK_THROWS_AS(s.pixel_auroc(), rd::InputError);
  CHECK_THROWS_WITH_AS(s.aupro(), "no ground-truth regions in any mask; AUPRO needs anomalous pixels",
                       rd::InputError);
}

TEST_CASE("a_later_pass_over_other_maps_is_an_error") {
  rd::StreamingPixelMetrics s(0.3);
  const std::vector<float> map{0.5f, 0.5f, 0.5f, 0.5f};
  const std::vector<std::uint8_t> mask{1, 0, 0, 0};
  s.add(map.data(), mask.data(), 2, 2);
  REQUIRE(s.finish_pass());  // one bin holds both classes: it must be split
  s.add(map.data(), mask.data(), 1, 2);
  CHECK_THROWS_AS(s.finish_pass(), rd::InputError);
}
