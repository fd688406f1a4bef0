#include "eval/evaluate.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "errors.h"
#include "eval/pixel_metrics.h"
#include "eval/streaming_pixel_metrics.h"
#include "io/map_files.h"

namespace rd {
namespace {

// An optional string field; false when present but not a string.
bool optional_string(const RecordFields& record, const char* key, std::string& out) {
  out.clear();
  const auto it = record.find(key);
  if (it == record.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

}  // namespace

bool read_label(const RecordFields& record, int& label) {
  label = kNoLabel;
  const auto it = record.find("label");
  if (it == record.end() || it->is_null()) return true;
  if (it->is_boolean()) {
    label = it->get<bool>() ? 1 : 0;
    return true;
  }
  if (!it->is_number() || (it->get<double>() != 0 && it->get<double>() != 1)) return false;
  label = int(it->get<double>());
  return true;
}

ProMode parse_pro_mode(const std::string& text) {
  if (text == "mvtec") return ProMode::mvtec;
  if (text == "rd4ad") return ProMode::rd4ad;
  throw UsageError(fmt::format("bad PRO mode '{}'; expected mvtec or rd4ad", text));
}

const char* pro_mode_name(ProMode mode) { return mode == ProMode::rd4ad ? "rd4ad" : "mvtec"; }

Evaluator::Evaluator(EvalOptions options, EvalCallbacks callbacks)
    : options_(options), callbacks_(std::move(callbacks)) {
  if (!(options_.fpr_limit > 0 && options_.fpr_limit <= 1))
    throw UsageError(fmt::format("the FPR limit must be in (0, 1], got {}", options_.fpr_limit));
  if (options_.pro_mode == ProMode::rd4ad && options_.fpr_limit != 0.3)
    throw UsageError("PRO mode rd4ad uses the paper's fixed FPR limit 0.3");
}

void Evaluator::warn(const std::string& message) const {
  if (callbacks_.warn) callbacks_.warn(message);
}

void Evaluator::skip(const std::string& where, const std::string& cause) {
  ++counts_.skipped_error;
  warn(fmt::format("{}: {}; record skipped", where, cause));
}

void Evaluator::read(std::istream& in, const std::string& source) {
  InputReader reader(in, false, source);
  reader.set_path_optional(true);
  for (InputRecord record; reader.next(record);) {
    if (!record.error.empty()) {
      ++counts_.records;
      ++counts_.skipped_error;
      warn(record.error + "; record skipped");
      continue;
    }
    add(record.fields, fmt::format("{}:{}", source, record.line));
  }
}

void Evaluator::add(const RecordFields& record, const std::string& where) {
  ++counts_.records;
  if (!record.is_object()) return skip(where, "not a JSON object");
  if (record.contains("error")) {
    ++counts_.skipped_error;
    ++upstream_errors_;
    return;
  }
  Entry e;
  if (!read_label(record, e.label)) return skip(where, "\"label\" must be 0, 1 or null");
  if (e.label == kNoLabel) {
    ++counts_.skipped_unlabelled;
    return;
  }
  const auto score = record.find("score");
  if (score == record.end()) return skip(where, "no \"score\"");
  if (!score->is_number() || !std::isfinite(score->get<double>()))
    return skip(where, "\"score\" is not a finite number");
  e.score = score->get<double>();
  if (!optional_string(record, "defect", e.defect)) return skip(where, "\"defect\" is not a string");
  if (!optional_string(record, "map", e.map)) return skip(where, "\"map\" is not a string");
  if (!optional_string(record, "mask", e.mask)) return skip(where, "\"mask\" is not a string");
  if (e.defect.empty()) e.defect = e.label == 1 ? "unknown" : "good";
  e.where = where;
  entries_.push_back(std::move(e));
}

// Pixel metrics need maps, and masks on the anomalous records (a normal record without a mask
// has an all-normal one). They are computed when some anomalous record has both; records that
// lack what they need are left out of them, with a warning.
bool Evaluator::choose_pixel_entries() {
  if (!options_.pixel) return false;
  const bool any = std::any_of(entries_.begin(), entries_.end(),
                               [](const Entry& e) { return e.label == 1 && !e.map.empty() && !e.mask.empty(); });
  if (!any) return false;
  std::size_t no_map = 0, no_mask = 0;
  for (Entry& e : entries_) {
    e.pixel = !e.map.empty() && (e.label == 0 || !e.mask.empty());
    no_map += e.map.empty();
    no_mask += !e.map.empty() && e.label == 1 && e.mask.empty();
  }
  if (no_map) warn(fmt::format("{} labelled records have no \"map\"; pixel metrics leave them out", no_map));
  if (no_mask)
    warn(fmt::format("{} anomalous records have a map but no \"mask\"; pixel metrics leave them out", no_mask));
  return true;
}

// Reads the group's maps and masks one at a time. The first pass feeds both accumulators: the
// exact one until the group passes exact_pixel_limit pixels (then it is dropped), the streamed
// one always; the streamed one then asks for the passes it needs. In the first pass a file
// that cannot be read marks its record unreadable; later passes read the same files.
std::optional<PixelResult> Evaluator::pixel_metrics(const Group& group, const std::string& name, EvalCurves* curves,
                                                    bool first_pass) {
  const bool rd4ad = options_.pro_mode == ProMode::rd4ad;
  auto exact = std::make_unique<PixelMetrics>();
  StreamingPixelMetrics streamed(rd4ad ? std::nullopt : std::optional<double>(options_.fpr_limit), rd4ad);
  bool more = true;
  for (int pass = 1; more; ++pass) {
    if (pass > 1) maps_total_ += group.size();  // the progress bar's total grows with each pass
    for (Entry* e : group) {
      if (!e->pixel || e->unreadable) continue;
      try {
        const cv::Mat map = read_anomaly_map(e->map);
        const cv::Mat mask = e->mask.empty() ? cv::Mat::zeros(map.size(), CV_8U)
                                             : read_ground_truth_mask(e->mask, map.size());
        if (exact && exact->pixels() + map.total() > options_.exact_pixel_limit) exact.reset();
        if (exact) exact->add(map, mask);
        streamed.add(map, mask);
      } catch (const InputError& error) {
        if (!first_pass || pass > 1) throw;
        e->unreadable = true;
        skip(e->where, error.what());
      }
      if (callbacks_.progress) callbacks_.progress(++maps_done_, maps_total_);
    }
    more = !exact && streamed.finish_pass();
  }
  PixelResult r;
  r.images = streamed.images();
  r.regions = std::size_t(streamed.regions());
  try {
    if (exact) {
      const PixelSummary summary = exact->summary();
      r.auroc = summary.auroc;
      r.average_precision = summary.average_precision;
      r.aupro = rd4ad ? exact->aupro_rd4ad() : exact->aupro(options_.fpr_limit);
      if (curves) {
        curves->pixel_roc = exact->roc_curve(options_.curve_points);
        if (!rd4ad) curves->pro = exact->pro_curve(options_.curve_points);
      }
      return r;
    }
    r.auroc = streamed.pixel_auroc();
    r.average_precision = streamed.average_precision();
    r.aupro = rd4ad ? streamed.aupro_rd4ad() : streamed.aupro();
    r.passes = streamed.passes();
    r.error_bound = streamed.error_bound();
    if (r.error_bound > StreamingPixelMetrics::kDefaultTolerance)
      warn(fmt::format("{}: streamed pixel metrics stopped refining at an error bound of {:.2g}", name,
                       r.error_bound));
    if (curves) {
      curves->pixel_roc = streamed.roc_curve(options_.curve_points);
      if (!rd4ad) curves->pro = streamed.pro_curve(options_.curve_points);
    }
  } catch (const InputError& error) {
    warn(fmt::format("{}: no pixel metrics: {}", name, error.what()));
    return std::nullopt;
  }
  return r;
}

GroupMetrics Evaluator::group_metrics(const std::string& name, const Group& group, bool pixel, EvalCurves* curves) {
  GroupMetrics g;
  g.name = name;
  std::vector<double> scores;
  std::vector<int> labels;
  for (const Entry* e : group) {
    if (e->unreadable) continue;
    scores.push_back(e->score);
    labels.push_back(e->label);
  }
  g.image = image_metrics(scores, labels);
  if (curves) {
    curves->roc = roc_curve(scores, labels);
    curves->pr = pr_curve(scores, labels);
  }
  if (pixel) g.pixel = pixel_metrics(group, name, curves, false);
  return g;
}

EvalReport Evaluator::finish() {
  if (upstream_errors_)
    warn(fmt::format("{} records carry an \"error\" (failed before evaluation); they are counted, not scored",
                     upstream_errors_));
  auto check_classes = [&] {
    std::size_t normal = 0, anomalous = 0;
    for (const Entry& e : entries_) (e.label == 1 ? anomalous : normal) += !e.unreadable;
    if (normal == 0 || anomalous == 0) {
      if (normal + anomalous == 0)
        throw UsageError(fmt::format("no usable labelled records among {} read ({} with an error, {} unlabelled)",
                                     counts_.records, counts_.skipped_error, counts_.skipped_unlabelled));
      throw UsageError(fmt::format(
          "cannot evaluate: all {} labelled records are {}; the metrics need both normal (label 0) and "
          "anomalous (label 1) records",
          normal + anomalous, normal ? "normal" : "anomalous"));
    }
    counts_.normal = normal;
    counts_.anomalous = anomalous;
  };
  check_classes();

  EvalReport report;
  report.options = options_;
  EvalCurves* curves = options_.curves ? &report.curves : nullptr;
  const bool pixel = choose_pixel_entries();

  Group all;
  for (Entry& e : entries_) all.push_back(&e);
  auto defects = [&] {
    std::set<std::string> names;
    if (options_.by_defect)
      for (const Entry& e : entries_) if (e.label == 1 && !e.unreadable) names.insert(e.defect);
    return names;
  };
  std::optional<PixelResult> overall_pixel;
  if (pixel) {
    std::size_t normal = 0, anomalous = 0;
    for (const Entry& e : entries_) (e.label == 1 ? anomalous : normal) += e.pixel;
    maps_total_ = normal + anomalous + (options_.by_defect ? normal * defects().size() + anomalous : 0);
    // The first pass finds unreadable files before any image metric is computed, so image
    // and pixel metrics describe the same records.
    overall_pixel = pixel_metrics(all, "all", curves, true);
    check_classes();
    if (options_.by_defect) {  // what the per-defect passes will read, now that some may be out
      std::size_t normal_left = 0, anomalous_left = 0;
      for (const Entry& e : entries_) (e.label == 1 ? anomalous_left : normal_left) += e.pixel && !e.unreadable;
      maps_total_ = maps_done_ + normal_left * defects().size() + anomalous_left;
    }
  }
  report.overall = group_metrics("all", all, false, curves);
  report.overall.pixel = overall_pixel;
  report.counts = counts_;

  for (const std::string& defect : defects()) {
    Group group;
    for (Entry& e : entries_)
      if (e.label == 0 || e.defect == defect) group.push_back(&e);
    report.by_defect.push_back(group_metrics(defect, group, pixel, nullptr));
  }
  return report;
}

EvalReport evaluate(std::istream& in, const EvalOptions& options, const EvalCallbacks& callbacks) {
  Evaluator evaluator(options, callbacks);
  evaluator.read(in, "<stdin>");
  return evaluator.finish();
}

}  // namespace rd
