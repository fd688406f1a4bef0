// An ONNX graph under construction: named values, nodes, weights and metadata, serialised after
// onnx::checker accepts it. Knows nothing of rd's network (model/graph_sink.h feeds it) and
// keeps the ONNX protobuf headers out of every other file.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "model/graph_sink.h"

namespace rd {

enum class OnnxElement { Float32, Float16 };

struct OnnxAttr {
  std::string name;
  std::variant<int64_t, float, std::string, std::vector<int64_t>> value;
};

class OnnxGraph final : public GraphSink {
 public:
  // `weights` is the element type convolution weights are stored and computed in.
  OnnxGraph(int opset, OnnxElement weights);
  ~OnnxGraph() override;
  OnnxGraph(const OnnxGraph&) = delete;
  OnnxGraph& operator=(const OnnxGraph&) = delete;

  // GraphSink: the network's operators.
  std::string conv(const std::string& x, const ConvWeights& w) override;
  std::string relu(const std::string& x) override;
  std::string add(const std::string& a, const std::string& b) override;
  std::string max_pool(const std::string& x, int64_t kernel, int64_t stride, int64_t padding) override;
  std::string concat(const std::vector<std::string>& xs, int64_t axis) override;
  std::string instance_norm(const std::string& x, double eps) override;
  std::string leaky_relu(const std::string& x, double slope) override;

  // Any operator; returns the name of its first output (the others are named after it, "_1"...).
  std::string node(const std::string& op, const std::vector<std::string>& inputs,
                   const std::vector<OnnxAttr>& attrs = {}, int outputs = 1);
  // A float32 (`f32`) or int64 (`i64`) constant, as an initializer.
  std::string f32(const std::vector<int64_t>& shape, const std::vector<float>& values);
  std::string i64(const std::vector<int64_t>& values);
  std::string cast(const std::string& x, OnnxElement to);

  // Graph inputs and outputs are float tensors; a dimension of -1 is the dynamic batch "N".
  void input(const std::string& name, OnnxElement type, const std::vector<int64_t>& dims);
  // Makes `value` a graph output called `name`.
  void output(const std::string& value, const std::string& name, OnnxElement type, const std::vector<int64_t>& dims);
  void metadata(const std::string& key, const std::string& value);
  void describe(const std::string& producer_version, const std::string& doc);

  // Runs onnx::checker (and shape inference) and returns the serialised model; throws
  // RuntimeFailure with the checker's message.
  std::string serialize();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// IEEE half-precision bits of a float, rounded to nearest even (as numpy and torch convert).
uint16_t half_bits(float value);

}  // namespace rd
