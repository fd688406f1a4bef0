#include "model/residual_block.h"

#include "cpu/cpu_caches.h"

namespace rd {
namespace {

int64_t expansion_of(BlockKind kind) { return kind == BlockKind::Basic ? 1 : 4; }

// The decoder upsamples where the encoder would downsample: a 2x2 stride-2 transposed conv.
ConvSpec spatial_conv(const BlockSpec& s, int64_t in, int64_t out) {
  if (s.direction == Direction::Decoder && s.stride == 2) return {in, out, 2, 2, true};
  return {in, out, 3, s.stride, false};
}

}  // namespace

ResidualBlockImpl::ResidualBlockImpl(const BlockSpec& s) {
  const int64_t out = s.planes * expansion_of(s.kind);
  if (s.kind == BlockKind::Basic) {
    body_.emplace_back(*this, "conv1", "bn1", spatial_conv(s, s.in, s.planes));
    body_.emplace_back(*this, "conv2", "bn2", ConvSpec{s.planes, s.planes, 3, 1, false});
  } else {
    const int64_t width = s.planes * s.base_width / 64;
    body_.emplace_back(*this, "conv1", "bn1", ConvSpec{s.in, width, 1, 1, false});
    body_.emplace_back(*this, "conv2", "bn2", spatial_conv(s, width, width));
    body_.emplace_back(*this, "conv3", "bn3", ConvSpec{width, out, 1, 1, false});
  }
  if (s.stride != 1 || s.in != out) {
    const bool up = s.direction == Direction::Decoder;
    shortcut_holder_ = register_module(up ? "upsample" : "downsample", std::make_shared<torch::nn::Module>());
    ConvSpec proj = up && s.stride == 2 ? ConvSpec{s.in, out, 2, 2, true} : ConvSpec{s.in, out, 1, s.stride, false};
    shortcut_ = ConvBn(*shortcut_holder_, "0", "1", proj);
  }
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = x;
  for (size_t i = 0; i < body_.size(); ++i) {
    out = body_[i](out);
    if (i + 1 < body_.size()) out.relu_();
  }
  torch::Tensor skip = shortcut_holder_ ? shortcut_(x) : x;
  if (out.is_mkldnn() && !onednn_caches_visible()) {
    // oneDNN's own sum would divide by the hidden cache sizes (model/cpu_caches.h): add in
    // ATen's dense layout and hand the next convolution a oneDNN tensor again.
    auto dense = out.to_dense();
    dense += to_dense(skip);
    return dense.relu_().to_mkldnn(dense.scalar_type());
  }
  out += skip;
  return out.relu_();
}

std::string ResidualBlockImpl::emit(GraphSink& graph, const std::string& x) const {
  std::string out = x;
  for (size_t i = 0; i < body_.size(); ++i) {
    out = body_[i].emit(graph, out);
    if (i + 1 < body_.size()) out = graph.relu(out);
  }
  return graph.relu(graph.add(out, shortcut_holder_ ? shortcut_.emit(graph, x) : x));
}

void ResidualBlockImpl::fold_batchnorm(bool pack_for_cpu, Precision precision) {
  for (auto& unit : body_) unit.fold(pack_for_cpu, precision);
  if (shortcut_holder_) shortcut_.fold(pack_for_cpu, precision);
}

torch::nn::Sequential make_stage(BlockKind kind, Direction direction, int64_t in, int64_t planes,
                                 int blocks, int64_t stride, int64_t base_width) {
  torch::nn::Sequential stage;
  for (int b = 0; b < blocks; ++b) {
    stage->push_back(ResidualBlock(BlockSpec{kind, direction, in, planes, b == 0 ? stride : 1, base_width}));
    in = planes * expansion_of(kind);
  }
  return stage;
}

std::string emit_stage(const torch::nn::Sequential& stage, GraphSink& graph, std::string x) {
  for (const auto& child : stage->children()) x = child->as<ResidualBlockImpl>()->emit(graph, x);
  return x;
}

void fold_stage(torch::nn::Sequential& stage, bool pack_for_cpu, Precision precision) {
  for (auto& child : stage->children()) child->as<ResidualBlockImpl>()->fold_batchnorm(pack_for_cpu, precision);
}

}  // namespace rd
