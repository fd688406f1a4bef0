// Replays every input saved under tests/fuzz/inputs/ through the fuzz targets: the seeds that
// tests/fuzz/run.sh starts from, and any input a fuzzing run found to crash (saved there as a
// regression test once fixed).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/targets.h"
#include "io/model_file.h"
#include "pth/torch_checkpoint.h"

namespace fs = std::filesystem;

namespace {

fs::path inputs_dir(const std::string& target) {
  const char* src = std::getenv("RD_SOURCE_DIR");
  REQUIRE_MESSAGE(src, "RD_SOURCE_DIR unset: run the tests through ctest");
  return fs::path(src) / "tests" / "fuzz" / "inputs" / target;
}

std::vector<unsigned char> bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Calls fn on every file of the target's folder; returns the files' names.
std::vector<std::string> replay(const std::string& target, const std::function<void(const uint8_t*, size_t)>& fn) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(inputs_dir(target))) {
    const auto data = bytes_of(entry.path());
    INFO(entry.path().string());
    CHECK_NOTHROW(fn(data.data(), data.size()));
    names.push_back(entry.path().filename().string());
  }
  return names;
}

bool is_seed(const std::string& name) { return name.rfind("seed-", 0) == 0; }

}  // namespace

TEST_CASE("saved fuzz inputs load or are refused with rd::Error, nothing else") {
  CHECK(replay("torch_checkpoint", rd::fuzz::torch_checkpoint).size() >= 3);
  CHECK(replay("model_file", rd::fuzz::model_file).size() >= 1);
  CHECK(replay("input_records", rd::fuzz::input_records).size() >= 3);
}

TEST_CASE("the seeds are valid files, so that mutations start from inputs that load") {
  for (const auto& entry : fs::directory_iterator(inputs_dir("torch_checkpoint"))) {
    if (!is_seed(entry.path().filename().string())) continue;
    const auto data = bytes_of(entry.path());
    INFO(entry.path().string());
    CHECK(rd::read_torch_checkpoint_bytes(data.data(), data.size(), entry.path().string()).size() >= 2);
  }
  for (const auto& entry : fs::directory_iterator(inputs_dir("model_file"))) {
    if (!is_seed(entry.path().filename().string())) continue;
    INFO(entry.path().string());
    CHECK(rd::read_model_file_bytes(bytes_of(entry.path()), entry.path().string()).tensors.size() >= 1);
  }
}
