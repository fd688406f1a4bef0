#include "support.h"

#include <filesystem>
#include <fstream>
#include <stdlib.h>
#include <unistd.h>

namespace rd::test {

nlohmann::json json_fixture(const std::string& name) {
  std::ifstream in(fixtures() + "/" + name);
  REQUIRE_MESSAGE(in.good(), "missing fixture " << fixtures() << "/" << name);
  return nlohmann::json::parse(in);
}

std::string scratch_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("rd-test-" + std::to_string(getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

ScopedEnv::ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
  ::setenv(name_.c_str(), value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() { ::unsetenv(name_.c_str()); }

}  // namespace rd::test
