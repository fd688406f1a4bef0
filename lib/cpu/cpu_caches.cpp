#include "cpu/cpu_caches.h"

#include <cpuid.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "errors.h"

namespace rd {
namespace {

std::uint32_t bits(std::uint32_t v, int lo, int hi) { return (v >> lo) & ((2u << (hi - lo)) - 1u); }

// ways * partitions * line size * sets, each stored minus one (leaf 4 and 0x8000001D alike).
std::uint64_t cache_bytes(const std::array<std::uint32_t, 4>& r) {
  return std::uint64_t(bits(r[1], 22, 31) + 1) * (bits(r[1], 12, 21) + 1) * (bits(r[1], 0, 11) + 1) *
         (std::uint64_t(r[2]) + 1);
}

bool vendor_is(const Cpuid& cpuid, const char* ecx_text) {
  std::uint32_t want;
  std::memcpy(&want, ecx_text, 4);
  return cpuid(0, 0)[2] == want;
}

// Threads per core and logical processors per package from leaf 0xB, as Xbyak reads them
// where the CPU has that leaf (it falls back to 1 when a hypervisor zeroes the leaf).
std::pair<std::uint32_t, std::uint32_t> topology(const Cpuid& cpuid) {
  if (cpuid(0, 0)[0] < 0xB) return {0, 0};
  std::uint32_t smt = 0, logical = 0;
  for (std::uint32_t i = 0; i < 2; ++i) {
    const auto r = cpuid(0xB, i);
    const std::uint32_t level = bits(r[2], 8, 15);
    if (level == 1) smt = bits(r[1], 0, 15);
    if (level == 2) logical = bits(r[1], 0, 15);
  }
  smt = std::max(1u, smt);
  return {smt, std::max(smt, logical)};
}

std::uint64_t per_core(std::uint64_t size, std::uint32_t sharing_threads, std::uint32_t smt, std::uint32_t logical) {
  if (logical != 0) sharing_threads = std::min(sharing_threads, logical);
  const std::uint32_t cores = smt == 0 ? 1 : std::max(sharing_threads / smt, 1u);
  return size / cores;
}

std::array<std::uint32_t, 4> real_cpuid(std::uint32_t leaf, std::uint32_t subleaf) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  __cpuid_count(leaf, subleaf, a, b, c, d);
  return {a, b, c, d};
}

}  // namespace

std::vector<std::uint64_t> onednn_cache_sizes(const Cpuid& cpuid) {
  std::vector<std::uint64_t> sizes;
  const auto [smt, logical] = topology(cpuid);
  if (vendor_is(cpuid, "cAMD")) {
    // Xbyak assumes three levels on AMD and reads subleaves 0 (L1d), 2 (L2) and 3 (L3) of
    // 0x8000001D whatever they hold.
    for (std::uint32_t sub : {0u, 2u, 3u}) {
      const auto r = cpuid(0x8000001D, sub);
      sizes.push_back(per_core(cache_bytes(r), bits(r[0], 14, 25) + 1, smt, logical));
    }
  } else if (vendor_is(cpuid, "ntel")) {
    std::uint32_t data_smt = smt;
    for (std::uint32_t i = 0; sizes.size() < 10; ++i) {
      const auto r = cpuid(4, i);
      const std::uint32_t type = bits(r[0], 0, 4);  // 0 none (end), 1 data, 2 instruction, 3 unified
      if (type == 0) break;
      if (type == 2) continue;
      const std::uint32_t sharing = bits(r[0], 14, 25) + 1;
      if (type == 1 && data_smt == 0) data_smt = sharing;
      sizes.push_back(per_core(cache_bytes(r), sharing, data_smt, logical));
    }
  }
  return sizes;
}

bool cache_sizes_hidden(const std::vector<std::uint64_t>& sizes) {
  for (std::uint64_t s : sizes)
    if (s < 1024) return true;
  return false;
}

bool onednn_caches_visible() {
  static const bool visible = [] {
    const char* v = std::getenv("RD_ONEDNN_CACHES");
    const std::string mode = v ? v : "";
    if (mode == "visible") return true;
    if (mode == "hidden") return false;
    if (!mode.empty() && mode != "auto")
      throw UsageError(fmt::format("RD_ONEDNN_CACHES='{}': expected visible, hidden or auto", mode));
    return !cache_sizes_hidden(onednn_cache_sizes(real_cpuid));
  }();
  return visible;
}

int onednn_major_version() {
  struct Version {  // the start of dnnl_version_t, which every oneDNN from 1.0 on returns
    int major, minor, patch;
  };
  using VersionFn = const Version* (*)();
  auto fn = reinterpret_cast<VersionFn>(dlsym(RTLD_DEFAULT, "dnnl_version"));
  return fn ? fn()->major : 0;
}

std::string onednn_caches_description() {
  const auto sizes = onednn_cache_sizes(real_cpuid);
  std::string seen;
  for (std::size_t i = 0; i < sizes.size(); ++i)
    seen += fmt::format("{}L{} {} {}", i ? ", " : "", i + 1, sizes[i] >= 1024 ? sizes[i] / 1024 : sizes[i],
                        sizes[i] >= 1024 ? "KiB" : "bytes");
  if (seen.empty()) seen = "no cache levels (it uses its built-in sizes)";
  return fmt::format("oneDNN {} sees {} per core: {}", onednn_major_version(), seen,
                     onednn_caches_visible() ? "its layouts and sums as usual"
                                             : "cache sizes hidden (or RD_ONEDNN_CACHES=hidden): residuals added "
                                               "outside oneDNN, bf16 training in NCHW");
}

}  // namespace rd
