#include "cli/option_groups.h"

#include "errors.h"

namespace rd::cli {

void add_model_option(cxxopts::Options& options, const std::string& description) {
  options.add_options()("m,model", description, cxxopts::value<std::string>());
}

std::optional<std::string> model_option(const cxxopts::ParseResult& args) {
  if (!args.count("model")) return std::nullopt;
  return args["model"].as<std::string>();
}

std::string required_model_option(const cxxopts::ParseResult& args) {
  auto path = model_option(args);
  if (!path) throw UsageError("missing -m/--model MODEL.rdm");
  return *path;
}

void add_image_input_options(cxxopts::Options& options, const std::string& positional_help,
                             const std::string& inputs_help, const std::string& null_help, int64_t max_pixels) {
  options.positional_help(positional_help);
  options.add_options()
      ("max-pixels", "Refuse images larger than this", cxxopts::value<int64_t>()->default_value(std::to_string(max_pixels)))
      ("0,null", null_help)
      ("inputs", inputs_help, cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"inputs"});
}

ImageInputs image_input_options(const cxxopts::ParseResult& args) {
  ImageInputs in;
  if (args.count("inputs")) in.inputs = args["inputs"].as<std::vector<std::string>>();
  in.nul = args.count("null") > 0;
  in.max_pixels = args["max-pixels"].as<int64_t>();
  return in;
}

void add_precision_option(cxxopts::Options& options) {
  options.add_options()("precision",
                        "Convolutions in fp32 (exact), bf16 (CPUs with avx512_bf16 or amx_bf16; CUDA autocast), "
                        "int8 (the student, from the model's calibration, behind a bf16 teacher where the CPU has bf16; "
                        "CPUs with avx512_vnni, avx_vnni or amx_int8) or auto (bf16 where the CPU runs it natively, "
                        "else fp32); the map head is always fp32",
                        cxxopts::value<std::string>()->default_value("fp32"));
}

std::string precision_option(const cxxopts::ParseResult& args) { return args["precision"].as<std::string>(); }

void add_record_input_options(cxxopts::Options& options) {
  options.positional_help("[RECORDS.jsonl... | -]");
  options.add_options()("inputs", "JSON-lines files ('-' or none: stdin)", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"inputs"});
}

std::vector<std::string> record_input_options(const cxxopts::ParseResult& args) {
  return args.count("inputs") ? args["inputs"].as<std::vector<std::string>>() : std::vector<std::string>{};
}

}  // namespace rd::cli
