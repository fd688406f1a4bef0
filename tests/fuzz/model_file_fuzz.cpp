// libFuzzer entry point for the .rdm model-file reader: any input must load or throw rd::Error.
// Not part of the CMake build. From the repository root, with a seed from the unit tests' sample:
//
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Ilib \
//       tests/fuzz/model_file_fuzz.cpp lib/io/model_file.cpp lib/io/atomic_file.cpp \
//       lib/io/torch_checkpoint.cpp lib/io/pickle_reader.cpp lib/io/zip_archive.cpp -lfmt -o /tmp/rdm_fuzz
//   mkdir -p /tmp/rdm_corpus   # and put a small .rdm there (rd::write_model_file of one tensor: 264 bytes)
//   /tmp/rdm_fuzz -max_total_time=60 -max_len=4096 /tmp/rdm_corpus
//
// The checksum stops most mutations early, so a second build with -DRD_FUZZ_SKIP_DIGEST would
// reach the header parser more often; it does not exist yet.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/errors.h"
#include "io/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    rd::read_model_file_bytes(std::vector<unsigned char>(data, data + size), "fuzz.rdm");
  } catch (const rd::Error&) {
  }
  return 0;
}
