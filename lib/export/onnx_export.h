// rd-export's work: a model file as one ONNX graph that runtimes without LibTorch run with
// rd-score's scores and maps (DESIGN §2, rd-export(1)).
#pragma once
#include <cstddef>
#include <string>

namespace rd {

struct ExportOptions {
  int opset = 17;
  bool with_map = true;  // false: output the three teacher/student feature pairs instead
  bool fp16 = false;     // network weights and activations in float16; the map head stays float32
  std::string map_mode;  // add | mul, as rd-score --map-mode; empty: the model's
  std::string reduce;    // max | topk:K, as rd-score --reduce; empty: the model's
};

// The opsets the exported operators are written for (Resize, ReduceSum and Slice as in 13;
// 17 is the newest the ONNX library we build with knows).
constexpr int kMinOpset = 13, kMaxOpset = 17;

struct ExportSummary {
  std::string model_id;
  std::size_t bytes = 0;
  int image_size = 0;
};

// Loads `model_path`, builds and checks the graph, and writes `onnx_path` atomically.
// Throws FormatError for a bad model, UsageError for a setting the export cannot express,
// RuntimeFailure (naming `onnx_path`) when writing fails.
ExportSummary export_onnx(const std::string& model_path, const std::string& onnx_path, const ExportOptions& options);

}  // namespace rd
