#include "cli/signals.h"

#include <csignal>

namespace rd::cli {
namespace {

std::atomic<int> stop_signal{0};

extern "C" void on_stop(int sig) {
  if (stop_signal.load() != 0) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
  stop_signal.store(sig);
}

}  // namespace

const std::atomic<int>& install_stop_handlers() {
  std::signal(SIGINT, on_stop);
  std::signal(SIGTERM, on_stop);
  std::signal(SIGPIPE, SIG_IGN);
  return stop_signal;
}

}  // namespace rd::cli
