#include "cli/output.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "errors.h"
#include "io/input_records.h"

namespace rd::cli {
namespace {

[[noreturn]] void fail(int err) {
  if (err == EPIPE) throw OutputClosed();
  throw RuntimeFailure(fmt::format("cannot write to stdout: {}", std::strerror(err)));
}

}  // namespace

RecordWriter::~RecordWriter() {
  try {
    flush();
  } catch (const std::exception&) {
    // Destructors run during unwinding from the error that matters; it has been reported.
  }
}

void RecordWriter::write(const RecordFields& record) {
  pending_ += to_json_line(record);
  if (pending_.size() >= (1u << 20)) flush();
}

void RecordWriter::flush() {
  if (std::fflush(out_) != 0) fail(errno);  // whatever else went to this stream comes first
  const int fd = fileno(out_);
  size_t done = 0;
  while (done < pending_.size()) {
    const ssize_t n = fd >= 0 ? ::write(fd, pending_.data() + done, pending_.size() - done)
                              : ssize_t(std::fwrite(pending_.data() + done, 1, pending_.size() - done, out_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      pending_.erase(0, done);
      fail(err);
    }
    done += size_t(n);
  }
  pending_.clear();
  if (fd < 0 && std::fflush(out_) != 0) fail(errno);
}

}  // namespace rd::cli
