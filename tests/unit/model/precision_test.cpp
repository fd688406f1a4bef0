// Precisions: names, the CPU check, and bf16 and int8 features and maps close to fp32 on the
// reference models (tests/reference/make_model_parity.py fixtures).
#include "cpu/precision.h"

#include <doctest/doctest.h>

#include "errors.h"
#include "model/state_dict.h"
#include "score/inference.h"
#include "score/int8_calibration.h"
#include "score/model_store.h"
#include "score/runtime.h"
#include "score/score.h"
#include "support.h"

namespace {

rd::Model reference_model(const std::string& name) {
  const std::string base = rd::test::fixtures() + "/model/" + name;
  rd::Model m = rd::create_model(name, 64);
  rd::load_teacher_weights(m, base + "_zip.pth", [](const std::string&) {});
  rd::import_reference_checkpoint(m, base + "_reference.pth");
  return m;
}

// The reference fixtures' input batch for `name`.
torch::Tensor reference_input(const std::string& name) {
  return rd::to_torch(rd::read_torch_checkpoint(rd::test::fixtures() + "/model/" + name + "_expected.pth").at("input"));
}

// Says why and returns true where the CPU cannot run `p` natively.
bool skipped_without(rd::Precision p) {
  const std::string missing = rd::missing_cpu_support(p);
  if (!missing.empty()) MESSAGE("skipped: this CPU lacks " << missing);
  return !missing.empty();
}

double relative_error(const torch::Tensor& got, const torch::Tensor& want) {
  return (got - want).abs().max().item<double>() / std::max(1e-12, want.abs().max().item<double>());
}

}  // namespace

TEST_CASE("parse_precision_names_fp32_bf16_auto_and_refuses_the_rest") {
  CHECK(rd::parse_precision("fp32") == rd::Precision::Fp32);
  CHECK(std::string(rd::precision_name(rd::Precision::Bf16)) == "bf16");
  CHECK(rd::parse_precision("bf16", /*on_cpu=*/false) == rd::Precision::Bf16);  // CUDA: autocast
  CHECK(rd::parse_precision("auto", /*on_cpu=*/false) == rd::Precision::Fp32);
  CHECK(rd::missing_cpu_support(rd::Precision::Fp32).empty());
  const bool native = rd::missing_cpu_support(rd::Precision::Bf16).empty();
  CHECK(rd::parse_precision("auto") == (native ? rd::Precision::Bf16 : rd::Precision::Fp32));
  CHECK(std::string(rd::precision_name(rd::Precision::Int8)) == "int8");
  if (rd::missing_cpu_support(rd::Precision::Int8).empty()) CHECK(rd::parse_precision("int8") == rd::Precision::Int8);
  else CHECK_THROWS_WITH_AS(rd::parse_precision("int8"), doctest::Contains("lacks avx512_vnni"), rd::UsageError);
  CHECK_THROWS_WITH_AS(rd::parse_precision("int8", /*on_cpu=*/false), doctest::Contains("runs on the CPU"),
                       rd::UsageError);
  CHECK_THROWS_WITH_AS(rd::parse_precision("fp16"), "unknown --precision 'fp16' (choose fp32, bf16, int8 or auto)",
                       rd::UsageError);
}

TEST_CASE("bf16_and_int8_are_refused_where_onednn_is_capped_below_them") {
  rd::test::ScopedEnv cap("DNNL_MAX_CPU_ISA", "avx2");
  CHECK_THROWS_WITH_AS(rd::parse_precision("int8"), doctest::Contains("lacks avx512_vnni, avx_vnni or amx_int8"),
                       rd::UsageError);
  CHECK(rd::missing_cpu_support(rd::Precision::Bf16).find("capped at AVX2") != std::string::npos);
  CHECK_THROWS_WITH_AS(rd::parse_precision("bf16"), doctest::Contains("lacks avx512_bf16 or amx_bf16"),
                       rd::UsageError);
  CHECK(rd::parse_precision("auto") == rd::Precision::Fp32);
}

TEST_CASE("the_int8_teacher_runs_in_bf16_where_the_cpu_has_it_and_fp32_under_a_vnni_cap") {
  CHECK(rd::teacher_precision(rd::Precision::Fp32) == rd::Precision::Fp32);
  CHECK(rd::teacher_precision(rd::Precision::Bf16) == rd::Precision::Bf16);
  const bool bf16 = rd::missing_cpu_support(rd::Precision::Bf16).empty();
  CHECK(rd::teacher_precision(rd::Precision::Int8) == (bf16 ? rd::Precision::Bf16 : rd::Precision::Fp32));
  rd::test::ScopedEnv cap("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_VNNI");
  CHECK(rd::teacher_precision(rd::Precision::Int8) == rd::Precision::Fp32);
}

