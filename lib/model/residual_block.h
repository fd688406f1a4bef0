// ResNet residual blocks: torchvision's encoder blocks and the reference code's mirrored
// decoder blocks, with the parameter names of both.
#pragma once
#include <vector>

#include "model/backbone.h"
#include "model/conv_bn.h"
#include "rd_torch.h"

namespace rd {

enum class Direction { Encoder, Decoder };

struct BlockSpec {
  BlockKind kind = BlockKind::Basic;
  Direction direction = Direction::Encoder;
  int64_t in = 0, planes = 0, stride = 1, base_width = 64;
};

class ResidualBlockImpl : public torch::nn::Module {
 public:
  explicit ResidualBlockImpl(const BlockSpec& spec);
  torch::Tensor forward(const torch::Tensor& x);
  std::string emit(GraphSink& graph, const std::string& x) const;
  void fold_batchnorm(bool pack_for_cpu = false, Precision precision = Precision::Fp32);
  // For graphs built from the same weights (the int8 student): the convolutions of the main
  // path, ReLU between them, and the projection shortcut (nullptr: identity).
  const std::vector<ConvBn>& body() const { return body_; }
  const ConvBn* shortcut() const { return shortcut_holder_ ? &shortcut_ : nullptr; }

 private:
  std::vector<ConvBn> body_;
  std::shared_ptr<torch::nn::Module> shortcut_holder_;
  ConvBn shortcut_;
};
TORCH_MODULE(ResidualBlock);

// A ResNet stage (torchvision's and the reference's _make_layer): `blocks` blocks, the first
// with the stride and a projection shortcut where shapes change.
torch::nn::Sequential make_stage(BlockKind kind, Direction direction, int64_t in, int64_t planes,
                                 int blocks, int64_t stride, int64_t base_width);

// Adds a (folded) stage to an export graph, block by block.
std::string emit_stage(const torch::nn::Sequential& stage, GraphSink& graph, std::string x);

// Folds BatchNorm into the convolutions of every block of a stage.
void fold_stage(torch::nn::Sequential& stage, bool pack_for_cpu, Precision precision);

}  // namespace rd
