// The tile grid and the stitching of tile maps, on hand-computed cases.
#include <doctest/doctest.h>

#include "errors.h"
#include "score/gaussian.h"
#include "score/tiles.h"

namespace {

std::vector<float> filled(int size, float value) { return std::vector<float>(size_t(size) * size, value); }

}  // namespace

TEST_CASE("tile origins step by the stride and the last tile is shifted inward to the edge") {
  CHECK(rd::tile_starts(1024, 256, 256) == std::vector<int>{0, 256, 512, 768});
  CHECK(rd::tile_starts(1000, 256, 256) == std::vector<int>{0, 256, 512, 744});
  CHECK(rd::tile_starts(1000, 256, 192) == std::vector<int>{0, 192, 384, 576, 744});
  CHECK(rd::tile_starts(1024, 256, 192) == std::vector<int>{0, 192, 384, 576, 768});
  CHECK(rd::tile_starts(256, 256, 128) == std::vector<int>{0});
  CHECK(rd::tile_starts(255, 256, 256).empty());
}

TEST_CASE("the grid covers every pixel and no tile hangs over the edge, multiple of the stride or not") {
  for (int length = 64; length <= 400; length += 7)
    for (int stride : {1, 13, 32, 50, 64}) {
      CAPTURE(length);
      CAPTURE(stride);
      const auto starts = rd::tile_starts(length, 64, stride);
      std::vector<int> covered(length, 0);
      for (int s : starts) {
        REQUIRE(s >= 0);
        REQUIRE(s + 64 <= length);
        for (int i = s; i < s + 64; ++i) ++covered[i];
      }
      CHECK(std::count(covered.begin(), covered.end(), 0) == 0);
      for (size_t i = 1; i < starts.size(); ++i) CHECK(starts[i] - starts[i - 1] <= stride);
    }
}

TEST_CASE("an image smaller than a tile is refused, naming both sizes") {
  const rd::Tiling t = rd::parse_tiling("256", 0.5);
  CHECK_THROWS_WITH_AS(rd::tile_grid(300, 255, t),
                       "image is 300x255 after scaling by 0.5, smaller than the model's 256 px tile", rd::InputError);
  CHECK_THROWS_WITH_AS(rd::tile_grid(1, 1, rd::parse_tiling("64", 1.0)),
                       "image is 1x1, smaller than the model's 64 px tile", rd::InputError);
  const rd::TileGrid g = rd::tile_grid(256, 600, t);
  CHECK(g.count() == 3);
  CHECK(g.rect(2) == cv::Rect(0, 344, 256, 256));
}

TEST_CASE("--tile parses SIZE and SIZE,STRIDE and refuses what would leave gaps") {
  const rd::Tiling a = rd::parse_tiling("256", 1.0);
  CHECK(a.size == 256);
  CHECK(a.stride == 256);
  const rd::Tiling b = rd::parse_tiling("256,192", 0.5);
  CHECK(b.stride == 192);
  CHECK(b.scale == 0.5);
  CHECK(rd::tiling_from_json(rd::tiling_json(b)).stride == 192);
  CHECK_THROWS_WITH_AS(rd::parse_tiling("256,300", 1.0),
                       "--tile stride 300 must be between 1 and the tile size 256 (larger leaves gaps)", rd::UsageError);
  CHECK_THROWS_WITH_AS(rd::parse_tiling("250", 1.0), "--tile size 250 must be a multiple of 32 and at least 64",
                       rd::UsageError);
  CHECK_THROWS_WITH_AS(rd::parse_tiling("256,x", 1.0), "bad --tile stride 'x' (a positive number of pixels)",
                       rd::UsageError);
  CHECK_THROWS_AS(rd::parse_tiling("256", 0.0), rd::UsageError);
  CHECK_THROWS_AS(rd::parse_tiling("256", 1.5), rd::UsageError);
}

TEST_CASE("scaling rounds to the nearest pixel") {
  CHECK(rd::scaled_size(1000, 333, 0.5) == cv::Size(500, 167));
  CHECK(rd::scaled_size(1000, 333, 1.0) == cv::Size(1000, 333));
}

TEST_CASE("without overlap the stitched map is the tile maps side by side") {
  rd::Tiling t = rd::parse_tiling("64", 1.0);
  const rd::TileGrid g = rd::tile_grid(128, 192, t);
  REQUIRE(g.count() == 6);
  rd::MapStitcher s(g);
  for (size_t i = 0; i < g.count(); ++i) {
    std::vector<float> m(64 * 64);
    for (size_t p = 0; p < m.size(); ++p) m[p] = float(i * 10000 + p);
    s.add(i, m.data());
  }
  const cv::Mat out = s.finish();
  REQUIRE(out.size() == cv::Size(128, 192));
  for (size_t i = 0; i < g.count(); ++i) {
    const cv::Rect r = g.rect(i);
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x) REQUIRE(out.at<float>(r.y + y, r.x + x) == float(i * 10000 + y * 64 + x));
  }
}

TEST_CASE("where tiles overlap the stitched map is the mean of their values") {
  // 100 x 100 px, 64 px tiles at 0, 32 and 36 (the last one shifted inward) in both directions;
  // tile i (row-major) holds the value i + 1.
  const rd::TileGrid g = rd::tile_grid(100, 100, rd::parse_tiling("64,32", 1.0));
  REQUIRE(g.xs == std::vector<int>{0, 32, 36});
  rd::MapStitcher s(g);
  for (size_t i = 0; i < g.count(); ++i) {
    const auto m = filled(64, float(i + 1));
    s.add(i, m.data());
  }
  const cv::Mat out = s.finish();
  // Row 0, column 80: the first row's tiles at x = 32 and 36 (values 2 and 3).
  CHECK(out.at<float>(0, 80) == doctest::Approx(2.5));
  // Row 0, column 50: all three of the first row (1, 2, 3).
  CHECK(out.at<float>(0, 50) == doctest::Approx(2.0));
  // Row 40, column 10: the first column's tiles of all three rows (values 1, 4, 7).
  CHECK(out.at<float>(40, 10) == doctest::Approx(4.0));
  // Row 99, column 99: only the last tile (9).
  CHECK(out.at<float>(99, 99) == 9.0f);
}

TEST_CASE("a constant map stitches and smooths to the same constant, without seams") {
  const rd::TileGrid g = rd::tile_grid(300, 170, rd::parse_tiling("64,48", 1.0));
  rd::MapStitcher s(g);
  const auto m = filled(64, 0.25f);
  for (size_t i = 0; i < g.count(); ++i) s.add(i, m.data());
  cv::Mat out = s.finish();
  rd::gaussian_smooth(out.ptr<float>(), out.rows, out.cols, 4.0);
  double lo = 0, hi = 0;
  cv::minMaxLoc(out, &lo, &hi);
  CHECK(lo == doctest::Approx(0.25).epsilon(1e-6));
  CHECK(hi == doctest::Approx(0.25).epsilon(1e-6));
}
