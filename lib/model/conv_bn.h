// A convolution and the BatchNorm after it: the unit every ResNet block is made of.
#pragma once
#include <string>

#include "rd_torch.h"

namespace rd {

struct ConvSpec {
  int64_t in = 0, out = 0, kernel = 3, stride = 1;
  bool transposed = false;  // 2x2 stride-2 ConvTranspose2d of the decoder
};

// A convolution with BatchNorm folded in. A 2x2 stride-2 transposed convolution has no
// overlapping outputs, so it is stored as a 1x1 convolution to 4xC channels followed by a
// depth-to-space shuffle; LibTorch 1.13 has no fast kernel for ConvTranspose2d.
struct FusedConv {
  torch::Tensor weight, bias;
  int64_t stride = 1, padding = 0;
  bool depth_to_space = false;
  torch::Tensor operator()(const torch::Tensor& x) const;
};

// Holds a conv (or transposed conv) and its BatchNorm, registered in the owning module under the
// names the reference code uses (e.g. "conv1" and "bn1", or "0" and "1" inside a shortcut).
class ConvBn {
 public:
  ConvBn() = default;
  ConvBn(torch::nn::Module& owner, const std::string& conv_name, const std::string& bn_name,
         const ConvSpec& spec);
  torch::Tensor operator()(const torch::Tensor& x);
  // Replaces conv+bn by one convolution using the BatchNorm running statistics (inference only).
  void fold();
  bool folded() const { return fused_.weight.defined(); }

 private:
  ConvSpec spec_;
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::ConvTranspose2d deconv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
  FusedConv fused_;
};

}  // namespace rd
