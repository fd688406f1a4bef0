#include "score/image_batch.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "errors.h"
#include "score/tiled_inference.h"

namespace rd {
namespace {

using Rows = std::vector<torch::Tensor>;  // [3, S, S] each: uint8 pixels or float inputs

// Runs `rows_of` on every path on worker threads, which call no ATen operator that may go
// parallel (each would start an OpenMP team of its own); the rows are stacked here, as float
// only if some source was deeper than 8 bits.
LoadedImages load_rows(const std::vector<std::string>& paths, int size, const Normalization& norm,
                       int64_t max_pixels, int threads,
                       const std::function<Rows(const DecodedImage&, const std::string& path)>& rows_of,
                       const std::function<void(size_t, size_t)>& progress) {
  std::vector<Rows> rows(paths.size());
  std::vector<std::string> errors(paths.size());
  std::atomic<size_t> next{0}, done{0};
  std::mutex progress_mutex;
  auto worker = [&] {
    for (size_t i; (i = next++) < paths.size();) {
      try {
        rows[i] = rows_of(decode_image(paths[i], max_pixels), paths[i]);
      } catch (const InputError& e) {
        errors[i] = e.what();
      }
      const size_t d = ++done;
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        progress(d, paths.size());
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();

  LoadedImages out;
  out.norm = norm;
  Rows ok;
  bool all_pixels = true;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!errors[i].empty()) {
      out.errors.push_back(errors[i]);
      continue;
    }
    out.kept.push_back(i);
    for (auto& r : rows[i]) {
      all_pixels = all_pixels && r.scalar_type() == torch::kUInt8;
      ok.push_back(std::move(r));
    }
    rows[i].clear();
  }
  if (!all_pixels)
    for (auto& r : ok)
      if (r.scalar_type() == torch::kUInt8) r = normalise_pixels(r.unsqueeze(0), norm)[0];
  out.rows = ok.empty() ? torch::empty({0, 3, size, size}, torch::kUInt8) : torch::stack(ok);
  return out;
}

// An image's row: its pixels when 8-bit, else its network input.
torch::Tensor row_of(const DecodedImage& image, int size, const Normalization& norm) {
  torch::Tensor pixels = to_pixels(image, size);
  return pixels.defined() ? pixels : to_model_input(image, size, norm);
}

}  // namespace

torch::Tensor LoadedImages::inputs(int64_t begin, int64_t end) const { return as_inputs(rows.slice(0, begin, end)); }

torch::Tensor LoadedImages::inputs(const torch::Tensor& index) const { return as_inputs(rows.index_select(0, index)); }

torch::Tensor LoadedImages::as_inputs(const torch::Tensor& some_rows) const {
  return some_rows.scalar_type() == torch::kUInt8 ? normalise_pixels(some_rows, norm) : some_rows;
}

LoadedImages load_images(const std::vector<std::string>& paths, int size, const Normalization& norm,
                         int64_t max_pixels, int threads, const std::function<void(size_t, size_t)>& progress) {
  return load_rows(
      paths, size, norm, max_pixels, threads,
      [&](const DecodedImage& image, const std::string&) { return Rows{row_of(image, size, norm)}; }, progress);
}

LoadedImages load_tiles(const std::vector<std::string>& paths, const Tiling& tiling, const Normalization& norm,
                        int64_t max_pixels, int threads, const std::function<void(size_t, size_t)>& progress) {
  return load_rows(
      paths, tiling.size, norm, max_pixels, threads,
      [&](const DecodedImage& image, const std::string& path) {
        const TiledImage tiled = tile_image(image, tiling, path);
        Rows tiles;
        for (size_t i = 0; i < tiled.grid.count(); ++i)
          tiles.push_back(row_of(crop_image(tiled.scaled, tiled.grid.rect(i)), tiling.size, norm));
        return tiles;
      },
      progress);
}

}  // namespace rd
