// The network described as a graph of named values, for exporters (export/onnx_graph.h). Each
// module's emit() mirrors its forward() op for op, next to it, so that an export cannot drift
// from what rd-score runs; the export tests compare the two numerically.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace rd {

// A convolution with its BatchNorm folded in, as plain fp32 arrays.
struct ConvWeights {
  std::vector<int64_t> shape;  // [out, in, k, k]; transposed: ConvTranspose's [in, out, 2, 2]
  std::vector<float> weight, bias;
  int64_t stride = 1, padding = 0;
  bool transposed = false;  // the decoder's 2x2 stride-2 transposed convolution
};

// Teacher or student features at strides 4, 8 and 16, as value names (model/rd_model.h).
using FeatureNames = std::array<std::string, 3>;

class GraphSink {
 public:
  virtual ~GraphSink() = default;
  // Each returns the name of the value it produces.
  virtual std::string conv(const std::string& x, const ConvWeights& w) = 0;
  virtual std::string relu(const std::string& x) = 0;
  virtual std::string add(const std::string& a, const std::string& b) = 0;
  virtual std::string max_pool(const std::string& x, int64_t kernel, int64_t stride, int64_t padding) = 0;
  virtual std::string concat(const std::vector<std::string>& xs, int64_t axis) = 0;
  // Per-sample, per-channel normalisation without affine terms (RD++'s projection).
  virtual std::string instance_norm(const std::string& x, double eps) = 0;
  virtual std::string leaky_relu(const std::string& x, double slope) = 0;
};

}  // namespace rd
