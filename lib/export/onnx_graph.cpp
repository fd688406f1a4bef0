#include "export/onnx_graph.h"

#include <cstring>

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "errors.h"

namespace rd {
namespace {

int32_t element_type(OnnxElement e) {
  return e == OnnxElement::Float16 ? onnx::TensorProto::FLOAT16 : onnx::TensorProto::FLOAT;
}

void set_value_type(onnx::ValueInfoProto& v, OnnxElement type, const std::vector<int64_t>& dims) {
  auto* tensor = v.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(element_type(type));
  for (int64_t d : dims) {
    auto* dim = tensor->mutable_shape()->add_dim();
    if (d < 0) dim->set_dim_param("N");
    else dim->set_dim_value(d);
  }
}

void set_attr(onnx::AttributeProto& a, const OnnxAttr& attr) {
  a.set_name(attr.name);
  if (auto* i = std::get_if<int64_t>(&attr.value)) {
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(*i);
  } else if (auto* f = std::get_if<float>(&attr.value)) {
    a.set_type(onnx::AttributeProto::FLOAT);
    a.set_f(*f);
  } else if (auto* s = std::get_if<std::string>(&attr.value)) {
    a.set_type(onnx::AttributeProto::STRING);
    a.set_s(*s);
  } else {
    a.set_type(onnx::AttributeProto::INTS);
    for (int64_t v : std::get<std::vector<int64_t>>(attr.value)) a.add_ints(v);
  }
}

}  // namespace

uint16_t half_bits(float value) {
  uint32_t f;
  std::memcpy(&f, &value, 4);
  const uint32_t sign = (f >> 16) & 0x8000u;
  const uint32_t abs = f & 0x7fffffffu;
  if (abs >= 0x7f800000u) return uint16_t(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0));  // inf, nan
  if (abs >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds past 65504: inf
  if (abs < 0x38800000u) {  // below the smallest normal half: subnormal or zero
    if (abs < 0x33000000u) return uint16_t(sign);
    const uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    const int shift = 126 - int(abs >> 23);  // 14..24
    uint32_t h = mant >> shift;
    const uint32_t rest = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (h & 1))) ++h;
    return uint16_t(sign | h);
  }
  uint32_t h = ((abs - 0x38000000u) >> 13);
  const uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1))) ++h;  // a carry into the exponent is right
  return uint16_t(sign | h);
}

struct OnnxGraph::Impl {
  onnx::ModelProto model;
  onnx::GraphProto* graph = nullptr;
  OnnxElement weights = OnnxElement::Float32;
  int counter = 0;
  std::string fresh(const std::string& op) { return fmt::format("{}_{}", op, counter++); }

  std::string weight(const std::vector<int64_t>& shape, const std::vector<float>& values, OnnxElement type) {
    auto* t = graph->add_initializer();
    const std::string name = fresh("w");
    t->set_name(name);
    for (int64_t d : shape) t->add_dims(d);
    t->set_data_type(element_type(type));
    if (type == OnnxElement::Float16) {
      std::string raw(values.size() * 2, '\0');
      for (size_t i = 0; i < values.size(); ++i) {
        const uint16_t h = half_bits(values[i]);
        std::memcpy(&raw[2 * i], &h, 2);  // ONNX raw data is little-endian, as this machine
      }
      t->set_raw_data(std::move(raw));
    } else {
      t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4));
    }
    return name;
  }
};

OnnxGraph::OnnxGraph(int opset, OnnxElement weights) : impl_(std::make_unique<Impl>()) {
  impl_->weights = weights;
  auto& m = impl_->model;
  m.set_ir_version(8);  // ONNX 1.10-1.12 (opsets 15-17); onnxruntime reads 3 and up
  m.set_producer_name("rd");
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  impl_->graph = m.mutable_graph();
  impl_->graph->set_name("rd");
}

OnnxGraph::~OnnxGraph() = default;

std::string OnnxGraph::node(const std::string& op, const std::vector<std::string>& inputs,
                            const std::vector<OnnxAttr>& attrs, int outputs) {
  auto* n = impl_->graph->add_node();
  const std::string out = impl_->fresh(op);
  n->set_op_type(op);
  n->set_name(out);
  for (const auto& in : inputs) n->add_input(in);
  n->add_output(out);
  for (int i = 1; i < outputs; ++i) n->add_output(fmt::format("{}_{}", out, i));
  for (const auto& a : attrs) set_attr(*n->add_attribute(), a);
  return out;
}

std::string OnnxGraph::f32(const std::vector<int64_t>& shape, const std::vector<float>& values) {
  return impl_->weight(shape, values, OnnxElement::Float32);
}

