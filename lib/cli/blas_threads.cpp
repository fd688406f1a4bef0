#include "cli/blas_threads.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>

namespace rd::cli {
namespace {

using SetThreads = void (*)(int);

SetThreads openblas_setter() {
  return reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
}

}  // namespace

// LibTorch runs kernels on its own thread pool and calls BLAS from inside it. A threaded OpenBLAS
// then runs threads of its own on the same cores: measured here, a resnet18 training step took
// 5 s instead of 0.27 s. openblas_set_num_threads(1) at run time does not undo it (its thread
// server is already up); only OPENBLAS_NUM_THREADS at start-up does, hence the re-exec. Where
// libblas.so.3 is not OpenBLAS (Debian alternatives), nothing happens.
void single_threaded_blas_or_reexec(char** argv) {
  if (std::getenv("OPENBLAS_NUM_THREADS") || !openblas_setter()) return;
  setenv("OPENBLAS_NUM_THREADS", "1", 1);
  execv("/proc/self/exe", argv);
  openblas_setter()(1);  // exec failed: the next best thing
}

}  // namespace rd::cli
