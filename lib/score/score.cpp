#include "score/score.h"

#include <future>
#include <thread>

#include "errors.h"
#include "score/inference.h"
#include "score/int8_calibration.h"
#include "score/score_parts.h"

namespace rd {
namespace {

struct Item {
  InputRecord input;
  torch::Tensor tensor;  // [3, S, S] when decoded
  int width = 0, height = 0;
  std::string error;
};

// Takes the next batch, what has arrived of the inputs that pass the shard/resume filters (up
// to --batch-size; it waits only when nothing has), and decodes it on worker threads. Runs
// while the network works on the previous batch.
class BatchReader {
 public:
  BatchReader(InputSource& source, const ScoreOptions& o, const Model& model, const std::atomic<int>* stop)
      : inputs_(source, o, stop), o_(o), size_(model.image_size), norm_(model.norm) {}

  std::vector<Item> read() {
    std::vector<Item> batch;
    for (InputRecord& r : inputs_.queue().take(size_t(o_.batch_size))) batch.push_back(Item{std::move(r), {}, 0, 0, {}});
    decode(batch);
    return batch;
  }
  // The end of the inputs: skipped inputs counted, and a failure of the source (a --dataset
  // folder that is not one) thrown.
  void finish(ScoreSummary& summary) {
    summary.skipped = inputs_.skipped();
    inputs_.queue().rethrow_if_failed();
  }

 private:
  void decode(std::vector<Item>& batch) {
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i; (i = next++) < batch.size();) {
        Item& it = batch[i];
        if (!it.input.error.empty()) {
          it.error = it.input.error;
          continue;
        }
        try {
          DecodedImage img = decode_image(it.input.path, o_.max_pixels);
          it.width = img.width;
          it.height = img.height;
          it.tensor = to_model_input(img, size_, norm_);
        } catch (const InputError& e) {
          it.error = e.what();
        }
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < std::min<int>(o_.decode_threads, int(batch.size())); ++t) pool.emplace_back(work);
    work();
    for (auto& th : pool) th.join();
  }

  detail::ArrivingInputs inputs_;
  const ScoreOptions& o_;
  int size_;
  Normalization norm_;
};

}  // namespace

void prepare_for_scoring(Model& model, const torch::Device& device, Precision precision) {
  // Moved first: the folded weights are plain tensors, made on the device of the parameters.
  model.net->to(device);
  model.net->fold_batchnorm(/*pack_for_cpu=*/device.is_cpu(), precision);
  if (precision == Precision::Int8) use_int8_student(model);
  model.precision = precision;
}

ScoreSummary score_inputs(Model& model, InputSource& source, const ScoreOptions& o, const ScoreCallbacks& cb) {
  detail::check_score_options(o);
  if (model.tiling.enabled()) return detail::score_tiled_inputs(model, source, o, cb);
  ScoreSummary summary;
  BatchReader reader(source, o, model, cb.stop_signal);
  auto pending = std::async(std::launch::async, [&] { return reader.read(); });
  for (;;) {
    std::vector<Item> batch = pending.get();
    if (batch.empty()) break;
    const bool stop = cb.stop_signal && cb.stop_signal->load();
    if (!stop) pending = std::async(std::launch::async, [&] { return reader.read(); });

    std::vector<torch::Tensor> inputs;
    for (const auto& it : batch)
      if (it.tensor.defined()) inputs.push_back(it.tensor);
    BatchMaps out;
    if (!inputs.empty()) out = infer_maps(model, torch::stack(inputs).to(o.device));
    size_t k = 0;
    for (auto& it : batch) {
      if (!it.error.empty()) {
        detail::report_failure(it.input, it.error, cb, summary);
        continue;
      }
      const int side = model.image_size;
      cb.emit(detail::scored_record(it.input, out.scores[k], it.width, it.height, model, o,
                                    out.maps[int64_t(k)].data_ptr<float>(), side, side));
      ++k;
      ++summary.scored;
    }
    if (cb.progress) cb.progress(summary.scored + summary.failed);
    if (stop) break;
  }
  reader.finish(summary);
  return summary;
}

}  // namespace rd
