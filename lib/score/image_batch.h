// Decoding and preprocessing many images into one input tensor.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "score/preprocess.h"
#include "score/tiles.h"

namespace rd {

struct LoadedImages {
  torch::Tensor inputs;             // [N, 3, size, size]: one row per image, or per tile when tiled
  std::vector<size_t> kept;         // index into the given paths of each image that decoded
  std::vector<std::string> errors;  // one message per failed path
};

// Decodes and preprocesses every path, on up to `threads` worker threads, keeping order.
LoadedImages load_images(const std::vector<std::string>& paths, int size, const Normalization& norm,
                         int64_t max_pixels, int threads,
                         const std::function<void(size_t done, size_t total)>& progress = {});

// The same for a tiled model: every tile of every image, image after image, tile by tile in the
// grid's order. Images smaller than a tile are errors.
LoadedImages load_tiles(const std::vector<std::string>& paths, const Tiling& tiling, const Normalization& norm,
                        int64_t max_pixels, int threads,
                        const std::function<void(size_t done, size_t total)>& progress = {});

}  // namespace rd
