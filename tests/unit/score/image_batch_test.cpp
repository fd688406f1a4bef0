// Training sets in memory: 8-bit images are held as uint8 pixels (a quarter of float), and the
// inputs made from them are exactly the scoring path's.
#include <doctest/doctest.h>

#include <opencv2/imgcodecs.hpp>

#include "score/image_batch.h"
#include "score/tiled_inference.h"
#include "support.h"

namespace {

std::string write_image(const std::string& dir, const std::string& name, int depth, cv::Size size, uint64_t seed) {
  cv::Mat m(size, CV_MAKETYPE(depth, 3));
  cv::RNG(seed).fill(m, cv::RNG::UNIFORM, 0, depth == CV_8U ? 255 : 65535);
  const std::string path = dir + "/" + name;
  REQUIRE(cv::imwrite(path, m));
  return path;
}

// Each row's network input equals what rd-score feeds the network for that image.
void check_scoring_inputs(const rd::LoadedImages& set, const std::vector<std::string>& paths) {
  for (size_t i = 0; i < paths.size(); ++i)
    CHECK(torch::equal(set.inputs(int64_t(i), int64_t(i) + 1)[0], rd::to_model_input(rd::decode_image(paths[i]), 64)));
}

}  // namespace

TEST_CASE("8-bit training images are held as pixels and give the scoring path's inputs exactly") {
  const auto dir = rd::test::scratch_dir("image-batch-u8");
  const std::vector<std::string> paths = {write_image(dir, "a.png", CV_8U, {90, 70}, 1),
                                          write_image(dir, "b.png", CV_8U, {64, 64}, 2)};
  const rd::LoadedImages set = rd::load_images(paths, 64, {}, rd::kDefaultMaxPixels, 2);
  CHECK((set.rows.scalar_type() == torch::kUInt8));
  REQUIRE(set.count() == 2);
  check_scoring_inputs(set, paths);
  CHECK(torch::equal(set.inputs(torch::tensor({1, 0})), set.inputs(0, 2).flip(0)));
}

TEST_CASE("a set with a 16-bit image is held as float inputs, equal to the scoring path's too") {
  const auto dir = rd::test::scratch_dir("image-batch-mixed");
  const std::vector<std::string> paths = {write_image(dir, "a.png", CV_8U, {90, 70}, 1),
                                          write_image(dir, "b.png", CV_16U, {80, 64}, 2)};
  const rd::LoadedImages set = rd::load_images(paths, 64, {}, rd::kDefaultMaxPixels, 1);
  CHECK((set.rows.scalar_type() == torch::kFloat32));
  check_scoring_inputs(set, paths);
}

TEST_CASE("a tiled training set is every tile of every image in grid order; too-small images are errors") {
  const auto dir = rd::test::scratch_dir("image-batch-tiles");
  const std::vector<std::string> paths = {write_image(dir, "a.png", CV_8U, {150, 100}, 1),
                                          write_image(dir, "small.png", CV_8U, {60, 200}, 2),
                                          write_image(dir, "c.png", CV_8U, {64, 64}, 3)};
  const rd::Tiling t = rd::parse_tiling("64,48", 1.0);
  const rd::LoadedImages set = rd::load_tiles(paths, t, {}, rd::kDefaultMaxPixels, 2);
  CHECK(set.kept == std::vector<size_t>{0, 2});
  REQUIRE(set.errors.size() == 1);
  CHECK(set.errors[0] == "'" + paths[1] + "': image is 60x200, smaller than the model's 64 px tile");
  REQUIRE(set.count() == 6 + 1);
  const rd::TiledImage a = rd::tile_image(rd::decode_image(paths[0]), t);
  for (size_t i = 0; i < a.grid.count(); ++i) CHECK(torch::equal(set.inputs(int64_t(i), int64_t(i) + 1)[0], rd::tile_input(a, i, {})));
}
