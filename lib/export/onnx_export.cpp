#include "export/onnx_export.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "errors.h"
#include "export/onnx_graph.h"
#include "export/onnx_map_head.h"
#include "io/atomic_file.h"
#include "score/model_store.h"

namespace rd {
namespace {

// [0.485, 0.456, 0.406] as the user wrote them, not the float's nearest double.
std::string json_floats(const std::array<float, 3>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (float x : v) a.push_back(std::stod(fmt::format("{}", x)));
  return a.dump();
}

// What a runtime needs besides the graph to give the same decision as rd: the input's
// preprocessing, the head's settings and the validation statistics thresholds are fitted on.
void add_metadata(OnnxGraph& g, const Model& m, const ExportOptions& o) {
  g.metadata("rd.model_id", m.id);
  g.metadata("rd.version", RD_VERSION);
  g.metadata("rd.backbone", m.net->spec().name);
  g.metadata("rd.image_size", std::to_string(m.image_size));
  g.metadata("rd.mean", json_floats(m.norm.mean));
  g.metadata("rd.std", json_floats(m.norm.std));
  g.metadata("rd.input", fmt::format("image: float32 [N,3,{0},{0}], RGB resized to {0}x{0} (bilinear), scaled to "
                                     "[0,1], then (x - rd.mean) / rd.std per channel",
                                     m.image_size));
  g.metadata("rd.map_mode", map_mode_name(m.map.mode));
  g.metadata("rd.sigma", fmt::format("{}", m.map.sigma));
  g.metadata("rd.reduce", m.map.top_k > 0 ? fmt::format("topk:{}", m.map.top_k) : "max");
  g.metadata("rd.precision", o.fp16 ? "fp16" : "fp32");
  g.metadata("rd.outputs", o.with_map ? "score,map"
                                      : "teacher_1,student_1,teacher_2,student_2,teacher_3,student_3");
  const auto validation = m.meta.find("validation");
  if (validation != m.meta.end() && validation->is_object()) {
    nlohmann::json stats = *validation;
    stats.erase("paths");  // where the training machine kept its images: no use to a runtime
    g.metadata("rd.validation", stats.dump());
  }
}

std::string build_graph(Model& m, const ExportOptions& o) {
  const auto network = o.fp16 ? OnnxElement::Float16 : OnnxElement::Float32;
  OnnxGraph g(o.opset, network);
  const int64_t s = m.image_size;
  g.input("image", OnnxElement::Float32, {-1, 3, s, s});
  const std::string image = o.fp16 ? g.cast("image", network) : "image";
  FeatureNames teacher = m.net->teacher->emit(g, image);
  FeatureNames student = m.net->emit_student(g, teacher);
  if (o.fp16)
    for (auto* f : {&teacher, &student})
      for (auto& name : *f) name = g.cast(name, OnnxElement::Float32);
  if (o.with_map) {
    MapHeadSpec head{m.image_size, m.map.mode == MapMode::Mul, m.map.sigma, m.map.top_k};
    MapHeadOutputs out = add_map_head(g, teacher, student, head);
    g.output(out.score, "score", OnnxElement::Float32, {-1});
    g.output(out.map, "map", OnnxElement::Float32, {-1, 1, s, s});
  } else {
    for (int k = 0; k < 3; ++k) {
      const int64_t c = m.net->spec().channels(k + 1), side = s / (4 << k);
      g.output(teacher[k], fmt::format("teacher_{}", k + 1), OnnxElement::Float32, {-1, c, side, side});
      g.output(student[k], fmt::format("student_{}", k + 1), OnnxElement::Float32, {-1, c, side, side});
    }
  }
  add_metadata(g, m, o);
  g.describe(RD_VERSION, fmt::format("rd reverse-distillation model {} ({}, {} px)", m.id, m.net->spec().name, s));
  return g.serialize();
}

}  // namespace

ExportSummary export_onnx(const std::string& model_path, const std::string& onnx_path, const ExportOptions& o) {
  if (o.opset < kMinOpset || o.opset > kMaxOpset)
    throw UsageError(fmt::format("--opset {}: rd exports opsets {} to {}", o.opset, kMinOpset, kMaxOpset));
  Model m = load_model(model_path);
  if (m.tiling.enabled())
    throw UsageError(fmt::format("'{}' is a tiled model ({} px tiles): the graph would score single tiles, with "
                                 "seams between their maps; rd-export does not export tiled models",
                                 model_path, m.tiling.size));
  if (!o.map_mode.empty()) m.map.mode = parse_map_mode(o.map_mode);
  if (!o.reduce.empty()) m.map.top_k = parse_reduce(o.reduce);
  torch::NoGradGuard no_grad;
  m.net->fold_batchnorm();
  const std::string bytes = build_graph(m, o);
  write_file_atomically(onnx_path, [&](std::ostream& out) { out.write(bytes.data(), std::streamsize(bytes.size())); });
  return {m.id, bytes.size(), m.image_size};
}

}  // namespace rd
