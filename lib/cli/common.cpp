#include "cli/common.h"

#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <new>

#include <fmt/format.h>

#include "cli/allocator.h"
#include "cli/blas_threads.h"
#include "cli/exit_status.h"
#include "cli/output.h"
#include "errors.h"

namespace rd::cli {

bool Common::show_progress() const {
  if (quiet) return false;
  return progress < 0 ? isatty(STDERR_FILENO) : progress == 1;
}

void add_common_options(cxxopts::Options& options, bool with_device) {
  options.add_options("Common")
      ("h,help", "Print this help and exit")
      ("version", "Print the version and exit")
      ("q,quiet", "Print only errors on stderr")
      ("v,verbose", "Print more details on stderr")
      ("threads", "Threads to use (default: the CPUs available, or OMP_NUM_THREADS)", cxxopts::value<int>())
      ("progress", "Show a progress bar even when stderr is not a terminal")
      ("no-progress", "Never show a progress bar");
  if (with_device)
    options.add_options("Common")("device", "Where the model runs: auto, cpu, cuda or cuda:N",
                                  cxxopts::value<std::string>()->default_value("auto"));
}

int default_threads() {
  if (const char* omp = std::getenv("OMP_NUM_THREADS"); omp && std::atoi(omp) > 0) return std::atoi(omp);
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? int(n) : 1;
}

Common read_common(const std::string& tool, const cxxopts::ParseResult& args) {
  Common c;
  c.tool = tool;
  c.quiet = args.count("quiet") > 0;
  c.verbose = args.count("verbose") > 0;
  if (args.count("progress")) c.progress = 1;
  if (args.count("no-progress")) c.progress = 0;
  c.threads = args.count("threads") ? args["threads"].as<int>() : default_threads();
  if (c.threads < 1) throw UsageError(fmt::format("--threads must be at least 1, got {}", c.threads));
  if (args.count("device")) c.device = args["device"].as<std::string>();
  return c;
}

void error(const Common& c, const std::string& message) { std::cerr << c.tool << ": " << message << std::endl; }
void warn(const Common& c, const std::string& message) {
  if (!c.quiet) std::cerr << c.tool << ": warning: " << message << std::endl;
}
void info(const Common& c, const std::string& message) {
  if (c.verbose && !c.quiet) std::cerr << c.tool << ": " << message << std::endl;
}

int run_tool(const std::string& tool, cxxopts::Options& options, int argc, char** argv,
             const std::function<int(const cxxopts::ParseResult&)>& body) {
  (void)blas_threads_set_early();  // links the pre-initialiser (cli/blas_threads.h)
  keep_freed_memory();
  auto say = [&](const std::string& m) { std::cerr << tool << ": " << m << std::endl; };
  cxxopts::ParseResult args;
  try {
    args = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    say(fmt::format("{} (try '{} --help')", e.what(), tool));
    return kExitUsage;
  }
  if (args.count("help")) {
    std::cout << options.help() << std::flush;
    return kExitOk;
  }
  if (args.count("version")) {
    std::cout << tool << " " << RD_VERSION << "\n" << std::flush;
    return kExitOk;
  }
  try {
    return body(args);
  } catch (const OutputClosed&) {
    return kExitOk;  // the reader has what it wanted (`| head`)
  } catch (const UsageError& e) {
    say(e.what());
    return kExitUsage;
  } catch (const cxxopts::exceptions::exception& e) {
    say(fmt::format("{} (try '{} --help')", e.what(), tool));
    return kExitUsage;
  } catch (const Error& e) {
    say(e.what());
    return kExitFatal;
  } catch (const std::bad_alloc&) {
    say("out of memory");
    return kExitFatal;
  } catch (const std::exception& e) {
    // LibTorch's c10::Error messages carry a C++ backtrace; the first line is the cause.
    std::string what = e.what();
    say(what.substr(0, what.find('\n')));
    return kExitFatal;
  }
}

}  // namespace rd::cli
