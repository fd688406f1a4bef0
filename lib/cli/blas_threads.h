// Keeping OpenBLAS from fighting LibTorch's thread pool for the same cores.
//
// LibTorch runs kernels on its own thread pool and calls BLAS from inside it. A threaded OpenBLAS
// then runs threads of its own on the same cores: measured here, a resnet18 training step took
// 5 s instead of 0.27 s. openblas_set_num_threads(1) at run time does not undo it (its thread
// server is already up); only OPENBLAS_NUM_THREADS, read when OpenBLAS is loaded, does. Every
// tool sets it (unless the user did) in the executable's .preinit_array, which the dynamic
// loader runs before any shared library's initialisers (blas_threads.cpp): no re-execution, so
// no tool pays its start-up twice.
#pragma once

namespace rd::cli {

// Says whether OPENBLAS_NUM_THREADS was set before any library was loaded (by the user or by
// the pre-initialiser). Referencing it from run_tool is what links the pre-initialiser into
// every tool: a static library's object is linked only when something uses it.
bool blas_threads_set_early();

}  // namespace rd::cli
