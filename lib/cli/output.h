// JSON lines on stdout: data only, checked writes, and a closed pipe that ends a tool quietly.
#pragma once
#include <cstdio>
#include <stdexcept>

#include "io/input_records.h"

namespace rd::cli {

// Thrown when the reader of stdout went away (`| head -1`); run_tool ends quietly with status 0.
struct OutputClosed : std::runtime_error {
  OutputClosed() : std::runtime_error("stdout closed") {}
};

class RecordWriter {
 public:
  explicit RecordWriter(std::FILE* out = stdout) : out_(out) {}
  // Writes one record as a JSON line. Throws OutputClosed on EPIPE, RuntimeFailure on other errors.
  void write(const RecordFields& record);
  // Flushes, so that a killed run leaves complete lines behind (for --resume).
  void flush();

 private:
  void check(bool ok);
  std::FILE* out_;
};

}  // namespace rd::cli
