// Tiles for high-resolution images (DESIGN §4 "Tiles"): the grid a tiled model cuts every image
// into, and the stitching of tile maps back into one map. Torch-free.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

namespace rd {

struct Tiling {
  int size = 0;        // tile side in pixels (the network's image size); 0: the model is not tiled
  int stride = 0;      // distance between tile origins; == size: no overlap
  double scale = 1.0;  // the whole image is resized by this factor before tiling

  bool enabled() const { return size > 0; }
};

// Parses `--tile SIZE[,STRIDE]` and `--tile-scale F`; throws UsageError naming the bad value.
Tiling parse_tiling(const std::string& tile, double scale);

nlohmann::json tiling_json(const Tiling& t);
Tiling tiling_from_json(const nlohmann::json& j);  // throws UsageError for a bad record

// The size an image of width x height has after scaling by `scale`: rounded to the nearest pixel.
cv::Size scaled_size(int width, int height, double scale);

// Tile origins along one axis: 0, stride, 2*stride, ... and, where that leaves pixels uncovered,
// one last tile flush with the far edge (shifted inward, so no tile hangs over it). Empty when
// length < size.
std::vector<int> tile_starts(int length, int size, int stride);

struct TileGrid {
  int width = 0, height = 0, size = 0;
  std::vector<int> xs, ys;  // origins; tile i is row i / xs.size(), column i % xs.size()

  size_t count() const { return xs.size() * ys.size(); }
  cv::Rect rect(size_t i) const { return {xs[i % xs.size()], ys[i / xs.size()], size, size}; }
};

// The grid over a (scaled) image. Throws InputError, saying both sizes, when the image is smaller
// than a tile in either direction: padding would invent pixels the model never saw as normal.
TileGrid tile_grid(int width, int height, const Tiling& tiling);

// Accumulates tile maps into one map of the grid's size; overlapping pixels are averaged.
// Holds one float sum per pixel; the counts are per row and per column (the grid is a product).
class MapStitcher {
 public:
  explicit MapStitcher(const TileGrid& grid);
  // Adds tile `i`'s size x size row-major map.
  void add(size_t i, const float* tile_map);
  // The averaged map (CV_32F, height x width). Call once, after every tile was added.
  cv::Mat finish();

 private:
  TileGrid grid_;
  cv::Mat sum_;
  std::vector<float> per_row_, per_column_;
};

}  // namespace rd
