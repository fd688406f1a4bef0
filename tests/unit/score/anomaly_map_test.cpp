// Anomaly maps: scipy-equal smoothing, the zero map of a perfect student, and rd-score's
// batched, BatchNorm-folded path against the unfolded training-time forward.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>

#include "io/npy.h"
#include "score/anomaly_map.h"
#include "score/gaussian.h"
#include "score/image_batch.h"
#include "score/runtime.h"
#include "score/score.h"
#include "support.h"

TEST_CASE("gaussian smoothing equals scipy.ndimage.gaussian_filter with sigma 4") {
  for (const char* name : {"square", "small"}) {
    CAPTURE(name);
    const std::string dir = rd::test::fixtures() + "/gaussian/";
    rd::NpyArray in = rd::read_npy(dir + name + "_input.npy"), want = rd::read_npy(dir + name + "_sigma4.npy");
    std::vector<float> map = in.data;
    rd::gaussian_smooth(map.data(), int(in.shape[0]), int(in.shape[1]), 4.0);
    double worst = 0;
    for (size_t i = 0; i < map.size(); ++i) worst = std::max(worst, std::abs(double(map[i]) - double(want.data[i])));
    CHECK(worst < 1e-5);
  }
}

TEST_CASE("scipy's kernel has 33 taps for sigma 4 and sums to one") {
  auto k = rd::gaussian_kernel(4.0);
  CHECK(k.size() == 33);
  double sum = 0;
  for (double v : k) sum += v;
  CHECK(sum == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(k[16] == doctest::Approx(0.09973557010035818));  // 1 / (sqrt(2 pi) 4), renormalised
}

TEST_CASE("identical teacher and student features give an all-zero map") {
  rd::Features f = {torch::randn({2, 8, 16, 16}), torch::randn({2, 16, 8, 8}), torch::randn({2, 32, 4, 4})};
  auto maps = rd::raw_anomaly_maps(f, f, 64, rd::MapMode::Add);
  CHECK(maps.sizes() == torch::IntArrayRef({2, 64, 64}));
  CHECK(maps.abs().max().item<double>() < 1e-6);
  // Opposite features are as far apart as cosine allows: 2 per scale, 6 in total.
  rd::Features g = {-f[0], -f[1], -f[2]};
  CHECK(rd::raw_anomaly_maps(f, g, 64, rd::MapMode::Add).min().item<double>() == doctest::Approx(6.0).epsilon(1e-5));
  CHECK(rd::raw_anomaly_maps(f, g, 64, rd::MapMode::Mul).min().item<double>() == doctest::Approx(8.0).epsilon(1e-5));
}

TEST_CASE("top-k reduction averages the k largest pixels of the smoothed map") {
  std::vector<float> map(64 * 64, 0.0f);
  rd::MapSettings s;
  s.sigma = 0;  // no smoothing: the pixels are the ones we set
  map[10] = 4;
  map[20] = 2;
  s.top_k = 2;
  CHECK(rd::smooth_and_score(map.data(), 64, 64, s) == doctest::Approx(3.0));
  s.top_k = 0;
  CHECK(rd::smooth_and_score(map.data(), 64, 64, s) == doctest::Approx(4.0));
}

TEST_CASE("the scoring pipeline gives the scores and maps of the unfolded training-time forward") {
  rd::set_threads(2);
  const auto dir = rd::test::scratch_dir("score-parity");
  std::vector<std::string> paths;
  cv::RNG rng(5);
  for (int i = 0; i < 5; ++i) {
    cv::Mat img(50 + 10 * i, 70, CV_8UC3);
    rng.fill(img, cv::RNG::UNIFORM, 0, 255);
    paths.push_back(dir + "/img" + std::to_string(i) + ".png");
    cv::imwrite(paths.back(), img);
  }
  torch::manual_seed(1);
  rd::Model reference = rd::create_model("resnet18", 64);
  reference.net->eval();
  rd::save_model(dir + "/m.rdm", reference);

  // Independent path: unfolded network, one image at a time, maps smoothed by hand.
  std::vector<double> want_scores;
  std::vector<torch::Tensor> want_maps;
  for (const auto& p : paths) {
    auto x = rd::load_images({p}, 64, reference.norm, rd::kDefaultMaxPixels, 1).inputs(0, 1);
    torch::NoGradGuard no_grad;
    rd::Features t = reference.net->teacher->forward(x);
    auto map = rd::raw_anomaly_maps(t, reference.net->student(t), 64, rd::MapMode::Add).contiguous();
    want_scores.push_back(rd::smooth_and_score(map.data_ptr<float>(), 64, 64, reference.map));
    want_maps.push_back(map[0].clone());
  }

  rd::Model model = rd::load_model(dir + "/m.rdm");
  rd::prepare_for_scoring(model, torch::kCPU);
  std::istringstream no_stdin;
  rd::InputSource source(paths, false, no_stdin, true);
  rd::ScoreOptions o;
  o.batch_size = 2;  // batches of 2, 2 and 1
  o.maps_dir = dir;
  std::vector<rd::RecordFields> got;
  rd::ScoreCallbacks cb;
  cb.emit = [&](const rd::RecordFields& r) { got.push_back(r); };
  rd::ScoreSummary s = rd::score_inputs(model, source, o, cb);
  CHECK(s.scored == 5);
  REQUIRE(got.size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(got[i]["path"] == paths[i]);
    CHECK(got[i]["score"].get<double>() == doctest::Approx(want_scores[i]).epsilon(1e-4));
    CHECK(got[i]["height"] == 50 + 10 * int(i));
    rd::NpyArray map = rd::read_npy(got[i]["map"].get<std::string>());
    auto saved = torch::from_blob(map.data.data(), {64, 64}, torch::kFloat32);
    CHECK((saved - want_maps[i]).abs().max().item<double>() < 1e-4);
  }
}
