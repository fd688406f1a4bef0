#include "report/report.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "errors.h"
#include "eval/eval_report.h"
#include "eval/threshold.h"
#include "report/page.h"

namespace rd {
namespace {

std::string string_field(const RecordFields& record, const char* key) {
  const auto it = record.find(key);
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The model a record names: "model": "<id>" (rd-score) or {"id": "<id>"}.
std::string record_model(const RecordFields& record) {
  const auto it = record.find("model");
  if (it == record.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("id") && (*it)["id"].is_string()) return (*it)["id"].get<std::string>();
  return "";
}

EvalOptions eval_options(const ReportOptions& o) {
  EvalOptions e;
  e.by_defect = true;
  e.curves = true;
  e.pixel = o.pixel;
  e.curve_points = 400;  // a page's SVG needs no more
  return e;
}

// The model's validation scores (rd-train --val) and the precision they were computed at.
std::vector<double> validation_scores(const nlohmann::json& meta) {
  std::vector<double> out;
  const auto v = meta.find("validation");
  if (v == meta.end() || !v->is_object()) return out;
  const auto s = v->find("scores");
  if (s == v->end() || !s->is_array()) return out;
  for (const auto& x : *s)
    if (x.is_number() && std::isfinite(x.get<double>())) out.push_back(x.get<double>());
  return out;
}

std::string validation_precision(const nlohmann::json& meta) {
  const auto v = meta.find("validation");
  if (v != meta.end() && v->is_object() && v->contains("precision") && (*v)["precision"].is_string())
    return (*v)["precision"].get<std::string>();
  return "fp32";
}

nlohmann::ordered_json optional_number(const std::optional<double>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

ReportCounts count_entries(const std::vector<ReportEntry>& entries, std::set<double>& thresholds,
                           std::map<std::string, std::size_t>& precisions) {
  ReportCounts c;
  for (const ReportEntry& e : entries) {
    ++c.records;
    if (!e.score) {
      ++c.errors;
      continue;
    }
    ++c.scored;
    ++precisions[e.precision];
    if (e.anomalous) (*e.anomalous ? c.anomalous : c.normal) += 1; else ++c.undecided;
    if (e.threshold) thresholds.insert(*e.threshold);
    if (e.label == 0) ++c.labelled_normal; else if (e.label == 1) ++c.labelled_anomalous; else ++c.unlabelled;
    if (e.label == 0 && e.anomalous == true) ++c.false_positives;
    if (e.label == 1 && e.anomalous == false) ++c.false_negatives;
  }
  return c;
}

nlohmann::ordered_json counts_json(const ReportCounts& c) {
  return {{"records", c.records},         {"scored", c.scored},
          {"errors", c.errors},           {"anomalous", c.anomalous},
          {"normal", c.normal},           {"undecided", c.undecided},
          {"labelled_normal", c.labelled_normal}, {"labelled_anomalous", c.labelled_anomalous},
          {"unlabelled", c.unlabelled},   {"false_positives", c.false_positives},
          {"false_negatives", c.false_negatives}};
}

// The drift test's numbers; those of a verdict only when there is one.
nlohmann::ordered_json drift_json(const DriftResult& d, const std::string& reason) {
  const auto text = [](const std::string& t) { return t.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(t); };
  nlohmann::ordered_json j = {{"verdict", drift_verdict_name(d.verdict)},
                              {"direction", text(d.direction)},
                              {"reason", text(reason)},
                              {"basis", nullptr},
                              {"records", d.records},
                              {"min_records", d.min_records},
                              {"false_alarm_rate", d.options.false_alarm_rate},
                              {"outlier_share", d.options.outlier_share}};
  if (!d.validation) return j;
  j["validation"] = {{"count", d.validation}, {"median", d.validation_median}, {"std", d.validation_std}};
  if (d.records) {
    j["run_median"] = d.run_median;
    j["shift_in_std"] = optional_number(d.shift);
    j["share_below_validation_median"] = d.share_below;
    nlohmann::ordered_json q = nlohmann::ordered_json::array();
    for (const DriftQuantile& x : d.quantiles) q.push_back({{"level", x.level}, {"run", x.run}, {"validation", x.validation}});
    j["quantiles"] = q;
  }
  if (d.verdict == DriftVerdict::drift || d.verdict == DriftVerdict::no_drift) {
    j["no_drift_share_range"] = {d.share_low, d.share_high};
    j["p_value"] = d.p_value;
    j["p_higher"] = d.p_higher;
    j["p_lower"] = d.p_lower;
  }
  return j;
}

}  // namespace

double precision_tolerance(const std::string& precision) {
  if (precision == "fp32") return 0;
  if (precision == "bf16" || precision == "fp16") return 0.01;
  return 0.04;
}

Reporter::Reporter(ReportOptions options, ReportCallbacks callbacks)
    : options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      evaluator_(eval_options(options_),
                 EvalCallbacks{[this](const std::string& m) { if (!mute_evaluator_) warn(m); }, callbacks_.progress}) {
  check_drift_options(options_.drift);
  if (options_.precision_tolerance && !(*options_.precision_tolerance >= 0 && *options_.precision_tolerance < 1))
    throw UsageError(fmt::format("--precision-tolerance must be in [0, 1), got {}", *options_.precision_tolerance));
  if (options_.threshold) {
    if (options_.threshold->pixel)
      throw UsageError(fmt::format("'{}' is a pixel threshold; -t needs an image-score threshold (rd-threshold fit "
                                   "without --pixel); give pixel thresholds as --pixel-threshold",
                                   options_.threshold_source));
    if (options_.model)
      check_threshold_model(*options_.threshold, options_.model->id, options_.threshold_source);
  }
  if (options_.made.empty()) options_.made = detail::utc_timestamp();
  if (options_.thumbnail_width < 16) options_.thumbnail_width = 16;
}

void Reporter::warn(const std::string& message) const {
  if (callbacks_.warn) callbacks_.warn(message);
}

void Reporter::read(std::istream& in, const std::string& source) {
  InputReader reader(in, false, source);
  reader.set_path_optional(true);
  for (InputRecord record; reader.next(record);) {
    if (!record.error.empty()) {  // an unusable line is an error record of the run
      ReportEntry e;
      e.index = entries_.size();
      e.where = fmt::format("{}:{}", source, record.line);
      e.path = record.path;
      e.error = record.error;
      warn(record.error);
      entries_.push_back(std::move(e));
      mute_evaluator_ = true;  // counted there as rd-eval counts it: a record skipped for an error
      evaluator_.add(RecordFields(), record.error);
      mute_evaluator_ = false;
      continue;
    }
    add(record.fields, fmt::format("{}:{}", source, record.line));
  }
}

void Reporter::check_model(const std::string& id, const std::string& where) {
  if (id.empty()) return;
  if (options_.model && id != options_.model->id)
    throw UsageError(fmt::format("{}: the record is from model '{}', but -m '{}' is model '{}'; its validation "
                                 "scores say nothing about another model's", where, id, options_.model->path,
                                 options_.model->id));
  if (options_.threshold && options_.threshold->model_id && id != *options_.threshold->model_id)
    throw UsageError(fmt::format("{}: the record is from model '{}', but threshold file '{}' was fitted for model '{}'",
                                 where, id, options_.threshold_source, *options_.threshold->model_id));
  if (record_model_ && id != *record_model_)
    throw UsageError(fmt::format("records come from two models: '{}' ({}) and '{}' ({}); make one report per model",
                                 *record_model_, record_model_where_, id, where));
  if (!record_model_) {
    record_model_ = id;
    record_model_where_ = where;
  }
}

void Reporter::add(const RecordFields& record, const std::string& where) {
  ReportEntry e;
  e.index = entries_.size();
  e.where = where;
  if (!record.is_object()) {
    e.error = fmt::format("{}: not a JSON object", where);
    warn(e.error);
    entries_.push_back(std::move(e));
    return;
  }
  e.path = string_field(record, "path");
  e.model = record_model(record);
  check_model(e.model, where);
  e.precision = record.contains("precision") && record["precision"].is_string()
                    ? record["precision"].get<std::string>() : std::string("fp32");
  e.defect = string_field(record, "defect");
  e.map = string_field(record, "map");
  e.mask = string_field(record, "mask");
  e.overlay = string_field(record, "overlay");
  if (!read_label(record, e.label)) e.label = kNoLabel;  // rd-eval's warning says why
  evaluator_.add(record, where);
  if (const auto it = record.find("error"); it != record.end()) {
    e.error = it->is_string() ? it->get<std::string>() : it->dump();
    entries_.push_back(std::move(e));
    return;
  }
  const auto score = record.find("score");
  if (score == record.end() || !score->is_number() || !std::isfinite(score->get<double>())) {
    e.error = fmt::format("{}: {}", where, score == record.end() ? "no \"score\"" : "\"score\" is not a finite number");
    warn(e.error);
    entries_.push_back(std::move(e));
    return;
  }
  e.score = score->get<double>();
  if (options_.threshold) {
    e.anomalous = is_anomalous(*e.score, options_.threshold->value);
    e.threshold = options_.threshold->value;
    if (e.precision != options_.threshold->precision && !warned_precision_) {
      warn(fmt::format("{}: the record was scored at {}, threshold file '{}' was fitted on {} scores; decisions "
                       "near the threshold may differ", where, e.precision, options_.threshold_source,
                       options_.threshold->precision));
      warned_precision_ = true;
    }
  } else {
    if (const auto it = record.find("anomalous"); it != record.end() && it->is_boolean()) e.anomalous = it->get<bool>();
    if (const auto it = record.find("threshold"); it != record.end() && it->is_number())
      e.threshold = it->get<double>();
  }
  entries_.push_back(std::move(e));
}

ReportSummary Reporter::finish() {
  ReportSummary s;
  std::set<double> thresholds;
  std::map<std::string, std::size_t> precisions;
  s.counts = count_entries(entries_, thresholds, precisions);
  const ReportCounts& c = s.counts;

  const bool labelled = c.labelled_normal + c.labelled_anomalous > 0;
  DriftRun drift_run = test_drift(labelled);
  s.drift = drift_run.result;
  s.drift_tested = !drift_run.validation.empty();

  // Metrics, when both classes are labelled: rd-eval's Evaluator on the same records.
  std::optional<EvalReport> metrics;
  std::string metrics_reason;
  if (c.labelled_normal && c.labelled_anomalous) {
    try {
      metrics = evaluator_.finish();
    } catch (const UsageError& e) {
      metrics_reason = e.what();
    }
  } else {
    metrics_reason = labelled ? "the labelled records are all of one class" : "the records have no labels";
  }

  // The summary as --json prints it.
  nlohmann::ordered_json& j = s.json;
  j["page"] = options_.output.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(options_.output);
  j["made"] = options_.made;
  j["counts"] = counts_json(c);
  j["model"] = model_json();
  j["precisions"] = precisions;
  j["threshold"] = threshold_json(thresholds);
  nlohmann::ordered_json& drift = j["drift"] = drift_json(s.drift, drift_run.reason);
  drift["basis"] = labelled ? "labelled_normal" : "all_scored";
  if (s.drift_tested) {
    drift["validation"]["precision"] = drift_run.validation_precision;
    drift["precision_tolerance"] = drift_run.tolerances;
  }
  j["metrics"] = metrics ? report_to_json(*metrics) : nlohmann::ordered_json(nullptr);
  if (!metrics) j["metrics_reason"] = metrics_reason;

  if (!options_.output.empty()) {
    PageContent page;
    page.options = &options_;
    page.entries = &entries_;
    page.counts = c;
    page.summary = &j;
    page.drift = &s.drift;
    page.drift_reason = drift_run.reason;
    page.validation = drift_run.validation;
    page.metrics = metrics ? &*metrics : nullptr;
    page.metrics_reason = metrics_reason;
    if (j["threshold"]["value"].is_number()) page.threshold = j["threshold"]["value"].get<double>();
    page.warn = callbacks_.warn;
    page.progress = callbacks_.progress;
    j["pictures"] = write_report_page(page);
  }
  return s;
}

// Drift: the labelled-normal records when there are labels, else every scored record, each with
// its precision's tolerance, against the model's validation scores.
Reporter::DriftRun Reporter::test_drift(bool labelled) const {
  DriftRun run;
  if (!options_.model) run.reason = "no model given (-m MODEL): no validation scores to compare with";
  else if ((run.validation = validation_scores(options_.model->meta)).empty())
    run.reason = fmt::format("model '{}' has no validation scores (train it with --val)", options_.model->path);
  run.validation_precision = options_.model ? validation_precision(options_.model->meta) : "fp32";
  std::vector<DriftSample> samples;
  for (const ReportEntry& e : entries_) {
    if (!e.score || (labelled && e.label != 0)) continue;
    double tolerance = 0;
    if (e.precision != run.validation_precision)
      tolerance = options_.precision_tolerance ? *options_.precision_tolerance : precision_tolerance(e.precision);
    run.tolerances[e.precision] = tolerance;
    samples.push_back({*e.score, tolerance});
  }
  run.result = assess_drift(samples, run.validation, options_.drift);
  if (run.result.verdict == DriftVerdict::too_few_records)
    run.reason = fmt::format("{} {} records; at least {} are needed with {} validation scores", run.result.records,
                             labelled ? "labelled-normal" : "scored", run.result.min_records, run.result.validation);
  return run;
}

nlohmann::ordered_json Reporter::model_json() const {
  nlohmann::ordered_json model = nlohmann::ordered_json::object();
  model["id"] = options_.model ? nlohmann::ordered_json(options_.model->id)
                               : record_model_ ? nlohmann::ordered_json(*record_model_) : nlohmann::ordered_json(nullptr);
  if (options_.model) {
    const auto& m = options_.model->meta;
    model["file"] = options_.model->path;
    for (const char* key : {"method", "backbone", "image_size", "tiling"})
      if (m.contains(key)) model[key] = m[key];
    if (!m.contains("method")) model["method"] = "rd4ad";
  }
  return model;
}

// -t's threshold, else the one the records were decided at; several are named, none drawn.
nlohmann::ordered_json Reporter::threshold_json(const std::set<double>& thresholds) const {
  if (options_.threshold) return {{"value", options_.threshold->value}, {"source", options_.threshold_source}};
  if (thresholds.size() == 1) return {{"value", *thresholds.begin()}, {"source", "records"}};
  if (thresholds.empty()) return {{"value", nullptr}, {"source", nullptr}};
  warn(fmt::format("the records were decided at {} different thresholds ({} to {}); no threshold is drawn",
                   thresholds.size(), *thresholds.begin(), *thresholds.rbegin()));
  return {{"value", nullptr}, {"source", "records"}, {"values", thresholds}};
}

}  // namespace rd
