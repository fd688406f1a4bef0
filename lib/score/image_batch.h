// Decoding and preprocessing many images into one input tensor.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "score/preprocess.h"

namespace rd {

struct LoadedImages {
  torch::Tensor inputs;             // [N, 3, size, size] of the images that decoded
  std::vector<size_t> kept;         // index into the given paths of each row
  std::vector<std::string> errors;  // one message per failed path
};

// Decodes and preprocesses every path, on up to `threads` worker threads, keeping order.
LoadedImages load_images(const std::vector<std::string>& paths, int size, const Normalization& norm,
                         int64_t max_pixels, int threads,
                         const std::function<void(size_t done, size_t total)>& progress = {});

}  // namespace rd
