#include "eval/threshold_tool.h"

#include <cmath>

#include <fmt/format.h>

#include "errors.h"
#include "eval/evaluate.h"
#include "eval/metrics.h"
#include "eval/pixel_metrics.h"
#include "io/map_files.h"

namespace rd {
namespace {

// The model a record names: "model": "<id>" (as rd-score writes it) or {"id": "<id>"}.
std::optional<std::string> record_model(const RecordFields& record) {
  const auto it = record.find("model");
  if (it == record.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("id") && (*it)["id"].is_string()) return (*it)["id"].get<std::string>();
  return std::nullopt;
}

// The precision a record was scored at: its "precision" field, fp32 when absent.
std::string record_precision(const RecordFields& record) {
  const auto it = record.find("precision");
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string("fp32");
}

std::string string_field(const RecordFields& record, const char* key) {
  const auto it = record.find(key);
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

// Pixel fits: every pixel of the normal maps (percentile, sigma, fpr), or maps with their
// masks in the pixel accumulator (f1).
struct ThresholdFitter::PixelData {
  std::vector<double> values;
  PixelMetrics metrics;
};

ThresholdFitter::ThresholdFitter(FitOptions options, std::function<void(const std::string&)> warn)
    : options_(std::move(options)), warn_(std::move(warn)) {
  if (options_.pixel) pixels_ = std::make_unique<PixelData>();
}

ThresholdFitter::~ThresholdFitter() = default;

void ThresholdFitter::skip(const std::string& where, const std::string& cause) {
  ++counts_.skipped_error;
  if (warn_) warn_(fmt::format("{}: {}; record skipped", where, cause));
}

void ThresholdFitter::read(std::istream& in, const std::string& source) {
  InputReader reader(in, false, source);
  reader.set_path_optional(true);
  for (InputRecord record; reader.next(record);) {
    if (!record.error.empty()) {
      ++counts_.records;
      ++counts_.skipped_error;
      if (warn_) warn_(record.error + "; record skipped");
      continue;
    }
    add(record.fields, fmt::format("{}:{}", source, record.line));
  }
}

void ThresholdFitter::add_model(const RecordFields& record, const std::string& where) {
  const auto id = record_model(record);
  if (!id) return;
  if (options_.model_id && *id != *options_.model_id)
    throw UsageError(fmt::format("{}: record is from model '{}', but -m names model '{}'", where, *id,
                                 *options_.model_id));
  if (record_model_ && *id != *record_model_)
    throw UsageError(fmt::format("records come from two models: '{}' ({}) and '{}' ({})", *record_model_,
                                 record_model_where_, *id, where));
  if (!record_model_) {
    record_model_ = id;
    record_model_where_ = where;
  }
}

void ThresholdFitter::add_precision(const RecordFields& record, const std::string& where) {
  const std::string precision = record_precision(record);
  if (record_precision_ && precision != *record_precision_)
    throw UsageError(fmt::format("records were scored at two precisions: {} ({}) and {} ({}); a threshold holds "
                                 "for one", *record_precision_, record_precision_where_, precision, where));
  if (!record_precision_) {
    record_precision_ = precision;
    record_precision_where_ = where;
  }
}

void ThresholdFitter::add(const RecordFields& record, const std::string& where) {
  ++counts_.records;
  if (!record.is_object()) return skip(where, "not a JSON object");
  add_model(record, where);
  if (record.contains("error")) {
    ++counts_.skipped_error;
    ++upstream_errors_;
    return;
  }
  add_precision(record, where);
  int label = kNoLabel;
  if (!read_label(record, label)) return skip(where, "\"label\" must be 0, 1 or null");
  const bool f1 = options_.method.kind == ThresholdMethodKind::f1;
  if (f1 && label == kNoLabel) {
    ++counts_.skipped_unlabelled;
    return;
  }
  if (!f1 && label == 1) {
    ++counts_.skipped_anomalous;
    return;
  }
  if (options_.pixel) return add_maps(label, string_field(record, "map"), string_field(record, "mask"), where);
  const auto score = record.find("score");
  if (score == record.end()) return skip(where, "no \"score\"");
  if (!score->is_number()) return skip(where, "\"score\" is not a number");
  scores_.push_back(score->get<double>());
  labels_.push_back(label);
  ++counts_.used;
}

void ThresholdFitter::add_maps(int label, const std::string& map_path, const std::string& mask_path,
                               const std::string& where) {
  if (map_path.empty()) return skip(where, "no \"map\" (a pixel threshold is fitted on anomaly maps)");
  const bool f1 = options_.method.kind == ThresholdMethodKind::f1;
  if (f1 && label == 1 && mask_path.empty()) return skip(where, "anomalous record without \"mask\"");
  try {
    const cv::Mat map = read_anomaly_map(map_path);
    if (f1) {
      const cv::Mat mask = mask_path.empty() ? cv::Mat::zeros(map.size(), CV_8U)
                                             : read_ground_truth_mask(mask_path, map.size());
      pixels_->metrics.add(map, mask);
    } else {
      pixels_->values.insert(pixels_->values.end(), map.begin<float>(), map.end<float>());
    }
  } catch (const InputError& e) {
    return skip(where, e.what());
  }
  ++counts_.used;
}

FitResult ThresholdFitter::finish() {
  if (upstream_errors_ && warn_)
    warn_(fmt::format("{} records carry an \"error\" (failed before fitting); they are counted, not used",
                      upstream_errors_));
  FitResult result;
  if (counts_.used == 0)
    throw UsageError(fmt::format("nothing to fit on: no usable {} among {} records ({} with an error, {} "
                                 "unlabelled, {} anomalous)",
                                 options_.pixel ? "maps" : "scores", counts_.records, counts_.skipped_error,
                                 counts_.skipped_unlabelled, counts_.skipped_anomalous));
  try {
    if (options_.pixel && options_.method.kind == ThresholdMethodKind::f1) {
      result.fit.method = options_.method.text();
      result.fit.value = pixels_->metrics.summary().f1.threshold;
      result.fit.count = pixels_->metrics.pixels();
      result.fit.created = detail::utc_timestamp();
    } else if (options_.pixel) {
      result.fit = fit_threshold(options_.method, std::move(pixels_->values));
    } else {
      result.fit = fit_threshold(options_.method, std::move(scores_), labels_);
    }
  } catch (const InputError& e) {
    throw UsageError(fmt::format("cannot fit {}: {}", options_.method.text(), e.what()));
  }
  result.fit.pixel = options_.pixel;
  result.fit.model_id = options_.model_id ? options_.model_id : record_model_;
  result.fit.precision = record_precision_.value_or("fp32");
  result.counts = counts_;
  return result;
}

ThresholdFit fit_from_validation(const nlohmann::json& meta, const ThresholdMethod& method, bool pixel,
                                 const std::string& model_id, const std::string& model_name) {
  const auto none = [&](const char* what) {
    return UsageError(fmt::format("model '{}' has no validation {}; train with --val", model_name, what));
  };
  const auto validation = meta.find("validation");
  if (validation == meta.end() || !validation->is_object()) throw none("scores");
  ThresholdFit fit;
  if (!pixel) {
    const auto scores = validation->find("scores");
    if (scores == validation->end() || !scores->is_array() || scores->empty()) throw none("scores");
    if (method.kind == ThresholdMethodKind::f1)
      throw UsageError("method f1 needs labelled scores; the model stores only normal validation scores");
    std::vector<double> values;
    for (const auto& v : *scores) {
      if (!v.is_number()) throw FormatError(fmt::format("'{}': validation scores are not all numbers", model_name));
      values.push_back(v.get<double>());
    }
    fit = fit_threshold(method, std::move(values));
  } else {
    const auto stats = validation->find("pixel");
    if (stats == validation->end() || !stats->is_object() || stats->value("count", 0) == 0)
      throw none("pixel statistics");
    const auto number = [&](const nlohmann::json& j, const std::string& key) {
      const auto it = j.find(key);
      if (it == j.end() || !it->is_number())
        throw FormatError(fmt::format("'{}': validation pixel statistics lack '{}'", model_name, key));
      return it->get<double>();
    };
    if (method.kind == ThresholdMethodKind::sigma) {
      fit.value = number(*stats, "mean") + method.parameter * number(*stats, "std");
    } else if (method.kind == ThresholdMethodKind::percentile && method.parameter == 0) {
      fit.value = number(*stats, "min");
    } else if (method.kind == ThresholdMethodKind::percentile && method.parameter == 100) {
      fit.value = number(*stats, "max");
    } else if (method.kind == ThresholdMethodKind::percentile) {
      const auto quantiles = stats->find("quantiles");
      std::string stored;
      bool found = false;
      if (quantiles != stats->end() && quantiles->is_object()) {
        for (const auto& [key, value] : quantiles->items()) {
          const double q = std::strtod(key.c_str(), nullptr) * 100;
          stored += fmt::format("{}{}", stored.empty() ? "" : ", ", q);
          if (std::abs(q - method.parameter) < 1e-9 && value.is_number()) {
            fit.value = value.get<double>();
            found = true;
          }
        }
      }
      if (!found)
        throw UsageError(fmt::format("model '{}' stores pixel percentiles {} (and 0, 100) only; for percentile:{} "
                                     "fit on records with maps",
                                     model_name, stored, method.parameter));
    } else {
      throw UsageError(fmt::format("a pixel threshold by {} needs the maps; the model stores only pixel "
                                   "statistics (percentile and sigma work): fit on records with maps",
                                   method.text()));
    }
    fit.method = method.text();
    fit.count = std::size_t(number(*stats, "count"));
    fit.created = detail::utc_timestamp();
  }
  fit.pixel = pixel;
  fit.model_id = model_id;
  return fit;
}

ThresholdApplier::ThresholdApplier(ApplyOptions options, std::function<void(const std::string&)> warn)
    : options_(std::move(options)), warn_(std::move(warn)) {
  // A pixel threshold compares map pixels; image scores are on another scale (max of a smoothed map).
  if (options_.threshold.pixel)
    throw UsageError(fmt::format("{}: is a pixel threshold (for rd-map and maps); apply needs an image-score "
                                 "threshold from 'rd-threshold fit' without --pixel", options_.threshold_source));
  if (options_.force) {
    if (options_.threshold.model_id && options_.model_id && *options_.threshold.model_id != *options_.model_id &&
        warn_) {
      warn_(fmt::format("{}: threshold was fitted for model '{}', not '{}'; applied anyway (--force)",
                        options_.threshold_source, *options_.threshold.model_id, *options_.model_id));
      warned_foreign_ = true;
    }
  } else {
    try {
      check_threshold_model(options_.threshold, options_.model_id, options_.threshold_source);
    } catch (const UsageError& e) {
      throw UsageError(std::string(e.what()) + " (--force applies it anyway)");
    }
  }
}

void ThresholdApplier::decide(RecordFields& record, const std::string& where) {
  const auto& fitted = options_.threshold.model_id;
  if (const auto id = record_model(record); id && fitted && *id != *fitted) {
    if (!options_.force)
      throw UsageError(fmt::format("{}: record is from model '{}', but threshold file '{}' was fitted for model "
                                   "'{}' (--force applies it anyway)",
                                   where, *id, options_.threshold_source, *fitted));
    if (!warned_foreign_ && warn_)
      warn_(fmt::format("{}: record is from model '{}', threshold from model '{}'; applied anyway (--force)", where,
                        *id, *fitted));
    warned_foreign_ = true;
  }
  if (record.contains("error")) {
    ++counts_.errors;
    return;
  }
  if (const std::string p = record_precision(record); p != options_.threshold.precision) {
    if (!options_.force)
      throw UsageError(fmt::format("{}: record was scored at {}, but threshold file '{}' was fitted on {} scores "
                                   "(scores move by ~1e-3 between precisions; fit one for {}, or --force)",
                                   where, p, options_.threshold_source, options_.threshold.precision, p));
    if (!warned_precision_ && warn_)
      warn_(fmt::format("{}: record scored at {}, threshold fitted at {}; applied anyway (--force)", where, p,
                        options_.threshold.precision));
    warned_precision_ = true;
  }
  const auto score = record.find("score");
  if (score == record.end()) {
    ++counts_.no_score;
    return;
  }
  if (!score->is_number()) {  // "0.5", null: a broken record, not an undecided one
    const std::string message = fmt::format("{}: \"score\" is not a number", where);
    record["error"] = message;  // every field kept
    if (warn_) warn_(message);
    ++counts_.errors;
    return;
  }
  const bool anomalous = is_anomalous(score->get<double>(), options_.threshold.value);
  record["anomalous"] = anomalous;
  record["threshold"] = options_.threshold.value;
  ++counts_.decided;
  counts_.anomalous += anomalous;
}

void ThresholdApplier::apply(std::istream& in, const std::string& source,
                             const std::function<void(const RecordFields&)>& emit, const std::function<void()>& idle) {
  InputReader reader(in, false, source);
  reader.set_path_optional(true);
  for (InputRecord record;;) {
    if (idle && (!in.rdbuf() || in.rdbuf()->in_avail() <= 0)) idle();
    if (!reader.next(record)) break;
    ++counts_.records;
    if (!record.error.empty()) {
      record.fields = error_record(record.fields, record.error);
      if (warn_) warn_(record.error);
      ++counts_.errors;
    } else {
      decide(record.fields, fmt::format("{}:{}", source, record.line));
    }
    emit(record.fields);
  }
}

}  // namespace rd
