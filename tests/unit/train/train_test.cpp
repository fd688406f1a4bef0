// Training on tiny generated images: the loss falls, files round-trip exactly, and an interrupted
// run resumed from its checkpoint ends with the same weights as an uninterrupted one.
#include <doctest/doctest.h>

#include <filesystem>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include "errors.h"
#include "model/state_dict.h"
#include "score/image_batch.h"
#include "score/inference.h"
#include "score/runtime.h"
#include "support.h"
#include "train/train.h"

namespace {

// Smooth stripes with a random phase: a texture a small network can learn in a few steps.
std::vector<std::string> make_images(const std::string& dir, int count, int size = 72) {
  std::vector<std::string> paths;
  cv::RNG rng(12345);
  for (int i = 0; i < count; ++i) {
    cv::Mat img(size, size, CV_8UC3);
    const double phase = rng.uniform(0.0, 6.28);
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) {
        const double v = 128 + 60 * std::sin(0.4 * x + phase) + rng.uniform(-10, 10);
        img.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<uchar>(v), cv::saturate_cast<uchar>(v * 0.8), 90);
      }
    paths.push_back(fmt::format("{}/img{:02}.png", dir, i));
    cv::imwrite(paths.back(), img);
  }
  return paths;
}

rd::TrainOptions tiny_options(const std::string& dir) {
  rd::TrainOptions o;
  o.backbone = "resnet18";
  o.weights = "none";
  o.image_size = 64;
  o.epochs = 3;
  o.batch_size = 4;
  o.seed = 3;
  o.output = dir + "/model.rdm";
  return o;
}

rd::TrainCallbacks quiet_callbacks(std::vector<double>* losses = nullptr) {
  rd::TrainCallbacks cb;
  cb.warn = [](const std::string&) {};
  if (losses) cb.on_epoch = [losses](const rd::EpochLog& e) { losses->push_back(e.loss); };
  return cb;
}

bool same_tensors(rd::Model& a, rd::Model& b) {
  auto sa = rd::state_of(*a.net), sb = rd::state_of(*b.net);
  if (sa.size() != sb.size()) return false;
  for (size_t i = 0; i < sa.size(); ++i)
    if (sa[i].first != sb[i].first || !torch::equal(sa[i].second, sb[i].second)) return false;
  return true;
}

}  // namespace

TEST_CASE("training lowers the loss and the saved model scores exactly like the trained one") {
  rd::set_threads(2);
  const auto dir = rd::test::scratch_dir("train-loss");
  auto images = make_images(dir, 8);
  auto o = tiny_options(dir);
  o.epochs = 4;
  o.val_images = {images[0], images[1], images[2]};
  std::vector<double> losses;
  rd::TrainResult r = rd::train(images, o, quiet_callbacks(&losses));
  REQUIRE(losses.size() == 4);
  CHECK(losses.back() < losses.front() * 0.8);
  CHECK(r.images == 8);
  CHECK(r.model_id.size() == 16);

  rd::Model loaded = rd::load_model(o.output);
  CHECK(loaded.id == r.model_id);
  CHECK(loaded.meta.at("training").at("epochs") == 4);
  // The data digest is that of the float network inputs, as when training sets were held as
  // float, so checkpoints of that time still resume.
  const auto all = rd::load_images(images, 64, loaded.norm, rd::kDefaultMaxPixels, 1);
  REQUIRE((all.rows.scalar_type() == torch::kUInt8));
  const torch::Tensor floats = all.inputs(0, all.count()).contiguous();
  CHECK(loaded.meta.at("training").at("data_digest") ==
        rd::content_digest(static_cast<const unsigned char*>(floats.data_ptr()), size_t(floats.nbytes())));
  const auto& val = loaded.meta.at("validation");
  CHECK(val.at("count") == 3);
  CHECK(val.at("scores").size() == 3);

  // Scores of the validation images recomputed from the loaded file equal the stored ones.
  auto inputs = rd::load_images({images[0], images[1], images[2]}, 64, loaded.norm, rd::kDefaultMaxPixels, 1).inputs(0, 3);
  rd::BatchMaps maps = rd::infer_maps(loaded, inputs);
  for (int i = 0; i < 3; ++i) CHECK(maps.scores[i] == val.at("scores")[i].get<double>());

  // Save -> load is bit-identical: the same tensors and the same maps.
  rd::save_model(dir + "/copy.rdm", loaded);
  rd::Model again = rd::load_model(dir + "/copy.rdm");
  CHECK(same_tensors(loaded, again));
  CHECK(torch::equal(rd::infer_maps(again, inputs).maps, maps.maps));
}

