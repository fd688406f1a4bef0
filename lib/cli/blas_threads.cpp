#include "cli/blas_threads.h"

#include <cstdlib>

namespace rd::cli {
namespace {

bool set_early = false;

void single_threaded_blas(int, char**, char**) {
  setenv("OPENBLAS_NUM_THREADS", "1", /*overwrite=*/0);
  set_early = true;
}

// Runs before the initialisers of shared libraries (OpenBLAS's reads the variable), in every
// executable that links this object; ignored by the loader in shared objects.
__attribute__((section(".preinit_array"), used)) void (*const preinit)(int, char**, char**) = single_threaded_blas;

}  // namespace

bool blas_threads_set_early() { return set_early; }

}  // namespace rd::cli
