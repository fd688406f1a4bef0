// libFuzzer entry point for rd::fuzz::model_file (tests/fuzz/targets.cpp); built and run by tests/fuzz/run.sh.
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rd::fuzz::model_file(data, size);
  return 0;
}
