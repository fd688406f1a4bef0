// A one-line progress bar on stderr: count, rate and ETA, redrawn at most ten times a second.
// The unit "bytes" is shown in MB.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace rd::cli {

class Progress {
 public:
  Progress(bool enabled, std::string unit);
  ~Progress();
  void update(int64_t done, int64_t total, const std::string& what = "");
  // Clears the line so that later messages start at column 0.
  void finish();

 private:
  bool enabled_;
  std::string unit_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace rd::cli
