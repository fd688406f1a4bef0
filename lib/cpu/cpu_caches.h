// The data-cache sizes oneDNN reads from CPUID, and whether they are real.
//
// oneDNN takes the sizes from Xbyak, which reads CPUID leaf 4 (Intel) or 0x8000001D (AMD). Many
// cloud VMs and containers return zeros there; on AMD, Xbyak then computes 1-byte caches, and
// oneDNN 3.x (Debian 13: 3.6) divides by sizes derived from them: its fp32 sum (the addition of
// two tensors in oneDNN's layout, LibTorch's `a + b` of oneDNN tensors) and its bf16 and int8 1x1
// convolutions on channels-last tensors of some shapes (brgemm kernels) die with SIGFPE. On
// Intel, an empty leaf 4 makes oneDNN use built-in guesses instead, which are safe.
// rd reads the same CPUID leaves the same way and, where the sizes are hidden, adds residuals
// outside oneDNN (model/residual_block.cpp) and trains bf16 in NCHW (train/train.cpp); the int8
// student then needs fbgemm, which Debian's LibTorch lacks, unless oneDNN is older than 3
// (model/int8_student.cpp). Elsewhere rd keeps oneDNN's layouts and their speed.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rd {

// CPUID(leaf, subleaf) as {eax, ebx, ecx, edx}.
using Cpuid = std::function<std::array<std::uint32_t, 4>(std::uint32_t leaf, std::uint32_t subleaf)>;

// The per-core size in bytes of each data-cache level (L1, L2, L3, ...) as oneDNN's Xbyak
// computes it from `cpuid` (size over the cores sharing it). Empty when Xbyak finds no levels
// (a vendor other than Intel or AMD, or an Intel CPU with an empty leaf 4): oneDNN then uses
// fixed guesses (32 KiB, 512 KiB, 1 MiB).
std::vector<std::uint64_t> onednn_cache_sizes(const Cpuid& cpuid);

// Says whether sizes like these hide the real caches: a level below 1 KiB per core, which no
// real cache is (oneDNN's fp32 sum needs at least 8 bytes of L1 not to divide by zero).
bool cache_sizes_hidden(const std::vector<std::uint64_t>& sizes);

// Whether oneDNN sees this CPU's real cache sizes, decided once per process: the environment
// variable RD_ONEDNN_CACHES=visible|hidden forces the answer (so that tests run both paths on
// any machine); unset or `auto`, CPUID decides. Throws UsageError for another value.
bool onednn_caches_visible();

// The major version of the oneDNN this process runs (LibTorch links it), 0 when none is loaded.
int onednn_major_version();

// One line for logs: the sizes oneDNN sees and what rd does about them, e.g.
// "oneDNN 3 sees L1 32 KiB, L2 1024 KiB, L3 16384 KiB per core: its layouts and sums as usual".
std::string onednn_caches_description();

}  // namespace rd
