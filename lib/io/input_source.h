// Where a tool's inputs come from, in order: paths and directories given as arguments, an MVTec
// category (--dataset), and lists on stdin (DESIGN §2 "Streams and records").
#pragma once
#include <deque>
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "io/input_records.h"

namespace rd {

class InputSource {
 public:
  // `args`: image paths, directories (every image below, sorted) and "-" (stdin). With no args
  // and a stdin that is not a terminal, stdin is read. `nul`: stdin lists are NUL-separated.
  InputSource(std::vector<std::string> args, bool nul, std::istream& in, bool stdin_is_terminal);
  // Adds the test images of an MVTec AD category, with `label`, `defect` and `mask` fields.
  void add_dataset(const std::string& category);
  // Fills the next record (which may carry `error`); false at the end.
  bool next(InputRecord& record);

 private:
  bool refill();
  std::deque<std::string> args_;
  std::deque<InputRecord> pending_;
  std::vector<std::string> datasets_;
  bool nul_;
  std::istream& in_;
  std::unique_ptr<InputReader> stdin_reader_;
};

}  // namespace rd
