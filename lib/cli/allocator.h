// Keeping the memory of one batch for the next, instead of handing it back to the kernel.
#pragma once

namespace rd::cli {

// glibc serves blocks above its mmap threshold (at most 32 MB once it adapts) with fresh mmaps and
// returns freed heap tops to the kernel, so every batch's activations (a resnet18 batch of 8 at
// 256 px has 33 MB tensors) were faulted in page by page again: 700k page faults and ~8 % of
// rd-score's time for 192 images. Raising both limits keeps freed memory for reuse, as
// onnxruntime's arena does. Peak RSS stays bounded by the batch (resnet18: unchanged;
// wide_resnet50_2, batch 8: 1.83 -> 1.97 GB). Skipped when the user tunes malloc through
// MALLOC_*_ or GLIBC_TUNABLES. Called by run_tool.
void keep_freed_memory();

}  // namespace rd::cli
