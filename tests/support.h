// Helpers shared by the unit tests: fixture paths and scratch directories.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace rd::test {

// Directory of the fixtures written by tests/reference/make_*.py (set by ctest).
inline std::string fixtures() {
  const char* dir = std::getenv("RD_FIXTURES");
  REQUIRE_MESSAGE(dir != nullptr, "RD_FIXTURES is not set: run the tests through ctest");
  return dir;
}

// A JSON fixture written by a tests/reference script, by file name relative to fixtures().
nlohmann::json json_fixture(const std::string& name);

// A fresh empty directory under the system temp dir, named after the test.
std::string scratch_dir(const std::string& name);

// A fresh directory tree under the system temp dir, removed when the object goes.
struct TempTree {
  std::filesystem::path root;
  explicit TempTree(const std::string& name);
  ~TempTree();
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  // Writes `content` to root/rel, creating its folders, and returns its path.
  std::string file(const std::string& rel, const std::string& content = "x") const;
  // Files with one byte each (listing code needs names only).
  void files(std::initializer_list<const char*> rels) const;
  std::string operator/(const std::string& rel) const { return (root / rel).string(); }
};

// n draws from N(mean, sd): score samples for the drift and report tests.
std::vector<double> normal_scores(std::mt19937& rng, std::size_t n, double mean, double sd);

// Sets an environment variable for one scope, and unsets it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
};

}  // namespace rd::test
