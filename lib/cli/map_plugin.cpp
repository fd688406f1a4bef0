#include "cli/map_plugin.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>

#include <fmt/format.h>

#include "errors.h"

#ifndef RD_PLUGIN_FROM_BIN
#define RD_PLUGIN_FROM_BIN "../lib/rd"
#endif

namespace rd::cli {
namespace {

std::string executable_dir() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string path(buf, size_t(n));
  return path.substr(0, path.rfind('/'));
}

}  // namespace

MapComputer load_map_computer(const std::string& model_path, const std::string& device, int threads,
                              const std::string& precision) {
  const std::string dir = executable_dir();
  std::string tried, errors;
  void* module = nullptr;
  for (const std::string& candidate : {dir + "/rd-map-torch.so", dir + "/" RD_PLUGIN_FROM_BIN "/rd-map-torch.so"}) {
    if (access(candidate.c_str(), F_OK) != 0) {
      tried += (tried.empty() ? "" : ", ") + candidate;
      continue;
    }
    // Never closed: LibTorch does not support being unloaded.
    module = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (module) break;
    errors += fmt::format("; {}: {}", candidate, dlerror());
  }
  if (!module)
    throw RuntimeFailure(fmt::format("cannot load the module that computes maps (rd-map-torch.so; looked at {}){}",
                                     tried, errors));
  auto make = reinterpret_cast<MakeMapComputer>(dlsym(module, kMakeMapComputerSymbol));
  if (!make) throw RuntimeFailure(fmt::format("rd-map-torch.so has no {}: another rd's module?", kMakeMapComputerSymbol));
  MapComputer computer;
  make(model_path, device, threads, precision, computer);
  return computer;
}

}  // namespace rd::cli
