// libFuzzer entry point for rd::fuzz::torch_checkpoint (tests/fuzz/targets.cpp); built and run by tests/fuzz/run.sh.
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rd::fuzz::torch_checkpoint(data, size);
  return 0;
}
