// rd-score for tiled models: images become a stream of tiles, batches are filled with tiles of
// consecutive images, and each image's record is emitted once its last tile is stitched in.
#include <deque>
#include <future>
#include <memory>

#include "errors.h"
#include "score/inference.h"
#include "score/score_parts.h"
#include "score/tiled_inference.h"

namespace rd::detail {
namespace {

// One input on its way through. The reader fills it in before handing it over; afterwards only
// the scoring thread touches it (`done`, `stitcher`).
struct PendingImage {
  InputRecord input;
  std::string error;
  int width = 0, height = 0;
  size_t tiles = 0, done = 0;
  std::unique_ptr<MapStitcher> stitcher;

  bool finished() const { return !error.empty() || done == tiles; }
};

struct TileBatch {
  std::vector<std::shared_ptr<PendingImage>> started;  // inputs first reached in this batch, in order
  std::vector<std::pair<PendingImage*, size_t>> tiles;  // the image and tile index of each input
  std::vector<torch::Tensor> inputs;                     // [3, size, size] each

  bool empty() const { return started.empty() && tiles.empty(); }
};

// Decodes one image at a time and cuts its tiles as batches need them, so that only one decoded
// image and one batch of tile inputs exist at a time. Runs while the network works, so it calls
// no ATen operator (tile_input of 8-bit images is plain loops). A batch ends where the inputs
// that have arrived end: it waits for the next input only when it holds no tile.
class TileReader {
 public:
  TileReader(InputSource& source, const ScoreOptions& o, const Model& model, const std::atomic<int>* stop)
      : inputs_(source, o, stop), o_(o), model_(model), stop_(stop) {}

  TileBatch read() {
    TileBatch b;
    const size_t want = size_t(o_.batch_size);
    while (b.inputs.size() < want && b.started.size() < want) {
      if (current_ && next_tile_ < image_.grid.count()) {
        b.inputs.push_back(tile_input(image_, next_tile_, model_.norm));
        b.tiles.emplace_back(current_.get(), next_tile_++);
        continue;
      }
      current_.reset();
      image_ = TiledImage{};  // frees the decoded pixels
      // Interrupted: the images already started are finished, no new one is begun.
      if (stop_ && stop_->load()) break;
      InputRecord r;
      if (!inputs_.queue().take_one(r, /*wait=*/b.empty())) break;
      auto img = std::make_shared<PendingImage>();
      img->input = std::move(r);
      start(*img);
      b.started.push_back(img);
      if (img->error.empty()) current_ = img, next_tile_ = 0;
    }
    return b;
  }
  // See BatchReader::finish.
  void finish(ScoreSummary& summary) {
    summary.skipped = inputs_.skipped();
    inputs_.queue().rethrow_if_failed();
  }

 private:
  void start(PendingImage& img) {
    if (!img.input.error.empty()) {
      img.error = img.input.error;
      return;
    }
    try {
      const DecodedImage decoded = decode_image(img.input.path, o_.max_pixels);
      img.width = decoded.width;
      img.height = decoded.height;
      image_ = tile_image(decoded, model_.tiling, img.input.path);
    } catch (const InputError& e) {
      img.error = e.what();
      return;
    }
    img.tiles = image_.grid.count();
    img.stitcher = std::make_unique<MapStitcher>(image_.grid);
  }

  ArrivingInputs inputs_;
  const ScoreOptions& o_;
  const Model& model_;
  const std::atomic<int>* stop_;
  std::shared_ptr<PendingImage> current_;
  TiledImage image_;
  size_t next_tile_ = 0;
};

}  // namespace

ScoreSummary score_tiled_inputs(Model& model, InputSource& source, const ScoreOptions& o, const ScoreCallbacks& cb) {
  ScoreSummary summary;
  TileReader reader(source, o, model, cb.stop_signal);
  std::deque<std::shared_ptr<PendingImage>> in_flight;  // input order
  const size_t plane = size_t(model.image_size) * model.image_size;
  auto pending = std::async(std::launch::async, [&] { return reader.read(); });
  for (;;) {
    TileBatch batch = pending.get();
    if (batch.empty()) break;
    pending = std::async(std::launch::async, [&] { return reader.read(); });
    in_flight.insert(in_flight.end(), batch.started.begin(), batch.started.end());
    if (!batch.tiles.empty()) {
      // Stacked here, not on the reader: an ATen operator that goes parallel on a new thread starts
      // another OpenMP team there, which then competes with the network's for the cores.
      const torch::Tensor maps = infer_raw_maps(model, torch::stack(batch.inputs).to(o.device));
      for (size_t i = 0; i < batch.tiles.size(); ++i) {
        auto [img, tile] = batch.tiles[i];
        img->stitcher->add(tile, maps.data_ptr<float>() + i * plane);
        ++img->done;
      }
    }
    for (; !in_flight.empty() && in_flight.front()->finished(); in_flight.pop_front()) {
      PendingImage& img = *in_flight.front();
      if (!img.error.empty()) {
        report_failure(img.input, img.error, cb, summary);
        continue;
      }
      cv::Mat map = img.stitcher->finish();
      const double score = smooth_and_score(map.ptr<float>(), map.rows, map.cols, model.map);
      cb.emit(scored_record(img.input, score, img.width, img.height, model, o, map.ptr<float>(), map.rows, map.cols));
      ++summary.scored;
    }
    if (cb.progress) cb.progress(summary.scored + summary.failed);
  }
  reader.finish(summary);
  return summary;
}

}  // namespace rd::detail
