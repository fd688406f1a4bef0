#include "io/input_source.h"

#include <poll.h>
#include <unistd.h>

#include <iostream>

#include "io/image_paths.h"
#include "io/datasets.h"

namespace rd {
namespace {

InputRecord plain(const std::string& path) { return InputRecord{path, {{"path", path}}, "", 0}; }

}  // namespace

InputSource::InputSource(std::vector<std::string> args, bool nul, std::istream& in, bool stdin_is_terminal)
    : args_(args.begin(), args.end()), nul_(nul), in_(in) {
  if (args_.empty() && !stdin_is_terminal) args_.push_back("-");
}

void InputSource::add_dataset(const std::string& category) { add_labeled_images(test_set(category).images); }

void InputSource::add_labeled_images(std::vector<LabeledImage> images) { datasets_.push_back(std::move(images)); }

bool InputSource::refill() {
  if (!datasets_.empty()) {
    for (const auto& img : datasets_.front()) {
      InputRecord r = plain(img.path);
      if (img.label >= 0) r.fields["label"] = img.label;
      if (!img.defect.empty()) r.fields["defect"] = img.defect;
      if (!img.mask.empty()) r.fields["mask"] = img.mask;
      pending_.push_back(std::move(r));
    }
    datasets_.pop_front();
    return true;
  }
  if (args_.empty()) return false;
  const std::string arg = args_.front();
  args_.pop_front();
  if (arg == "-") {
    stdin_reader_ = std::make_unique<InputReader>(in_, nul_);
  } else if (directory_exists(arg) && !is_image_path(arg)) {
    for (const auto& p : list_images(arg)) pending_.push_back(plain(p));
  } else {
    // Anything else is an image path; if it cannot be read, the record says so later.
    pending_.push_back(plain(arg));
  }
  return true;
}

bool InputSource::would_wait() const {
  if (!pending_.empty()) return false;
  const bool stdin_next = stdin_reader_ || (datasets_.empty() && !args_.empty() && args_.front() == "-");
  if (!stdin_next || &in_ != &std::cin) return false;
  if (in_.rdbuf()->in_avail() > 0) return false;
  pollfd fd{STDIN_FILENO, POLLIN, 0};
  return poll(&fd, 1, 0) == 0;  // nothing to read now (an error or hang-up would not block)
}

bool InputSource::next(InputRecord& record) {
  for (;;) {
    if (!pending_.empty()) {
      record = std::move(pending_.front());
      pending_.pop_front();
      return true;
    }
    if (stdin_reader_) {
      if (stdin_reader_->next(record)) return true;
      stdin_reader_.reset();
    }
    if (!refill()) return false;
  }
}

}  // namespace rd
