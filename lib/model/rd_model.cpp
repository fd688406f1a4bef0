#include "model/rd_model.h"

#include "model/int8_student.h"
#include "model/residual_block.h"

namespace rd {

TeacherImpl::TeacherImpl(const BackboneSpec& s) {
  stem_ = ConvBn(*this, "conv1", "bn1", ConvSpec{3, 64, 7, 2, false});
  const int64_t e = s.expansion();
  layer1_ = register_module("layer1", make_stage(s.block, Direction::Encoder, 64, 64, s.layers[0], 1, s.width_per_group));
  layer2_ = register_module("layer2", make_stage(s.block, Direction::Encoder, 64 * e, 128, s.layers[1], 2, s.width_per_group));
  layer3_ = register_module("layer3", make_stage(s.block, Direction::Encoder, 128 * e, 256, s.layers[2], 2, s.width_per_group));
}

Features TeacherImpl::forward(const torch::Tensor& image) {
  auto x = stem_(to_blocked(image, stem_));
  x.relu_();
  // The oneDNN kernel directly: LibTorch 2.x's dispatcher refuses max_pool2d of a oneDNN tensor
  // outside inference mode (its composite and oneDNN kernels are ambiguous there).
  x = x.is_mkldnn() ? at::mkldnn_max_pool2d(x, {3, 3}, {2, 2}, {1, 1}) : torch::max_pool2d(x, 3, 2, 1);
  auto a = layer1_->forward(x);
  auto b = layer2_->forward(a);
  auto c = layer3_->forward(b);
  return {to_features(a), to_features(b), to_features(c)};
}

FeatureNames TeacherImpl::emit(GraphSink& graph, const std::string& image) const {
  auto x = graph.max_pool(graph.relu(stem_.emit(graph, image)), 3, 2, 1);
  auto a = emit_stage(layer1_, graph, x);
  auto b = emit_stage(layer2_, graph, a);
  return {a, b, emit_stage(layer3_, graph, b)};
}

void TeacherImpl::fold_batchnorm(bool pack_for_cpu, Precision precision) {
  stem_.fold(pack_for_cpu, precision);
  fold_stage(layer1_, pack_for_cpu, precision);
  fold_stage(layer2_, pack_for_cpu, precision);
  fold_stage(layer3_, pack_for_cpu, precision);
}

BottleneckImpl::BottleneckImpl(const BackboneSpec& s) {
  const int64_t e = s.expansion();
  down1a_ = ConvBn(*this, "conv1", "bn1", ConvSpec{64 * e, 128 * e, 3, 2, false});
  down1b_ = ConvBn(*this, "conv2", "bn2", ConvSpec{128 * e, 256 * e, 3, 2, false});
  down2_ = ConvBn(*this, "conv3", "bn3", ConvSpec{128 * e, 256 * e, 3, 2, false});
  bn_layer_ = register_module(
      "bn_layer", make_stage(s.block, Direction::Encoder, 3 * 256 * e, 512, s.bottleneck_blocks, 2, s.width_per_group));
}

torch::Tensor BottleneckImpl::forward(const Features& t) {
  auto a = down1a_(to_blocked(t[0], down1a_)).relu_();
  a = down1b_(a).relu_();
  auto b = down2_(to_blocked(t[1], down2_)).relu_();
  // Dense for the concatenation (oneDNN tensors have no cat in LibTorch 1.13), in the precision
  // the next convolution takes.
  a = to_dense(a);
  auto merged = torch::cat({a, to_dense(b), t[2].to(a.scalar_type())}, 1);
  return bn_layer_->forward(down2_.packed() ? merged.to_mkldnn(down2_.blocked_dtype()) : merged);
}

std::string BottleneckImpl::emit(GraphSink& graph, const FeatureNames& t) const {
  auto a = graph.relu(down1b_.emit(graph, graph.relu(down1a_.emit(graph, t[0]))));
  auto b = graph.relu(down2_.emit(graph, t[1]));
  return emit_stage(bn_layer_, graph, graph.concat({a, b, t[2]}, 1));
}

void BottleneckImpl::fold_batchnorm(bool pack_for_cpu, Precision precision) {
  down1a_.fold(pack_for_cpu, precision);
  down1b_.fold(pack_for_cpu, precision);
  down2_.fold(pack_for_cpu, precision);
  fold_stage(bn_layer_, pack_for_cpu, precision);
}

DecoderImpl::DecoderImpl(const BackboneSpec& s) {
  const int64_t e = s.expansion();
  layer1_ = register_module("layer1", make_stage(s.block, Direction::Decoder, 512 * e, 256, s.layers[0], 2, s.width_per_group));
  layer2_ = register_module("layer2", make_stage(s.block, Direction::Decoder, 256 * e, 128, s.layers[1], 2, s.width_per_group));
  layer3_ = register_module("layer3", make_stage(s.block, Direction::Decoder, 128 * e, 64, s.layers[2], 2, s.width_per_group));
}

Features DecoderImpl::forward(const torch::Tensor& embedding) {
  auto c = layer1_->forward(embedding);
  auto b = layer2_->forward(c);
  auto a = layer3_->forward(b);
  return {to_features(a), to_features(b), to_features(c)};
}

FeatureNames DecoderImpl::emit(GraphSink& graph, const std::string& embedding) const {
  auto c = emit_stage(layer1_, graph, embedding);
  auto b = emit_stage(layer2_, graph, c);
  return {emit_stage(layer3_, graph, b), b, c};
}

void DecoderImpl::fold_batchnorm(bool pack_for_cpu, Precision precision) {
  fold_stage(layer1_, pack_for_cpu, precision);
  fold_stage(layer2_, pack_for_cpu, precision);
  fold_stage(layer3_, pack_for_cpu, precision);
}

RdModelImpl::RdModelImpl(const BackboneSpec& s, Method method) : spec_(s), method_(method) {
  teacher = register_module("teacher", Teacher(s));
  if (method == Method::RdPlusPlus) proj = register_module("proj", Projection(s));
  bn = register_module("bn", Bottleneck(s));
  decoder = register_module("decoder", Decoder(s));
}

Features RdModelImpl::student(const Features& teacher_features) {
  if (int8_) return int8_->forward(bottleneck_input(teacher_features));
  return decoder->forward(bn->forward(bottleneck_input(teacher_features)));
}

FeatureNames RdModelImpl::emit_student(GraphSink& graph, const FeatureNames& t) const {
  return decoder->emit(graph, bn->emit(graph, proj ? proj->emit(graph, t) : t));
}

void RdModelImpl::set_training(bool on) {
  teacher->eval();
  for (auto& p : teacher->parameters()) p.set_requires_grad(false);
  if (proj) proj->train(on);
  bn->train(on);
  decoder->train(on);
}

void RdModelImpl::fold_batchnorm(bool pack_for_cpu, Precision precision) {
  eval();
  const Precision teacher_side = teacher_precision(precision);
  teacher->fold_batchnorm(pack_for_cpu, teacher_side);
  if (proj) proj->prepare(pack_for_cpu, teacher_side);
  // An int8 student packs its own weights (quantize_student): oneDNN fp32 copies would go unused.
  const bool pack_student = pack_for_cpu && precision != Precision::Int8;
  bn->fold_batchnorm(pack_student, precision);
  decoder->fold_batchnorm(pack_student, precision);
}

}  // namespace rd
