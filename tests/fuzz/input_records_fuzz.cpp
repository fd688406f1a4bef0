// libFuzzer entry point for the JSON-lines / path-list reader that every tool's stdin goes
// through: any input must produce records (some with `error`), never a crash or an exception.
// Not part of the CMake build. From the repository root:
//
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Ilib \
//       tests/fuzz/input_records_fuzz.cpp lib/io/input_records.cpp -lfmt -o /tmp/records_fuzz
//   mkdir -p /tmp/records_corpus && printf '{"path":"a.png","label":1}\nb.png\n' > /tmp/records_corpus/seed
//   /tmp/records_fuzz -max_total_time=60 -max_len=4096 /tmp/records_corpus
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "io/input_records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (bool nul : {false, true}) {
    std::istringstream in(text);
    rd::InputReader reader(in, nul, "fuzz", 1024);
    for (rd::InputRecord r; reader.next(r);) {
      const std::string line = rd::to_json_line(r.error.empty() ? r.fields : rd::error_record(r.fields, r.error));
      if (line.empty() || line.back() != '\n') __builtin_trap();
    }
  }
  return 0;
}
