#include "draw/map_tool.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "errors.h"
#include "eval/threshold.h"
#include "io/atomic_file.h"
#include "io/map_files.h"
#include "io/mvtec_ad2_submission.h"
#include "io/output_names.h"

namespace rd {
namespace {

// The model's validation pixel statistics (rd-train --val): median and max, when present.
std::pair<std::optional<double>, std::optional<double>> validation_pixels(const nlohmann::json& meta) {
  const auto validation = meta.find("validation");
  if (validation == meta.end() || !validation->is_object()) return {};
  const auto pixel = validation->find("pixel");
  if (pixel == validation->end() || !pixel->is_object() || !pixel->value("count", 0.0)) return {};
  std::optional<double> median, max;
  if (const auto q = pixel->find("quantiles"); q != pixel->end() && q->is_object() && q->contains("0.5") &&
                                               (*q)["0.5"].is_number())
    median = (*q)["0.5"].get<double>();
  if (const auto m = pixel->find("max"); m != pixel->end() && m->is_number()) max = m->get<double>();
  return {median, max};
}

// The record's string field `key`, or "" when it is absent or null. Throws InputError otherwise.
std::string string_field(const RecordFields& fields, const char* key) {
  const auto it = fields.find(key);
  if (it == fields.end() || it->is_null()) return "";
  if (!it->is_string()) throw InputError(fmt::format("\"{}\" is not a string", key));
  return it->get<std::string>();
}

std::optional<double> number_field(const RecordFields& fields, const char* key) {
  const auto it = fields.find(key);
  if (it == fields.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::optional<bool> bool_field(const RecordFields& fields, const char* key) {
  const auto it = fields.find(key);
  if (it == fields.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

void check_finite(const cv::Mat& map, const std::string& name) {
  std::size_t bad = 0;
  for (auto it = map.begin<float>(); it != map.end<float>(); ++it) bad += !std::isfinite(*it);
  if (bad) throw InputError(fmt::format("anomaly map {} has {} non-finite values (NaN or infinity)", name, bad));
}

cv::Mat load_map(const RecordFields& fields, const std::string& image_path,
                 const std::function<cv::Mat(const std::string&)>& compute_map) {
  const std::string map_path = string_field(fields, "map");
  cv::Mat map;
  if (!map_path.empty()) {
    map = read_anomaly_map(map_path);
  } else if (compute_map) {
    map = compute_map(image_path);
  } else {
    throw InputError(fmt::format("'{}': the record has no \"map\"; give -m MODEL to compute it", image_path));
  }
  check_finite(map, map_path.empty() ? fmt::format("of '{}'", image_path) : fmt::format("'{}'", map_path));
  return map;
}

// Runs `read` for one record. Messages about a field name no file yet ("\"map\" is not a
// string"), and OpenCV's own errors, get the record's path in front: say which record they are about.
template <class Read>
void about_record(const InputRecord& record, Read read) {
  try {
    read();
  } catch (const InputError& e) {
    const std::string what = e.what();
    if (!what.empty() && what.front() == '"') throw InputError(fmt::format("'{}': {}", record.path, what));
    throw;
  } catch (const cv::Exception& e) {
    throw InputError(fmt::format("'{}': {}", record.path, e.err));
  }
}

}  // namespace

cv::Mat read_image_bgr8(const std::string& path, int64_t max_pixels) {
  const DecodedImage decoded = decode_image(path, max_pixels);
  cv::Mat bgr, out;
  if (!decoded.rgb8.empty()) {
    cv::cvtColor(decoded.rgb8, out, cv::COLOR_RGB2BGR);
    return out;
  }
  cv::cvtColor(decoded.rgb, bgr, cv::COLOR_RGB2BGR);
  bgr.convertTo(out, CV_8U, 255.0);
  return out;
}

OverlayInput read_overlay_input(const InputRecord& record, int64_t max_pixels,
                                const std::function<cv::Mat(const std::string&)>& compute_map) {
  OverlayInput in;
  about_record(record, [&] {
    in.image = read_image_bgr8(record.path, max_pixels);
    in.map = load_map(record.fields, record.path, compute_map);
    const std::string mask = string_field(record.fields, "mask");
    if (!mask.empty()) in.mask = read_ground_truth_mask(mask, in.image.size());
  });
  in.score = number_field(record.fields, "score");
  in.anomalous = bool_field(record.fields, "anomalous");
  in.image_threshold = number_field(record.fields, "threshold");
  return in;
}

std::pair<double, double> parse_range(const std::string& text) {
  const auto comma = text.find(',');
  const auto bad = [&] { return UsageError(fmt::format("--range '{}': expected LO,HI (two numbers, LO < HI)", text)); };
  if (comma == std::string::npos) throw bad();
  const std::string lo_text = text.substr(0, comma), hi_text = text.substr(comma + 1);
  char* end = nullptr;
  const double lo = std::strtod(lo_text.c_str(), &end);
  if (lo_text.empty() || *end != '\0') throw bad();
  const double hi = std::strtod(hi_text.c_str(), &end);
  if (hi_text.empty() || *end != '\0' || !std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi)) throw bad();
  return {lo, hi};
}

ResolvedScale resolve_scale(const ScaleRequest& request) {
  ResolvedScale r;
  ScaleSources s;
  std::string threshold_from;
  if (!request.threshold_file.empty()) {
    const ThresholdFit fit = read_threshold_file(request.threshold_file);
    if (!fit.pixel)
      throw UsageError(fmt::format("'{}' is a threshold for image scores; rd-map needs a pixel threshold "
                                   "(rd-threshold fit --pixel)", request.threshold_file));
    if (request.model_meta) check_threshold_model(fit, request.model_id, request.threshold_file);
    s.threshold = fit.value;
    r.model_id = fit.model_id;
    threshold_from = fmt::format("from '{}'", request.threshold_file);
  }
  if (request.model_meta) {
    r.model_id = request.model_id;
    std::tie(s.validation_median, s.validation_max) = validation_pixels(*request.model_meta);
    if (!s.threshold && s.validation_max)
      threshold_from = fmt::format("the largest validation pixel of '{}'", request.model_name);
    if (!s.threshold && !s.validation_max && request.range.empty() && !request.per_image)
      throw UsageError(fmt::format("model '{}' has no validation pixel statistics (train it with --val) for a "
                                   "colour scale; give -t FILE (rd-threshold fit --pixel) or --range LO,HI",
                                   request.model_name));
  }
  if (!request.range.empty()) s.range = parse_range(request.range);
  s.per_image = request.per_image;
  r.scale = choose_scale(s);

  const std::string t = r.scale.threshold ? fmt::format("pixel threshold {} {}", *r.scale.threshold, threshold_from)
                                          : std::string("no pixel threshold (no contour)");
  if (r.scale.per_image)
    r.description = "colour scale: each map's own min to max (--normalize per-image); " + t;
  else if (s.range)
    r.description = fmt::format("colour scale {} to {} (--range); {}", r.scale.lo, r.scale.hi, t);
  else
    r.description = fmt::format("colour scale {} to {} (low end: {}; the threshold mid-scale); {}", r.scale.lo,
                                r.scale.hi, s.validation_median ? "the validation median" : "0, no model statistics", t);
  return r;
}

void check_map_tool_options(MapToolOptions& o) {
  if (o.format == "jpeg") o.format = "jpg";
  if (o.format != "png" && o.format != "jpg")
    throw UsageError(fmt::format("unknown --format '{}'; expected png or jpg", o.format));
  if (o.quality < 1 || o.quality > 100) throw UsageError(fmt::format("--quality must be 1-100, got {}", o.quality));
  if (!(o.overlay.alpha >= 0 && o.overlay.alpha <= 1))
    throw UsageError(fmt::format("--alpha must be in 0..1, got {}", o.overlay.alpha));
  if (o.overlay.contour_width < 0) throw UsageError("--contour-width must be 0 (automatic) or more");
  if (!o.mvtec_ad2_dir.empty()) {
    if (!o.out_dir.empty()) throw UsageError("give -o/--out DIR for overlays or --mvtec-ad2 DIR, not both");
    return;
  }
  if (o.out_dir.empty()) throw UsageError("missing -o/--out DIR for the overlays");
}

MapTool::MapTool(MapToolOptions options, MapToolCallbacks callbacks)
    : options_(std::move(options)), callbacks_(std::move(callbacks)) {
  check_map_tool_options(options_);
  if (!options_.mvtec_ad2_dir.empty() && !options_.scale.threshold)
    throw UsageError("--mvtec-ad2 writes thresholded maps and needs a pixel threshold: -t FILE "
                     "(rd-threshold fit --pixel), or -m MODEL trained with --val");
}

bool MapTool::read(std::istream& in, const std::string& source, bool nul_separated) {
  InputReader reader(in, nul_separated, source);
  InputRecord record;
  while (reader.next(record)) {
    add(record);
    if (callbacks_.should_stop && callbacks_.should_stop()) return false;
  }
  return true;
}

void MapTool::add(const InputRecord& record) {
  ++counts_.records;
  if (record.fields.contains("error")) {
    ++counts_.upstream;
    callbacks_.emit(record.fields);
  } else if (!record.error.empty()) {
    ++counts_.failed;
    if (callbacks_.report) callbacks_.report(record.error);
    callbacks_.emit(error_record(record.fields, record.error));
  } else {
    check_model(record.fields, record.path);
    RecordFields out;
    try {
      out = options_.mvtec_ad2_dir.empty() ? draw(record) : submit(record);
      ++counts_.drawn;
    } catch (const InputError& e) {
      ++counts_.failed;
      if (callbacks_.report) callbacks_.report(e.what());
      out = error_record(record.fields, e.what());
    }
    callbacks_.emit(out);
  }
  if (callbacks_.progress) callbacks_.progress(counts_.records);
}

void MapTool::check_model(const RecordFields& fields, const std::string& where) const {
  const auto it = fields.find("model");
  if (!options_.model_id || it == fields.end() || !it->is_string()) return;
  if (it->get<std::string>() != *options_.model_id)
    throw UsageError(fmt::format("'{}': the record is of model {}, but the colour scale is of model {}; give the "
                                 "matching -m MODEL or -t FILE", where, it->get<std::string>(), *options_.model_id));
}

RecordFields MapTool::draw(const InputRecord& record) {
  const OverlayInput in = read_overlay_input(record, options_.max_pixels, callbacks_.compute_map);
  const cv::Mat picture = draw_overlay(in, options_.scale, options_.overlay);
  const std::string path =
      (std::filesystem::path(options_.out_dir) / output_file_name(record.path, options_.format)).string();
  write_overlay(path, picture);
  RecordFields out = record.fields;
  out["overlay"] = path;
  return out;
}

// The record's size from rd-score's width and height, so that no image is decoded, else the image's.
RecordFields MapTool::submit(const InputRecord& record) {
  SubmissionFiles files;
  about_record(record, [&] {
    const auto width = number_field(record.fields, "width"), height = number_field(record.fields, "height");
    const cv::Size size = width && height && *width >= 1 && *height >= 1
                              ? cv::Size(int(*width), int(*height))
                              : read_image_bgr8(record.path, options_.max_pixels).size();
    const cv::Mat map = load_map(record.fields, record.path, callbacks_.compute_map);
    files = write_mvtec_ad2_submission(options_.mvtec_ad2_dir, record.path, map, size, *options_.scale.threshold);
  });
  RecordFields out = record.fields;
  out["submission"] = files.map;
  out["submission_thresholded"] = files.thresholded;
  return out;
}

void MapTool::write_overlay(const std::string& path, const cv::Mat& picture) const {
  std::vector<uchar> bytes;
  std::vector<int> params;
  if (options_.format == "jpg") params = {cv::IMWRITE_JPEG_QUALITY, options_.quality};
  try {
    if (!cv::imencode("." + options_.format, picture, bytes, params))
      throw RuntimeFailure(fmt::format("cannot encode '{}'", path));
  } catch (const cv::Exception& e) {
    throw RuntimeFailure(fmt::format("cannot encode '{}': {}", path, e.err));
  }
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  });
}

}  // namespace rd
