#include "model/conv_bn.h"

#include <cmath>
#include <stdexcept>

namespace rd {

torch::Tensor FusedConv::operator()(const torch::Tensor& x) const {
  if (x.is_mkldnn()) {
    auto y = at::mkldnn_convolution(x, packed, bias, {padding, padding}, {stride, stride}, {1, 1}, 1);
    return depth_to_space ? torch::pixel_shuffle(y.to_dense(), 2).to_mkldnn(blocked_dtype) : y;
  }
  auto y = torch::conv2d(x, weight, bias, stride, padding);
  return depth_to_space ? torch::pixel_shuffle(y, 2) : y;
}

namespace {

thread_local int skip_weight_init = 0;

}  // namespace

SkipWeightInit::SkipWeightInit() { ++skip_weight_init; }
SkipWeightInit::~SkipWeightInit() { --skip_weight_init; }
bool SkipWeightInit::active() { return skip_weight_init > 0; }

ConvBn::ConvBn(torch::nn::Module& owner, const std::string& conv_name, const std::string& bn_name,
               const ConvSpec& spec)
    : spec_(spec) {
  const std::vector<int64_t> shape = spec.transposed ? std::vector<int64_t>{spec.in, spec.out, 2, 2}
                                                     : std::vector<int64_t>{spec.out, spec.in, spec.kernel, spec.kernel};
  auto holder = owner.register_module(conv_name, std::make_shared<torch::nn::Module>());
  weight_ = holder->register_parameter("weight", torch::empty(shape));
  if (!SkipWeightInit::active()) {
    torch::NoGradGuard no_grad;
    // What LibTorch's Conv2d and ConvTranspose2d do when made ...
    torch::nn::init::kaiming_uniform_(weight_, std::sqrt(5.0));
    // ... and what torchvision and the reference code then do to every Conv2d (not ConvTranspose2d).
    if (!spec.transposed) torch::nn::init::kaiming_normal_(weight_, 0.0, torch::kFanOut, torch::kReLU);
  }
  bn_ = owner.register_module(bn_name, torch::nn::BatchNorm2d(spec.out));
}

torch::Tensor ConvBn::operator()(const torch::Tensor& x) {
  if (folded()) return fused_(x);
  if (!spec_.transposed) return bn_->forward(torch::conv2d(x, weight_, {}, spec_.stride, spec_.kernel / 2));
  // As a 1x1 convolution and a depth-to-space shuffle (see FusedConv), from the same
  // ConvTranspose2d weight: LibTorch 1.13's CPU autocast leaves conv_transpose2d in fp32, and its
  // CPU kernel is an im2col GEMM through OpenBLAS (14 % of a bf16 training step for
  // wide_resnet50_2); conv2d is autocast to bf16 and runs in oneDNN, forward and backward.
  const auto& w = weight_;  // [in, out, 2, 2]; channel o*4 + i*2 + j is output o at (i, j)
  auto as_1x1 = w.permute({1, 2, 3, 0}).reshape({spec_.out * 4, spec_.in, 1, 1});
  return bn_->forward(torch::pixel_shuffle(torch::conv2d(x, as_1x1), 2));
}

FusedConv ConvBn::folded_conv() const {
  torch::NoGradGuard no_grad;
  FusedConv f;
  auto scale = bn_->weight / torch::sqrt(bn_->running_var + bn_->options.eps());
  auto shift = bn_->bias - bn_->running_mean * scale;
  if (spec_.transposed) {
    // ConvTranspose2d weight is [in, out, 2, 2]; output (o, i, j) becomes channel o*4 + i*2 + j,
    // the order pixel_shuffle expects.
    auto w = weight_.permute({1, 2, 3, 0}) * scale.view({-1, 1, 1, 1});
    f.weight = w.reshape({spec_.out * 4, spec_.in, 1, 1}).contiguous();
    f.bias = shift.repeat_interleave(4).contiguous();
    f.depth_to_space = true;
  } else {
    f.weight = (weight_ * scale.view({-1, 1, 1, 1})).contiguous();
    f.bias = shift.contiguous();
    f.stride = spec_.stride;
    f.padding = spec_.kernel / 2;
  }
  return f;
}

void ConvBn::fold(bool pack_for_cpu, Precision precision) {
  torch::NoGradGuard no_grad;
  fused_ = folded_conv();
  if (pack_for_cpu && fused_.weight.is_cpu() && at::hasMKLDNN()) {
    fused_.blocked_dtype = precision == Precision::Bf16 ? torch::kBFloat16 : torch::kFloat32;
    fused_.packed = at::mkldnn_reorder_conv2d_weight(fused_.weight.to_mkldnn(fused_.blocked_dtype),
                                                     {fused_.padding, fused_.padding},
                                                     {fused_.stride, fused_.stride}, {1, 1}, 1);
  }
}

namespace {

std::vector<float> values_of(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

}  // namespace

std::string ConvBn::emit(GraphSink& graph, const std::string& x) const {
  if (!folded()) throw std::logic_error("ConvBn::emit needs the BatchNorm folded");
  ConvWeights w;
  torch::Tensor weight = fused_.weight, bias = fused_.bias;
  if (fused_.depth_to_space) {
    // Undoes fold's reordering: channel o*4 + i*2 + j of the 1x1 form is output o at (i, j).
    weight = weight.view({spec_.out, 2, 2, spec_.in}).permute({3, 0, 1, 2});
    bias = bias.view({spec_.out, 4}).select(1, 0);
    w.transposed = true;
    w.stride = 2;
  } else {
    w.stride = fused_.stride;
    w.padding = fused_.padding;
  }
  w.shape = weight.sizes().vec();
  w.weight = values_of(weight);
  w.bias = values_of(bias);
  return graph.conv(x, w);
}

}  // namespace rd
