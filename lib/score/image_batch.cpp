#include "score/image_batch.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "errors.h"
#include "score/tiled_inference.h"

namespace rd {
namespace {

// Runs `rows_of` ([k, 3, S, S] for one image) on every path in parallel and concatenates the rows.
LoadedImages load_rows(const std::vector<std::string>& paths, int size, int64_t max_pixels, int threads,
                       const std::function<torch::Tensor(const DecodedImage&)>& rows_of,
                       const std::function<void(size_t, size_t)>& progress) {
  std::vector<torch::Tensor> rows(paths.size());
  std::vector<std::string> errors(paths.size());
  std::atomic<size_t> next{0}, done{0};
  std::mutex progress_mutex;
  auto worker = [&] {
    for (size_t i; (i = next++) < paths.size();) {
      try {
        const DecodedImage image = decode_image(paths[i], max_pixels);
        try {
          rows[i] = rows_of(image);
        } catch (const InputError& e) {
          throw InputError("'" + paths[i] + "': " + e.what());
        }
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
  std::vector<torch::Tensor> ok;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (rows[i].defined()) {
      ok.push_back(std::move(rows[i]));
      out.kept.push_back(i);
    } else {
      out.errors.push_back(errors[i]);
    }
  }
  out.inputs = ok.empty() ? torch::empty({0, 3, size, size}) : torch::cat(ok);
  return out;
}

}  // namespace

LoadedImages load_images(const std::vector<std::string>& paths, int size, const Normalization& norm,
                         int64_t max_pixels, int threads, const std::function<void(size_t, size_t)>& progress) {
  return load_rows(
      paths, size, max_pixels, threads,
      [&](const DecodedImage& image) { return to_model_input(image, size, norm).unsqueeze(0); }, progress);
}

LoadedImages load_tiles(const std::vector<std::string>& paths, const Tiling& tiling, const Normalization& norm,
                        int64_t max_pixels, int threads, const std::function<void(size_t, size_t)>& progress) {
  return load_rows(
      paths, tiling.size, max_pixels, threads,
      [&](const DecodedImage& image) { return all_tile_inputs(tile_image(image, tiling), norm); }, progress);
}

}  // namespace rd
