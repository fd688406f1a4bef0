#include "cli/output.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"
#include "io/input_records.h"

namespace rd::cli {

void RecordWriter::check(bool ok) {
  if (ok) return;
  if (errno == EPIPE) throw OutputClosed();
  throw RuntimeFailure(fmt::format("cannot write to stdout: {}", std::strerror(errno)));
}

void RecordWriter::write(const RecordFields& record) {
  const std::string line = to_json_line(record);
  errno = 0;
  check(std::fwrite(line.data(), 1, line.size(), out_) == line.size());
}

void RecordWriter::flush() {
  errno = 0;
  check(std::fflush(out_) == 0);
}

}  // namespace rd::cli
