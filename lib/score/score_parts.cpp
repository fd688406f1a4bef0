#include "score/score_parts.h"

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include "errors.h"
#include "io/npy.h"

namespace rd::detail {
namespace {

void save_map(const float* map, int height, int width, const std::string& path, const std::string& format) {
  if (format == "tiff") {
    cv::Mat m(height, width, CV_32F, const_cast<float*>(map));
    bool ok = false;
    try {
      ok = cv::imwrite(path, m);
    } catch (const cv::Exception&) {
    }
    if (!ok) throw RuntimeFailure(fmt::format("cannot write map '{}'", path));
  } else {
    write_npy(path, map, height, width);
  }
}

}  // namespace

InputFilter::InputFilter(InputSource& source, const ScoreOptions& o) : source_(source), shard_(o.shard) {
  if (!o.resume_file.empty()) done_ = read_done_paths(o.resume_file);
}

bool InputFilter::next(InputRecord& r) {
  while (source_.next(r)) {
    if (r.error.empty() && (!in_shard(r.path, shard_) || done_.count(r.path))) {
      ++skipped_;
      continue;
    }
    if (!r.error.empty() && shard_.count > 1 && !in_shard(std::to_string(r.line), shard_)) continue;
    return true;
  }
  return false;
}

ArrivingInputs::ArrivingInputs(InputSource& source, const ScoreOptions& o, const std::atomic<int>* stop)
    : filter_(std::make_shared<InputFilter>(source, o)) {
  // Enough to keep full batches coming from a fast source; paths are small.
  const std::size_t capacity = std::max<std::size_t>(256, std::size_t(o.batch_size) * 8);
  queue_ = std::make_unique<InputQueue>([f = filter_](InputRecord& r) { return f->next(r); }, capacity, stop,
                                        [f = filter_] { return f->would_wait(); });
}

RecordFields scored_record(const InputRecord& input, double score, int width, int height, const Model& model,
                           const ScoreOptions& o, const float* map, int map_height, int map_width) {
  RecordFields rec = input.fields;
  rec["score"] = score;
  rec["width"] = width;
  rec["height"] = height;
  rec["model"] = model.id;
  if (model.precision != Precision::Fp32) rec["precision"] = precision_name(model.precision);
  if (!o.maps_dir.empty()) {
    const std::string path = o.maps_dir + "/" + output_file_name(input.path, o.map_format == "tiff" ? "tiff" : "npy");
    save_map(map, map_height, map_width, path, o.map_format);
    rec["map"] = path;
  }
  return rec;
}

void report_failure(const InputRecord& input, const std::string& error, const ScoreCallbacks& cb,
                    ScoreSummary& summary) {
  if (cb.warn) cb.warn(error);
  cb.emit(error_record(input.fields.is_object() ? input.fields : RecordFields(input.path), error));
  ++summary.failed;
}

void check_score_options(const ScoreOptions& o) {
  if (o.batch_size < 1) throw UsageError("--batch-size must be at least 1");
  if (o.map_format != "npy" && o.map_format != "tiff")
    throw UsageError(fmt::format("bad --map-format '{}' (choose npy or tiff)", o.map_format));
}

}  // namespace rd::detail
