// rd-export: a model as one ONNX graph for onnxruntime, OpenVINO or TensorRT (DESIGN §2).
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/exit_status.h"
#include "cli/option_groups.h"
#include "errors.h"
#include "export/onnx_export.h"

namespace {

constexpr const char* kDescription =
    "Write a model as one ONNX graph: input \"image\" (float32 [N,3,S,S], resized and normalised as\n"
    "the metadata says), outputs \"score\" [N] and \"map\" [N,1,S,S] equal to rd-score's. BatchNorm is\n"
    "folded in, the batch is dynamic, and the graph's metadata_props carry the model id, image size,\n"
    "mean/std, map settings and the validation statistics. Prints one JSON line. Exit status: 0\n"
    "written, 2 usage error or a model setting the export cannot express, 3 bad model or write error.";

}  // namespace

int main(int argc, char** argv) {
  const rd::ExportOptions d;
  cxxopts::Options options("rd-export", kDescription);
  rd::cli::add_model_option(options, "Model file (.rdm) to export");
  options.add_options()
      ("o,output", "ONNX file to write (replaced atomically)", cxxopts::value<std::string>(), "FILE")
      ("opset", fmt::format("ONNX opset, {} to {}", rd::kMinOpset, rd::kMaxOpset),
       cxxopts::value<int>()->default_value(std::to_string(d.opset)))
      ("no-map", "Output the teacher and student features (teacher_1..3, student_1..3) instead of score and map, "
                 "for runtimes that compute their own map")
      ("map-mode", "Combine the three scales' maps by sum (add) or product (mul); default: the model's",
       cxxopts::value<std::string>())
      ("reduce", "The score from the map: max, or topk:K (mean of the K highest pixels); default: the model's",
       cxxopts::value<std::string>())
      ("precision", "Network weights and activations in fp32 or fp16 (the map head stays fp32)",
       cxxopts::value<std::string>()->default_value("fp32"));
  rd::cli::add_common_options(options, false);

  return rd::cli::run_tool("rd-export", options, argc, argv, [&](const cxxopts::ParseResult& args) {
    const auto c = rd::cli::read_common("rd-export", args);
    const std::string model = rd::cli::required_model_option(args);
    if (!args.count("output")) throw rd::UsageError("missing -o/--output FILE.onnx");
    rd::ExportOptions o;
    o.opset = args["opset"].as<int>();
    o.with_map = !args.count("no-map");
    const std::string precision = args["precision"].as<std::string>();
    if (precision != "fp32" && precision != "fp16")
      throw rd::UsageError(fmt::format("--precision '{}': rd-export writes fp32 or fp16", precision));
    o.fp16 = precision == "fp16";
    if (args.count("map-mode")) o.map_mode = args["map-mode"].as<std::string>();
    if (args.count("reduce")) o.reduce = args["reduce"].as<std::string>();
    const std::string output = args["output"].as<std::string>();
    const rd::ExportSummary s = rd::export_onnx(model, output, o);
    rd::cli::info(c, fmt::format("wrote '{}' ({} bytes)", output, s.bytes));
    nlohmann::json line = {{"onnx", output}, {"model", model}, {"id", s.model_id}, {"bytes", s.bytes},
                           {"image_size", s.image_size}, {"opset", o.opset}, {"precision", precision},
                           {"outputs", o.with_map ? "score,map" : "features"}};
    std::cout << line.dump() << std::endl;
    if (!std::cout) throw rd::RuntimeFailure("cannot write to stdout");
    return int(rd::kExitOk);
  });
}
