// rd-map's way to compute maps without linking LibTorch: the network part is a module,
// rd-map-torch.so, loaded at the first record that needs a map (DESIGN §2 "Latency": rd-map on
// saved maps starts in milliseconds; only a map to compute pays LibTorch's start-up).
#pragma once
#include <functional>
#include <string>

#include <opencv2/core.hpp>

namespace rd::cli {

using MapComputer = std::function<cv::Mat(const std::string& image_path)>;

// Loads the module (beside the executable in a build tree, in LIBDIR/rd when installed) and
// returns score/model_maps.h's map_computer for the model. Throws RuntimeFailure when the module
// is missing or does not load, and what map_computer throws.
MapComputer load_map_computer(const std::string& model_path, const std::string& device, int threads,
                              const std::string& precision);

// The entry point the module exports, and its C name (stable across rd versions of one build).
using MakeMapComputer = void (*)(const std::string& model_path, const std::string& device, int threads,
                                 const std::string& precision, MapComputer& out);
constexpr const char* kMakeMapComputerSymbol = "rd_make_map_computer_v1";

}  // namespace rd::cli
