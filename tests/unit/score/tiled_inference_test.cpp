// Tiled models: tile inputs are the image's own pixels, stitched maps are the tile maps put back
// in place, and rd-score's stream of tiles (batches spanning images) gives the per-image results.
#include <doctest/doctest.h>

#include <sstream>

#include <opencv2/imgcodecs.hpp>

#include "errors.h"
#include "io/npy.h"
#include "score/inference.h"
#include "score/runtime.h"
#include "score/score.h"
#include "score/tiled_inference.h"
#include "support.h"

namespace {

rd::DecodedImage random_image(int width, int height, bool eight_bit, uint64_t seed) {
  cv::RNG rng(seed);
  rd::DecodedImage img;
  img.width = width;
  img.height = height;
  img.eight_bit = eight_bit;
  if (eight_bit) {
    img.rgb8.create(height, width, CV_8UC3);
    rng.fill(img.rgb8, cv::RNG::UNIFORM, 0, 255);
  } else {
    img.rgb.create(height, width, CV_32FC3);
    rng.fill(img.rgb, cv::RNG::UNIFORM, 0.0, 1.0);
  }
  return img;
}

rd::Model tiled_model(const std::string& tile) {
  torch::manual_seed(3);
  rd::Model m = rd::create_model("resnet18", 64);
  m.tiling = rd::parse_tiling(tile, 1.0);
  m.net->eval();
  return m;
}

}  // namespace

TEST_CASE("each tile input is the network input of that square of the image, 8-bit and float") {
  for (bool eight_bit : {true, false}) {
    CAPTURE(eight_bit);
    const rd::DecodedImage image = random_image(150, 100, eight_bit, 7);
    const rd::TiledImage tiled = rd::tile_image(image, rd::parse_tiling("64,48", 1.0));
    REQUIRE(tiled.grid.count() == 3 * 2);  // x: 0, 48, 86; y: 0, 36
    for (size_t i = 0; i < tiled.grid.count(); ++i) {
      const cv::Rect r = tiled.grid.rect(i);
      rd::DecodedImage square = image;  // an independent copy of the square, not a view
      square.width = square.height = 64;
      if (eight_bit) square.rgb8 = image.rgb8(r).clone();
      else square.rgb = image.rgb(r).clone();
      CHECK(torch::equal(rd::tile_input(tiled, i, {}), rd::to_model_input(square, 64)));
    }
  }
}

TEST_CASE("--tile-scale resizes the image before the grid is laid") {
  const rd::TiledImage tiled = rd::tile_image(random_image(300, 201, true, 1), rd::parse_tiling("64", 0.5));
  CHECK(tiled.scaled.width == 150);
  CHECK(tiled.scaled.height == 101);
  CHECK(tiled.grid.xs == std::vector<int>{0, 64, 86});
  CHECK_THROWS_AS(rd::tile_image(random_image(120, 300, true, 1), rd::parse_tiling("64", 0.5)), rd::InputError);
}

TEST_CASE("without overlap the stitched raw map is each tile's own map in its place") {
  rd::set_threads(2);
  rd::Model model = tiled_model("64");
  const rd::DecodedImage image = random_image(128, 192, true, 11);
  const cv::Mat stitched = rd::stitched_raw_map(model, image, torch::kCPU, /*batch=*/4);  // batches of 4 and 2
  REQUIRE(stitched.size() == cv::Size(128, 192));
  const rd::TiledImage tiled = rd::tile_image(image, model.tiling);
  for (size_t i = 0; i < tiled.grid.count(); ++i) {
    CAPTURE(i);
    const torch::Tensor own = rd::infer_raw_maps(model, rd::tile_input(tiled, i, model.norm).unsqueeze(0))[0];
    cv::Mat placed = stitched(tiled.grid.rect(i)).clone();
    const torch::Tensor got = torch::from_blob(placed.ptr<float>(), {64, 64}, torch::kFloat32);
    CHECK((got - own).abs().max().item<double>() < 1e-6);
  }
}

TEST_CASE("rd-score on a tiled model equals the per-image stitched maps, in input order, errors in place") {
  rd::set_threads(2);
  const auto dir = rd::test::scratch_dir("tiled-score");
  rd::Model reference = tiled_model("64,40");
  rd::save_model(dir + "/m.rdm", reference);
  // 6, 1 (too small: an error), 4 and 9 tiles: batches of 5 span images.
  const std::vector<cv::Size> sizes = {{128, 100}, {50, 80}, {100, 70}, {150, 150}};
  std::vector<std::string> paths;
  for (size_t i = 0; i < sizes.size(); ++i) {
    cv::Mat bgr(sizes[i], CV_8UC3);
    cv::RNG(i).fill(bgr, cv::RNG::UNIFORM, 0, 255);
    paths.push_back(dir + "/img" + std::to_string(i) + ".png");
    cv::imwrite(paths.back(), bgr);
  }
  paths.insert(paths.begin() + 3, dir + "/missing.png");

  rd::Model model = rd::load_model(dir + "/m.rdm");
  REQUIRE(model.tiling.stride == 40);
  rd::prepare_for_scoring(model, torch::kCPU);
  std::istringstream no_stdin;
  rd::InputSource source(paths, false, no_stdin, true);
  rd::ScoreOptions o;
  o.batch_size = 5;
  o.maps_dir = dir;
  std::vector<rd::RecordFields> got;
  rd::ScoreCallbacks cb;
  cb.emit = [&](const rd::RecordFields& r) { got.push_back(r); };
  const rd::ScoreSummary s = rd::score_inputs(model, source, o, cb);
  CHECK(s.scored == 3);
  CHECK(s.failed == 2);
  REQUIRE(got.size() == paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i]["path"] == paths[i]);
    if (i == 1) {
      CHECK(got[i]["error"] == "'" + paths[1] + "': image is 50x80, smaller than the model's 64 px tile");
      continue;
    }
    if (i == 3) {
      CHECK(got[i].contains("error"));
      continue;
    }
    cv::Mat want = rd::stitched_raw_map(reference, rd::decode_image(paths[i]), torch::kCPU, 1);
    const double score = rd::smooth_and_score(want.ptr<float>(), want.rows, want.cols, reference.map);
    CHECK(got[i]["score"].get<double>() == doctest::Approx(score).epsilon(1e-4));
    const rd::NpyArray map = rd::read_npy(got[i]["map"].get<std::string>());
    REQUIRE(map.shape == std::vector<int64_t>{want.rows, want.cols});
    double worst = 0;
    for (size_t p = 0; p < map.data.size(); ++p) worst = std::max(worst, std::abs(double(map.data[p]) - want.ptr<float>()[p]));
    CHECK(worst < 1e-4);
  }
}
