// What every tool shares: common options, messages prefixed with the tool's name, threads,
// device choice, and turning library errors into exit statuses.
#pragma once
#include <functional>
#include <string>

#include <cxxopts.hpp>

namespace rd::cli {

struct Common {
  std::string tool;
  int threads = 0;
  std::string device = "auto";
  bool quiet = false, verbose = false;
  int progress = -1;  // -1: when stderr is a TTY, 0: never, 1: always
  bool show_progress() const;
};

// Adds -h/--help, --version, -q/--quiet, -v/--verbose, --threads, --progress, --no-progress
// and, for tools that run a model, --device.
void add_common_options(cxxopts::Options& options, bool with_device);

// Reads the common options. Tools that run a model pass `threads` to rd::set_threads.
Common read_common(const std::string& tool, const cxxopts::ParseResult& args);

// The CPUs this process may run on (sched_getaffinity), or OMP_NUM_THREADS when set.
int default_threads();

// Messages on stderr, prefixed "tool: ".
void error(const Common& c, const std::string& message);
void warn(const Common& c, const std::string& message);
void info(const Common& c, const std::string& message);  // only with -v

// Parses argv with cxxopts; prints --help (stdout, exit 0), --version, or a short usage error
// (stderr, exit 2). Runs body and maps library errors to exit statuses (DESIGN §2).
int run_tool(const std::string& tool, cxxopts::Options& options, int argc, char** argv,
             const std::function<int(const cxxopts::ParseResult&)>& body);

}  // namespace rd::cli
