#include "cli/progress.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace rd::cli {

Progress::Progress(bool enabled, std::string unit)
    : enabled_(enabled), unit_(std::move(unit)), start_(std::chrono::steady_clock::now()), last_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(int64_t done, int64_t total, const std::string& what) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? double(done) / secs : 0;
  std::string eta = "--:--";
  if (rate > 0 && total > 0) {
    const int64_t left = int64_t(double(total - done) / rate);
    eta = fmt::format("{:02}:{:02}:{:02}", left / 3600, left / 60 % 60, left % 60);
  }
  const int width = 24;
  const int filled = total > 0 ? int(width * std::min(done, total) / total) : 0;
  // Byte counts read better in MB (downloads); everything else is counted as it is.
  const bool bytes = unit_ == "bytes";
  const std::string amounts =
      bytes ? fmt::format("{:.1f}/{} MB, {:.1f} MB/s", double(done) / 1e6,
                          total > 0 ? fmt::format("{:.1f}", double(total) / 1e6) : std::string("?"), rate / 1e6)
            : fmt::format("{}/{} {}, {:.2f} {}/s", done, total, unit_, rate, unit_);
  std::fprintf(stderr, "\r%s [%s%s] %s, ETA %s\x1b[K", what.c_str(), std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), amounts.c_str(), eta.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) std::fputs("\r\x1b[K", stderr);
  drawn_ = false;
}

}  // namespace rd::cli
