// Tiled models on one image at a time: cutting an image into the model's grid of inputs, and
// its stitched anomaly map (rd-map, rd-train --val). rd-score streams tiles itself (tiled_score).
#pragma once
#include <string>

#include <opencv2/core.hpp>

#include "score/model_store.h"

namespace rd {

// An image scaled by the tiling's factor, with the grid that covers it.
struct TiledImage {
  DecodedImage scaled;
  TileGrid grid;
};

// Throws InputError when the scaled image is smaller than a tile, naming `path` when given.
TiledImage tile_image(const DecodedImage& image, const Tiling& tiling, const std::string& path = {});

// Tile `i` as a network input: [3, size, size], normalised as to_model_input does.
torch::Tensor tile_input(const TiledImage& image, size_t i, const Normalization& norm);

// The image's stitched map before smoothing (CV_32F, at the scaled image's size), its tiles run
// through the model `batch` at a time, so memory follows the batch, not the image.
// `path` names the image in errors.
cv::Mat stitched_raw_map(Model& model, const DecodedImage& image, const torch::Device& device, int batch,
                         const std::string& path = {});

}  // namespace rd
