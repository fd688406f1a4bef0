#include "score/tiles.h"

#include <cmath>

#include <fmt/format.h>

#include "errors.h"

namespace rd {
namespace {

int parse_positive(const std::string& text, const std::string& what) {
  try {
    size_t used = 0;
    const int v = std::stoi(text, &used);
    if (used == text.size() && v > 0) return v;
  } catch (const std::exception&) {
  }
  throw UsageError(fmt::format("bad --tile {} '{}' (a positive number of pixels)", what, text));
}

void check(const Tiling& t) {
  if (t.size < 64 || t.size % 32 != 0)
    throw UsageError(fmt::format("--tile size {} must be a multiple of 32 and at least 64", t.size));
  if (t.stride < 1 || t.stride > t.size)
    throw UsageError(fmt::format("--tile stride {} must be between 1 and the tile size {} (larger leaves gaps)",
                                 t.stride, t.size));
  if (!(t.scale > 0 && t.scale <= 1))
    throw UsageError(fmt::format("--tile-scale {} must be in (0, 1]", t.scale));
}

// How many tiles cover each position along an axis.
std::vector<float> coverage(const std::vector<int>& starts, int length, int size) {
  std::vector<float> n(length, 0.0f);
  for (int s : starts)
    for (int i = s; i < s + size; ++i) n[i] += 1;
  return n;
}

}  // namespace

Tiling parse_tiling(const std::string& tile, double scale) {
  Tiling t;
  const auto comma = tile.find(',');
  t.size = parse_positive(tile.substr(0, comma), "size");
  t.stride = comma == std::string::npos ? t.size : parse_positive(tile.substr(comma + 1), "stride");
  t.scale = scale;
  check(t);
  return t;
}

nlohmann::json tiling_json(const Tiling& t) { return {{"size", t.size}, {"stride", t.stride}, {"scale", t.scale}}; }

Tiling tiling_from_json(const nlohmann::json& j) {
  Tiling t;
  try {
    t.size = j.at("size").get<int>();
    t.stride = j.at("stride").get<int>();
    t.scale = j.at("scale").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("incomplete tiling record: {}", e.what()));
  }
  check(t);
  return t;
}

cv::Size scaled_size(int width, int height, double scale) {
  if (scale == 1.0) return {width, height};
  return {std::max(1, int(std::lround(width * scale))), std::max(1, int(std::lround(height * scale)))};
}

std::vector<int> tile_starts(int length, int size, int stride) {
  std::vector<int> starts;
  if (length < size) return starts;
  for (int s = 0; s + size <= length; s += stride) starts.push_back(s);
  if (starts.back() + size < length) starts.push_back(length - size);
  return starts;
}

TileGrid tile_grid(int width, int height, const Tiling& tiling) {
  if (width < tiling.size || height < tiling.size) {
    const std::string scaled = tiling.scale == 1.0 ? "" : fmt::format(" after scaling by {}", tiling.scale);
    throw InputError(fmt::format("image is {}x{}{}, smaller than the model's {} px tile", width, height, scaled,
                                 tiling.size));
  }
  TileGrid g;
  g.width = width;
  g.height = height;
  g.size = tiling.size;
  g.xs = tile_starts(width, tiling.size, tiling.stride);
  g.ys = tile_starts(height, tiling.size, tiling.stride);
  return g;
}

MapStitcher::MapStitcher(const TileGrid& grid)
    : grid_(grid),
      sum_(cv::Mat::zeros(grid.height, grid.width, CV_32F)),
      per_row_(coverage(grid.ys, grid.height, grid.size)),
      per_column_(coverage(grid.xs, grid.width, grid.size)) {}

void MapStitcher::add(size_t i, const float* tile_map) {
  const cv::Rect r = grid_.rect(i);
  for (int y = 0; y < r.height; ++y) {
    float* out = sum_.ptr<float>(r.y + y) + r.x;
    const float* in = tile_map + size_t(y) * r.width;
    for (int x = 0; x < r.width; ++x) out[x] += in[x];
  }
}

cv::Mat MapStitcher::finish() {
  for (int y = 0; y < sum_.rows; ++y) {
    float* row = sum_.ptr<float>(y);
    for (int x = 0; x < sum_.cols; ++x) row[x] /= per_row_[y] * per_column_[x];
  }
  return sum_;
}

}  // namespace rd
