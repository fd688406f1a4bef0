#include "model/rd_model.h"

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
  auto x = stem_(image);
  x = torch::max_pool2d(x.relu_(), 3, 2, 1);
  Features f;
  f[0] = layer1_->forward(x);
  f[1] = layer2_->forward(f[0]);
  f[2] = layer3_->forward(f[1]);
  return f;
}

void TeacherImpl::fold_batchnorm() {
  stem_.fold();
  fold_stage(layer1_);
  fold_stage(layer2_);
  fold_stage(layer3_);
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
  auto a = down1a_(t[0]).relu_();
  a = down1b_(a).relu_();
  auto b = down2_(t[1]).relu_();
  return bn_layer_->forward(torch::cat({a, b, t[2]}, 1));
}

void BottleneckImpl::fold_batchnorm() {
  down1a_.fold();
  down1b_.fold();
  down2_.fold();
  fold_stage(bn_layer_);
}

DecoderImpl::DecoderImpl(const BackboneSpec& s) {
  const int64_t e = s.expansion();
  layer1_ = register_module("layer1", make_stage(s.block, Direction::Decoder, 512 * e, 256, s.layers[0], 2, s.width_per_group));
  layer2_ = register_module("layer2", make_stage(s.block, Direction::Decoder, 256 * e, 128, s.layers[1], 2, s.width_per_group));
  layer3_ = register_module("layer3", make_stage(s.block, Direction::Decoder, 128 * e, 64, s.layers[2], 2, s.width_per_group));
}

Features DecoderImpl::forward(const torch::Tensor& embedding) {
  Features f;
  f[2] = layer1_->forward(embedding);
  f[1] = layer2_->forward(f[2]);
  f[0] = layer3_->forward(f[1]);
  return f;
}

void DecoderImpl::fold_batchnorm() {
  fold_stage(layer1_);
  fold_stage(layer2_);
  fold_stage(layer3_);
}

RdModelImpl::RdModelImpl(const BackboneSpec& s) : spec_(s) {
  teacher = register_module("teacher", Teacher(s));
  bn = register_module("bn", Bottleneck(s));
  decoder = register_module("decoder", Decoder(s));
}

std::vector<torch::Tensor> RdModelImpl::trainable_parameters() {
  auto params = bn->parameters();
  auto dec = decoder->parameters();
  params.insert(params.end(), dec.begin(), dec.end());
  return params;
}

void RdModelImpl::set_training(bool on) {
  teacher->eval();
  for (auto& p : teacher->parameters()) p.set_requires_grad(false);
  bn->train(on);
  decoder->train(on);
}

void RdModelImpl::fold_batchnorm() {
  eval();
  teacher->fold_batchnorm();
  bn->fold_batchnorm();
  decoder->fold_batchnorm();
}

}  // namespace rd
