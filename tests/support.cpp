#include "support.h"

#include <filesystem>
#include <unistd.h>

namespace rd::test {

std::string scratch_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("rd-test-" + std::to_string(getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace rd::test
