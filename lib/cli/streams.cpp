#include "cli/streams.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "cli/output.h"
#include "errors.h"

namespace rd::cli {

bool stdin_is_terminal() { return isatty(STDIN_FILENO) == 1; }

void for_each_input(const std::vector<std::string>& names, const std::string& hint,
                    const std::function<bool(std::istream& in, const std::string& name)>& read) {
  if (names.empty()) {
    if (stdin_is_terminal()) throw UsageError("no input: " + hint);
    read(std::cin, "<stdin>");
    return;
  }
  for (const std::string& name : names) {
    if (name == "-") {
      if (!read(std::cin, "<stdin>")) return;
      continue;
    }
    std::ifstream file(name, std::ios::binary);
    if (!file) throw UsageError(fmt::format("cannot open '{}': {}", name, std::strerror(errno)));
    if (!read(file, name)) return;
    if (file.bad()) throw RuntimeFailure(fmt::format("cannot read '{}': {}", name, std::strerror(errno)));
  }
}

void ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }

void write_stdout(const std::string& text) {
  errno = 0;
  const bool ok = std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0;
  if (ok) return;
  if (errno == EPIPE) throw OutputClosed();
  throw RuntimeFailure(fmt::format("cannot write to stdout: {}", errno ? std::strerror(errno) : "write error"));
}

}  // namespace rd::cli
