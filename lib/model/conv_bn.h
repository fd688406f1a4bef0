// A convolution and the BatchNorm after it: the unit every ResNet block is made of.
#pragma once
#include <string>

#include "model/graph_sink.h"
#include "cpu/precision.h"
#include "rd_torch.h"

namespace rd {

struct ConvSpec {
  int64_t in = 0, out = 0, kernel = 3, stride = 1;
  bool transposed = false;  // 2x2 stride-2 ConvTranspose2d of the decoder
};

// A convolution with BatchNorm folded in. A 2x2 stride-2 transposed convolution has no
// overlapping outputs, so it is stored as a 1x1 convolution to 4xC channels followed by a
// depth-to-space shuffle; LibTorch 1.13 has no fast kernel for ConvTranspose2d.
// With `packed` set (CPU with oneDNN), inputs in oneDNN's blocked layout are convolved with the
// weight reordered once at load instead of at every call; in bf16 both weight and activations
// are bf16 (the bias stays fp32: oneDNN accumulates in fp32 and adds it there).
struct FusedConv {
  torch::Tensor weight, bias, packed;
  torch::Dtype blocked_dtype = torch::kFloat32;
  int64_t stride = 1, padding = 0;
  bool depth_to_space = false;
  torch::Tensor operator()(const torch::Tensor& x) const;
};

// While one exists on a thread, the networks built there skip the random initialisation of their
// convolution weights (left uninitialised): they are about to be overwritten from a model file.
// Initialising wide_resnet50_2's 100 M weights cost about a second of rd-score's start-up.
class SkipWeightInit {
 public:
  SkipWeightInit();
  ~SkipWeightInit();
  SkipWeightInit(const SkipWeightInit&) = delete;
  SkipWeightInit& operator=(const SkipWeightInit&) = delete;
  static bool active();
};

// Holds a conv (or transposed conv) and its BatchNorm, registered in the owning module under the
// names the reference code uses (e.g. "conv1" and "bn1", or "0" and "1" inside a shortcut). The
// convolution is only its weight (a module holding one parameter, "weight"), initialised as
// LibTorch's Conv2d/ConvTranspose2d and then torchvision do, random draw for random draw.
class ConvBn {
 public:
  ConvBn() = default;
  ConvBn(torch::nn::Module& owner, const std::string& conv_name, const std::string& bn_name,
         const ConvSpec& spec);
  torch::Tensor operator()(const torch::Tensor& x);
  // Replaces conv+bn by one convolution using the BatchNorm running statistics (inference only);
  // with pack_for_cpu also prepares its weight for oneDNN-layout inputs (see to_blocked), in the
  // given precision.
  void fold(bool pack_for_cpu = false, Precision precision = Precision::Fp32);
  // The convolution fold() makes, computed without folding this unit (int8 calibration runs on
  // it while the network still trains or validates unfolded).
  FusedConv folded_conv() const;
  bool folded() const { return fused_.weight.defined(); }
  bool packed() const { return fused_.packed.defined(); }
  // The element type activations must have in oneDNN's layout to enter this convolution.
  torch::Dtype blocked_dtype() const { return fused_.blocked_dtype; }
  // Adds the folded convolution to an export graph (fold first); the transposed one goes out as
  // a ConvTranspose again, which every runtime has a fast kernel for.
  std::string emit(GraphSink& graph, const std::string& x) const;

 private:
  ConvSpec spec_;
  torch::Tensor weight_;  // [out, in, k, k]; transposed: [in, out, 2, 2]
  torch::nn::BatchNorm2d bn_{nullptr};
  FusedConv fused_;
};

// The layout activations travel in between convolutions. On a CPU a folded model keeps them in
// oneDNN's blocked layout (to_mkldnn) with prepacked weights: the dense path reorders every
// activation and weight at every convolution (measured with the reference teacher in Python:
// 35 -> 47 images/s for resnet18 at batch 1). Features leave the network dense.
// Activations travel in the precision of the packed weights (bf16 or fp32); the features a
// network hands out are always fp32 dense, for the fp32 map head and loss.
inline torch::Tensor to_blocked(const torch::Tensor& x, const ConvBn& next) {
  return next.packed() && !x.is_mkldnn() ? x.to_mkldnn(next.blocked_dtype()) : x;
}
inline torch::Tensor to_dense(const torch::Tensor& x) { return x.is_mkldnn() ? x.to_dense() : x; }
// (oneDNN converts while it reorders: ATen's own bf16 -> fp32 conversion is several times slower.)
inline torch::Tensor to_features(const torch::Tensor& x) {
  return x.is_mkldnn() ? x.to_dense(torch::kFloat32) : x.to(torch::kFloat32);
}

}  // namespace rd
