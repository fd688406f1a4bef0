#include "score/score.h"

#include <future>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include "errors.h"
#include "io/npy.h"
#include "score/inference.h"

namespace rd {
namespace {

struct Item {
  InputRecord input;
  torch::Tensor tensor;  // [3, S, S] when decoded
  int width = 0, height = 0;
  std::string error;
};

// Reads the next batch of records that pass the shard/resume filters and decodes them on
// worker threads. Runs while the network works on the previous batch.
class BatchReader {
 public:
  BatchReader(InputSource& source, const ScoreOptions& o, const Model& model, ScoreSummary& summary)
      : source_(source), o_(o), size_(model.image_size), norm_(model.norm), summary_(summary) {
    if (!o.resume_file.empty()) done_ = read_done_paths(o.resume_file);
  }

  std::vector<Item> read() {
    std::vector<Item> batch;
    for (InputRecord r; int(batch.size()) < o_.batch_size && source_.next(r);) {
      if (r.error.empty() && (!in_shard(r.path, o_.shard) || done_.count(r.path))) {
        ++summary_.skipped;
        continue;
      }
      if (!r.error.empty() && o_.shard.count > 1 && !in_shard(std::to_string(r.line), o_.shard)) continue;
      batch.push_back(Item{std::move(r), {}, 0, 0, {}});
    }
    decode(batch);
    return batch;
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

  InputSource& source_;
  const ScoreOptions& o_;
  int size_;
  Normalization norm_;
  ScoreSummary& summary_;
  std::unordered_set<std::string> done_;
};

void save_map(const float* map, int size, const std::string& path, const std::string& format) {
  if (format == "tiff") {
    cv::Mat m(size, size, CV_32F, const_cast<float*>(map));
    bool ok = false;
    try {
      ok = cv::imwrite(path, m);
    } catch (const cv::Exception&) {
    }
    if (!ok) throw RuntimeFailure(fmt::format("cannot write map '{}'", path));
  } else {
    write_npy(path, map, size, size);
  }
}

}  // namespace

void prepare_for_scoring(Model& model, const torch::Device& device, Precision precision) {
  // Moved first: the folded weights are plain tensors, made on the device of the parameters.
  model.net->to(device);
  model.net->fold_batchnorm(/*pack_for_cpu=*/device.is_cpu(), precision);
  model.precision = precision;
}

ScoreSummary score_inputs(Model& model, InputSource& source, const ScoreOptions& o, const ScoreCallbacks& cb) {
  if (o.batch_size < 1) throw UsageError("--batch-size must be at least 1");
  if (o.map_format != "npy" && o.map_format != "tiff")
    throw UsageError(fmt::format("bad --map-format '{}' (choose npy or tiff)", o.map_format));
  ScoreSummary summary;
  BatchReader reader(source, o, model, summary);
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
        if (cb.warn) cb.warn(it.error);
        cb.emit(error_record(it.input.fields.is_object() ? it.input.fields : RecordFields(it.input.path), it.error));
        ++summary.failed;
        continue;
      }
      RecordFields rec = it.input.fields;
      rec["score"] = out.scores[k];
      rec["width"] = it.width;
      rec["height"] = it.height;
      rec["model"] = model.id;
      if (model.precision != Precision::Fp32) rec["precision"] = precision_name(model.precision);
      if (!o.maps_dir.empty()) {
        const std::string path = o.maps_dir + "/" + output_file_name(it.input.path, o.map_format == "tiff" ? "tiff" : "npy");
        save_map(out.maps[int64_t(k)].data_ptr<float>(), model.image_size, path, o.map_format);
        rec["map"] = path;
      }
      ++k;
      ++summary.scored;
      cb.emit(rec);
    }
    if (cb.progress) cb.progress(summary.scored + summary.failed);
    if (stop) break;
  }
  return summary;
}

}  // namespace rd