TEST_CASE("a run interrupted mid-epoch and resumed ends with the same weights as an uninterrupted one") {
  rd::set_threads(2);
  const auto dir = rd::test::scratch_dir("train-resume");
  auto images = make_images(dir, 10);  // 3 steps per epoch with batch 4, the last one partial
  // Within one precision: fp32, and bf16 (mixed precision) where the CPU runs it natively.
  std::vector<rd::Precision> precisions{rd::Precision::Fp32};
  if (rd::missing_cpu_support(rd::Precision::Bf16).empty()) precisions.push_back(rd::Precision::Bf16);
  else MESSAGE("bf16 resume skipped: this CPU lacks " << rd::missing_cpu_support(rd::Precision::Bf16));
  for (const rd::Precision precision : precisions) {
  CAPTURE(rd::precision_name(precision));
  auto straight = tiny_options(dir);
  straight.precision = precision;
  straight.output = dir + "/straight.rdm";
  rd::train(images, straight, quiet_callbacks());

  auto first = tiny_options(dir);
  first.precision = precision;
  first.output = dir + "/resumed.rdm";
  std::atomic<int> stop{0};
  auto cb = quiet_callbacks();
  cb.stop_signal = &stop;
  int64_t steps = 0;
  cb.on_progress = [&](int64_t, int64_t, const std::string& what) {
    if (what == "training" && ++steps == 4) stop = 15;  // after the first step of epoch 2
  };
  rd::TrainResult interrupted = rd::train(images, first, cb);
  CHECK(interrupted.interrupted_by == 15);
  REQUIRE(interrupted.checkpoint_path == first.output + ".ckpt");

  auto second = tiny_options(dir);
  second.output = first.output;
  second.resume = interrupted.checkpoint_path;
  second.epochs = 99;  // ignored: a resumed run keeps the checkpoint's settings
  rd::TrainResult done = rd::train(images, second, quiet_callbacks());
  CHECK(done.epochs_done == 3);

  rd::Model a = rd::load_model(straight.output), b = rd::load_model(first.output);
  CHECK(same_tensors(a, b));
  CHECK(a.meta["training"]["options"]["precision"] == rd::precision_name(precision));
  std::filesystem::remove(first.output + ".ckpt");
  }
}

TEST_CASE("rd++ training lowers the loss, logs each term, and resumes between accumulated batches exactly") {
  rd::set_threads(2);
  const auto dir = rd::test::scratch_dir("train-rdpp");
  auto images = make_images(dir, 10);  // 3 steps per epoch: a pair, then one alone
  auto straight = tiny_options(dir);
  straight.method = rd::Method::RdPlusPlus;
  straight.output = dir + "/straight.rdm";
  std::vector<rd::EpochLog> logs;
  auto cb = quiet_callbacks();
  cb.on_epoch = [&](const rd::EpochLog& e) { logs.push_back(e); };
  rd::train(images, straight, cb);
  REQUIRE(logs.size() == 3);
  CHECK(logs.back().loss < logs.front().loss);
  for (const auto& e : logs) {
    REQUIRE(e.terms.size() == 4);
    CHECK(e.terms[0].first == "kd");
    CHECK(e.terms[1].first == "ssot");
    CHECK(std::abs(e.terms[1].second) < 1e-5);  // a batch against its own shuffle
    CHECK(e.terms[2].second > 0);
    CHECK(e.terms[3].second > 0);
    CHECK(e.loss == doctest::Approx(e.terms[0].second + 0.2 * (e.terms[1].second + 0.01 * e.terms[2].second +
                                                              0.1 * e.terms[3].second) / 1.11));
  }

  auto first = tiny_options(dir);
  first.method = rd::Method::RdPlusPlus;
  first.output = dir + "/resumed.rdm";
  std::atomic<int> stop{0};
  auto stopping = quiet_callbacks();
  stopping.stop_signal = &stop;
  int64_t steps = 0;
  stopping.on_progress = [&](int64_t, int64_t, const std::string& what) {
    if (what == "training" && ++steps == 4) stop = 15;  // epoch 2, between the two batches of a step
  };
  rd::TrainResult interrupted = rd::train(images, first, stopping);
  REQUIRE(interrupted.interrupted_by == 15);
  {
    rd::ModelFileContents ckpt = rd::read_model_file(interrupted.checkpoint_path);
    CHECK(ckpt.meta.at("checkpoint").at("pending_gradients") == true);
    CHECK(ckpt.tensors.count("adam.grad.proj.proj_a.proj.0.weight") == 1);
  }
  auto second = tiny_options(dir);
  second.output = first.output;
  second.resume = interrupted.checkpoint_path;
  rd::train(images, second, quiet_callbacks());
  rd::Model a = rd::load_model(straight.output), b = rd::load_model(first.output);
  CHECK(b.net->method() == rd::Method::RdPlusPlus);
  CHECK(same_tensors(a, b));
  CHECK(a.meta["training"]["options"]["method"] == "rd++");
}

TEST_CASE("bf16 mixed-precision training lowers the loss and keeps fp32 weights") {
  if (!rd::missing_cpu_support(rd::Precision::Bf16).empty()) {
    MESSAGE("skipped: this CPU lacks " << rd::missing_cpu_support(rd::Precision::Bf16));
    return;
  }
  rd::set_threads(2);
  const auto dir = rd::test::scratch_dir("train-bf16");
  auto images = make_images(dir, 8);
  auto o = tiny_options(dir);
  o.precision = rd::Precision::Bf16;
  o.epochs = 4;
  o.output = dir + "/bf16.rdm";
  std::vector<double> losses;
  auto cb = quiet_callbacks();
  cb.on_epoch = [&](const rd::EpochLog& e) { losses.push_back(e.loss); };
  rd::train(images, o, cb);
  REQUIRE(losses.size() == 4);
  CHECK(losses.back() < losses.front());
  rd::Model m = rd::load_model(o.output);
  for (const auto& p : m.net->parameters()) CHECK(bool(p.scalar_type() == torch::kFloat32));
}

TEST_CASE("a loss that turns NaN stops training with a clear error") {
  rd::set_threads(2);
  const auto dir = rd::test::scratch_dir("train-nan");
  auto images = make_images(dir, 4);
  auto o = tiny_options(dir);
  o.lr = 1e30;  // the cosine loss is scale-invariant: only overflow makes it NaN
  o.epochs = 5;
  o.checkpoint_every = 1;
  CHECK_THROWS_WITH_AS(rd::train(images, o, quiet_callbacks()), doctest::Contains("the loss became"),
                       rd::RuntimeFailure);
  // The checkpoint written before the loss broke is still there and loads.
  CHECK_NOTHROW(rd::load_model(o.output + ".ckpt"));
}
