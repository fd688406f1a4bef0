// Can LibTorch 1.13's C++ API run the int8 student, and does it pay per convolution?
// Built and run by int8_conv_probe.sh (not part of the build). For the 3x3 convolutions of a
// resnet18 student at 256 px (batch 8: 64 channels at stride 4, 128 at 8, 256 at 16) it times, in
// one run, 2 threads:
//   fp32      oneDNN through at::mkldnn_convolution with a prepacked weight (rd-score's fp32 path)
//   int8      quantized::conv2d_prepack + apply_relu, quint8 in and out (activations stay int8
//             between convolutions, as in an FX-converted network)
//   int8_qdq  the same convolution with fp32 in and out: quantize_per_tensor before, dequantize
//             after, which is what an int8 FusedConv inside rd's fp32 graph would have to do
// and checks the ops a chained int8 student needs besides convolution (add_relu for the residual,
// pixel_shuffle for the 2x2 transposed convolution, cat for the bottleneck), with their error
// against fp32. JSON on stdout.
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

namespace {

using Packed = c10::intrusive_ptr<ConvPackedParamsBase<2>>;

template <class F>
double seconds(F f, int reps = 10) {
  f();
  double best = 1e30;
  for (int r = 0; r < 3; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps);
  }
  return best;
}

Packed prepack(const at::Tensor& w, const at::Tensor& b) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("quantized::conv2d_prepack", "")
                       .typed<Packed(at::Tensor, c10::optional<at::Tensor>, torch::List<int64_t>,
                                     torch::List<int64_t>, torch::List<int64_t>, int64_t)>();
  const auto scale = w.abs().amax({1, 2, 3}).clamp_min(1e-12) / 127;
  auto qw = at::quantize_per_channel(w, scale, torch::zeros({w.size(0)}, torch::kLong), 0, torch::kQInt8);
  return op.call(qw, b, torch::List<int64_t>({1, 1}), torch::List<int64_t>({1, 1}), torch::List<int64_t>({1, 1}), 1);
}

float relative_error(const at::Tensor& got, const at::Tensor& want) {
  return ((got - want).abs().max() / want.abs().max()).item<float>();
}

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "";
}

}  // namespace

int main() {
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  torch::set_num_threads(2);
  at::globalContext().setQEngine(at::QEngine::ONEDNN);
  const int64_t batch = 8;
  std::printf("{\"cpu\": \"%s\", \"threads\": 2, \"batch\": %ld, \"convolutions\": [\n", cpu_name().c_str(),
              long(batch));
  const std::pair<int64_t, int64_t> shapes[] = {{64, 64}, {128, 32}, {256, 16}};
  for (size_t s = 0; s < 3; ++s) {
    const auto [c, hw] = shapes[s];
    auto w = torch::randn({c, c, 3, 3}) * (1.0 / std::sqrt(9.0 * c)), b = torch::randn({c}) * 0.1;
    auto x = torch::rand({batch, c, hw, hw});
    auto want = torch::conv2d(x, w, b, 1, 1).relu();
    const double in_scale = 1.0 / 255, out_scale = want.max().item<double>() / 255;
    Packed packed = prepack(w, b);
    auto qx = at::quantize_per_tensor(x, in_scale, 0, torch::kQUInt8);
    auto xm = x.to_mkldnn();
    auto wm = at::mkldnn_reorder_conv2d_weight(w.to_mkldnn(), {1, 1}, {1, 1}, {1, 1}, 1);
    const double fp32 = seconds([&] { at::mkldnn_convolution(xm, wm, b, {1, 1}, {1, 1}, {1, 1}, 1).relu_(); });
    const double int8 = seconds([&] { packed->apply_relu(qx, out_scale, 0); });
    auto qdq = [&] { return packed->apply_relu(at::quantize_per_tensor(x, in_scale, 0, torch::kQUInt8), out_scale, 0).dequantize(); };
    const double int8_qdq = seconds(qdq);
    const double gflop = 2.0 * batch * c * c * 9 * hw * hw / 1e9;
    std::printf("  {\"channels\": %ld, \"size\": %ld, \"gflop\": %.3f, \"fp32_ms\": %.2f, \"int8_ms\": %.2f, "
                "\"int8_qdq_ms\": %.2f, \"int8_over_fp32\": %.2f, \"int8_qdq_over_fp32\": %.2f, "
                "\"int8_relative_error\": %.4f}%s\n",
                long(c), long(hw), gflop, fp32 * 1e3, int8 * 1e3, int8_qdq * 1e3, fp32 / int8, fp32 / int8_qdq,
                relative_error(qdq(), want), s + 1 < 3 ? "," : "");
  }
  // The other ops of a chained int8 student, on one activation.
  auto x = torch::rand({batch, 64, 32, 32});
  auto qx = at::quantize_per_tensor(x, 1.0 / 255, 0, torch::kQUInt8);
  auto add_relu = c10::Dispatcher::singleton()
                             .findSchemaOrThrow("quantized::add_relu", "")
                             .typed<at::Tensor(at::Tensor, at::Tensor, double, int64_t)>();
  auto sum = add_relu.call(qx, qx, 2.0 / 255, 0);
  auto shuffled = torch::pixel_shuffle(qx, 2);
  auto joined = torch::cat({qx, qx}, 1);
  std::printf("], \"ops\": {\"add_relu_relative_error\": %.4f, \"pixel_shuffle_stays_int8\": %s, "
              "\"pixel_shuffle_relative_error\": %.4f, \"cat_stays_int8\": %s}}\n",
              relative_error(sum.dequantize(), 2 * x), shuffled.is_quantized() ? "true" : "false",
              relative_error(shuffled.dequantize(), torch::pixel_shuffle(x, 2)), joined.is_quantized() ? "true" : "false");
}
