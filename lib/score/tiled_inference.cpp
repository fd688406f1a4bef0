#include "score/tiled_inference.h"

#include <algorithm>

#include <fmt/format.h>

#include "errors.h"

#include "score/inference.h"

namespace rd {

TiledImage tile_image(const DecodedImage& image, const Tiling& tiling, const std::string& path) {
  const cv::Size size = scaled_size(image.width, image.height, tiling.scale);
  // The grid first: a too-small image is refused before the resize is paid for.
  TileGrid grid;
  try {
    grid = tile_grid(size.width, size.height, tiling);
  } catch (const InputError& e) {
    if (path.empty()) throw;
    throw InputError(fmt::format("'{}': {}", path, e.what()));
  }
  return {resize_image(image, size), std::move(grid)};
}

torch::Tensor tile_input(const TiledImage& image, size_t i, const Normalization& norm) {
  return to_model_input(crop_image(image.scaled, image.grid.rect(i)), image.grid.size, norm);
}

cv::Mat stitched_raw_map(Model& model, const DecodedImage& image, const torch::Device& device, int batch,
                         const std::string& path) {
  const TiledImage tiled = tile_image(image, model.tiling, path);
  MapStitcher stitcher(tiled.grid);
  const size_t n = tiled.grid.count(), plane = size_t(model.image_size) * model.image_size;
  for (size_t begin = 0; begin < n; begin += size_t(batch)) {
    const size_t end = std::min(n, begin + size_t(batch));
    std::vector<torch::Tensor> inputs;
    for (size_t i = begin; i < end; ++i) inputs.push_back(tile_input(tiled, i, model.norm));
    const torch::Tensor maps = infer_raw_maps(model, torch::stack(inputs).to(device));
    for (size_t i = begin; i < end; ++i) stitcher.add(i, maps.data_ptr<float>() + (i - begin) * plane);
  }
  return stitcher.finish();
}

}  // namespace rd
