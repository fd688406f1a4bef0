// Process-wide compute settings: threads and the device a model runs on.
#pragma once
#include <string>

#include <c10/core/Device.h>

namespace rd {

// Sets LibTorch's intra-op threads (Debian's build defaults to 1) and OpenCV's.
void set_threads(int threads);

// Parses auto|cpu|cuda|cuda:N; auto picks CUDA when LibTorch was built with it and a GPU is present.
c10::Device parse_device(const std::string& text);

}  // namespace rd
