// Option groups that several tools share, each defined once: a new option of a group is added
// here and reaches every tool that has the group (and the docs-sync test names the tools).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <cxxopts.hpp>

namespace rd::cli {

// -m/--model FILE. `description` says what the tool does with the model.
void add_model_option(cxxopts::Options& options, const std::string& description);
// The -m path, or nothing when it was not given.
std::optional<std::string> model_option(const cxxopts::ParseResult& args);
// The -m path; a UsageError ("missing -m/--model MODEL.rdm") when it was not given.
std::string required_model_option(const cxxopts::ParseResult& args);

// Images given as inputs: the positional list (`inputs_help` says what it may hold),
// -0/--null for NUL-separated path lists, and --max-pixels.
struct ImageInputs {
  std::vector<std::string> inputs;
  bool nul = false;
  int64_t max_pixels = 0;
};
void add_image_input_options(cxxopts::Options& options, const std::string& positional_help,
                             const std::string& inputs_help, const std::string& null_help, int64_t max_pixels);
ImageInputs image_input_options(const cxxopts::ParseResult& args);

// --precision fp32|bf16|int8|auto for tools that run the network (rd-score, rd-map).
void add_precision_option(cxxopts::Options& options);
std::string precision_option(const cxxopts::ParseResult& args);

// JSON-lines record files as inputs ("-" or none: stdin).
void add_record_input_options(cxxopts::Options& options);
std::vector<std::string> record_input_options(const cxxopts::ParseResult& args);

}  // namespace rd::cli
