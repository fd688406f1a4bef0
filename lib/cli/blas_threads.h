// Keeping OpenBLAS from fighting LibTorch's thread pool for the same cores.
#pragma once

namespace rd::cli {

// Makes OpenBLAS single-threaded per caller (LibTorch parallelises around it), re-executing the
// program with OPENBLAS_NUM_THREADS=1 when it is unset. Called first thing by run_tool.
void single_threaded_blas_or_reexec(char** argv);

}  // namespace rd::cli
