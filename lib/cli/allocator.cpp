#include "cli/allocator.h"

#include <malloc.h>

#include <cstdlib>
#include <initializer_list>

namespace rd::cli {

void keep_freed_memory() {
  for (const char* name : {"GLIBC_TUNABLES", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_MAX_",
                           "MALLOC_TOP_PAD_"})
    if (std::getenv(name)) return;
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace rd::cli
