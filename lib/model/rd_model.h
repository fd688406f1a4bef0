// The reverse-distillation network: frozen teacher (ResNet layer1-3), trainable one-class
// bottleneck (OCBE: MFF + OCE) and the student decoder, named as torchvision and the reference code.
#pragma once
#include <array>
#include <memory>

#include "model/backbone.h"
#include "model/conv_bn.h"
#include "model/graph_sink.h"
#include "model/method.h"
#include "model/projection.h"
#include "rd_torch.h"

namespace rd {

// Features at strides 4, 8 and 16 (teacher layer1..layer3, or the decoder's mirror of them).
using Features = std::array<torch::Tensor, 3>;

class TeacherImpl : public torch::nn::Module {
 public:
  explicit TeacherImpl(const BackboneSpec& spec);
  Features forward(const torch::Tensor& image);
  FeatureNames emit(GraphSink& graph, const std::string& image) const;
  void fold_batchnorm(bool pack_for_cpu = false, Precision precision = Precision::Fp32);

 private:
  ConvBn stem_;
  torch::nn::Sequential layer1_{nullptr}, layer2_{nullptr}, layer3_{nullptr};
};
TORCH_MODULE(Teacher);

// The reference code's BN_layer: fuses the three teacher scales and compresses them into the
// one-class embedding at stride 32.
class BottleneckImpl : public torch::nn::Module {
 public:
  explicit BottleneckImpl(const BackboneSpec& spec);
  torch::Tensor forward(const Features& teacher);
  std::string emit(GraphSink& graph, const FeatureNames& teacher) const;
  void fold_batchnorm(bool pack_for_cpu = false, Precision precision = Precision::Fp32);
  // The parts, for graphs built from the same weights (the int8 student): conv1 -> conv2 on the
  // stride-4 features, conv3 on the stride-8 ones, concatenated with the stride-16 ones.
  const ConvBn& down1a() const { return down1a_; }
  const ConvBn& down1b() const { return down1b_; }
  const ConvBn& down2() const { return down2_; }
  const torch::nn::Sequential& stage() const { return bn_layer_; }

 private:
  ConvBn down1a_, down1b_, down2_;
  torch::nn::Sequential bn_layer_{nullptr};
};
TORCH_MODULE(Bottleneck);

class DecoderImpl : public torch::nn::Module {
 public:
  explicit DecoderImpl(const BackboneSpec& spec);
  // Returns the restored features in teacher order: stride 4, 8, 16.
  Features forward(const torch::Tensor& embedding);
  FeatureNames emit(GraphSink& graph, const std::string& embedding) const;
  void fold_batchnorm(bool pack_for_cpu = false, Precision precision = Precision::Fp32);
  // layer1 (stride 16 out), layer2, layer3 (stride 4 out), in the order they run.
  std::array<torch::nn::Sequential, 3> stages() const { return {layer1_, layer2_, layer3_}; }

 private:
  torch::nn::Sequential layer1_{nullptr}, layer2_{nullptr}, layer3_{nullptr};
};
TORCH_MODULE(Decoder);

class Int8Student;

class RdModelImpl : public torch::nn::Module {
 public:
  explicit RdModelImpl(const BackboneSpec& spec, Method method = Method::Rd4ad);
  const BackboneSpec& spec() const { return spec_; }
  Method method() const { return method_; }
  Teacher teacher{nullptr};
  Projection proj{nullptr};  // RD++ only
  Bottleneck bn{nullptr};
  Decoder decoder{nullptr};
  // What the bottleneck takes: the teacher's features, or (RD++) their projection.
  Features bottleneck_input(const Features& teacher_features) {
    return proj ? proj->forward(teacher_features) : teacher_features;
  }
  // Student features restored from the teacher's: in int8 once quantize_student has run.
  Features student(const Features& teacher_features);
  // From now on the OCBE and decoder run as `int8` (model/int8_student.h); the teacher (and
  // RD++'s projection) stay as folded.
  void quantize_student(std::shared_ptr<const Int8Student> int8) { int8_ = std::move(int8); }
  FeatureNames emit_student(GraphSink& graph, const FeatureNames& teacher_features) const;
  // Puts the teacher in eval mode and freezes it; projection, OCBE and decoder in train(on) mode.
  void set_training(bool on);
  // Folds every BatchNorm into its convolution; the model is inference-only afterwards.
  void fold_batchnorm(bool pack_for_cpu = false, Precision precision = Precision::Fp32);

 private:
  BackboneSpec spec_;
  Method method_;
  std::shared_ptr<const Int8Student> int8_;
};
TORCH_MODULE(RdModel);

}  // namespace rd
