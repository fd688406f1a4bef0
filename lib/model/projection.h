// RD++'s feature projection (Tien et al., CVPR 2023): one small trainable network per teacher
// scale, between the frozen teacher and the OCBE, named as the official code (proj_a, proj_b,
// proj_c, each a Sequential "proj" of conv / InstanceNorm / LeakyReLU, convolutions at 0, 3, 6, 9).
#pragma once
#include <array>

#include "model/backbone.h"
#include "model/conv_bn.h"
#include "model/graph_sink.h"
#include "rd_torch.h"

namespace rd {

// C -> C/2 -> C/4 -> C/2 -> C, 3x3 convolutions with bias, each followed by InstanceNorm2d (no
// affine, no running statistics: the same in training and scoring) and LeakyReLU(0.01).
class ProjectionLayerImpl : public torch::nn::Module {
 public:
  explicit ProjectionLayerImpl(int64_t channels);
  // Takes and returns fp32 dense features; the instance norm runs in fp32 whatever the
  // convolutions run in (bf16 autocast, or oneDNN bf16 once prepared).
  torch::Tensor forward(const torch::Tensor& x);
  std::string emit(GraphSink& graph, const std::string& x) const;
  // Inference only: copies the weights into oneDNN's layout in `precision` (CPU).
  void prepare(bool pack_for_cpu, Precision precision);

 private:
  torch::nn::Sequential proj_{nullptr};
  std::array<torch::nn::Conv2d, 4> convs_{nullptr, nullptr, nullptr, nullptr};
  std::array<FusedConv, 4> fused_;
};
TORCH_MODULE(ProjectionLayer);

class ProjectionImpl : public torch::nn::Module {
 public:
  explicit ProjectionImpl(const BackboneSpec& spec);
  std::array<torch::Tensor, 3> forward(const std::array<torch::Tensor, 3>& features);
  FeatureNames emit(GraphSink& graph, const FeatureNames& features) const;
  void prepare(bool pack_for_cpu, Precision precision);

 private:
  std::array<ProjectionLayer, 3> layers_{nullptr, nullptr, nullptr};
};
TORCH_MODULE(Projection);

}  // namespace rd
