// What each fuzz target does with one input, shared by the libFuzzer entry points
// (tests/fuzz/*_fuzz.cpp, built by tests/fuzz/run.sh) and by the unit test that replays the saved
// inputs in tests/fuzz/inputs/ on every test run (tests/fuzz/fuzz_inputs_test.cpp).
// Each returns normally when the input loaded or was refused with rd::Error; anything else (another
// exception, a crash, a sanitizer report) is a bug.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rd::fuzz {

void torch_checkpoint(const uint8_t* data, size_t size);
void model_file(const uint8_t* data, size_t size);
void input_records(const uint8_t* data, size_t size);

}  // namespace rd::fuzz
