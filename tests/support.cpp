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

TempTree::TempTree(const std::string& name) {
  static int n = 0;
  root = std::filesystem::temp_directory_path() /
         ("rd_" + name + "_" + std::to_string(getpid()) + "_" + std::to_string(n++));
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
}

TempTree::~TempTree() {
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
}

std::string TempTree::file(const std::string& rel, const std::string& content) const {
  const auto p = root / rel;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << content;
  return p.string();
}

void TempTree::files(std::initializer_list<const char*> rels) const {
  for (const char* rel : rels) file(rel);
}

ScopedEnv::ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
  ::setenv(name_.c_str(), value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() { ::unsetenv(name_.c_str()); }

std::vector<double> normal_scores(std::mt19937& rng, std::size_t n, double mean, double sd) {
  std::normal_distribution<double> d(mean, sd);
  std::vector<double> out(n);
  for (double& v : out) v = d(rng);
  return out;
}

}  // namespace rd::test
