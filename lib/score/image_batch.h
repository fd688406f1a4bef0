// Decoding and preprocessing many images (a training or validation set) into one tensor.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "score/preprocess.h"
#include "score/tiles.h"

namespace rd {

struct LoadedImages {
  // [N, 3, size, size], one row per image, or per tile when tiled. When every source was 8-bit
  // the rows are uint8 pixels, a quarter of the memory of network inputs (a training set of
  // thousands of tiles stays in RAM); inputs() normalises them. Otherwise normalised float.
  torch::Tensor rows;
  Normalization norm;
  std::vector<size_t> kept;         // index into the given paths of each image that decoded
  std::vector<std::string> errors;  // one message per failed path

  int64_t count() const { return rows.size(0); }
  // The network inputs (float) of rows [begin, end), or of the rows `index` lists.
  torch::Tensor inputs(int64_t begin, int64_t end) const;
  torch::Tensor inputs(const torch::Tensor& index) const;

 private:
  torch::Tensor as_inputs(const torch::Tensor& some_rows) const;
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