std::string OnnxGraph::i64(const std::vector<int64_t>& values) {
  auto* t = impl_->graph->add_initializer();
  const std::string name = impl_->fresh("c");
  t->set_name(name);
  t->add_dims(int64_t(values.size()));
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t v : values) t->add_int64_data(v);
  return name;
}

std::string OnnxGraph::cast(const std::string& x, OnnxElement to) {
  return node("Cast", {x}, {{"to", int64_t(element_type(to))}});
}

std::string OnnxGraph::conv(const std::string& x, const ConvWeights& w) {
  const std::string weight = impl_->weight(w.shape, w.weight, impl_->weights);
  const std::string bias = impl_->weight({int64_t(w.bias.size())}, w.bias, impl_->weights);
  const int64_t k = w.shape.at(2), p = w.padding;
  return node(w.transposed ? "ConvTranspose" : "Conv", {x, weight, bias},
              {{"kernel_shape", std::vector<int64_t>{k, k}},
               {"strides", std::vector<int64_t>{w.stride, w.stride}},
               {"pads", std::vector<int64_t>{p, p, p, p}}});
}

std::string OnnxGraph::relu(const std::string& x) { return node("Relu", {x}); }

std::string OnnxGraph::add(const std::string& a, const std::string& b) { return node("Add", {a, b}); }

std::string OnnxGraph::max_pool(const std::string& x, int64_t kernel, int64_t stride, int64_t padding) {
  return node("MaxPool", {x},
              {{"kernel_shape", std::vector<int64_t>{kernel, kernel}},
               {"strides", std::vector<int64_t>{stride, stride}},
               {"pads", std::vector<int64_t>{padding, padding, padding, padding}}});
}

std::string OnnxGraph::concat(const std::vector<std::string>& xs, int64_t axis) {
  return node("Concat", xs, {{"axis", axis}});
}

std::string OnnxGraph::instance_norm(const std::string& x, double eps) {
  // Written out (mean and biased variance over each plane) rather than InstanceNormalization, which
  // needs scale and bias tensors of the channel count. In an fp16 graph the statistics run in
  // fp32: a plane's sum of squares overflows fp16 easily.
  const bool half = impl_->weights == OnnxElement::Float16;
  const std::string in = half ? cast(x, OnnxElement::Float32) : x;
  const std::string mean = node("ReduceMean", {in}, {{"axes", std::vector<int64_t>{2, 3}}});
  const std::string centred = node("Sub", {in, mean});
  const std::string var = node("ReduceMean", {node("Mul", {centred, centred})}, {{"axes", std::vector<int64_t>{2, 3}}});
  const std::string out = node("Div", {centred, node("Sqrt", {node("Add", {var, f32({}, {float(eps)})})})});
  return half ? cast(out, OnnxElement::Float16) : out;
}

std::string OnnxGraph::leaky_relu(const std::string& x, double slope) {
  return node("LeakyRelu", {x}, {{"alpha", float(slope)}});
}

void OnnxGraph::input(const std::string& name, OnnxElement type, const std::vector<int64_t>& dims) {
  set_value_type(*impl_->graph->add_input(), type, dims);
  impl_->graph->mutable_input(impl_->graph->input_size() - 1)->set_name(name);
}

void OnnxGraph::output(const std::string& value, const std::string& name, OnnxElement type,
                       const std::vector<int64_t>& dims) {
  // Renames by an Identity: the value may also feed other nodes under its own name.
  auto* n = impl_->graph->add_node();
  n->set_op_type("Identity");
  n->set_name(name);
  n->add_input(value);
  n->add_output(name);
  auto* v = impl_->graph->add_output();
  v->set_name(name);
  set_value_type(*v, type, dims);
}

void OnnxGraph::metadata(const std::string& key, const std::string& value) {
  auto* p = impl_->model.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

void OnnxGraph::describe(const std::string& producer_version, const std::string& doc) {
  impl_->model.set_producer_version(producer_version);
  impl_->model.set_doc_string(doc);
}

std::string OnnxGraph::serialize() {
  try {
    onnx::checker::check_model(impl_->model);
    // Strict: a type mismatch between nodes (an fp16 value meeting an fp32 one) is an error here,
    // not in the runtime.
    onnx::shape_inference::InferShapes(impl_->model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& e) {
    throw RuntimeFailure(fmt::format("the ONNX checker rejected the graph: {}", e.what()));
  }
  std::string bytes;
  if (!impl_->model.SerializeToString(&bytes)) throw RuntimeFailure("could not serialise the ONNX model");
  return bytes;
}

}  // namespace rd