TEST_CASE("bf16_maps_and_scores_stay_close_to_fp32_on_the_reference_models") {
  if (skipped_without(rd::Precision::Bf16)) return;
  rd::set_threads(2);
  for (const char* name : {"resnet18", "wide_resnet50_2"}) {
    CAPTURE(name);
    const torch::Tensor input = reference_input(name);
    rd::Model fp32 = reference_model(name), bf16 = reference_model(name);
    rd::prepare_for_scoring(fp32, torch::kCPU, rd::Precision::Fp32);
    rd::prepare_for_scoring(bf16, torch::kCPU, rd::Precision::Bf16);
    torch::InferenceMode guard;
    const rd::Features t32 = fp32.net->teacher->forward(input);
    const rd::Features t16 = bf16.net->teacher->forward(input);
    for (int k = 0; k < 3; ++k) {
      CHECK(bool(t16[k].scalar_type() == torch::kFloat32));  // features leave the network as fp32
      const double err = relative_error(t16[k], t32[k]);
      CHECK(err < 0.03);
      CHECK(err > 0);  // it did run in bf16
    }
    const rd::BatchMaps a = rd::infer_maps(fp32, input);
    const rd::BatchMaps b = rd::infer_maps(bf16, input);
    CHECK(relative_error(b.maps, a.maps) < 0.05);
    for (size_t i = 0; i < a.scores.size(); ++i) CHECK(b.scores[i] == doctest::Approx(a.scores[i]).epsilon(0.02));
  }
}

TEST_CASE("int8_student_maps_and_scores_stay_close_to_fp32_on_the_reference_models") {
  if (skipped_without(rd::Precision::Int8)) return;
  rd::set_threads(2);
  for (const char* name : {"resnet18", "wide_resnet50_2"}) {
    CAPTURE(name);
    const torch::Tensor input = reference_input(name);
    rd::Model fp32 = reference_model(name), int8 = reference_model(name);
    // An imported model has no calibration: int8 is refused, naming why.
    CHECK_THROWS_WITH_AS(rd::prepare_for_scoring(int8, torch::kCPU, rd::Precision::Int8),
                         doctest::Contains("has no int8 calibration"), rd::UsageError);
    int8 = reference_model(name);
    rd::prepare_for_scoring(fp32, torch::kCPU, rd::Precision::Fp32);
    // Calibrated on the same images, one at a time (ranges are widened across batches).
    int8.meta["int8"] = rd::calibrate_int8(
        int8, [&](int64_t b, int64_t e) { return fp32.net->teacher->forward(input.slice(0, b, e)); }, input.size(0), 1);
    CHECK(int8.meta["int8"]["inputs"] == input.size(0));
    rd::prepare_for_scoring(int8, torch::kCPU, rd::Precision::Int8);
    torch::InferenceMode guard;
    const rd::Features t = fp32.net->teacher->forward(input);
    const rd::Features s32 = fp32.net->student(t), s8 = int8.net->student(t);
    for (int k = 0; k < 3; ++k) {
      CHECK(bool(s8[k].scalar_type() == torch::kFloat32));
      const double err = relative_error(s8[k], s32[k]);
      CHECK(err < 0.05);  // 1.4-2.5 % measured
      CHECK(err > 0);  // it did run in int8
    }
    const rd::BatchMaps a = rd::infer_maps(fp32, input);
    const rd::BatchMaps b = rd::infer_maps(int8, input);
    CHECK(relative_error(b.maps, a.maps) < 0.1);
    for (size_t i = 0; i < a.scores.size(); ++i) CHECK(b.scores[i] == doctest::Approx(a.scores[i]).epsilon(0.03));
  }
}

TEST_CASE("int8_calibration_that_does_not_fit_the_network_is_a_format_error") {
  if (!rd::missing_cpu_support(rd::Precision::Int8).empty()) return;
  rd::Model m = reference_model("resnet18");
  m.path = "m.rdm";
  m.meta["int8"] = {{"ranges", {{0.0, 1.0}}}};
  CHECK_THROWS_WITH_AS(rd::prepare_for_scoring(m, torch::kCPU, rd::Precision::Int8),
                       doctest::Contains("'m.rdm': bad int8 calibration: int8 calibration has 1 activation ranges"),
                       rd::FormatError);
}
