// The number format the network's convolutions run in at inference (DESIGN §4 "Precision").
// The anomaly-map head (cosine, upsampling, Gaussian, reduction) is always fp32.
#pragma once
#include <string>

namespace rd {

// Int8: the student (OCBE and decoder) in int8 with calibrated activation ranges
// (model/int8_student.h); the teacher in teacher_precision(Int8).
enum class Precision { Fp32, Bf16, Int8 };

// Parses fp32, bf16, int8 or auto (the fastest the CPU runs natively at bf16's accuracy: bf16
// where it has avx512_bf16 or amx_bf16, else fp32; auto never picks int8, which moves scores
// more and is the user's choice). A mode the CPU cannot run natively, int8 off the CPU, and
// unknown names are a UsageError that says why.
Precision parse_precision(const std::string& text, bool on_cpu = true);
const char* precision_name(Precision p);

// What the CPU lacks to run `p` natively, e.g. "avx512_bf16 or amx_bf16"; empty when it runs it.
// Reads the CPU flags of /proc/cpuinfo, and honours oneDNN's DNNL_MAX_CPU_ISA / ONEDNN_MAX_CPU_ISA
// (an ISA cap below AVX512_CORE_BF16 means oneDNN would only emulate bf16, below
// AVX512_CORE_VNNI that int8 would run without VNNI).
std::string missing_cpu_support(Precision p);

// The precision the teacher (and RD++'s projection) run in under `p`. Int8 keeps the teacher out
// of int8, whose 8-bit inner activations move its features by as much as the anomaly signal
// (bench/README.md), and runs it in bf16 where the CPU has native bf16, else fp32.
Precision teacher_precision(Precision p);

}  // namespace rd
