// The data-cache sizes oneDNN reads from CPUID, and whether its sum primitive survives them.
//
// oneDNN 3.x sizes the blocks of its fp32 sum (the addition of two tensors in its own layout,
// which LibTorch runs for `a + b` of oneDNN tensors) from the per-core L1 size, and divides by
// the block size. oneDNN takes the sizes from Xbyak, which reads CPUID leaf 4 (Intel) or
// 0x8000001D (AMD). Many cloud VMs and containers return zeros there; on AMD, Xbyak then computes
// a 1-byte L1, the block is 0 elements and the sum dies with SIGFPE (oneDNN 3.6, Debian 13). On
// Intel, an empty leaf 4 makes oneDNN use built-in guesses instead, which are safe.
// rd reads the same CPUID leaves the same way and, where the sizes are hidden, adds residuals
// outside oneDNN (model/residual_block.cpp); elsewhere it keeps oneDNN's layout and speed.
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

// Whether rd lets oneDNN add tensors in its own layout, decided once per process: the
// environment variable RD_ONEDNN_SUM=on|off forces it (tests run both paths on any machine);
// unset or `auto`, it is on unless this CPU hides its cache sizes. Throws UsageError for
// another value of RD_ONEDNN_SUM.
bool onednn_sum_enabled();

// One line for logs: the sizes oneDNN sees and the decision, e.g.
// "oneDNN sees L1 32 KiB, L2 1024 KiB, L3 32768 KiB per core: residuals added by oneDNN".
std::string onednn_sum_description();

}  // namespace rd
