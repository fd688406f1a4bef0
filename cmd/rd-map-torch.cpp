// The module rd-map loads to compute maps (lib/cli/map_plugin.h): score/model_maps.h's
// map_computer behind a C name, so that rd-map itself never links LibTorch.
#include "cli/map_plugin.h"
#include "score/model_maps.h"

extern "C" __attribute__((visibility("default"))) void rd_make_map_computer_v1(
    const std::string& model_path, const std::string& device, int threads, const std::string& precision,
    rd::cli::MapComputer& out) {
  out = rd::map_computer(model_path, device, threads, precision);
}
