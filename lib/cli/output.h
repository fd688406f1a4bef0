// JSON lines on stdout: data only, checked writes, and a closed pipe that ends a tool quietly.
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>

#include "io/input_records.h"

namespace rd::cli {

// Thrown when the reader of stdout went away (`| head -1`); run_tool ends quietly with status 0.
struct OutputClosed : std::runtime_error {
  OutputClosed() : std::runtime_error("stdout closed") {}
};

// Records are collected and handed to the kernel as whole lines, one write(2) per flush, never
// through stdio's fixed-size buffer: a `kill -9` then leaves complete lines behind, so
// `--resume out.jsonl ... >> out.jsonl` never appends to half a record.
class RecordWriter {
 public:
  explicit RecordWriter(std::FILE* out = stdout) : out_(out) {}
  ~RecordWriter();
  // Queues one record as a JSON line (written at the latest when 1 MB is queued).
  void write(const RecordFields& record);
  // Writes the queued lines. Throws OutputClosed on EPIPE, RuntimeFailure on other errors
  // (a full disk: "No space left on device").
  void flush();

 private:
  std::FILE* out_;
  std::string pending_;
};

}  // namespace rd::cli
