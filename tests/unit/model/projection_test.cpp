// RD++'s projection and an imported official RD++ checkpoint against a PyTorch computation of the
// same weights (fixtures from tests/reference/make_model_parity.py, InstanceNorm semantics included).
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

rd::Model imported(const std::string& name) {
  const std::string base = rd::test::fixtures() + "/model/" + name;
  rd::Model m = rd::create_model(name, 64, rd::Method::RdPlusPlus);
  rd::load_teacher_weights(m, base + "_zip.pth", [](const std::string&) {});
  rd::import_reference_checkpoint(m, base + "_rdpp_reference.pth");
  m.net->eval();
  return m;
}

}  // namespace

TEST_CASE("an official RD++ checkpoint imports and reproduces its projection, maps and scores") {
  rd::set_threads(2);
  for (const char* name : {"resnet18", "wide_resnet50_2"}) {
    CAPTURE(name);
    auto want = rd::read_torch_checkpoint(rd::test::fixtures() + "/model/" + name + "_expected.pth");
    rd::Model m = imported(name);
    {
      torch::InferenceMode guard;
      rd::Features t = m.net->teacher->forward(fixture_tensor(want, "input"));
      rd::Features p = m.net->proj->forward(t);
      CHECK(relative_error(p[0], fixture_tensor(want, "p1")) < 1e-4);
      CHECK(relative_error(p[1], fixture_tensor(want, "p2")) < 1e-4);
      CHECK(relative_error(p[2], fixture_tensor(want, "p3")) < 1e-4);
    }
    for (bool folded : {false, true}) {
      CAPTURE(folded);
      if (folded) m.net->fold_batchnorm(/*pack_for_cpu=*/true);
      rd::BatchMaps out = rd::infer_maps(m, fixture_tensor(want, "input"));
      CHECK((out.maps - fixture_tensor(want, "pp_smooth_map").to(torch::kFloat32)).abs().max().item<double>() < 1e-4);
      auto score = fixture_tensor(want, "pp_score");
      for (size_t i = 0; i < out.scores.size(); ++i)
        CHECK(out.scores[i] == doctest::Approx(score[i].item<double>()).epsilon(1e-4));
    }
  }
}

TEST_CASE("an RD++ model survives the model file, and checkpoints of the other method are refused by name") {
  const std::string base = rd::test::fixtures() + "/model/resnet18";
  rd::Model m = imported("resnet18");
  const auto dir = rd::test::scratch_dir("projection-file");
  rd::save_model(dir + "/pp.rdm", m);
  rd::Model back = rd::load_model(dir + "/pp.rdm");
  CHECK(back.net->method() == rd::Method::RdPlusPlus);
  CHECK(back.meta.at("method") == "rd++");
  auto want = rd::read_torch_checkpoint(base + "_expected.pth");
  rd::BatchMaps a = rd::infer_maps(m, fixture_tensor(want, "input")), b = rd::infer_maps(back, fixture_tensor(want, "input"));
  CHECK(torch::equal(a.maps, b.maps));

  rd::Model plain = rd::create_model("resnet18", 64);
  CHECK_THROWS_WITH_AS(rd::import_reference_checkpoint(plain, base + "_rdpp_reference.pth"),
                       doctest::Contains("is an RD++ checkpoint (it has a 'proj' dict): add --method rd++"),
                       rd::UsageError);
  rd::Model pp = rd::create_model("resnet18", 64, rd::Method::RdPlusPlus);
  CHECK_THROWS_WITH_AS(rd::import_reference_checkpoint(pp, base + "_reference.pth"),
                       doctest::Contains("has no 'proj' dict"), rd::UsageError);
}
