#include "cpu/precision.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "errors.h"

namespace rd {
namespace {

std::set<std::string> cpu_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::set<std::string> flags;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags.insert(w);
    break;
  }
  return flags;
}

// oneDNN's ISA cap, upper-cased; empty when not set.
std::string max_isa() {
  for (const char* name : {"ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"})
    if (const char* v = std::getenv(name); v && *v) {
      std::string s(v);
      std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::toupper(c)); });
      return s;
    }
  return "";
}

}  // namespace

std::string missing_cpu_support(Precision p) {
  if (p == Precision::Fp32) return "";
  const bool bf16 = p == Precision::Bf16;
  const std::string need = bf16 ? "avx512_bf16 or amx_bf16" : "avx512_vnni, avx_vnni or amx_int8";
  const std::string cap = max_isa();
  static const std::set<std::string> bf16_caps = {"AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX512_CORE_AMX",
                                                  "AVX512_CORE_AMX_FP16", "ALL"};
  static const std::set<std::string> vnni_caps = {"AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE_VNNI"};
  if (!cap.empty() && !bf16_caps.count(cap) && (bf16 || !vnni_caps.count(cap)))
    return fmt::format("{} (oneDNN is capped at {} by DNNL_MAX_CPU_ISA/ONEDNN_MAX_CPU_ISA)", need, cap);
  const auto flags = cpu_flags();
  if (bf16 && (flags.count("avx512_bf16") || flags.count("amx_bf16"))) return "";
  if (!bf16 && (flags.count("avx512_vnni") || flags.count("avx_vnni") || flags.count("amx_int8"))) return "";
  return need;
}

Precision parse_precision(const std::string& text, bool on_cpu) {
  if (text == "fp32") return Precision::Fp32;
  if (text == "auto") return on_cpu && missing_cpu_support(Precision::Bf16).empty() ? Precision::Bf16 : Precision::Fp32;
  if (text == "bf16") {
    if (on_cpu) {
      const std::string missing = missing_cpu_support(Precision::Bf16);
      if (!missing.empty())
        throw UsageError(fmt::format("--precision bf16: this CPU does not run bf16 natively (it lacks {}); use fp32",
                                     missing));
    }
    return Precision::Bf16;
  }
  if (text == "int8") {
    if (!on_cpu) throw UsageError("--precision int8 runs on the CPU (oneDNN int8); on CUDA use bf16");
    const std::string missing = missing_cpu_support(Precision::Int8);
    if (!missing.empty())
      throw UsageError(fmt::format("--precision int8: this CPU has no int8 dot-product instructions (it lacks {}); "
                                   "use fp32", missing));
    return Precision::Int8;
  }
  throw UsageError(fmt::format("unknown --precision '{}' (choose fp32, bf16, int8 or auto)", text));
}

Precision teacher_precision(Precision p) {
  if (p != Precision::Int8) return p;
  return missing_cpu_support(Precision::Bf16).empty() ? Precision::Bf16 : Precision::Fp32;
}

const char* precision_name(Precision p) {
  return p == Precision::Bf16 ? "bf16" : p == Precision::Int8 ? "int8" : "fp32";
}

}  // namespace rd
