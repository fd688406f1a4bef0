// The cache sizes oneDNN reads from CPUID, computed from hand-written CPUID answers: an AMD EPYC
// that shows its caches (values read off one), the same CPU behind a hypervisor that hides them,
// and Intel CPUs with and without leaf 4.
#include "cpu/cpu_caches.h"

#include <cstdlib>
#include <cstring>
#include <map>

#include <doctest/doctest.h>

namespace {

using Regs = std::array<std::uint32_t, 4>;

std::uint32_t text(const char* four) {
  std::uint32_t v;
  std::memcpy(&v, four, 4);
  return v;
}

// A CPUID that answers from a table; leaves it does not hold read as zeros, as hidden ones do.
rd::Cpuid table(std::map<std::pair<std::uint32_t, std::uint32_t>, Regs> t) {
  return [t](std::uint32_t leaf, std::uint32_t sub) {
    auto it = t.find({leaf, sub});
    return it == t.end() ? Regs{0, 0, 0, 0} : it->second;
  };
}

// Leaf 0 (max leaf 0x1c, vendor) and leaf 0xB (`smt` threads per core, 2 logical processors).
std::map<std::pair<std::uint32_t, std::uint32_t>, Regs> base(const char* vendor_ecx, const char* ebx, const char* edx,
                                                             std::uint32_t smt = 1) {
  return {{{0, 0}, {0x1c, text(ebx), text(vendor_ecx), text(edx)}},
          {{0xB, 0}, {0, smt, 0x100, 0}},
          {{0xB, 1}, {0, 2, 0x201, 0}}};
}

}  // namespace

TEST_CASE("an AMD CPU that shows its caches has real per-core sizes and keeps oneDNN's sum") {
  auto t = base("cAMD", "Auth", "enti");
  t[{0x8000001D, 0}] = {0x121, 0x01c0003f, 0x3f, 0};      // L1d: 8 ways x 64 B x 64 sets
  t[{0x8000001D, 1}] = {0x122, 0x01c0003f, 0x3f, 0};      // L1i: not a data cache
  t[{0x8000001D, 2}] = {0x143, 0x01c0003f, 0x7ff, 2};     // L2: 8 x 64 x 2048
  t[{0x8000001D, 3}] = {0x4163, 0x03c0003f, 0x7fff, 1};   // L3: 16 x 64 x 32768, 2 threads share it
  const auto sizes = rd::onednn_cache_sizes(table(t));
  CHECK(sizes == std::vector<std::uint64_t>{32768, 1048576, 16777216});
  CHECK_FALSE(rd::cache_sizes_hidden(sizes));
}

TEST_CASE("an AMD CPU behind a hypervisor that hides its caches reads as 1-byte caches") {
  const auto sizes = rd::onednn_cache_sizes(table(base("cAMD", "Auth", "enti")));
  CHECK(sizes == std::vector<std::uint64_t>{1, 1, 1});  // what makes oneDNN 3.6's fp32 sum divide by zero
  CHECK(rd::cache_sizes_hidden(sizes));
}

TEST_CASE("an Intel CPU with leaf 4 has per-core sizes; without it oneDNN falls back to its guesses") {
  auto t = base("ntel", "Genu", "ineI", 2);  // one core, two hyperthreads
  t[{4, 0}] = {(1u << 14) | (1u << 5) | 1u, (11u << 22) | 63u, 63, 0};    // L1d 48 KiB, 2 threads
  t[{4, 1}] = {(1u << 14) | (1u << 5) | 2u, (7u << 22) | 63u, 63, 0};     // L1i: skipped
  t[{4, 2}] = {(1u << 14) | (2u << 5) | 3u, (15u << 22) | 63u, 2047, 0};  // L2 2 MiB, 2 threads
  auto with_leaf4 = rd::onednn_cache_sizes(table(t));
  CHECK(with_leaf4 == std::vector<std::uint64_t>{49152, 2097152});
  CHECK_FALSE(rd::cache_sizes_hidden(with_leaf4));

  const auto hidden = rd::onednn_cache_sizes(table(base("ntel", "Genu", "ineI", 2)));
  CHECK(hidden.empty());
  CHECK_FALSE(rd::cache_sizes_hidden(hidden));
}

TEST_CASE("this machine's decision is printable and follows RD_ONEDNN_CACHES") {
  const std::string line = rd::onednn_caches_description();
  CHECK(line.rfind("oneDNN ", 0) == 0);
  CHECK(line.find(" sees ") != std::string::npos);
  // The test binary links LibTorch, which brings its oneDNN (2.x on Debian 12, 3.x on Debian 13).
  CHECK(rd::onednn_major_version() >= 2);
  const char* forced = std::getenv("RD_ONEDNN_CACHES");
  if (forced && std::string(forced) == "hidden") CHECK_FALSE(rd::onednn_caches_visible());
  if (forced && std::string(forced) == "visible") CHECK(rd::onednn_caches_visible());
}
