// SIGINT/SIGTERM become a flag that long loops poll, so they can finish a step and save.
#pragma once
#include <atomic>

namespace rd::cli {

// Installs the handlers (a second signal of the same kind kills the process at once) and
// ignores SIGPIPE so that a closed stdout is an EPIPE write error the tool can end on quietly.
const std::atomic<int>& install_stop_handlers();

}  // namespace rd::cli
