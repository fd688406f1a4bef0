// Where a tool's inputs come from, in order: a dataset's test images (--dataset), paths and
// directories given as arguments, and lists on stdin (DESIGN §2 "Streams and records").
#pragma once
#include <deque>
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "io/input_records.h"
#include "io/labeled_image.h"

namespace rd {

class InputSource {
 public:
  // `args`: image paths, directories (every image below, sorted) and "-" (stdin). With no args
  // and a stdin that is not a terminal, stdin is read. `nul`: stdin lists are NUL-separated.
  InputSource(std::vector<std::string> args, bool nul, std::istream& in, bool stdin_is_terminal);
  // Adds the test images of a dataset category (its layout detected), with `label`, `defect`
  // and `mask` fields where the layout gives them.
  void add_dataset(const std::string& category);
  // Adds test images listed by test_set(), with the same fields.
  void add_labeled_images(std::vector<LabeledImage> images);
  // Fills the next record (which may carry `error`); false at the end.
  bool next(InputRecord& record);
  // Says whether next() would now wait for input that has not arrived: stdin (std::cin) is next
  // and neither its buffer nor the file descriptor has data. Lists, folders and datasets have
  // arrived whole.
  bool would_wait() const;

 private:
  bool refill();
  std::deque<std::string> args_;
  std::deque<InputRecord> pending_;
  std::deque<std::vector<LabeledImage>> datasets_;
  bool nul_;
  std::istream& in_;
  std::unique_ptr<InputReader> stdin_reader_;
};

}  // namespace rd
