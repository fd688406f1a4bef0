// Teacher features and the whole RD forward pass against torchvision and a Python computation
// of the reference architecture (fixtures from tests/reference/make_model_parity.py).
#include <doctest/doctest.h>

#include "errors.h"
#include "model/state_dict.h"
#include "score/inference.h"
#include "score/model_store.h"
#include "score/runtime.h"
#include "support.h"
#include "tensor_fixtures.h"

namespace {

using rd::test::fixture_tensor;
using rd::test::relative_error;

const char* kBackbones[] = {"resnet18", "resnet34", "resnet50", "wide_resnet50_2", "wide_resnet101_2"};

}  // namespace

TEST_CASE("teacher features equal torchvision's for every backbone and both checkpoint formats") {
  rd::set_threads(2);
  torch::InferenceMode guard;
  for (const char* name : kBackbones) {
    const std::string base = rd::test::fixtures() + "/model/" + name;
    auto want = rd::read_torch_checkpoint(base + "_expected.pth");
    for (const char* format : {"zip", "legacy"}) {
      CAPTURE(name);
      CAPTURE(format);
      rd::Model m = rd::create_model(name, 64);
      rd::load_teacher_weights(m, base + "_" + format + ".pth", [](const std::string&) {});
      m.net->eval();
      rd::Features f = m.net->teacher->forward(fixture_tensor(want, "input"));
      CHECK(relative_error(f[0], fixture_tensor(want, "f1")) < 1e-4);
      CHECK(relative_error(f[1], fixture_tensor(want, "f2")) < 1e-4);
      CHECK(relative_error(f[2], fixture_tensor(want, "f3")) < 1e-4);
      m.net->fold_batchnorm();
      rd::Features g = m.net->teacher->forward(fixture_tensor(want, "input"));
      CHECK(relative_error(g[2], fixture_tensor(want, "f3")) < 1e-4);
    }
  }
}

TEST_CASE("a reference-code checkpoint imports and reproduces the paper's maps and scores") {
  rd::set_threads(2);
  for (const char* name : {"resnet18", "wide_resnet50_2"}) {
    CAPTURE(name);
    const std::string base = rd::test::fixtures() + "/model/" + name;
    auto want = rd::read_torch_checkpoint(base + "_expected.pth");
    rd::Model m = rd::create_model(name, 64);
    rd::load_teacher_weights(m, base + "_zip.pth", [](const std::string&) {});
    rd::import_reference_checkpoint(m, base + "_reference.pth");
    m.net->eval();
    {
      torch::InferenceMode guard;
      rd::Features t = m.net->teacher->forward(fixture_tensor(want, "input"));
      rd::Features s = m.net->student(t);
      CHECK(relative_error(s[0], fixture_tensor(want, "d1")) < 1e-4);
      CHECK(relative_error(s[1], fixture_tensor(want, "d2")) < 1e-4);
      CHECK(relative_error(s[2], fixture_tensor(want, "d3")) < 1e-4);
      auto raw = rd::raw_anomaly_maps(t, s, 64, rd::MapMode::Add);
      CHECK((raw - fixture_tensor(want, "raw_map")).abs().max().item<double>() < 1e-4);
    }
    for (bool folded : {false, true}) {
      CAPTURE(folded);
      if (folded) m.net->fold_batchnorm();
      rd::BatchMaps out = rd::infer_maps(m, fixture_tensor(want, "input"));
      CHECK((out.maps - fixture_tensor(want, "smooth_map").to(torch::kFloat32)).abs().max().item<double>() < 1e-4);
      auto score = fixture_tensor(want, "score");
      for (size_t i = 0; i < out.scores.size(); ++i) CHECK(out.scores[i] == doctest::Approx(score[i].item<double>()).epsilon(1e-4));
    }
  }
}

TEST_CASE("a checkpoint of another backbone is refused with the tensor and both shapes") {
  rd::Model m = rd::create_model("resnet18", 64);
  const std::string path = rd::test::fixtures() + "/model/resnet50_zip.pth";
  CHECK_THROWS_WITH_AS(rd::load_teacher_weights(m, path, [](const std::string&) {}),
                       doctest::Contains("layer1.0.conv1.weight' has shape [64, 64, 1, 1], expected [64, 64, 3, 3]"),
                       rd::FormatError);
}
