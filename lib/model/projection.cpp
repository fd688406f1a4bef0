#include "model/projection.h"

namespace rd {
namespace {

constexpr double kLeakySlope = 0.01;  // torch.nn.LeakyReLU's default, as the official code uses
constexpr double kInstanceNormEps = 1e-5;

torch::Tensor normalise_and_activate(const torch::Tensor& y) {
  auto x = to_features(y);  // fp32 dense: instance statistics over a whole plane want fp32
  x = torch::instance_norm(x, {}, {}, {}, {}, /*use_input_stats=*/true, 0.1, kInstanceNormEps, false);
  return torch::leaky_relu(x, kLeakySlope);
}

}  // namespace

ProjectionLayerImpl::ProjectionLayerImpl(int64_t c) {
  const std::array<int64_t, 5> widths = {c, c / 2, c / 4, c / 2, c};
  proj_ = torch::nn::Sequential();
  for (int i = 0; i < 4; ++i) {
    // PyTorch's default Conv2d initialisation, as the official code leaves it.
    convs_[i] = torch::nn::Conv2d(torch::nn::Conv2dOptions(widths[i], widths[i + 1], 3).padding(1).bias(true));
    proj_->push_back(convs_[i]);
    proj_->push_back(torch::nn::InstanceNorm2d(torch::nn::InstanceNorm2dOptions(widths[i + 1])));
    proj_->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(kLeakySlope)));
  }
  register_module("proj", proj_);
}

torch::Tensor ProjectionLayerImpl::forward(const torch::Tensor& input) {
  torch::Tensor x = input;
  for (int i = 0; i < 4; ++i) {
    const FusedConv& f = fused_[i];
    if (f.packed.defined()) x = normalise_and_activate(f(x.to_mkldnn(f.blocked_dtype)));
    else if (f.weight.defined()) x = normalise_and_activate(f(x));
    else x = normalise_and_activate(convs_[i]->forward(x));
  }
  return x;
}

std::string ProjectionLayerImpl::emit(GraphSink& graph, const std::string& input) const {
  std::string x = input;
  for (int i = 0; i < 4; ++i) {
    const auto& conv = convs_[i];
    ConvWeights w;
    w.shape = conv->weight.sizes().vec();
    auto weight = conv->weight.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    auto bias = conv->bias.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    w.weight.assign(weight.data_ptr<float>(), weight.data_ptr<float>() + weight.numel());
    w.bias.assign(bias.data_ptr<float>(), bias.data_ptr<float>() + bias.numel());
    w.padding = 1;
    x = graph.leaky_relu(graph.instance_norm(graph.conv(x, w), kInstanceNormEps), kLeakySlope);
  }
  return x;
}

void ProjectionLayerImpl::prepare(bool pack_for_cpu, Precision precision) {
  torch::NoGradGuard no_grad;
  for (int i = 0; i < 4; ++i) {
    FusedConv& f = fused_[i];
    f.weight = convs_[i]->weight.detach().contiguous();
    f.bias = convs_[i]->bias.detach().contiguous();
    f.padding = 1;
    if (pack_for_cpu && f.weight.is_cpu() && at::hasMKLDNN()) {
      f.blocked_dtype = precision == Precision::Bf16 ? torch::kBFloat16 : torch::kFloat32;
      f.packed = at::mkldnn_reorder_conv2d_weight(f.weight.to_mkldnn(f.blocked_dtype), {1, 1}, {1, 1}, {1, 1}, 1);
    }
  }
}

ProjectionImpl::ProjectionImpl(const BackboneSpec& spec) {
  const char* names[] = {"proj_a", "proj_b", "proj_c"};
  for (int k = 0; k < 3; ++k) layers_[k] = register_module(names[k], ProjectionLayer(spec.channels(k + 1)));
}

std::array<torch::Tensor, 3> ProjectionImpl::forward(const std::array<torch::Tensor, 3>& f) {
  return {layers_[0]->forward(f[0]), layers_[1]->forward(f[1]), layers_[2]->forward(f[2])};
}

FeatureNames ProjectionImpl::emit(GraphSink& graph, const FeatureNames& f) const {
  return {layers_[0]->emit(graph, f[0]), layers_[1]->emit(graph, f[1]), layers_[2]->emit(graph, f[2])};
}

void ProjectionImpl::prepare(bool pack_for_cpu, Precision precision) {
  for (auto& layer : layers_) layer->prepare(pack_for_cpu, precision);
}

}  // namespace rd
