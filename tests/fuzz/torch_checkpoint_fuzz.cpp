// libFuzzer entry point for the torch checkpoint reader: any input must either load or throw
// rd::Error; a crash, sanitizer report, leak or out-of-memory is a bug. Not part of the CMake
// build. Built and run with clang 14 (libclang_rt.fuzzer ships with Debian's clang) from the
// repository root; FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION skips the zip CRC check so that
// mutations of zip files reach the pickle instead of stopping at "CRC-32 mismatch":
//
//   /usr/bin/python3 tests/reference/make_checkpoints.py /tmp/ckpt_fixtures
//   mkdir -p /tmp/ckpt_corpus && cp /tmp/ckpt_fixtures/{views,dtypes,nested}_*.pth /tmp/ckpt_corpus/
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
//       -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -Ilib tests/fuzz/torch_checkpoint_fuzz.cpp \
//       lib/io/torch_checkpoint.cpp lib/io/pickle_reader.cpp lib/io/zip_archive.cpp -o /tmp/ckpt_fuzz
//   /tmp/ckpt_fuzz -max_total_time=60 -max_len=16384 -rss_limit_mb=2048 /tmp/ckpt_corpus
//
// Any crash it finds becomes a test case in tests/unit/torch_checkpoint_test.cpp.
#include <cstddef>
#include <cstdint>

#include "core/errors.h"
#include "io/torch_checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    for (const auto& entry : rd::read_torch_checkpoint_bytes(data, size, "fuzz.pth")) entry.second.to_float();
  } catch (const rd::Error&) {
  }
  return 0;
}
